import type { ClientChannel, ServerChannel } from 'ssh2';
import type { ExitStatus } from '../../recording';
import type { SessionRecorder } from './session-recorder';

export interface BridgeOptions {
  /** The user's channel (ssh2 server side). */
  readonly down: ServerChannel;
  /** The host's channel (ssh2 client side). */
  readonly up: ClientChannel;
  readonly recorder: SessionRecorder;
  /** Whether the bytes go into the recording (false for sftp: its operations are recorded instead). */
  readonly recordStreams?: boolean;
  /** Any traffic (for the idle timeout). */
  readonly onActivity: () => void;
  /** Taps for protocol observers (sftp). */
  readonly onInput?: (chunk: Buffer) => void;
  readonly onOutput?: (chunk: Buffer) => void;
  /** The recording failed: the session must end. */
  readonly onRecordingError: (err: unknown) => void;
  /**
   * The user's TCP socket: corked while a burst from the host is relayed in one turn of
   * the event loop, so its SSH packets leave in one writev instead of one write each.
   */
  readonly socket?: { cork(): void; uncork(): void };
  /** Whether the user's channel closed before the bridge was set up. */
  readonly closed?: () => boolean;
}

export interface BridgeResult {
  /** `exit` (the host ended it), `client` (the user closed the channel). */
  readonly endedBy: 'exit' | 'client';
  readonly exit?: ExitStatus;
}

type RawExit = { code: number | null; signal?: string; dump?: boolean; desc?: string };

/** The host's exit as the recording writes it. */
export function toExitStatus(raw: RawExit | undefined): ExitStatus | undefined {
  if (!raw) return undefined;
  if (typeof raw.code === 'number') return { code: Math.min(Math.max(raw.code, 0), 999) };
  if (raw.signal)
    return {
      signal:
        raw.signal
          .replace(/^SIG/, '')
          .replace(/[^A-Za-z0-9_+-]/g, '')
          .slice(0, 32) || 'UNKNOWN',
    };
  return undefined;
}

/**
 * Bridges one session channel between the user and the host, recording as it goes:
 * host stdout/stderr → recording → user; user stdin → recording (as policy says) → host;
 * EOF both ways; the host's exit status or signal relayed after the last byte. Flow
 * control is end to end: when the user's window or the recording's buffer is full the
 * host channel is paused, and the user's channel when the host's is full.
 */
export function bridgeChannel(o: BridgeOptions): Promise<BridgeResult> {
  const { down, up, recorder } = o;
  const writer = recorder.writer;
  const traffic = recorder.traffic;
  const record = o.recordStreams !== false;
  return new Promise<BridgeResult>((resolve) => {
    // A broken channel ends in 'close' on both sides; its error must not crash the gateway.
    const ignore = () => undefined;
    up.on('error', ignore);
    up.stderr.on('error', ignore);
    down.on('error', ignore);
    down.stderr.on('error', ignore);
    let raw: RawExit | undefined;
    let downBlocked = false;
    let recordBlocked = false;
    let upClosed = false;
    let upErrEnded = false;
    let settled = false;

    const pauseUp = () => {
      up.pause();
      up.stderr.pause();
    };
    const resumeUp = () => {
      if (downBlocked || recordBlocked) return;
      up.resume();
      up.stderr.resume();
    };
    const recordFailed = (err: unknown) => {
      o.onRecordingError(err);
    };
    const waitForRecording = () => {
      if (recordBlocked) return;
      recordBlocked = true;
      pauseUp();
      writer.ready().then(() => {
        recordBlocked = false;
        resumeUp();
      }, recordFailed);
    };

    let corked = false;
    const uncork = () => {
      corked = false;
      o.socket!.uncork();
    };
    const fromHost = (chunk: Buffer, stderr: boolean) => {
      if (o.socket && !corked) {
        corked = true;
        o.socket.cork();
        process.nextTick(uncork);
      }
      o.onActivity();
      traffic.bytesOut += chunk.length;
      let roomInRecording = true;
      try {
        if (record) roomInRecording = stderr ? writer.errorOutput(chunk) : writer.output(chunk);
      } catch (err) {
        recordFailed(err);
        return;
      }
      o.onOutput?.(chunk);
      const ok = stderr ? down.stderr.write(chunk) : down.write(chunk);
      if (!ok && !downBlocked) {
        downBlocked = true;
        pauseUp();
      }
      if (!roomInRecording) waitForRecording();
    };
    const downDrained = () => {
      if (!downBlocked) return;
      if (down.writableNeedDrain || down.stderr.writableNeedDrain) return;
      downBlocked = false;
      resumeUp();
    };
    up.on('data', (chunk: Buffer) => fromHost(chunk, false));
    up.stderr.on('data', (chunk: Buffer) => fromHost(chunk, true));
    down.on('drain', downDrained);
    down.stderr.on('drain', downDrained);

    down.on('data', (chunk: Buffer) => {
      o.onActivity();
      traffic.bytesIn += chunk.length;
      try {
        if (record) writer.input(chunk);
      } catch (err) {
        recordFailed(err);
        return;
      }
      o.onInput?.(chunk);
      if (!up.write(chunk)) down.pause();
    });
    up.on('drain', () => down.resume());
    down.on('end', () => up.end());

    up.on('exit', (code: number | null, signal?: string, dump?: boolean, desc?: string) => {
      raw = { code, signal, dump, desc };
    });

    const finish = (endedBy: BridgeResult['endedBy']) => {
      if (settled) return;
      settled = true;
      const exit = toExitStatus(raw);
      resolve(exit ? { endedBy, exit } : { endedBy });
    };

    // The host closed: relay what is still buffered, then the exit status, then close.
    const hostDone = () => {
      if (!upClosed || !upErrEnded || settled) return;
      const relay = () => {
        if (raw && down.writable) {
          try {
            if (typeof raw.code === 'number') down.exit(raw.code);
            else if (raw.signal) down.exit(raw.signal.replace(/^SIG/, ''), raw.dump ?? false, raw.desc ?? '');
          } catch {
            // an exit signal ssh2 does not know: the channel still closes
          }
        }
        down.end();
        finish('exit');
      };
      // Zero-length writes complete after every write queued before them.
      let pending = 2;
      const flushed = () => {
        if (--pending === 0) relay();
      };
      if (down.writable) down.write(Buffer.alloc(0), flushed);
      else flushed();
      if (down.stderr.writable) down.stderr.write(Buffer.alloc(0), flushed);
      else flushed();
    };
    up.on('close', () => {
      upClosed = true;
      hostDone();
    });
    up.stderr.on('close', () => {
      upErrEnded = true;
      hostDone();
    });
    up.stderr.on('end', () => {
      upErrEnded = true;
      hostDone();
    });

    down.on('close', () => {
      if (!upClosed) up.close();
      finish('client');
    });
    if (o.closed?.()) {
      up.close();
      finish('client');
      return;
    }
    // The user's channel may have been paused (target menu) or have data waiting since it was accepted.
    down.resume();
  });
}
