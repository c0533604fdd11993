// Paying a gateway with one zk-nym ticket, as upstream's bandwidth controller does it (nymtech/nym
// common/bandwidth-controller prepare_ecash_ticket → IssuedTicketBook::prepare_for_spending, daed9cd15bc0):
// the earliest-expiring book of the type with a ticket left pays; its next index is recorded as used on disk
// before anything is computed (a crash loses that ticket, never spends an index twice); the payment is bound
// to the gateway by a fresh NymPayInfo (32 random bytes, now, the gateway's ed25519 identity key) and dated
// today (UTC). The answer is the CredentialSpendingData in the serde-bincode form the authenticator's Final
// message carries. The curve work runs in a worker thread of its own (src/ecash/spend-off-thread.ts).
import { base58 } from '@scure/base';
import { parseEcashDate } from '../ecash/ecash-date.js';
import { spendOffThread, type SpendJob } from '../ecash/spend-off-thread.js';
import { ecashToday } from './ticket-policy.js';
import type { TicketType } from './ticket-type.js';
import type { TicketbookStore } from './ticketbook-store.js';

export class NoTicketsError extends Error {
  override name = 'NoTicketsError';
}

export interface TicketSpenderPorts {
  store: TicketbookStore;
  now: () => number;
  /** Where the payment is computed (default: a worker thread of its own, src/ecash/spend-off-thread.ts). */
  compute?: (job: SpendJob) => Promise<Uint8Array>;
}

/** A gateway's identity key as the directory gives it: base58 of 32 bytes. */
export function gatewayIdentityKey(gatewayId: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = base58.decode(gatewayId);
  } catch {
    throw new Error(`gateway id ${JSON.stringify(gatewayId.slice(0, 64))} is not base58`);
  }
  if (key.length !== 32) throw new Error(`gateway id ${JSON.stringify(gatewayId.slice(0, 64))} is ${key.length} bytes, an ed25519 key is 32`);
  return key;
}

export class TicketSpender {
  constructor(private readonly p: TicketSpenderPorts) {}

  /** One ticket of `type` spent for the gateway `gatewayId`; the CredentialSpendingData's bincode. */
  async spend(type: TicketType, gatewayId: string): Promise<Uint8Array> {
    const provider = gatewayIdentityKey(gatewayId);
    const nowMs = this.p.now();
    const today = ecashToday(nowMs);
    const taken = await this.p.store.take(type, today);
    if (!taken) throw new NoTicketsError(`no ${type} ticket left in any ticketbook valid today`);
    const b = taken.book;
    return (this.p.compute ?? spendOffThread)({
      data: b.data, label: { type: b.type, expirationDate: b.expirationDate, epochId: b.epochId }, firstIndex: taken.firstIndex,
      providerPublicKey: provider, nowUnixSeconds: Math.floor(nowMs / 1000), spendDate: parseEcashDate(today),
    });
  }
}
