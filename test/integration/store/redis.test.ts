import { createFakeClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { RedisStore, type RedisStoreOptions } from '../../../src/store';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { describeStoreConformance } from './conformance';

let redis: RedisServer;
let n = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describeStoreConformance('redis', async () => {
  const clock = createFakeClock();
  const options: RedisStoreOptions = {
    url: redis.url,
    keyPrefix: `conf${++n}:`,
    commandTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    maxBackoffMs: 500,
    appendRetries: 50,
    logger: createSilentLogger(),
    clock,
  };
  const store = await RedisStore.connect(options);
  const peer = await RedisStore.connect(options);
  return {
    store,
    peer,
    clock,
    close: async () => {
      await Promise.all([store.close(), peer.close()]);
    },
  };
});
