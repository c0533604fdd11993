import test from 'ava';
import { resolve } from 'node:path';
import { BlobWriter } from '../../src/ubus/blob.js';
import { decodeEntries, putJson } from '../../src/ubus/blobmsg.js';
import { BlobmsgType, Status } from '../../src/ubus/constants.js';
import { UbusError } from '../../src/ubus/errors.js';
import { checkArgs, checkValue, loadSchema, parseSchema, signatureOf } from '../../src/ubus/schema.js';
import { repoRoot } from './captures.js';

const schema = loadSchema(resolve(repoRoot, 'ubus-schema/nym-vpn.json'));

/** The entries a `ubus call nym-vpn METHOD 'JSON'` would deliver. */
function wire(json: Record<string, unknown>) {
  const w = new BlobWriter();
  for (const [k, v] of Object.entries(json)) putJson(w, k, v);
  return decodeEntries(w.finish().subarray(4));
}

function rejects(t: import('ava').ExecutionContext, method: string, json: Record<string, unknown>, field: string, message: RegExp) {
  const e = t.throws(() => checkArgs(schema.methods[method]!, wire(json)), { instanceOf: UbusError });
  t.is(e?.status, Status.INVALID_ARGUMENT);
  t.is(e?.data?.field, field);
  t.regex(String(e?.data?.error), message);
}

test('the schema describes exactly the methods of architecture.md (and attest), each read or write', (t) => {
  t.deepEqual(Object.keys(schema.methods).sort(), ['account', 'account_forget', 'account_set', 'account_sync', 'attest', 'connect', 'countries', 'disconnect', 'gateways', 'info', 'network_event', 'reload', 'status']);
  t.deepEqual(Object.values(schema.methods).filter((m) => m.class === 'read').map((m) => m.name).sort(), ['account', 'attest', 'countries', 'gateways', 'info', 'status']);
  t.deepEqual(Object.values(schema.methods).filter((m) => m.internal).map((m) => m.name).sort(), ['attest', 'network_event'], 'internal: the hotplug hook, and the CLI\'s check before a secret');
});

test('the signature carries blobmsg types (bool as INT8, arrays as ARRAY)', (t) => {
  const connect = signatureOf(schema).find((s) => s.name === 'connect')!;
  const types = Object.fromEntries(connect.args);
  t.is(types.entry_id, BlobmsgType.STRING);
  t.is(types.entry_random, BlobmsgType.INT8);
  t.is(types.dns, BlobmsgType.ARRAY);
  t.is(types.timeout, BlobmsgType.INT32);
  t.deepEqual(signatureOf(schema).find((s) => s.name === 'status')!.args, []);
});

test('good arguments pass; ubus_rpc_session from uhttpd is accepted and dropped', (t) => {
  t.deepEqual(checkArgs(schema.methods.connect!, wire({ entry_country: 'DE', exit_country: 'ch', dns: ['9.9.9.9', '2620:fe::fe'], wait: true, timeout: 20, ubus_rpc_session: 'abc' })),
    { entry_country: 'DE', exit_country: 'ch', dns: ['9.9.9.9', '2620:fe::fe'], wait: true, timeout: 20 });
  t.deepEqual(checkArgs(schema.methods.status!, wire({ ubus_rpc_session: '0123' })), {});
  t.deepEqual(checkArgs(schema.methods.gateways!, wire({ role: 'exit' })), { role: 'exit' });
});

test('wrong type, unknown field, missing field, bad value: INVALID_ARGUMENT naming the field', (t) => {
  rejects(t, 'connect', { entry_random: 1 }, 'entry_random', /expected a boolean \(true or false\), got int32 1/);
  rejects(t, 'connect', { entry_country: 'Germany' }, 'entry_country', /'Germany' is not a two-letter ISO 3166 country code/);
  rejects(t, 'connect', { bogus: 'x' }, 'bogus', /unknown argument of connect \(known: entry_id/);
  rejects(t, 'status', { verbose: true }, 'verbose', /it takes none/);
  rejects(t, 'gateways', {}, 'role', /missing \(required\)/);
  rejects(t, 'gateways', { role: 'middle' }, 'role', /'middle' is not one of entry, exit/);
  rejects(t, 'gateways', { role: 'entry', min_performance: 101 }, 'min_performance', /above 100/);
  rejects(t, 'connect', { dns: ['1.1.1.1', 'not-an-ip'] }, 'dns[1]', /'not-an-ip' is not a plain unicast IPv4 or IPv6 address/);
  rejects(t, 'connect', { dns: ['224.0.0.1'] }, 'dns[0]', /'224.0.0.1' is not a plain unicast/);
  rejects(t, 'connect', { timeout: 3000000000 }, 'timeout', /expected a 32-bit integer, got int64/);
  rejects(t, 'connect', { entry_country: 'DE', entry_random: true }, 'entry_random', /cannot be combined with entry_country/);
  rejects(t, 'connect', { ubus_rpc_session: 5 }, 'ubus_rpc_session', /must be a string/);
});

test('a secret argument is never echoed in an error', (t) => {
  const e = t.throws(() => checkArgs(schema.methods.account_set!, wire({ mnemonic: 12 })), { instanceOf: UbusError });
  t.notRegex(String(e?.data?.error), /12/);
  t.regex(String(e?.data?.error), /\(hidden\)/);
});

test('duplicate arguments are refused rather than one silently winning', (t) => {
  const w = new BlobWriter();
  putJson(w, 'role', 'entry');
  putJson(w, 'role', 'exit');
  const e = t.throws(() => checkArgs(schema.methods.countries!, decodeEntries(w.finish().subarray(4))), { instanceOf: UbusError });
  t.regex(String(e?.data?.error), /role: given more than once/);
});

test('replies are checked against their shape', (t) => {
  const status = schema.methods.status!.reply;
  const good = { state: 'disconnected', since: 1, interface: 'nym0', dns: [], kill_switch: true, kill_switch_active: false, reconnects: 0, stats: { rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0 } };
  t.is(checkValue(status, good), null);
  t.deepEqual(checkValue(status, { ...good, state: 'up' })?.path, '.state');
  t.deepEqual(checkValue(status, { ...good, extra: 1 })?.message, 'not in the schema');
});

test('a malformed schema is refused', (t) => {
  t.throws(() => parseSchema({ object: 'x', methods: { a: { class: 'sometimes' } } }), { message: /class must be read or write/ });
  t.throws(() => parseSchema({ object: 'x', methods: { a: { class: 'read', args: { b: { $ref: 'nope' } } } } }), { message: /unknown \$ref/ });
  t.throws(() => parseSchema({ object: 'x', methods: { a: { class: 'read', args: { ubus_rpc_session: { type: 'string' } } } } }), { message: /implicit/ });
});
