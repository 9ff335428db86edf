export { SshReader, U64_MAX, decodeText } from './reader';
export { SshWriter, sshString } from './writer';
