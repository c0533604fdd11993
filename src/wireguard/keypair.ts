// Transport keys from one completed handshake, and the previous/current/next rotation of a
// peer's keypairs (whitepaper §5.4.6, wireguard-go keypair.go and BeginSymmetricSession).
import type { CryptoBackend, TransportCipher } from './crypto/backend.js';
import type { SessionKeys } from './handshake.js';
import { ReplayWindow } from './replay-window.js';

export class Keypair {
  readonly send: TransportCipher;
  readonly receive: TransportCipher;
  /** Next counter to send; also the number of messages sent with this keypair. */
  sendCounter = 0;
  readonly replay = new ReplayWindow();

  constructor(
    crypto: CryptoBackend,
    keys: SessionKeys,
    readonly created: number,
  ) {
    this.send = crypto.transportCipher(keys.sendKey);
    this.receive = crypto.transportCipher(keys.receiveKey);
    this.isInitiator = keys.isInitiator;
    this.localIndex = keys.localIndex;
    this.remoteIndex = keys.remoteIndex;
    keys.sendKey.fill(0);
    keys.receiveKey.fill(0);
  }
  readonly isInitiator: boolean;
  readonly localIndex: number;
  readonly remoteIndex: number;
}

/**
 * previous: still accepted for receiving (packets in flight); current: used to send;
 * next: the responder's fresh keypair, promoted once the initiator proves it has it.
 */
export class Keypairs {
  previous: Keypair | null = null;
  current: Keypair | null = null;
  next: Keypair | null = null;

  /**
   * Installs a new keypair. Returns those that are no longer reachable, so the caller can drop
   * their indices from the index table.
   */
  install(kp: Keypair): Keypair[] {
    const dropped: Keypair[] = [];
    const push = (k: Keypair | null): void => {
      if (k !== null && k !== kp) dropped.push(k);
    };
    if (kp.isInitiator) {
      if (this.next !== null) {
        push(this.previous);
        this.previous = this.next;
        this.next = null;
        push(this.current);
      } else {
        push(this.previous);
        this.previous = this.current;
      }
      this.current = kp;
    } else {
      push(this.next);
      push(this.previous);
      this.next = kp;
      this.previous = null;
    }
    return dropped;
  }

  /** Called for every authenticated packet; promotes `next` when it is the one used. */
  receivedWith(kp: Keypair): { promoted: boolean; dropped: Keypair | null } {
    if (this.next !== kp) return { promoted: false, dropped: null };
    const dropped = this.previous;
    this.previous = this.current;
    this.current = kp;
    this.next = null;
    return { promoted: true, dropped };
  }

  all(): Keypair[] {
    return [this.previous, this.current, this.next].filter((k): k is Keypair => k !== null);
  }

  clear(): Keypair[] {
    const all = this.all();
    this.previous = this.current = this.next = null;
    return all;
  }
}
