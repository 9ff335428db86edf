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
