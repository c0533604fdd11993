import type { ErrorReason } from './tunnel-state.js';

/**
 * Why a connection attempt failed, in upstream's words (ErrorReason). `retryable` failures keep the
 * daemon in Connecting with a growing retry count; the others end in the Error state (kill switch
 * still up) until the owner acts.
 */
export class ConnectError extends Error {
  override name = 'ConnectError';
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
