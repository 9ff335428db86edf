import { caError, malformed } from '../errors';
import { parsePublicKeyBlob, type PublicKey } from '../keys';
import { SshReader } from '../wire';
import {
  CERT_SECTION,
  KRL_FORMAT_VERSION,
  KRL_MAGIC,
  SECTION,
  type Krl,
  type KrlCertificates,
  type SerialRange,
} from './model';
import { mergeRanges } from './normalize';

const WHAT = 'KRL';
const MAX_KRL_BYTES = 64 * 1024 * 1024;

/**
 * Reads an OpenSSH binary KRL into normal form. Refuses what OpenSSH would refuse
 * (bad magic or version, critical extensions we do not know, signature sections,
 * serial 0, inverted ranges, hashes of the wrong size, trailing bytes in any section).
 */
export function parseKrl(buf: Buffer): Krl {
  if (buf.length > MAX_KRL_BYTES) throw malformed(WHAT, `larger than ${MAX_KRL_BYTES} bytes`);
  if (buf.length < KRL_MAGIC.length || !buf.subarray(0, KRL_MAGIC.length).equals(KRL_MAGIC))
    throw malformed(WHAT, 'missing SSHKRL magic');
  const r = new SshReader(buf.subarray(KRL_MAGIC.length), WHAT);
  const format = r.uint32('format version');
  if (format !== KRL_FORMAT_VERSION)
    throw malformed(WHAT, `format version ${format} (accepted: ${KRL_FORMAT_VERSION})`);
  const version = r.uint64('krl version');
  const generatedAt = r.uint64('generated date');
  r.uint64('flags');
  r.string('reserved');
  const comment = r.text('comment', 65_536);
  const sections = new Map<string, { ca: PublicKey | null; ranges: SerialRange[]; ids: Set<string> }>();
  const sha256: Buffer[] = [];
  const sha1: Buffer[] = [];
  const explicitKeys: Buffer[] = [];
  while (r.remaining > 0) {
    const type = r.byte('section type');
    const body = new SshReader(r.string('section'), `${WHAT} section ${type}`);
    switch (type) {
      case SECTION.certificates:
        readCertSection(body, sections);
        break;
      case SECTION.explicitKey:
        while (body.remaining > 0)
          explicitKeys.push(
            parsePublicKeyBlob(Buffer.from(body.string('revoked key')), 'KRL revoked key').blob,
          );
        break;
      case SECTION.fingerprintSha1:
      case SECTION.fingerprintSha256: {
        const size = type === SECTION.fingerprintSha1 ? 20 : 32;
        while (body.remaining > 0) {
          const h = body.string('key hash');
          if (h.length !== size) throw malformed(WHAT, `key hash of ${h.length} bytes, accepted: ${size}`);
          (size === 20 ? sha1 : sha256).push(Buffer.from(h));
        }
        break;
      }
      case SECTION.signature:
        throw caError(
          'CA_MALFORMED',
          `${WHAT}: signature sections are not supported (OpenSSH 9.4+ refuses them too)`,
        );
      case SECTION.extension:
        readExtension(body);
        break;
      default:
        throw malformed(WHAT, `unknown section type ${type}`);
    }
    body.end();
  }
  const certificates: KrlCertificates[] = [...sections.values()]
    .map((e) => ({
      ca: e.ca,
      serials: mergeRanges(e.ranges),
      keyIds: [...e.ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    }))
    .sort((a, b) => Buffer.compare(a.ca?.blob ?? Buffer.alloc(0), b.ca?.blob ?? Buffer.alloc(0)));
  const uniq = (list: Buffer[]) =>
    list.sort(Buffer.compare).filter((h, i, a) => i === 0 || !h.equals(a[i - 1]!));
  return {
    version,
    generatedAt,
    comment,
    certificates,
    sha256: uniq(sha256),
    ...(sha1.length > 0 ? { sha1: uniq(sha1) } : {}),
    ...(explicitKeys.length > 0 ? { explicitKeys: uniq(explicitKeys) } : {}),
  };
}

function readExtension(body: SshReader): void {
  const name = body.text('extension name', 256);
  const critical = body.boolean('extension is_critical');
  body.string('extension contents');
  if (critical)
    throw malformed(WHAT, `critical extension ${JSON.stringify(name.slice(0, 64))} is not supported`);
}

function readCertSection(
  body: SshReader,
  sections: Map<string, { ca: PublicKey | null; ranges: SerialRange[]; ids: Set<string> }>,
): void {
  const caBlob = body.string('CA key');
  body.string('reserved');
  const ca = caBlob.length === 0 ? null : parsePublicKeyBlob(Buffer.from(caBlob), 'KRL CA key');
  const tag = ca ? ca.blob.toString('base64') : '';
  const entry = sections.get(tag) ?? { ca, ranges: [], ids: new Set<string>() };
  sections.set(tag, entry);
  const serial = (s: bigint) => {
    if (s === 0n) throw malformed(WHAT, 'revokes serial 0');
    return s;
  };
  while (body.remaining > 0) {
    const type = body.byte('certificate subsection type');
    const sub = new SshReader(
      body.string('certificate subsection'),
      `${WHAT} certificate subsection ${type}`,
    );
    switch (type) {
      case CERT_SECTION.serialList:
        while (sub.remaining > 0) {
          const s = serial(sub.uint64('serial'));
          entry.ranges.push({ from: s, to: s });
        }
        break;
      case CERT_SECTION.serialRange: {
        const from = serial(sub.uint64('serial min'));
        const to = sub.uint64('serial max');
        if (to < from) throw malformed(WHAT, `serial range ${from}-${to} is inverted`);
        entry.ranges.push({ from, to });
        break;
      }
      case CERT_SECTION.serialBitmap: {
        const offset = sub.uint64('bitmap offset');
        const bitmap = sub.mpint('bitmap', 1 << 20);
        for (let i = 0; i < bitmap.length; i++) {
          const byte = bitmap[bitmap.length - 1 - i]!;
          for (let bit = 0; bit < 8; bit++) {
            if (byte & (1 << bit)) {
              const s = serial(offset + BigInt(i * 8 + bit));
              entry.ranges.push({ from: s, to: s });
            }
          }
        }
        break;
      }
      case CERT_SECTION.keyId:
        while (sub.remaining > 0) entry.ids.add(sub.text('key id', 4096));
        break;
      case CERT_SECTION.extension:
        readExtension(sub);
        break;
      default:
        throw malformed(WHAT, `unknown certificate subsection type ${type}`);
    }
    sub.end();
  }
}
