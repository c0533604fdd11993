// What can go wrong talking to nym-vpn-api, told apart because the daemon acts differently on each: the API
// refused (its error body, e.g. no active subscription, too many devices), the answer had the wrong shape, or
// there was no answer (network, timeout, too large, TLS).
import type { ApiErrorBody } from './responses.js';

export type VpnApiFailure = 'Refused' | 'BadAnswer' | 'NoAnswer';

export class VpnApiError extends Error {
  override name = 'VpnApiError';
  constructor(
    readonly failure: VpnApiFailure,
    /** What was asked ("account summary", "register device", …). */
    readonly operation: string,
    message: string,
    readonly status?: number,
    readonly body?: ApiErrorBody,
  ) {
    super(`${operation}: ${message}`);
  }

  /** The API answered that our token was not acceptable (upstream's test: the error mentions "jwt"). */
  get isJwtError(): boolean {
    return this.failure === 'Refused' && /jwt/i.test(`${this.body?.message ?? ''} ${this.body?.messageId ?? ''} ${this.message}`);
  }
}
