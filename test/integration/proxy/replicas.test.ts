import { spawn } from 'node:child_process';
import { systemClock, systemRandom } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { createLiveHub, createSessionRegistry, type LiveHub, type SessionRegistry } from '../../../src/proxy';
import { createStore, type Store } from '../../../src/store';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { HOST, LOGIN, startGatewayStack, waitFor, type GatewayStack } from './gateway-stack';

/**
 * Two replicas on one Redis: the gateway runs the session on replica A; replica B (its
 * session registry and live hub, as the web UI of another replica uses them) lists it,
 * streams its output and terminates it.
 */
let redis: RedisServer;
let a: GatewayStack;
let storeB: Store;
let registryB: SessionRegistry;
let liveB: LiveHub;

beforeAll(async () => {
  redis = await startRedis();
  a = await startGatewayStack({ redisUrl: redis.url });
  const logger = createSilentLogger();
  storeB = await createStore(a.config, { logger, clock: systemClock }); // the same Redis as replica A
  registryB = createSessionRegistry({ store: storeB, clock: systemClock, logger, ttlMs: 30_000 });
  liveB = await createLiveHub({
    store: storeB,
    clock: systemClock,
    random: systemRandom,
    logger,
    maxViewers: 4,
    bufferLines: 1000,
    leaseMs: 15_000,
  });
});

afterAll(async () => {
  registryB?.close();
  await liveB?.close();
  await storeB?.close();
  await a?.close();
  await redis?.stop();
});

it('lists, streams and terminates a session of another replica within a second', async () => {
  a.grant('g-rep');
  const cred = await a.userCertificate('g-rep');
  const child = spawn('ssh', a.sshArgs(cred, `${LOGIN}@${HOST}`, undefined, ['-tt']), {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));

  const live = await waitFor(async () =>
    (await registryB.list()).find((s) => s.grant === 'g-rep' && s.channels.length > 0),
  );
  expect(live).toMatchObject({ user: 'alice@example.com', host: HOST, login: LOGIN });
  const sessionId = live.channels[0]!.id;

  const viewer = liveB.watch(sessionId, { viewer: 'security@example.com' });
  expect(JSON.parse((await viewer.next()).value as string)).toMatchObject({ version: 2 });
  child.stdin.write('echo replica-$((20+3))\n');
  let seen = '';
  for await (const line of viewer) {
    const [, type, data] = JSON.parse(line) as [number, string, string];
    if (type === 'o') seen += data;
    if (seen.includes('replica-23')) break;
  }
  expect(seen).toContain('replica-23');

  await registryB.kill(sessionId, 'user:security@example.com', 'seen enough');
  const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
  if (code === null) child.kill('SIGKILL');
  expect(code).not.toBeNull();
  expect(stderr).toContain('session ended: terminated by user:security@example.com: seen enough');
  await waitFor(
    async () => ((await registryB.find(sessionId)) === null ? true : undefined),
    5000,
    'record removed',
  );
});
