import type { z } from 'zod';
import { compileDeny, compileRole, type Entry, type Path } from './compile-rules';
import type { CompiledDeny, CompiledPolicy, CompiledRole } from './compiled';
import { sha256Version } from './hash';
import { hostFromDoc } from './host-input';
import { createInventory, type Inventory } from './inventory';
import type { PolicyLimits } from './limits';
import type { PolicyProblem } from './problems';
import { createRuleIndex } from './rule-index';
import {
  denySchema,
  hostsFileSchema,
  roleSchema,
  rolesFileSchema,
  type DenyDoc,
  type HostsFileDoc,
  type RoleDoc,
} from './schema';
import type { Host } from './types';
import type { YamlSource } from './yaml-source';
import { formatPath, issuesToProblems } from './zod-problems';

export interface PolicySources {
  /** Files holding `roles:` and `deny:`. */
  readonly roleFiles: readonly YamlSource[];
  /** `hosts.yaml`, when present. */
  readonly hosts?: YamlSource;
}

export type CompileResult =
  | { ok: true; policy: CompiledPolicy; inventory: Inventory; warnings: PolicyProblem[] }
  | { ok: false; problems: PolicyProblem[] };

/** Validates every document, checks cross-references, and compiles matchers; collects every problem. */
export function compileSources(sources: PolicySources, limits: PolicyLimits): CompileResult {
  const problems: PolicyProblem[] = [];
  const at = (
    source: YamlSource,
    path: Path,
    code: PolicyProblem['code'],
    message: string,
    severity: PolicyProblem['severity'] = 'error',
    key = false,
  ) => {
    const { line, col } = source.locate(path, key);
    problems.push({
      file: source.file,
      line,
      col,
      code,
      message: path.length > 0 ? `${formatPath(path)}: ${message}` : message,
      severity,
    });
  };
  const validate = <S extends z.ZodType>(
    source: YamlSource,
    schema: S,
    value: unknown = source.value,
    prefix: Path = [],
  ): z.output<S> | null => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    problems.push(...issuesToProblems(source, r.error.issues, schema, prefix));
    return null;
  };

  // Inventory
  let hostsDoc: HostsFileDoc = { label_keys: [], hosts: [] };
  if (sources.hosts) hostsDoc = validate(sources.hosts, hostsFileSchema) ?? hostsDoc;
  const hosts: Host[] = [];
  const hostSeen = new Map<string, number>();
  hostsDoc.hosts.forEach((h, i) => {
    if (hostSeen.has(h.name)) {
      at(
        sources.hosts!,
        ['hosts', i, 'name'],
        'POLICY_DUPLICATE_NAME',
        `host ${h.name} is listed twice (also hosts[${hostSeen.get(h.name)}])`,
      );
      return;
    }
    hostSeen.set(h.name, i);
    hosts.push(hostFromDoc(h));
  });
  const inventory = createInventory(hosts, hostsDoc.label_keys);

  // Roles and deny rules, in file-name order so problems and duplicates are reported stably.
  const files = [...sources.roleFiles].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const roles: Entry<RoleDoc>[] = [];
  const denies: Entry<DenyDoc>[] = [];
  for (const source of files) {
    const doc = validate(source, rolesFileSchema);
    if (!doc) continue;
    doc.roles.forEach((value, i) => {
      const r = validate(source, roleSchema, value, ['roles', i]);
      if (r) roles.push({ source, path: ['roles', i], doc: r });
    });
    doc.deny.forEach((value, i) => {
      const d = validate(source, denySchema, value, ['deny', i]);
      if (d) denies.push({ source, path: ['deny', i], doc: d });
    });
  }
  const names = new Map<string, Entry<unknown>>();
  for (const e of [...roles, ...denies] as Entry<RoleDoc | DenyDoc>[]) {
    const first = names.get(e.doc.name);
    if (first) {
      const p = first.source.locate([...first.path, 'name']);
      at(
        e.source,
        [...e.path, 'name'],
        'POLICY_DUPLICATE_NAME',
        `name ${e.doc.name} is already used at ${first.source.file}:${p.line}:${p.col} (accepted: unique role and deny rule names)`,
      );
    } else names.set(e.doc.name, e);
  }
  const roleNames = new Set(roles.map((r) => r.doc.name));

  const ctx = { limits, inventory, at };
  const compiledRoles = roles.map((e) => compileRole(e, ctx, roleNames));
  const compiledDenies = denies.map((e) => compileDeny(e, ctx));
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) return { ok: false, problems };

  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const sortedRoles = (compiledRoles as CompiledRole[]).sort(byName).map((r, order) => ({ ...r, order }));
  const sortedDenies = (compiledDenies as CompiledDeny[]).sort(byName).map((r, order) => ({ ...r, order }));
  const version = sha256Version({
    roles: roles.map((e) => e.doc).sort(byName),
    deny: denies.map((e) => e.doc).sort(byName),
    hosts: [...hostsDoc.hosts].sort(byName),
    label_keys: [...new Set(hostsDoc.label_keys)].sort(),
  });
  const policy: CompiledPolicy = {
    version,
    roles: sortedRoles,
    denies: sortedDenies,
    roleByName: new Map(sortedRoles.map((r) => [r.name, r])),
    roleIndex: createRuleIndex(sortedRoles),
    denyIndex: createRuleIndex(sortedDenies),
    limits,
  };
  return { ok: true, policy, inventory, warnings: problems };
}
