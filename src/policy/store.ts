import { watch, type FSWatcher } from 'node:fs';
import { BreakglassError } from '../errors';
import type { Clock } from '../core';
import type { Logger } from '../logging';
import { evaluate } from './evaluate';
import type { PolicyLimits } from './limits';
import { loadPolicyDir, type LoadedPolicy } from './load';
import { formatProblem, policyInvalidError, type PolicyProblem } from './problems';
import { withHosts, type Inventory } from './inventory';
import type { AccessRequest, Decision, Host, Subject } from './types';

export interface PolicyReloadedEvent {
  readonly version: string;
  readonly previousVersion: string | null;
  readonly changed: boolean;
  readonly warnings: readonly PolicyProblem[];
}

export interface PolicyRefusedEvent {
  readonly problems: readonly PolicyProblem[];
  /** Version that stays active (null when none was ever loaded). */
  readonly keptVersion: string | null;
  /** What asked for the reload: `start`, `watch`, or the caller's label (e.g. `sighup`, `api`). */
  readonly trigger: string;
}

export type ReloadResult =
  | { ok: true; version: string; changed: boolean; warnings: readonly PolicyProblem[] }
  | { ok: false; problems: readonly PolicyProblem[]; keptVersion: string | null };

export interface PolicyStoreOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly limits?: Partial<PolicyLimits>;
  /** Reload when a file in `dir` changes (fs.watch, debounced). Default false. */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  readonly onReload?: (event: PolicyReloadedEvent) => void;
  /** Called for every refused reload (audit subscribes here). */
  readonly onRefused?: (event: PolicyRefusedEvent) => void;
}

export interface PolicyStore {
  /** First load; throws POLICY_INVALID when the directory is bad (start-up must fail closed). Starts watching if asked. */
  start(): Promise<LoadedPolicy>;
  /**
   * Reloads from disk (call it on SIGHUP and from the admin API). A bad policy is
   * refused: the last good one stays active, the problems are logged and returned,
   * and `onRefused` is called. Concurrent calls share one pending reload.
   */
  reload(trigger?: string): Promise<ReloadResult>;
  /** The active policy; throws POLICY_NOT_LOADED before a successful load. */
  current(): LoadedPolicy;
  readonly version: string | null;
  /** The file inventory plus the hosts registered at run time. */
  inventory(): Inventory;
  /**
   * Replaces the hosts registered at run time (the access layer's registry); they join
   * the inventory now and after every reload. Throws POLICY_DUPLICATE_NAME, changing
   * nothing, when a name is also in hosts.yaml or listed twice.
   */
  setRuntimeHosts(hosts: readonly Host[]): void;
  /** Evaluates against the active policy and inventory at the clock's now. */
  evaluate(subject: Subject, request: AccessRequest): Decision;
  /** Stops watching; pending timers are cleared. */
  close(): Promise<void>;
}

export function createPolicyStore(options: PolicyStoreOptions): PolicyStore {
  const { dir, logger, clock } = options;
  const debounceMs = options.debounceMs ?? 250;
  let active: LoadedPolicy | null = null;
  let runtimeHosts: readonly Host[] = [];
  let merged: Inventory | null = null;
  let running: Promise<ReloadResult> | null = null;
  let queued: Promise<ReloadResult> | null = null;
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function loadOnce(trigger: string): Promise<ReloadResult> {
    let result: Awaited<ReturnType<typeof loadPolicyDir>>;
    try {
      result = await loadPolicyDir(dir, options.limits);
    } catch (err) {
      // Not expected (content problems are returned, not thrown); fail closed all the same.
      const message = `unexpected failure while loading: ${err instanceof Error ? err.message : String(err)}`;
      result = {
        ok: false,
        problems: [{ file: dir, line: 0, col: 0, code: 'POLICY_DIR_UNREADABLE', message, severity: 'error' }],
      };
    }
    const keptVersion = active?.policy.version ?? null;
    if (!result.ok) {
      logger.error('policy refused; the last good policy stays active', {
        dir,
        trigger,
        keptVersion,
        problems: result.problems.map(formatProblem),
      });
      options.onRefused?.({ problems: result.problems, keptVersion, trigger });
      return { ok: false, problems: result.problems, keptVersion };
    }
    let inventory: Inventory;
    try {
      inventory = runtimeHosts.length > 0 ? withHosts(result.inventory, runtimeHosts) : result.inventory;
    } catch (err) {
      const message = `${(err as Error).message}: a host in hosts.yaml has the name of a host registered at run time`;
      const problems: PolicyProblem[] = [
        { file: dir, line: 0, col: 0, code: 'POLICY_DUPLICATE_NAME', message, severity: 'error' },
      ];
      logger.error('policy refused; the last good policy stays active', {
        dir,
        trigger,
        keptVersion,
        problems: problems.map(formatProblem),
      });
      options.onRefused?.({ problems, keptVersion, trigger });
      return { ok: false, problems, keptVersion };
    }
    const changed = keptVersion !== result.policy.version;
    active = result;
    merged = inventory;
    for (const w of result.warnings) logger.warn('policy warning', { dir, problem: formatProblem(w) });
    if (changed) {
      logger.info('policy loaded', {
        dir,
        trigger,
        version: result.policy.version,
        previousVersion: keptVersion,
        roles: result.policy.roles.length,
        hosts: result.inventory.size,
      });
    }
    options.onReload?.({
      version: result.policy.version,
      previousVersion: keptVersion,
      changed,
      warnings: result.warnings,
    });
    return { ok: true, version: result.policy.version, changed, warnings: result.warnings };
  }

  function reload(trigger = 'manual'): Promise<ReloadResult> {
    if (!running) {
      running = loadOnce(trigger).finally(() => {
        running = null;
      });
      return running;
    }
    // A change arrived while loading: load once more after the current one, shared by every caller.
    queued ??= running.then(
      () => {
        queued = null;
        return reload(trigger);
      },
      () => {
        queued = null;
        return reload(trigger);
      },
    );
    return queued;
  }

  function current(): LoadedPolicy {
    if (!active)
      throw new BreakglassError(
        'POLICY_NOT_LOADED',
        `no valid policy has been loaded from ${dir}; every request is denied`,
      );
    return active;
  }

  function startWatching(): void {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (closed || (filename !== null && !/\.ya?ml$/.test(String(filename)))) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void reload('watch');
      }, debounceMs);
    });
    watcher.on('error', (err) =>
      logger.error('policy directory watch failed; reload with SIGHUP or the admin API', { dir, error: err }),
    );
  }

  return {
    async start() {
      const r = await reload('start');
      if (!r.ok) throw policyInvalidError(r.problems);
      if (options.watch && !watcher && !closed) startWatching();
      return active!;
    },
    reload,
    current() {
      if (!active)
        throw new BreakglassError(
          'POLICY_NOT_LOADED',
          `no valid policy has been loaded from ${dir}; every request is denied`,
        );
      return active;
    },
    get version() {
      return active?.policy.version ?? null;
    },
    inventory() {
      current();
      return merged!;
    },
    setRuntimeHosts(hosts) {
      const base = current().inventory;
      merged = hosts.length > 0 ? withHosts(base, hosts) : base; // throws before anything changes
      runtimeHosts = [...hosts];
    },
    evaluate(subject, request) {
      const p = current();
      return evaluate(p.policy, subject, request, merged!, clock.now());
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      watcher?.close();
      watcher = null;
      if (running) await running.catch(() => undefined);
    },
  };
}
