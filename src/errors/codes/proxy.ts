import { defineCodes } from './types';

/** Error codes of the proxy capability (prefix PROXY_). */
export const PROXY_CODES = defineCodes({});
