/**
 * Whether ssh2's compiled crypto addon loaded (it roughly doubles gateway throughput).
 * ssh2 falls back to pure JavaScript silently; we say so in the logs and metrics.
 */
export function sshNativeCryptoLoaded(): boolean {
  try {
    require.resolve('ssh2');
    // The addon is what ssh2 itself tries to load at start-up; a native module needs require().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node');
    return true;
  } catch {
    return false;
  }
}
