import {
  parsePolicyFiles,
  type LoadedPolicy,
  type LoadResult,
  type PolicyLimits,
  type Subject,
} from '../../../src/policy';

/** Standard inventory for evaluator tests. */
export const HOSTS_YAML = `
label_keys: [env, role, team]
hosts:
  - { name: demo, address: 127.0.0.1, port: 2200, labels: { env: dev, role: demo }, trust: { host_ca: true } }
  - { name: web-1, address: 192.0.2.11, labels: { env: prod, role: web, team: shop }, trust: { host_ca: true }, immutable: true }
  - { name: web-2, address: 192.0.2.12, labels: { env: prod, role: web, team: shop }, trust: { host_ca: true } }
  - { name: db-1, address: 192.0.2.21, labels: { env: prod, role: db, team: data }, trust: { host_ca: true } }
  - { name: stage-1, address: 192.0.2.31, labels: { env: staging, role: web }, trust: { host_ca: true } }
`;

/** Parses in-memory files (`{ 'roles.yaml': text }`); hosts.yaml defaults to HOSTS_YAML. */
export function parse(files: Record<string, string>, limits: Partial<PolicyLimits> = {}): LoadResult {
  const all = { 'hosts.yaml': HOSTS_YAML, ...files };
  return parsePolicyFiles(
    Object.entries(all).map(([file, text]) => ({ file, bytes: Buffer.from(text, 'utf8') })),
    limits,
  );
}

/** Parses and fails the test with every problem when the policy is refused. */
export function load(files: Record<string, string>, limits: Partial<PolicyLimits> = {}): LoadedPolicy {
  const r = parse(files, limits);
  if (!r.ok)
    throw new Error(
      `policy refused:\n${r.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n')}`,
    );
  return r;
}

/** Problems as `file:line:col CODE` strings, for exact location assertions. */
export function located(r: LoadResult): string[] {
  if (r.ok) return [];
  return r.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.code}`);
}

export function subject(email: string, groups: string[] = [], extra: Partial<Subject> = {}): Subject {
  return { sub: `sub-${email}`, email, groups, amr: ['pwd'], claims: {}, ...extra };
}

export const NOW = Date.UTC(2026, 0, 1);
export const HOUR = 3_600_000;
