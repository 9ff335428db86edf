import { ACCESS_CODES } from './access';
import { AUDIT_CODES } from './audit';
import { CA_CODES } from './ca';
import { CORE_CODES } from './core';
import { IDENTITY_CODES } from './identity';
import { POLICY_CODES } from './policy';
import { PROXY_CODES } from './proxy';
import { RECORDING_CODES } from './recording';
import { STORE_CODES } from './store';
import type { CodeSpec } from './types';

/**
 * The one table of every error code. Each capability keeps its rows in its own file
 * (`codes/<capability>.ts`) so that the table reads by area; docs/errors.md is
 * generated from it (`npm run docs`) and a test fails when they differ.
 */
export const ERROR_CODES = {
  ...CORE_CODES,
  ...STORE_CODES,
  ...CA_CODES,
  ...POLICY_CODES,
  ...AUDIT_CODES,
  ...IDENTITY_CODES,
  ...ACCESS_CODES,
  ...PROXY_CODES,
  ...RECORDING_CODES,
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type { CodeSpec } from './types';
