import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import {
  checkpointSignatureProblem,
  createKeySigner,
  decodeCheckpoint,
  loadOrCreateAuditKey,
  parseCheckpointText,
  parsePublicKeys,
  type DecodedCheckpoint,
} from '../../../src/audit';
import { hasCode } from '../../../src/errors';
import { tmpDir } from '../../helpers/tmp';
import { keysOf, makeKeyPair } from './log-fixture';

let dir: ReturnType<typeof tmpDir>;
beforeEach(() => {
  dir = tmpDir('bg-audit-keys-');
});
afterEach(() => dir.cleanup());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('the audit key file', () => {
  it('is generated on first use with mode 0600 and its public JWK written beside it', async () => {
    const certs = join(dir.path, 'certs');
    const pair = loadOrCreateAuditKey({ certsDir: certs, keyFile: 'audit_key' });
    expect(statSync(join(certs, 'audit_key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(certs, 'audit_key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const pub = JSON.parse(readFileSync(join(certs, 'audit_key.pub'), 'utf8'));
    expect(pub).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: pair.publicJwk.x,
      kid: pair.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(pair.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: pub.x }));
    expect(readFileSync(join(certs, 'audit_key.pub'), 'utf8')).not.toMatch(/"d"/);
  });

  it('is read back, not replaced, on the next start (and by a second process starting at once)', () => {
    const a = loadOrCreateAuditKey({ certsDir: dir.path, keyFile: 'k' });
    const b = loadOrCreateAuditKey({ certsDir: dir.path, keyFile: 'k' });
    expect(b.kid).toBe(a.kid);
  });

  it('is refused with AUDIT_KEY when group or others can read it', () => {
    loadOrCreateAuditKey({ certsDir: dir.path, keyFile: 'k' });
    chmodSync(join(dir.path, 'k'), 0o640);
    expect(codeOf(() => loadOrCreateAuditKey({ certsDir: dir.path, keyFile: 'k' }))).toBe('AUDIT_KEY');
  });

  it.each([
    ['not a key', 'hello'],
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
        format: 'pem',
        type: 'pkcs8',
      }) as string,
    ],
  ])('is refused with AUDIT_KEY when it holds %s', (_name, content) => {
    writeFileSync(join(dir.path, 'k'), content, { mode: 0o600 });
    expect(codeOf(() => loadOrCreateAuditKey({ certsDir: dir.path, keyFile: 'k' }))).toBe('AUDIT_KEY');
  });
});

describe('public keys given to verify', () => {
  const pair = makeKeyPair();
  const other = makeKeyPair();

  it.each([
    ['a JWK', () => JSON.stringify(pair.publicJwk)],
    ['a JWK without kid', () => JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: pair.publicJwk.x })],
    ['a JWK set', () => JSON.stringify({ keys: [other.publicJwk, pair.publicJwk] })],
    ['a PEM public key', () => pair.publicKey.export({ format: 'pem', type: 'spki' }) as string],
  ])('reads %s and knows the key by its thumbprint', (_name, text) => {
    expect(parsePublicKeys(text()).has(pair.kid)).toBe(true);
  });

  it.each([
    ['garbage', 'nope'],
    ['a private JWK', JSON.stringify({ ...(makeKeyPair().privateKey.export({ format: 'jwk' }) as object) })],
    ['a private PEM', makeKeyPair().privateKey.export({ format: 'pem', type: 'pkcs8' }) as string],
    ['an EC JWK', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })],
    ['an empty set', JSON.stringify({ keys: [] })],
  ])('refuses %s with AUDIT_PUBKEY_INVALID', (_name, text) => {
    expect(codeOf(() => parsePublicKeys(text))).toBe('AUDIT_PUBKEY_INVALID');
  });
});

describe('checkpoint JWS', () => {
  const pair = makeKeyPair();
  const payload = { seq: 7, hash: 'ab'.repeat(32), time: '2026-01-01T00:00:07.000Z', log_id: 'prod' };
  let jws: string;
  let cp: DecodedCheckpoint;
  beforeAll(async () => {
    jws = await createKeySigner(pair).sign(payload);
    cp = decodeCheckpoint(jws) as DecodedCheckpoint;
  });

  it('decodes and verifies with the signing key only', () => {
    expect(cp.payload).toEqual(payload);
    expect(checkpointSignatureProblem(cp, keysOf(pair))).toBeNull();
    expect(checkpointSignatureProblem(cp, keysOf(makeKeyPair()))).toMatch(/not among the given public keys/);
  });

  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  it.each([
    ['two parts', () => 'a.b'],
    [
      'alg none',
      () =>
        `${b64({ alg: 'none', kid: 'k', typ: 'breakglass-audit-checkpoint' })}.${jws.split('.')[1]}.${jws.split('.')[2]}`,
    ],
    [
      'alg HS256',
      () =>
        `${b64({ alg: 'HS256', kid: 'k', typ: 'breakglass-audit-checkpoint' })}.${jws.split('.')[1]}.${jws.split('.')[2]}`,
    ],
    [
      'a crit header',
      () =>
        `${b64({ alg: 'EdDSA', kid: 'k', typ: 'breakglass-audit-checkpoint', crit: ['b64'], b64: false })}.${jws.split('.')[1]}.${jws.split('.')[2]}`,
    ],
    [
      'another typ',
      () => `${b64({ alg: 'EdDSA', kid: 'k', typ: 'JWT' })}.${jws.split('.')[1]}.${jws.split('.')[2]}`,
    ],
    [
      'an extra payload member',
      () => `${jws.split('.')[0]}.${b64({ ...payload, admin: true })}.${jws.split('.')[2]}`,
    ],
    ['a short signature', () => `${jws.split('.')[0]}.${jws.split('.')[1]}.AAAA`],
  ])('refuses %s', (_name, make) => {
    expect(typeof decodeCheckpoint(make())).toBe('string');
  });

  it('rejects a payload changed after signing', () => {
    const [h, , s] = jws.split('.');
    const forged = decodeCheckpoint(`${h}.${b64({ ...payload, seq: 8 })}.${s}`) as DecodedCheckpoint;
    expect(checkpointSignatureProblem(forged, keysOf(pair))).toMatch(/does not verify/);
  });

  it('reads a checkpoint file as a bare JWS or as exported JSON, and refuses anything else', () => {
    expect(parseCheckpointText(`${jws}\n`).payload).toEqual(payload);
    expect(parseCheckpointText(JSON.stringify({ ...payload, kid: pair.kid, jws })).payload).toEqual(payload);
    expect(
      hasCode(
        catchErr(() => parseCheckpointText('{"nope":1}')),
        'AUDIT_CHECKPOINT_INVALID',
      ),
    ).toBe(true);
    expect(
      hasCode(
        catchErr(() => parseCheckpointText('{')),
        'AUDIT_CHECKPOINT_INVALID',
      ),
    ).toBe(true);
  });
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
