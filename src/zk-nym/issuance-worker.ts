// The worker thread that holds upstream's zk-nym issuance code (@nymproject/nym-credential-proxy-lib-wasm,
// upstream's Rust compiled to WASM) for one ticketbook: it exists only while a ticketbook is being obtained, so
// the WASM's memory goes back to the system when it ends. Messages in: {op:'start', type} then
// {op:'unblind', shares, issuers, masterKey}; out: {ok:true, ...} or {ok:false, error}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';

interface Wasm {
  initSync(m: { module: Uint8Array }): unknown;
  NymIssuanceTicketbook: new (opts: { ticketbookType?: string; userSecretKey?: string }) => {
    buildRequestPayload(freepass: boolean): string;
    unblindWalletShares(shares: unknown, issuers: unknown, masterKey: unknown): { serialise(): { serialisationRevision: number; bs58EncodedData: string } };
  };
}

const port = parentPort;
if (!port) throw new Error('issuance-worker runs as a worker thread');

// The WASM greets on the console when it loads; a daemon's log is not the place for it.
for (const k of ['log', 'info', 'debug', 'warn'] as const) console[k] = () => {};

let wasm: Wasm | undefined;
let book: InstanceType<Wasm['NymIssuanceTicketbook']> | undefined;

async function load(): Promise<Wasm> {
  if (wasm) return wasm;
  const pkg = dirname(createRequire(import.meta.url).resolve('@nymproject/nym-credential-proxy-lib-wasm/package.json'));
  const mod = (await import(join(pkg, 'nym_credential_proxy_lib_wasm.js'))) as Wasm;
  mod.initSync({ module: readFileSync(join(pkg, 'nym_credential_proxy_lib_wasm_bg.wasm')) });
  wasm = mod;
  return mod;
}

port.on('message', (m: { op: string; type?: string; shares?: unknown; issuers?: unknown; masterKey?: unknown }) => {
  void (async () => {
    try {
      if (m.op === 'start') {
        const w = await load();
        book = new w.NymIssuanceTicketbook({ ticketbookType: String(m.type) });
        port.postMessage({ ok: true, payload: book.buildRequestPayload(false) });
      } else if (m.op === 'unblind') {
        if (!book) throw new Error('no issuance started');
        const issued = book.unblindWalletShares(m.shares, m.issuers, m.masterKey).serialise();
        port.postMessage({ ok: true, revision: issued.serialisationRevision, data: issued.bs58EncodedData });
      } else {
        throw new Error(`unknown op ${JSON.stringify(m.op)}`);
      }
    } catch (e) {
      // WASM errors arrive as strings or Errors; either way a message, never the key material.
      port.postMessage({ ok: false, error: String(e instanceof Error ? e.message : e).slice(0, 300) });
    }
  })();
});
