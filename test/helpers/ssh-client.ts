import { spawn } from 'node:child_process';

/**
 * Options that make the OpenSSH client deterministic in tests: no user config, no
 * agent, no prompts, only the given identity, and host keys checked against
 * `knownHosts` (or not at all when it is absent: for tests about something else).
 */
export function sshBaseOptions(knownHosts?: string): string[] {
  const known = knownHosts
    ? ['-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes']
    : ['-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no'];
  return [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    ...known,
  ];
}

export interface SshRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ssh ARGS` with `input` on stdin and resolves when it exits. */
export function runSsh(args: string[], input = ''): Promise<SshRun> {
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
