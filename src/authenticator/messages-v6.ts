// Authenticator protocol v6 messages, bincode (big-endian, varint) exactly as upstream's serde derives write
// them (nymtech/nym common/authenticator-requests/src/v6/{request,response,registration,topup,
// upgrade_mode_check}.rs, models.rs; credentials-interface BandwidthCredential and TicketType; wireguard-types
// PeerPublicKey; commit daed9cd15bc0). Pure: bytes in, bytes out.
//
// How serde lays them out under bincode: a struct is its fields in order; an enum is its variant index (varint
// u32) then the variant's fields; Protocol is {version: u8, service_provider_type: enum → index 2}; a
// PeerPublicKey and a ClientMac serialise as strings of their standard base64; Ipv4Addr/Ipv6Addr, not being
// human-readable in bincode, as their 4/16 octets; u16/u64 as varints, i64 zigzag then varint; Option as 0/1
// then the value; Box<T> as T. TicketType's variants in declaration order: V1MixnetEntry, V1MixnetExit,
// V1WireguardEntry, V1WireguardExit.
import { BincodeReader, BincodeWriter, withBincodeErrors } from '../codec/bincode.js';
import type { TicketType } from '../zk-nym/ticket-type.js';
import { AUTHENTICATOR_V6, SERVICE_PROVIDER_AUTHENTICATOR } from './version.js';
import type { IpPair } from './ip-pair.js';

export class AuthenticatorCodecError extends Error {
  override name = 'AuthenticatorCodecError';
}

/** upstream's TicketType serde order. */
export const TICKET_TYPE_ORDER: readonly TicketType[] = ['v1-mixnet-entry', 'v1-mixnet-exit', 'v1-wireguard-entry', 'v1-wireguard-exit'];

/** Bounds for what a gateway may send: far above any real message, low enough to never allocate much. */
const MAX_STRING = 4096;

export type BandwidthCredential =
  /** The CredentialSpendingData as its serde-bincode bytes (src/ecash makes them); spliced in as is. */
  | { kind: 'zk-nym'; credentialBincode: Uint8Array }
  | { kind: 'upgrade-mode-jwt'; token: string };

export interface GatewayClient {
  pubKey: Uint8Array;
  privateIps: IpPair;
  mac: Uint8Array;
}

export type AuthenticatorRequestData =
  | { type: 'initial'; pubKey: Uint8Array }
  | { type: 'final'; gatewayClient: GatewayClient; credential?: { credential: BandwidthCredential; ticketType: TicketType } }
  | { type: 'query-bandwidth'; pubKey: Uint8Array }
  | { type: 'top-up-bandwidth'; pubKey: Uint8Array; credentialBincode: Uint8Array }
  | { type: 'check-upgrade-mode'; token: string };

export interface AuthenticatorRequest {
  data: AuthenticatorRequestData;
  requestId: bigint;
}

export type AuthenticatorResponseData =
  | { type: 'pending-registration'; nonce: bigint; gatewayData: GatewayClient; wgPort: number }
  | { type: 'registered'; pubKey: Uint8Array; privateIps: IpPair; wgPort: number }
  | { type: 'remaining-bandwidth'; availableBandwidth?: bigint }
  | { type: 'top-up-bandwidth'; availableBandwidth: bigint }
  | { type: 'upgrade-mode' };

export interface AuthenticatorResponse {
  requestId: bigint;
  upgradeModeEnabled: boolean;
  data: AuthenticatorResponseData;
}

const REQUEST_VARIANTS = ['initial', 'final', 'query-bandwidth', 'top-up-bandwidth', 'check-upgrade-mode'] as const;
const RESPONSE_VARIANTS = ['pending-registration', 'registered', 'remaining-bandwidth', 'top-up-bandwidth', 'upgrade-mode'] as const;

function writeKey(w: BincodeWriter, key: Uint8Array): void {
  if (key.length !== 32) throw new AuthenticatorCodecError('a WireGuard public key is 32 bytes');
  w.string(Buffer.from(key).toString('base64'));
}

function readKey(r: BincodeReader, what: string): Uint8Array {
  const text = r.string(64, what);
  const key = strictBase64(text, what);
  if (key.length !== 32) throw new AuthenticatorCodecError(`${what}: ${key.length} bytes, a key is 32`);
  return key;
}

function strictBase64(text: string, what: string): Uint8Array {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw new AuthenticatorCodecError(`${what}: not standard base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function writeIps(w: BincodeWriter, p: IpPair): void {
  if (p.ipv4.length !== 4 || p.ipv6.length !== 16) throw new AuthenticatorCodecError('an IP pair is 4 + 16 bytes');
  w.raw(p.ipv4).raw(p.ipv6);
}

function readIps(r: BincodeReader): IpPair {
  return { ipv4: r.raw(4, 'private_ips.ipv4').slice(), ipv6: r.raw(16, 'private_ips.ipv6').slice() };
}

function writeGatewayClient(w: BincodeWriter, g: GatewayClient): void {
  writeKey(w, g.pubKey);
  writeIps(w, g.privateIps);
  w.string(Buffer.from(g.mac).toString('base64'));
}

function readGatewayClient(r: BincodeReader, what: string): GatewayClient {
  const pubKey = readKey(r, `${what}.pub_key`);
  const privateIps = readIps(r);
  const mac = strictBase64(r.string(MAX_STRING, `${what}.mac`), `${what}.mac`);
  return { pubKey, privateIps, mac };
}

function writeProtocol(w: BincodeWriter): void {
  w.u8(AUTHENTICATOR_V6).variant(SERVICE_PROVIDER_AUTHENTICATOR);
}

function readProtocol(r: BincodeReader): void {
  const version = r.u8('protocol.version');
  const provider = r.u32('protocol.service_provider_type');
  if (provider !== SERVICE_PROVIDER_AUTHENTICATOR) throw new AuthenticatorCodecError(`not an authenticator message (service provider type ${provider})`);
  if (version !== AUTHENTICATOR_V6) throw new AuthenticatorCodecError(`authenticator protocol v${version}, expected v6`);
}

function ticketTypeIndex(t: TicketType): number {
  const i = TICKET_TYPE_ORDER.indexOf(t);
  if (i < 0) throw new AuthenticatorCodecError(`unknown ticket type ${String(t)}`);
  return i;
}

export function encodeRequest(req: AuthenticatorRequest): Uint8Array {
  const w = new BincodeWriter();
  writeProtocol(w);
  const d = req.data;
  w.variant(REQUEST_VARIANTS.indexOf(d.type));
  switch (d.type) {
    case 'initial':
    case 'query-bandwidth':
      writeKey(w, d.pubKey);
      break;
    case 'final':
      writeGatewayClient(w, d.gatewayClient);
      w.option(d.credential, (w2, c) => {
        if (c.credential.kind === 'zk-nym') w2.variant(0).raw(c.credential.credentialBincode);
        else w2.variant(1).string(c.credential.token);
        w2.variant(ticketTypeIndex(c.ticketType));
      });
      break;
    case 'top-up-bandwidth':
      writeKey(w, d.pubKey);
      w.raw(d.credentialBincode);
      break;
    case 'check-upgrade-mode':
      w.variant(0).string(d.token);
      break;
  }
  w.u64(req.requestId);
  return w.finish();
}

/**
 * Reads a request (the lab's gateway does; a client never must). `readCredential` reads one serde-bincode
 * CredentialSpendingData and returns its bytes (src/ecash knows its layout).
 */
export function decodeRequest(bytes: Uint8Array, readCredential: (r: BincodeReader) => Uint8Array): AuthenticatorRequest {
  return wrap(() => {
    const r = new BincodeReader(bytes);
    readProtocol(r);
    const type = REQUEST_VARIANTS[r.variant(REQUEST_VARIANTS.length, 'request')]!;
    let data: AuthenticatorRequestData;
    switch (type) {
      case 'initial':
      case 'query-bandwidth':
        data = { type, pubKey: readKey(r, 'pub_key') };
        break;
      case 'final': {
        const gatewayClient = readGatewayClient(r, 'gateway_client');
        const credential = r.option((r2) => {
          const kind = r2.variant(2, 'credential');
          const c: BandwidthCredential = kind === 0 ? { kind: 'zk-nym', credentialBincode: readCredential(r2) } : { kind: 'upgrade-mode-jwt', token: r2.string(MAX_STRING, 'token') };
          return { credential: c, ticketType: TICKET_TYPE_ORDER[r2.variant(4, 'kind')]! };
        }, 'credential');
        data = { type, gatewayClient, ...(credential ? { credential } : {}) };
        break;
      }
      case 'top-up-bandwidth':
        data = { type, pubKey: readKey(r, 'pub_key'), credentialBincode: readCredential(r) };
        break;
      case 'check-upgrade-mode':
        r.variant(1, 'upgrade mode request');
        data = { type, token: r.string(MAX_STRING, 'token') };
        break;
    }
    const requestId = r.u64('request_id');
    r.end('authenticator request');
    return { data, requestId };
  });
}

export function encodeResponse(res: AuthenticatorResponse): Uint8Array {
  const w = new BincodeWriter();
  writeProtocol(w);
  const d = res.data;
  w.variant(RESPONSE_VARIANTS.indexOf(d.type));
  w.u64(res.requestId);
  switch (d.type) {
    case 'pending-registration':
      w.u64(d.nonce);
      writeGatewayClient(w, d.gatewayData);
      w.u16(d.wgPort);
      break;
    case 'registered':
      writeKey(w, d.pubKey);
      writeIps(w, d.privateIps);
      w.u16(d.wgPort);
      break;
    case 'remaining-bandwidth':
      w.option(d.availableBandwidth, (w2, v) => w2.signed(v, 64));
      break;
    case 'top-up-bandwidth':
      w.signed(d.availableBandwidth, 64);
      break;
    case 'upgrade-mode':
      break;
  }
  w.bool(res.upgradeModeEnabled);
  return w.finish();
}

/** Reads a gateway's answer; anything but a well-formed v6 response is an AuthenticatorCodecError. */
export function decodeResponse(bytes: Uint8Array): AuthenticatorResponse {
  return wrap(() => {
    const r = new BincodeReader(bytes);
    readProtocol(r);
    const type = RESPONSE_VARIANTS[r.variant(RESPONSE_VARIANTS.length, 'response')]!;
    const requestId = r.u64('request_id');
    let data: AuthenticatorResponseData;
    switch (type) {
      case 'pending-registration':
        data = { type, nonce: r.u64('nonce'), gatewayData: readGatewayClient(r, 'gateway_data'), wgPort: r.u16('wg_port') };
        break;
      case 'registered':
        data = { type, pubKey: readKey(r, 'pub_key'), privateIps: readIps(r), wgPort: r.u16('wg_port') };
        break;
      case 'remaining-bandwidth': {
        const available = r.option((r2) => r2.signed(64, 'available_bandwidth'), 'reply');
        data = { type, ...(available !== undefined ? { availableBandwidth: available } : {}) };
        break;
      }
      case 'top-up-bandwidth':
        data = { type, availableBandwidth: r.signed(64, 'available_bandwidth') };
        break;
      case 'upgrade-mode':
        data = { type };
        break;
    }
    const upgradeModeEnabled = r.bool('upgrade_mode_enabled');
    r.end('authenticator response');
    return { requestId, upgradeModeEnabled, data };
  });
}

function wrap<T>(f: () => T): T {
  return withBincodeErrors(f, (m) => new AuthenticatorCodecError(m));
}
