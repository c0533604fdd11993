// Upstream's WASM in its worker: the worker starts, builds a withdrawal request whose JSON is what upstream's
// nym-vpn-api-client sends (RequestZkNymRequestBody, camelCase), ends, and gives its memory back (RSS logged
// before / with / after; that test runs alone, before the others). The WASM's own refusals come back as EcashErrors.
import test from 'ava';
import { base58 } from '@scure/base';
import { EcashError } from '../../src/ecash/errors.js';
import { ecashDate, fromJulianDay, toJulianDay, type EcashDate } from '../../src/ecash/ecash-date.js';
import { g1FromBytes } from '../../src/ecash/group-elements.js';
import { IssuanceSession, withIssuanceSession } from '../../src/ecash/issuance.js';
import { withdrawalRequestFromBs58 } from '../../src/ecash/withdrawal-request.js';
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';

/** Upstream's default expiration: today (UTC) + 6 days (ecash-time cred_exp_date). */
function defaultExpiration(nowMs: number): EcashDate {
  const d = new Date(nowMs);
  const today = ecashDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  return fromJulianDay(toJulianDay(today) + 6);
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

test.serial('the worker loads the WASM, builds upstream’s request body, ends, and its memory is given back', async (t) => {
  const before = process.memoryUsage().rss;
  const session = await IssuanceSession.start();
  t.teardown(() => session.close());
  const expiration = defaultExpiration(Date.now());
  const body = await session.withdrawalRequest('v1-wireguard-entry', expiration);
  const withWasm = process.memoryUsage().rss;

  // exactly the fields of RequestZkNymRequestBody (nym-vpn-api-client src/request.rs), in its order
  t.deepEqual(Object.keys(body), ['withdrawalRequest', 'ecashPubkey', 'expirationDate', 'ticketbookType']);
  t.is(body.ticketbookType, 'v1-wireguard-entry');
  t.regex(body.expirationDate, /^\d{4}-\d{2}-\d{2}$/);
  t.deepEqual(body.expirationDate.split('-').map(Number), [expiration.year, expiration.month, expiration.day]);
  // the ecash public key is a bs58 compressed G1 point (PublicKeyUser::to_base58_string)
  t.is(base58.decode(body.ecashPubkey).length, 48);
  t.false(g1FromBytes(base58.decode(body.ecashPubkey)).is0());
  // the withdrawal request decodes: two private attributes, each with a commitment, opening and response
  const req = withdrawalRequestFromBs58(body.withdrawalRequest);
  t.is(req.privateAttributesCommitments.length, 2);
  t.is(req.zkProof.responseOpenings.length, 2);
  t.is(req.zkProof.responseAttributes.length, 2);
  t.true(session.log.some((l) => l.text.includes('rust module loaded')));

  // one request per session: the WASM object holds that request's secrets
  const again = await t.throwsAsync(session.withdrawalRequest('v1-wireguard-entry', expiration), { instanceOf: EcashError });
  t.regex(again!.message, /already built/);

  await session.close();
  // V8 hands freed pages back lazily; collect what this thread still holds before reading RSS again
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage().rss;
  t.log(`WASM load ${session.loadMs.toFixed(0)} ms; RSS before ${mb(before)} MiB, with the WASM ${mb(withWasm)} MiB, after the worker ended ${mb(after)} MiB`);
  t.true(withWasm > before, 'the worker and the WASM take memory while issuing');
  t.true(after < withWasm, 'ending the worker gives memory back');
  await t.throwsAsync(session.withdrawalRequest('v1-wireguard-entry', expiration), { instanceOf: EcashError });
});

test('the same bs58 ed25519 secret seeds the same ecash key in two sessions (KeyPairUser::new_seeded)', async (t) => {
  const secret = base58.encode(new Uint8Array(32).fill(7));
  const expiration = defaultExpiration(Date.now());
  const a = await withIssuanceSession((s) => s.withdrawalRequest('v1-mixnet-entry', expiration, secret));
  const b = await withIssuanceSession((s) => s.withdrawalRequest('v1-mixnet-entry', expiration, secret));
  t.is(a.ecashPubkey, b.ecashPubkey);
  t.not(a.withdrawalRequest, b.withdrawalRequest); // fresh openings each time
  const e = await t.throwsAsync(withIssuanceSession((s) => s.withdrawalRequest('v1-mixnet-entry', expiration, 'not-base58-0OIl')), { instanceOf: EcashError });
  t.regex(e!.message, /ed25519/);
});

test('refusals: an expiration the WASM did not choose, an unknown type, shares from another epoch', async (t) => {
  await withIssuanceSession(async (s) => {
    const wrong = fromJulianDay(toJulianDay(defaultExpiration(Date.now())) + 1);
    const e = await t.throwsAsync(s.withdrawalRequest('v1-mixnet-entry', wrong), { instanceOf: EcashError });
    t.is(e!.code, 'date');
  });
  await withIssuanceSession(async (s) => {
    await t.throwsAsync(s.withdrawalRequest('v2-nothing' as never, defaultExpiration(Date.now())), { instanceOf: EcashError });
  });
  await withIssuanceSession(async (s) => {
    // unblinding before any request
    const lab = LabIssuers.create({ threshold: 1, count: 1 });
    const early = await t.throwsAsync(s.unblind({ epochId: 1, shares: [] }, lab.partialVerificationKeys(), lab.masterVerificationKey()), { instanceOf: EcashError });
    t.regex(early!.message, /no withdrawal request/);
  });
  await withIssuanceSession(async (s) => {
    await s.withdrawalRequest('v1-wireguard-exit', defaultExpiration(Date.now()));
    const lab = LabIssuers.create({ threshold: 2, count: 3 });
    // our own checks first: an empty key set, a master key of another epoch
    const none = await t.throwsAsync(s.unblind({ epochId: 1, shares: [] }, { epochId: 1, keys: [] }, lab.masterVerificationKey()), { instanceOf: EcashError });
    t.regex(none!.message, /no partial keys/);
    const epoch = await t.throwsAsync(s.unblind({ epochId: 1, shares: [] }, lab.partialVerificationKeys(), { ...lab.masterVerificationKey(), epochId: 9 }), { instanceOf: EcashError });
    t.regex(epoch!.message, /epoch/);
    // then the WASM's: shares of another epoch than the keys
    const e = await t.throwsAsync(s.unblind({ epochId: 2, shares: [] }, lab.partialVerificationKeys(), lab.masterVerificationKey()), { instanceOf: EcashError });
    t.regex(e!.message, /not from the same epoch/);
    // the WASM consumed its issuance object on that call (Rust `self`): no second try in this session
    const again = await t.throwsAsync(s.unblind({ epochId: 1, shares: [] }, lab.partialVerificationKeys(), lab.masterVerificationKey()), { instanceOf: EcashError });
    t.regex(again!.message, /no withdrawal request/);
  });
});
