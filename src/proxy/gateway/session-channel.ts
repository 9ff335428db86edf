import type {
  AcceptConnection,
  Client,
  ClientChannel,
  PseudoTtyInfo,
  ServerChannel,
  Session,
  X11Info,
} from 'ssh2';
import type { Constraints } from '../../policy';
import { SftpObserver, type SftpOperation } from '../sftp/observer';
import { bridgeChannel } from './bridge';
import { describeError, type GatewayConnection } from './connection';
import { MenuLine, parseChoice, renderMenu } from './menu';
import { SessionRecorder } from './session-recorder';
import type { Candidate } from '../grants';

type Kind = 'shell' | 'exec' | 'sftp';

/** Environment variables passed on to the host (sshd accepts LANG and LC_* by default). */
const ENV_NAME_RE = /^(LANG|LANGUAGE|LC_[A-Z_]{1,32}|TZ|COLORTERM)$/;
const MAX_ENV = 32;

/** Why the grant does not allow this kind of channel, or null. */
export function channelRefusal(kind: Kind, pty: boolean, c: Constraints): string | null {
  if (kind === 'sftp') return c.sftp ? null : 'sftp and scp are not allowed by the policy of this grant';
  if (pty && !c.pty) return 'interactive terminals (pty) are not allowed by the policy of this grant';
  if (kind === 'exec' && !c.exec) return 'remote commands (exec) are not allowed by the policy of this grant';
  if (kind === 'shell' && !pty && !c.exec)
    return 'a shell without a terminal is command execution, which the policy of this grant does not allow';
  return null;
}

/** Writes a refusal on the channel's stderr, exit status 1, and closes it. */
function refuse(down: ServerChannel, message: string, pty: boolean): void {
  const eol = pty ? '\r\n' : '\n';
  try {
    down.stderr.write(`breakglass: ${message}${eol}`);
    down.exit(1);
    down.end();
  } catch {
    // the client is already gone
  }
}

/** Shows the target menu on a pty and resolves with the choice (null: quit or timeout). */
function runMenu(conn: GatewayConnection, down: ServerChannel): Promise<Candidate | null> {
  const candidates = conn.auth.candidates;
  return new Promise((resolve) => {
    const line = new MenuLine();
    const finish = (c: Candidate | null, rest?: Buffer) => {
      clearTimeout(timer);
      down.off('data', onData);
      down.pause();
      // Typed ahead of the menu's answer: give it back to the session.
      if (c && rest) down.unshift(rest);
      resolve(c);
    };
    const timer = setTimeout(() => {
      down.write('\r\nbreakglass: no target chosen in time\r\n');
      finish(null);
    }, conn.rt.menuTimeoutMs);
    timer.unref();
    const onData = (chunk: Buffer) => {
      conn.touch();
      let input: Buffer | undefined = chunk;
      while (input && input.length > 0) {
        const r = line.feed(input);
        input = r.rest;
        if (r.echo) down.write(r.echo);
        if (r.quit) return finish(null);
        if (r.submitted === undefined) return;
        const choice = parseChoice(r.submitted, candidates.length);
        if (choice === 'quit') return finish(null);
        if (choice === null) {
          down.write(`not a choice; number (1-${Math.min(candidates.length, 50)}), or q: `);
          continue;
        }
        const c = candidates[choice]!;
        down.write(`connecting to ${c.grant.login}@${c.host} …\r\n`);
        return finish(c, input);
      }
    };
    down.on('data', onData);
    down.write(renderMenu(candidates, conn.rt.clock.now()));
  });
}

interface ChannelRequests {
  pty?: PseudoTtyInfo;
  env: Record<string, string>;
  agent: boolean;
  x11?: X11Info;
}

function openUpstreamChannel(
  client: Client,
  kind: Kind,
  command: string,
  req: ChannelRequests,
  c: Constraints,
) {
  return new Promise<ClientChannel>((resolve, reject) => {
    const cb = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
    if (kind === 'sftp') {
      client.subsys('sftp', cb);
      return;
    }
    const pty = req.pty
      ? {
          rows: req.pty.rows,
          cols: req.pty.cols,
          height: req.pty.height,
          width: req.pty.width,
          term: req.pty.term,
          modes: req.pty.modes,
        }
      : undefined;
    const opts = {
      env: req.env,
      ...(req.agent && c.agentForwarding ? { agentForward: true } : {}),
      ...(req.x11 && c.x11Forwarding
        ? {
            x11: {
              single: req.x11.single,
              screen: req.x11.screen,
              protocol: req.x11.protocol,
              cookie: req.x11.cookie,
            },
          }
        : {}),
    };
    if (kind === 'shell') client.shell(pty ?? false, opts, cb);
    else client.exec(command, pty ? { ...opts, pty } : opts, cb);
  });
}

function describeSftp(op: SftpOperation): string {
  const bytes =
    op.bytesRead !== undefined || op.bytesWritten !== undefined
      ? ` (${op.bytesRead ?? 0} bytes read, ${op.bytesWritten ?? 0} written)`
      : '';
  return `sftp ${op.op} ${op.path}${op.target !== undefined ? ` -> ${op.target}` : ''}${bytes}${op.ok ? '' : ` FAILED${op.error ? `: ${op.error}` : ''}`}`;
}

/**
 * One session channel: records the requests that precede the real one (pty, env, agent,
 * X11, window size), and runs the shell, exec or sftp request: menu when the target is
 * not chosen yet, policy checks, recording and audit start, the upstream channel, and the
 * bridge until one side ends.
 */
export function handleSessionChannel(conn: GatewayConnection, accept: AcceptConnection<Session>): void {
  const session = accept();
  const req: ChannelRequests = { env: {}, agent: false };
  let up: ClientChannel | undefined;
  let recorder: SessionRecorder | undefined;
  let started = false;

  session.on('pty', (ok, _no, info) => {
    conn.touch();
    req.pty = info;
    ok?.();
  });
  session.on('env', (ok, _no, info) => {
    if (ENV_NAME_RE.test(info.key) && Object.keys(req.env).length < MAX_ENV)
      req.env[info.key] = String(info.val).slice(0, 1024);
    ok?.();
  });
  session.on('window-change', (ok, _no, info) => {
    conn.touch();
    if (req.pty)
      req.pty = { ...req.pty, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
    up?.setWindow(info.rows, info.cols, info.height, info.width);
    try {
      recorder?.writer.resize(info.cols, info.rows);
    } catch {
      // sizes outside 1..10000 are not recorded
    }
    ok?.();
  });
  session.on('signal', (ok, _no, info) => {
    try {
      up?.signal(info.name);
    } catch {
      // a signal name ssh2 does not know
    }
    ok?.();
  });
  session.on('auth-agent', (ok, no) => {
    const g = conn.grant;
    if (g && !g.constraints.agentForwarding) {
      conn.notices.push(`agent forwarding is not allowed by the policy of grant ${g.id}; it was refused`);
      no?.();
      return;
    }
    req.agent = true;
    conn.agentRequested = true;
    ok?.();
  });
  session.on('x11', (ok, no, info) => {
    const g = conn.grant;
    if (g && !g.constraints.x11Forwarding) {
      conn.notices.push(`X11 forwarding is not allowed by the policy of grant ${g.id}; it was refused`);
      no?.();
      return;
    }
    req.x11 = info;
    ok?.();
  });

  const start = (kind: Kind, down: ServerChannel, command: string | undefined) => {
    if (started) return;
    started = true;
    void run(kind, down, command);
  };
  // Accepted at once, before anything asynchronous: a client that sends EOF right after
  // the request must not lose the channel. Data waits in the channel until bridged.
  session.on('shell', (ok) => start('shell', ok(), undefined));
  session.on('exec', (ok, _no, info) => start('exec', ok(), info.command));
  session.on('subsystem', (ok, no, info) => {
    if (info.name !== 'sftp') {
      no?.();
      return;
    }
    start('sftp', ok(), undefined);
  });

  async function run(kind: Kind, down: ServerChannel, asked: string | undefined): Promise<void> {
    const pty = req.pty !== undefined;
    down.on('error', () => undefined);
    // The user may close the channel (or the connection may end) while the host is reached.
    let closed = false;
    down.once('close', () => (closed = true));
    const gone = () => closed || conn.ended;
    try {
      if (!conn.chosen) {
        if (kind === 'shell' && pty && conn.auth.candidates.length > 0) {
          const choice = await runMenu(conn, down);
          if (!choice) return refuse(down, 'no target chosen', true);
          conn.choose(choice);
        } else {
          const list = conn.auth.candidates
            .slice(0, 10)
            .map((c) => `${c.grant.login}@${c.host}`)
            .join(', ');
          return refuse(
            down,
            `more than one target fits (${list}); name one as LOGIN@HOST in the user name, e.g. ssh -p PORT ${conn.auth.candidates[0] ? `${conn.auth.candidates[0].grant.login}@${conn.auth.candidates[0].host}` : 'root@db-1'}@GATEWAY`,
            pty,
          );
        }
      }
      const grant = conn.grant!;
      const refusal = channelRefusal(kind, pty, grant.constraints);
      if (refusal) return refuse(down, refusal, pty);
      if (req.agent && !grant.constraints.agentForwarding)
        conn.notices.push(
          `agent forwarding is not allowed by the policy of grant ${grant.id}; it was refused`,
        );
      if (req.x11 && !grant.constraints.x11Forwarding)
        conn.notices.push(`X11 forwarding is not allowed by the policy of grant ${grant.id}; it was refused`);
      const client = await conn.upstream();
      // The user certificate's force-command wins (as in sshd); the grant's is enforced by the host.
      const forced = conn.auth.options.forceCommand ?? grant.constraints.forceCommand;
      const command = kind === 'sftp' ? 'sftp' : (forced ?? asked);
      const runCommand = conn.auth.options.forceCommand ?? asked ?? '';
      const sessionId = conn.nextSessionId();
      recorder = await SessionRecorder.start(conn.rt.recorder, conn.identity(sessionId), {
        kind,
        ...(pty && kind !== 'sftp'
          ? { pty: { term: req.pty!.term || 'xterm', cols: req.pty!.cols || 80, rows: req.pty!.rows || 24 } }
          : {}),
        ...(command !== undefined ? { command } : {}),
        recordInput: grant.constraints.recordInput,
        onFailure: (err) => void conn.end(`the session can no longer be recorded: ${err.message}`),
      });
      const effectiveKind: Kind =
        conn.auth.options.forceCommand !== undefined && kind === 'shell' ? 'exec' : kind;
      up = await openUpstreamChannel(client, effectiveKind, runCommand, req, grant.constraints);
      if (gone()) {
        up.close();
        await recorder.end({ reason: 'closed before the host answered' });
        return;
      }
      for (const notice of conn.notices.splice(0))
        down.stderr.write(`breakglass: ${notice}${pty ? '\r\n' : '\n'}`);
      const info = {
        id: sessionId,
        kind,
        pty,
        ...(command !== undefined ? { command: command.slice(0, 1024) } : {}),
        startedAt: conn.rt.clock.now(),
      };
      const rec = recorder;
      const release = conn.addSession(
        { info, recorder: rec, down },
        conn.rt.live.register(sessionId, rec.writer),
      );
      let observer: SftpObserver | undefined;
      if (kind === 'sftp') {
        observer = new SftpObserver((op) => {
          try {
            rec.writer.marker(describeSftp(op));
          } catch {
            // recording closed
          }
          auditSftp(conn, sessionId, op);
        });
      }
      const result = await bridgeChannel({
        down,
        up,
        recorder: rec,
        recordStreams: kind !== 'sftp',
        onActivity: () => conn.touch(),
        ...(observer
          ? {
              onInput: (c: Buffer) => observer.fromClient(c),
              onOutput: (c: Buffer) => observer.fromServer(c),
            }
          : {}),
        onRecordingError: (err) =>
          void conn.end(`the session can no longer be recorded: ${describeError(err)}`),
        ...(conn.socket ? { socket: conn.socket } : {}),
        closed: () => closed,
      });
      observer?.end();
      release();
      await rec.end({
        reason: result.endedBy === 'exit' ? 'exit' : 'closed by the client',
        ...(result.exit ? { exit: result.exit } : {}),
      });
    } catch (err) {
      refuse(down, describeError(err), pty);
      await recorder?.end({ reason: `failed: ${describeError(err)}` });
    }
  }
}

/** Audits one sftp file operation (path and bytes). */
function auditSftp(conn: GatewayConnection, sessionId: string, op: SftpOperation): void {
  const common = {
    session_id: sessionId,
    op: op.op,
    path: op.path.slice(0, 4096),
    ok: op.ok,
    ...(op.target !== undefined ? { target_path: op.target.slice(0, 4096) } : {}),
    ...(op.bytesRead !== undefined ? { bytes_read: op.bytesRead } : {}),
    ...(op.bytesWritten !== undefined ? { bytes_written: op.bytesWritten } : {}),
    ...(op.error !== undefined ? { error: op.error } : {}),
  };
  const id = conn.identity(sessionId);
  conn.rt.audit
    .append({ type: 'session.sftp', data: common, actor: `user:${id.user}`, target: id.host })
    .catch((err: unknown) =>
      conn.rt.logger.error('sftp operation could not be audited', {
        session: sessionId,
        error: describeError(err),
      }),
    );
}
