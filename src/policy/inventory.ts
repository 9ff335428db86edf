import { BreakglassError } from '../errors';
import { compilePattern, PatternError } from './patterns';
import type { Host } from './types';

/**
 * The host inventory with indexes: by name, and label key → value → host names, so
 * resolving a label selector touches the matching hosts only, not every host.
 */
export interface Inventory {
  readonly size: number;
  /** Label keys the policy may refer to (declared in hosts.yaml or carried by a host). */
  readonly labelKeys: ReadonlySet<string>;
  get(name: string): Host | undefined;
  hosts(): IterableIterator<Host>;
  /** Host names whose labels match the selector (literal, glob, `^…$`), sorted; throws POLICY_BAD_REQUEST for a bad pattern. */
  select(
    selector: Readonly<Record<string, string>>,
    limits: { maxRegexLength: number; maxInput: number },
  ): string[];
  /** Whether some host carries label `key` with exactly `value`. */
  hasLabelValue(key: string, value: string): boolean;
}

const EMPTY: ReadonlySet<string> = new Set();

export function createInventory(hosts: readonly Host[], labelKeys: readonly string[] = []): Inventory {
  const byName = new Map<string, Host>();
  const byLabel = new Map<string, Map<string, Set<string>>>();
  const keys = new Set(labelKeys);
  for (const host of hosts) {
    if (byName.has(host.name))
      throw new BreakglassError(
        'POLICY_DUPLICATE_NAME',
        `host ${host.name} is listed twice (accepted: unique host names)`,
      );
    byName.set(host.name, host);
    for (const [key, value] of Object.entries(host.labels)) {
      keys.add(key);
      let values = byLabel.get(key);
      if (!values) byLabel.set(key, (values = new Map()));
      let names = values.get(value);
      if (!names) values.set(value, (names = new Set()));
      names.add(host.name);
    }
  }
  return {
    size: byName.size,
    labelKeys: keys,
    get: (name) => byName.get(name.toLowerCase()),
    hosts: () => byName.values(),
    hasLabelValue: (key, value) => byLabel.get(key)?.has(value) ?? false,
    select(selector, limits) {
      const sets: ReadonlySet<string>[] = [];
      for (const [key, source] of Object.entries(selector)) {
        let pattern;
        try {
          pattern = compilePattern(source, {
            maxRegexLength: limits.maxRegexLength,
            maxInput: limits.maxInput,
          });
        } catch (err) {
          const message = err instanceof PatternError ? err.message : String(err);
          throw new BreakglassError('POLICY_BAD_REQUEST', `selector ${key}: ${message}`);
        }
        const values = byLabel.get(key);
        if (pattern.kind === 'literal') {
          sets.push(values?.get(source) ?? EMPTY); // the index's own set: no copy
          continue;
        }
        const hit = new Set<string>();
        if (values)
          for (const [value, names] of values) if (pattern.test(value)) for (const n of names) hit.add(n);
        sets.push(hit);
      }
      if (sets.length === 0)
        throw new BreakglassError(
          'POLICY_BAD_REQUEST',
          'empty label selector (accepted: at least one label)',
        );
      sets.sort((a, b) => a.size - b.size);
      const [first, ...rest] = sets;
      return [...first!].filter((n) => rest.every((s) => s.has(n))).sort();
    },
  };
}

/** The inventory plus hosts registered at run time (which may not reuse a name). */
export function withHosts(base: Inventory, extra: readonly Host[]): Inventory {
  return createInventory([...base.hosts(), ...extra], [...base.labelKeys]);
}
