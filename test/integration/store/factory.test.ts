import Redis from 'ioredis';
import { configSchema } from '../../../src/config';
import { createFakeClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createStore } from '../../../src/store';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { tmpDir } from '../../helpers/tmp';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const deps = () => ({ logger: createSilentLogger(), clock: createFakeClock() });

describe('createStore', () => {
  it('opens the embedded store in data_dir by default', async () => {
    const dir = tmpDir('breakglass-factory-');
    try {
      const config = configSchema.parse({ data_dir: dir.path });
      const store = await createStore(config, deps());
      expect(store.driver).toBe('embedded');
      await store.put('ns', 'k', 'v');
      await store.close();
      const again = await createStore(config, deps());
      expect(await again.get('ns', 'k')).toMatchObject({ value: 'v' });
      await again.close();
    } finally {
      dir.cleanup();
    }
  });

  it('opens the redis store with the configured URL, key prefix and timeouts', async () => {
    const config = configSchema.parse({
      store: { driver: 'redis', redis: { url: redis.url, key_prefix: 'factory:', command_timeout: '1s' } },
    });
    const store = await createStore(config, deps());
    expect(store.driver).toBe('redis');
    await store.put('ns', 'k', 'v');
    const raw = new Redis(redis.url);
    try {
      expect(await raw.hget('factory:r|ns|k', 'v')).toBe('v');
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
