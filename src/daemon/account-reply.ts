// The `account` reply (and `account_sync`'s): the account's state in the shape of ubus-schema/nym-vpn.json.
import type { AccountState } from '../account/account-sync.js';

export function accountReply(s: AccountState): Record<string, unknown> {
  const out: Record<string, unknown> = { stored: s.stored, ready_to_connect: s.readyToConnect };
  if (s.id) out.id = s.id;
  if (s.deviceId) out.device_id = s.deviceId;
  if (s.device) {
    out.device_registered = s.device.registered;
    if (s.device.status) out.device_status = s.device.status;
  }
  if (s.account) {
    out.account_status = s.account.status;
    out.subscription_active = s.account.subscriptionActive;
    if (s.account.subscriptionUntil) out.subscription_until = s.account.subscriptionUntil;
    out.devices = { active: s.account.devices.active, max: s.account.devices.max, remaining: s.account.devices.remaining };
  }
  if (s.stored) out.tickets = { ...s.tickets };
  if (s.lastSync) {
    out.last_sync = Math.floor(s.lastSync.atMs / 1000);
    if (s.lastSync.error) out.last_sync_error = s.lastSync.error;
  }
  return out;
}
