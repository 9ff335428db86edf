import { SshWriter } from '../wire';
import { CERT_SECTION, KRL_FORMAT_VERSION, KRL_MAGIC, SECTION, type Krl, type KrlInput } from './model';
import { normalizeKrl } from './normalize';

/**
 * Encodes a KRL in OpenSSH's binary format (PROTOCOL.krl). Deterministic: the same
 * input (in any order) gives the same bytes. Per CA section: single serials in one
 * serial-list subsection, each merged run of two or more serials as a range
 * subsection, then one key-id subsection; CA sections sorted by key blob; revoked
 * keys as one SHA-256 fingerprint section with hashes in ascending order.
 */
export function encodeKrl(input: KrlInput): Buffer {
  return encodeNormalizedKrl(normalizeKrl(input));
}

/** Encodes a KRL already in normal form (e.g. one read back by `parseKrl`, minus SHA-1 and explicit keys). */
export function encodeNormalizedKrl(krl: Krl): Buffer {
  const w = new SshWriter(1024);
  w.raw(KRL_MAGIC)
    .uint32(KRL_FORMAT_VERSION)
    .uint64(krl.version)
    .uint64(krl.generatedAt)
    .uint64(0n)
    .string('')
    .string(krl.comment);
  for (const section of krl.certificates) {
    w.byte(SECTION.certificates);
    w.nested((s) => {
      s.string(section.ca?.blob ?? Buffer.alloc(0)).string('');
      const singles = section.serials.filter((r) => r.from === r.to);
      if (singles.length > 0) {
        s.byte(CERT_SECTION.serialList);
        s.nested((l) => {
          for (const r of singles) l.uint64(r.from);
        });
      }
      for (const r of section.serials.filter((x) => x.from !== x.to)) {
        s.byte(CERT_SECTION.serialRange);
        s.nested((l) => l.uint64(r.from).uint64(r.to));
      }
      if (section.keyIds.length > 0) {
        s.byte(CERT_SECTION.keyId);
        s.nested((l) => {
          for (const id of section.keyIds) l.string(id);
        });
      }
    });
  }
  if (krl.sha256.length > 0) {
    w.byte(SECTION.fingerprintSha256);
    w.nested((s) => {
      for (const h of krl.sha256) s.string(h);
    });
  }
  return w.toBuffer();
}
