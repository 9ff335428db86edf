import { errors } from 'jose';
import { BreakglassError, isBreakglassError } from '../errors';

/** Maps a jose verification failure to the IDENTITY_TOKEN_* code that says what was wrong. */
export function joseToCoded(err: unknown): BreakglassError {
  if (isBreakglassError(err)) return err;
  if (err instanceof errors.JWTExpired)
    return new BreakglassError('IDENTITY_TOKEN_EXPIRED', 'the token has expired (exp is in the past)');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (err.reason === 'missing')
      return new BreakglassError('IDENTITY_TOKEN_CLAIMS', `the token lacks the required ${claim} claim`);
    if (claim === 'aud')
      return new BreakglassError(
        'IDENTITY_TOKEN_AUDIENCE',
        'the token is not meant for this API (aud does not match)',
      );
    if (claim === 'iss')
      return new BreakglassError(
        'IDENTITY_TOKEN_ISSUER',
        'the token comes from an issuer this server does not accept',
      );
    if (claim === 'nbf' || claim === 'iat')
      return new BreakglassError(
        'IDENTITY_TOKEN_NOT_YET_VALID',
        `the token is not valid yet (${claim} is in the future)`,
      );
    if (claim === 'typ')
      return new BreakglassError('IDENTITY_TOKEN_CLAIMS', 'the token has the wrong type (typ header)');
    return new BreakglassError(
      'IDENTITY_TOKEN_CLAIMS',
      `the token's ${claim} claim is invalid (${err.reason})`,
    );
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new BreakglassError(
      'IDENTITY_TOKEN_ALGORITHM',
      'the token is signed with an algorithm this server does not accept',
    );
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new BreakglassError('IDENTITY_TOKEN_SIGNATURE', 'the token signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new BreakglassError(
      'IDENTITY_TOKEN_SIGNATURE',
      'the token is signed by a key the issuer does not publish',
    );
  }
  if (err instanceof errors.JWKSTimeout)
    return new BreakglassError(
      'IDENTITY_IDP_UNAVAILABLE',
      'the IdP key set (jwks_uri) did not answer in time',
    );
  if (err instanceof errors.JWKSInvalid)
    return new BreakglassError('IDENTITY_IDP_ERROR', 'the IdP key set (jwks_uri) is not a valid JWK set');
  if (
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JWKInvalid
  ) {
    return new BreakglassError('IDENTITY_TOKEN_MALFORMED', `the token is malformed: ${err.message}`);
  }
  if (err instanceof errors.JOSEError)
    return new BreakglassError('IDENTITY_TOKEN_MALFORMED', `the token was refused: ${err.code}`);
  const code = (err as { code?: string })?.code;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND') {
    return new BreakglassError('IDENTITY_IDP_UNAVAILABLE', `the IdP key set could not be fetched (${code})`);
  }
  return new BreakglassError('INTERNAL', 'token verification failed unexpectedly', { cause: err });
}
