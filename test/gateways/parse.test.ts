// The strict directory parser: the full upstream shape (the real entry from nym.md and newer
// fields), optional parts missing or null, serde's role aliases, percent arithmetic, and malformed
// entries of many kinds — each skipped and reported with its identity, never crashing the list.

import test from 'ava';
import {
  DirectoryFormatError,
  formatPerformance,
  parseCountryList,
  parseGatewayList,
  parsePerformance,
  type GatewayIssue,
} from '../../src/gateways/index.js';
import { readFixture } from './helpers.js';

const REAL_ID = '3wqfp9ebaajgV8HRKYHeZuZCNXgitnW8BbytxyBH65xZ';

test('the real entry from nym.md parses to every field, unknown fields (bridges, lp_data, …) ignored', (t) => {
  const issues: GatewayIssue[] = [];
  const list = parseGatewayList(readFixture('upstream-gateways.json'), (i) => issues.push(i));
  t.deepEqual(issues, []);
  t.is(list.length, 8);
  const real = list.find((g) => g.id === REAL_ID)!;
  t.like(real, {
    name: 'middle winner wing',
    country: 'GB',
    ipAddresses: ['178.79.168.250', '2a01:7e00::f03c:95ff:fef8:77f'],
    hostname: 'nym-circ.anonym.tech',
    wsPort: 9000,
    wssPort: 9443,
    mixPort: 1789,
    role: 'EntryGateway',
    performance: 100,
    buildVersion: '1.2.3',
    source: 'directory',
    authenticatorAddress: '6CQMtm9DqUj7mPVkSD9YarjUuPh7mJaZQnnHWxNpgByh.AGXiTivVieBULeDhL9tuyMKgRydoT67sFCjeoERDN84k@3wqfp9ebaajgV8HRKYHeZuZCNXgitnW8BbytxyBH65xZ',
  });
  t.is(real.ipPacketRouterAddress, undefined);
  t.deepEqual(real.location, { latitude: 51.5085, longitude: -0.1257, city: 'London', region: 'England' });
  t.is(real.lastProbe?.lastUpdatedMs, Date.parse('2025-01-15T10:00:00Z'));
  t.deepEqual(real.lastProbe?.outcome.asEntry, { canConnect: true, canRoute: true });
  t.is(real.lastProbe?.outcome.asExit, undefined);
  t.like(real.lastProbe?.outcome.wg, { canRegister: true, canHandshake: true, pingIpsPerformance: 0.98 });
  t.false('bridges' in real);
  t.false('lp_data' in real);
});

test('an exit with probe data, an IPR and the performance 0.93 → 93 %', (t) => {
  const exit = parseGatewayList(readFixture('upstream-gateways.json')).find((g) => g.name === 'exit de')!;
  t.is(exit.role, 'ExitGateway');
  t.is(exit.performance, 93);
  t.is(exit.country, 'DE');
  t.truthy(exit.ipPacketRouterAddress);
  t.deepEqual(exit.lastProbe?.outcome.asExit, {
    canConnect: true, canRouteIpV4: true, canRouteIpExternalV4: true, canRouteIpV6: true, canRouteIpExternalV6: true,
  });
  t.is(exit.hostname, undefined, 'hostname null is absent');
  t.is(exit.wssPort, undefined);
  t.is(exit.buildVersion, undefined, 'build_information null');
});

test('optional parts missing or null; lower-case country upper-cased; roles and their serde aliases', (t) => {
  const byName = new Map(parseGatewayList(readFixture('upstream-gateways.json')).map((g) => [g.name, g]));
  const minimal = byName.get('minimal')!;
  t.is(minimal.country, 'NL');
  t.is(minimal.authenticatorAddress, undefined);
  t.is(minimal.lastProbe, undefined);
  t.deepEqual(minimal.location, { latitude: 52.37, longitude: 4.89 });
  const nulls = byName.get('nulls')!;
  t.deepEqual(nulls.ipAddresses, []);
  t.is(nulls.role, 'Standby');
  t.is(nulls.performance, 0);
  t.deepEqual(nulls.location, { latitude: 48.85, longitude: 2.35 });
  t.like(byName.get('a mixnode'), { role: 'Mixnode', mixnodeLayer: 2, performance: 45 });
  t.like(byName.get('alias entry'), { role: 'EntryGateway', performance: 99 }, '0.999999999 truncates to 99 like upstream');
  t.like(byName.get('alias exit'), { role: 'ExitGateway', performance: 100 });
  t.like(byName.get('alias gateway'), { role: 'EntryGateway', performance: 1 }, '0.0199 → 1');
});

test('malformed gateways are skipped one by one, each reported with its reason and identity', (t) => {
  const issues: GatewayIssue[] = [];
  const list = parseGatewayList(readFixture('malformed-gateways.json'), (i) => issues.push(i));
  t.deepEqual(list.map((g) => g.name), ['good-1', 'auth-bad-address', 'good-2']);
  t.is(list[1]!.authenticatorAddress, undefined, 'an unparseable address is dropped, the gateway kept (as upstream)');

  const skipped = new Map(issues.filter((i) => i.skipped).map((i) => [i.index, i]));
  const reasonAt = (index: number): string => skipped.get(index)?.reason ?? '(not skipped)';
  t.regex(reasonAt(1), /must be an object, got the string/);
  t.regex(reasonAt(2), /got null/);
  t.regex(reasonAt(3), /got an array/);
  t.regex(reasonAt(4), /identity_key must be a string, got number 12345/);
  t.is(skipped.get(4)?.identity, undefined, 'no identity to name');
  t.regex(reasonAt(5), /identity_key .* is not a base58 ed25519 public key/);
  t.regex(reasonAt(6), /not a base58 ed25519 public key/, 'base58 of 32 bytes that is not a curve point');
  t.regex(reasonAt(7), /^name must be a string, got nothing/);
  t.regex(reasonAt(8), /^name must be a string, got null/);
  t.regex(reasonAt(9), /^performance must be a string, got number 0.9/);
  t.regex(reasonAt(10), /performance the string "1.1" is not a decimal fraction between 0 and 1/);
  t.regex(reasonAt(11), /performance the string "high"/);
  t.regex(reasonAt(12), /performance the string "-0.5"/);
  t.regex(reasonAt(13), /ip_addresses\[1\] the string "not-an-ip" is not an IP address/);
  t.regex(reasonAt(14), /ip_addresses must be an array/);
  t.regex(reasonAt(15), /mix_port must be a port number \(0-65535\), got number 70000/);
  t.regex(reasonAt(16), /mix_port must be a port number .* got the string "1789"/);
  t.regex(reasonAt(17), /entry.ws_port must be a port number/);
  t.regex(reasonAt(18), /role the string "Gateway" is not EntryGateway/);
  t.regex(reasonAt(19), /^role must be a string .* got nothing/);
  t.regex(reasonAt(20), /^location must be an object, got nothing/);
  t.regex(reasonAt(21), /two_letter_iso_country_code the string "GBR" is not a two-letter code/);
  t.regex(reasonAt(22), /location.latitude must be a number, got the string "51.5"/);
  t.regex(reasonAt(23), /entry.ws_port must be a port number .* got null/);
  t.regex(reasonAt(24), /last_probe.outcome.as_entry.can_connect must be true or false, got the string "yes"/);
  t.regex(reasonAt(25), /last_probe.outcome.as_entry must be an object, got nothing/);
  t.regex(reasonAt(26), /authenticator must be an object, got number 5/);
  t.regex(reasonAt(28), /build_information.commit_branch must be a string, got nothing/);
  t.regex(reasonAt(29), /repeats an identity/);
  t.truthy(skipped.get(29)?.identity, 'the duplicate names the identity');
  t.truthy(skipped.get(9)?.identity, 'a gateway with a good identity is named by it');

  const trimmed = issues.filter((i) => !i.skipped);
  t.is(trimmed.length, 1);
  t.is(trimmed[0]!.index, 27);
  t.regex(trimmed[0]!.reason, /authenticator.address the string "not-a-nym-address" is not a Nym address; the gateway is kept/);
  t.is(skipped.size, 31 - 3, 'every other entry was skipped');
});

test('a body that is not an array is a clear DirectoryFormatError', (t) => {
  for (const [body, what] of [[{ gateways: [] }, 'an object'], ['[]', 'the string'], [null, 'null'], [42, 'number 42']] as const) {
    const e = t.throws(() => parseGatewayList(body), { instanceOf: DirectoryFormatError });
    t.true(e!.message.startsWith(`the gateway list is not a JSON array but ${what}`), e!.message);
  }
  t.throws(() => parseCountryList({}), { instanceOf: DirectoryFormatError, message: /country list is not a JSON array/ });
});

test('countries: two-letter codes, upper-cased and unique; others skipped and reported', (t) => {
  const issues: GatewayIssue[] = [];
  t.deepEqual(parseCountryList(['de', 'GB', 'DE', 'GBR', 7, null, 'ch'], (i) => issues.push(i)), ['DE', 'GB', 'CH']);
  t.deepEqual(issues.map((i) => i.index), [3, 4, 5]);
});

test('performance strings follow cosmwasm Decimal: exact, at most 1, truncated to whole percent', (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['1', 100], ['1.0', 100], ['1.000000000000000000', 100], ['0', 0], ['0.93', 93], ['0.29', 29], ['0.57', 57],
    ['0.0001', 0], ['0.0099', 0], ['0.45123', 45], ['0.999999999999999999', 99],
    ['1.000000000000000001', undefined], ['1.1', undefined], ['2', undefined], ['.5', undefined], ['0.', undefined],
    ['0.5e1', undefined], ['-0', undefined], [' 0.5', undefined], ['0.1234567890123456789', undefined], ['', undefined],
  ];
  for (const [text, want] of cases) t.is(parsePerformance(text), want, text);
  t.is(formatPerformance(93), '0.93');
  t.is(formatPerformance(90), '0.9');
  t.is(formatPerformance(5), '0.05');
  t.is(formatPerformance(0), '0');
  t.is(formatPerformance(100), '1');
  for (let p = 0; p <= 100; p++) t.is(parsePerformance(formatPerformance(p)), p);
  t.throws(() => formatPerformance(101), { instanceOf: RangeError });
});
