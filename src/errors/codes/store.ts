import { defineCodes } from './types';

export const STORE_CODES = defineCodes({
  STORE_UNAVAILABLE: {
    status: 503,
    expose: true,
    doc: 'The state store cannot be reached within its timeout; the operation was not performed (fail closed).',
  },
  STORE_CONFLICT: {
    status: 409,
    expose: true,
    doc: 'A compare-and-set failed because the record changed; retry with the current version.',
  },
  STORE_CORRUPT: {
    status: 500,
    expose: true,
    doc: 'A file in the data directory is damaged beyond the torn tail a crash can leave; start-up stops and names the file and offset.',
  },
  STORE_DATA_DIR: {
    status: 500,
    expose: true,
    doc: 'The data directory is missing, not a directory, or not writable by this process.',
  },
  STORE_INVALID_ARGUMENT: {
    status: 400,
    expose: false,
    doc: 'A store call had an invalid namespace, key, value or option (a programming error).',
  },
  STORE_CLOSED: { status: 503, expose: true, doc: 'The store was closed (shutdown in progress).' },
});
