export { configSchema, type Config, type ConfigInput } from './schema';
export {
  loadConfig,
  checkConfig,
  envOverrides,
  describeIssues,
  ENV_PREFIX,
  type ConfigProblem,
  type LoadOptions,
} from './load';
export {
  configKeys,
  secretPaths,
  renderConfigReference,
  REFERENCE_START,
  REFERENCE_END,
  type ConfigKeyDoc,
} from './reference';
export { duration, parseDuration, formatDuration, secret, port } from './types';
export { ASYMMETRIC_ALGS } from './sections/identity';
