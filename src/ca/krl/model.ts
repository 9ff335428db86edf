import type { PublicKey } from '../keys';

export const KRL_MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');
export const KRL_FORMAT_VERSION = 1;

export const SECTION = {
  certificates: 1,
  explicitKey: 2,
  fingerprintSha1: 3,
  signature: 4,
  fingerprintSha256: 5,
  extension: 255,
} as const;

export const CERT_SECTION = {
  serialList: 0x20,
  serialRange: 0x21,
  serialBitmap: 0x22,
  keyId: 0x23,
  extension: 0x39,
} as const;

/** An inclusive range of serials; a single serial has from === to. */
export interface SerialRange {
  readonly from: bigint;
  readonly to: bigint;
}

/** Revocations of certificates issued by one CA (`ca` null: by any CA). */
export interface KrlCertificates {
  readonly ca: PublicKey | null;
  readonly serials: readonly SerialRange[];
  readonly keyIds: readonly string[];
}

/** What a KRL says, in normal form: CAs sorted by key blob, ranges merged and sorted, ids and hashes sorted and unique. */
export interface Krl {
  /** Increases each time the KRL changes. */
  readonly version: bigint;
  /** Seconds since the epoch. */
  readonly generatedAt: bigint;
  readonly comment: string;
  readonly certificates: readonly KrlCertificates[];
  /** SHA-256 of revoked plain key blobs (32 bytes each). */
  readonly sha256: readonly Buffer[];
  /** Present only when read from a KRL that has them (we never write these). */
  readonly sha1?: readonly Buffer[];
  readonly explicitKeys?: readonly Buffer[];
}

/** Input to the writer: any order, duplicates and overlaps allowed. */
export interface KrlInput {
  readonly version: bigint | number;
  /** Generation time in ms since the epoch (written in seconds). */
  readonly generatedAt: number;
  readonly comment?: string;
  readonly certificates?: ReadonlyArray<{
    readonly ca: PublicKey | null;
    readonly serials?: ReadonlyArray<bigint | number | SerialRange>;
    readonly keyIds?: readonly string[];
  }>;
  /** Plain keys to revoke (by the SHA-256 of their blob; this also revokes every certificate for them). */
  readonly keys?: readonly PublicKey[];
  /** Raw SHA-256 key hashes to revoke. */
  readonly sha256?: readonly Buffer[];
}
