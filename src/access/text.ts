import { z } from 'zod';

/**
 * Characters refused in free text (reasons, comments, tickets): C0 controls except
 * tab and newline, DEL and C1 controls, zero-width characters and joiners, bidi
 * embeddings, overrides and isolates (Trojan Source), the BOM, interlinear
 * annotation marks, line and paragraph separators. Lone surrogates are refused too.
 */
export const UNSAFE_TEXT_RE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

/** What is wrong with `text` as free text, or null. */
export function unsafeTextProblem(text: string): string | null {
  if (!text.isWellFormed()) return 'contains a lone surrogate (malformed UTF-16)';
  const m = UNSAFE_TEXT_RE.exec(text);
  if (m) {
    const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `contains U+${cp} (control, zero-width or bidi-override characters are refused)`;
  }
  return null;
}

/** A free-text field: at most `max` characters, trimmed, no control/zero-width/bidi characters. */
export function safeText(max: number) {
  return z
    .string()
    .max(max)
    .superRefine((v, ctx) => {
      const problem = unsafeTextProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; accepted: plain text` });
    })
    .transform((v) => v.trim());
}

/** Label keys and values, host names, tickets: a conservative character set. */
export const LABEL_KEY_RE = /^[a-z0-9][a-z0-9._/-]{0,62}$/;
export const LABEL_VALUE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Selector values may also be globs or anchored regexes (checked again by policy). */
export const SELECTOR_VALUE_RE = /^[\x21-\x7e]{1,128}$/;
export const HOST_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const TICKET_RE = /^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,127}$/;
/** Request and grant ids as this module makes them. */
export const ID_RE = /^r[0-9a-z]{8}-[A-Za-z0-9_-]{16}$/;
