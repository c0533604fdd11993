// Registration with a gateway's authenticator (v6) from the router's side, against the lab's authenticator,
// which makes and checks MACs with the gateway's own key. The channel between them stands in for the mixnet
// (the WASM client's part, issue #13.1): messages are delivered asynchronously, mixed with noise.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { BincodeReader } from '../../src/codec/bincode.js';
import { NymRegistrar, type BandwidthTickets } from '../../src/nym-registration/nym-registrar.js';
import type { AuthenticatorChannel } from '../../src/nym-registration/authenticator-channel.js';
import { RegistrationError } from '../../src/gateways/registrar.js';
import type { Gateway } from '../../src/gateways/gateway.js';
import { keyToBase64, publicKeyFromPrivate } from '../../src/wireguard/keys.js';
import { decodeResponse, encodeRequest, encodeResponse } from '../../src/authenticator/messages-v6.js';
import { parseIp } from '../../src/net/ip-address.js';
import { LabAuthenticator, type LabAuthenticatorOptions } from '../../tools/lab/nym-gateway/authenticator.js';

const FAKE_CSD = Uint8Array.from([0xc5, 0xd0, 0x00, 0x01]);
const readFakeCsd = (r: BincodeReader) => r.raw(4).slice();
const RECIPIENT = 'DF6nYDzxh5TVS6gBDNsk2wXGCBzRrjwFAqqAWsJK1L2z.8sT1gCGHXLZ3cWQa3SLzxrEtvZpETqKrsWtFvLz3Tbnj@7DKbVNXSYJCFaw8f7J5e6sA3BYG2wybZ4SXJ6n2TvQnQ';

function gateway(over: Partial<Gateway> = {}): Gateway {
  return { id: 'gw1', name: 'lab', country: 'DE', ipAddresses: ['203.0.113.10'], performance: 99, authenticatorAddress: RECIPIENT, buildVersion: '1.24.0', source: 'directory', ...over };
}

function world(t: import('ava').ExecutionContext, opts: Partial<LabAuthenticatorOptions> & { silent?: boolean; noise?: boolean } = {}) {
  let next = 2;
  const lab = new LabAuthenticator({
    privateKey: new Uint8Array(randomBytes(32)), wgPort: 51822, readCredential: readFakeCsd,
    allocate: () => ({ ipv4: parseIp(`10.1.0.${next}`), ipv6: parseIp(`fc01::${(next++).toString(16)}`) }), ...opts,
  });
  const listeners = new Set<(m: Uint8Array) => void>();
  const sent: string[] = [];
  const surbs: (number | undefined)[] = [];
  const channel: AuthenticatorChannel = {
    async send(recipient, message, _signal, replySurbs) {
      sent.push(recipient);
      surbs.push(replySurbs);
      setImmediate(() => {
        if (opts.noise) {
          // What else arrives on a mixnet client: garbage, another service's reply, an answer to another request.
          for (const l of listeners) { l(Uint8Array.from([1, 2, 3])); l(Uint8Array.from([6, 1, 0, 0])); l(encodeResponse({ requestId: 42n, upgradeModeEnabled: false, data: { type: 'upgrade-mode' } })); }
        }
        const answer = opts.silent ? undefined : lab.handle(message);
        if (answer) for (const l of listeners) l(answer);
      });
    },
    subscribe(l) { listeners.add(l); return () => listeners.delete(l); },
  };
  const keys = { entry: new Uint8Array(randomBytes(32)), exit: new Uint8Array(randomBytes(32)) };
  const spent: string[] = [];
  const tickets: BandwidthTickets & { token?: string; fail?: boolean } = {
    async spend(type, gatewayId) {
      if (tickets.fail) throw new Error('no ticketbook of this type');
      spent.push(`${type}@${gatewayId}`);
      return FAKE_CSD;
    },
    async upgradeModeToken() { return tickets.token; },
  };
  const registrar = new NymRegistrar({ channel, privateKey: async (role) => keys[role], tickets, timeoutMs: 300 });
  const request = (role: 'entry' | 'exit' = 'entry', g = gateway()) => ({ gateway: g, role, ourPublicKey: keyToBase64(publicKeyFromPrivate(keys[role])) });
  void t;
  return { lab, registrar, request, keys, spent, sent, surbs, tickets };
}

const signal = () => new AbortController().signal;

test('Initial → PendingRegistration (MAC checked) → Final with one ticket of the hop\'s type → Registered', async (t) => {
  const w = world(t, { noise: true });
  const peer = await w.registrar.register(w.request('exit'), signal());
  t.deepEqual(peer, { publicKey: keyToBase64(w.lab.publicKey), endpoint: { host: '203.0.113.10', port: 51822 }, addresses: { ipv4: '10.1.0.2', ipv6: 'fc01::2' }, metered: true }, 'metered: the gateway now meters our bandwidth (the bandwidth loop pays it)');
  t.deepEqual(w.spent, ['v1-wireguard-exit@gw1']);
  t.deepEqual(w.lab.journal, ['initial: pending', 'final: registered (zk-nym, v1-wireguard-exit)'], 'the lab checked our MAC with its own key');
  t.deepEqual(w.sent, [RECIPIENT, RECIPIENT]);
  t.deepEqual(w.surbs, [20, 1], 'as upstream\'s authenticator client: 20 reply SURBs with the Initial, 1 with the Final');
  t.true(w.lab.registered.has(Buffer.from(publicKeyFromPrivate(w.keys.exit)).toString('hex')));
});

test('a key the gateway already knows: Registered at once, no ticket spent', async (t) => {
  const w = world(t);
  await w.registrar.register(w.request(), signal());
  const again = await w.registrar.register(w.request(), signal());
  t.is(again.addresses.ipv4, '10.1.0.2');
  t.deepEqual(w.spent, ['v1-wireguard-entry@gw1']);
  t.is(w.lab.journal.at(-1), 'initial: already registered');
});

test('a PendingRegistration whose MAC fails: ProtocolError, no ticket spent, nothing sent after', async (t) => {
  const w = world(t);
  w.lab.corruptNextMac = true;
  const e = await t.throwsAsync(w.registrar.register(w.request(), signal()), { instanceOf: RegistrationError });
  t.is(e?.failure, 'ProtocolError');
  t.regex(e!.message, /MAC check/);
  t.deepEqual(w.spent, []);
  t.is(w.sent.length, 1);
});

test('upgrade mode: the token instead of a ticket when we hold one, a ticket when we do not', async (t) => {
  const w = world(t, { upgradeMode: true });
  w.tickets.token = 'eyJ.lab.jwt';
  await w.registrar.register(w.request('entry'), signal());
  t.deepEqual(w.spent, []);
  t.is(w.lab.journal.at(-1), 'final: registered (upgrade-mode-jwt, v1-wireguard-entry)');
  w.tickets.token = undefined;
  await w.registrar.register(w.request('exit'), signal());
  t.deepEqual(w.spent, ['v1-wireguard-exit@gw1']);
});

test('failures map to the registrar\'s kinds with upstream\'s reasons', async (t) => {
  const silent = world(t, { silent: true });
  const started = process.hrtime.bigint();
  const timeout = await t.throwsAsync(silent.registrar.register(silent.request(), signal()), { instanceOf: RegistrationError });
  t.is(timeout?.failure, 'Timeout');
  t.true(timeout!.retryable);
  t.true(process.hrtime.bigint() - started >= 300_000_000n, 'waited the whole timeout');

  const w = world(t);
  const aborter = new AbortController();
  const pending = w.registrar.register(w.request(), aborter.signal);
  aborter.abort();
  t.is((await t.throwsAsync(pending, { instanceOf: RegistrationError }))?.failure, 'Aborted');

  t.is((await t.throwsAsync(w.registrar.register(w.request('entry', gateway({ authenticatorAddress: undefined })), signal()), { instanceOf: RegistrationError }))?.failure, 'NoPeer');
  const old = await t.throwsAsync(w.registrar.register(w.request('entry', gateway({ buildVersion: '1.20.0' })), signal()), { instanceOf: RegistrationError });
  t.is(old?.failure, 'ProtocolError');
  t.regex(old!.message, /authenticator v5.*needs v6/);

  w.tickets.fail = true;
  const none = await t.throwsAsync(w.registrar.register(w.request(), signal()), { instanceOf: RegistrationError });
  t.is(none?.failure, 'CredentialUnavailable');
  t.is(none?.tunnelReason, 'RequestZkNym');
  w.tickets.fail = false;

  // Not what upstream's gateway does (it never answers a refused ticket), but a client must not take another
  // answer to its Final for a registration.
  const refusing = world(t, { acceptClaim: () => false, answerRefusedClaim: true });
  const refused = await t.throwsAsync(refusing.registrar.register(refusing.request(), signal()), { instanceOf: RegistrationError });
  t.is(refused?.failure, 'CredentialRejected');
  t.regex(refused!.message, /the ticket is spent/);
});

test('a ticket the gateway refuses is answered with silence, as upstream: after the Final went out that is CredentialRejected, not a retryable Timeout', async (t) => {
  const w = world(t, { acceptClaim: () => { throw new Error('already spent'); } });
  const started = process.hrtime.bigint();
  const e = await t.throwsAsync(w.registrar.register(w.request('exit'), signal()), { instanceOf: RegistrationError });
  t.true(process.hrtime.bigint() - started >= 300_000_000n, 'it waited for the answer to the Final');
  t.is(e?.failure, 'CredentialRejected');
  t.false(e!.retryable, 'another try would spend another ticket');
  t.is(e?.tunnelReason, 'RequestZkNym');
  t.regex(e!.message, /no answer .* after the final message went out \(its v1-wireguard-exit ticket is spent; upstream: credential wasted on the exit gateway\)/);
  t.deepEqual(w.spent, ['v1-wireguard-exit@gw1']);
  t.deepEqual(w.lab.journal, ['initial: pending', 'final: credential refused: already spent']);
});

test('an Initial repeated while its registration is pending gets the same nonce and IPs (upstream answers a pending registration again)', async (t) => {
  const w = world(t);
  const key = publicKeyFromPrivate(w.keys.entry);
  const initial = (id: bigint) => decodeResponse(w.lab.handle(encodeRequest({ requestId: id, data: { type: 'initial', pubKey: key } }))!);
  const first = initial(1n);
  const again = initial(2n);
  t.is(first.data.type, 'pending-registration');
  t.is(again.requestId, 2n);
  t.deepEqual(again.data, first.data);
  t.deepEqual(w.lab.journal, ['initial: pending', 'initial: pending again']);
});
