// What the packet paths (send.ts, receive.ts) and the status report need from a device: its state and a few
// operations. Device implements it; the paths depend on this interface rather than on the Device class, so
// the device module imports them and nothing imports it back.
import type { AllowedIps } from './allowed-ips.js';
import type { Datagram, Endpoint } from './bind.js';
import type { Clock } from './clock.js';
import type { DeviceCounters } from './counters.js';
import type { CookieChecker } from './cookie.js';
import type { CryptoBackend } from './crypto/backend.js';
import type { LocalIdentity } from './handshake.js';
import type { IndexTable } from './index-table.js';
import type { Peer } from './peer.js';
import type { RateLimiter } from './rate-limiter.js';
import type { MonotonicTai64n } from './tai64n.js';

export interface DeviceContext {
  readonly crypto: CryptoBackend;
  readonly identity: LocalIdentity;
  readonly publicKey: Uint8Array;
  readonly clock: Clock;
  readonly timestamps: MonotonicTai64n;
  readonly indexTable: IndexTable<Peer>;
  readonly allowedIps: AllowedIps<Peer>;
  readonly cookieChecker: CookieChecker;
  readonly rateLimiter: RateLimiter;
  readonly handshakeLoad: { count: number; admit(now: number, max: number): boolean };
  readonly counters: DeviceCounters;
  readonly mtu: number;
  readonly headroom: number;
  readonly listenPort: number;
  lastInternalError: Error | null;
  isUnderLoad(now: number): boolean;
  peerByKey(base64: string): Peer | undefined;
  allPeers(): Peer[];
  /** Decrypt transport messages where they lie (the bind's receiveInPlace). */
  readonly receiveInPlace: boolean;
  /**
   * Room for one outgoing datagram of `size` bytes with `headroom` free bytes in front of it, valid until
   * it has been flushed: from a reused buffer where the bind allows (sendDoneOnReturn), else a new one.
   */
  outputBuffer(size: number): Uint8Array;
  /** Queues a datagram for the bind; flush() sends the queue in one batch. */
  output(data: Uint8Array, endpoint: Endpoint): void;
  flush(): void;
  /** Decrypted IP packets, to the device's owner. */
  deliver(packets: Uint8Array[]): void;
  handshakeCompleted(peer: Peer): void;
}

export type { Datagram };
