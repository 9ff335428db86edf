import { defineCodes } from './types';

/** Error codes of the ca capability (prefix CA_). */
export const CA_CODES = defineCodes({});
