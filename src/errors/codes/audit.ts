import { defineCodes } from './types';

/** Error codes of the audit capability (prefix AUDIT_). */
export const AUDIT_CODES = defineCodes({});
