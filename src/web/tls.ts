import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join } from 'node:path';
import forge from 'node-forge';
import { BreakglassError } from '../errors';
import type { Clock } from '../core';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Path of the certificate (for `breakglass login --ca-file` with a development certificate). */
  certFile: string;
  development: boolean;
}

export interface TlsSettings {
  cert_file?: string;
  key_file?: string;
  dev_certificate: boolean;
}

export const DEV_CERT_FILE = 'dev-tls.crt';
export const DEV_KEY_FILE = 'dev-tls.key';
const DEV_VALIDITY_DAYS = 90;
const RENEW_BEFORE_MS = 7 * 86_400_000;

const resolveIn = (dir: string, file: string) => (isAbsolute(file) ? file : join(dir, file));

/**
 * The HTTPS certificate and key: the configured files (key mode 0600, pair checked), or
 * a self-signed development certificate when asked, or null (plain HTTP).
 */
export function loadTls(
  settings: TlsSettings,
  certsDir: string,
  opts: { hosts: string[]; clock: Clock },
): TlsMaterial | null {
  if (settings.cert_file || settings.key_file) {
    if (!settings.cert_file || !settings.key_file) {
      throw new BreakglassError(
        'IDENTITY_TLS_INVALID',
        'server.tls needs both cert_file and key_file (or neither)',
      );
    }
    const certFile = resolveIn(certsDir, settings.cert_file);
    const keyFile = resolveIn(certsDir, settings.key_file);
    return { ...readPair(certFile, keyFile), certFile, development: false };
  }
  if (!settings.dev_certificate) return null;
  return ensureDevCertificate(certsDir, opts.hosts, opts.clock);
}

function readPair(certFile: string, keyFile: string): { cert: string; key: string } {
  let cert: string;
  let key: string;
  try {
    cert = readFileSync(certFile, 'utf8');
    if ((statSync(keyFile).mode & 0o077) !== 0) {
      throw new BreakglassError(
        'IDENTITY_TLS_INVALID',
        `${keyFile} is readable by group or others; run chmod 600 ${keyFile}`,
      );
    }
    key = readFileSync(keyFile, 'utf8');
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    throw new BreakglassError(
      'IDENTITY_TLS_INVALID',
      `cannot read the HTTPS certificate or key: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
      throw new BreakglassError(
        'IDENTITY_TLS_INVALID',
        `${keyFile} is not the key of the certificate in ${certFile}`,
      );
    }
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    throw new BreakglassError(
      'IDENTITY_TLS_INVALID',
      `${certFile} or ${keyFile} is not valid PEM: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { cert, key };
}

/** Whether an existing development certificate still fits: not near its end, covering every host. */
function stillGood(
  certFile: string,
  keyFile: string,
  hosts: string[],
  now: number,
): { cert: string; key: string } | null {
  try {
    const pair = readPair(certFile, keyFile);
    const x = new X509Certificate(pair.cert);
    if (Date.parse(x.validTo) - now < RENEW_BEFORE_MS) return null;
    const covered = hosts.every((h) =>
      isIP(h) ? x.checkIP(h) !== undefined : x.checkHost(h, { subject: 'never' }) !== undefined,
    );
    return covered ? pair : null;
  } catch {
    return null;
  }
}

/**
 * A self-signed development certificate for `hosts` (plus localhost and loopback),
 * written to certs_dir/dev-tls.crt and dev-tls.key with mode 0600; reused while valid.
 * Clients trust it with `--ca-file certs/dev-tls.crt` (or NODE_EXTRA_CA_CERTS).
 */
export function ensureDevCertificate(certsDir: string, hosts: string[], clock: Clock): TlsMaterial {
  const certFile = join(certsDir, DEV_CERT_FILE);
  const keyFile = join(certsDir, DEV_KEY_FILE);
  const all = [
    ...new Set(['localhost', '127.0.0.1', '::1', ...hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::')]),
  ];
  const now = clock.now();
  const existing = stillGood(certFile, keyFile, all, now);
  if (existing) return { ...existing, certFile, development: true };

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ format: 'pem', type: 'spki' }).toString());
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // positive
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + DEV_VALIDITY_DAYS * 86_400_000);
  const name = [
    { name: 'commonName', value: 'Breakglass development certificate' },
    { name: 'organizationName', value: 'Breakglass (development only)' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: all.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs1' }).toString()),
    forge.md.sha256.create(),
  );
  const certPem = forge.pki.certificateToPem(cert);

  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  for (const [file, text] of [
    [keyFile, keyPem],
    [certFile, certPem],
  ] as const) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }
  return { cert: certPem, key: keyPem, certFile, development: true };
}
