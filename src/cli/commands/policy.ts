import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, parseDuration } from '../../config';
import { BreakglassError } from '../../errors';
import {
  describeDecision,
  evaluate,
  formatProblem,
  limitsFromConfig,
  loadPolicyDir,
  readCasesFile,
  resolveLimits,
  runPolicyCases,
  type AccessRequest,
  type CaseResult,
  type PolicyLimits,
  type PolicyProblem,
  type Subject,
} from '../../policy';
import { CliExit, type CliIo } from '../io';
import { configFileFrom } from '../options';

interface PolicySettings {
  dir: string;
  limits: PolicyLimits;
}

/** The policy directory and limits: the argument, else the configuration's `policy.dir`, else ./policies. */
function settings(io: CliIo, dirArg: string | undefined, configFlag: string | undefined): PolicySettings {
  const file = configFileFrom(configFlag, io);
  if (!file) return { dir: resolve(io.cwd, dirArg ?? 'policies'), limits: resolveLimits() };
  const config = loadConfig({ file, env: io.env });
  return { dir: resolve(io.cwd, dirArg ?? config.policy.dir), limits: limitsFromConfig(config.policy) };
}

const usage = (message: string) => new BreakglassError('CLI_USAGE', message);
const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];
const collect = (value: string, previous: string[]) => [...previous, value];

function pairs(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw usage(`${flag} ${JSON.stringify(v)} is not KEY=VALUE`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function printProblems(io: CliIo, problems: readonly PolicyProblem[]): void {
  for (const p of problems) io.err(`${formatProblem(p)}\n`);
}

/** `breakglass policy check|test` */
export function registerPolicyCommands(program: Command, io: CliIo): void {
  const policy = program.command('policy').description('Check role policies and test decisions');

  policy
    .command('check [dir]')
    .description(
      'validate a policy directory (default: policy.dir from the configuration, else ./policies); exit 1 listing every problem as file:line:column',
    )
    .option('-c, --config <file>', 'configuration file (for policy.dir and limits)')
    .action(async (dir: string | undefined, opts: { config?: string }) => {
      const s = settings(io, dir, opts.config);
      const r = await loadPolicyDir(s.dir, s.limits);
      if (!r.ok) {
        printProblems(io, r.problems);
        io.err(
          `${s.dir}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}; policy refused\n`,
        );
        throw new CliExit(1);
      }
      printProblems(io, r.warnings);
      const p = r.policy;
      io.out(
        `${s.dir}: valid: ${p.roles.length} roles, ${p.denies.length} deny rules, ${r.inventory.size} hosts, version ${p.version}\n`,
      );
    });

  policy
    .command('test')
    .description(
      'evaluate one request (--user … --host … --login …) or run a table of expected decisions (--cases FILE|DIR)',
    )
    .option(
      '--policies <dir>',
      'policy directory (default: policy.dir, or for --cases the `policies:` key of the file, else the parent of its directory)',
    )
    .option('--cases <path>', 'YAML file of cases, or a directory of them')
    .option('--user <email>', 'subject email')
    .option('--sub <id>', 'subject identifier (default: the email)')
    .option('--groups <list>', 'comma-separated IdP groups')
    .option('--amr <list>', 'comma-separated authentication methods (e.g. pwd,mfa)')
    .option('--claim <key=value>', 'extra claim (repeatable)', collect, [])
    .option('--host <name>', 'target host')
    .option('--selector <key=pattern>', 'label selector instead of --host (repeatable)', collect, [])
    .option('--login <login>', 'login on the target')
    .option('--ttl <duration>', 'requested duration, e.g. 1h (default: the longest allowed)')
    .option('--emergency', 'break-glass request')
    .option('--reason <text>', 'reason given')
    .option('--ticket <id>', 'ticket reference given')
    .option('--at <time>', 'evaluate at this RFC 3339 time (default: now)')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'configuration file (for policy.dir and limits)')
    .action(async (opts: TestOptions) => {
      if (opts.cases) return runCases(io, opts);
      return runOne(io, opts);
    });
}

interface TestOptions {
  policies?: string;
  cases?: string;
  user?: string;
  sub?: string;
  groups?: string;
  amr?: string;
  claim: string[];
  host?: string;
  selector: string[];
  login?: string;
  ttl?: string;
  emergency?: boolean;
  reason?: string;
  ticket?: string;
  at?: string;
  json?: boolean;
  config?: string;
}

async function loadOrExit(io: CliIo, dir: string, limits: PolicyLimits) {
  const r = await loadPolicyDir(dir, limits);
  if (!r.ok) {
    printProblems(io, r.problems);
    io.err(`${dir}: policy refused\n`);
    throw new CliExit(1);
  }
  return r;
}

async function runOne(io: CliIo, opts: TestOptions): Promise<void> {
  if (!opts.user || !opts.login || (!opts.host && opts.selector.length === 0)) {
    throw usage('policy test needs --user, --login and --host (or --selector), or --cases FILE');
  }
  if (opts.host && opts.selector.length > 0) throw usage('give --host or --selector, not both');
  let ttlMs: number | undefined;
  if (opts.ttl !== undefined) {
    const parsed = parseDuration(opts.ttl);
    if (parsed === null || parsed <= 0)
      throw usage(`--ttl ${JSON.stringify(opts.ttl)} is not a duration (accepted: e.g. 90s, 15m, 1h)`);
    ttlMs = parsed;
  }
  const now = opts.at === undefined ? Date.now() : Date.parse(opts.at);
  if (Number.isNaN(now)) throw usage(`--at ${JSON.stringify(opts.at)} is not a time (accepted: RFC 3339)`);
  const s = settings(io, opts.policies, opts.config);
  const loaded = await loadOrExit(io, s.dir, s.limits);
  const subject: Subject = {
    sub: opts.sub ?? opts.user,
    email: opts.user,
    groups: list(opts.groups),
    amr: list(opts.amr),
    claims: pairs(opts.claim, '--claim'),
  };
  const request: AccessRequest = {
    ...(opts.host ? { host: opts.host } : { selector: pairs(opts.selector, '--selector') }),
    login: opts.login,
    ...(ttlMs !== undefined ? { ttlMs } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    ...(opts.ticket !== undefined ? { ticket: opts.ticket } : {}),
    emergency: opts.emergency === true,
  };
  const decision = evaluate(loaded.policy, subject, request, loaded.inventory, now);
  io.out(opts.json ? `${JSON.stringify(decision, null, 2)}\n` : describeDecision(decision));
}

async function caseFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw usage(`--cases ${path}: no such file or directory`);
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort();
  if (names.length === 0) throw usage(`--cases ${path}: no *.yaml case files in the directory`);
  return names.map((n) => join(path, n));
}

async function runCases(io: CliIo, opts: TestOptions): Promise<void> {
  const files = await caseFiles(resolve(io.cwd, opts.cases!));
  const base =
    opts.config !== undefined || configFileFrom(undefined, io) !== undefined
      ? settings(io, opts.policies, opts.config)
      : undefined;
  const limits = base?.limits ?? resolveLimits();
  let passed = 0;
  let failed = 0;
  const json: Array<{ file: string; results: CaseResult[] }> = [];
  for (const file of files) {
    const read = await readCasesFile(file, limits.maxFileBytes, limits.maxDepth);
    if (!read.ok) {
      printProblems(io, read.problems);
      failed++;
      continue;
    }
    const dir = opts.policies
      ? resolve(io.cwd, opts.policies)
      : read.cases.policies
        ? resolve(dirname(file), read.cases.policies)
        : (base?.dir ?? resolve(dirname(file), '..'));
    const loaded = await loadPolicyDir(dir, limits);
    if (!loaded.ok) {
      printProblems(io, loaded.problems);
      io.err(`${file}: policy ${dir} refused\n`);
      failed += read.cases.cases.length;
      continue;
    }
    const results = runPolicyCases(loaded.policy, loaded.inventory, read.cases.cases);
    json.push({ file, results });
    for (const r of results) {
      if (r.passed) passed++;
      else failed++;
      if (opts.json) continue;
      io.out(`${r.passed ? 'ok  ' : 'FAIL'} ${r.name}\n`);
      if (r.passed) continue;
      for (const f of r.failures) io.out(`       ${f}\n`);
      if (r.decision) {
        io.out(`       decision: ${r.decision.effect}; reasons:\n`);
        for (const reason of r.decision.reasons)
          io.out(`         ${reason.rule} [${reason.effect}] ${reason.message}\n`);
      }
    }
  }
  if (opts.json) io.out(`${JSON.stringify({ passed, failed, files: json }, null, 2)}\n`);
  else io.out(`${passed} passed, ${failed} failed\n`);
  if (failed > 0) throw new CliExit(1);
}
