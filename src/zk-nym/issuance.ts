// Obtaining a ticketbook with upstream's own issuance code, in a worker that lives only for that (the WASM takes
// tens of MB; the daemon gives them back when the worker ends). start() builds the withdrawal request that goes
// to nym-vpn-api (POST …/zknym, upstream's RequestZkNymRequestBody); unblind() turns the issuers' blinded shares,
// checked against their partial verification keys and aggregated by the WASM, into the issued ticketbook bytes.
//
// Not yet as upstream: upstream seeds the ecash key from the account (KeyPairUser::new_seeded of the key at
// m/44'/118'/0'/0/0); here the WASM makes a fresh key per ticketbook, which the protocol allows but which the
// API cannot link to the account.
import { Worker } from 'node:worker_threads';
import { base58 } from '@scure/base';
import { isTicketType, type TicketType } from './ticket-type.js';
import type { ZkNymRequest } from '../vpn-api/client.js';

export class IssuanceError extends Error {
  override name = 'IssuanceError';
}

export interface IssuedTicketbookBytes {
  revision: number;
  data: Uint8Array;
}

const WORKER_URL = new URL('./issuance-worker.js', import.meta.url);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

export class IssuanceSession {
  private constructor(
    private readonly worker: Worker,
    readonly request: ZkNymRequest,
  ) {}

  static async start(type: TicketType, timeoutMs = 30_000): Promise<IssuanceSession> {
    if (!isTicketType(type)) throw new IssuanceError(`unknown ticket type ${JSON.stringify(type)}`);
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: 64 } });
    try {
      const reply = await ask(worker, { op: 'start', type }, timeoutMs);
      const p = parsePayload(reply.payload, type);
      return new IssuanceSession(worker, p);
    } catch (e) {
      await worker.terminate();
      throw e;
    }
  }

  /** The issued ticketbook from the blinded shares (shape as the vpn-api hands them out). */
  async unblind(shares: unknown, issuers: unknown, masterKey: unknown, timeoutMs = 30_000): Promise<IssuedTicketbookBytes> {
    const reply = await ask(this.worker, { op: 'unblind', shares, issuers, masterKey }, timeoutMs);
    if (typeof reply.revision !== 'number' || !Number.isInteger(reply.revision) || typeof reply.data !== 'string' || !BASE58.test(reply.data)) {
      throw new IssuanceError('the issuance code returned no ticketbook');
    }
    return { revision: reply.revision, data: base58.decode(reply.data) };
  }

  /** Ends the worker (and frees the WASM's memory). */
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function parsePayload(text: unknown, type: TicketType): ZkNymRequest {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(String(text)) as Record<string, unknown>;
  } catch {
    throw new IssuanceError('the issuance code built no request');
  }
  const { withdrawalRequest, ecashPubkey, expirationDate, ticketbookType } = p;
  if (typeof withdrawalRequest !== 'string' || !BASE58.test(withdrawalRequest)) throw new IssuanceError('the withdrawal request is not base58');
  if (typeof ecashPubkey !== 'string' || !BASE58.test(ecashPubkey)) throw new IssuanceError('the ecash public key is not base58');
  if (typeof expirationDate !== 'string' || !DATE.test(expirationDate)) throw new IssuanceError('the expiration date is not YYYY-MM-DD');
  if (ticketbookType !== type) throw new IssuanceError(`asked for ${type}, the request is for ${String(ticketbookType)}`);
  return { withdrawalRequest, ecashPubkey, expirationDate, ticketbookType: type };
}

function ask(worker: Worker, message: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (m: Record<string, unknown>) => {
      done();
      if (m.ok === true) resolve(m);
      else reject(new IssuanceError(`issuance: ${String(m.error)}`));
    };
    const onError = (e: Error) => { done(); reject(new IssuanceError(`issuance worker failed: ${e.message}`)); };
    const onExit = (code: number) => { done(); reject(new IssuanceError(`issuance worker ended (exit ${code})`)); };
    const timer = setTimeout(() => { done(); void worker.terminate(); reject(new IssuanceError(`issuance took more than ${timeoutMs / 1000} s`)); }, timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(message);
  });
}
