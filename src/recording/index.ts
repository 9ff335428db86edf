/**
 * Session recordings: asciicast v2 files written as the session happens, a strict reader,
 * text search, and verification against the hashes sealed in the audit log.
 */
export {
  EVENT_TYPES,
  MAX_EVENT_BYTES,
  MAX_EVENT_CHARS,
  MAX_TERMINAL_SIZE,
  type AsciicastEvent,
  type AsciicastHeader,
  type BreakglassHeaderInfo,
  type EventType,
} from './asciicast/format';
export {
  AsciicastParser,
  type EventPosition,
  type ParseOptions,
  type ParseSummary,
} from './asciicast/parser';
export { readAsciicastFile } from './asciicast/reader';
export { AnsiStripper } from './ansi';
export { AsciicastEncoder, type EncoderOptions, type ExitStatus } from './encoder';
export { createRecordingFiles, type RecordingFiles } from './files';
export {
  OutputSearcher,
  searchRecording,
  type SearchMatch,
  type SearchOptions,
  type SearchResult,
} from './search';
export {
  assertRecordingIntact,
  verifyRecording,
  type ByteRange,
  type SealedRecording,
  type SealPoint,
  type VerifyProblem,
  type VerifyResult,
} from './verify';
export { RecordingThread } from './thread-host';
export {
  openRecording,
  type RecordingCheckpoint,
  type RecordingSeal,
  type RecordingWriter,
  type RecordingWriterOptions,
} from './writer';
