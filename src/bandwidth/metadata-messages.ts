// The messages of a gateway's WireGuard private-metadata service (remaining bandwidth, top-up, upgrade-mode
// check), byte for byte as upstream builds them: nymtech/nym common/wireguard-private-metadata/shared
// (src/lib.rs make_bincode_serializer, src/models/{mod,v1,v2}/**, src/conversion_helpers.rs), commit
// daed9cd15bc0. Pure: values in, values out; the HTTP side is metadata-client.ts. Reading a request is the
// gateway's side, apart in metadata-request-decode.ts: it parses the zk-nym in full (BLS12-381), which the
// router, only ever the client, does not load.
//
// Three layers:
// 1. The JSON envelope (models/mod.rs `Request` / `Response`, serde_json): {"version":"V1"|"V2","inner":[u8…]}.
//    `version` is a unit enum, so its variant name; `inner` is a Vec<u8>, so an array of numbers 0..255.
//    A gateway built without upstream's `testing` feature knows V1 and V2 only (V0 is a test dummy).
// 2. `inner` is the bincode of the version's VersionedRequest / VersionedResponse {query_type, inner}:
//    query_type a unit enum → its variant index as a varint (v1: AvailableBandwidth 0, TopUpBandwidth 1;
//    v2 adds UpgradeModeCheck 2), then a Vec<u8> → varint length and the bytes.
// 3. That inner is the bincode of the query's own struct:
//      AvailableBandwidthRequest {}                       → nothing (an empty struct writes no bytes)
//      v1 AvailableBandwidthResponse {available_bandwidth: i64}
//      v2 AvailableBandwidthResponse {available_bandwidth: i64, upgrade_mode: bool}
//      v1 TopUpRequest {credential: CredentialSpendingData} → the credential's serde form inline
//      v2 TopUpRequest {credential: BandwidthCredential}   → variant index (ZkNym 0, UpgradeModeJWT 1), then
//                                                            the credential (Box<T> is T) or the token string
//      v1 TopUpResponse {available_bandwidth: i64}; v2 adds upgrade_mode: bool
//      v2 UpgradeModeCheckRequest {request_type}           → variant index (UpgradeModeJwt 0), token string
//      v2 UpgradeModeCheckResponse {upgrade_mode: bool}
// The bincode options are DefaultOptions + big-endian + varint — those of src/codec/bincode.ts: i64 is zigzag
// then varint, bool one byte 0/1, and trailing bytes are refused at every layer (each layer is its own
// `deserialize` call upstream).
import { BincodeReader, BincodeWriter, withBincodeErrors } from '../codec/bincode.js';

export type MetadataVersion = 'V1' | 'V2';
/** The newest version this port speaks (upstream's `latest` is v2). */
export const LATEST_METADATA_VERSION: MetadataVersion = 'V2';
export const METADATA_VERSIONS: readonly MetadataVersion[] = ['V1', 'V2'];

export type MetadataQueryType = 'available-bandwidth' | 'top-up-bandwidth' | 'upgrade-mode-check';

/** QueryType variants in declaration order, per version. */
const QUERY_TYPES: Readonly<Record<MetadataVersion, readonly MetadataQueryType[]>> = {
  V1: ['available-bandwidth', 'top-up-bandwidth'],
  V2: ['available-bandwidth', 'top-up-bandwidth', 'upgrade-mode-check'],
};

/** upstream's BandwidthCredential; the zk-nym is a CredentialSpendingData's serde-bincode (TicketSpender makes it). */
export type MetadataCredential =
  | { kind: 'zk-nym'; credentialBincode: Uint8Array }
  | { kind: 'upgrade-mode-jwt'; token: string };

export type MetadataRequest =
  | { type: 'available-bandwidth' }
  | { type: 'top-up-bandwidth'; credential: MetadataCredential }
  | { type: 'upgrade-mode-check'; token: string };

export type MetadataResponse =
  /** `upgradeMode` is undefined from a v1 gateway, which does not say. */
  | { type: 'available-bandwidth'; availableBandwidth: bigint; upgradeMode?: boolean }
  | { type: 'top-up-bandwidth'; availableBandwidth: bigint; upgradeMode?: boolean }
  | { type: 'upgrade-mode-check'; upgradeMode: boolean };

/** The JSON envelope: the same shape for requests and responses. */
export interface MetadataEnvelope {
  version: MetadataVersion;
  inner: Uint8Array;
}

export type MetadataMessageFailure = 'version' | 'query-type' | 'format' | 'unsupported';

export class MetadataMessageError extends Error {
  override name = 'MetadataMessageError';
  constructor(
    readonly code: MetadataMessageFailure,
    message: string,
  ) {
    super(message);
  }
}

// Bounds for what the other side may send. A response's inner is at most 1 + 1 + 9 + 1 bytes; a request's
// largest is a top-up (a spent ticket is about 1.3 kB) or a JWT. Far above both, low enough for a router.
export const MAX_RESPONSE_INNER_BYTES = 256;
export const MAX_REQUEST_INNER_BYTES = 16 * 1024;
export const MAX_TOKEN_BYTES = 8 * 1024;

// --- the version number GET /v1/bandwidth/version answers ---------------------------------------------------

export function versionNumber(v: MetadataVersion): number {
  return v === 'V1' ? 1 : 2;
}

/**
 * The version a gateway announced (a JSON u64), as upstream's `From<u64> for Version` maps it: 1 and 2 are
 * themselves; 0 and anything newer map to the latest version known here (a newer gateway still answers
 * older requests; 0 is the test-only dummy). Anything but a non-negative integer is refused.
 */
export function versionFromNumber(n: unknown): MetadataVersion {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new MetadataMessageError('version', `the gateway's version is not a non-negative integer: ${describe(n)}`);
  }
  return n === 1 ? 'V1' : LATEST_METADATA_VERSION;
}

// --- layer 1: JSON ---------------------------------------------------------------------------------------------

/** The envelope as serde_json writes it. */
export function envelopeToJson(e: MetadataEnvelope): { version: MetadataVersion; inner: number[] } {
  return { version: e.version, inner: Array.from(e.inner) };
}

/**
 * An envelope from parsed JSON, checked as serde would: an object with `version` one of the known variant
 * names and `inner` an array of integers 0..255 (at most `maxInner` of them). Other keys are ignored, as
 * serde's derive does without deny_unknown_fields.
 */
export function envelopeFromJson(v: unknown, maxInner: number): MetadataEnvelope {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MetadataMessageError('format', `the envelope is not a JSON object: ${describe(v)}`);
  const o = v as Record<string, unknown>;
  if (!('version' in o)) throw new MetadataMessageError('format', 'the envelope has no "version"');
  if (!('inner' in o)) throw new MetadataMessageError('format', 'the envelope has no "inner"');
  const version = o.version;
  if (typeof version !== 'string' || !(METADATA_VERSIONS as readonly string[]).includes(version)) {
    throw new MetadataMessageError('version', `unknown version ${describe(version)}, expected one of ${METADATA_VERSIONS.join(', ')}`);
  }
  const inner = o.inner;
  if (!Array.isArray(inner)) throw new MetadataMessageError('format', `"inner" is not an array: ${describe(inner)}`);
  if (inner.length > maxInner) throw new MetadataMessageError('format', `"inner" has ${inner.length} bytes, more than the ${maxInner} allowed`);
  const bytes = new Uint8Array(inner.length);
  inner.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) throw new MetadataMessageError('format', `"inner"[${i}] is not a byte: ${describe(b)}`);
    bytes[i] = b;
  });
  return { version: version as MetadataVersion, inner: bytes };
}

// --- layer 2: VersionedRequest / VersionedResponse ---------------------------------------------------------

function writeVersioned(version: MetadataVersion, type: MetadataQueryType, body: Uint8Array): MetadataEnvelope {
  const index = QUERY_TYPES[version].indexOf(type);
  if (index < 0) throw new MetadataMessageError('unsupported', `a ${version} gateway has no ${type} query`);
  return { version, inner: new BincodeWriter().variant(index).bytes(body).finish() };
}

/** Layer 2 of a message that came in: its query type and body (the gateway's side reads requests with it). */
export function readVersioned(e: MetadataEnvelope, maxBody: number, what: string): { type: MetadataQueryType; body: Uint8Array } {
  const types = QUERY_TYPES[e.version];
  return codec(() => {
    const r = new BincodeReader(e.inner);
    const index = r.u32(`${what} query_type`);
    const type = types[index];
    if (type === undefined) throw new MetadataMessageError('query-type', `${what}: unknown query type ${index} for ${e.version}`);
    const body = r.bytes(maxBody, `${what} inner`);
    r.end(what);
    return { type, body };
  });
}

// --- layer 3: the queries ------------------------------------------------------------------------------------

/** Builds the envelope of a request in the given version (what the client posts). */
export function encodeMetadataRequest(version: MetadataVersion, req: MetadataRequest): MetadataEnvelope {
  const w = new BincodeWriter();
  switch (req.type) {
    case 'available-bandwidth':
      break;
    case 'top-up-bandwidth': {
      const c = req.credential;
      if (version === 'V1') {
        // v1 carries a bare CredentialSpendingData: an upgrade-mode JWT cannot be said (upstream: DowngradeNotPossible)
        if (c.kind !== 'zk-nym') throw new MetadataMessageError('unsupported', 'a V1 gateway takes only a zk-nym, not an upgrade-mode JWT');
        w.raw(checkedCredential(c.credentialBincode));
      } else if (c.kind === 'zk-nym') {
        w.variant(0).raw(checkedCredential(c.credentialBincode));
      } else {
        w.variant(1).string(c.token);
      }
      break;
    }
    case 'upgrade-mode-check':
      if (version === 'V1') throw new MetadataMessageError('unsupported', 'a V1 gateway has no upgrade-mode check');
      w.variant(0).string(req.token);
      break;
  }
  return writeVersioned(version, req.type, w.finish());
}

/** Builds a response in the version the request came in (the lab's gateway does); v1 drops `upgradeMode`. */
export function encodeMetadataResponse(version: MetadataVersion, res: MetadataResponse): MetadataEnvelope {
  const w = new BincodeWriter();
  switch (res.type) {
    case 'available-bandwidth':
    case 'top-up-bandwidth':
      w.signed(res.availableBandwidth, 64);
      if (version === 'V2') w.bool(res.upgradeMode ?? false);
      break;
    case 'upgrade-mode-check':
      w.bool(res.upgradeMode);
      break;
  }
  return writeVersioned(version, res.type, w.finish());
}

/**
 * Reads the answer to a request of `expected.type` sent in `expected.version`. Upstream's client converts the
 * response with the version it asked in: another version (InvalidVersion) or another query type
 * (InvalidQueryType) is an error, as is anything left over.
 */
export function decodeMetadataResponse(e: MetadataEnvelope, expected: { version: MetadataVersion; type: MetadataQueryType }): MetadataResponse {
  if (e.version !== expected.version) throw new MetadataMessageError('version', `the answer is ${e.version}, the request was ${expected.version}`);
  const { type, body } = readVersioned(e, MAX_RESPONSE_INNER_BYTES, 'response');
  if (type !== expected.type) throw new MetadataMessageError('query-type', `the answer is for ${type}, the request was ${expected.type}`);
  return codec(() => {
    const r = new BincodeReader(body);
    let res: MetadataResponse;
    switch (type) {
      case 'available-bandwidth':
      case 'top-up-bandwidth': {
        const availableBandwidth = r.signed(64, 'available_bandwidth');
        res = e.version === 'V2' ? { type, availableBandwidth, upgradeMode: r.bool('upgrade_mode') } : { type, availableBandwidth };
        break;
      }
      case 'upgrade-mode-check':
        res = { type, upgradeMode: r.bool('upgrade_mode') };
        break;
    }
    r.end(`${type} response`);
    return res;
  });
}

// --- helpers -------------------------------------------------------------------------------------------------

/** A credential to splice in must at least be there; its layout is src/ecash's concern (and the gateway's). */
function checkedCredential(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) throw new MetadataMessageError('format', 'the zk-nym credential is empty');
  return bytes;
}

/** Runs a bincode read; its errors become MetadataMessageError 'format'. */
export function codec<T>(f: () => T): T {
  return withBincodeErrors(f, (m) => new MetadataMessageError('format', m));
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
