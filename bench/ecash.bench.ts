// zk-nym tickets: the time of one spend (median of N), the WASM's load time, and the process's resident
// memory before the issuance worker starts, with the WASM loaded, and after the worker ended.
// Run: node scripts/bench.mjs ecash   (N from BENCH_SPENDS, default 15)
import { randomBytes } from 'node:crypto';
import { ecashDate, ecashUnixTimestamp, fromJulianDay, toJulianDay } from '../src/ecash/ecash-date.js';
import { IssuanceSession } from '../src/ecash/issuance.js';
import { spend } from '../src/ecash/spend.js';
import { parseSerialisedTicketbook } from '../src/ecash/ticketbook.js';
import { LabIssuers, coinIndexSignatures, expirationDateSignatures } from '../tools/lab/ecash/issuers.js';

const N = Number(process.env.BENCH_SPENDS ?? 15);
const random = (n: number) => new Uint8Array(randomBytes(n));
const mib = () => (process.memoryUsage().rss / 1024 / 1024).toFixed(1);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const now = new Date();
  const today = ecashDate(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate());
  const expiration = fromJulianDay(toJulianDay(today) + 6);
  const lab = LabIssuers.create({ threshold: 2, count: 3 });

  gc();
  const before = mib();
  const session = await IssuanceSession.start();
  const body = await session.withdrawalRequest('v1-wireguard-entry', expiration);
  const shares = lab.blindSign({ ...body, expirationDate: expiration, ticketType: 'v1-wireguard-entry' });
  const serialised = await session.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), lab.masterVerificationKey());
  const withWasm = mib();
  await session.close();
  gc();
  const after = mib();
  console.log(`WASM load (worker: import + initSync)  ${session.loadMs.toFixed(0)} ms`);
  console.log(`RSS before / with the WASM / after     ${before} / ${withWasm} / ${after} MiB`);

  const book = parseSerialisedTicketbook(serialised);
  const input = {
    wallet: book.wallet, secretKey: book.secretKey, verificationKey: lab.masterKey,
    expirationDateSignatures: expirationDateSignatures(lab, expiration), coinIndexSignatures: coinIndexSignatures(lab),
    payInfo: random(72), spendTimestamp: ecashUnixTimestamp(today), randomBytes: random,
  };
  spend({ ...input, ticketsSpent: 0 }); // warm-up: group parameters, JIT
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    spend({ ...input, ticketsSpent: i % 50 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`one spend (1 ticket), median of ${N}      ${times[Math.floor(N / 2)]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[N - 1]!.toFixed(0)})`);
}

await main();
