import { BreakglassError } from '../../errors';
import type { Scan } from './frame';

/** What opening the embedded store found and repaired; exposed as `store.recovered`. */
export interface RecoveryReport {
  /** Incomplete last frames (never acknowledged writes) that were cut off. */
  readonly tornTails: ReadonlyArray<TornTail>;
  /** A lock file left by a process that no longer runs, taken over. */
  readonly staleLock: { pid: number; host: string } | null;
  /** Whether a snapshot was loaded, and how many write-ahead-log operations were replayed on top. */
  readonly snapshotLoaded: boolean;
  readonly replayedOps: number;
  /** Logs found, with their number of entries. */
  readonly logs: Readonly<Record<string, number>>;
}

export interface TornTail {
  readonly file: string;
  /** Where the good data ends; everything from here on was dropped. */
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

export interface MutableReport {
  tornTails: TornTail[];
  staleLock: { pid: number; host: string } | null;
  snapshotLoaded: boolean;
  replayedOps: number;
  logs: Record<string, number>;
}

export function emptyReport(): MutableReport {
  return { tornTails: [], staleLock: null, snapshotLoaded: false, replayedOps: 0, logs: {} };
}

export function corrupt(file: string, offset: number, what: string): BreakglassError {
  return new BreakglassError(
    'STORE_CORRUPT',
    `${file} is damaged at offset ${offset}: ${what}. This is not what a crash leaves behind; restore the data directory from a backup (or move the file away to start without it)`,
    { details: { file, offset } },
  );
}

/**
 * Applies the torn-tail rule to a scanned file: corruption always fails; a torn tail is
 * acceptable only in the file that was being written last, and is recorded.
 */
export function checkScanEnd(
  file: string,
  scan: Scan,
  size: number,
  isLast: boolean,
  report: MutableReport,
): void {
  const end = scan.end;
  if (end.kind === 'clean') return;
  if (end.kind === 'corrupt') throw corrupt(file, end.offset, end.reason);
  if (!isLast) throw corrupt(file, end.offset, `${end.reason} in a file that is not the newest one`);
  report.tornTails.push({ file, offset: end.offset, droppedBytes: size - end.offset, reason: end.reason });
}
