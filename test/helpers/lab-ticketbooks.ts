// Real ticketbooks for a test: the lab signers behind the lab vpn-api issue them, requested, unblinded and
// verified by the daemon's own TicketbookAcquirer (upstream's issuance WASM), stored in a TicketbookStore.
// Issuance is the slow part (a few seconds per type): a test file asks once and shares the store.
import { AccountKey } from '../../src/account/account-key.js';
import type { DeviceKeys } from '../../src/account/device-keys.js';
import { Mnemonic } from '../../src/account/mnemonic.js';
import { VpnApiClient } from '../../src/vpn-api/client.js';
import { TicketbookAcquirer } from '../../src/zk-nym/ticketbook-acquirer.js';
import { TicketbookStore } from '../../src/zk-nym/ticketbook-store.js';
import type { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { LAB_ACCOUNT_MNEMONIC } from '../../tools/lab/addresses.js';
import { LabVpnApi } from '../../tools/lab/vpn-api/server.js';

/** The lab account (its address is LAB_ACCOUNT_ADDRESS). */
export const labAccount = AccountKey.fromMnemonic(Mnemonic.parse(LAB_ACCOUNT_MNEMONIC));

/** Ticketbooks of every type the acquirer asks for, issued to `device` of the lab account and stored in `dir`. */
export async function issueLabTicketbooks(o: { issuers: LabIssuers; device: DeviceKeys; dir: string; log?: (m: string) => void }): Promise<TicketbookStore> {
  const api = new LabVpnApi({ issuer: o.issuers.vpnApiIssuer(), partialVerificationKeys: () => o.issuers.partialVerificationKeys() });
  const url = await api.start();
  try {
    api.addAccount(labAccount.address).devices.set(o.device.identity, { status: 'active', createdMs: 0 });
    const store = new TicketbookStore(o.dir);
    const log = o.log ?? (() => {});
    const out = await new TicketbookAcquirer({
      store, account: labAccount, device: o.device, client: () => new VpnApiClient({ baseUrl: url }), now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)), log: { info: log, warn: log }, pollIntervalMs: 50, pollTimeoutMs: 5_000,
    }).acquire(new AbortController().signal);
    if (out.some((x) => !x.ok)) throw new Error(`ticketbooks not issued: ${JSON.stringify(out)}`);
    return store;
  } finally {
    await api.stop();
  }
}
