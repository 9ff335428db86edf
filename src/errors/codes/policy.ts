import { defineCodes } from './types';

/** Error codes of the policy capability (prefix POLICY_). */
export const POLICY_CODES = defineCodes({});
