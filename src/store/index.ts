export type {
  Store,
  StoredRecord,
  PutOptions,
  DeleteOptions,
  ListOptions,
  CounterOptions,
  LogHead,
  LogEntry,
  LogEntryBuilder,
  EventHandler,
  Unsubscribe,
  StoreHealth,
} from './types';
export { createStore, type StoreDeps, type StoreFactoryConfig } from './factory';
export { updateRecord, type UpdateFn, type UpdateOptions } from './update';
export { EmbeddedStore, type EmbeddedStoreOptions, type RecoveryReport, type TornTail } from './embedded';
export { RedisStore, type RedisStoreOptions } from './redis';
export { MAX_VALUE_BYTES, NAME_RE } from './validate';
