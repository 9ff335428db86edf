import { createKeyObjectSigner, type Signer } from '../../../src/ca/signer';
import { encodeCriticalOptions, flagOption, type CertificateFields } from '../../../src/ca/cert';
import type { PublicKey } from '../../../src/ca/keys';
import { fixturePrivateKey, fixturePublicKey } from '../../fixtures/ca/load';

/** 2026-01-01T00:00:00Z, the fake clock's default start. */
export const NOW = Date.UTC(2026, 0, 1);
export const NOW_S = BigInt(NOW / 1000);

export function fixtureSigner(name: string): Signer {
  return createKeyObjectSigner(fixturePrivateKey(name).privateKey);
}

/** A valid user certificate's fields (an hour from NOW - 60 s), overridable. */
export function userFields(
  overrides: Partial<CertificateFields> = {},
  key: PublicKey = fixturePublicKey('ed25519'),
): CertificateFields {
  return {
    certType: 'user',
    key,
    nonce: Buffer.alloc(32, 0xab),
    serial: 42n,
    keyId: 'alice@example.com req=r1',
    principals: ['alice', 'root'],
    validAfter: NOW_S - 60n,
    validBefore: NOW_S + 3600n,
    criticalOptions: encodeCriticalOptions({ forceCommand: 'uptime', sourceAddress: ['10.0.0.0/8'] }),
    extensions: [flagOption('permit-pty')],
    ...overrides,
  };
}

/** Returns the error code thrown by `fn` (or undefined when it returns). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded: ${String(err)}`;
  }
  return undefined;
}

export async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded: ${String(err)}`;
  }
  return undefined;
}
