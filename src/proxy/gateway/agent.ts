import { Duplex } from 'node:stream';
import { BaseAgent, type Connection } from 'ssh2';
import { openAgentChannel } from './ssh2-server-internals';

/**
 * The agent the upstream connection offers the host when the grant allows agent
 * forwarding: each time the host opens an agent channel, the gateway opens one to the
 * user's client (which must have been started with `ssh -A`) and joins the two. The
 * gateway itself never reads keys from or signs with the user's agent.
 */
export class GatewayAgent extends BaseAgent {
  constructor(private readonly client: Connection) {
    super();
  }

  getIdentities(cb: (err: Error | undefined, keys?: never[]) => void): void {
    cb(new Error('the gateway does not use the forwarded agent itself'));
  }

  sign(_pubKey: unknown, _data: Buffer, options: unknown, cb?: (err: Error | undefined) => void): void {
    const done = typeof options === 'function' ? (options as (err: Error | undefined) => void) : cb;
    done?.(new Error('the gateway does not use the forwarded agent itself'));
  }

  override getStream(cb: (err: Error | undefined, stream?: Duplex) => void): void {
    openAgentChannel(this.client, (err, stream) => cb(err, stream as Duplex | undefined));
  }
}
