// Obtaining a ticketbook with upstream's own WASM build, @nymproject/nym-credential-proxy-lib-wasm 0.0.1.
//
// What the WASM is: nymtech/nym nym-credential-proxy/vpn-api-lib-wasm/src/lib.rs at commit 2ca7c7a252a8
// (the build banner names that commit; the crate was removed upstream in 4d4e786d5e, 2026-02). It exports:
//   - initSync / default init, main, set_panic_hook (main prints a banner through console.log),
//   - class NymIssuanceTicketbook
//       constructor({ ticketbookType?, userSecretKey? }): ticketbookType is a kebab-case TicketType (default
//         v1-mixnet-entry; anything else → "provided invalid ticket type"); userSecretKey is a bs58 ed25519
//         private key that seeds the ecash keypair (KeyPairUser::new_seeded), else a random keypair. The
//         expiration date is NOT a parameter: it is ecash_default_expiration_date() — today (UTC, from the
//         JS clock) + 6 days, "counting today" as the 7th (common/ecash-time). It then calls
//         withdrawal_request(sk, expiration timestamp, type), which draws the request's openings.
//       buildRequestPayload(isFreepass): JSON of the credential proxy's TicketbookRequest
//         {withdrawalRequest (bs58), ecashPubkey (bs58), expirationDate "YYYY-MM-DD", ticketbookType,
//         isFreepassRequest} (nym-credential-proxy-requests api/v1/ticketbook/models.rs).
//       getWithdrawalRequest(): bs58 of WithdrawalRequest (bincode); getEncodedPublicKey(): bs58 ecash key.
//       unblindWalletShares(shares, issuers, masterKey) — consumes the object. It checks: shares.epochId ==
//         issuers.epochId; every key and share decodes from bs58; for each share with a key of the same
//         node index, issue_verify (the share's h equals the request's commitment hash, h is not the identity,
//         and the unblinded signature verifies by pairing against THAT issuer's partial key); shares that fail
//         are only reported with console.error and dropped, shares without a key likewise; then
//         aggregate_wallets (Lagrange interpolation over the surviving shares' indices and a pairing check of
//         the aggregate against the master key given).
//         It does NOT check: that the partial keys aggregate to the master key, that the master key is the
//         epoch's (IssuanceSession.unblind checks both before calling it), how many shares survived (too few simply fail the master-key check), nor anything about
//         the aggregated expiration-date and coin-index signatures in the answer — those are copied into the
//         export unverified (signature-sets.ts verifies them).
//   - class NymIssuedTicketbook: serialise() → { serialisationRevision, bs58EncodedData } (IssuedTicketBook's
//     ImportableTicketBook export with master key and the optional signature sets).
//
// Why a worker: the WASM instance (module, linear memory, the ecash secrets) lives only in a worker_thread
// started for one issuance and ended right after, so a router gives the memory back between ticketbooks.
// Everything the WASM says on the console comes back as 'log' messages, and dropped shares are collected.
import { Worker } from 'node:worker_threads';
import type { MasterVerificationKeyResponse, PartialVerificationKeysResponse, FullSerialisedNymIssuedTicketbook } from '@nymproject/nym-credential-proxy-lib-wasm/nym_credential_proxy_lib_wasm.js';
import type { ZkNymRequest } from '../vpn-api/client.js';
import { EcashError } from './errors.js';
import { formatEcashDate, type EcashDate } from './ecash-date.js';
import type { FromWorker, ToWorker, WalletSharesInput } from './issuance-messages.js';
import type { BookLabel } from './spendable-book.js';
import { TICKET_TYPES, type TicketType } from './ticket-type.js';
import { aggregateVerificationKeys, verificationKeyFromBs58, verificationKeyToBs58 } from './verification-key.js';

export type { WalletSharesInput };

export interface IssuanceLog {
  level: 'log' | 'warn' | 'error';
  text: string;
}

/** What the vpn-api's POST …/zknym carries (upstream nym-vpn-api-client RequestZkNymRequestBody). */
export type WithdrawalRequestBody = ZkNymRequest;

const BS58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class IssuanceSession {
  private waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly exited: Promise<number>;

  private constructor(
    private readonly worker: Worker,
    /** Milliseconds the worker took to load and instantiate the WASM. */
    readonly loadMs: number,
    private readonly logs: IssuanceLog[],
  ) {
    worker.on('message', (m: FromWorker) => {
      if (m.op === 'log') {
        this.logs.push({ level: m.level, text: m.text });
        return;
      }
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(m);
    });
    worker.on('error', (e) => this.fail(e));
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    void this.exited.then(() => this.fail(new EcashError('value', 'issuance', 'the issuance worker has ended')));
  }

  /** Starts a worker and waits until the WASM is loaded. */
  static async start(): Promise<IssuanceSession> {
    const worker = new Worker(new URL('./issuance-worker.js', import.meta.url));
    const logs: IssuanceLog[] = [];
    const first = await new Promise<FromWorker>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      const onExit = (code: number) => reject(new EcashError('value', 'issuance', `the worker ended (code ${code}) before loading the WASM`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      const onMessage = (m: FromWorker) => {
        if (m.op === 'log') {
          logs.push({ level: m.level, text: m.text }); // the WASM's banner
          return;
        }
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(m);
      };
      worker.on('message', onMessage);
    });
    if (first.op !== 'ready') {
      await worker.terminate();
      throw new EcashError('value', 'issuance', `the worker did not load the WASM: ${first.op === 'error' ? first.message : first.op}`);
    }
    return new IssuanceSession(worker, first.loadMs, logs);
  }

  /** What the WASM printed so far (its banner, dropped shares). */
  get log(): readonly IssuanceLog[] {
    return this.logs;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(this.failure);
  }

  private ask(m: ToWorker): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new EcashError('value', 'issuance', 'one question at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(m);
    });
  }

  /**
   * Builds the withdrawal request for `ticketType`. The WASM picks the expiration date from its own clock;
   * `expirationDate` is the date the caller's (injected) clock expects, and a different choice — a request
   * built across UTC midnight, or a skewed clock — is refused rather than sent.
   */
  async withdrawalRequest(ticketType: TicketType, expirationDate: EcashDate, userSecretKey?: string): Promise<WithdrawalRequestBody> {
    if (!TICKET_TYPES.includes(ticketType)) throw new EcashError('value', 'ticket type', `unknown ${String(ticketType)}`);
    const m: ToWorker = { op: 'request', ticketbookType: ticketType };
    if (userSecretKey !== undefined) m.userSecretKey = userSecretKey;
    const answer = await this.ask(m);
    if (answer.op === 'error') throw new EcashError('value', 'withdrawal request', answer.message);
    if (answer.op !== 'request') throw new EcashError('format', 'withdrawal request', `unexpected answer ${answer.op}`);
    const body = parseRequestPayload(answer.payload);
    if (body.withdrawalRequest !== answer.withdrawalRequest || body.ecashPubkey !== answer.ecashPubkey) {
      throw new EcashError('format', 'withdrawal request', 'the payload and the getters disagree');
    }
    if (body.ticketbookType !== ticketType) throw new EcashError('format', 'withdrawal request', `built for ${body.ticketbookType}, asked ${ticketType}`);
    const wanted = formatEcashDate(expirationDate);
    if (body.expirationDate !== wanted) {
      throw new EcashError('date', 'withdrawal request', `the WASM's clock chose expiration ${body.expirationDate}, the router expects ${wanted}`);
    }
    return body;
  }

  /**
   * Unblinds and aggregates the issuers' shares in the WASM; returns its serialised ticketbook. First checks
   * what the WASM leaves out: the master key is of the same epoch as the partial keys, and it is what the
   * partial keys interpolate to at 0 (with all of them: a t-of-n key set interpolates to the same master from
   * any t or more keys, so the threshold need not be known).
   */
  async unblind(shares: WalletSharesInput, issuers: PartialVerificationKeysResponse, masterKey: MasterVerificationKeyResponse): Promise<FullSerialisedNymIssuedTicketbook> {
    checkKeySet(issuers, masterKey);
    const answer = await this.ask({ op: 'unblind', shares, issuers, masterKey });
    if (answer.op === 'error') throw new EcashError('value', 'unblind', answer.message);
    if (answer.op !== 'unblind') throw new EcashError('format', 'unblind', `unexpected answer ${answer.op}`);
    const t = answer.ticketbook;
    if (!Number.isInteger(t.serialisationRevision) || typeof t.bs58EncodedData !== 'string' || !BS58.test(t.bs58EncodedData)) {
      throw new EcashError('format', 'unblind', 'the serialised ticketbook is malformed');
    }
    return { serialisationRevision: t.serialisationRevision, bs58EncodedData: t.bs58EncodedData };
  }

  /**
   * Opens an issued book (the decoded bytes of what unblind gave) as a spend would, checks it is what `label`
   * says, and verifies both signature sets against its master key — in the worker, off the caller's thread.
   */
  async checkBook(data: Uint8Array, label: BookLabel): Promise<void> {
    const answer = await this.ask({ op: 'check', data, label });
    if (answer.op === 'error') throw new EcashError('value', 'ticketbook', answer.message);
    if (answer.op !== 'check') throw new EcashError('format', 'ticketbook', `unexpected answer ${answer.op}`);
  }

  /** Ends the worker; resolves once the thread has exited (its memory released). */
  async close(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }
}

/** Runs `f` with a fresh session and always ends the worker afterwards. */
export async function withIssuanceSession<T>(f: (s: IssuanceSession) => Promise<T>): Promise<T> {
  const s = await IssuanceSession.start();
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

function checkKeySet(issuers: PartialVerificationKeysResponse, masterKey: MasterVerificationKeyResponse): void {
  if (masterKey.epochId !== issuers.epochId) throw new EcashError('value', 'verification keys', `master key of epoch ${masterKey.epochId}, partial keys of epoch ${issuers.epochId}`);
  if (!Array.isArray(issuers.keys) || issuers.keys.length === 0) throw new EcashError('value', 'verification keys', 'no partial keys');
  const partial = issuers.keys.map((k) => {
    if (!Number.isSafeInteger(k.nodeIndex) || k.nodeIndex < 1) throw new EcashError('value', 'verification keys', `node index ${String(k.nodeIndex)}`);
    return verificationKeyFromBs58(k.bs58EncodedKey);
  });
  const aggregated = aggregateVerificationKeys(partial, issuers.keys.map((k) => BigInt(k.nodeIndex)));
  if (verificationKeyToBs58(aggregated) !== masterKey.bs58EncodedKey) {
    throw new EcashError('value', 'verification keys', 'the partial keys do not interpolate to the master key');
  }
}

function parseRequestPayload(json: string): WithdrawalRequestBody {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new EcashError('format', 'withdrawal request payload', 'not JSON');
  }
  if (typeof v !== 'object' || v === null) throw new EcashError('format', 'withdrawal request payload', 'not an object');
  const o = v as Record<string, unknown>;
  const str = (k: string, re: RegExp) => {
    const x = o[k];
    if (typeof x !== 'string' || !re.test(x)) throw new EcashError('format', `withdrawal request payload.${k}`, `unexpected ${JSON.stringify(x)}`);
    return x;
  };
  const ticketbookType = str('ticketbookType', /^[a-z0-9-]+$/);
  if (!(TICKET_TYPES as readonly string[]).includes(ticketbookType)) throw new EcashError('format', 'withdrawal request payload.ticketbookType', ticketbookType);
  return {
    withdrawalRequest: str('withdrawalRequest', BS58),
    ecashPubkey: str('ecashPubkey', BS58),
    expirationDate: str('expirationDate', DATE),
    ticketbookType,
  };
}
