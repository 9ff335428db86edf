/** Whether `text` contains C0 control characters or DEL. */
export function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Replaces C0 control characters and DEL with `replacement`. */
export function replaceControlChars(text: string, replacement = ' '): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? replacement : ch;
  }
  return out;
}
