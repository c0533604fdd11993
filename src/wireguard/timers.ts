// Per-peer timers as a pure state machine (wireguard-go timers.go, itself from the kernel's
// timers.c). Each timer is a deadline in ms; events re-arm them, expire(now) fires the due ones
// and says what the peer must do. Nothing here sleeps or reads a clock.
import {
  KEEPALIVE_TIMEOUT, MAX_TIMER_HANDSHAKES, REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME, REKEY_AFTER_MESSAGES,
  REKEY_AFTER_TIME, REKEY_ATTEMPT_TIME, REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX,
} from './constants.js';

export interface TimerConfig {
  rekeyAfterTime: number;
  rejectAfterTime: number;
  rekeyAttemptTime: number;
  rekeyTimeout: number;
  keepaliveTimeout: number;
  rekeyAfterMessages: number;
  rejectAfterMessages: number;
  /** Upper bound (exclusive) of the random jitter added to handshake timers, ms. */
  jitterMax: number;
}

export const DEFAULT_TIMERS: Readonly<TimerConfig> = Object.freeze({
  rekeyAfterTime: REKEY_AFTER_TIME,
  rejectAfterTime: REJECT_AFTER_TIME,
  rekeyAttemptTime: REKEY_ATTEMPT_TIME,
  rekeyTimeout: REKEY_TIMEOUT,
  keepaliveTimeout: KEEPALIVE_TIMEOUT,
  rekeyAfterMessages: REKEY_AFTER_MESSAGES,
  rejectAfterMessages: REJECT_AFTER_MESSAGES,
  jitterMax: REKEY_TIMEOUT_JITTER_MAX,
});

export function timerConfig(overrides: Partial<TimerConfig> = {}): TimerConfig {
  return { ...DEFAULT_TIMERS, ...overrides };
}

export type TimerAction =
  | 'retransmitHandshake' // send a new initiation (a retry: attempts keep counting)
  | 'handshakeGaveUp' // MaxTimerHandshakes retries failed: drop staged packets
  | 'sendKeepalive'
  | 'newHandshake' // sent data but heard nothing back: start a handshake
  | 'zeroKeyMaterial'
  | 'persistentKeepalive';

const OFF = Infinity;

export class PeerTimers {
  retransmitHandshakeAt = OFF;
  sendKeepaliveAt = OFF;
  newHandshakeAt = OFF;
  zeroKeyMaterialAt = OFF;
  persistentKeepaliveAt = OFF;
  handshakeAttempts = 0;
  needAnotherKeepalive = false;
  sentLastMinuteHandshake = false;
  /** Persistent keepalive interval in ms; 0 = off. */
  persistentKeepaliveInterval = 0;
  /** Cleared by stop(): a stopped peer arms nothing (wireguard-go timersActive()). */
  active = true;

  constructor(
    readonly config: TimerConfig = timerConfig(),
    private readonly random: () => number = Math.random,
  ) {}

  get maxHandshakes(): number {
    return Math.floor(this.config.rekeyAttemptTime / this.config.rekeyTimeout) || MAX_TIMER_HANDSHAKES;
  }

  private jitter(): number {
    return Math.floor(this.random() * this.config.jitterMax);
  }

  /** After an authenticated data packet was sent. */
  dataSent(now: number): void {
    if (this.active && this.newHandshakeAt === OFF) {
      this.newHandshakeAt = now + this.config.keepaliveTimeout + this.config.rekeyTimeout + this.jitter();
    }
  }

  /** After an authenticated data packet was received. */
  dataReceived(now: number): void {
    if (!this.active) return;
    if (this.sendKeepaliveAt === OFF) this.sendKeepaliveAt = now + this.config.keepaliveTimeout;
    else this.needAnotherKeepalive = true;
  }

  /** After any authenticated packet (keepalive, data or handshake) was sent. */
  anyAuthenticatedPacketSent(): void {
    this.sendKeepaliveAt = OFF;
  }

  /** After any authenticated packet was received. */
  anyAuthenticatedPacketReceived(): void {
    this.newHandshakeAt = OFF;
  }

  /** After an initiation was sent. */
  handshakeInitiated(now: number): void {
    if (this.active) this.retransmitHandshakeAt = now + this.config.rekeyTimeout + this.jitter();
  }

  /** After a response was consumed, or the first data packet confirmed a keypair we responded to. */
  handshakeComplete(): void {
    this.retransmitHandshakeAt = OFF;
    this.handshakeAttempts = 0;
    this.sentLastMinuteHandshake = false;
  }

  /** After a session's keys were derived (sending a response or consuming one). */
  sessionDerived(now: number): void {
    if (this.active) this.zeroKeyMaterialAt = now + 3 * this.config.rejectAfterTime;
  }

  /** Before any authenticated packet is sent, or after one is received. */
  anyAuthenticatedPacketTraversal(now: number): void {
    if (this.active && this.persistentKeepaliveInterval > 0) {
      this.persistentKeepaliveAt = now + this.persistentKeepaliveInterval;
    }
  }

  nextDeadline(): number {
    return Math.min(this.retransmitHandshakeAt, this.sendKeepaliveAt, this.newHandshakeAt, this.zeroKeyMaterialAt, this.persistentKeepaliveAt);
  }

  /** Fires every timer due at `now` and returns the actions, in wireguard-go's handler order. */
  expire(now: number): TimerAction[] {
    const actions: TimerAction[] = [];
    if (this.retransmitHandshakeAt <= now) {
      this.retransmitHandshakeAt = OFF;
      if (this.handshakeAttempts > this.maxHandshakes) {
        this.sendKeepaliveAt = OFF;
        if (this.zeroKeyMaterialAt === OFF && this.active) this.zeroKeyMaterialAt = now + 3 * this.config.rejectAfterTime;
        actions.push('handshakeGaveUp');
      } else {
        this.handshakeAttempts++;
        actions.push('retransmitHandshake');
      }
    }
    if (this.sendKeepaliveAt <= now) {
      this.sendKeepaliveAt = OFF;
      actions.push('sendKeepalive');
      if (this.needAnotherKeepalive) {
        this.needAnotherKeepalive = false;
        if (this.active) this.sendKeepaliveAt = now + this.config.keepaliveTimeout;
      }
    }
    if (this.newHandshakeAt <= now) {
      this.newHandshakeAt = OFF;
      actions.push('newHandshake');
    }
    if (this.zeroKeyMaterialAt <= now) {
      this.zeroKeyMaterialAt = OFF;
      actions.push('zeroKeyMaterial');
    }
    if (this.persistentKeepaliveAt <= now) {
      this.persistentKeepaliveAt = OFF;
      if (this.persistentKeepaliveInterval > 0) actions.push('persistentKeepalive');
    }
    return actions;
  }

  stop(): void {
    this.active = false;
    this.retransmitHandshakeAt = this.sendKeepaliveAt = this.newHandshakeAt = OFF;
    this.zeroKeyMaterialAt = this.persistentKeepaliveAt = OFF;
  }
}

/** The key-freshness facts timers.go leaves to send.go/receive.go, as pure predicates. */
export interface KeypairAge {
  created: number;
  sendCounter: number;
  isInitiator: boolean;
}

/** A keypair may encrypt only while younger than RejectAfterTime and under RejectAfterMessages. */
export function canSendWith(kp: KeypairAge | null, now: number, cfg: TimerConfig): boolean {
  return kp !== null && kp.sendCounter < cfg.rejectAfterMessages && now - kp.created < cfg.rejectAfterTime;
}

/** After sending: rekey after RekeyAfterMessages, or (initiator only) after RekeyAfterTime. */
export function needsRekeyOnSend(kp: KeypairAge | null, now: number, cfg: TimerConfig): boolean {
  return kp !== null && (kp.sendCounter > cfg.rekeyAfterMessages || (kp.isInitiator && now - kp.created > cfg.rekeyAfterTime));
}

/** After receiving: the initiator rekeys a last time before the keypair would be rejected. */
export function needsRekeyOnReceive(kp: KeypairAge | null, now: number, cfg: TimerConfig): boolean {
  return kp !== null && kp.isInitiator
    && now - kp.created > cfg.rejectAfterTime - cfg.keepaliveTimeout - cfg.rekeyTimeout;
}
