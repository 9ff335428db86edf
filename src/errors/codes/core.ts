import { defineCodes } from './types';

export const CORE_CODES = defineCodes({
  INTERNAL: {
    status: 500,
    expose: false,
    doc: 'An unexpected failure; details are in the server log under the request id.',
  },
  BAD_REQUEST: {
    status: 400,
    expose: true,
    doc: 'The request is malformed; the message names the field and what is accepted.',
  },
  NOT_FOUND: { status: 404, expose: true, doc: 'No such resource, or you may not see it.' },
  PAYLOAD_TOO_LARGE: { status: 413, expose: true, doc: 'The request body exceeds the configured limit.' },
  CONFIG_INVALID: {
    status: 500,
    expose: true,
    doc: 'The configuration file or environment has problems; each is listed as `path.to.key: problem (accepted)`.',
  },
  CONFIG_UNREADABLE: {
    status: 500,
    expose: true,
    doc: 'The configuration file cannot be read or is not valid YAML.',
  },
  CLI_USAGE: { status: 400, expose: true, doc: 'A command-line argument is missing or malformed.' },
});
