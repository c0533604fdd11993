// The worker thread in which one ticket is spent (spend-off-thread.ts starts it and ends it): the book is
// opened, the payment computed and serialised here, so that the daemon's own thread never carries the
// curve work (a quarter of a second on a desktop core, seconds on a router) nor the tables it leaves behind.
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { credentialSpendingDataBincode } from './credential-spending-data.js';
import { ecashUnixTimestamp } from './ecash-date.js';
import { generatePayInfo } from './pay-info.js';
import { spend } from './spend.js';
import { openSpendableBook } from './spendable-book.js';
import type { SpendJob, SpendAnswer } from './spend-off-thread.js';

const port = parentPort;
if (!port) throw new Error('spend-worker.js runs only as a worker thread');
const job = workerData as SpendJob;
let answer: SpendAnswer;
try {
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const book = openSpendableBook(job.data, job.label);
  const payInfo = generatePayInfo(job.providerPublicKey, job.nowUnixSeconds, random);
  const payment = spend({
    wallet: book.book.wallet, secretKey: book.book.secretKey, ticketsSpent: job.firstIndex, verificationKey: book.masterKey,
    expirationDateSignatures: book.dateSignatures, coinIndexSignatures: book.coinSignatures,
    payInfo, spendTimestamp: ecashUnixTimestamp(job.spendDate), randomBytes: random,
  });
  answer = { ok: true, bincode: credentialSpendingDataBincode({ payment, payInfo, spendDate: job.spendDate, epochId: book.book.epochId }) };
} catch (e) {
  answer = { ok: false, error: e instanceof Error ? e.message : String(e) };
}
port.postMessage(answer);
