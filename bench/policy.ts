import { stringify } from 'yaml';
import { argNumber, opsPerSecond, percentile, type Benchmark } from './harness';
import { evaluate, parsePolicyFiles, type AccessRequest, type Decision, type Subject } from '../src/policy';

/**
 * Policy decisions per second and per-decision latency with a large generated policy
 * (default 1,000 roles, 10,000 hosts), against a trivial allow-all evaluator in the
 * same run. Target: p99 below 1 ms. `--roles N --hosts N --decisions N` resize it.
 */

const TEAMS = 200;
const ENVS = ['dev', 'staging', 'prod'];
const KINDS = ['web', 'db', 'cache', 'queue'];

/** Deterministic pseudo-random numbers (so runs are comparable). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generate(roles: number, hosts: number, rnd: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const team = () => `team-${Math.floor(rnd() * TEAMS)}`;
  const hostDocs = Array.from({ length: hosts }, (_, i) => ({
    name: `h-${String(i).padStart(5, '0')}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    labels: { env: pick(ENVS), team: team(), kind: pick(KINDS) },
    trust: { host_ca: true },
  }));
  const roleDocs = Array.from({ length: roles }, (_, i) => {
    const wildcardSubject = rnd() < 0.05;
    const selector =
      rnd() < 0.8
        ? { labels: { env: pick(ENVS), team: team() } }
        : { labels: { kind: pick(KINDS), env: rnd() < 0.5 ? 'prod' : '^(dev|staging)$' } };
    const approvals = rnd() < 0.5 ? 1 : 0;
    return {
      name: `role-${i}`,
      subjects: wildcardSubject ? [{ emails: [`*-${i % 10}@example.com`] }] : [{ groups: [team(), team()] }],
      hosts: [selector],
      logins: ['{{email.local}}', 'deploy'],
      max_ttl: pick(['1h', '2h', '4h', '8h']),
      ...(approvals > 0 ? { approval: { required: approvals, reviewers: { groups: ['approvers'] } } } : {}),
      ...(rnd() < 0.3 ? { emergency: { allowed: true, max_ttl: '1h', notify: ['pager'] } } : {}),
      ssh: { sftp: rnd() < 0.5, record_input: rnd() < 0.5, idle_timeout: '30m' },
    };
  });
  const deny = [
    {
      name: 'no-root-in-prod',
      subjects: [{ emails: ['*'] }],
      hosts: [{ labels: { env: 'prod' } }],
      logins: ['root'],
    },
  ];
  return { hostDocs, roleDocs, deny };
}

export const benchmark: Benchmark = async (ctx) => {
  const roleCount = argNumber(ctx.args, 'roles', 1000);
  const hostCount = argNumber(ctx.args, 'hosts', 10_000);
  const decisions = argNumber(ctx.args, 'decisions', 20_000);
  const rnd = prng(42);
  const { hostDocs, roleDocs, deny } = generate(roleCount, hostCount, rnd);
  const files = [
    {
      file: 'hosts.yaml',
      bytes: Buffer.from(stringify({ label_keys: ['env', 'team', 'kind'], hosts: hostDocs })),
    },
    { file: 'roles.yaml', bytes: Buffer.from(stringify({ roles: roleDocs, deny })) },
  ];
  const loadStart = process.hrtime.bigint();
  const loaded = parsePolicyFiles(files, { maxFileBytes: 64 * 1_048_576 });
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  if (!loaded.ok)
    throw new Error(
      `generated policy refused: ${loaded.problems
        .slice(0, 3)
        .map((p) => p.message)
        .join('; ')}`,
    );
  const { policy, inventory } = loaded;
  ctx.note(
    `${roleCount} roles, ${hostCount} hosts; policy files ${(files.reduce((n, f) => n + f.bytes.length, 0) / 1_048_576).toFixed(1)} MiB`,
  );
  ctx.figure('load + validate + compile', loadMs, 'ms');

  // A fixed workload: 90% single-host requests, 10% label selectors (about 17 hosts each).
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const workload: Array<{ subject: Subject; request: AccessRequest }> = Array.from(
    { length: 4096 },
    (_, i) => {
      const local = `user-${i}`;
      const subject: Subject = {
        sub: local,
        email: `${local}@example.com`,
        groups: Array.from({ length: 3 }, () => `team-${Math.floor(rnd() * TEAMS)}`),
        amr: ['pwd'],
        claims: {},
      };
      const request: AccessRequest =
        rnd() < 0.9
          ? { host: pick(hostDocs).name, login: pick([local, 'deploy', 'root']), reason: 'bench' }
          : { selector: { team: subject.groups[0]!, env: pick(ENVS) }, login: 'deploy', reason: 'bench' };
      return { subject, request };
    },
  );
  const now = Date.UTC(2026, 0, 1);
  const counts: Record<string, number> = {};
  for (const w of workload) {
    const e = evaluate(policy, w.subject, w.request, inventory, now).effect;
    counts[e] = (counts[e] ?? 0) + 1;
  }
  ctx.note(
    `workload effects: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );

  const allowAll = (_s: Subject, r: AccessRequest): Decision => ({
    effect: 'allow',
    constraints: {
      maxTtlMs: 3_600_000,
      ttlMs: r.ttlMs ?? 3_600_000,
      logins: [r.login],
      principals: [r.login],
      pty: true,
      exec: true,
      sftp: true,
      portForwarding: false,
      agentForwarding: false,
      x11Forwarding: false,
      recordInput: false,
      approvals: { required: 0, reviewers: [] },
      reasonRequired: false,
      emergency: { allowed: false, maxTtlMs: 0, notify: [], postReview: false },
      mfaRequired: false,
      immutable: false,
    },
    reasons: [],
    policyVersion: 'allow-all',
    matchedRoles: [],
    hosts: r.host ? [r.host] : [],
  });

  let i = 0;
  let sink = 0;
  const ours = () => {
    const w = workload[i++ & 4095]!;
    sink += evaluate(policy, w.subject, w.request, inventory, now).reasons.length;
  };
  const base = () => {
    const w = workload[i++ & 4095]!;
    sink += allowAll(w.subject, w.request).reasons.length;
  };
  await opsPerSecond(ours, 300); // warm-up
  await opsPerSecond(base, 100);
  const oursRate = await opsPerSecond(ours, 2000);
  const baseRate = await opsPerSecond(base, 2000);

  const latencies = (fn: () => void): number[] => {
    const out: number[] = new Array(decisions);
    for (let k = 0; k < decisions; k++) {
      const t = process.hrtime.bigint();
      fn();
      out[k] = Number(process.hrtime.bigint() - t) / 1e6;
    }
    return out;
  };
  const cpuStart = process.cpuUsage();
  const cpuRuns = 20_000;
  for (let k = 0; k < cpuRuns; k++) ours();
  const cpu = process.cpuUsage(cpuStart);
  const oursLat = latencies(ours);
  const baseLat = latencies(base);
  const single = workload.filter((w) => w.request.host !== undefined);
  const selectors = workload.filter((w) => w.request.selector !== undefined);
  let j = 0;
  const singleLat = latencies(() => {
    const w = single[j++ % single.length]!;
    sink += evaluate(policy, w.subject, w.request, inventory, now).reasons.length;
  });
  const selectorLat = latencies(() => {
    const w = selectors[j++ % selectors.length]!;
    sink += evaluate(policy, w.subject, w.request, inventory, now).hosts.length;
  });
  const avgHosts =
    selectors.reduce((n, w) => n + evaluate(policy, w.subject, w.request, inventory, now).hosts.length, 0) /
    selectors.length;
  ctx.figure('decisions/s (policy)', oursRate.perSecond, 'ops/s');
  ctx.figure('decisions/s (allow-all baseline)', baseRate.perSecond, 'ops/s');
  ctx.ratio('throughput policy / allow-all', oursRate.perSecond, baseRate.perSecond);
  for (const p of [50, 99, 99.9]) ctx.figure(`p${p} latency (policy)`, percentile(oursLat, p), 'ms');
  // CPU time is immune to the scheduler: on a busy machine the wall-clock tail is mostly preemption.
  ctx.figure('mean CPU time per decision (policy)', (cpu.user + cpu.system) / 1000 / cpuRuns, 'ms');
  ctx.figure('p99 latency (allow-all baseline)', percentile(baseLat, 99), 'ms');
  ctx.figure('p50 latency, one host', percentile(singleLat, 50), 'ms');
  ctx.figure('p99 latency, one host', percentile(singleLat, 99), 'ms');
  ctx.figure(
    `p50 latency, label selector (${avgHosts.toFixed(0)} hosts on average)`,
    percentile(selectorLat, 50),
    'ms',
  );
  ctx.figure('p99 latency, label selector', percentile(selectorLat, 99), 'ms');
  const p99 = percentile(oursLat, 99);
  ctx.note(`target p99 < 1 ms: ${p99 < 1 ? 'met' : 'NOT met'} (${p99.toFixed(4)} ms)`);
  if (sink < 0) ctx.note('unreachable');
};
