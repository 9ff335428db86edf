import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  CA_KEY_KINDS,
  KRL_MAGIC,
  certificateToJson,
  createAuthority,
  describeCertificate,
  describeKrl,
  encodeKrl,
  fingerprint,
  initKeystore,
  krlToJson,
  limitsFromConfig,
  loadFileSigner,
  parseAuthorizedKey,
  parseCertificateLine,
  parseKrl,
  readInputFile,
  writeFileAtomic,
  type CaKeyKind,
  type ExtensionRequest,
  type SerialRange,
} from '../../ca';
import { loadConfig, parseDuration } from '../../config';
import { systemClock, systemRandom } from '../../core';
import { BreakglassError } from '../../errors';
import type { CliIo } from '../io';
import { configFileFrom } from '../options';

const U64_MAX = (1n << 64n) - 1n;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function usage(message: string): never {
  throw new BreakglassError('CLI_USAGE', message);
}

function parseSerial(text: string, flag: string): bigint {
  if (!/^[0-9]{1,20}$/.test(text))
    usage(`${flag} ${JSON.stringify(text)}: not a serial (accepted: a decimal integer from 1 to 2^64-1)`);
  const n = BigInt(text);
  if (n < 1n || n > U64_MAX) usage(`${flag} ${text}: out of range (accepted: 1 to 2^64-1)`);
  return n;
}

/** `N` or `A-B` (inclusive, A <= B). */
export function parseSerialSpec(text: string): SerialRange {
  const m = /^([0-9]+)-([0-9]+)$/.exec(text);
  if (!m) {
    const n = parseSerial(text, '--serial');
    return { from: n, to: n };
  }
  const from = parseSerial(m[1]!, '--serial');
  const to = parseSerial(m[2]!, '--serial');
  if (from > to) usage(`--serial ${text}: the range is inverted (accepted: A-B with A <= B)`);
  return { from, to };
}

/** A random non-zero 64-bit serial for the offline tool (the server allocates serials from its store). */
function randomSerial(): bigint {
  for (;;) {
    const n = systemRandom.bytes(8).readBigUInt64BE(0);
    if (n !== 0n) return n;
  }
}

/** `--extension NAME` is a flag; `--extension NAME=VALUE` a vendor extension with a value (flag names have no `=`). */
export function extensionArg(text: string): ExtensionRequest {
  const eq = text.indexOf('=');
  return eq < 0 ? text : { name: text.slice(0, eq), value: text.slice(eq + 1) };
}

function readPublicKeyFile(path: string, what: string) {
  return parseAuthorizedKey(readInputFile(path, what, 65_536).toString('utf8'), `${what} ${path}`);
}

interface SignOptions {
  ca: string;
  pubkey: string;
  principal: string[];
  ttl: string;
  keyId: string;
  serial?: string;
  host?: boolean;
  forceCommand?: string;
  sourceAddress?: string;
  extension: string[];
  out: string;
  config?: string;
}

interface KrlOptions {
  ca: string;
  serial: string[];
  keyId: string[];
  pubkey: string[];
  out: string;
  krlVersion?: string;
  comment?: string;
  empty?: boolean;
}

/** `breakglass ca …`: the offline certificate tool for operators and pipelines. */
export function registerCaCommands(program: Command, io: CliIo): void {
  const ca = program
    .command('ca')
    .description('SSH certificate authority: create CA keys, sign and inspect certificates, write KRLs');
  const path = (p: string) => resolve(io.cwd, p);

  ca.command('init')
    .description(
      'create DIR/user_ca, DIR/host_access_ca and DIR/host_ca (mode 0600) with their .pub; never overwrites',
    )
    .requiredOption('--dir <dir>', 'directory for the CA keys (created with mode 0700)')
    .option('--type <type>', `key type: ${CA_KEY_KINDS.join(', ')}`, 'ed25519')
    .action((opts: { dir: string; type: string }) => {
      if (!(CA_KEY_KINDS as readonly string[]).includes(opts.type))
        usage(`--type ${JSON.stringify(opts.type)}: accepted: ${CA_KEY_KINDS.join(', ')}`);
      const made = initKeystore({
        dir: path(opts.dir),
        keyType: opts.type as CaKeyKind,
        random: systemRandom,
      });
      for (const m of made)
        io.out(`${m.role} CA: ${m.path} (${m.publicKey.type} ${fingerprint(m.publicKey)})\n`);
    });

  ca.command('sign')
    .description('sign a user (default) or host certificate; writes the one-line OpenSSH form to --out')
    .requiredOption(
      '--ca <keyfile>',
      'CA private key (openssh-key-v1 or PEM, mode 0600; passphrase from $BREAKGLASS_CA_PASSPHRASE)',
    )
    .requiredOption('--pubkey <file>', 'public key to certify (.pub)')
    .option(
      '--principal <name>',
      'login (user) or host name (host) the certificate is valid for; repeat for more',
      collect,
      [],
    )
    .requiredOption(
      '--ttl <duration>',
      'lifetime, e.g. 15m, 8h, 30d (at most ca.max_user_ttl / ca.max_host_ttl)',
    )
    .requiredOption('--key-id <id>', 'key id logged by sshd (printable ASCII, no quotes or backslashes)')
    .option('--serial <n>', 'serial number (default: a random non-zero 64-bit number)')
    .option('--host', 'sign a host certificate')
    .option('--force-command <cmd>', 'critical option: the only command the certificate may run')
    .option(
      '--source-address <cidrs>',
      'critical option: comma-separated CIDRs the certificate may be used from',
    )
    .option(
      '--extension <name[=value]>',
      'extension to grant: a flag (e.g. permit-pty) or a vendor extension with a value (e.g. grant-id@breakglass=r-1); repeat for more; none by default',
      collect,
      [],
    )
    .requiredOption('--out <file>', 'where to write the certificate')
    .option(
      '-c, --config <file>',
      'configuration file for the CA limits (default: $BREAKGLASS_CONFIG or ./breakglass.yaml)',
    )
    .action(async (opts: SignOptions) => {
      const ttlMs = parseDuration(opts.ttl);
      if (ttlMs === null || ttlMs <= 0)
        usage(
          `--ttl ${JSON.stringify(opts.ttl)}: not a duration (accepted: an integer with a unit s, m, h or d, e.g. 8h)`,
        );
      if (opts.principal.length === 0) usage('--principal is required (at least one)');
      if (
        opts.host &&
        (opts.forceCommand !== undefined || opts.sourceAddress !== undefined || opts.extension.length > 0)
      ) {
        usage('--force-command, --source-address and --extension apply to user certificates only');
      }
      const serial = opts.serial !== undefined ? parseSerial(opts.serial, '--serial') : randomSerial();
      const config = loadConfig({ file: configFileFrom(opts.config, io), env: io.env });
      const signer = loadFileSigner(path(opts.ca), { passphrase: io.env.BREAKGLASS_CA_PASSPHRASE });
      const { key, comment } = readPublicKeyFile(path(opts.pubkey), 'public key');
      const authority = createAuthority({
        signers: { user: signer, host: signer },
        nextSerial: async () => serial,
        clock: systemClock,
        random: systemRandom,
        limits: limitsFromConfig(config.ca),
      });
      const common = { publicKey: key, principals: opts.principal, keyId: opts.keyId, ttlMs };
      const issued = opts.host
        ? await authority.issueHostCertificate(common)
        : await authority.issueUserCertificate({
            ...common,
            ...(opts.forceCommand !== undefined ? { forceCommand: opts.forceCommand } : {}),
            ...(opts.sourceAddress !== undefined ? { sourceAddress: opts.sourceAddress } : {}),
            extensions: opts.extension.map(extensionArg),
          });
      const out = path(opts.out);
      writeFileAtomic(out, `${issued.line}${comment ? ` ${comment}` : ''}\n`, 0o644, systemRandom);
      const cert = issued.certificate;
      io.out(
        `${out}: ${cert.certType} certificate, key id "${cert.keyId}", serial ${cert.serial}, principals ${cert.principals.join(',')}, signed by ${issued.caFingerprint}\n`,
      );
    });

  ca.command('inspect <file>')
    .description('print every field of a certificate (like ssh-keygen -L) or a KRL')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const bytes = readInputFile(path(file), 'file', 64 * 1_048_576);
      if (bytes.subarray(0, KRL_MAGIC.length).equals(KRL_MAGIC)) {
        const krl = parseKrl(bytes);
        io.out(opts.json ? `${JSON.stringify(krlToJson(krl), null, 2)}\n` : describeKrl(krl, file));
        return;
      }
      const { certificate, comment } = parseCertificateLine(bytes.toString('utf8'));
      io.out(
        opts.json
          ? `${JSON.stringify({ ...certificateToJson(certificate), comment }, null, 2)}\n`
          : describeCertificate(certificate, file),
      );
    });

  ca.command('krl')
    .description(
      "write an OpenSSH KRL (for sshd's RevokedKeys) revoking certificates by serial or key id, and keys",
    )
    .requiredOption(
      '--ca <file.pub>',
      'public key of the CA whose certificates are revoked by --serial / --key-id',
    )
    .option('--serial <n|a-b>', 'revoke a serial or an inclusive range; repeatable', collect, [])
    .option('--key-id <id>', 'revoke every certificate with this key id; repeatable', collect, [])
    .option('--pubkey <file>', 'revoke a public key (and every certificate for it); repeatable', collect, [])
    .option('--krl-version <n>', 'KRL version number (default: the current time in seconds)')
    .option('--comment <text>', 'comment stored in the KRL')
    .option(
      '--empty',
      'write a KRL that revokes nothing (sshd denies every key login when RevokedKeys is missing)',
    )
    .requiredOption('--out <file>', 'where to write the KRL')
    .action((opts: KrlOptions) => {
      const count = opts.serial.length + opts.keyId.length + opts.pubkey.length;
      if (count === 0 && !opts.empty)
        usage('nothing to revoke: give at least one --serial, --key-id or --pubkey (or --empty)');
      if (count > 0 && opts.empty) usage('--empty cannot be combined with --serial, --key-id or --pubkey');
      const caKey = readPublicKeyFile(path(opts.ca), 'CA public key').key;
      const serials = opts.serial.map(parseSerialSpec);
      const keys = opts.pubkey.map((p) => readPublicKeyFile(path(p), 'public key').key);
      const now = systemClock.now();
      const version =
        opts.krlVersion !== undefined
          ? parseSerial(opts.krlVersion, '--krl-version')
          : BigInt(Math.floor(now / 1000));
      const krl = encodeKrl({
        version,
        generatedAt: now,
        ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
        certificates: [{ ca: caKey, serials, keyIds: opts.keyId }],
        keys,
      });
      const out = path(opts.out);
      writeFileAtomic(out, krl, 0o644, systemRandom);
      io.out(
        `${out}: KRL version ${version}: ${serials.length} serial entries, ${opts.keyId.length} key ids, ${keys.length} keys (CA ${fingerprint(caKey)})\n`,
      );
    });
}
