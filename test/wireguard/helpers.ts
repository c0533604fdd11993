// Shared test fixtures: IP packet builders (tools/wireguard-lab) and a pair of devices on an in-memory network.
import { MemoryNetwork } from '../../tools/wireguard-lab/bind-memory.js';
import { ManualClock } from '../../src/wireguard/clock.js';
import { Device, type DeviceOptions } from '../../src/wireguard/device.js';
import { generatePrivateKey, keyToBase64 } from '../../src/wireguard/keys.js';
import type { Peer } from '../../src/wireguard/peer.js';

export { ipv4Packet, ipv6Packet } from '../../tools/wireguard-lab/packets.js';

export interface Pair {
  net: MemoryNetwork;
  clock: ManualClock;
  a: Device;
  b: Device;
  /** A's view of B and B's view of A. */
  ab: Peer;
  ba: Peer;
  gotA: Uint8Array[];
  gotB: Uint8Array[];
  /** Advances the clock, runs both devices' timers and delivers until quiet. */
  step(ms: number): void;
  close(): Promise<void>;
}

/** A (10.0.0.1, fd00::1) initiates towards B (10.0.0.2, fd00::2); B learns A's endpoint. */
export async function makePair(opts: { a?: Partial<DeviceOptions>; b?: Partial<DeviceOptions>; psk?: boolean; scratch?: boolean } = {}): Promise<Pair> {
  const net = new MemoryNetwork();
  const clock = new ManualClock(1_000);
  const gotA: Uint8Array[] = [];
  const gotB: Uint8Array[] = [];
  const random = (): number => 0.5;
  const a = new Device({ privateKey: generatePrivateKey(), bind: net.bind('192.0.2.1', 4, { scratch: opts.scratch }), clock, tickInterval: 0, random, onPackets: (p) => gotA.push(...p), ...opts.a });
  const b = new Device({ privateKey: generatePrivateKey(), bind: net.bind('192.0.2.2', 4, { scratch: opts.scratch }), clock, tickInterval: 0, random, onPackets: (p) => gotB.push(...p), ...opts.b });
  await a.up();
  await b.up();
  const psk = opts.psk ? generatePrivateKey() : undefined;
  const ab = a.addPeer({ publicKey: keyToBase64(b.publicKey), endpoint: `192.0.2.2:${b.listenPort}`, allowedIps: ['10.0.0.2/32', 'fd00::2/128'], presharedKey: psk });
  const ba = b.addPeer({ publicKey: b.publicKey === a.publicKey ? '' : a.publicKey, allowedIps: ['10.0.0.1/32', 'fd00::1/128'], presharedKey: psk });
  const step = (ms: number): void => {
    clock.advance(ms);
    a.tick();
    b.tick();
    net.pump();
  };
  return { net, clock, a, b, ab, ba, gotA, gotB, step, close: async () => { await a.close(); await b.close(); } };
}
