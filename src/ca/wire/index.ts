export { SshReader, U64_MAX } from './reader';
export { SshWriter, sshString } from './writer';
