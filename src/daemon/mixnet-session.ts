// The mixnet channel of one connect attempt, as nym-vpnd uses it: started only when a Nym registration
// actually sends its first message (a route of static peers never loads the WASM client), pinned to the
// attempt's entry gateway, with the kill switch opened first for exactly what the client connects to (the
// nym-api it reads the topology from, the entry's websocket), and closed once both hops are registered, so
// the client's worker and its memory are gone before the tunnel comes up.
import { isIP } from 'node:net';
import type { Gateway } from '../gateways/gateway.js';
import { MixnetChannel, type MixnetChannelOptions } from '../mixnet/mixnet-channel.js';
import type { AuthenticatorChannel } from '../nym-registration/authenticator-channel.js';
import type { OwnTraffic } from './connection-ports.js';
import type { Logger } from './log.js';

export interface MixnetSessionOptions {
  entry: Gateway;
  nymApiUrl: string;
  /** The fwmark of the client's sockets (undefined: the system's, as in tests without a kill switch). */
  mark: number | undefined;
  /** The nym-api as a kill-switch destination (resolved as the directory API is). */
  nymApiTraffic: () => Promise<OwnTraffic[]>;
  /** Opens the kill switch for the daemon's own traffic (replacing what the attempt allowed before). */
  allow: (own: readonly OwnTraffic[]) => Promise<void>;
  log: Logger;
  /** Starts the channel (tests give a stand-in transport only where the WASM client cannot run). */
  start?: (o: MixnetChannelOptions, signal: AbortSignal) => Promise<MixnetChannel>;
}

/** The entry gateway's client websocket(s) as kill-switch destinations: each of its IPs on its ws port. */
export function entryWebsocketTraffic(entry: Gateway): OwnTraffic[] {
  if (entry.wsPort === undefined) return [];
  return entry.ipAddresses.map((address) => ({ address, port: entry.wsPort!, protocol: 'tcp' as const }));
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

export class MixnetSession implements AuthenticatorChannel {
  private channel: Promise<MixnetChannel> | undefined;
  private readonly listeners = new Set<(m: Uint8Array) => void>();
  private closed = false;

  constructor(private readonly o: MixnetSessionOptions) {}

  async send(recipient: string, message: Uint8Array, signal: AbortSignal, replySurbs?: number): Promise<void> {
    if (this.closed) throw new Error('the mixnet session is closed');
    this.channel ??= this.open(signal);
    const channel = await this.channel;
    return channel.send(recipient, message, signal, replySurbs);
  }

  subscribe(listener: (message: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** Ends the client (and its worker) if it was started. */
  async close(): Promise<void> {
    this.closed = true;
    const channel = await this.channel?.catch(() => undefined);
    if (!channel) return;
    await channel.close();
    this.o.log.info('mixnet: client closed');
  }

  private async open(signal: AbortSignal): Promise<MixnetChannel> {
    const t0 = performance.now();
    const api = await this.o.nymApiTraffic();
    await this.o.allow([...api, ...entryWebsocketTraffic(this.o.entry)]);
    // The client reaches the nym-api at the address just allowed, not at whatever a second lookup answers.
    const name = hostOf(this.o.nymApiUrl);
    const pinnedHosts = name !== undefined && isIP(name) === 0 && api[0] ? { [name]: api[0].address } : undefined;
    this.o.log.info(`mixnet: starting the client at entry gateway ${this.o.entry.id} (topology from ${this.o.nymApiUrl})`);
    const channel = await (this.o.start ?? MixnetChannel.start)({
      nymApiUrl: this.o.nymApiUrl, gateway: this.o.entry.id, ...(this.o.mark !== undefined ? { mark: this.o.mark } : {}), ...(pinnedHosts ? { pinnedHosts } : {}),
    }, signal);
    if (this.closed) {
      await channel.close();
      throw new Error('the mixnet session closed while the client started');
    }
    channel.subscribe((m) => { for (const l of this.listeners) l(m); });
    this.o.log.info(`mixnet: client ${channel.address} ready in ${Math.round(performance.now() - t0)} ms`);
    return channel;
  }
}
