import { defineCodes } from './types';

/** Error codes of the recording capability (prefix RECORDING_). */
export const RECORDING_CODES = defineCodes({
  RECORDING_MALFORMED: {
    status: 422,
    expose: true,
    doc: 'A recording is not valid asciicast v2 as Breakglass writes it (header, event arrays, known event types, non-decreasing times, UTF-8, one event per line); the message names the line and byte offset.',
  },
  RECORDING_TOO_LARGE: {
    status: 413,
    expose: true,
    doc: 'A recording line is longer than the reader accepts (1 MiB by default); Breakglass never writes such lines, so the file was not written by it or was altered.',
  },
  RECORDING_INVALID_ARGUMENT: {
    status: 400,
    expose: true,
    doc: 'A recording call got an invalid value (terminal size outside 1..10000, empty or over-long search text, non-positive limits); the message says what is accepted.',
  },
  RECORDING_INVALID_ID: {
    status: 400,
    expose: true,
    doc: 'A recording id is not 1-128 characters of letters, digits, dot, dash and underscore (not starting with a dot).',
  },
  RECORDING_NOT_FOUND: {
    status: 404,
    expose: true,
    doc: 'No recording file exists for this id in the recordings directory.',
  },
  RECORDING_EXISTS: {
    status: 409,
    expose: true,
    doc: 'A recording file for this id already exists; recordings are never overwritten.',
  },
  RECORDING_CLOSED: {
    status: 409,
    expose: false,
    doc: 'Session data arrived after its recording was closed; it was not recorded and the session must end.',
  },
  RECORDING_WRITE_FAILED: {
    status: 500,
    expose: false,
    doc: 'The recording file could not be written (disk full, permissions); the session is ended because it can no longer be recorded. Details are in the server log.',
  },
  RECORDING_VERIFY_FAILED: {
    status: 409,
    expose: true,
    doc: 'A recording does not match the size and SHA-256 sealed in the audit log; the message names the first differing byte range (and its lines).',
  },
});
