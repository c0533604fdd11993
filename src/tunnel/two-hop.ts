// The two-hop tunnel on one TUN: packets read from the TUN are encrypted for the EXIT gateway, the
// result is wrapped in IP + UDP to the exit's endpoint and encrypted again for the ENTRY gateway,
// then sent on one real UDP socket (marked, so policy routing keeps it off the tunnel). Replies
// walk back the same way and are written to the TUN.

import { nativeCryptoBackend } from '../native/aead.js';
import { Device } from '../wireguard/device.js';
import type { Endpoint } from '../wireguard/bind.js';
import { parseEndpoint } from '../wireguard/bind.js';
import { UdpBatchBind } from '../sockets/bind-udp-batch.js';
import type { TimerConfig } from '../wireguard/timers.js';
import type { Peer } from '../wireguard/peer.js';
import { TunDevice } from '../tun/tun-device.js';
import * as link from '../tun/link.js';
import { NestedBind } from './nested-bind.js';
import { headerLength } from '../net/ip-udp.js';

export interface HopConfig {
  /** The gateway's WireGuard public key (base64). */
  publicKey: string;
  presharedKey?: string;
  /** host:port — a literal IP (name resolution happens before, in the registrar). */
  endpoint: string;
  /** Our addresses on this hop, without prefix: { ipv4, ipv6? }. */
  ipv4: string;
  ipv6?: string;
}

export interface TwoHopConfig {
  interfaceName: string;
  /** MTU of the TUN (inner hop), 1340 by default upstream. */
  mtu: number;
  /** MTU of the entry hop, which carries the exit hop; 1420 upstream. */
  entryMtu: number;
  entryPrivateKey: Uint8Array;
  exitPrivateKey: Uint8Array;
  entry: HopConfig;
  exit: HopConfig;
  /** SO_MARK of the outer UDP socket. */
  fwmark: number;
  /** Carry IPv6 on the TUN (false: the TUN gets no IPv6 address). */
  ipv6: boolean;
  /** UDP port of the exit hop inside the entry tunnel. */
  innerPort?: number;
  /**
   * Addresses of the entry gateway itself we talk to inside the entry hop (its metadata service at 10.1.0.1),
   * added to the entry peer's allowed IPs: without them WireGuard would drop its answers and refuse our packets.
   */
  entryGatewayAddresses?: readonly string[];
  timers?: Partial<TimerConfig>;
}

export interface TunnelStats {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** ms since the epoch of the latest handshake per hop, 0 = none yet. */
  entryHandshake: number;
  exitHandshake: number;
}

export class TwoHopTunnel {
  private closed = false;
  private readonly reusable: Uint8Array[] = [];
  private readonly taps = new Set<(p: Uint8Array) => boolean>();
  private readonly entryListeners = new Set<(p: Uint8Array) => void>();
  /** Told when the tunnel closes (a wait in progress ends). */
  private readonly closeListeners = new Set<() => void>();

  private constructor(
    readonly config: TwoHopConfig,
    private readonly tun: TunDevice,
    readonly entryDevice: Device,
    readonly exitDevice: Device,
    readonly entryPeer: Peer,
    readonly exitPeer: Peer,
    readonly nested: NestedBind,
    readonly entryEndpoint: Endpoint,
  ) {}

  /** Creates the TUN and both devices, and starts both handshakes; resolves once they are set up (not connected). */
  static async open(c: TwoHopConfig): Promise<TwoHopTunnel> {
    const entryEndpoint = parseEndpoint(c.entry.endpoint);
    const exitEndpoint = parseEndpoint(c.exit.endpoint);
    const innerSource = exitEndpoint.family === 4 ? c.entry.ipv4 : c.entry.ipv6;
    if (innerSource === undefined) throw new Error(`the exit endpoint is IPv${exitEndpoint.family} but we have no IPv${exitEndpoint.family} address on the entry hop`);

    // NYM_VPN_TUN_OFFLOAD=0: one write per packet, as on a kernel without the virtio header (for comparison).
    const tun = TunDevice.open(c.interfaceName, { batchSize: 128, maxPacketSize: Math.max(c.mtu, 1500), offload: process.env.NYM_VPN_TUN_OFFLOAD !== '0' });
    let entry: Device | null = null;
    let exit: Device | null = null;
    let t: TwoHopTunnel | null = null;
    try {
      const addresses = [`${c.exit.ipv4}/32`];
      if (c.ipv6 && c.exit.ipv6) addresses.push(`${c.exit.ipv6}/128`);
      await link.setUp(tun.name, { mtu: c.mtu, addresses });

      let nested: NestedBind | null = null;
      const crypto = nativeCryptoBackend();
      entry = new Device({
        privateKey: c.entryPrivateKey,
        crypto,
        // NYM_VPN_UDP_GSO=0 / NYM_VPN_UDP_GRO=0: every datagram alone, as on a kernel without UDP GSO / GRO
        // (benchmarks compare the two).
        bind: new UdpBatchBind({ address: entryEndpoint.family === 4 ? '0.0.0.0' : '::', fwmark: c.fwmark, gso: process.env.NYM_VPN_UDP_GSO !== '0', gro: process.env.NYM_VPN_UDP_GRO !== '0' }),
        mtu: c.entryMtu,
        timers: c.timers,
        onPackets: (packets) => nested!.receiveFromEntry(packets),
      });
      const headroom = headerLength(exitEndpoint.family);
      nested = new NestedBind({
        localAddress: innerSource,
        localPort: c.innerPort ?? 51821,
        remote: exitEndpoint,
        sendToEntry: (packets) => entry!.sendPackets(packets),
        deviceHeadroom: headroom,
        onOther: (p) => t?.fromEntryGateway(p),
      });
      exit = new Device({
        privateKey: c.exitPrivateKey,
        crypto,
        bind: nested,
        headroom,
        mtu: c.mtu,
        timers: c.timers,
        onPackets: (packets) => t?.delivered(packets),
      });
      const exitHost = exitEndpoint.family === 4 ? `${exitEndpoint.address}/32` : `${exitEndpoint.address}/128`;
      const entryAllowed = [exitHost, ...(c.entryGatewayAddresses ?? []).map((a) => (a.includes(':') ? `${a}/128` : `${a}/32`))];
      const entryPeer = entry.addPeer({ publicKey: c.entry.publicKey, presharedKey: c.entry.presharedKey, endpoint: entryEndpoint, allowedIps: entryAllowed });
      const exitPeer = exit.addPeer({ publicKey: c.exit.publicKey, presharedKey: c.exit.presharedKey, endpoint: exitEndpoint, allowedIps: ['0.0.0.0/0', '::/0'] });
      await entry.up();
      await exit.up();
      const tunnel = new TwoHopTunnel(c, tun, entry, exit, entryPeer, exitPeer, nested, entryEndpoint);
      t = tunnel;
      tun.onError(() => {});
      tun.onPackets((batch) => tunnel.fromTun(batch.count, (i) => batch.packet(i)));
      entry.connect(entryPeer);
      exit.connect(exitPeer);
      return tunnel;
    } catch (e) {
      tun.close();
      await entry?.close().catch(() => {});
      await exit?.close().catch(() => {});
      await link.deleteLink(c.interfaceName).catch(() => {});
      throw e;
    }
  }

  private fromTun(count: number, packet: (i: number) => Uint8Array): void {
    const list = this.reusable;
    for (let i = 0; i < count; i++) list[i] = packet(i);
    this.exitDevice.sendPackets(list, count);
  }

  /** True once both hops completed a handshake since `since` (the devices' monotonic clock, ms). */
  handshakesSince(since: number): boolean {
    return this.entryPeer.stats.lastHandshakeAt >= since && this.exitPeer.stats.lastHandshakeAt >= since;
  }

  /** Now on the devices' monotonic clock (what `since` and handshake stamps use). */
  now(): number {
    return this.entryDevice.clock.now();
  }

  /**
   * Resolves when both hops have had a handshake since `since`, rejects after `timeoutMs` or on abort.
   * Driven by the devices' handshake events. A hop still without a handshake gets a fresh initiation every
   * `kickMs` (WireGuard alone would wait RekeyTimeout, 5 s, between tries), so a gateway that comes back
   * is reached within about a second.
   */
  waitConnected(since: number, timeoutMs: number, signal?: AbortSignal, kickMs = 1000): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup: Array<() => void> = [];
      const finish = (err?: Error) => {
        for (const c of cleanup.splice(0)) c();
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (this.handshakesSince(since)) finish();
      };
      cleanup.push(this.entryDevice.onHandshake(check), this.exitDevice.onHandshake(check));
      const kick = setInterval(() => this.kick(since), kickMs);
      cleanup.push(() => clearInterval(kick));
      const deadline = setTimeout(() => {
        const which = this.entryPeer.stats.lastHandshakeAt >= since ? 'exit' : 'entry';
        finish(new Error(`no handshake with the ${which} gateway within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      cleanup.push(() => clearTimeout(deadline));
      const onAbort = () => finish(new Error('tunnel closed'));
      signal?.addEventListener('abort', onAbort, { once: true });
      cleanup.push(() => signal?.removeEventListener('abort', onAbort));
      this.closeListeners.add(onAbort);
      cleanup.push(() => this.closeListeners.delete(onAbort));
      if (this.closed || signal?.aborted) onAbort();
      else check();
    });
  }

  /** Starts a fresh handshake on each hop that has none since `since`. */
  kick(since: number): void {
    if (this.closed) return;
    if (this.entryPeer.stats.lastHandshakeAt < since) this.entryDevice.initiateHandshake(this.entryPeer);
    if (this.exitPeer.stats.lastHandshakeAt < since) this.exitDevice.initiateHandshake(this.exitPeer);
  }

  /** Works around an MTU black hole: the exit hop's datagrams leave in IP fragments of at most `bytes`. */
  fragmentExitDatagrams(bytes: number): void {
    this.nested.fragmentAbove(bytes);
  }

  /** Injects IP packets as if read from the TUN (the connection monitor's probes). */
  inject(packets: Uint8Array[]): void {
    if (!this.closed) this.exitDevice.sendPackets(packets);
  }

  /**
   * Adds a look at every packet the exit hop delivers before it reaches the TUN (return false to keep it from
   * the TUN: the connection monitor's echo replies); returns the way to remove it.
   */
  tapDelivered(filter: (p: Uint8Array) => boolean): () => void {
    this.taps.add(filter);
    return () => this.taps.delete(filter);
  }

  /**
   * IP packets to the entry gateway itself, inside the entry hop only (never through the exit hop): the
   * userspace TCP to its metadata service. Only to the addresses named in entryGatewayAddresses.
   */
  sendInsideEntry(packets: Uint8Array[]): void {
    if (!this.closed) this.entryDevice.sendPackets(packets);
  }

  /** Packets the entry gateway itself sent us (not the exit hop's); returns the way to stop listening. */
  listenInsideEntry(listener: (p: Uint8Array) => void): () => void {
    this.entryListeners.add(listener);
    return () => this.entryListeners.delete(listener);
  }

  private fromEntryGateway(p: Uint8Array): void {
    if (this.entryListeners.size === 0) return;
    const copy = Uint8Array.from(p);
    for (const l of this.entryListeners) l(copy);
  }

  /** The exit hop's decrypted packets: through the taps (if any), then to the TUN. */
  private delivered(packets: Uint8Array[]): void {
    if (this.taps.size === 0) {
      this.tun.write(packets);
      return;
    }
    const keep = packets.filter((p) => {
      for (const tap of this.taps) if (!tap(p)) return false;
      return true;
    });
    if (keep.length > 0) this.tun.write(keep);
  }

  stats(): TunnelStats {
    const s = this.tun.stats();
    return {
      rxBytes: s.txBytes, // what the tunnel delivered to the router = what we wrote to the TUN
      txBytes: s.rxBytes,
      rxPackets: s.txPackets,
      txPackets: s.rxPackets,
      entryHandshake: this.entryPeer.stats.lastHandshake,
      exitHandshake: this.exitPeer.stats.lastHandshake,
    };
  }

  get interfaceName(): string {
    return this.tun.name;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.closeListeners]) l();
    this.tun.close();
    await this.exitDevice.close();
    await this.entryDevice.close();
    await link.deleteLink(this.config.interfaceName).catch(() => {});
  }
}
