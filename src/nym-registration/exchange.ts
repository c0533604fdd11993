// One request to an authenticator and its answer, as upstream's authenticator client waits for it
// (nymtech/nym nym-authenticator-client/src/lib.rs listen_for_response, commit daed9cd15bc0): listen before
// sending, take the first v6 authenticator response carrying our request id, ignore anything else (other
// replies, self-pings, messages that do not parse), and give up after 10 s. The request goes out as the bare
// v6 message (its first two bytes, version and service provider type, are the only envelope) with reply
// SURBs: 20 with the Initial, 1 with anything else (send_request): the gateway's authenticator keeps 10 SURBs
// per sender in reserve (client-core's minimum_reply_surb_storage_threshold) and answers only with SURBs
// beyond them, so fewer on the first request would cost a round trip asking for more.
import { randomBytes } from 'node:crypto';
import { decodeResponse, encodeRequest, type AuthenticatorRequestData, type AuthenticatorResponse } from '../authenticator/messages-v6.js';
import { AUTHENTICATOR_V6, SERVICE_PROVIDER_AUTHENTICATOR } from '../authenticator/version.js';
import type { AuthenticatorChannel } from './authenticator-channel.js';

export const AUTHENTICATOR_REPLY_TIMEOUT_MS = 10_000;
/** Reply SURBs with the Initial request (upstream's IncludedSurbs::new(20)). */
export const INITIAL_REPLY_SURBS = 20;
/** Reply SURBs with every later request (IncludedSurbs::new(1)). */
export const FOLLOW_UP_REPLY_SURBS = 1;

export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(readonly kind: 'Timeout' | 'Unreachable' | 'Aborted', message: string) {
    super(message);
  }
}

/** A random request id, as upstream's generate_random (OsRng u64). */
export function newRequestId(): bigint {
  return randomBytes(8).readBigUInt64BE();
}

export async function exchange(channel: AuthenticatorChannel, recipient: string, data: AuthenticatorRequestData, signal: AbortSignal, timeoutMs = AUTHENTICATOR_REPLY_TIMEOUT_MS): Promise<AuthenticatorResponse> {
  const requestId = newRequestId();
  const bytes = encodeRequest({ data, requestId });
  let unsubscribe = () => {};
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  try {
    const answer = new Promise<AuthenticatorResponse>((resolve, reject) => {
      unsubscribe = channel.subscribe((m) => {
        if (m.length < 2 || m[0] !== AUTHENTICATOR_V6 || m[1] !== SERVICE_PROVIDER_AUTHENTICATOR) return;
        let r: AuthenticatorResponse;
        try {
          r = decodeResponse(m);
        } catch {
          return; // not for us, or broken: upstream moves on too
        }
        if (r.requestId === requestId) resolve(r);
      });
      timer = setTimeout(() => reject(new ExchangeError('Timeout', `no answer from the authenticator at ${recipient} within ${timeoutMs / 1000} s`)), timeoutMs);
      onAbort = () => reject(new ExchangeError('Aborted', 'registration cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (signal.aborted) throw new ExchangeError('Aborted', 'registration cancelled');
    const replySurbs = data.type === 'initial' ? INITIAL_REPLY_SURBS : FOLLOW_UP_REPLY_SURBS;
    await channel.send(recipient, bytes, signal, replySurbs).catch((e: Error) => {
      throw new ExchangeError('Unreachable', `the request did not leave for ${recipient}: ${e.message}`);
    });
    return await answer;
  } finally {
    unsubscribe();
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
