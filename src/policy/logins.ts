import type { Subject } from './types';

/**
 * Logins are Unix account names. Anything that reaches a certificate principal or a
 * remote account must match SAFE_LOGIN_RE: a lower-case letter or underscore, then
 * up to 31 of lower-case letters, digits, `_`, `.`, `-` (no `@`, commas, spaces,
 * wildcards or control characters).
 */
export const SAFE_LOGIN_RE = /^[a-z_][a-z0-9_.-]{0,31}$/;

export function isSafeLogin(login: string): boolean {
  return SAFE_LOGIN_RE.test(login);
}

type Part = { readonly text: string } | { readonly variable: string };

/** A login as written in a role: a literal, or a template such as `{{email.local}}` or `adm-{{claims.uid}}`. */
export interface LoginTemplate {
  readonly source: string;
  readonly isTemplate: boolean;
  /** The rendered login, or null when a variable is missing or the result is not safe. */
  render(subject: Subject): string | null;
}

const VARIABLE_RE = /^(email\.local|sub|claims\.[A-Za-z0-9_:./-]{1,128})$/;
const LITERAL_PART_RE = /^[a-z0-9_.-]*$/;

/** Parses a login or template; throws Error with a message saying what is accepted. */
export function parseLogin(source: string): LoginTemplate {
  if (!source.includes('{{')) {
    if (!isSafeLogin(source)) {
      throw new Error(
        `login ${JSON.stringify(source)} is not a safe account name (accepted: ${SAFE_LOGIN_RE.source})`,
      );
    }
    return { source, isTemplate: false, render: () => source };
  }
  const parts: Part[] = [];
  let rest = source;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      parts.push({ text: rest });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open) });
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new Error(`login template ${JSON.stringify(source)} has {{ without }}`);
    const variable = rest.slice(open + 2, close).trim();
    if (!VARIABLE_RE.test(variable)) {
      throw new Error(
        `login template variable ${JSON.stringify(variable)} is unknown (accepted: {{email.local}}, {{sub}}, {{claims.NAME}})`,
      );
    }
    parts.push({ variable });
    rest = rest.slice(close + 2);
  }
  for (const p of parts) {
    if ('text' in p && !LITERAL_PART_RE.test(p.text)) {
      throw new Error(
        `login template ${JSON.stringify(source)} has unsafe text ${JSON.stringify(p.text)} (accepted: a-z 0-9 _ . -)`,
      );
    }
  }
  const first = parts[0]!;
  if ('text' in first && !/^[a-z_]/.test(first.text)) {
    throw new Error(`login template ${JSON.stringify(source)} must start with a letter, _ or a variable`);
  }
  return {
    source,
    isTemplate: true,
    render: (subject) => {
      let out = '';
      for (const p of parts) {
        if ('text' in p) {
          out += p.text;
          continue;
        }
        const value = variableValue(p.variable, subject);
        if (value === null) return null;
        out += value;
      }
      return isSafeLogin(out) ? out : null;
    },
  };
}

function variableValue(variable: string, subject: Subject): string | null {
  if (variable === 'email.local') {
    const at = subject.email.lastIndexOf('@');
    return at > 0 ? subject.email.slice(0, at).toLowerCase() : null;
  }
  if (variable === 'sub') return subject.sub;
  const value = Object.prototype.hasOwnProperty.call(subject.claims, variable.slice(7))
    ? subject.claims[variable.slice(7)]
    : undefined;
  return typeof value === 'string' ? value : null;
}
