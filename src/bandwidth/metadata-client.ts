// The client of a gateway's WireGuard private-metadata HTTP service, reached inside that gateway's tunnel:
// upstream's nym-wireguard-private-metadata-client (nymtech/nym common/wireguard-private-metadata/client/
// src/lib.rs, daed9cd15bc0) as nym-vpn-client's MetadataClient drives it (nym-vpn-core/crates/
// nym-wg-metadata-client/src/lib.rs, nymtech/nym-vpn-client 0db2f8d44bf0):
//   GET  /v1/bandwidth/version     → a JSON number; asked once, first, and the requests then use that version
//   POST /v1/bandwidth/available   → the remaining bandwidth (and, from a v2 gateway, whether it is in upgrade mode)
//   POST /v1/bandwidth/topup       → pays with a credential, answers the bandwidth after it
//   POST /v1/network/upgrade-mode-check (v2 only)
// Bodies are the JSON envelopes of metadata-messages.ts. The gateway knows the peer by the connection's source
// address, so the socket must come from inside the tunnel (`connect`). A refusal is HTTP 400 with a plain-text
// reason (models/mod.rs AxumErrorResponse); a malformed body is axum's 400/415/422.
//
// Bounded like every other call the daemon makes: one deadline for the whole exchange (upstream's client uses
// 5 s), a size limit on the answer, no redirect followed. Unlike upstream, a failed version query is not
// remembered for the tunnel's life: the next call asks again.
import { FetchError, requestJson, type SocketFactory } from '../http/json-request.js';
import {
  MAX_RESPONSE_INNER_BYTES, MetadataMessageError, decodeMetadataResponse, encodeMetadataRequest, envelopeFromJson, envelopeToJson,
  versionFromNumber, type MetadataCredential, type MetadataQueryType, type MetadataRequest, type MetadataResponse, type MetadataVersion,
} from './metadata-messages.js';

/** WG_METADATA_PORT (common/network-defaults/src/constants.rs). */
export const METADATA_PORT = 51830;
/** WG_TUN_DEVICE_IP_ADDRESS_V4: where upstream's client looks for every gateway's service, inside its tunnel. */
export const GATEWAY_PRIVATE_IPV4 = '10.1.0.1';
/** DEFAULT_CLIENT_TIMEOUT of nym-vpn-lib's bandwidth monitor. */
export const METADATA_TIMEOUT_MS = 5_000;
/** Answers are a few dozen bytes; an error text a line. */
const DEFAULT_MAX_BYTES = 16 * 1024;

export type MetadataClientFailure = 'NoAnswer' | 'Refused' | 'BadAnswer' | 'Unsupported';

export class MetadataClientError extends Error {
  override name = 'MetadataClientError';
  constructor(
    readonly code: MetadataClientFailure,
    readonly operation: string,
    detail: string,
    /** The HTTP status of a refusal. */
    readonly status?: number,
    /** The gateway's own words for a refusal (its plain-text body). */
    readonly reason?: string,
  ) {
    super(`${operation}: ${detail}`);
  }
}

export interface MetadataClientOptions {
  /** The gateway's private address inside its tunnel (default 10.1.0.1); a literal IP. */
  host?: string;
  port?: number;
  /** Opens the TCP connection inside the tunnel (the daemon's socket); default: the system's. */
  connect?: SocketFactory;
  timeoutMs?: number;
  maxBytes?: number;
  /** Disconnect or shutdown: abandons a call in flight. */
  signal?: AbortSignal;
}

export interface RemainingBandwidth {
  /** Bytes left with this gateway (upstream's i64; a gateway may report a negative balance). */
  bytes: bigint;
  /** The gateway is in upgrade mode (bandwidth not metered); undefined from a v1 gateway. */
  upgradeMode: boolean | undefined;
}

export class MetadataClient {
  private negotiated: MetadataVersion | undefined;

  constructor(private readonly o: MetadataClientOptions = {}) {}

  private url(path: string): string {
    const host = this.o.host ?? GATEWAY_PRIVATE_IPV4;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.o.port ?? METADATA_PORT}${path}`;
  }

  /** One exchange; a 2xx JSON body or a MetadataClientError. */
  private async call(operation: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let r;
    try {
      r = await requestJson({
        method, url: this.url(path), body, followRedirects: 0,
        timeoutMs: this.o.timeoutMs ?? METADATA_TIMEOUT_MS, maxBytes: this.o.maxBytes ?? DEFAULT_MAX_BYTES,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
        ...(this.o.connect ? { connect: this.o.connect } : {}),
      });
    } catch (e) {
      // An answer that is not JSON or too large came from something that is not the service; the rest is silence.
      if (e instanceof FetchError && (e.code === 'InvalidJson' || e.code === 'TooLarge')) throw new MetadataClientError('BadAnswer', operation, e.message);
      throw new MetadataClientError('NoAnswer', operation, e instanceof Error ? e.message : String(e));
    }
    if (r.status >= 200 && r.status <= 299) {
      if (r.body === undefined) throw new MetadataClientError('BadAnswer', operation, `HTTP ${r.status} with an empty body`);
      return r.body;
    }
    if (r.status >= 300 && r.status <= 399) throw new MetadataClientError('Refused', operation, `HTTP ${r.status}: a redirect (not followed)`, r.status);
    const reason = printable(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? ''));
    throw new MetadataClientError('Refused', operation, `HTTP ${r.status}${reason === '' ? '' : `: ${reason}`}`, r.status, reason);
  }

  /** GET /v1/bandwidth/version, mapped as upstream maps it (versionFromNumber); kept once known. */
  async version(): Promise<MetadataVersion> {
    if (this.negotiated) return this.negotiated;
    const op = 'metadata version';
    const answer = await this.call(op, 'GET', '/v1/bandwidth/version');
    const v = this.parse(op, () => versionFromNumber(answer));
    this.negotiated = v;
    return v;
  }

  private async query(operation: string, path: string, req: MetadataRequest): Promise<MetadataResponse> {
    const version = await this.version();
    let envelope;
    try {
      envelope = encodeMetadataRequest(version, req);
    } catch (e) {
      // what this gateway's version cannot carry; anything else (an empty credential) is the caller's mistake
      if (e instanceof MetadataMessageError && e.code === 'unsupported') throw new MetadataClientError('Unsupported', operation, e.message);
      throw e;
    }
    const answer = await this.call(operation, 'POST', path, envelopeToJson(envelope));
    const expected: { version: MetadataVersion; type: MetadataQueryType } = { version, type: req.type };
    return this.parse(operation, () => decodeMetadataResponse(envelopeFromJson(answer, MAX_RESPONSE_INNER_BYTES), expected));
  }

  /** POST /v1/bandwidth/available: what is left with this gateway. */
  async availableBandwidth(): Promise<RemainingBandwidth> {
    const res = await this.query('available bandwidth', '/v1/bandwidth/available', { type: 'available-bandwidth' });
    return remaining(res);
  }

  /**
   * POST /v1/bandwidth/topup with one credential: a spent ticket's CredentialSpendingData (serde-bincode, as
   * TicketSpender.spend returns it) or an upgrade-mode JWT (v2 gateways only). Answers the bandwidth after it.
   */
  async topUp(credential: MetadataCredential | Uint8Array): Promise<RemainingBandwidth> {
    const c: MetadataCredential = credential instanceof Uint8Array ? { kind: 'zk-nym', credentialBincode: credential } : credential;
    const res = await this.query('top up bandwidth', '/v1/bandwidth/topup', { type: 'top-up-bandwidth', credential: c });
    return remaining(res);
  }

  /** POST /v1/network/upgrade-mode-check with the upgrade-mode JWT: whether the gateway is now in upgrade mode. */
  async checkUpgradeMode(token: string): Promise<boolean> {
    const res = await this.query('upgrade mode check', '/v1/network/upgrade-mode-check', { type: 'upgrade-mode-check', token });
    if (res.type !== 'upgrade-mode-check') throw new MetadataClientError('BadAnswer', 'upgrade mode check', `answered ${res.type}`);
    return res.upgradeMode;
  }

  private parse<T>(operation: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof MetadataMessageError) throw new MetadataClientError('BadAnswer', operation, e.message);
      throw e;
    }
  }
}

function remaining(res: MetadataResponse): RemainingBandwidth {
  // decodeMetadataResponse has already checked the type against the request's
  if (res.type === 'upgrade-mode-check') throw new MetadataClientError('BadAnswer', res.type, 'not a bandwidth answer');
  return { bytes: res.availableBandwidth, upgradeMode: res.upgradeMode };
}

/** A gateway's refusal text, safe for a log line or the status. */
function printable(text: string): string {
  const s = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
