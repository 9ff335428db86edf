import { backoff } from '../../../src/store/redis/connection';

describe('redis reconnection back-off', () => {
  it.each([
    [1, 2000, 50],
    [2, 2000, 100],
    [3, 2000, 200],
    [6, 2000, 1600],
    [7, 2000, 2000],
    [500, 2000, 2000],
    [3, 120, 120],
  ])('waits before attempt %i (cap %i ms) %i ms', (times, cap, expected) => {
    expect(backoff(times, cap)).toBe(expected);
  });
});
