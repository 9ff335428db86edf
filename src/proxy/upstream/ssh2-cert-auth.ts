/**
 * The one place where Breakglass changes ssh2: OpenSSH user-certificate authentication
 * for ssh2's client, written for ssh2 1.17.0 exactly.
 *
 * Why: ssh2's `Protocol#authPK(username, key, keyAlgo, cbSign)` writes `keyAlgo` twice,
 * as the public key algorithm of the USERAUTH_REQUEST and as the algorithm name inside
 * the signature blob. For a certificate these differ (RFC 4252 §7, PROTOCOL.certkeys):
 * the request names `ssh-ed25519-cert-v01@openssh.com` but the signature blob must say
 * `ssh-ed25519` (or `rsa-sha2-512`, `ecdsa-sha2-nistp256`), and sshd rejects the
 * signature otherwise.
 *
 * How:
 * 1. `createCertificateAuthKey` builds a key object ssh2 accepts as an already-parsed
 *    key (it inherits from a key parsed by ssh2 itself, so ssh2's private "parsed" mark
 *    is present) whose `type` is the certificate algorithm, whose `getPublicSSH()` is the
 *    certificate blob, and whose `sign()` returns the SSH-form signature body.
 * 2. `installSsh2CertAuthPatch` wraps `Protocol.prototype.authPK`: for those key objects
 *    only, and only for the signed request, it builds the request itself with the plain
 *    algorithm in the signature blob. Everything else goes to ssh2's own code unchanged.
 * The wrapper runs once per authentication attempt, never per packet.
 */
import type { KeyObject } from 'node:crypto';
import type { ParsedKey } from 'ssh2';
import { utils } from 'ssh2';
import { BreakglassError } from '../../errors';
import { readPresentedCertificate } from './certificate';
import { createSshSigningKey, loadPrivateKey } from './signing-key';
import { sshString } from './ssh-wire';

/** The ssh2 version whose internals this module was written against. */
export const SSH2_PINNED_VERSION = '1.17.0';

/* eslint-disable @typescript-eslint/no-require-imports -- ssh2 internals have no types or public export */
const ssh2Version = (require('ssh2/package.json') as { version: string }).version;
const Protocol = require('ssh2/lib/protocol/Protocol.js') as { prototype: Record<string | symbol, unknown> };
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: unknown, packet: Buffer) => boolean;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** What the wrapper needs from a certificate key object. */
interface CertAuthSpec {
  /** Algorithm named inside the signature blob, e.g. `ssh-ed25519`, `rsa-sha2-512`. */
  readonly signatureAlgorithm: string;
}

const CERT_AUTH = Symbol('breakglass.certAuth');
/** Marks ssh2's prototype as patched (shared by every copy of this module). */
const PATCHED = Symbol.for('breakglass.ssh2CertAuthPatched');

/** The internals of ssh2's `Protocol` the wrapper touches (all present in 1.17.0). */
interface ProtocolInternals {
  _server: boolean;
  _kex: { sessionID: Buffer };
  _authsQueue: string[];
  _packetRW: { write: { allocStart: number; alloc(size: number): Buffer; finalize(packet: Buffer): Buffer } };
  _debug?: (msg: string) => void;
}
type AuthPK = (this: ProtocolInternals, user: string, key: unknown, algo?: unknown, cbSign?: unknown) => void;
type CbSign = (data: Buffer, done: (signature: Buffer) => void) => void;

/** Throws a TypeError unless the installed ssh2 is the exact version this patch was written for. */
export function assertSsh2Version(installed: string = ssh2Version): void {
  if (installed !== SSH2_PINNED_VERSION) {
    throw new TypeError(
      `ssh2 ${installed} is installed but the certificate-authentication patch (src/proxy/upstream/ssh2-cert-auth.ts) ` +
        `was written for ssh2 ${SSH2_PINNED_VERSION} exactly; re-check the patch against the new ssh2 source before changing the pin`,
    );
  }
}

/** Applies the patch to ssh2's Protocol (idempotent). Call at start-up. */
export function installSsh2CertAuthPatch(): void {
  assertSsh2Version();
  const proto = Protocol.prototype;
  if (proto[PATCHED] === true) return;
  const original = proto.authPK as AuthPK | undefined;
  if (typeof original !== 'function' || original.length !== 4) {
    throw new TypeError(
      'ssh2 Protocol#authPK(username, pubKey, keyAlgo, cbSign) is not where the certificate patch expects it',
    );
  }
  const patched: AuthPK = function authPK(this: ProtocolInternals, user, key, algo, cbSign) {
    // ssh2 calls authPK(user, key, cbSign) as well as authPK(user, key, algo, cbSign).
    const sign = (typeof algo === 'function' ? algo : cbSign) as CbSign | undefined;
    const spec =
      key !== null && typeof key === 'object'
        ? (key as { [CERT_AUTH]?: CertAuthSpec })[CERT_AUTH]
        : undefined;
    if (spec === undefined || sign === undefined || this._server)
      return original.call(this, user, key, algo, cbSign);
    sendSignedCertificateRequest(this, user, key as ParsedKey, spec, sign);
  };
  proto.authPK = patched;
  proto[PATCHED] = true;
}

/**
 * USERAUTH_REQUEST "publickey" with a signature (RFC 4252 §7): the request names the
 * certificate algorithm and blob; the signature blob names the plain algorithm.
 */
function sendSignedCertificateRequest(
  proto: ProtocolInternals,
  user: string,
  key: ParsedKey,
  spec: CertAuthSpec,
  cbSign: CbSign,
): void {
  const request = Buffer.concat([
    Buffer.from([50]), // SSH_MSG_USERAUTH_REQUEST
    sshString(user),
    sshString('ssh-connection'),
    sshString('publickey'),
    Buffer.from([1]), // has signature
    sshString(key.type),
    sshString(key.getPublicSSH()),
  ]);
  cbSign(Buffer.concat([sshString(proto._kex.sessionID), request]), (signature) => {
    const payload = Buffer.concat([
      request,
      sshString(Buffer.concat([sshString(spec.signatureAlgorithm), sshString(signature)])),
    ]);
    const writer = proto._packetRW.write;
    const start = writer.allocStart;
    const packet = writer.alloc(payload.length);
    payload.copy(packet, start);
    proto._authsQueue.push('publickey');
    proto._debug?.('Outbound: Sending USERAUTH_REQUEST (publickey, OpenSSH certificate)');
    sendPacket(proto, writer.finalize(packet));
  });
}

export interface CertificateAuthKeyOptions {
  /** The private key the certificate certifies: a Node KeyObject, or OpenSSH/PEM text. */
  privateKey: KeyObject | string | Buffer;
  passphrase?: string;
  /** The OpenSSH certificate: a `TYPE BASE64 [comment]` line or the raw blob. */
  certificate: string | Buffer;
}

/**
 * A key object to give ssh2's client (`authHandler` → `{ type: 'publickey', key }`) that
 * logs in with the certificate. Works only once the patch is installed; without it sshd
 * refuses the signature (the tests show both).
 */
export function createCertificateAuthKey(opts: CertificateAuthKeyOptions): ParsedKey {
  assertSsh2Version();
  const signer = createSshSigningKey(loadPrivateKey(opts.privateKey, opts.passphrase));
  const cert = readPresentedCertificate(opts.certificate);
  if (!cert.certifiedKeyBlob.equals(signer.publicBlob)) {
    throw new BreakglassError(
      'PROXY_UPSTREAM_CREDENTIAL',
      `upstream certificate (${cert.certType}) does not certify the given private key`,
    );
  }
  // A key ssh2 parsed itself carries ssh2's private "already parsed" mark; inheriting from
  // it lets ssh2 take our object as a key. Every member ssh2 uses is overridden below.
  const base = utils.parseKey(`${signer.type} ${signer.publicBlob.toString('base64')}`);
  if (base instanceof Error || Array.isArray(base))
    throw new TypeError(`ssh2 cannot parse a ${signer.type} public key: ${String(base)}`);
  // RSA certificates are offered as rsa-sha2-512-cert-v01 (the blob still says ssh-rsa-cert-v01).
  const requestAlgorithm = signer.type === 'ssh-rsa' ? 'rsa-sha2-512-cert-v01@openssh.com' : cert.certType;
  const spec: CertAuthSpec = { signatureAlgorithm: signer.signatureAlgorithm };
  return Object.create(base, {
    type: { value: requestAlgorithm, enumerable: true },
    comment: { value: '', enumerable: true },
    isPrivateKey: { value: () => true },
    getPublicSSH: { value: () => cert.blob },
    getPrivatePEM: { value: () => null },
    // ssh2 treats a returned Error as a signing failure and moves on to the next method.
    sign: {
      value: (data: Buffer): Buffer | Error => {
        try {
          return signer.sign(data);
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      },
    },
    [CERT_AUTH]: { value: spec },
  }) as ParsedKey;
}
