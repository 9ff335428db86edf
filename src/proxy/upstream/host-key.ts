import { createHash } from 'node:crypto';
import { BreakglassError } from '../../errors';
import { WireCursor } from './ssh-wire';

/** The answer for one presented host key. */
export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Decides whether the host key a target presents during key exchange is the right one.
 * Gets the raw SSH host key blob. Must never trust on first use.
 */
export type HostKeyVerifier = (hostKey: Buffer) => HostKeyVerdict;

const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a host key blob (for messages), or `unknown`. */
function blobType(blob: Buffer): string {
  const type = new WireCursor(blob).next();
  return type && type.length <= 64 ? type.toString('latin1') : 'unknown';
}

/**
 * Accepts exactly the host keys whose SHA-256 fingerprints are listed (from the host
 * inventory, as printed by `ssh-keygen -lf`). An empty list accepts nothing.
 */
export function createPinnedHostKeyVerifier(fingerprints: readonly string[]): HostKeyVerifier {
  for (const fp of fingerprints) {
    if (!FINGERPRINT_RE.test(fp)) {
      throw new BreakglassError(
        'PROXY_INVALID_HOST_KEY_PIN',
        `host key pin ${JSON.stringify(fp.slice(0, 80))} is not "SHA256:" followed by 43 base64 characters`,
        {
          details: { pin: fp.slice(0, 80) },
        },
      );
    }
  }
  const pins = new Set(fingerprints);
  return (hostKey) => {
    const fp = sha256Fingerprint(hostKey);
    if (pins.has(fp)) return { ok: true };
    return { ok: false, reason: `host key ${blobType(hostKey)} ${fp} is not pinned for this host` };
  };
}
