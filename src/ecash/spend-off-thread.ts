// One ticket spent in a worker thread that exists for that spend only (spend-worker.ts): the answer is the
// CredentialSpendingData's serde-bincode, or the reason it could not be made.
import { Worker } from 'node:worker_threads';
import type { EcashDate } from './ecash-date.js';
import { EcashError } from './errors.js';
import type { BookLabel } from './spendable-book.js';

export interface SpendJob {
  /** The stored book (the WASM's ImportableTicketBook bytes) and what the store says it is. */
  data: Uint8Array;
  label: BookLabel;
  /** The index of the ticket: how many were taken from the book before this one. */
  firstIndex: number;
  providerPublicKey: Uint8Array;
  nowUnixSeconds: number;
  spendDate: EcashDate;
}

export type SpendAnswer = { ok: true; bincode: Uint8Array } | { ok: false; error: string };

export function spendOffThread(job: SpendJob, workerUrl = new URL('./spend-worker.js', import.meta.url)): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: job });
    let answered = false;
    worker.once('message', (a: SpendAnswer) => {
      answered = true;
      if (a.ok) resolve(new Uint8Array(a.bincode));
      else reject(new EcashError('value', 'spend', a.error));
      void worker.terminate();
    });
    worker.once('error', (e) => { answered = true; reject(e); });
    worker.once('exit', (code) => { if (!answered) reject(new EcashError('value', 'spend', `the spend worker ended (code ${code}) without an answer`)); });
  });
}
