// The worker that holds upstream's WASM while a ticketbook is being issued (see issuance.ts for why and for
// what the WASM does). It loads the module synchronously from the .wasm file next to the package's JS, keeps
// one NymIssuanceTicketbook (whose secrets — the ecash secret key and the request's openings — never leave
// WASM memory), answers 'request', 'unblind' and 'check' (the issued book opened and its signature sets
// verified), and ends with the thread. Nothing here touches the network.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './issuance-messages.js';
import { openSpendableBook, verifySpendableBook } from './spendable-book.js';

const port = parentPort;
if (!port) throw new Error('issuance-worker.js runs only as a worker thread');
const send = (m: FromWorker) => port.postMessage(m);

// The WASM prints its banner and every dropped share through console.*; forward them to the parent (which
// decides what to log) instead of writing to our stdout.
for (const level of ['log', 'warn', 'error'] as const) {
  console[level] = (...args: unknown[]) => send({ op: 'log', level, text: args.map(String).join(' ') });
}

const require = createRequire(import.meta.url);
const started = performance.now();
const wasm = await import('@nymproject/nym-credential-proxy-lib-wasm/nym_credential_proxy_lib_wasm.js');
wasm.initSync({ module: readFileSync(require.resolve('@nymproject/nym-credential-proxy-lib-wasm/nym_credential_proxy_lib_wasm_bg.wasm')) });
send({ op: 'ready', loadMs: performance.now() - started });

let ticketbook: InstanceType<typeof wasm.NymIssuanceTicketbook> | undefined;

port.on('message', (m: ToWorker) => {
  try {
    if (m.op === 'request') {
      if (ticketbook) throw new Error('this session already built its withdrawal request');
      const opts: { ticketbookType: string; userSecretKey?: string } = { ticketbookType: m.ticketbookType };
      if (m.userSecretKey !== undefined) opts.userSecretKey = m.userSecretKey;
      ticketbook = new wasm.NymIssuanceTicketbook(opts);
      send({
        op: 'request',
        payload: ticketbook.buildRequestPayload(false),
        withdrawalRequest: ticketbook.getWithdrawalRequest(),
        ecashPubkey: ticketbook.getEncodedPublicKey(),
      });
    } else if (m.op === 'unblind') {
      if (!ticketbook) throw new Error('no withdrawal request was built in this session');
      // unblindWalletShares consumes the issuance object (Rust `self`), so it can be tried once.
      const issuing = ticketbook;
      ticketbook = undefined;
      const issued = issuing.unblindWalletShares(m.shares, m.issuers, m.masterKey);
      send({ op: 'unblind', ticketbook: issued.serialise() });
    } else if (m.op === 'check') {
      // Here rather than in the daemon: the pairings take seconds on a router and their tables stay with the
      // thread that ran them; this one ends with the issuance.
      verifySpendableBook(openSpendableBook(m.data, m.label));
      send({ op: 'check' });
    }
  } catch (e) {
    send({ op: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
