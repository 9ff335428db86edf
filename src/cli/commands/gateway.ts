import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { auditStoreLog, readAuditLines } from '../../audit';
import { loadConfig, type Config } from '../../config';
import { systemClock, systemRandom } from '../../core';
import { BreakglassError } from '../../errors';
import { createSilentLogger } from '../../logging';
import {
  knownHostsLine,
  loadOrCreateGatewayHostKey,
  recordingsDir,
  SealCollector,
  type AuditSeal,
} from '../../proxy';
import { createRecordingFiles, type VerifyResult } from '../../recording';
import { createStore } from '../../store';
import { CliExit, type CliIo } from '../io';
import { configFileFrom } from '../options';

const CONFIG_FLAG = [
  '-c, --config <file>',
  'configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.yaml)',
] as const;

const usage = (message: string) => new BreakglassError('CLI_USAGE', message);

function configOf(io: CliIo, flag: string | undefined): Readonly<Config> {
  return loadConfig({ file: configFileFrom(flag, io), env: io.env });
}

/** The host name users reach the gateway at. */
function publicHost(config: Readonly<Config>): string {
  const listen = config.proxy.listen;
  return config.proxy.public_host ?? (listen === '0.0.0.0' || listen === '::' ? 'localhost' : listen);
}

function parseEntry(line: string): { seq: number; type: string; data: Record<string, unknown> } | null {
  try {
    const e = JSON.parse(line) as { seq?: unknown; type?: unknown; data?: unknown };
    if (
      typeof e.seq !== 'number' ||
      typeof e.type !== 'string' ||
      typeof e.data !== 'object' ||
      e.data === null
    )
      return null;
    return { seq: e.seq, type: e.type, data: e.data as Record<string, unknown> };
  } catch {
    return null;
  }
}

/** The recording's seal from an exported audit file, or from the configured store's audit log. */
async function readSeal(
  io: CliIo,
  config: Readonly<Config>,
  id: string,
  auditFile: string | undefined,
): Promise<AuditSeal | null> {
  const collector = new SealCollector(id);
  const add = (line: string) => {
    if (!line.includes(id)) return; // cheap pre-filter: the entry must name the session
    const e = parseEntry(line);
    if (e) collector.add(e);
  };
  if (auditFile) {
    const lines = createInterface({
      input: createReadStream(resolve(io.cwd, auditFile)),
      crlfDelay: Infinity,
    });
    try {
      for await (const line of lines) add(line);
    } catch (err) {
      throw new BreakglassError(
        'AUDIT_FILE_UNREADABLE',
        `audit log ${auditFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        {
          cause: err,
        },
      );
    }
    return collector.result();
  }
  const store = await createStore(config, { logger: createSilentLogger(), clock: systemClock });
  try {
    for await (const line of readAuditLines(store, auditStoreLog(config.audit.log_id))) add(line);
  } finally {
    await store.close();
  }
  return collector.result();
}

function describeSeal(seal: AuditSeal): string {
  const cps = seal.checkpointSeqs.length;
  const parts = [];
  if (cps > 0)
    parts.push(`${cps} checkpoint${cps === 1 ? '' : 's'} (audit seq ${seal.checkpointSeqs.join(', ')})`);
  if (seal.endSeq !== undefined) parts.push(`the final seal (audit seq ${seal.endSeq})`);
  return parts.join(' and ');
}

function report(io: CliIo, id: string, seal: AuditSeal, r: VerifyResult): void {
  if (r.problem) {
    io.err(`recording ${id}: FAILED: ${r.problem.message}\n`);
    io.err(`recording ${id}: ${r.problem.kind}; the file is ${r.size} bytes with sha256 ${r.sha256}\n`);
    io.err(
      `recording ${id}: checked against ${describeSeal(seal)}; ${r.verified} of them matched before the difference\n`,
    );
    throw new CliExit(1);
  }
  io.out(`recording ${id} is intact: ${r.size} bytes, sha256 ${r.sha256}, matches ${describeSeal(seal)}\n`);
  if (!r.sealed)
    io.err(
      `recording ${id}: warning: the audit log has no final seal (the session did not end cleanly, or is still running); only the checkpointed prefix is proven\n`,
    );
}

/** `breakglass gateway hostkey`, `breakglass ssh-config`, `breakglass recordings verify ID` */
export function registerGatewayCommands(program: Command, io: CliIo): void {
  const gateway = program.command('gateway').description('The SSH gateway: its host key');
  gateway
    .command('hostkey')
    .description(
      'print the gateway host key fingerprint and the known_hosts line users add (creates the key if absent)',
    )
    .option(...CONFIG_FLAG)
    .action((opts: { config?: string }) => {
      const config = configOf(io, opts.config);
      const key = loadOrCreateGatewayHostKey({
        dir: config.certs_dir,
        file: config.proxy.host_key_file,
        random: systemRandom,
      });
      if (key.created) io.err(`created ${key.path}\n`);
      io.out(`fingerprint: ${key.fingerprint}\n`);
      io.out(`public key:  ${key.publicKeyLine}\n`);
      io.out(`known_hosts: ${knownHostsLine(key, publicHost(config), config.proxy.port)}\n`);
    });

  program
    .command('ssh-config')
    .description(
      'print a ~/.ssh/config block for connecting through the gateway, and the known_hosts line it needs',
    )
    .option('--alias <name>', 'Host alias to use in ssh commands', 'breakglass')
    .option('--identity <file>', 'private key your Breakglass certificate is for', '~/.ssh/id_ed25519')
    .option('--certificate <file>', 'the certificate (default: IDENTITY-cert.pub)')
    .option('--known-hosts <file>', 'known_hosts file for the gateway key', '~/.ssh/known_hosts.breakglass')
    .option(...CONFIG_FLAG)
    .action(
      (opts: {
        alias: string;
        identity: string;
        certificate?: string;
        knownHosts: string;
        config?: string;
      }) => {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.alias))
          throw usage('--alias must be 1-64 letters, digits, ".", "_" or "-"');
        for (const [flag, v] of [
          ['--identity', opts.identity],
          ['--certificate', opts.certificate ?? ''],
          ['--known-hosts', opts.knownHosts],
        ] as const)
          if (/[\s"'\\\n]/.test(v)) throw usage(`${flag} must not contain spaces, quotes or backslashes`);
        const config = configOf(io, opts.config);
        const key = loadOrCreateGatewayHostKey({
          dir: config.certs_dir,
          file: config.proxy.host_key_file,
          random: systemRandom,
        });
        const host = publicHost(config);
        const port = config.proxy.port;
        const cert = opts.certificate ?? `${opts.identity}-cert.pub`;
        const alias = opts.alias;
        io.out(
          [
            `# Breakglass SSH gateway ${host}:${port} (host key ${key.fingerprint})`,
            `# Connect with: ssh LOGIN@HOST@${alias}      e.g.  ssh root@db-1@${alias}`,
            `#          or:  ssh LOGIN@${alias}           (a menu when several granted hosts fit)`,
            `#   files:      sftp root@db-1@${alias}      scp FILE root@db-1@${alias}:/tmp/`,
            `Host ${alias}`,
            `    HostName ${host}`,
            `    Port ${port}`,
            `    IdentityFile ${opts.identity}`,
            `    CertificateFile ${cert}`,
            '    IdentitiesOnly yes',
            `    UserKnownHostsFile ${opts.knownHosts}`,
            '    StrictHostKeyChecking yes',
            '    HostKeyAlgorithms ssh-ed25519',
            '    ForwardAgent no',
            '    ForwardX11 no',
            '    ServerAliveInterval 30',
            '',
            `# Add this line to ${opts.knownHosts}:`,
            `# ${knownHostsLine(key, host, port)}`,
            '',
          ].join('\n'),
        );
      },
    );

  const recordings = program.command('recordings').description('Session recordings');
  recordings
    .command('verify <id>')
    .description(
      'check a recording against the hashes the audit log sealed (session.checkpoint and session.ended); exit 1 naming the first byte range and lines that differ',
    )
    .option('--audit-file <file>', 'an exported audit log (`audit export`) instead of the configured store')
    .option('--recordings-dir <dir>', 'directory of the recordings (default: recording.dir under data_dir)')
    .option(...CONFIG_FLAG)
    .action(async (id: string, opts: { auditFile?: string; recordingsDir?: string; config?: string }) => {
      const config = configOf(io, opts.config);
      const dir = opts.recordingsDir ? resolve(io.cwd, opts.recordingsDir) : recordingsDir(config);
      const files = createRecordingFiles({ dir });
      files.pathFor(id); // refuses ids that are not recording ids before anything is read
      const seal = await readSeal(io, config, id, opts.auditFile);
      if (!seal)
        throw new BreakglassError(
          'PROXY_RECORDING_NOT_SEALED',
          `the audit log has no session.checkpoint or session.ended entry for ${id}; nothing to verify against`,
        );
      report(io, id, seal, await files.verify(id, seal.sealed));
    });
}
