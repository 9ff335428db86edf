import { vetRegex } from './regex-vet';

/**
 * Pattern syntax shared by every matcher (groups, emails, claims, host names, label
 * values):
 * - `^…$`: a regular expression (vetted, see regex-vet.ts), tested with the `u` flag;
 * - containing `*` or `?`: a glob (`*` any run of characters, `?` one character);
 * - anything else: a literal.
 */
export type PatternKind = 'literal' | 'glob' | 'regex';

export interface Pattern {
  readonly source: string;
  readonly kind: PatternKind;
  /** The literal (normalised) value, for indexes; only for literals. */
  readonly literal?: string;
  /** Inputs longer than `maxInput` never match (callers bound inputs beforehand). */
  test(input: string): boolean;
}

export interface PatternOptions {
  readonly maxRegexLength: number;
  readonly maxInput: number;
  /** Compare case-insensitively (emails, host names). */
  readonly ignoreCase?: boolean;
}

export type PatternProblemCode = 'POLICY_BAD_PATTERN' | 'POLICY_UNSAFE_REGEX';

export class PatternError extends Error {
  constructor(
    readonly code: PatternProblemCode,
    message: string,
  ) {
    super(message);
  }
}

export function patternKind(source: string): PatternKind {
  if (source.startsWith('^')) return 'regex';
  if (source.includes('*') || source.includes('?')) return 'glob';
  return 'literal';
}

/** Compiles a pattern or throws PatternError saying what is wrong and what is accepted. */
export function compilePattern(source: string, options: PatternOptions): Pattern {
  const { maxInput } = options;
  const fold = options.ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (source.length === 0)
    throw new PatternError(
      'POLICY_BAD_PATTERN',
      'empty pattern (accepted: a literal, a glob with * and ?, or ^…$)',
    );
  const kind = patternKind(source);
  if (kind === 'literal') {
    const literal = fold(source);
    return { source, kind, literal, test: (input) => input.length <= maxInput && fold(input) === literal };
  }
  if (kind === 'glob') {
    const glob = fold(source);
    const match = globMatcher(glob);
    return { source, kind, test: (input) => input.length <= maxInput && match(fold(input)) };
  }
  if (!source.endsWith('$') || source.length < 2) {
    throw new PatternError(
      'POLICY_BAD_PATTERN',
      `regex ${JSON.stringify(source)} must end with $ (accepted: ^…$, anchored at both ends)`,
    );
  }
  if (source.length > options.maxRegexLength) {
    throw new PatternError(
      'POLICY_BAD_PATTERN',
      `regex longer than ${options.maxRegexLength} characters (accepted: at most ${options.maxRegexLength})`,
    );
  }
  let re: RegExp;
  try {
    re = new RegExp(source, options.ignoreCase ? 'iu' : 'u');
  } catch (err) {
    throw new PatternError(
      'POLICY_BAD_PATTERN',
      `invalid regex ${JSON.stringify(source)}: ${(err as Error).message}`,
    );
  }
  const verdict = vetRegex(source);
  if (!verdict.ok)
    throw new PatternError(
      'POLICY_UNSAFE_REGEX',
      `regex ${JSON.stringify(source)} refused: ${verdict.problem}`,
    );
  return { source, kind, test: (input) => input.length <= maxInput && re.test(input) };
}

/** The cheapest test equivalent to `globMatch(glob, ·)`: common shapes become prefix, suffix or substring checks. */
export function globMatcher(glob: string): (input: string) => boolean {
  if (!glob.includes('?')) {
    const parts = glob.split('*');
    if (parts.length === 2) {
      const [head, tail] = parts as [string, string];
      return (s) => s.length >= head.length + tail.length && s.startsWith(head) && s.endsWith(tail);
    }
    if (parts.length === 3 && parts[0] === '' && parts[2] === '') {
      const mid = parts[1]!;
      return (s) => s.includes(mid);
    }
  }
  return (s) => globMatch(glob, s);
}

/**
 * Glob match without regexes: `*` matches any run, `?` one character. Greedy with one
 * backtrack point per star, so the cost is at most O(pattern × input).
 */
export function globMatch(glob: string, input: string): boolean {
  let g = 0;
  let s = 0;
  let starG = -1;
  let starS = 0;
  while (s < input.length) {
    const c = glob[g];
    if (c === '*') {
      starG = g++;
      starS = s;
    } else if (c !== undefined && (c === '?' || c === input[s])) {
      g++;
      s++;
    } else if (starG >= 0) {
      g = starG + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}
