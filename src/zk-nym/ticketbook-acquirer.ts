// Getting ticketbooks when they run low, as upstream's account controller does it (nymtech/nym-vpn-client
// nym-vpn-account-controller/src/commands/request_zknym.rs, ticketbooks.rs): for every ticket type at or
// below 30 tickets left (never v1-mixnet-exit), one after another (upstream: in parallel; see round()): build the withdrawal request (upstream's WASM, in
// a worker), POST it to nym-vpn-api, poll it every 5 s for up to 60 s, and once it is active unblind the
// shares with the issuers' partial verification keys (their epoch must be the shares' epoch), store the
// ticketbook, and only then confirm the download (DELETE), so that a crash before storing leaves the API
// holding it. Each type succeeds or fails on its own; failures come back named, nothing is stored half.
import type { AccountKey } from '../account/account-key.js';
import type { DeviceKeys } from '../account/device-keys.js';
import type { VpnApiClient } from '../vpn-api/client.js';
import type { ZkNym } from '../vpn-api/responses.js';
import { decodeBase58Large } from '../ecash/base58-large.js';
import { ecashDate } from '../ecash/ecash-date.js';
import type { BookLabel } from '../ecash/spendable-book.js';
import type { WalletSharesAnswer } from '../ecash/signature-sets-json.js';
import { ecashToday, ticketTypesRunningLow } from './ticket-policy.js';
import { TICKETBOOK_SIZE, type TicketType } from './ticket-type.js';
import type { TicketbookStore } from './ticketbook-store.js';

export const ZK_NYM_POLL_INTERVAL_MS = 5_000;
export const ZK_NYM_POLL_TIMEOUT_MS = 60_000;

export interface AcquirerPorts {
  store: TicketbookStore;
  client: () => VpnApiClient;
  account: AccountKey;
  device: DeviceKeys;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  log: { info(m: string): void; warn(m: string): void };
  /** Upstream's 5 s and 60 s; tests shorten them. */
  pollIntervalMs?: number;
  pollTimeoutMs?: number;
  /** The issuance code (default: upstream's WASM in a worker, src/ecash/issuance.ts). */
  startIssuance?: (type: TicketType) => Promise<Issuance>;
}

/** One ticketbook's issuance: the request to send, then the unblinding of the answer. */
export interface Issuance {
  request: { withdrawalRequest: string; ecashPubkey: string; expirationDate: string; ticketbookType: TicketType };
  unblind(shares: unknown, issuers: unknown, masterKey: unknown): Promise<{ revision: number; data: Uint8Array }>;
  /** The issued book opened as a spend would and both signature sets verified (src/ecash/spendable-book.ts). */
  check(data: Uint8Array, label: BookLabel): Promise<void>;
  close(): Promise<unknown>;
}

/** Upstream's default expiration: today (UTC) + 6 days (ecash_default_expiration_date). */
function defaultExpiration(nowMs: number) {
  const d = new Date(nowMs + 6 * 86_400_000);
  return ecashDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

// The e-cash code (issuance, the signature sets: BLS12-381, about 1 MB of the daemon's heap) is imported with the
// first ticketbook, not at start: a router that never needs one never holds it.
async function wasmIssuance(type: TicketType, nowMs: number, userSecretKey: string): Promise<Issuance> {
  const { IssuanceSession } = await import('../ecash/issuance.js');
  const s = await IssuanceSession.start();
  try {
    const request = await s.withdrawalRequest(type, defaultExpiration(nowMs), userSecretKey);
    return {
      request: { ...request, ticketbookType: type },
      unblind: async (shares, issuers, masterKey) => {
        const t = await s.unblind(shares as never, issuers as never, masterKey as never);
        return { revision: t.serialisationRevision, data: decodeBase58Large(t.bs58EncodedData, 1 << 16, 'ticketbook') };
      },
      check: (data, label) => s.checkBook(data, label),
      close: () => s.close(),
    };
  } catch (e) {
    await s.close();
    throw e;
  }
}

export type AcquireOutcome = { type: TicketType; ok: true; ticketbookId: string } | { type: TicketType; ok: false; error: string };

/**
 * NymVpnZkNym.blinded_shares is the credential proxy's TicketbookWalletSharesResponse, camelCase (nym-vpn-api-client
 * response.rs; nym-credential-proxy-requests api/v1/ticketbook/models.rs), checked field by field; the WASM gets
 * the object itself once it has passed.
 */
async function sharesOf(z: ZkNym): Promise<{ answer: WalletSharesAnswer; raw: unknown; masterKey: string }> {
  if (z.blindedShares === undefined || z.blindedShares === null) throw new Error('the active zk-nym carries no blinded shares');
  const { parseWalletSharesAnswer } = await import('../ecash/signature-sets-json.js');
  let answer: WalletSharesAnswer;
  try {
    answer = parseWalletSharesAnswer(z.blindedShares);
  } catch (e) {
    throw new Error(`the blinded shares are malformed: ${(e as Error).message}`);
  }
  if (answer.shares.length === 0) throw new Error('the shares list is empty');
  const mvk = answer.masterVerificationKey;
  if (!mvk) throw new Error('the shares carry no master verification key');
  if (mvk.epochId !== answer.epochId) throw new Error(`the master verification key is for epoch ${mvk.epochId}, the shares for ${answer.epochId}`);
  return { answer, raw: z.blindedShares, masterKey: mvk.bs58EncodedKey };
}

export class TicketbookAcquirer {
  private running: Promise<AcquireOutcome[]> | null = null;

  constructor(private readonly p: AcquirerPorts) {}

  /** Requests what is running low; one round at a time (a call during a round gets that round). */
  acquire(signal: AbortSignal): Promise<AcquireOutcome[]> {
    this.running ??= this.round(signal).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(signal: AbortSignal): Promise<AcquireOutcome[]> {
    const { books } = await this.p.store.list();
    const low = ticketTypesRunningLow(books, ecashToday(this.p.now()));
    if (low.length === 0) return [];
    this.p.log.info(`zk-nym: requesting ticketbooks for ${low.join(', ')}`);
    // One type after another, where upstream asks for all at once: each issuance runs the WASM in a worker of
    // its own (tens of MB while it lives), and three at once nearly doubled the daemon's resident memory — on a
    // router with 128 MB that is the difference that matters; the extra seconds are not.
    const out: AcquireOutcome[] = [];
    for (const type of low) {
      out.push(await this.one(type, signal).catch((e: Error): AcquireOutcome => {
        this.p.log.warn(`zk-nym ${type}: ${e.message}`);
        return { type, ok: false, error: e.message };
      }));
    }
    return out;
  }

  private async one(type: TicketType, signal: AbortSignal): Promise<AcquireOutcome> {
    const session = await (this.p.startIssuance ?? ((t) => wasmIssuance(t, this.p.now(), this.p.account.ecashUserSecretKey())))(type);
    try {
      const client = this.p.client();
      let z = await client.requestZkNym(this.p.account, this.p.device, session.request);
      const interval = this.p.pollIntervalMs ?? ZK_NYM_POLL_INTERVAL_MS;
      const limit = this.p.pollTimeoutMs ?? ZK_NYM_POLL_TIMEOUT_MS;
      let waited = 0;
      while (z.status === 'pending') {
        if (waited >= limit) throw new Error(`zk-nym ${z.id} still pending after ${limit / 1000} s`);
        await this.p.sleep(interval, signal);
        if (signal.aborted) throw new Error('cancelled');
        waited += interval;
        z = await client.zkNym(this.p.account, this.p.device, z.id);
      }
      if (z.status !== 'active') throw new Error(`zk-nym ${z.id} ended ${z.status}`);
      const { answer, raw, masterKey } = await sharesOf(z);
      const epochId = answer.epochId;
      const issuers = await client.partialVerificationKeys();
      if (issuers.epochId !== epochId) throw new Error(`the issuers' keys are for epoch ${issuers.epochId}, the shares for ${epochId}`);
      const issued = await session.unblind(raw, issuers, { epochId, bs58EncodedKey: masterKey });
      // Only a book that can pay is kept: its own label, the master key, and both signature sets verified.
      try {
        await session.check(issued.data, { type, expirationDate: session.request.expirationDate, epochId });
      } catch (e) {
        throw new Error(`the issued ticketbook cannot be spent: ${(e as Error).message}`);
      }
      const id = await this.p.store.add({ type, data: issued.data, revision: issued.revision, expirationDate: session.request.expirationDate, epochId, total: TICKETBOOK_SIZE });
      // Confirmed only once it is on disk: a crash before leaves the API holding it for the next round.
      await client.confirmZkNym(this.p.account, this.p.device, z.id).catch((e: Error) => this.p.log.warn(`zk-nym ${z.id} stored but not confirmed: ${e.message}`));
      this.p.log.info(`zk-nym: ${type} ticketbook stored (${TICKETBOOK_SIZE} tickets, expires ${session.request.expirationDate})`);
      return { type, ok: true, ticketbookId: id };
    } finally {
      await session.close();
    }
  }
}
