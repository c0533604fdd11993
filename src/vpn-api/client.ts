// The nym-vpn-api client: the calls upstream's nym-vpn-api-client makes for an account, its device and its
// zk-nym ticketbooks (nymtech/nym-vpn-client nym-vpn-core/crates/nym-vpn-api-client/src/client.rs, routes.rs,
// request.rs), with its headers: `Authorization: Bearer <account JWT>` and, for device calls,
// `x-device-authorization: Bearer <device JWT>`. When the API refuses a token (its error mentions "jwt"), the
// server's time is taken from /public/v1/health and, if the clocks differ by a minute or more, the call is
// made once more with tokens stamped in the server's time (kept for later calls). Answers are bounded in size
// and time, never followed through a redirect, and parsed strictly (responses.ts).
import { base64 } from '@scure/base';
import type { AccountKey } from '../account/account-key.js';
import type { DeviceKeys } from '../account/device-keys.js';
import { FetchError, requestJson, type SocketFactory } from '../http/json-request.js';
import { apiTimeFromHealth, remoteNowS, syncState, type ApiTime } from './api-time.js';
import { VpnApiError } from './errors.js';
import { accountJwt, deviceJwt } from './jwt.js';
import { ShapeError } from './json-shape.js';
import {
  parseAccountSummary, parseDevice, parseDevices, parseErrorBody, parseHealth, parsePartialVerificationKeys,
  parseStatusOk, parseZkNym, parseZkNyms, type AccountSummary, type Device, type Health, type Page,
  type PartialVerificationKeys, type ZkNym,
} from './responses.js';

export const DEVICE_AUTHORIZATION_HEADER = 'x-device-authorization';
/** A router waits less than upstream's 60 s: a stuck call holds a connect attempt. */
const DEFAULT_TIMEOUT_MS = 20_000;
/** The largest answer (a page of zk-nyms with blinded shares) stays far below this. */
const DEFAULT_MAX_BYTES = 1 << 20;

export interface VpnApiClientOptions {
  /** e.g. https://nymvpn.com/api (the config's api_url or the network's). */
  baseUrl: string;
  /** The socket to use now: marked while the kill switch is up, the system's through the tunnel. */
  connect?: () => SocketFactory | undefined;
  /** Wall clock, ms (injected in tests). */
  now?: () => number;
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

/** The body a zk-nym request carries (upstream RequestZkNymRequestBody, camelCase). */
export interface ZkNymRequest {
  withdrawalRequest: string;
  ecashPubkey: string;
  expirationDate: string;
  ticketbookType: string;
}

type Method = 'GET' | 'POST' | 'DELETE';

export class VpnApiClient {
  private readonly now: () => number;
  /** Set once the server's clock was found a minute or more away from ours. */
  private serverTime: ApiTime | undefined;

  constructor(private readonly o: VpnApiClientOptions) {
    this.now = o.now ?? Date.now;
  }

  private url(segments: readonly string[]): string {
    const base = this.o.baseUrl.replace(/\/+$/, '');
    return `${base}/${segments.map(encodeURIComponent).join('/')}`;
  }

  /** Unix seconds for a JWT: ours, or the server's once the clocks were found too far apart. */
  private jwtNow(): number {
    return this.serverTime ? remoteNowS(this.serverTime, this.now()) : Math.floor(this.now() / 1000);
  }

  private async call(operation: string, method: Method, segments: readonly string[], auth?: { account: AccountKey; device?: DeviceKeys }, body?: unknown): Promise<unknown> {
    const once = async (): Promise<unknown> => {
      const headers: Record<string, string> = {};
      if (auth) {
        const t = this.jwtNow();
        headers.authorization = `Bearer ${accountJwt(auth.account, t)}`;
        if (auth.device) headers[DEVICE_AUTHORIZATION_HEADER] = `Bearer ${deviceJwt(auth.device, t)}`;
      }
      let r;
      try {
        r = await requestJson({
          method, url: this.url(segments), headers, body,
          timeoutMs: this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBytes: this.o.maxBytes ?? DEFAULT_MAX_BYTES,
          ...(this.o.signal ? { signal: this.o.signal } : {}),
          ...(this.o.connect?.() ? { connect: this.o.connect()! } : {}),
        });
      } catch (e) {
        throw new VpnApiError('NoAnswer', operation, e instanceof FetchError ? e.message : (e as Error).message);
      }
      if (r.status >= 200 && r.status <= 299) return r.body;
      const err = parseErrorBody(r.body);
      const detail = err ? `${err.message}${err.messageId ? ` (${err.messageId})` : ''}` : r.status >= 300 && r.status < 400 ? 'a redirect (not followed)' : 'no error body';
      throw new VpnApiError('Refused', operation, `HTTP ${r.status}: ${detail}`, r.status, err);
    };
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof VpnApiError) || !e.isJwtError || !auth) throw e;
      // Our token was refused: is it our clock? Upstream retries once with the server's time, if far off.
      const t = await this.measureServerTime().catch(() => undefined);
      if (!t || syncState(t) !== 'not-synced') throw e;
      this.serverTime = t;
      return once();
    }
  }

  private parse<T>(operation: string, v: unknown, parser: (v: unknown) => T): T {
    try {
      return parser(v);
    } catch (e) {
      throw new VpnApiError('BadAnswer', operation, e instanceof ShapeError ? e.message : (e as Error).message);
    }
  }

  /** The server's time and how far our clock is from it. */
  async measureServerTime(): Promise<ApiTime> {
    const before = this.now();
    const h = await this.health();
    return apiTimeFromHealth(before, h.timestampMs, this.now());
  }

  /** GET /public/v1/health */
  async health(): Promise<Health> {
    const op = 'health';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'health']), parseHealth);
  }

  /** GET /public/v1/account/{account}/summary */
  async accountSummary(account: AccountKey): Promise<AccountSummary> {
    const op = 'account summary';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'account', account.address, 'summary'], { account }), parseAccountSummary);
  }

  /** GET /public/v1/account/{account}/device */
  async devices(account: AccountKey): Promise<Page<Device>> {
    const op = 'devices';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'account', account.address, 'device'], { account }), parseDevices);
  }

  /** GET /public/v1/account/{account}/device/{device} */
  async device(account: AccountKey, device: DeviceKeys): Promise<Device> {
    const op = 'device';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'account', account.address, 'device', device.identity], { account }), parseDevice);
  }

  /**
   * POST /public/v1/account/{account}/device with {deviceIdentityKey, signature}: the signature is the
   * device's (ed25519 over SHA-256) of its own base58 identity, in standard base64 (upstream sign_identity_key).
   */
  async registerDevice(account: AccountKey, device: DeviceKeys): Promise<Device> {
    const op = 'register device';
    const body = { deviceIdentityKey: device.identity, signature: registrationSignature(device) };
    return this.parse(op, await this.call(op, 'POST', ['public', 'v1', 'account', account.address, 'device'], { account, device }, body), parseDevice);
  }

  /** POST /public/v1/account/{account}/device/{device}/zknym */
  async requestZkNym(account: AccountKey, device: DeviceKeys, request: ZkNymRequest): Promise<ZkNym> {
    const op = 'request zk-nym';
    return this.parse(op, await this.call(op, 'POST', ['public', 'v1', 'account', account.address, 'device', device.identity, 'zknym'], { account, device }, request), parseZkNym);
  }

  /** GET /public/v1/account/{account}/device/{device}/zknym/{id} */
  async zkNym(account: AccountKey, device: DeviceKeys, id: string): Promise<ZkNym> {
    const op = 'zk-nym';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'account', account.address, 'device', device.identity, 'zknym', id], { account, device }), parseZkNym);
  }

  /** GET /public/v1/account/{account}/device/{device}/zknym/available */
  async zkNymsAvailable(account: AccountKey, device: DeviceKeys): Promise<Page<ZkNym>> {
    const op = 'zk-nyms available';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'account', account.address, 'device', device.identity, 'zknym', 'available'], { account, device }), parseZkNyms);
  }

  /** DELETE /public/v1/account/{account}/device/{device}/zknym/{id}: the ticketbook was downloaded. */
  async confirmZkNym(account: AccountKey, device: DeviceKeys, id: string): Promise<string> {
    const op = 'confirm zk-nym';
    return this.parse(op, await this.call(op, 'DELETE', ['public', 'v1', 'account', account.address, 'device', device.identity, 'zknym', id], { account, device }), parseStatusOk);
  }

  /** GET /public/v1/directory/zk-nyms/ticketbook/partial-verification-keys */
  async partialVerificationKeys(): Promise<PartialVerificationKeys> {
    const op = 'partial verification keys';
    return this.parse(op, await this.call(op, 'GET', ['public', 'v1', 'directory', 'zk-nyms', 'ticketbook', 'partial-verification-keys']), parsePartialVerificationKeys);
  }
}

/** The registration signature: ed25519 over SHA-256 of the base58 identity, standard base64 with padding. */
export function registrationSignature(device: DeviceKeys): string {
  return base64.encode(device.sign(device.identity));
}
