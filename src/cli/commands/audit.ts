import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  auditStoreLog,
  latestStoredCheckpoint,
  parseCheckpointText,
  parsePublicKeys,
  readAuditLines,
  readSmallFile,
  tailAuditLog,
  verifyFileParallel,
  type VerifyOptions,
  type VerifyResult,
} from '../../audit';
import { loadConfig, type Config } from '../../config';
import { systemClock } from '../../core';
import { BreakglassError } from '../../errors';
import { createSilentLogger } from '../../logging';
import { createStore, type Store } from '../../store';
import { CliExit, type CliIo } from '../io';
import { configFileFrom } from '../options';

const usage = (message: string) => new BreakglassError('CLI_USAGE', message);

function positiveInt(value: string, flag: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw usage(`${flag} ${JSON.stringify(value)} is not a positive integer`);
  return Number(value);
}

/** Opens the configured store, runs `fn`, closes the store. */
async function withStore<T>(
  io: CliIo,
  configFlag: string | undefined,
  fn: (store: Store, config: Readonly<Config>) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: configFileFrom(configFlag, io), env: io.env });
  const store = await createStore(config, { logger: createSilentLogger(), clock: systemClock });
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

/** Writes `text` to `path` atomically (temporary file, fsync, rename). */
function writeFileAtomic(path: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<number> {
  const tmp = `${path}.${process.pid}.tmp`;
  return (async () => {
    const fd = openSync(tmp, 'w', 0o600);
    let count = 0;
    try {
      let pending = '';
      for await (const chunk of chunks) {
        pending += chunk;
        count++;
        if (pending.length >= 1 << 20) {
          writeSync(fd, pending);
          pending = '';
        }
      }
      if (pending) writeSync(fd, pending);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, path);
    return count;
  })();
}

export function describeResult(
  file: string,
  r: VerifyResult,
  options: VerifyOptions,
): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  if (r.problem) {
    const p = r.problem;
    const where = p.line > 0 ? `seq ${p.seq} (line ${p.line})` : `seq ${p.seq}`;
    err.push(`${file}: FAILED at ${where}: ${p.kind}: ${p.message}`);
    if (p.range) err.push(`${file}: the change lies within seq ${p.range.from}..${p.range.to}`);
    err.push(`${file}: ${r.entries} entries verified before it`);
    return { out, err };
  }
  const cp = r.lastCheckpoint;
  const checkpoint = cp
    ? `last signed checkpoint at seq ${cp.seq}${cp.signatureChecked ? '' : ' (signature not checked: give --pubkey)'}`
    : 'no signed checkpoint';
  out.push(`${r.entries} entries verified, head ${r.head ?? 'none'}, ${checkpoint}`);
  if (r.given)
    out.push(
      `the given checkpoint (seq ${r.given.seq}, signed ${r.given.time}) matches the log${options.keys ? '' : ' (its signature was not checked: give --pubkey)'}`,
    );
  if (!options.keys)
    err.push(
      `${file}: warning: checkpoint signatures were not checked; without --pubkey anyone who can rewrite the file can recompute every hash`,
    );
  if (r.uncovered) {
    const u = r.uncovered;
    err.push(
      `${file}: warning: ${u.count} entries in seq ${u.from}..${u.to} are not covered by a signed checkpoint${options.keys ? '' : ' that was checked'}`,
    );
  }
  if (r.torn)
    err.push(
      `${file}: note: the last line (line ${r.torn.line}, ${r.torn.bytes} bytes) is torn, as a crash while writing leaves it; it was ignored (not tampering)`,
    );
  return { out, err };
}

/** `breakglass audit verify|export|tail|checkpoint` */
export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('Verify, export and read the tamper-evident audit log');

  audit
    .command('verify <file>')
    .description(
      'verify an exported audit log (JSON lines); exit 0 when intact, 1 naming the first bad seq and what is wrong',
    )
    .option(
      '--pubkey <file>',
      'audit public key: JWK (certs/audit_key.pub), JWK set or PEM; checks checkpoint signatures',
    )
    .option('--checkpoint <file>', 'a checkpoint kept outside the log (detects truncation and rollback)')
    .option('--strict', 'fail when entries are not covered by a signed checkpoint (needs --pubkey)')
    .option('--log-id <id>', 'expected log id (default: the one the checkpoints name)')
    .action(
      async (
        file: string,
        opts: { pubkey?: string; checkpoint?: string; strict?: boolean; logId?: string },
      ) => {
        if (opts.strict && !opts.pubkey)
          throw usage('--strict needs --pubkey: only checked signatures cover entries');
        const options: VerifyOptions = {};
        if (opts.pubkey)
          options.keys = parsePublicKeys(readSmallFile(resolve(io.cwd, opts.pubkey), 'public key'));
        if (opts.checkpoint)
          options.checkpoint = parseCheckpointText(
            readSmallFile(resolve(io.cwd, opts.checkpoint), 'checkpoint'),
          );
        if (opts.strict) options.strict = true;
        if (opts.logId) options.logId = opts.logId;
        const result = await verifyFileParallel(resolve(io.cwd, file), options);
        const { out, err } = describeResult(file, result, options);
        for (const line of out) io.out(`${line}\n`);
        for (const line of err) io.err(`${line}\n`);
        if (!result.ok) throw new CliExit(1);
      },
    );

  audit
    .command('export')
    .description("write the configured store's audit log as JSON lines that `audit verify` accepts")
    .requiredOption('--out <file>', 'file to write (replaced atomically)')
    .option('--from <seq>', 'first seq to export (default 1)')
    .option('-c, --config <file>', 'configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.yaml)')
    .action(async (opts: { out: string; from?: string; config?: string }) => {
      const from = opts.from === undefined ? 1 : positiveInt(opts.from, '--from');
      const out = resolve(io.cwd, opts.out);
      const count = await withStore(io, opts.config, async (store, config) => {
        const lines = (async function* () {
          for await (const line of readAuditLines(store, auditStoreLog(config.audit.log_id), from))
            yield `${line}\n`;
        })();
        return writeFileAtomic(out, lines);
      });
      io.out(`${count} entries written to ${opts.out}${from > 1 ? ` (from seq ${from})` : ''}\n`);
    });

  audit
    .command('tail')
    .description('print the latest audit entries, oldest first')
    .option('--type <type>', 'only entries of this type (e.g. certificate.issued)')
    .option('--actor <actor>', 'only entries by this actor (e.g. user:alice@example.com)')
    .option('-n, --lines <n>', 'how many entries', '20')
    .option('--json', 'print the stored JSON lines')
    .option('-c, --config <file>', 'configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.yaml)')
    .action(
      async (opts: { type?: string; actor?: string; lines: string; json?: boolean; config?: string }) => {
        const limit = positiveInt(opts.lines, '-n');
        const rows = await withStore(io, opts.config, (store, config) =>
          tailAuditLog(store, auditStoreLog(config.audit.log_id), {
            limit,
            ...(opts.type ? { type: opts.type } : {}),
            ...(opts.actor ? { actor: opts.actor } : {}),
          }),
        );
        for (const row of rows) {
          if (opts.json || !row.entry) {
            io.out(`${row.line}\n`);
            continue;
          }
          const e = row.entry;
          const target = e.target ? ` → ${e.target}` : '';
          io.out(`${e.seq}  ${e.time}  ${e.type}  ${e.actor}${target}  ${JSON.stringify(e.data)}\n`);
        }
      },
    );

  audit
    .command('checkpoint')
    .description(
      'print (or write) the latest signed checkpoint in the store, to keep outside it for `audit verify --checkpoint`',
    )
    .option('--out <file>', 'write it to this file as JSON')
    .option('-c, --config <file>', 'configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.yaml)')
    .action(async (opts: { out?: string; config?: string }) => {
      const cp = await withStore(io, opts.config, (store, config) =>
        latestStoredCheckpoint(store, auditStoreLog(config.audit.log_id)),
      );
      if (!cp) {
        io.err('no signed checkpoint in the audit log yet\n');
        throw new CliExit(1);
      }
      const json = `${JSON.stringify(cp, null, 2)}\n`;
      if (opts.out) {
        await writeFileAtomic(resolve(io.cwd, opts.out), [json]);
        io.out(`checkpoint at seq ${cp.seq} (signed ${cp.time}) written to ${opts.out}\n`);
      } else {
        io.out(json);
      }
    });
}
