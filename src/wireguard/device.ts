// A WireGuard device: our static key, a UDP bind, the peers, and the two packet paths.
// `sendPackets` routes IP packets by AllowedIPs and encrypts them; datagrams from the bind are
// decrypted and delivered to `onPackets` in batches. Timers run off one interval that calls tick().
import { MAX_PEERS, UNDER_LOAD_AFTER_TIME, UNDER_LOAD_QUEUE_SIZE } from './constants.js';
import { zeroCounters } from './counters.js';
import type { DeviceContext } from './device-context.js';
import { AllowedIps } from './allowed-ips.js';
import { parseEndpoint, type Bind, type Datagram, type Endpoint } from './bind.js';
import { systemClock, type Clock } from './clock.js';
import { CookieChecker } from './cookie.js';
import { defaultBackend, type CryptoBackend } from './crypto/index.js';
import type { LocalIdentity } from './handshake.js';
import { IndexTable } from './index-table.js';
import { keyFromBase64, keyToBase64, publicKeyFromPrivate } from './keys.js';
import { Peer, type PeerConfig } from './peer.js';
import { RateLimiter } from './rate-limiter.js';
import { receiveDatagrams } from './receive.js';
import { encryptAndQueue, rekey, sendHandshakeInitiation, sendKeepalive, sendStaged } from './send.js';
import { deviceStatus, type DeviceStatus } from './status.js';
import { MonotonicTai64n } from './tai64n.js';
import { canSendWith, needsRekeyOnSend, timerConfig, type TimerConfig } from './timers.js';


/** Bytes of the reused output buffer: a whole batch of full-size datagrams (128 × ~1.5 KB) and then some. */
const OUTPUT_SLAB_BYTES = 256 * 1024;

export interface DeviceOptions {
  privateKey: Uint8Array | string;
  /** UDP port to listen on; 0 or absent = any. */
  listenPort?: number;
  /** The UDP side (src/sockets: the batched addon socket or node:dgram; an in-memory pair in tests). */
  bind: Bind;
  /** Inner MTU, used to cap padding (default 1420). */
  mtu?: number;
  /**
   * Free bytes reserved in front of every outgoing transport message, in the same buffer:
   * `datagram.data.byteOffset >= headroom`, so a bind that wraps datagrams (the two-hop nested
   * bind adding IP + UDP headers) can write its headers in place instead of copying.
   */
  headroom?: number;
  /** Receives decrypted IP packets, in batches; the arrays are the caller's to keep. */
  onPackets?: (packets: Uint8Array[]) => void;
  crypto?: CryptoBackend;
  /** Timer overrides (tests shorten rekeyAfterTime etc.). */
  timers?: Partial<TimerConfig>;
  clock?: Clock;
  /** Random source for timer jitter. */
  random?: () => number;
  /** 'auto' follows the handshake rate; 'always' is the test knob that forces cookie replies. */
  underLoad?: 'auto' | 'always' | 'never';
  /** How often timers are checked, ms (default 50). 0 = never: the caller runs tick(). */
  tickInterval?: number;
}

/** Handshake messages per one-second window: the load signal and the cap on handshake work. */
class HandshakeLoad {
  private windowStart = -Infinity;
  count = 0;
  admit(now: number, max: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= max;
  }
}

function toKey(k: Uint8Array | string, what: string): Uint8Array {
  if (typeof k === 'string') return keyFromBase64(k, what);
  if (k.length !== 32) throw new RangeError(`${what}: expected 32 bytes, got ${k.length}`);
  return k;
}

export type { DeviceCounters } from './counters.js';

export class Device implements DeviceContext {
  readonly crypto: CryptoBackend;
  readonly identity: LocalIdentity;
  readonly clock: Clock;
  readonly timestamps = new MonotonicTai64n();
  readonly indexTable = new IndexTable<Peer>();
  readonly allowedIps = new AllowedIps<Peer>();
  readonly cookieChecker: CookieChecker;
  readonly rateLimiter = new RateLimiter();
  readonly handshakeLoad = new HandshakeLoad();
  readonly counters = zeroCounters();
  readonly mtu: number;
  readonly headroom: number;
  readonly timerConfig: TimerConfig;
  underLoad: 'auto' | 'always' | 'never';
  onPackets: (packets: Uint8Array[]) => void;
  lastInternalError: Error | null = null;
  listenPort = 0;
  private readonly bind: Bind;
  private readonly peers = new Map<string, Peer>();
  private readonly random: () => number;
  private out: Datagram[] = [];
  /**
   * Where outgoing transport messages are built when the bind is done with them on return: one buffer,
   * filled from the front and rewound when a flush leaves nothing queued. Null: a new Buffer per datagram.
   */
  private readonly outSlab: Buffer | null;
  private outUsed = 0;
  /** Inside bind.send: the slab holds datagrams in flight and must not be rewound. */
  private sending = 0;
  readonly receiveInPlace: boolean;
  private underLoadUntil = -Infinity;
  private ticker: NodeJS.Timeout | null = null;
  private run: Uint8Array[] = [];
  private readonly handshakeListeners = new Set<(peer: Peer) => void>();

  constructor(private readonly options: DeviceOptions) {
    this.crypto = options.crypto ?? defaultBackend;
    const privateKey = toKey(options.privateKey, 'privateKey');
    this.identity = { privateKey, publicKey: publicKeyFromPrivate(privateKey, this.crypto) };
    this.clock = options.clock ?? systemClock;
    this.cookieChecker = new CookieChecker(this.crypto, this.identity.publicKey);
    this.mtu = options.mtu ?? 1420;
    this.headroom = options.headroom ?? 0;
    this.timerConfig = timerConfig(options.timers);
    this.underLoad = options.underLoad ?? 'auto';
    this.onPackets = options.onPackets ?? (() => {});
    this.random = options.random ?? Math.random;
    this.bind = options.bind;
    this.outSlab = options.bind.sendDoneOnReturn === true ? Buffer.allocUnsafe(OUTPUT_SLAB_BYTES) : null;
    this.receiveInPlace = options.bind.receiveInPlace === true;
  }

  get publicKey(): Uint8Array {
    return this.identity.publicKey;
  }

  /** Opens the bind and starts the timers. */
  async up(): Promise<void> {
    this.bind.onReceive((batch) => this.receiveDatagrams(batch));
    this.listenPort = await this.bind.open(this.options.listenPort ?? 0);
    const every = this.options.tickInterval ?? 50;
    if (every > 0) {
      this.ticker = setInterval(() => this.tick(), every);
      this.ticker.unref();
    }
  }

  async close(): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    for (const p of this.peers.values()) p.timers.stop();
    await this.bind.close();
  }

  addPeer(config: PeerConfig): Peer {
    const publicKey = toKey(config.publicKey, 'publicKey');
    const id = keyToBase64(publicKey);
    if (this.peers.has(id)) throw new Error(`peer ${id} already exists`);
    if (this.peers.size >= MAX_PEERS) throw new Error(`too many peers (max ${MAX_PEERS})`);
    const psk = config.presharedKey === undefined ? undefined : toKey(config.presharedKey, 'presharedKey');
    const peer = new Peer(this.crypto, this.identity, publicKey, psk, this.timerConfig, this.random);
    if (config.endpoint !== undefined) {
      peer.endpoint = typeof config.endpoint === 'string' ? parseEndpoint(config.endpoint) : config.endpoint;
    }
    for (const cidr of config.allowedIps ?? []) this.allowedIps.insert(cidr, peer);
    peer.persistentKeepalive = config.persistentKeepalive ?? 0;
    this.peers.set(id, peer);
    // wireguard-go sends a keepalive at once when a persistent keepalive is configured.
    if (peer.persistentKeepalive > 0 && peer.endpoint !== null) {
      sendKeepalive(this, peer);
      this.flush();
    }
    return peer;
  }

  removePeer(publicKey: Uint8Array | string): boolean {
    const id = typeof publicKey === 'string' ? publicKey : keyToBase64(publicKey);
    const peer = this.peers.get(id);
    if (peer === undefined) return false;
    peer.timers.stop();
    for (const kp of peer.keypairs.clear()) this.indexTable.delete(kp.localIndex);
    this.indexTable.delete(peer.handshake.localIndex);
    peer.handshake.clear();
    this.allowedIps.removeValue(peer);
    this.peers.delete(id);
    return true;
  }

  peerByKey(base64: string): Peer | undefined {
    return this.peers.get(base64);
  }

  allPeers(): Peer[] {
    return [...this.peers.values()];
  }

  /** Starts a handshake with `peer` now (otherwise the first packet to it does). */
  connect(peer: Peer): void {
    sendHandshakeInitiation(this, peer, false);
    this.flush();
  }

  /**
   * Sends a new initiation now, even within RekeyTimeout of the last one (which WireGuard's own retries
   * respect): for a caller that knows the other side has just come back. The 20 ms flood floor still holds.
   */
  initiateHandshake(peer: Peer): boolean {
    peer.handshake.lastSentHandshake = -Infinity;
    const sent = sendHandshakeInitiation(this, peer, false);
    this.flush();
    return sent;
  }

  /** Calls `listener` each time a handshake with a peer completes; returns the way to stop. */
  onHandshake(listener: (peer: Peer) => void): () => void {
    this.handshakeListeners.add(listener);
    return () => this.handshakeListeners.delete(listener);
  }

  /** @internal receive.ts, when a handshake completes. */
  handshakeCompleted(peer: Peer): void {
    for (const l of this.handshakeListeners) l(peer);
  }

  /**
   * Routes and encrypts IP packets (the first `count`, default all) and sends them as one batch.
   * The packets are only read during the call, so views into a reused buffer are fine.
   */
  sendPackets(packets: readonly Uint8Array[], count = packets.length): void {
    const now = this.clock.now();
    const run = this.run;
    let runPeer: Peer | null = null;
    for (let i = 0; i < count; i++) {
      const packet = packets[i]!;
      const peer = this.allowedIps.lookupDestination(packet);
      if (peer === null) {
        this.counters.droppedNoRoute++;
        continue;
      }
      if (peer !== runPeer && runPeer !== null) {
        this.transmit(runPeer, run, now);
        run.length = 0;
      }
      runPeer = peer;
      run.push(packet);
    }
    if (runPeer !== null) this.transmit(runPeer, run, now);
    run.length = 0;
    this.flush();
  }

  private transmit(peer: Peer, packets: Uint8Array[], now: number): void {
    const kp = peer.keypairs.current;
    if (peer.staged.length === 0 && kp !== null && peer.endpoint !== null && canSendWith(kp, now, this.timerConfig)) {
      encryptAndQueue(this, peer, kp, packets, packets.length, now);
      if (needsRekeyOnSend(kp, now, this.timerConfig)) rekey(this, peer);
      return;
    }
    for (const p of packets) peer.stage(p);
    sendStaged(this, peer);
  }

  /** Entry point for the bind (and for tests that feed datagrams by hand). */
  receiveDatagrams(batch: readonly Datagram[]): void {
    receiveDatagrams(this, batch);
  }

  /** Runs every due timer; `now` defaults to the device clock. */
  tick(now = this.clock.now()): void {
    for (const peer of this.peers.values()) {
      if (peer.timers.nextDeadline() > now) continue;
      for (const action of peer.timers.expire(now)) {
        switch (action) {
          case 'retransmitHandshake':
            sendHandshakeInitiation(this, peer, true);
            break;
          case 'newHandshake':
            sendHandshakeInitiation(this, peer, false);
            break;
          case 'handshakeGaveUp':
            peer.staged = [];
            break;
          case 'sendKeepalive':
          case 'persistentKeepalive':
            sendKeepalive(this, peer);
            break;
          case 'zeroKeyMaterial':
            for (const kp of peer.keypairs.clear()) this.indexTable.delete(kp.localIndex);
            this.indexTable.delete(peer.handshake.localIndex);
            peer.handshake.clear();
            peer.staged = [];
            break;
        }
      }
    }
    this.flush();
  }

  /** Under load: mac2 (a cookie) is required and initiations are rate-limited per source. */
  isUnderLoad(now: number): boolean {
    if (this.underLoad !== 'auto') return this.underLoad === 'always';
    if (this.handshakeLoad.count >= UNDER_LOAD_QUEUE_SIZE) this.underLoadUntil = now + UNDER_LOAD_AFTER_TIME;
    return this.underLoadUntil > now;
  }

  outputBuffer(size: number): Uint8Array {
    const slab = this.outSlab;
    const need = this.headroom + size;
    if (slab !== null && need <= slab.length) {
      // Full: what is queued goes out now (in order), which rewinds the slab.
      if (this.outUsed + need > slab.length && this.sending === 0) this.flush();
      if (this.outUsed + need <= slab.length) {
        const start = this.outUsed + this.headroom;
        this.outUsed = (start + size + 7) & ~7;
        return slab.subarray(start, start + size);
      }
    }
    return this.headroom === 0 ? Buffer.allocUnsafe(size) : Buffer.allocUnsafe(need).subarray(this.headroom);
  }

  /** Queues a datagram; flush() hands the queue to the bind in one call. */
  output(data: Uint8Array, endpoint: Endpoint): void {
    this.out.push({ data, endpoint });
  }

  flush(): void {
    if (this.out.length === 0) return;
    const batch = this.out;
    this.out = [];
    this.sending++;
    try {
      this.bind.send(batch);
    } finally {
      this.sending--;
    }
    // Anything queued meanwhile (a send that came back into this device) still lives in the slab.
    if (this.sending === 0 && this.out.length === 0) this.outUsed = 0;
  }

  deliver(packets: Uint8Array[]): void {
    this.onPackets(packets);
  }

  status(): DeviceStatus {
    return deviceStatus(this);
  }
}
