import { createPrivateKey, createPublicKey, KeyObject, sign } from 'node:crypto';
import { utils } from 'ssh2';
import { BreakglassError } from '../../errors';
import { sshMpint, sshString } from './ssh-wire';

export type PlainKeyType =
  'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ecdsa-sha2-nistp521' | 'ssh-rsa';

/** What a private key becomes for SSH user authentication. */
export interface SshSigningKey {
  /** Plain key type of the public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
  readonly type: PlainKeyType;
  /** The public key in SSH wire form (`string type ‖ key fields`). */
  readonly publicBlob: Buffer;
  /** Signature algorithm named inside the signature blob (RSA signs with `rsa-sha2-512`). */
  readonly signatureAlgorithm: string;
  /** Signs `data` and returns the signature body in SSH form (no algorithm wrapper). */
  sign(data: Buffer): Buffer;
}

const EC_CURVES: Record<string, { type: PlainKeyType; curve: string; hash: string; size: number }> = {
  'P-256': { type: 'ecdsa-sha2-nistp256', curve: 'nistp256', hash: 'sha256', size: 32 },
  'P-384': { type: 'ecdsa-sha2-nistp384', curve: 'nistp384', hash: 'sha384', size: 48 },
  'P-521': { type: 'ecdsa-sha2-nistp521', curve: 'nistp521', hash: 'sha512', size: 66 },
};

function credentialError(message: string, cause?: unknown): BreakglassError {
  return new BreakglassError('PROXY_UPSTREAM_CREDENTIAL', message, cause === undefined ? {} : { cause });
}

/**
 * Accepts a Node private KeyObject, or OpenSSH (`openssh-key-v1`) / PEM text. ssh2's parser
 * reads the OpenSSH format (Node cannot); its PEM output is handed to Node.
 */
export function loadPrivateKey(input: KeyObject | string | Buffer, passphrase?: string): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private')
      throw credentialError(`upstream key must be a private key, got a ${input.type} key`);
    return input;
  }
  const parsed = utils.parseKey(input, passphrase);
  const one = Array.isArray(parsed) ? parsed[0] : parsed;
  if (one && !(one instanceof Error) && one.isPrivateKey()) {
    return createPrivateKey(one.getPrivatePEM());
  }
  try {
    return createPrivateKey(passphrase === undefined ? { key: input } : { key: input, passphrase });
  } catch (err) {
    throw credentialError(
      'upstream private key is not an OpenSSH or PEM private key (or the passphrase is wrong)',
      err,
    );
  }
}

function b64url(value: string | undefined, what: string): Buffer {
  if (typeof value !== 'string') throw credentialError(`upstream key JWK lacks ${what}`);
  return Buffer.from(value, 'base64url');
}

/** Builds the SSH view of a private key: public blob, signature algorithm and signer. */
export function createSshSigningKey(key: KeyObject): SshSigningKey {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (key.asymmetricKeyType === 'ed25519') {
    return {
      type: 'ssh-ed25519',
      publicBlob: Buffer.concat([sshString('ssh-ed25519'), sshString(b64url(jwk.x, 'x'))]),
      signatureAlgorithm: 'ssh-ed25519',
      sign: (data) => sign(null, data, key),
    };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = EC_CURVES[jwk.crv ?? ''];
    if (!curve)
      throw credentialError(
        `upstream ECDSA curve ${String(jwk.crv)} is not supported (accepted: P-256, P-384, P-521)`,
      );
    const point = Buffer.concat([Buffer.from([4]), b64url(jwk.x, 'x'), b64url(jwk.y, 'y')]);
    return {
      type: curve.type,
      publicBlob: Buffer.concat([sshString(curve.type), sshString(curve.curve), sshString(point)]),
      signatureAlgorithm: curve.type,
      // SSH wants `mpint r ‖ mpint s`; IEEE P1363 gives fixed-size r ‖ s.
      sign: (data) => {
        const rs = sign(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' });
        return Buffer.concat([sshMpint(rs.subarray(0, curve.size)), sshMpint(rs.subarray(curve.size))]);
      },
    };
  }
  if (key.asymmetricKeyType === 'rsa') {
    return {
      type: 'ssh-rsa',
      publicBlob: Buffer.concat([
        sshString('ssh-rsa'),
        sshMpint(b64url(jwk.e, 'e')),
        sshMpint(b64url(jwk.n, 'n')),
      ]),
      signatureAlgorithm: 'rsa-sha2-512',
      sign: (data) => sign('sha512', data, key),
    };
  }
  throw credentialError(
    `upstream key type ${String(key.asymmetricKeyType)} is not supported (accepted: Ed25519, ECDSA, RSA)`,
  );
}
