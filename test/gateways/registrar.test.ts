// Static peers: the gateways they describe (for routers without a directory), selection over them,
// and the StaticRegistrar's answers and typed failures, from a real /etc/config/nym-vpn text.

import test from 'ava';
import {
  RegistrationError,
  StaticRegistrar,
  gatewaysFromStaticPeers,
  selectGateways,
  type RegistrationFailure,
} from '../../src/gateways/index.js';
import { parseUci } from '../../src/uci/index.js';
import { validateNymVpnConfig, type StaticPeer } from '../../src/config/nym-vpn-config.js';
import type { ErrorReason } from '../../src/daemon/tunnel-state.js';

const GW_KEY_1 = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const GW_KEY_2 = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const PSK = 'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=';
const OUR_KEY = 'Ln6LXRiSyNkCaqoCHyDWEtKAUOHuz/9Jw9V6SMj+bFQ=';

const CONFIG = `
config peer 'lab_entry'
	option role entry
	option gateway_id lab-entry
	option public_key '${GW_KEY_1}'
	option endpoint 203.0.113.10:51820
	list address 10.10.0.2/32
	list address fd10::2/128
	option country nl

config peer 'lab_exit'
	option role exit
	option gateway_id lab-exit
	option public_key '${GW_KEY_2}'
	option preshared_key '${PSK}'
	option endpoint '[2001:db8::20]:51821'
	option address '10.20.0.2 fd20::2/64'
	option country DE

config peer
	option role exit
	option public_key '${GW_KEY_1}'
	option endpoint vpn.example.org:51820
	option address 10.30.0.2
`;

function peers(): readonly StaticPeer[] {
  const result = validateNymVpnConfig(parseUci(CONFIG, { name: 'nym-vpn' }));
  if (result.config === undefined) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.config.peers;
}

const signal = (): AbortSignal => new AbortController().signal;

test('static peers become gateways per role: id from gateway_id (else the section), endpoint, country', (t) => {
  const { entries, exits } = gatewaysFromStaticPeers(peers());
  t.deepEqual(entries.map((g) => g.id), ['lab-entry']);
  t.deepEqual(exits.map((g) => g.id), ['lab-exit', '@peer[2]']);
  t.like(entries[0], { name: 'lab_entry', country: 'NL', ipAddresses: ['203.0.113.10'], wireguardEndpoint: { host: '203.0.113.10', port: 51820 }, source: 'static', performance: 100 });
  t.like(exits[0], { country: 'DE', ipAddresses: ['2001:db8::20'], wireguardEndpoint: { host: '2001:db8::20', port: 51821 } });
  t.like(exits[1], { country: undefined, ipAddresses: [], hostname: 'vpn.example.org' });
});

test('selection over static peers, then registration: the peer for that gateway and role', async (t) => {
  const { entries, exits } = gatewaysFromStaticPeers(peers());
  const sel = await selectGateways({
    entries, exits,
    entry: { select: 'country', country: 'nl', id: undefined, minPerformance: undefined },
    exit: { select: 'id', id: 'lab-exit', country: undefined, minPerformance: undefined },
  });
  const registrar = new StaticRegistrar(peers());
  t.is(registrar.name, 'static');
  t.deepEqual(await registrar.register({ gateway: sel.entry, role: 'entry', ourPublicKey: OUR_KEY }, signal()), {
    publicKey: GW_KEY_1, endpoint: { host: '203.0.113.10', port: 51820 }, addresses: { ipv4: '10.10.0.2', ipv6: 'fd10::2' },
  });
  t.deepEqual(await registrar.register({ gateway: sel.exit, role: 'exit', ourPublicKey: OUR_KEY }, signal()), {
    publicKey: GW_KEY_2, endpoint: { host: '2001:db8::20', port: 51821 }, addresses: { ipv4: '10.20.0.2', ipv6: 'fd20::2' }, presharedKey: PSK,
  });
  const anon = await registrar.register({ gateway: exits[1]!, role: 'exit', ourPublicKey: OUR_KEY }, signal());
  t.deepEqual(anon, { publicKey: GW_KEY_1, endpoint: { host: 'vpn.example.org', port: 51820 }, addresses: { ipv4: '10.30.0.2' } });
});

test('no static peer for the chosen gateway: NoPeer, saying what to add; wrong role says so', async (t) => {
  const registrar = new StaticRegistrar(peers());
  const { entries } = gatewaysFromStaticPeers(peers());
  const directoryGw = { ...entries[0]!, id: '3wqfp9ebaajgV8HRKYHeZuZCNXgitnW8BbytxyBH65xZ', source: 'directory' as const };
  const e1 = await t.throwsAsync(registrar.register({ gateway: directoryGw, role: 'entry', ourPublicKey: OUR_KEY }, signal()), { instanceOf: RegistrationError });
  t.is(e1!.failure, 'NoPeer');
  t.is(e1!.gatewayId, directoryGw.id);
  t.is(e1!.message, `no static entry peer for gateway ${directoryGw.id}: add a "config peer" section with gateway_id '${directoryGw.id}' and role 'entry'`);
  const e2 = await t.throwsAsync(registrar.register({ gateway: entries[0]!, role: 'exit', ourPublicKey: OUR_KEY }, signal()), { instanceOf: RegistrationError });
  t.is(e2!.message, 'no static exit peer for gateway lab-entry: peer lab_entry has it as entry, not exit');
  t.false(e2!.retryable);
});

test('a cancelled registration is Aborted; our key must be a WireGuard key', async (t) => {
  const registrar = new StaticRegistrar(peers());
  const { entries } = gatewaysFromStaticPeers(peers());
  const ac = new AbortController();
  ac.abort();
  const e = await t.throwsAsync(registrar.register({ gateway: entries[0]!, role: 'entry', ourPublicKey: OUR_KEY }, ac.signal), { instanceOf: RegistrationError });
  t.is(e!.failure, 'Aborted');
  await t.throwsAsync(registrar.register({ gateway: entries[0]!, role: 'entry', ourPublicKey: 'not a key' }, signal()), { instanceOf: TypeError, message: /our public key/ });
});

test('failure kinds map to retryability and the tunnel\'s error reasons', (t) => {
  const cases: Array<[RegistrationFailure, boolean, ErrorReason]> = [
    ['BandwidthExhausted', false, 'BandwidthExceeded'],
    ['CredentialRejected', false, 'RequestZkNym'],
    ['CredentialUnavailable', false, 'RequestZkNym'],
    ['Unreachable', true, 'TunnelProvider'],
    ['Timeout', true, 'TunnelProvider'],
    ['ProtocolError', true, 'TunnelProvider'],
    ['NoPeer', false, 'Internal'],
    ['Aborted', false, 'Internal'],
  ];
  for (const [failure, retryable, reason] of cases) {
    const e = new RegistrationError(failure, 'gw', 'm');
    t.is(e.retryable, retryable, failure);
    t.is(e.tunnelReason, reason, failure);
    t.is(e.name, 'RegistrationError');
  }
});
