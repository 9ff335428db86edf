import type { Candidate } from '../grants';

/** Most targets listed in the menu. */
export const MENU_MAX = 50;

/** The menu text (CRLF line ends: the terminal is in raw mode). */
export function renderMenu(candidates: readonly Candidate[], now: number): string {
  const lines = ['', 'Breakglass: more than one target fits. Choose one:', ''];
  candidates.slice(0, MENU_MAX).forEach((c, i) => {
    const left = Math.max(0, Math.round((c.grant.endsAt - now) / 60_000));
    lines.push(
      `  ${String(i + 1).padStart(2)}) ${c.grant.login}@${c.host}   (grant ${c.grant.id}, ${left} min left)`,
    );
  });
  lines.push('', `Number (1-${Math.min(candidates.length, MENU_MAX)}), or q to quit: `);
  return lines.join('\r\n');
}

/** The candidate index a typed line chooses, `quit`, or null when it is not a valid answer. */
export function parseChoice(line: string, count: number): number | 'quit' | null {
  const t = line.trim();
  if (/^q(uit)?$/i.test(t)) return 'quit';
  if (!/^\d{1,3}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= Math.min(count, MENU_MAX) ? n - 1 : null;
}

/**
 * Line editing for the menu on a raw terminal: printable ASCII is echoed, Backspace/DEL
 * erase, Enter submits, Ctrl-C / Ctrl-D quit. Pure: returns what to echo and what happened.
 */
export class MenuLine {
  private text = '';

  feed(chunk: Buffer): { echo: string; submitted?: string; quit?: boolean; rest?: Buffer } {
    let echo = '';
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x03 || byte === 0x04) return { echo: `${echo}\r\n`, quit: true };
      if (byte === 0x0d || byte === 0x0a) {
        const submitted = this.text;
        this.text = '';
        // What was typed after Enter (a CR LF pair counts as one Enter) belongs to the session.
        const next = byte === 0x0d && chunk[i + 1] === 0x0a ? i + 2 : i + 1;
        return {
          echo: `${echo}\r\n`,
          submitted,
          ...(next < chunk.length ? { rest: chunk.subarray(next) } : {}),
        };
      }
      if ((byte === 0x7f || byte === 0x08) && this.text.length > 0) {
        this.text = this.text.slice(0, -1);
        echo += '\b \b';
      } else if (byte >= 0x20 && byte < 0x7f && this.text.length < 16) {
        this.text += String.fromCharCode(byte);
        echo += String.fromCharCode(byte);
      }
    }
    return { echo };
  }
}
