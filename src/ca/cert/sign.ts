import type { Signer } from '../signer';
import { assembleCertificate, encodeToBeSigned, parseOwnedCertificate } from './codec';
import type { Certificate, CertificateFields } from './model';

/**
 * Encodes and signs a certificate exactly as given (no policy checks: the
 * authority validates first). Returns the parsed result of what was produced.
 */
export async function signCertificate(fields: CertificateFields, signer: Signer): Promise<Certificate> {
  const toBeSigned = encodeToBeSigned(fields, signer.publicKey);
  const signature = await signer.sign(toBeSigned);
  // assembleCertificate returns a fresh buffer nobody else holds: parse it without another copy.
  return parseOwnedCertificate(assembleCertificate(toBeSigned, signature));
}
