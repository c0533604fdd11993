// One configured peer: its handshake, keypairs, timers, cookie state, endpoint and counters.
// The packet logic that uses this state lives in send.ts and receive.ts.
import { QUEUE_STAGED_SIZE } from './constants.js';
import { CookieGenerator } from './cookie.js';
import type { CryptoBackend } from './crypto/backend.js';
import { Handshake, type LocalIdentity } from './handshake.js';
import { Keypairs } from './keypair.js';
import { keyToBase64 } from './keys.js';
import { PeerTimers, type TimerConfig } from './timers.js';
import type { Endpoint } from './bind.js';

export interface PeerConfig {
  /** The peer's static public key (32 bytes or base64). */
  publicKey: Uint8Array | string;
  presharedKey?: Uint8Array | string;
  /** Where to send; learnt from authenticated packets when absent (and updated on roaming). */
  endpoint?: Endpoint | string;
  /** CIDR prefixes this peer may send from and that we route to it. */
  allowedIps?: readonly string[];
  /** Seconds between keepalives when the link is otherwise idle; 0 or absent = off. */
  persistentKeepalive?: number;
}

export interface PeerStats {
  rxBytes: number;
  txBytes: number;
  /** Wall-clock ms of the last completed handshake, 0 if none (for `wg show`-like status). */
  lastHandshake: number;
  /** The same moment on the device's monotonic clock, 0 if none: what durations and ages use. */
  lastHandshakeAt: number;
  handshakesCompleted: number;
  /** Transport keypairs that passed RekeyAfter* and were replaced. */
  rekeys: number;
}

export class Peer {
  readonly handshake: Handshake;
  readonly keypairs = new Keypairs();
  readonly timers: PeerTimers;
  readonly cookies: CookieGenerator;
  readonly publicKeyBase64: string;
  endpoint: Endpoint | null = null;
  /** Packets waiting for a keypair (copied: callers' buffers may be reused). */
  staged: Uint8Array[] = [];
  readonly stats: PeerStats = { rxBytes: 0, txBytes: 0, lastHandshake: 0, lastHandshakeAt: 0, handshakesCompleted: 0, rekeys: 0 };

  constructor(
    crypto: CryptoBackend,
    local: LocalIdentity,
    readonly publicKey: Uint8Array,
    presharedKey: Uint8Array | undefined,
    timerConfig: TimerConfig,
    random: () => number,
  ) {
    this.handshake = new Handshake(crypto, local, publicKey, presharedKey);
    this.timers = new PeerTimers(timerConfig, random);
    this.cookies = new CookieGenerator(crypto, publicKey);
    this.publicKeyBase64 = keyToBase64(publicKey);
  }

  get persistentKeepalive(): number {
    return this.timers.persistentKeepaliveInterval / 1000;
  }
  set persistentKeepalive(seconds: number) {
    this.timers.persistentKeepaliveInterval = Math.max(0, Math.floor(seconds)) * 1000;
  }

  /**
   * Roaming: the source of an authenticated packet becomes the endpoint, as in wireguard-go. Taken as it
   * is, never compared: the bind hands the same object for a run of packets from one source, and comparing
   * a configured endpoint with a received one meant formatting the address as text for every packet.
   */
  setEndpointFrom(source: Endpoint): void {
    this.endpoint = source;
  }

  stage(packet: Uint8Array): void {
    if (this.staged.length >= QUEUE_STAGED_SIZE) this.staged.shift(); // oldest goes, as wireguard-go
    this.staged.push(Uint8Array.prototype.slice.call(packet));
  }
}
