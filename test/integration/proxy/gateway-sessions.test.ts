import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAsciicastFile, type AsciicastEvent } from '../../../src/recording';
import { runCli } from '../../helpers/cli';
import {
  HOST,
  LOGIN,
  runClient,
  startGatewayStack,
  waitFor,
  type GatewayStack,
  type UserCredential,
} from './gateway-stack';

/**
 * Real OpenSSH client → gateway → real sshd: pty, exec, sftp and scp sessions, their
 * recordings (asciicast v2, replayed by asciinema), audit entries and seals, the
 * live-session registry and live viewing, and `recordings verify`.
 */
let stack: GatewayStack;
let cred: UserCredential;
const TARGET = `${LOGIN}@${HOST}`;

beforeAll(async () => {
  stack = await startGatewayStack({ recording: { checkpoint_interval: '1s' } });
  stack.grant('g-main');
  cred = await stack.userCertificate('g-main');
});
afterAll(async () => {
  await stack?.close();
});

type Entry = { type: string; data: Record<string, unknown>; actor: string };

/** Waits for the session.ended entry of the session that ran `command` (exec) or the n-th session. */
async function endedSession(
  match: (started: Entry) => boolean,
): Promise<{ started: Entry; ended: Entry; checkpoints: Entry[] }> {
  return waitFor(
    async () => {
      const entries = await stack.auditEntries();
      const started = entries.filter((e) => e.type === 'session.started' && match(e)).pop();
      if (!started) return undefined;
      const id = started.data.session_id;
      const ended = entries.find((e) => e.type === 'session.ended' && e.data.session_id === id);
      if (!ended) return undefined;
      const checkpoints = entries.filter((e) => e.type === 'session.checkpoint' && e.data.session_id === id);
      return { started, ended, checkpoints };
    },
    10_000,
    'session.ended',
  );
}

function recordingPath(sessionId: unknown): string {
  return join(stack.config.data_dir, 'recordings', `${String(sessionId)}.cast`);
}

async function events(
  sessionId: unknown,
): Promise<{ header: Record<string, unknown>; events: AsciicastEvent[] }> {
  const list: AsciicastEvent[] = [];
  const summary = await readAsciicastFile(recordingPath(sessionId), (e) => void list.push(e));
  return { header: summary.header as unknown as Record<string, unknown>, events: list };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('exec sessions through the gateway', () => {
  it.each([
    ['exit 0', 0],
    ['exit 7', 7],
    ['false', 1],
  ])('relays the exit status of `%s`', async (command, code) => {
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, command));
    expect(r.code).toBe(code);
  });

  it('keeps stdout and stderr apart and records both with the command and exit status', async () => {
    const command = 'echo to-out; echo to-err >&2; exit 3';
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, command));
    expect(r).toMatchObject({ code: 3, stderr: 'to-err\n' });
    expect(r.stdout.toString()).toBe('to-out\n');
    const { started, ended } = await endedSession((e) => e.data.command === command);
    expect(started).toMatchObject({
      actor: 'user:alice@example.com',
      data: { grant: 'g-main', host: HOST, login: LOGIN, kind: 'exec', pty: false },
    });
    expect(ended.data).toMatchObject({ exit_status: '3', reason: 'exit', bytes_out: 14 });
    const rec = await events(started.data.session_id);
    expect(rec.header).toMatchObject({
      command,
      breakglass: { kind: 'exec', host: HOST, login: LOGIN, grant: 'g-main' },
    });
    const decode = (t: string) =>
      Buffer.concat(
        rec.events.filter((e) => e.type === t).map((e) => Buffer.from(e.data, 'base64')),
      ).toString();
    expect(decode('ob')).toBe('to-out\n');
    expect(decode('eb')).toBe('to-err\n');
    expect(rec.events.at(-1)).toMatchObject({ type: 'x', data: '3' });
  });

  it('passes stdin through to EOF: 3 MB of binary come back byte for byte, and the input is recorded', async () => {
    const input = randomBytes(3 * 1024 * 1024);
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, 'cat'), { input });
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(input));
    const { started } = await endedSession((e) => e.data.command === 'cat');
    const rec = await events(started.data.session_id);
    const got = Buffer.concat(
      rec.events.filter((e) => e.type === 'ib').map((e) => Buffer.from(e.data, 'base64')),
    );
    expect(sha256(got)).toBe(sha256(input));
  });

  it('streams a 40 MB output whole and seals the recording hash and size in the audit log', async () => {
    const command = 'head -c 40000000 /dev/urandom | tee /tmp/bg-gw-large.bin | sha256sum >&2';
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, command));
    expect(r.code).toBe(0);
    const { ended } = await endedSession((e) => e.data.command === command);
    const file = readFileSync(recordingPath(ended.data.session_id));
    expect(ended.data.recording_sha256).toBe(sha256(file));
    expect(ended.data.recording_size).toBe(file.length);

    const big = 'head -c 40000000 /tmp/bg-gw-large.bin';
    const out = await stack.ssh(stack.sshArgs(cred, TARGET, big), { timeoutMs: 60_000 });
    expect(out.stdout.length).toBe(40_000_000);
    expect(`${sha256(out.stdout)}  -\n`).toBe(r.stderr);
  });

  it('relays death by a signal as an exit signal and records it', async () => {
    const command = 'kill -KILL $$';
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, command));
    expect(r.code).toBe(255);
    const { ended, started } = await endedSession((e) => e.data.command === command);
    expect(ended.data.exit_status).toBe('signal KILL');
    expect((await events(started.data.session_id)).events.at(-1)).toMatchObject({
      type: 'x',
      data: 'signal KILL',
    });
  });
});

describe('interactive pty sessions', () => {
  it('runs a shell driven by a script; the recording is asciicast v2 that asciinema replays', async () => {
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, undefined, ['-tt']), {
      input: 'echo "sum=$((6*7))"\nexit 5\n',
    });
    expect(r.code).toBe(5);
    expect(r.stdout.toString()).toContain('sum=42');
    const { started, ended } = await endedSession((e) => e.data.kind === 'shell');
    expect(started.data).toMatchObject({ pty: true, record_input: true });
    expect(ended.data.exit_status).toBe('5');
    const path = recordingPath(started.data.session_id);
    const rec = await events(started.data.session_id);
    expect(rec.header).toMatchObject({
      version: 2,
      breakglass: { kind: 'pty', session: started.data.session_id },
    });
    expect(rec.events.some((e) => e.type === 'm' && e.data === 'echo "sum=$((6*7))"')).toBe(true);
    expect(rec.events.some((e) => e.type === 'i')).toBe(true);
    // asciinema cat insists on a terminal: script(1) gives it one.
    const cat = spawnSync('script', ['-qec', `asciinema cat ${path}`, '/dev/null'], { encoding: 'utf8' });
    expect(cat.status).toBe(0);
    expect(cat.stdout).toContain('sum=42');
  });

  it('shows the session in the registry while it runs and streams it to a live viewer', async () => {
    const child = spawn('ssh', stack.sshArgs(cred, TARGET, undefined, ['-tt']), {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    child.stdout.resume();
    child.stderr.resume();
    try {
      const live = await waitFor(async () =>
        (await stack.gateway.sessions.list()).find((s) => s.channels.length > 0),
      );
      expect(live).toMatchObject({ user: 'alice@example.com', host: HOST, login: LOGIN, grant: 'g-main' });
      const sessionId = live.channels[0]!.id;
      expect(await stack.gateway.sessions.find(sessionId)).toMatchObject({ id: live.id });
      const viewer = stack.gateway.sessions.watch(sessionId, { viewer: 'security@example.com' });
      const header = await viewer.next();
      expect(JSON.parse(header.value as string)).toMatchObject({ version: 2 });
      child.stdin.write('echo live-$((40+2))\n');
      let seen = '';
      for await (const line of viewer) {
        const [, type, data] = JSON.parse(line) as [number, string, string];
        if (type === 'o') seen += data;
        if (seen.includes('live-42')) break;
      }
      expect(seen).toContain('live-42');
      child.stdin.end('exit\n');
    } finally {
      await new Promise((r) => child.once('close', r));
    }
    await waitFor(async () => (await stack.gateway.sessions.list()).length === 0, 5000, 'registry cleared');
  });
});

describe('file transfer', () => {
  it('uploads and downloads with `sftp -b`, auditing each file operation with path and bytes', async () => {
    const local = join(stack.dir, 'up.bin');
    const back = join(stack.dir, 'down.bin');
    const remote = join(stack.dir, 'remote-sftp.bin');
    writeFileSync(local, randomBytes(300_000));
    const batch = join(stack.dir, 'batch');
    writeFileSync(batch, `put ${local} ${remote}\nget ${remote} ${back}\nls ${stack.dir}\nrm ${remote}\n`);
    const port = String(stack.gateway.address.port);
    const r = await runClient('sftp', [
      '-b',
      batch,
      '-P',
      port,
      ...stack.clientOptions(cred),
      `${TARGET}@127.0.0.1`,
    ]);
    expect(r.code).toBe(0);
    expect(readFileSync(back).equals(readFileSync(local))).toBe(true);
    const { started } = await endedSession((e) => e.data.kind === 'sftp');
    const ops = (await stack.auditEntries()).filter(
      (e) => e.data.session_id === started.data.session_id && typeof e.data.op === 'string',
    );
    const summary = ops.map((e) => [
      e.data.op,
      e.data.path,
      e.data.bytes_read ?? null,
      e.data.bytes_written ?? null,
    ]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['write', remote, 0, 300_000],
        ['read', remote, 300_000, 0],
        ['list', `${stack.dir}/`, null, null],
        ['remove', remote, null, null],
      ]),
    );
    expect(ops.every((e) => e.data.ok === true && e.actor === 'user:alice@example.com')).toBe(true);
    const rec = await events(started.data.session_id);
    expect(rec.events.filter((e) => e.type === 'm').map((e) => e.data)).toContain(
      `sftp write ${remote} (0 bytes read, 300000 written)`,
    );
  });

  it('copies both ways with scp (the sftp protocol of OpenSSH 9)', async () => {
    const local = join(stack.dir, 'scp-up.bin');
    const remote = join(stack.dir, 'scp-remote.bin');
    const back = join(stack.dir, 'scp-back.bin');
    writeFileSync(local, randomBytes(123_457));
    const common = [...stack.clientOptions(cred), '-P', String(stack.gateway.address.port)];
    const up = await runClient('scp', [...common, local, `${TARGET}@127.0.0.1:${remote}`]);
    expect(up).toMatchObject({ code: 0 });
    expect(statSync(remote).size).toBe(123_457);
    const down = await runClient('scp', [...common, `${TARGET}@127.0.0.1:${remote}`, back]);
    expect(down.code).toBe(0);
    expect(readFileSync(back).equals(readFileSync(local))).toBe(true);
  });
});

describe('sealed recordings', () => {
  it('checkpoints a running session into the audit log and `recordings verify` accepts it, then names the tampered bytes', async () => {
    const command = 'for i in 1 2 3; do echo tick-$i; sleep 0.6; done';
    const r = await stack.ssh(stack.sshArgs(cred, TARGET, command));
    expect(r.code).toBe(0);
    const { ended, checkpoints } = await endedSession((e) => e.data.command === command);
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const id = String(ended.data.session_id);
    const exported = join(stack.dir, 'audit.jsonl');
    const lines: string[] = [];
    for (let from = 1; ;) {
      const page = await stack.store.readLog(`audit/${stack.config.audit.log_id}`, from, 1000);
      lines.push(...page.map((e) => e.data));
      if (page.length < 1000) break;
      from = page[page.length - 1]!.seq + 1;
    }
    writeFileSync(exported, `${lines.join('\n')}\n`);
    const dirArgs = ['--audit-file', exported, '--recordings-dir', join(stack.config.data_dir, 'recordings')];
    const ok = await runCli(['recordings', 'verify', id, ...dirArgs]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(
        `recording ${id} is intact: \\d+ bytes, sha256 [0-9a-f]{64}, matches \\d+ checkpoints? .* and the final seal`,
      ),
    );

    const path = recordingPath(id);
    const text = readFileSync(path, 'utf8');
    const at = text.lastIndexOf('"x", "0"');
    writeFileSync(path, `${text.slice(0, at)}"x", "1"${text.slice(at + 8)}`);
    const bad = await runCli(['recordings', 'verify', id, ...dirArgs]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /FAILED: bytes \d+-\d+ \(lines? \d+(-\d+)?\) differ from what was sealed: the final seal/,
    );
  });
});
