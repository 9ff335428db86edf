/**
 * Follows what the user types to notice commands: printable characters build a line,
 * Backspace/DEL take one back, Ctrl-U and Ctrl-C clear it, escape sequences (arrows,
 * function keys, bracketed-paste brackets) are skipped, and Enter (CR or LF) ends it.
 * Pure and approximate by nature: the shell's own line editing (history, completion) is
 * not visible from the input stream, so the label is a hint for reviewers, the output is
 * the record.
 */
export const MAX_COMMAND_LABEL = 200;

export class InputLineTracker {
  private line = '';
  private state: 'ground' | 'esc' | 'csi' | 'ss3' = 'ground';

  /** Feeds typed text; returns the lines completed by Enter in it (non-empty ones only). */
  feed(text: string): string[] {
    const done: string[] = [];
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      switch (this.state) {
        case 'esc':
          this.state = ch === '[' ? 'csi' : ch === 'O' ? 'ss3' : 'ground';
          continue;
        case 'csi':
          if (code >= 0x40 && code <= 0x7e) this.state = 'ground';
          continue;
        case 'ss3':
          this.state = 'ground';
          continue;
        default:
          break;
      }
      if (ch === '\r' || ch === '\n') {
        const command = this.line.trim();
        if (command.length > 0) done.push(command);
        this.line = '';
      } else if (code === 0x1b) {
        this.state = 'esc';
      } else if (code === 0x7f || code === 0x08) {
        this.line = Array.from(this.line).slice(0, -1).join('');
      } else if (code === 0x15 || code === 0x03) {
        this.line = '';
      } else if (code >= 0x20 && this.line.length < MAX_COMMAND_LABEL) {
        this.line += ch;
      }
    }
    return done;
  }
}
