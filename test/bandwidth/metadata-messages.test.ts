// The private-metadata messages byte for byte. Upstream's own tests (common/wireguard-private-metadata/shared
// src/models/v{1,2}/**, nymtech/nym daed9cd15bc0) only round-trip through serde, so the expected bytes here are
// derived by hand from the serde layout under upstream's make_bincode_serializer (DefaultOptions, big-endian,
// varint) — each vector says how — and the JSON from serde_json's derive (fields in declaration order, a unit
// enum as its variant name, Vec<u8> as an array of numbers). The zk-nym is upstream's CREDENTIAL_BYTES (a real
// spent ticket, the tests' fixture there too), in its serde form as src/ecash writes it (checked against
// upstream elsewhere: test/authenticator/final-credential.test.ts).
import test from 'ava';
import {
  LATEST_METADATA_VERSION, MetadataMessageError, decodeMetadataResponse, encodeMetadataRequest, encodeMetadataResponse,
  envelopeFromJson, envelopeToJson, versionFromNumber, versionNumber, type MetadataEnvelope,
} from '../../src/bandwidth/metadata-messages.js';
import { decodeMetadataRequest } from '../../src/bandwidth/metadata-request-decode.js';
import { credentialSpendingDataBincode, credentialSpendingDataFromBytes } from '../../src/ecash/credential-spending-data.js';
import { CREDENTIAL_BYTES } from '../ecash/credential-bytes.fixture.js';

const CSD = credentialSpendingDataBincode(credentialSpendingDataFromBytes(CREDENTIAL_BYTES));
const bytes = (e: MetadataEnvelope) => Array.from(e.inner);
const json = (e: MetadataEnvelope) => JSON.stringify(envelopeToJson(e));
const ascii = (s: string) => Array.from(new TextEncoder().encode(s));

test('available-bandwidth request: the empty struct writes nothing, so the envelope is query type 0 and an empty inner', (t) => {
  // VersionedRequest { query_type: AvailableBandwidth (index 0 → varint 0), inner: vec![] (length 0) }
  t.is(json(encodeMetadataRequest('V2', { type: 'available-bandwidth' })), '{"version":"V2","inner":[0,0]}');
  t.is(json(encodeMetadataRequest('V1', { type: 'available-bandwidth' })), '{"version":"V1","inner":[0,0]}');
  t.deepEqual(decodeMetadataRequest({ version: 'V2', inner: new Uint8Array([0, 0]) }), { type: 'available-bandwidth' });
});

test('available-bandwidth response: i64 zigzag then varint, v2 adds the upgrade_mode byte', (t) => {
  // 42 → zigzag 84 (< 251: one byte); true → 1; the inner is 2 bytes long
  const v2 = encodeMetadataResponse('V2', { type: 'available-bandwidth', availableBandwidth: 42n, upgradeMode: true });
  t.is(json(v2), '{"version":"V2","inner":[0,2,84,1]}');
  t.deepEqual(decodeMetadataResponse(v2, { version: 'V2', type: 'available-bandwidth' }), { type: 'available-bandwidth', availableBandwidth: 42n, upgradeMode: true });
  // v1 has no upgrade_mode: downgrading drops it (upstream TryFrom<v2 ResponseData> for v1 ResponseData)
  const v1 = encodeMetadataResponse('V1', { type: 'available-bandwidth', availableBandwidth: 42n, upgradeMode: true });
  t.deepEqual(bytes(v1), [0, 1, 84]);
  t.deepEqual(decodeMetadataResponse(v1, { version: 'V1', type: 'available-bandwidth' }), { type: 'available-bandwidth', availableBandwidth: 42n });
});

test('bandwidth amounts across the varint widths, negative balances and the i64 limits', (t) => {
  const inner = (n: bigint) => bytes(encodeMetadataResponse('V2', { type: 'available-bandwidth', availableBandwidth: n, upgradeMode: false })).slice(2, -1);
  t.deepEqual(inner(0n), [0]);
  t.deepEqual(inner(-1n), [1]); // zigzag -1 → 1
  t.deepEqual(inner(-1000n), [251, 0x07, 0xcf]); // zigzag 1999 → u16 tag 251, big-endian
  t.deepEqual(inner(500_000_000n), [252, 0x3b, 0x9a, 0xca, 0x00]); // one wireguard ticket: zigzag 1e9 → u32 tag 252
  t.deepEqual(inner(1n << 30n), [252, 0x80, 0, 0, 0]); // 1 GiB, upstream's upgrade-mode floor: zigzag 2^31
  t.deepEqual(inner((1n << 63n) - 1n), [253, 255, 255, 255, 255, 255, 255, 255, 254]); // i64::MAX → zigzag 2^64-2, u64 tag 253
  t.deepEqual(inner(-(1n << 63n)), [253, 255, 255, 255, 255, 255, 255, 255, 255]); // i64::MIN → 2^64-1
  // the whole 1 GiB answer: inner length 6 (5 + the bool)
  t.deepEqual(bytes(encodeMetadataResponse('V2', { type: 'available-bandwidth', availableBandwidth: 1n << 30n, upgradeMode: true })), [0, 6, 252, 0x80, 0, 0, 0, 1]);
  for (const n of [0n, -1n, -1000n, 500_000_000n, (1n << 63n) - 1n, -(1n << 63n)]) {
    const e = encodeMetadataResponse('V2', { type: 'top-up-bandwidth', availableBandwidth: n, upgradeMode: false });
    t.is((decodeMetadataResponse(e, { version: 'V2', type: 'top-up-bandwidth' }) as { availableBandwidth: bigint }).availableBandwidth, n);
  }
  t.throws(() => encodeMetadataResponse('V2', { type: 'top-up-bandwidth', availableBandwidth: 1n << 63n, upgradeMode: false }), { message: /i64 out of range/ });
});

test('top-up response: query type 1; 200 is zigzag 400, a u16', (t) => {
  t.is(json(encodeMetadataResponse('V2', { type: 'top-up-bandwidth', availableBandwidth: 200n, upgradeMode: false })), '{"version":"V2","inner":[1,4,251,1,144,0]}');
  t.deepEqual(bytes(encodeMetadataResponse('V1', { type: 'top-up-bandwidth', availableBandwidth: 200n })), [1, 3, 251, 1, 144]);
});

test('top-up request with upstream\'s CREDENTIAL_BYTES: v2 wraps it in BandwidthCredential::ZkNym, v1 carries it bare', (t) => {
  t.is(CSD.length, 1237, 'the credential\'s serde form');
  // v2: InnerTopUpRequest { credential: ZkNym (variant 0) + the credential } = 1 + 1237 = 1238 bytes = 0x04d6 → [251, 4, 214]
  const v2 = encodeMetadataRequest('V2', { type: 'top-up-bandwidth', credential: { kind: 'zk-nym', credentialBincode: CSD } });
  t.deepEqual(bytes(v2).slice(0, 5), [1, 251, 0x04, 0xd6, 0]);
  t.deepEqual(v2.inner.subarray(5), CSD);
  t.is(v2.inner.length, 5 + 1237);
  // v1: InnerTopUpRequest { credential: CredentialSpendingData } = 1237 bytes = 0x04d5
  const v1 = encodeMetadataRequest('V1', { type: 'top-up-bandwidth', credential: { kind: 'zk-nym', credentialBincode: CSD } });
  t.deepEqual(bytes(v1).slice(0, 4), [1, 251, 0x04, 0xd5]);
  t.deepEqual(v1.inner.subarray(4), CSD);
  // the gateway side reads both back to the same credential
  for (const e of [v1, v2]) {
    const back = decodeMetadataRequest(envelopeFromJson(JSON.parse(json(e)), 16 * 1024));
    if (back.type !== 'top-up-bandwidth' || back.credential.kind !== 'zk-nym') return t.fail('not a zk-nym top-up');
    t.deepEqual(back.credential.credentialBincode, CSD);
  }
});

test('top-up with an upgrade-mode JWT (v2 only): variant 1, then the token as a string', (t) => {
  const e = encodeMetadataRequest('V2', { type: 'top-up-bandwidth', credential: { kind: 'upgrade-mode-jwt', token: 'a.b.c' } });
  // inner: [1 (UpgradeModeJWT), 5, "a.b.c"] — 7 bytes
  t.deepEqual(bytes(e), [1, 7, 1, 5, ...ascii('a.b.c')]);
  t.deepEqual(decodeMetadataRequest(e), { type: 'top-up-bandwidth', credential: { kind: 'upgrade-mode-jwt', token: 'a.b.c' } });
  t.throws(() => encodeMetadataRequest('V1', { type: 'top-up-bandwidth', credential: { kind: 'upgrade-mode-jwt', token: 'a.b.c' } }), { instanceOf: MetadataMessageError, message: /V1 gateway takes only a zk-nym/ });
});

test('upgrade-mode check (v2 only): query type 2, UpgradeModeJwt variant 0 and the token; the answer one bool', (t) => {
  // the token of upstream's check_upgrade_mode/request.rs serde test
  const e = encodeMetadataRequest('V2', { type: 'upgrade-mode-check', token: 'dummy.jwt.token' });
  t.deepEqual(bytes(e), [2, 17, 0, 15, ...ascii('dummy.jwt.token')]);
  t.deepEqual(decodeMetadataRequest(e), { type: 'upgrade-mode-check', token: 'dummy.jwt.token' });
  const answer = encodeMetadataResponse('V2', { type: 'upgrade-mode-check', upgradeMode: true });
  t.deepEqual(bytes(answer), [2, 1, 1]);
  t.deepEqual(decodeMetadataResponse(answer, { version: 'V2', type: 'upgrade-mode-check' }), { type: 'upgrade-mode-check', upgradeMode: true });
  t.throws(() => encodeMetadataRequest('V1', { type: 'upgrade-mode-check', token: 'x' }), { message: /no upgrade-mode check/ });
  t.throws(() => decodeMetadataRequest({ version: 'V1', inner: new Uint8Array([2, 0]) }), { instanceOf: MetadataMessageError, message: /unknown query type 2 for V1/ });
});

test('answers are read against the request: another version or query type is refused, as upstream\'s conversions do', (t) => {
  const v1 = encodeMetadataResponse('V1', { type: 'available-bandwidth', availableBandwidth: 1n });
  t.throws(() => decodeMetadataResponse(v1, { version: 'V2', type: 'available-bandwidth' }), { instanceOf: MetadataMessageError, message: 'the answer is V1, the request was V2' });
  const topUp = encodeMetadataResponse('V2', { type: 'top-up-bandwidth', availableBandwidth: 1n, upgradeMode: false });
  const err = t.throws(() => decodeMetadataResponse(topUp, { version: 'V2', type: 'available-bandwidth' }), { instanceOf: MetadataMessageError });
  t.is(err?.code, 'query-type');
});

test('malformed inner bytes: unknown variants, short, trailing, non-bool, an empty answer, a u128 — each a clear error', (t) => {
  const av = { version: 'V2' as const, type: 'available-bandwidth' as const };
  const bad = (inner: number[], expected: { version: 'V1' | 'V2'; type: 'available-bandwidth' | 'top-up-bandwidth' } = av) =>
    t.throws(() => decodeMetadataResponse({ version: expected.version, inner: new Uint8Array(inner) }, expected), { instanceOf: MetadataMessageError });
  t.regex(bad([3, 0])!.message, /unknown query type 3 for V2/);
  t.regex(bad([2, 0], { version: 'V1', type: 'top-up-bandwidth' })!.message, /unknown query type 2 for V1/);
  t.regex(bad([0, 2, 84])!.message, /needs 2 bytes/); // the length says 2, one is there
  t.regex(bad([0, 2, 84, 1, 0])!.message, /1 trailing bytes/); // after the VersionedResponse
  t.regex(bad([0, 3, 84, 1, 0])!.message, /1 trailing bytes/); // after the inner struct
  t.regex(bad([0, 2, 84, 2])!.message, /2 is not a bool/);
  t.regex(bad([0, 0])!.message, /available_bandwidth/); // upstream's invalid_content: an empty answer does not decode
  t.regex(bad([0, 1, 254])!.message, /u128/);
  t.regex(bad([0, 253, 0, 0, 0, 0, 0, 0, 1, 1])!.message, /length 257 over the bound 256/); // more than any answer; refused before reading
  // requests (the lab gateway's side): an available-bandwidth body must be empty; a top-up must carry a credential
  t.notThrows(() => decodeMetadataRequest({ version: 'V2', inner: new Uint8Array([0, 0]) })); // upstream's empty_content
  t.throws(() => decodeMetadataRequest({ version: 'V2', inner: new Uint8Array([0, 1, 0]) }), { message: /trailing/ });
  t.throws(() => decodeMetadataRequest({ version: 'V2', inner: new Uint8Array([1, 0]) }), { instanceOf: MetadataMessageError }); // upstream's invalid_content
  t.throws(() => decodeMetadataRequest({ version: 'V2', inner: new Uint8Array([1, 1, 2]) }), { message: /unknown variant 2/ });
  const truncated = encodeMetadataRequest('V2', { type: 'top-up-bandwidth', credential: { kind: 'zk-nym', credentialBincode: CSD.subarray(0, 1000) } });
  t.throws(() => decodeMetadataRequest(truncated), { instanceOf: MetadataMessageError, message: /not a CredentialSpendingData/ });
  const extra = encodeMetadataRequest('V1', { type: 'top-up-bandwidth', credential: { kind: 'zk-nym', credentialBincode: new Uint8Array([...CSD, 0]) } });
  t.throws(() => decodeMetadataRequest(extra), { message: /not a CredentialSpendingData.*trailing/ });
  t.throws(() => encodeMetadataRequest('V2', { type: 'top-up-bandwidth', credential: { kind: 'zk-nym', credentialBincode: new Uint8Array() } }), { message: /empty/ });
});

test('the JSON envelope is checked as serde would: known version names, an array of bytes, nothing else required', (t) => {
  t.deepEqual(envelopeFromJson({ version: 'V1', inner: [0, 0], extra: true }, 16), { version: 'V1', inner: new Uint8Array([0, 0]) }, 'unknown keys ignored, as serde does');
  const refused = (v: unknown, re: RegExp) => t.throws(() => envelopeFromJson(v, 16), { instanceOf: MetadataMessageError, message: re });
  refused([0, 0], /not a JSON object/);
  refused(null, /not a JSON object/);
  refused({ inner: [] }, /no "version"/);
  refused({ version: 'V2' }, /no "inner"/);
  refused({ version: 'V0', inner: [] }, /unknown version "V0"/); // upstream's test-only dummy
  refused({ version: 'V3', inner: [] }, /unknown version "V3"/);
  refused({ version: 2, inner: [] }, /unknown version 2/);
  refused({ version: 'V2', inner: 'AAA=' }, /not an array/);
  refused({ version: 'V2', inner: [0, 256] }, /"inner"\[1\] is not a byte: 256/);
  refused({ version: 'V2', inner: [-1] }, /not a byte/);
  refused({ version: 'V2', inner: [1.5] }, /not a byte/);
  refused({ version: 'V2', inner: ['1'] }, /not a byte/);
  refused({ version: 'V2', inner: new Array(17).fill(0) }, /17 bytes, more than the 16 allowed/);
});

test('the announced version maps as upstream\'s From<u64>: 1 and 2 themselves, 0 and newer to the latest known', (t) => {
  t.is(versionFromNumber(1), 'V1');
  t.is(versionFromNumber(2), 'V2');
  t.is(versionFromNumber(0), LATEST_METADATA_VERSION);
  t.is(versionFromNumber(3), 'V2');
  t.is(versionFromNumber(1e15), 'V2');
  for (const v of [-1, 1.5, '2', null, undefined, {}]) t.throws(() => versionFromNumber(v), { instanceOf: MetadataMessageError });
  t.is(versionNumber('V1'), 1);
  t.is(versionNumber('V2'), 2);
});
