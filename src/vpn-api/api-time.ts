// The JWTs carry the time they were made (iat) and live 30 s, so a router whose clock is off is refused.
// As upstream (nym-vpn-api-client VpnApiTime): the server's time comes from GET /public/v1/health, the round
// trip is halved to estimate it, and only a skew of a minute or more makes the client sign with the server's
// time instead of its own. Pure: times in, times out.

/** Below this, the clocks are "almost the same" (upstream SKEW_SECONDS_CONSIDERED_SAME). */
export const SKEW_CONSIDERED_SAME_S = 2;
/** From this on, the local clock is not used for JWTs (upstream MAX_ACCEPTABLE_SKEW_SECONDS). */
export const MAX_ACCEPTABLE_SKEW_S = 60;

export interface ApiTime {
  /** Local wall clock when the answer came, ms. */
  localMs: number;
  /** The server's estimated time at that moment, ms. */
  estimatedRemoteMs: number;
}

export type SyncState = 'almost-same' | 'acceptable' | 'not-synced';

export function apiTimeFromHealth(beforeMs: number, remoteMs: number, afterMs: number): ApiTime {
  return { localMs: afterMs, estimatedRemoteMs: remoteMs + (afterMs - beforeMs) / 2 };
}

/** Local minus remote, whole seconds toward zero (positive: the local clock is ahead). */
export function localAheadSkewS(t: ApiTime): number {
  return Math.trunc((t.localMs - t.estimatedRemoteMs) / 1000);
}

export function syncState(t: ApiTime): SyncState {
  const skew = Math.abs(localAheadSkewS(t));
  if (skew < SKEW_CONSIDERED_SAME_S) return 'almost-same';
  if (skew < MAX_ACCEPTABLE_SKEW_S) return 'acceptable';
  return 'not-synced';
}

/** The server's time now (unix seconds), from the local clock now and the measured skew. */
export function remoteNowS(t: ApiTime, localNowMs: number): number {
  return Math.floor((localNowMs - (t.localMs - t.estimatedRemoteMs)) / 1000);
}
