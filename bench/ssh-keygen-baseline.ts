import { spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeOpensshPrivateKey, formatAuthorizedKey, type PublicKey } from '../src/ca';
import { systemRandom } from '../src/core';

export interface KeygenBaseline {
  caPrivateKey: KeyObject;
  userPublicKey: PublicKey;
  keyId: (serial: number) => string;
  principal: string;
  /** Extra `-O` options besides `clear` and `permit-pty` (e.g. `source-address=10.0.0.0/8`). */
  options?: string[];
  count: number;
}

/**
 * The baseline of the certificate benchmarks: `ssh-keygen -s` run once per
 * certificate, as a shell pipeline or a Vault-style wrapper would. Returns certificates/s.
 */
export function sshKeygenCertificatesPerSecond(b: KeygenBaseline): number {
  const dir = mkdtempSync(join(tmpdir(), 'bg-bench-keygen-'));
  try {
    const caPath = join(dir, 'ca');
    writeFileSync(caPath, encodeOpensshPrivateKey(b.caPrivateKey, { random: systemRandom }), { mode: 0o600 });
    const pubPath = join(dir, 'user.pub');
    writeFileSync(pubPath, `${formatAuthorizedKey(b.userPublicKey)}\n`);
    const options = ['clear', 'permit-pty', ...(b.options ?? [])].flatMap((o) => ['-O', o]);
    const start = process.hrtime.bigint();
    for (let i = 1; i <= b.count; i++) {
      const r = spawnSync('ssh-keygen', [
        '-q',
        '-s',
        caPath,
        '-I',
        b.keyId(i),
        '-n',
        b.principal,
        '-V',
        '-1m:+1h',
        '-z',
        String(i),
        ...options,
        pubPath,
      ]);
      if (r.status !== 0) throw new Error(`ssh-keygen -s failed: ${r.stderr?.toString()}`);
    }
    return b.count / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
