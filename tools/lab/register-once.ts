// One two-hop registration over the lab's mixnet, as the router would make it, run INSIDE a lab namespace
// (the router's; the host namespace cannot reach lab addresses). With the lab's account and a device (kept in
// --state): registers the device with the lab vpn-api, acquires ticketbooks there if the store has none,
// reads the directory, starts one MixnetChannel pinned to the entry gateway with the lab nym-api's topology,
// and registers with the entry's and the exit's authenticators in parallel (NymRegistrar + TicketSpender).
//
//   node dist/tools/lab/register-once.js --state DIR --entry ID --exit ID [--api-url URL] [--nym-api URL]
//     [--entry-key FILE --exit-key FILE]
//
// --state keeps the ticketbook store, the device key and (unless --entry-key/--exit-key name wg-style base64
// private key files, e.g. the router's own) our two WireGuard keys, so a second run registers the same keys
// again (and must get the same peers back without spending). Prints JSON lines: `gateways`
// (canRegister per hop), `acquired`, `registered` (role, RegisteredPeer, our public key), then `tickets`
// (used per type after the run) and `done`; on failure `error` and exit code 1. Never packaged.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AccountKey } from '../../src/account/account-key.js';
import { DeviceKeys } from '../../src/account/device-keys.js';
import { Mnemonic } from '../../src/account/mnemonic.js';
import { MixnetChannel } from '../../src/mixnet/mixnet-channel.js';
import { NymRegistrar } from '../../src/nym-registration/nym-registrar.js';
import { parseGateway, type Gateway } from '../../src/gateways/gateway.js';
import { VpnApiClient } from '../../src/vpn-api/client.js';
import { keyFromBase64, keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';
import { TicketbookAcquirer } from '../../src/zk-nym/ticketbook-acquirer.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';
import { TicketSpender } from '../../src/zk-nym/ticket-spender.js';
import { DIRECTORY_URL, LAB_ACCOUNT_MNEMONIC, NYM_API_URL } from './addresses.js';

type Role = 'entry' | 'exit';
const print = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** A 32-byte secret kept in file (base64), made on first use. */
function keptSecret(file: string): Uint8Array {
  if (existsSync(file)) return keyFromBase64(readFileSync(file, 'utf8').trim(), file);
  const secret = new Uint8Array(randomBytes(32));
  writeFileSync(file, `${keyToBase64(secret)}\n`, { mode: 0o600 });
  return secret;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { state: { type: 'string' }, entry: { type: 'string' }, exit: { type: 'string' }, 'api-url': { type: 'string' }, 'nym-api': { type: 'string' },
      'entry-key': { type: 'string' }, 'exit-key': { type: 'string' } },
    strict: true,
  });
  if (!values.state || !values.entry || !values.exit) throw new TypeError('usage: register-once --state DIR --entry ID --exit ID [--api-url URL] [--nym-api URL]');
  const apiUrl = values['api-url'] ?? DIRECTORY_URL;
  const nymApiUrl = values['nym-api'] ?? NYM_API_URL;
  mkdirSync(values.state, { recursive: true, mode: 0o700 });
  const account = AccountKey.fromMnemonic(Mnemonic.parse(LAB_ACCOUNT_MNEMONIC));
  const device = DeviceKeys.fromSecret(keptSecret(join(values.state, 'device.key')));
  const keys: Record<Role, Uint8Array> = {
    entry: keptSecret(values['entry-key'] ?? join(values.state, 'wg-entry.key')),
    exit: keptSecret(values['exit-key'] ?? join(values.state, 'wg-exit.key')),
  };
  const client = () => new VpnApiClient({ baseUrl: apiUrl });

  // The directory as the daemon reads it, through the daemon's own parser.
  const res = await fetch(`${apiUrl}/public/v1/directory/gateways`);
  if (!res.ok) throw new Error(`directory: HTTP ${res.status}`);
  const all = ((await res.json()) as unknown[]).map((raw) => parseGateway(raw));
  const hop = (role: Role, id: string): Gateway => {
    const g = all.find((x) => x.id === id);
    if (!g) throw new Error(`the directory does not list ${role} gateway ${id}`);
    return g;
  };
  const gateways: Record<Role, Gateway> = { entry: hop('entry', values.entry), exit: hop('exit', values.exit) };

  mkdirSync(join(values.state, 'ticketbooks'), { recursive: true, mode: 0o700 });
  const store = new TicketbookStore(join(values.state, 'ticketbooks'));
  const used = async () => Object.fromEntries((await store.list()).books.map((b) => [b.type, b.used]));
  const spender = new TicketSpender({ store, now: Date.now });
  let spent = 0;
  const registrar = (channel: MixnetChannel) => new NymRegistrar({
    channel, privateKey: async (role) => keys[role],
    tickets: { spend: async (type, gatewayId) => { spent++; return spender.spend(type, gatewayId); }, upgradeModeToken: async () => undefined },
  });
  const canRegister = Object.fromEntries((['entry', 'exit'] as const).map((role) => [role,
    registrar({} as MixnetChannel).canRegister(gateways[role], role, Date.now())]));
  print({ event: 'gateways', canRegister, authenticators: { entry: gateways.entry.authenticatorAddress, exit: gateways.exit.authenticatorAddress } });

  await client().registerDevice(account, device);
  const acquired = await new TicketbookAcquirer({
    store, account, device, client, now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)), log: { info: () => {}, warn: (m) => process.stderr.write(`${m}\n`) }, pollIntervalMs: 100, pollTimeoutMs: 30_000,
  }).acquire(new AbortController().signal);
  if (acquired.some((o) => !o.ok)) throw new Error(`ticketbooks not issued: ${JSON.stringify(acquired)}`);
  print({ event: 'acquired', types: acquired.map((o) => o.type), used: await used() });

  const started = performance.now();
  const channel = await MixnetChannel.start({ nymApiUrl, gateway: gateways.entry.id, startTimeoutMs: 60_000 }, new AbortController().signal);
  const ready = performance.now() - started;
  try {
    const r = registrar(channel);
    const peers = await Promise.all((['entry', 'exit'] as const).map(async (role) => {
      const ourPublicKey = keyToBase64(publicKeyFromPrivate(keys[role]));
      const peer = await r.register({ gateway: gateways[role], role, ourPublicKey }, new AbortController().signal);
      print({ event: 'registered', role, gateway: gateways[role].id, ourPublicKey, peer });
      return peer;
    }));
    print({ event: 'tickets', used: await used(), spentThisRun: spent });
    print({ event: 'done', peers: peers.length, mixnetReadyMs: Math.round(ready), registeredMs: Math.round(performance.now() - started) });
  } finally {
    await channel.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(() => process.exit(0), (error: unknown) => {
    print({ event: 'error', message: (error as Error).message });
    process.stderr.write(`register-once: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
