export { EmbeddedStore, type EmbeddedStoreOptions } from './store';
export type { RecoveryReport, TornTail } from './recovery';
