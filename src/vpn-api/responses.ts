// nym-vpn-api's answers as upstream parses them (nymtech/nym-vpn-client nym-vpn-api-client src/response.rs):
// the serde field names (some structs snake_case, some camelCase, as upstream declares them), enums in
// snake_case, Options as absent-or-null. Pure.
import { array, count, flag, number, object, oneOf, optionalNumber, optionalText, text, type Json } from './json-shape.js';

export const ACCOUNT_STATUSES = ['active', 'inactive', 'delete_me'] as const;
export const DEVICE_STATUSES = ['active', 'inactive', 'delete_me'] as const;
export const SUBSCRIPTION_STATUSES = ['pending', 'complete', 'active'] as const;
export const SUBSCRIPTION_KINDS = ['one_month', 'one_year', 'two_years', 'freepass'] as const;
export const ZK_NYM_STATUSES = ['pending', 'active', 'revoking', 'revoked', 'error'] as const;

/** NymVpnHealthResponse (camelCase): the server's clock, for the JWTs. */
export interface Health {
  status: string;
  /** ms since the epoch. */
  timestampMs: number;
}

export function parseHealth(v: unknown): Health {
  const o = object(v, 'health');
  const ts = text(o, 'timestampUtc', 'health');
  const ms = Date.parse(ts);
  if (!Number.isFinite(ms)) throw new Error(`health.timestampUtc: '${ts.slice(0, 40)}' is not a date`);
  return { status: text(o, 'status', 'health'), timestampMs: ms };
}

export interface Subscription {
  id: string;
  validFromUtc: string;
  validUntilUtc: string;
  status: (typeof SUBSCRIPTION_STATUSES)[number];
  kind: (typeof SUBSCRIPTION_KINDS)[number];
}

function parseSubscription(v: unknown, path: string): Subscription {
  const o = object(v, path);
  return {
    id: text(o, 'id', path),
    validFromUtc: text(o, 'valid_from_utc', path),
    validUntilUtc: text(o, 'valid_until_utc', path),
    status: oneOf(o, 'status', path, SUBSCRIPTION_STATUSES),
    kind: oneOf(o, 'kind', path, SUBSCRIPTION_KINDS),
  };
}

/** NymVpnAccountSummaryResponse (camelCase; its account and subscription records are snake_case). */
export interface AccountSummary {
  account: { accountAddr: string; status: (typeof ACCOUNT_STATUSES)[number] };
  subscription: { isActive: boolean; active?: Subscription };
  devices: { active: number; max: number; remaining: number };
  fairUsage: { usedGb?: number; limitGb?: number; resetsOnUtc?: string };
}

export function parseAccountSummary(v: unknown): AccountSummary {
  const o = object(v, 'summary');
  const account = object(o.account, 'summary.account');
  const sub = object(o.subscription, 'summary.subscription');
  const devices = object(o.devices, 'summary.devices');
  const fair = object(o.fairUsage, 'summary.fairUsage');
  const active = sub.active === undefined || sub.active === null ? undefined : parseSubscription(sub.active, 'summary.subscription.active');
  const usedGb = optionalNumber(fair, 'usedGb', 'summary.fairUsage');
  const limitGb = optionalNumber(fair, 'limitGb', 'summary.fairUsage');
  const resetsOnUtc = optionalText(fair, 'resetsOnUtc', 'summary.fairUsage');
  return {
    account: { accountAddr: text(account, 'account_addr', 'summary.account'), status: oneOf(account, 'status', 'summary.account', ACCOUNT_STATUSES) },
    subscription: { isActive: flag(sub, 'isActive', 'summary.subscription'), ...(active ? { active } : {}) },
    devices: { active: count(devices, 'active', 'summary.devices'), max: count(devices, 'max', 'summary.devices'), remaining: count(devices, 'remaining', 'summary.devices') },
    fairUsage: { ...(usedGb !== undefined ? { usedGb } : {}), ...(limitGb !== undefined ? { limitGb } : {}), ...(resetsOnUtc !== undefined ? { resetsOnUtc } : {}) },
  };
}

/** NymVpnDevice (snake_case). */
export interface Device {
  deviceIdentityKey: string;
  status: (typeof DEVICE_STATUSES)[number];
}

export function parseDevice(v: unknown, path = 'device'): Device {
  const o = object(v, path);
  return { deviceIdentityKey: text(o, 'device_identity_key', path), status: oneOf(o, 'status', path, DEVICE_STATUSES) };
}

/** A page of items (camelCase totalItems, page, pageSize, items). */
export interface Page<T> {
  totalItems: number;
  items: T[];
}

function parsePage<T>(v: unknown, path: string, item: (x: unknown, p: string) => T): Page<T> {
  const o = object(v, path);
  const items = array(o.items, `${path}.items`, 1000).map((x, i) => item(x, `${path}.items[${i}]`));
  count(o, 'page', path);
  count(o, 'pageSize', path);
  return { totalItems: count(o, 'totalItems', path), items };
}

export function parseDevices(v: unknown): Page<Device> {
  return parsePage(v, 'devices', parseDevice);
}

/** NymVpnZkNym (snake_case); the blinded shares stay JSON for the issuance code to read. */
export interface ZkNym {
  id: string;
  ticketbookType: string;
  validFromUtc: string;
  validUntilUtc: string;
  issuedBandwidthInGb: number;
  status: (typeof ZK_NYM_STATUSES)[number];
  blindedShares?: unknown;
}

export function parseZkNym(v: unknown, path = 'zknym'): ZkNym {
  const o = object(v, path);
  const shares = o.blinded_shares;
  return {
    id: text(o, 'id', path),
    ticketbookType: text(o, 'ticketbook_type', path),
    validFromUtc: text(o, 'valid_from_utc', path),
    validUntilUtc: text(o, 'valid_until_utc', path),
    issuedBandwidthInGb: number(o, 'issued_bandwidth_in_gb', path),
    status: oneOf(o, 'status', path, ZK_NYM_STATUSES),
    ...(shares === undefined || shares === null ? {} : { blindedShares: shares }),
  };
}

export function parseZkNyms(v: unknown): Page<ZkNym> {
  return parsePage(v, 'zknyms', parseZkNym);
}

/** StatusOk: {status}. */
export function parseStatusOk(v: unknown): string {
  return text(object(v, 'answer'), 'status', 'answer');
}

/** PartialVerificationKeysResponse (camelCase): the issuers' keys for an epoch. */
export interface PartialVerificationKeys {
  epochId: number;
  keys: Array<{ nodeIndex: number; bs58EncodedKey: string }>;
}

export function parsePartialVerificationKeys(v: unknown): PartialVerificationKeys {
  const o = object(v, 'keys');
  return {
    epochId: count(o, 'epochId', 'keys'),
    keys: array(o.keys, 'keys.keys', 256).map((k, i) => {
      const p = `keys.keys[${i}]`;
      const ko = object(k, p);
      return { nodeIndex: count(ko, 'nodeIndex', p), bs58EncodedKey: text(ko, 'bs58EncodedKey', p) };
    }),
  };
}

/** NymErrorResponse (camelCase): what the API says when it refuses. */
export interface ApiErrorBody {
  message: string;
  messageId?: string;
  codeReferenceId?: string;
  status: string;
}

/** The error body, or undefined when the answer is not one (a proxy's HTML page, nothing). */
export function parseErrorBody(v: unknown): ApiErrorBody | undefined {
  try {
    const o: Json = object(v, 'error');
    const messageId = optionalText(o, 'messageId', 'error');
    const codeReferenceId = optionalText(o, 'codeReferenceId', 'error');
    return { message: text(o, 'message', 'error'), status: text(o, 'status', 'error'), ...(messageId ? { messageId } : {}), ...(codeReferenceId ? { codeReferenceId } : {}) };
  } catch {
    return undefined;
  }
}
