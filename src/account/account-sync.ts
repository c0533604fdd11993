// The account as nym-vpn-api knows it, kept in step as upstream's account controller does
// (nymtech/nym-vpn-client nym-vpn-account-controller: sync account → sync device → register the device when
// the account allows one more), and summed up in upstream's words (shared_state.rs ReadyToConnect):
// ready, no_mnemonic_stored, account_not_synced, account_not_active, no_active_subscription,
// device_not_registered, device_not_active, max_devices_reached. One sync runs at a time; a failed one keeps
// what the last good one learnt and says why it failed.
import type { AccountSummary } from '../vpn-api/responses.js';
import { VpnApiError } from '../vpn-api/errors.js';
import type { VpnApiClient } from '../vpn-api/client.js';
import type { AccountKey } from './account-key.js';
import { accountKeyFromMnemonic } from './account-id.js';
import type { AccountStore } from './account-store.js';
import { noTickets, type TicketType } from '../zk-nym/ticket-type.js';

export type ReadyToConnect =
  | 'ready' | 'no_mnemonic_stored' | 'account_not_synced' | 'account_not_active' | 'no_active_subscription'
  | 'device_not_registered' | 'device_not_active' | 'max_devices_reached';


export interface AccountState {
  stored: boolean;
  id?: string;
  deviceId?: string;
  /** From the last good sync: the account as the API sees it. */
  account?: { status: AccountSummary['account']['status']; subscriptionActive: boolean; subscriptionUntil?: string; devices: AccountSummary['devices'] };
  device?: { registered: boolean; status?: 'active' | 'inactive' | 'delete_me' };
  readyToConnect: ReadyToConnect;
  /** Tickets left per type (the ticketbook store's count; 0 without ticketbooks). */
  tickets: Record<TicketType, number>;
  lastSync?: { atMs: number; ok: boolean; error?: string };
}

export interface AccountSyncPorts {
  store: AccountStore;
  /** A client for the configured API, over the sockets the daemon may use now. */
  client: () => VpnApiClient;
  now: () => number;
  log: { info(m: string): void; warn(m: string): void };
  tickets?: () => Promise<Partial<Record<TicketType, number>>>;
  /** After a sync that found the account ready to connect (the daemon then tops up its ticketbooks). */
  onReady?: (key: AccountKey, device: Awaited<ReturnType<AccountStore['ensureDeviceKeys']>>) => void;
}

/** Upstream's ReadyToConnect from what the last sync learnt. */
export function readiness(s: Pick<AccountState, 'stored' | 'account' | 'device'>): ReadyToConnect {
  if (!s.stored) return 'no_mnemonic_stored';
  if (!s.account) return 'account_not_synced';
  if (s.account.status !== 'active') return 'account_not_active';
  if (!s.account.subscriptionActive) return 'no_active_subscription';
  if (!s.device?.registered) return s.account.devices.remaining === 0 ? 'max_devices_reached' : 'device_not_registered';
  if (s.device.status !== 'active') return 'device_not_active';
  return 'ready';
}

/** How often the account is synced while stored (upstream's ACCOUNT_UPDATE_INTERVAL, controller.rs). */
export const ACCOUNT_UPDATE_INTERVAL_MS = 5 * 60_000;

export class AccountSync {
  private last: Omit<AccountState, 'readyToConnect' | 'tickets' | 'stored' | 'id' | 'deviceId'> = {};
  private running: Promise<AccountState> | null = null;
  /** Bumped by reset(): a sync that began for an account since forgotten must not write what it learnt. */
  private generation = 0;

  constructor(private readonly p: AccountSyncPorts) {}

  /** The state as known now (no network). */
  async state(): Promise<AccountState> {
    // A store that cannot be read (a planted link, a damaged file) is an error the owner must see, not "no account".
    const stored = await this.p.store.isStored();
    const id = stored ? await this.p.store.accountId() : undefined;
    const deviceId = stored ? await this.p.store.deviceId() : undefined;
    const tickets = { ...noTickets(), ...(await this.p.tickets?.().catch(() => ({})) ?? {}) };
    const base = { stored, ...(id ? { id } : {}), ...(deviceId ? { deviceId } : {}), ...(stored ? this.last : {}) };
    return { ...base, readyToConnect: readiness(base), tickets };
  }

  /** Forgets what the API said (the account was forgotten or replaced). */
  reset(): void {
    this.generation++;
    this.last = {};
    this.running = null;
  }

  /** One sync at a time: a call while one runs gets that one's result. */
  sync(): Promise<AccountState> {
    if (this.running) return this.running;
    const mine: Promise<AccountState> = this.run(this.generation).finally(() => {
      if (this.running === mine) this.running = null;
    });
    this.running = mine;
    return mine;
  }

  /**
   * Syncs now when an account is stored, then every interval, until the signal aborts; the sleep is the
   * daemon's clock, so tests drive it.
   */
  async keepSynced(sleep: (ms: number, signal: AbortSignal) => Promise<void>, signal: AbortSignal, intervalMs = ACCOUNT_UPDATE_INTERVAL_MS): Promise<void> {
    while (!signal.aborted) {
      // One bad round (an unreadable store) is logged; the next round tries again.
      if (await this.p.store.isStored().catch(() => false)) await this.sync().catch((e: Error) => this.p.log.warn(`account sync: ${e.message}`));
      await sleep(intervalMs, signal);
    }
  }

  private async run(generation: number): Promise<AccountState> {
    const mnemonic = await this.p.store.mnemonic().catch(() => undefined);
    if (!mnemonic) {
      if (generation === this.generation) this.last = {};
      return this.state();
    }
    const key = await accountKeyFromMnemonic(mnemonic);
    const learnt = (l: typeof this.last): void => {
      if (generation === this.generation) this.last = l;
    };
    try {
      const device = await this.p.store.ensureDeviceKeys();
      const client = this.p.client();
      const summary = await client.accountSummary(key);
      const account = {
        status: summary.account.status,
        subscriptionActive: summary.subscription.isActive,
        ...(summary.subscription.active ? { subscriptionUntil: summary.subscription.active.validUntilUtc } : {}),
        devices: summary.devices,
      };
      learnt({ ...this.last, account });
      const listed = (await client.devices(key)).items.find((d) => d.deviceIdentityKey === device.identity);
      let dev: AccountState['device'] = listed ? { registered: true, status: listed.status } : { registered: false };
      if (!listed && account.status === 'active' && account.subscriptionActive && account.devices.remaining > 0) {
        const registered = await client.registerDevice(key, device);
        dev = { registered: true, status: registered.status };
        this.p.log.info(`device ${device.identity} registered with account ${key.address}`);
        const devices = (await client.accountSummary(key)).devices;
        learnt({ ...this.last, account: { ...account, devices } });
      }
      learnt({ ...this.last, device: dev, lastSync: { atMs: this.p.now(), ok: true } });
      if (generation === this.generation && readiness({ stored: true, ...this.last }) === 'ready') this.p.onReady?.(key, device);
    } catch (e) {
      const why = e instanceof VpnApiError ? e.message : `unexpected: ${(e as Error).message}`;
      this.p.log.warn(`account sync failed: ${why}`);
      learnt({ ...this.last, lastSync: { atMs: this.p.now(), ok: false, error: why } });
    }
    return this.state();
  }
}
