import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { AuditEntry } from './entry';
import { QueuedTransport, type ForwardRecord, type QueuedTransportOptions } from './forward';

/** Severity (RFC 5424 §6.2.1) of each event type; informational unless listed. */
const SEVERITY: Record<string, number> = {
  'emergency.activated': 2, // critical: someone broke the glass
  'login.failed': 4, // warning
  'policy.refused': 4,
  'request.revoked': 5, // notice
  'host.tainted': 5,
  'emergency.reviewed': 5,
  'ca.changed': 5,
  'config.changed': 5,
};
const INFO = 6;

export interface SyslogFormat {
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
}

const PRINTUSASCII = /^[!-~]+$/;

function field(value: string, max: number): string {
  return value.length > 0 && value.length <= max && PRINTUSASCII.test(value) ? value : '-';
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` with the
 * entry's time, its type as MSGID, no structured data, and the entry's canonical JSON
 * line as MSG (UTF-8, no BOM). Pure.
 */
export function formatSyslog(entry: AuditEntry, line: string, f: SyslogFormat): string {
  const pri = f.facility * 8 + (SEVERITY[entry.type] ?? INFO);
  return `<${pri}>1 ${entry.time} ${field(f.hostname, 255)} ${field(f.appName, 48)} ${field(f.procId, 128)} ${field(entry.type, 32)} - ${line}`;
}

export interface SyslogTransportOptions extends Omit<QueuedTransportOptions, 'name' | 'batchSize'> {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
  appName: string;
  facility: number;
  /** HOSTNAME field; default: this machine's name. */
  hostname?: string;
  /** Time allowed to connect (TCP). */
  connectTimeoutMs?: number;
}

/**
 * Sends entries to a syslog collector: over UDP one message per datagram (RFC 5426),
 * over TCP as octet-counted frames `LEN SP MSG` (RFC 6587 §3.4.1) on one connection,
 * reconnected on failure.
 */
export class SyslogTransport extends QueuedTransport {
  private readonly syslogFormat: SyslogFormat;
  private udp: UdpSocket | null = null;
  private tcp: Socket | null = null;

  constructor(private readonly options: SyslogTransportOptions) {
    super({ name: 'syslog', batchSize: options.protocol === 'udp' ? 1 : 100, ...options });
    this.syslogFormat = {
      facility: options.facility,
      hostname: options.hostname ?? osHostname(),
      appName: options.appName,
      procId: String(process.pid),
    };
  }

  protected async send(batch: readonly ForwardRecord[]): Promise<void> {
    const messages = batch.map((r) => Buffer.from(formatSyslog(r.entry, r.line, this.syslogFormat), 'utf8'));
    if (this.options.protocol === 'udp') {
      const socket = (this.udp ??= this.openUdp());
      for (const m of messages) {
        await new Promise<void>((resolve, reject) =>
          socket.send(m, this.options.port, this.options.host, (err) => (err ? reject(err) : resolve())),
        );
      }
      return;
    }
    const socket = await this.connectTcp();
    const frames = Buffer.concat(messages.flatMap((m) => [Buffer.from(`${m.length} `, 'ascii'), m]));
    await new Promise<void>((resolve, reject) =>
      socket.write(frames, (err) => (err ? reject(err) : resolve())),
    );
  }

  private openUdp(): UdpSocket {
    const socket = createSocket(isIPv6(this.options.host) ? 'udp6' : 'udp4');
    socket.on('error', () => {
      socket.close();
      if (this.udp === socket) this.udp = null;
    });
    socket.unref();
    return socket;
  }

  private connectTcp(): Promise<Socket> {
    if (this.tcp && !this.tcp.destroyed) return Promise.resolve(this.tcp);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(
        () => socket.destroy(new Error('connect timeout')),
        this.options.connectTimeoutMs ?? 5000,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.unref();
        this.tcp = socket;
        resolve(socket);
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        if (this.tcp === socket) this.tcp = null;
        reject(err);
      });
      socket.on('close', () => {
        if (this.tcp === socket) this.tcp = null;
      });
    });
  }

  protected override async shutdown(): Promise<void> {
    this.udp?.close();
    this.udp = null;
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp) await new Promise<void>((resolve) => tcp.end(resolve));
  }
}
