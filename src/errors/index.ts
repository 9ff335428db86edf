export { BreakglassError, isBreakglassError, hasCode, type ErrorOptions } from './breakglass-error';
export { renderErrorsDoc } from './doc';
export { ERROR_CODES, type ErrorCode, type CodeSpec } from './codes';
