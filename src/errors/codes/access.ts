import { defineCodes } from './types';

/** Error codes of the access capability (prefix ACCESS_). */
export const ACCESS_CODES = defineCodes({});
