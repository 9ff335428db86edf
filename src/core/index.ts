export { systemClock, createFakeClock, type Clock, type FakeClock } from './clock';
export { systemRandom, randomId, type Random } from './random';
export { startWorker, tsLoaderSource } from './worker';
export { tuneV8, V8_FLAGS } from './v8-tuning';
