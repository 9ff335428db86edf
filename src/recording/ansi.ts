/**
 * Streaming removal of terminal control sequences, for text search over recorded output.
 * Keeps printable text, newlines and tabs; drops CSI (`ESC [ … final`), OSC (`ESC ] … BEL`
 * or `ESC \`), DCS/SOS/PM/APC strings (until `ESC \`), two- and three-byte escapes
 * (`ESC ( B`, `ESC 7`) and other C0/C1 controls. State carries across chunks, so a
 * sequence split between two events is still removed. CR LF becomes LF; a lone CR is dropped.
 */
type State = 'ground' | 'esc' | 'escIntermediate' | 'csi' | 'string' | 'stringEsc';

export class AnsiStripper {
  private state: State = 'ground';
  /** Whether the string being skipped is an OSC (which BEL also ends). */
  private osc = false;

  push(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case 'ground':
          if (c === 0x1b) this.state = 'esc';
          else if (c === 0x9b) this.state = 'csi';
          else if (c === 0x9d || c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f)
            this.enterString(c === 0x9d);
          else if (c === 0x0a || c === 0x09 || (c >= 0x20 && c !== 0x7f && (c < 0x80 || c > 0x9f)))
            out += text[i];
          break;
        case 'esc':
          if (c === 0x5b) this.state = 'csi';
          else if (c === 0x5d) this.enterString(true);
          else if (c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) this.enterString(false);
          else if (c >= 0x20 && c <= 0x2f) this.state = 'escIntermediate';
          else this.state = c === 0x1b ? 'esc' : 'ground';
          break;
        case 'escIntermediate':
          if (c < 0x20 || c > 0x2f) this.state = 'ground';
          break;
        case 'csi':
          if (c >= 0x40 && c <= 0x7e) this.state = 'ground';
          else if (c === 0x1b) this.state = 'esc';
          break;
        case 'string':
          if (c === 0x1b) this.state = 'stringEsc';
          else if (c === 0x9c || (this.osc && c === 0x07)) this.state = 'ground';
          break;
        case 'stringEsc':
          this.state = c === 0x5c ? 'ground' : c === 0x1b ? 'stringEsc' : 'string';
          break;
      }
    }
    return out;
  }

  private enterString(osc: boolean): void {
    this.state = 'string';
    this.osc = osc;
  }
}
