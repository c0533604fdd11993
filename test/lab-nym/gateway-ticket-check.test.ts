// The lab gateway's ticket checks (tools/lab/ecash/gateway-ticket-check.ts) in upstream's order
// (credential-verification CredentialVerifier::verify, then EcashManager::check_payment), on upstream's own
// serialised spend (CREDENTIAL_BYTES, common/authenticator-requests util.rs): each case is made to pass every
// earlier check and fail exactly one, so the refusal names that check. Accepted tickets, double spends and a
// ticket bound to another gateway are in registration-over-mixnet.test.ts with real ticketbooks; a duplicate
// pay info under a fresh serial number (two different payments sharing one pay info) is not exercised.
import test from 'ava';
import { credentialSpendingDataFromBytes, type CredentialSpendingData } from '../../src/ecash/credential-spending-data.js';
import { payInfoBytes, parsePayInfo } from '../../src/ecash/pay-info.js';
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { LabGatewayTickets, TicketRefused, type TicketRefusalReason } from '../../tools/lab/ecash/gateway-ticket-check.js';
import { CREDENTIAL_BYTES } from '../ecash/credential-bytes.fixture.js';

const upstream = credentialSpendingDataFromBytes(CREDENTIAL_BYTES); // spent 2024-12-11, epoch 1, pay info of 0x06 bytes
const SPEND_DAY_NOON = Date.UTC(2024, 11, 11, 12);
const provider = parsePayInfo(upstream.payInfo).providerPublicKey;
const vk = LabIssuers.create({ threshold: 1, count: 1, epochId: 1 }).masterKey;

function refusal(csd: CredentialSpendingData, o: { now?: number; gateway?: Uint8Array; epochKnown?: boolean } = {}): TicketRefusalReason | 'accepted' {
  const tickets = new LabGatewayTickets({
    gatewayIdentity: o.gateway ?? provider,
    verificationKey: (epoch) => (o.epochKnown === false || epoch !== 1n ? undefined : vk),
    now: () => o.now ?? SPEND_DAY_NOON,
  });
  try {
    tickets.accept(csd);
    return 'accepted';
  } catch (e) {
    if (e instanceof TicketRefused) return e.reason;
    throw e;
  }
}

const withPayment = (p: Partial<CredentialSpendingData['payment']>): CredentialSpendingData => ({ ...upstream, payment: { ...upstream.payment, ...p } });
const boundNow = (nowMs: number): CredentialSpendingData => ({ ...upstream, payInfo: payInfoBytes({ randomness: new Uint8Array(32).fill(9), timestamp: BigInt(Math.floor(nowMs / 1000)), providerPublicKey: provider }) });

test('each check refuses on its own, in upstream\'s order', (t) => {
  t.is(refusal(withPayment({ tType: 9 })), 'ticket-type');
  t.is(refusal(withPayment({ spendValue: 2n })), 'multiple-tickets');
  t.is(refusal(upstream, { now: Date.UTC(2024, 11, 12, 0, 0, 1) }), 'spend-date', 'the next day (UTC) is too late');
  t.is(refusal(upstream, { epochKnown: false }), 'unknown-epoch');
  t.is(refusal(upstream, { gateway: new Uint8Array(32).fill(7) }), 'pay-info-key');
  t.is(refusal(upstream), 'pay-info-timestamp', 'upstream\'s test pay info carries no real time');
  const fresh = boundNow(SPEND_DAY_NOON - 29_000);
  t.is(refusal(fresh), 'spend-proof', 'within 30 s the payment itself is judged: this one was made for another pay info and key');
  t.is(refusal(boundNow(SPEND_DAY_NOON - 31_000)), 'pay-info-timestamp', '31 s away is outside the window');
});

test('a refused payment records neither its pay info nor its serial number: the same payment is judged, and refused, the same way again', (t) => {
  const tickets = new LabGatewayTickets({ gatewayIdentity: provider, verificationKey: () => vk, now: () => SPEND_DAY_NOON });
  const fresh = boundNow(SPEND_DAY_NOON);
  t.throws(() => tickets.accept(fresh), { instanceOf: TicketRefused, message: /spend-proof/ });
  t.throws(() => tickets.accept(fresh), { instanceOf: TicketRefused, message: /spend-proof/ });
  t.deepEqual(tickets.accepted, []);
});
