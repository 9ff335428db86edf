import { BreakglassError } from '../errors';
import type { ClientCredentials, IdpClient } from './idp';
import { claimsToSubject, type ClaimMapping, type Subject } from './subject';

/**
 * Turns a token endpoint answer into a Subject: verifies the ID token (signature with
 * the IdP's keys, issuer, audience, expiry), then merges userinfo claims over it when
 * asked and when userinfo names the same `sub` (OIDC Core §5.3.2).
 */
export async function loginClaims(deps: {
  idp: IdpClient;
  tokenResponse: Record<string, unknown>;
  mapping: ClaimMapping;
  useUserinfo: boolean;
  /** The ID token, when already taken from the response (browser login). */
  idToken?: string;
  /** The client the tokens were issued to, when not the main one (device login). */
  client?: ClientCredentials;
}): Promise<Subject> {
  const idToken = deps.idToken ?? deps.tokenResponse.id_token;
  if (typeof idToken !== 'string')
    throw new BreakglassError(
      'IDENTITY_LOGIN_FAILED',
      'the IdP returned no ID token (is the openid scope allowed for this client?)',
    );
  const claims: Record<string, unknown> = { ...(await deps.idp.verifyIdToken(idToken, deps.client)) };
  const accessToken = deps.tokenResponse.access_token;
  if (deps.useUserinfo && typeof accessToken === 'string') {
    const info = await deps.idp.userinfo(accessToken);
    if (info && info.sub === claims.sub) {
      for (const [k, v] of Object.entries(info))
        if (!['iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'amr', 'acr', 'auth_time'].includes(k))
          claims[k] = v;
    }
  }
  return claimsToSubject(claims, deps.mapping);
}
