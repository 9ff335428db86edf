import { defineCodes } from './types';

/** Error codes of the identity capability (prefix IDENTITY_). */
export const IDENTITY_CODES = defineCodes({});
