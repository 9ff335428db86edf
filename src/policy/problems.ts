import { BreakglassError, type ErrorCode } from '../errors';

/** One located problem in a policy directory (`file:line:column: message`). */
export interface PolicyProblem {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file or directory. */
  readonly line: number;
  readonly col: number;
  readonly code: ErrorCode;
  readonly message: string;
  /** Warnings are printed but do not refuse the policy. */
  readonly severity: 'error' | 'warning';
}

export function formatProblem(p: PolicyProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  return `${where}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message} [${p.code}]`;
}

/** Sorted by file, then position, so output is stable whatever order files were read in. */
export function sortProblems(problems: readonly PolicyProblem[]): PolicyProblem[] {
  return [...problems].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col,
  );
}

/** The error thrown when a policy set is refused: every problem listed, located. */
export function policyInvalidError(problems: readonly PolicyProblem[]): BreakglassError {
  const errors = problems.filter((p) => p.severity === 'error');
  const lines = errors.map(formatProblem);
  return new BreakglassError(
    'POLICY_INVALID',
    `policy refused (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    {
      details: { problems: errors },
    },
  );
}
