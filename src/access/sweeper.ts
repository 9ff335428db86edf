import type { Logger } from '../logging';

export interface Sweeper {
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs` on this replica, never two at once. Every replica
 * runs one: the work is idempotent (compare-and-set on each record), so replicas
 * that race simply find the work done.
 */
export function createSweeper(deps: {
  intervalMs: number;
  run: () => Promise<unknown>;
  logger: Logger;
}): Sweeper {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = deps
      .run()
      .catch((err: unknown) =>
        deps.logger.error('access sweep failed; retrying at the next interval', { err }),
      )
      .finally(() => {
        running = null;
      });
  }, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
