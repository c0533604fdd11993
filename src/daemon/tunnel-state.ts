// The tunnel state machine, with upstream NymVPN's states and error reasons (nym-vpn-lib-types
// tunnel_state.rs). Pure: time comes in as an argument; listeners hear every change.

export type ErrorReason =
  | 'Firewall' | 'Routing' | 'SetDns' | 'TunDevice' | 'TunnelProvider' | 'ResolveGatewayAddrs'
  | 'SameEntryAndExitGateway' | 'InvalidEntryGatewayCountry' | 'InvalidExitGatewayCountry'
  | 'InvalidEntryGatewayIdentity' | 'InvalidExitGatewayIdentity'
  | 'PerformantEntryGatewayUnavailable' | 'PerformantExitGatewayUnavailable'
  | 'SyncAccount' | 'RegisterDevice' | 'RequestZkNym' | 'DeviceTimeOutOfSync' | 'MaxDevicesReached'
  | 'BandwidthExceeded' | 'SubscriptionExpired' | 'Internal';

export type AfterDisconnect = 'nothing' | 'reconnect' | 'offline' | 'error';

export interface GatewayRef {
  id: string;
  name?: string;
  country?: string;
  endpoint?: string;
  public_key?: string;
}

export type TunnelState =
  | { state: 'disconnected' }
  | { state: 'connecting'; retryAttempt: number }
  | { state: 'connected'; connectedSince: number; entry: GatewayRef; exit: GatewayRef; addresses: { ipv4?: string; ipv6?: string } }
  | { state: 'disconnecting'; after: AfterDisconnect }
  | { state: 'error'; reason: ErrorReason; message: string }
  | { state: 'offline'; reconnect: boolean };

export type StateName = TunnelState['state'];

// Which state may follow which; anything else is a bug in the caller, not a user error.
const NEXT: Record<StateName, readonly StateName[]> = {
  disconnected: ['connecting', 'offline'],
  connecting: ['connecting', 'connected', 'disconnecting', 'error', 'offline'],
  connected: ['disconnecting'],
  disconnecting: ['disconnected', 'connecting', 'offline', 'error'],
  error: ['connecting', 'disconnecting', 'disconnected', 'offline'],
  offline: ['connecting', 'disconnected', 'disconnecting'],
};

export class IllegalTransition extends Error {
  override name = 'IllegalTransition';
}

export type StateListener = (s: TunnelState, since: number) => void;

export class TunnelStateMachine {
  private current: TunnelState = { state: 'disconnected' };
  private changedAt: number;
  private readonly listeners = new Set<StateListener>();

  constructor(now: number) {
    this.changedAt = now;
  }

  get state(): TunnelState {
    return this.current;
  }

  /** When (ms since the epoch) the current state began. */
  get since(): number {
    return this.changedAt;
  }

  canMoveTo(next: StateName): boolean {
    return NEXT[this.current.state].includes(next);
  }

  /**
   * Moves to `next`. An impossible transition throws IllegalTransition, unless `force` is set: the owner of
   * the state (the connection coordinator) then logs it as a bug and takes it, so status tells the truth.
   */
  moveTo(next: TunnelState, now: number, opts: { force?: boolean } = {}): void {
    if (!opts.force && !this.canMoveTo(next.state)) throw new IllegalTransition(`${this.current.state} → ${next.state} is not a tunnel transition`);
    this.current = next;
    this.changedAt = now;
    for (const l of this.listeners) l(next, now);
  }

  onChange(l: StateListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
