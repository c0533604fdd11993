// Authenticator v6 messages byte for byte. Expected bytes are written out by hand from the serde rules named
// in src/authenticator/messages-v6.ts (not produced by our encoder); upstream's own check_first_bytes_protocol
// (v6/request.rs) and semver_checks (version.rs) tables are copied as they are, commit daed9cd15bc0.
import test from 'ava';
import { x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BincodeReader } from '../../src/codec/bincode.js';
import { AuthenticatorCodecError, decodeRequest, decodeResponse, encodeRequest, encodeResponse, type AuthenticatorRequest, type AuthenticatorResponse } from '../../src/authenticator/messages-v6.js';
import { clientMac, verifyClientMac } from '../../src/authenticator/client-mac.js';
import { ipPairText, rustIpv6Text } from '../../src/authenticator/ip-pair.js';
import { authenticatorVersionOf, chooseAuthenticatorVersion, UnsupportedGatewayError } from '../../src/authenticator/version.js';
import { parseIp } from '../../src/net/ip-address.js';

const KEY_B64 = 'yvNUDpT5l7W/xDhiu6HkqTHDQwbs/B3J5UrLmORl1EQ=';
const KEY = new Uint8Array(Buffer.from(KEY_B64, 'base64'));
const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const noCredential = (r: BincodeReader): Uint8Array => { throw new Error(`no credential expected at ${r.offset}`); };

test("upstream's check_first_bytes_protocol, and the whole Initial message by hand", (t) => {
  const bytes = encodeRequest({ data: { type: 'initial', pubKey: KEY }, requestId: 1n });
  t.deepEqual([...bytes.subarray(0, 2)], [6, 2], '[version, ServiceProviderType::Authenticator as u8]');
  // protocol {6, variant 2}, variant 0 (Initial), the key as a string (length 44, then base64), request_id 1.
  t.deepEqual([...bytes], [6, 2, 0, 44, ...ascii(KEY_B64), 1]);
  t.deepEqual(decodeRequest(bytes, noCredential), { data: { type: 'initial', pubKey: KEY }, requestId: 1n });
});

test('request ids and ports as varints, bandwidth zigzag: each at the width where its encoding changes', (t) => {
  const q = encodeRequest({ data: { type: 'query-bandwidth', pubKey: KEY }, requestId: 0xfedcba9876543210n });
  t.deepEqual([...q.subarray(q.length - 9)], [253, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10], 'u64 tag 253, big-endian');
  t.is(q[2], 2, 'QueryBandwidth is variant 2');
  const rb = encodeResponse({ requestId: 250n, upgradeModeEnabled: true, data: { type: 'remaining-bandwidth', availableBandwidth: -1n } });
  // protocol, variant 2, request_id 250 (one byte), Some, zigzag(-1) = 1, true.
  t.deepEqual([...rb], [6, 2, 2, 250, 1, 1, 1]);
  const big = encodeResponse({ requestId: 251n, upgradeModeEnabled: false, data: { type: 'top-up-bandwidth', availableBandwidth: 1_000_000_000n } });
  // request_id 251 needs the u16 tag; zigzag(1e9) = 2e9 = 0x77359400 needs the u32 tag.
  t.deepEqual([...big], [6, 2, 3, 251, 0, 251, 252, 0x77, 0x35, 0x94, 0x00, 0]);
  const none = encodeResponse({ requestId: 7n, upgradeModeEnabled: false, data: { type: 'remaining-bandwidth' } });
  t.deepEqual([...none], [6, 2, 2, 7, 0, 0]);
});

test('PendingRegistration and Registered by hand: addresses as octets, keys and MAC as base64 strings', (t) => {
  const ips = { ipv4: parseIp('10.1.0.2'), ipv6: parseIp('fc01::2') };
  const mac = new Uint8Array(32).fill(0xab);
  const macB64 = Buffer.from(mac).toString('base64');
  const pending = encodeResponse({ requestId: 9n, upgradeModeEnabled: false, data: { type: 'pending-registration', nonce: 300n, gatewayData: { pubKey: KEY, privateIps: ips, mac }, wgPort: 51822 } });
  t.deepEqual([...pending], [
    6, 2, 0, 9,
    251, 0x01, 0x2c, // nonce 300
    44, ...ascii(KEY_B64),
    10, 1, 0, 2, 0xfc, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    44, ...ascii(macB64),
    251, 0xca, 0x6e, // port 51822
    0,
  ]);
  const registered = encodeResponse({ requestId: 9n, upgradeModeEnabled: true, data: { type: 'registered', pubKey: KEY, privateIps: ips, wgPort: 80 } });
  t.deepEqual([...registered], [6, 2, 1, 9, 44, ...ascii(KEY_B64), 10, 1, 0, 2, 0xfc, 0x01, ...new Array(13).fill(0), 2, 80, 1]);
  t.deepEqual(decodeResponse(pending).data, { type: 'pending-registration', nonce: 300n, gatewayData: { pubKey: KEY, privateIps: ips, mac }, wgPort: 51822 });
  t.like(decodeResponse(registered), { requestId: 9n, upgradeModeEnabled: true, data: { type: 'registered', wgPort: 80 } });
});

test('Final: the credential spliced in, then the ticket type in upstream\'s serde order; an upgrade-mode JWT', (t) => {
  const ips = { ipv4: parseIp('10.1.0.2'), ipv6: parseIp('fc01::2') };
  const mac = new Uint8Array(32).fill(1);
  const csd = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
  const req: AuthenticatorRequest = { requestId: 5n, data: { type: 'final', gatewayClient: { pubKey: KEY, privateIps: ips, mac }, credential: { credential: { kind: 'zk-nym', credentialBincode: csd }, ticketType: 'v1-wireguard-exit' } } };
  const bytes = encodeRequest(req);
  const tail = [1, 0, 0xde, 0xad, 0xbe, 0xef, 3, 5]; // Some, ZkNym, the credential, V1WireguardExit = 3, request_id
  t.deepEqual([...bytes.subarray(bytes.length - tail.length)], tail);
  t.deepEqual(decodeRequest(bytes, (r) => r.raw(4).slice()), req);
  const jwt = encodeRequest({ requestId: 5n, data: { type: 'final', gatewayClient: { pubKey: KEY, privateIps: ips, mac }, credential: { credential: { kind: 'upgrade-mode-jwt', token: 'a.b.c' }, ticketType: 'v1-mixnet-entry' } } });
  t.deepEqual([...jwt.subarray(jwt.length - 10)], [1, 1, 5, ...ascii('a.b.c'), 0, 5]);
  const bare = encodeRequest({ requestId: 5n, data: { type: 'final', gatewayClient: { pubKey: KEY, privateIps: ips, mac } } });
  t.deepEqual([...bare.subarray(bare.length - 2)], [0, 5], 'None');
  const up = encodeRequest({ requestId: 1n, data: { type: 'check-upgrade-mode', token: 'x' } });
  t.deepEqual([...up], [6, 2, 4, 0, 1, ...ascii('x'), 1]);
});

test('the MAC: node:crypto against an independent computation (noble x25519 + hmac) over the bytes the Rust code feeds', (t) => {
  const clientPriv = new Uint8Array(32).fill(0x11);
  const gatewayPriv = new Uint8Array(32).fill(0x22);
  const clientPub = x25519.getPublicKey(clientPriv);
  const gatewayPub = x25519.getPublicKey(gatewayPriv);
  const ips = { ipv4: parseIp('10.1.0.2'), ipv6: parseIp('fc01::2') };
  const nonce = 0x0102030405060708n;
  // mac.update(local_public); mac.update(private_ips.to_string()); mac.update(nonce.to_le_bytes())
  const data = Uint8Array.from([...clientPub, ...ascii('(10.1.0.2, fc01::2)'), 8, 7, 6, 5, 4, 3, 2, 1]);
  const expected = hmac(sha256, x25519.getSharedSecret(clientPriv, gatewayPub), data);
  const made = clientMac(clientPriv, clientPub, gatewayPub, ips, nonce);
  t.deepEqual(made, expected);
  t.true(verifyClientMac(gatewayPriv, clientPub, ips, nonce, made), 'the gateway checks it with its own key');
  t.false(verifyClientMac(gatewayPriv, clientPub, ips, nonce + 1n, made), 'another nonce');
  t.false(verifyClientMac(gatewayPriv, clientPub, { ...ips, ipv4: parseIp('10.1.0.3') }, nonce, made), 'other addresses');
  t.false(verifyClientMac(gatewayPriv, clientPub, ips, nonce, made.subarray(0, 16)), 'a truncated MAC');
});

test("IPv6 text as Rust's Display writes it (the MAC covers it)", (t) => {
  const v6 = (s: string) => rustIpv6Text(parseIp(s));
  t.is(v6('::ffff:192.10.2.255'), '::ffff:192.10.2.255', 'core::net doc example: IPv4-mapped');
  t.is(v6('fc01:0:0:0:0:0:0:2'), 'fc01::2');
  t.is(v6('1:0:1:0:1:0:1:0'), '1:0:1:0:1:0:1:0', 'a single zero group is never compressed');
  t.is(v6('0:0:1:0:0:1:0:0'), '::1:0:0:1:0:0', 'the first of equally long runs');
  t.is(v6('1:0:0:1:0:0:0:0'), '1:0:0:1::', 'the longest run');
  t.is(v6('::'), '::');
  t.is(v6('FC00:ABCD::1'), 'fc00:abcd::1', 'lowercase');
  t.is(ipPairText({ ipv4: parseIp('10.0.0.1'), ipv6: parseIp('::ffff:10.0.0.1') }), '(10.0.0.1, ::ffff:10.0.0.1)');
});

test("upstream's semver_checks; older and unknown gateways refused with a reason", (t) => {
  const table: Array<[string, number]> = [
    ['1.1.4', 0], ['0.1.0', 0], ['1.0.4', 0], ['1.1.5', 1], ['1.1.6', 1], ['1.1.8', 1], ['1.1.9', 2], ['1.1.10', 3], ['1.1.11', 3], ['1.1.60', 3],
    ['1.2.0', 4], ['1.2.1', 4], ['1.5.1', 4], ['1.6.0', 4], ['1.6.1', 5], ['1.6.11', 5], ['1.7.0', 5], ['1.16.11', 5], ['1.17.0', 5], ['1.22.0', 5],
    ['1.23.0', 6], ['1.23.1', 6], ['1.24.0', 6],
  ];
  for (const [v, want] of table) t.is(authenticatorVersionOf(v), want, v);
  t.is(authenticatorVersionOf('1.23.0-rc.1'), 5, 'a prerelease sorts below its release');
  t.is(authenticatorVersionOf('not a version'), 0);
  t.is(chooseAuthenticatorVersion('1.24.2'), 6);
  t.throws(() => chooseAuthenticatorVersion('1.22.0'), { instanceOf: UnsupportedGatewayError, message: /authenticator v5.*needs v6/ });
  t.throws(() => chooseAuthenticatorVersion(undefined), { instanceOf: UnsupportedGatewayError, message: /unknown/ });
});

test('hostile answers: every truncation, a trailing byte, wrong protocol, unknown variants, huge lengths, bad keys', (t) => {
  const ips = { ipv4: parseIp('10.1.0.2'), ipv6: parseIp('fc01::2') };
  const good: AuthenticatorResponse = { requestId: 9n, upgradeModeEnabled: false, data: { type: 'pending-registration', nonce: 300n, gatewayData: { pubKey: KEY, privateIps: ips, mac: new Uint8Array(32) }, wgPort: 51822 } };
  const bytes = encodeResponse(good);
  for (let n = 0; n < bytes.length; n++) t.throws(() => decodeResponse(bytes.subarray(0, n)), { instanceOf: AuthenticatorCodecError }, `cut at ${n}`);
  t.throws(() => decodeResponse(Uint8Array.from([...bytes, 0])), { instanceOf: AuthenticatorCodecError, message: /trailing/ });
  t.throws(() => decodeResponse(Uint8Array.from([5, ...bytes.subarray(1)])), { message: /v5, expected v6/ });
  t.throws(() => decodeResponse(Uint8Array.from([6, 1, ...bytes.subarray(2)])), { message: /not an authenticator message/ });
  t.throws(() => decodeResponse(Uint8Array.from([6, 2, 5, 0, 0])), { message: /unknown variant 5/ });
  t.throws(() => decodeResponse(Uint8Array.from([6, 2, 1, 9, 253, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), { instanceOf: AuthenticatorCodecError, message: /over the bound/ });
  const shortKey = Buffer.from(new Uint8Array(31)).toString('base64');
  t.throws(() => decodeResponse(Uint8Array.from([6, 2, 1, 9, shortKey.length, ...ascii(shortKey), ...new Array(20).fill(0), 80, 0])), { message: /31 bytes, a key is 32/ });
  const notB64 = '!'.repeat(44);
  t.throws(() => decodeResponse(Uint8Array.from([6, 2, 1, 9, 44, ...ascii(notB64), ...new Array(20).fill(0), 80, 0])), { message: /not standard base64/ });
  t.throws(() => decodeResponse(Uint8Array.from([6, 2, 4, 9, 2])), { message: /not a bool/ });
});
