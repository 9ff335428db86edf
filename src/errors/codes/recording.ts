import { defineCodes } from './types';

/** Error codes of the recording capability (prefix RECORDING_). */
export const RECORDING_CODES = defineCodes({});
