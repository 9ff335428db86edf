import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { freePort } from './ports';
import { tmpDir } from './tmp';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The server's working directory (AOF files live here). */
  readonly dir: string;
  /** SIGTERM, wait for exit, remove the directory. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), wait for exit; the directory stays for `restart()`. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory; resolves when it answers PING. */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Append-only file with `appendfsync always` (default false: no persistence at all). */
  aof?: boolean;
  /** `appendfsync` when `aof` is on (default `always`). */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Path of redis-server (default: found on PATH). */
  bin?: string;
}

/** Sends PING and resolves with the first reply line (e.g. `+PONG` or `-LOADING …`), or null. */
function ping(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const finish = (v: string | null) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(1000, () => finish(null));
    sock.once('error', () => finish(null));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) finish(buf.slice(0, nl));
    });
  });
}

/**
 * Starts a private `redis-server` on a free port of 127.0.0.1 with its own temporary
 * directory (never the machine's shared Redis). One per test file, in beforeAll.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const tmp = tmpDir('breakglass-redis-');
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    tmp.path,
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    'redis.log',
  ];
  args.push('--appendonly', options.aof ? 'yes' : 'no');
  if (options.aof) args.push('--appendfsync', options.appendfsync ?? 'always');
  let child: ChildProcess | null = null;

  const launch = async () => {
    const proc = spawn(options.bin ?? 'redis-server', args, { stdio: 'ignore' });
    child = proc;
    const exited = once(proc, 'exit').then(() => {
      throw new Error(`redis-server exited at start (see ${tmp.path}/redis.log)`);
    });
    exited.catch(() => undefined);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const reply = await Promise.race([ping(port), exited]);
      if (reply === '+PONG') return;
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} not ready (last reply ${String(reply)})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const signal = async (sig: NodeJS.Signals) => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(sig);
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dir: tmp.path,
    stop: async () => {
      await signal('SIGTERM');
      tmp.cleanup();
    },
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGKILL');
      await launch();
    },
  };
}
