import { createDecipheriv, createPrivateKey, type KeyObject } from 'node:crypto';
import { caError, malformed } from '../errors';
import { SshReader, SshWriter } from '../wire';
import { bcryptPbkdf } from './bcrypt';
import {
  ECDSA_CURVES,
  isEcdsaType,
  isKeyType,
  makePublicKey,
  parsePublicKeyBlob,
  publicKeyFromKeyObject,
  refuseKeyType,
  type PublicKey,
} from './public-key';
import type { Random } from '../../core';

export interface PrivateKeyInfo {
  readonly privateKey: KeyObject;
  readonly publicKey: PublicKey;
  readonly comment: string;
}

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
const WHAT = 'private key';

const CIPHERS: Record<string, { node: string; keyLen: number; ivLen: number; block: number }> = {
  'aes256-ctr': { node: 'aes-256-ctr', keyLen: 32, ivLen: 16, block: 16 },
  'aes192-ctr': { node: 'aes-192-ctr', keyLen: 24, ivLen: 16, block: 16 },
  'aes128-ctr': { node: 'aes-128-ctr', keyLen: 16, ivLen: 16, block: 16 },
  'aes256-cbc': { node: 'aes-256-cbc', keyLen: 32, ivLen: 16, block: 16 },
};

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

function leftPad(b: Buffer, size: number): Buffer {
  if (b.length >= size) return b;
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}

function toBig(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

function fromBig(v: bigint): Buffer {
  const hex = v.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

/** Extracts the base64 body of an armored OpenSSH private key. */
function dearmor(text: string): Buffer {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw caError('CA_FILE_UNREADABLE', `${WHAT}: no "${BEGIN}" block`);
  const body = text.slice(start + BEGIN.length, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body))
    throw caError('CA_MALFORMED', `${WHAT}: the armored body is not base64`);
  return Buffer.from(body, 'base64');
}

/** Parses an `openssh-key-v1` private key (unencrypted, or bcrypt + AES encrypted with `passphrase`). */
export function parseOpensshPrivateKey(text: string, passphrase?: string): PrivateKeyInfo {
  const data = dearmor(text);
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC))
    throw malformed(WHAT, 'missing openssh-key-v1 magic');
  const r = new SshReader(data.subarray(MAGIC.length), WHAT);
  const cipherName = r.text('cipher name', 64);
  const kdfName = r.text('kdf name', 64);
  const kdfOptions = r.string('kdf options', 1024);
  const count = r.uint32('number of keys');
  if (count !== 1) throw malformed(WHAT, `holds ${count} keys, accepted: exactly 1`);
  const publicBlob = r.string('public key');
  const encrypted = r.string('private section');
  r.end();

  let section: Buffer;
  if (cipherName === 'none') {
    if (kdfName !== 'none' || kdfOptions.length !== 0) throw malformed(WHAT, 'unencrypted key with a kdf');
    section = encrypted;
    if (section.length % 8 !== 0) throw malformed(WHAT, 'private section is not a multiple of 8 bytes');
  } else {
    const cipher = CIPHERS[cipherName];
    if (!cipher)
      throw caError(
        'CA_KEY_REFUSED',
        `${WHAT}: cipher ${JSON.stringify(cipherName)} is not supported (accepted: none, ${Object.keys(CIPHERS).join(', ')})`,
      );
    if (kdfName !== 'bcrypt')
      throw caError(
        'CA_KEY_REFUSED',
        `${WHAT}: kdf ${JSON.stringify(kdfName)} is not supported (accepted: bcrypt)`,
      );
    if (passphrase === undefined || passphrase === '')
      throw caError('CA_PASSPHRASE', `${WHAT}: is encrypted; a passphrase is required`);
    const kr = new SshReader(kdfOptions, 'bcrypt options');
    const salt = kr.string('salt', 64);
    const rounds = kr.uint32('rounds');
    kr.end();
    if (encrypted.length % cipher.block !== 0)
      throw malformed(WHAT, `encrypted section is not a multiple of ${cipher.block} bytes`);
    const derived = bcryptPbkdf(Buffer.from(passphrase, 'utf8'), salt, cipher.keyLen + cipher.ivLen, rounds);
    const decipher = createDecipheriv(
      cipher.node,
      derived.subarray(0, cipher.keyLen),
      derived.subarray(cipher.keyLen),
    );
    decipher.setAutoPadding(false);
    section = Buffer.concat([decipher.update(encrypted), decipher.final()]);
  }

  const s = new SshReader(section, WHAT);
  const check1 = s.uint32('check');
  const check2 = s.uint32('check');
  if (check1 !== check2) {
    if (cipherName !== 'none') throw caError('CA_PASSPHRASE', `${WHAT}: wrong passphrase`);
    throw malformed(WHAT, 'check values differ');
  }
  const type = s.text('key type', 64);
  if (!isKeyType(type)) refuseKeyType(type);
  const { privateKey, publicKey } = readPrivateFields(s, type);
  const comment = s.text('comment', 4096);
  for (let i = 1; s.remaining > 0; i++) {
    if (s.byte('padding') !== (i & 0xff)) throw malformed(WHAT, 'bad padding');
  }
  const declared = parsePublicKeyBlob(publicBlob, WHAT);
  if (!declared.blob.equals(publicKey.blob))
    throw malformed(WHAT, 'public key does not match the private key');
  return { privateKey, publicKey, comment };
}

function readPrivateFields(s: SshReader, type: string): { privateKey: KeyObject; publicKey: PublicKey } {
  if (type === 'ssh-ed25519') {
    const pk = s.string('ed25519 public key');
    const sk = s.string('ed25519 private key');
    if (pk.length !== 32 || sk.length !== 64 || !sk.subarray(32).equals(pk))
      throw malformed(WHAT, 'ed25519 key has wrong sizes or halves that do not match');
    const privateKey = importJwk({
      kty: 'OKP',
      crv: 'Ed25519',
      d: b64url(sk.subarray(0, 32)),
      x: b64url(pk),
    });
    return { privateKey, publicKey: makePublicKey({ type, pk: Buffer.from(pk) }) };
  }
  if (isEcdsaType(type)) {
    const spec = ECDSA_CURVES[type];
    const curve = s.text('curve', 32);
    const q = s.string('ecdsa public point');
    const d = s.mpint('ecdsa private scalar', spec.size + 1);
    if (curve !== spec.curve || q.length !== 1 + 2 * spec.size || q[0] !== 4 || d.length > spec.size)
      throw malformed(WHAT, `bad ${type} fields`);
    const privateKey = importJwk({
      kty: 'EC',
      crv: spec.jwk,
      d: b64url(leftPad(d, spec.size)),
      x: b64url(q.subarray(1, 1 + spec.size)),
      y: b64url(q.subarray(1 + spec.size)),
    });
    return { privateKey, publicKey: makePublicKey({ type, q: Buffer.from(q) }) };
  }
  // ssh-rsa: n, e, d, iqmp, p, q
  const n = s.mpint('rsa n');
  const e = s.mpint('rsa e');
  const d = s.mpint('rsa d');
  const iqmp = s.mpint('rsa iqmp');
  const p = s.mpint('rsa p');
  const q = s.mpint('rsa q');
  const [bd, bp, bq] = [toBig(d), toBig(p), toBig(q)];
  if (bp < 3n || bq < 3n) throw malformed(WHAT, 'rsa primes missing');
  const privateKey = importJwk({
    kty: 'RSA',
    n: b64url(n),
    e: b64url(e),
    d: b64url(d),
    p: b64url(p),
    q: b64url(q),
    dp: b64url(fromBig(bd % (bp - 1n))),
    dq: b64url(fromBig(bd % (bq - 1n))),
    qi: b64url(iqmp),
  });
  return { privateKey, publicKey: publicKeyFromKeyObject(privateKey) };
}

function importJwk(jwk: Record<string, string>): KeyObject {
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw malformed(WHAT, `the ${jwk.kty} key parameters are not a valid key`);
  }
}

/** Serialises a private key as an unencrypted `openssh-key-v1` file (armored, 70-column base64). */
export function encodeOpensshPrivateKey(
  privateKey: KeyObject,
  options: { comment?: string; random: Random },
): string {
  const publicKey = publicKeyFromKeyObject(privateKey);
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const check = options.random.bytes(4);
  const s = new SshWriter(2048);
  s.raw(check).raw(check).string(publicKey.type);
  const bytes = (k: string) => Buffer.from(jwk[k] ?? '', 'base64url');
  if (publicKey.type === 'ssh-ed25519') {
    s.string(publicKey.pk).string(Buffer.concat([bytes('d'), publicKey.pk]));
  } else if (publicKey.type === 'ssh-rsa') {
    s.mpint(publicKey.n)
      .mpint(publicKey.e)
      .mpint(bytes('d'))
      .mpint(bytes('qi'))
      .mpint(bytes('p'))
      .mpint(bytes('q'));
  } else {
    s.string(ECDSA_CURVES[publicKey.type].curve).string(publicKey.q).mpint(bytes('d'));
  }
  s.string(options.comment ?? '');
  for (let i = 1; s.length % 8 !== 0; i++) s.byte(i);
  const w = new SshWriter(4096);
  w.raw(MAGIC).string('none').string('none').string('').uint32(1).string(publicKey.blob).string(s.toBuffer());
  const b64 = w.toBuffer().toString('base64');
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Serialises a private key as unencrypted PKCS8 PEM (what OpenSSL and Node read; ssh2 cannot read Ed25519 in it). */
export function encodePkcs8Pem(privateKey: KeyObject): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Reads a private key in openssh-key-v1 or PEM (PKCS8, PKCS1 RSA, SEC1 EC; encrypted
 * PKCS8 with `passphrase`). Throws CA_FILE_UNREADABLE for other formats.
 */
export function parsePrivateKey(text: string, passphrase?: string): PrivateKeyInfo {
  if (text.includes(BEGIN)) return parseOpensshPrivateKey(text, passphrase);
  if (/-----BEGIN (ENCRYPTED |RSA |EC )?PRIVATE KEY-----/.test(text)) {
    const encrypted = text.includes('BEGIN ENCRYPTED PRIVATE KEY') || text.includes('Proc-Type: 4,ENCRYPTED');
    if (encrypted && !passphrase)
      throw caError('CA_PASSPHRASE', `${WHAT}: is encrypted; a passphrase is required`);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(
        encrypted ? { key: text, format: 'pem', passphrase } : { key: text, format: 'pem' },
      );
    } catch {
      if (encrypted) throw caError('CA_PASSPHRASE', `${WHAT}: wrong passphrase or unreadable PEM`);
      throw caError('CA_FILE_UNREADABLE', `${WHAT}: PEM block is not a readable private key`);
    }
    return { privateKey, publicKey: publicKeyFromKeyObject(privateKey), comment: '' };
  }
  throw caError(
    'CA_FILE_UNREADABLE',
    `${WHAT}: not an OpenSSH or PEM private key (accepted: openssh-key-v1, PKCS8, PKCS1 RSA, SEC1 EC)`,
  );
}
