export { KRL_MAGIC, type Krl, type KrlInput, type KrlCertificates, type SerialRange } from './model';
export { normalizeKrl, mergeRanges } from './normalize';
export { encodeKrl, encodeNormalizedKrl } from './write';
export { parseKrl } from './read';
export { isRevoked } from './check';
export { describeKrl, krlToJson } from './describe';
