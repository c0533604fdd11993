// What nym-vpnd loads at start: the modules its entry point reaches through static imports, read from the
// compiled files a router runs. The Nym-only crypto (BLS12-381 for e-cash, secp256k1 and BIP32 for the
// account key) is imported when first needed (src/zk-nym/ticketbook-acquirer.ts, src/account/account-id.ts):
// a router with static peers or without an account never holds it (0.85 MB of heap).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../src/daemon/main.js', import.meta.url));
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gms;
const LATE = [/@noble\/curves\/bls12-381/, /@noble\/curves\/secp256k1/, /@scure\/bip32/, /\/src\/ecash\/(issuance|group-elements|signature-sets-json)\.js$/, /\/src\/account\/account-key\.js$/];

/** Every file and bare specifier reached from `entry` by static imports, each with the file that imports it. */
function staticGraph(entry: string): Map<string, string> {
  const from = new Map<string, string>([[entry, '(entry)']]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      let target: string;
      try {
        target = spec.startsWith('.') ? resolve(dirname(file), spec) : createRequire(file).resolve(spec);
      } catch {
        target = spec; // a package require() cannot resolve: still named, not followed
      }
      if (from.has(target)) continue;
      from.set(target, file);
      if (target.startsWith('/') && target.endsWith('.js')) queue.push(target);
    }
  }
  return from;
}

test('at start the daemon does not load the e-cash or account-key crypto', (t) => {
  const graph = staticGraph(ENTRY);
  const files = [...graph.keys()];
  // The walk sees the daemon: its service, the tunnel, the account store, the ticket spender.
  for (const needed of ['/src/daemon/service.js', '/src/tunnel/two-hop.js', '/src/account/account-store.js', '/src/zk-nym/ticket-spender.js']) {
    t.true(files.some((f) => f.endsWith(needed)), `${needed} is reached`);
  }
  t.true(files.some((f) => /@noble\/curves\/ed25519/.test(f)), 'ed25519 is (gateway identities, device keys)');
  for (const late of LATE) {
    const hit = files.find((f) => late.test(f));
    t.is(hit, undefined, hit === undefined ? '' : `${hit} is loaded at start, through ${graph.get(hit)}`);
  }
});
