import type { Config } from '../../config';
import { knownHostsLine, type Gateway } from '../../proxy';
import type { GatewayView } from './deps';

/** What the pages need of a running gateway: where users connect, its known_hosts line, its sessions. */
export function viewOfGateway(
  gateway: Pick<Gateway, 'address' | 'hostKey' | 'sessions'>,
  proxy: Pick<Config['proxy'], 'public_host'>,
  /** The web server's public URL: its host name stands in when the gateway listens on every address. */
  publicUrl?: string,
): GatewayView {
  const wildcard = gateway.address.host === '0.0.0.0' || gateway.address.host === '::';
  const fallback = publicUrl ? new URL(publicUrl).hostname.replace(/^\[|\]$/g, '') : 'localhost';
  const host = proxy.public_host ?? (wildcard ? fallback : gateway.address.host);
  const port = gateway.address.port;
  return {
    address: { host, port },
    knownHostsLine: knownHostsLine(gateway.hostKey, host, port),
    sessions: gateway.sessions,
  };
}
