import { defineCodes } from './types';

/** Error codes of the access capability (prefix ACCESS_). */
export const ACCESS_CODES = defineCodes({
  ACCESS_NOT_FOUND: {
    status: 404,
    expose: true,
    doc: 'No access request or grant with this id, or you may not see it (only the requester, its reviewers and security reviewers may).',
  },
  ACCESS_FORBIDDEN: {
    status: 403,
    expose: true,
    doc: 'You may not do this to this request or grant: only the requester cancels, only the requester, its reviewers or security revoke, only the requester gets certificates.',
  },
  ACCESS_SELF_REVIEW: {
    status: 403,
    expose: true,
    doc: 'Nobody reviews their own request; ask one of the reviewers named in the request.',
  },
  ACCESS_NOT_REVIEWER: {
    status: 403,
    expose: true,
    doc: 'The policy does not name you as a reviewer of this request; the request lists who may review it.',
  },
  ACCESS_ALREADY_REVIEWED: {
    status: 409,
    expose: true,
    doc: 'You already reviewed this request; each reviewer counts once.',
  },
  ACCESS_NOT_PENDING: {
    status: 409,
    expose: true,
    doc: 'The request is no longer pending (already approved, denied, cancelled or expired); its status says which.',
  },
  ACCESS_NO_POST_REVIEW: {
    status: 409,
    expose: true,
    doc: 'The request has no open post-hoc review (it was not emergency access, or a reviewer already signed it off).',
  },
  ACCESS_GRANT_INACTIVE: {
    status: 409,
    expose: true,
    doc: 'The grant is not active (still pending, denied or cancelled); certificates are issued for active grants only.',
  },
  ACCESS_GRANT_EXPIRED: {
    status: 410,
    expose: true,
    doc: 'The grant has ended; file a new request (grants are extended only by a new request).',
  },
  ACCESS_GRANT_REVOKED: {
    status: 410,
    expose: true,
    doc: 'The grant was revoked; its certificates are in the KRL. File a new request if access is still needed.',
  },
  ACCESS_UNKNOWN_TARGET: {
    status: 400,
    expose: true,
    doc: 'The request names a notification target or label that does not exist; the message lists the accepted ones.',
  },
  ACCESS_BUSY: {
    status: 503,
    expose: true,
    doc: 'Another change to the same request is in progress and did not finish in time; nothing was changed, try again.',
  },
  ACCESS_JOIN_TOKEN_INVALID: {
    status: 401,
    expose: true,
    doc: 'The host join token is unknown, malformed or forged; ask an admin for a new one (`breakglass hosts token`).',
  },
  ACCESS_JOIN_TOKEN_USED: {
    status: 401,
    expose: true,
    doc: 'The host join token was already used; tokens are single-use. Ask an admin for a new one.',
  },
  ACCESS_JOIN_TOKEN_EXPIRED: {
    status: 401,
    expose: true,
    doc: 'The host join token has expired; ask an admin for a new one.',
  },
  ACCESS_HOST_NAME_TAKEN: {
    status: 409,
    expose: true,
    doc: 'A host with this name is in hosts.yaml or registered by another token; pick another name or use a token created for this name.',
  },
  ACCESS_HOST_NOT_FOUND: {
    status: 404,
    expose: true,
    doc: 'No registered host with this name (it may have expired: hosts must renew before their registration ends).',
  },
  ACCESS_RENEW_TOKEN_INVALID: {
    status: 401,
    expose: true,
    doc: 'The renewal token does not match the one issued at registration; register again with a new join token.',
  },
  ACCESS_KRL_WRITE_FAILED: {
    status: 500,
    expose: true,
    doc: 'The revocation is recorded but the KRL file (access.krl_file) could not be written; fix the path or permissions: every replica rewrites it on its next sweep.',
  },
});
