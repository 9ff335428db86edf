export { systemClock, createFakeClock, type Clock, type FakeClock } from './clock';
export { systemRandom, randomId, type Random } from './random';
