/**
 * Vetting of policy regexes before they are compiled. JavaScript regexes backtrack,
 * so a pattern such as `^(a+)+$` takes exponential time on a near-miss input. We
 * refuse the constructs that cause that (a repeated group that itself contains a
 * quantifier or an alternation, backreferences) and allow at most
 * MAX_WIDE_QUANTIFIERS unbounded quantifiers, which keeps the polynomial cost of
 * patterns like `^.*a.*b$` small on the length-bounded inputs matching uses.
 */

export const MAX_WIDE_QUANTIFIERS = 3;
/** A `{n,m}` quantifier with m above this counts as unbounded. */
const WIDE_REPEAT = 16;

export interface RegexVerdict {
  readonly ok: boolean;
  /** Why it is refused (with what is accepted), when not ok. */
  readonly problem?: string;
}

interface GroupState {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

interface Quantifier {
  readonly length: number;
  readonly max: number;
}

/** Reads a quantifier at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally lazy). */
function readQuantifier(src: string, i: number): Quantifier | null {
  const c = src[i];
  let length = 0;
  let max = 1;
  if (c === '*' || c === '+') {
    length = 1;
    max = Infinity;
  } else if (c === '?') {
    length = 1;
    max = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 24));
    if (!m) return null;
    length = m[0].length;
    max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
  } else {
    return null;
  }
  if (src[i + length] === '?') length++;
  return { length, max };
}

/** Checks a regex source (without flags) for the constructs described above. */
export function vetRegex(src: string): RegexVerdict {
  const stack: GroupState[] = [{ hasQuantifier: false, hasAlternation: false }];
  let wide = 0;
  let i = 0;
  const refuse = (problem: string): RegexVerdict => ({ ok: false, problem });
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && src[i + 2] === '<')) {
        return refuse('backreferences are not accepted (accepted: patterns without \\1…\\9 or \\k<name>)');
      }
      i += 2;
      if ((next === 'p' || next === 'P' || next === 'u') && src[i] === '{') {
        const end = src.indexOf('}', i);
        i = end < 0 ? src.length : end + 1;
      }
    } else if (c === '[') {
      i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      stack.push({ hasQuantifier: false, hasAlternation: false });
      i++;
      continue; // a following `?` belongs to the group syntax, not a quantifier
    } else if (c === ')') {
      const group = stack.pop();
      const parent = stack[stack.length - 1];
      if (!group || !parent) return refuse('unbalanced parenthesis');
      i++;
      const q = readQuantifier(src, i);
      if (q) {
        if (q.max > 1 && (group.hasQuantifier || group.hasAlternation)) {
          return refuse(
            'a repeated group contains a quantifier or an alternation, which can take exponential time (accepted: e.g. `^[a-z0-9-]+$` instead of `^([a-z]+-?)+$`)',
          );
        }
        if (q.max > WIDE_REPEAT) wide++;
        i += q.length;
      }
      parent.hasQuantifier ||= group.hasQuantifier || q !== null;
      parent.hasAlternation ||= group.hasAlternation;
      continue;
    } else if (c === '|') {
      stack[stack.length - 1]!.hasAlternation = true;
      i++;
      continue;
    } else {
      i++;
    }
    // after an atom: an optional quantifier applies to it
    const q = readQuantifier(src, i);
    if (q) {
      stack[stack.length - 1]!.hasQuantifier = true;
      if (q.max > WIDE_REPEAT) wide++;
      i += q.length;
    }
  }
  if (stack.length !== 1) return refuse('unbalanced parenthesis');
  if (wide > MAX_WIDE_QUANTIFIERS) {
    return refuse(
      `more than ${MAX_WIDE_QUANTIFIERS} unbounded quantifiers (*, +, {n,}) (accepted: at most ${MAX_WIDE_QUANTIFIERS})`,
    );
  }
  return { ok: true };
}
