// The lab's 2-of-3 issuers against upstream's WASM: the WASM's withdrawal request passes the issuers' check
// (so our port of request_verify and of the proof challenge agrees with upstream), their blind shares unblind
// and aggregate inside the WASM against our partial and master keys, and the WASM serialises a ticketbook.
import test from 'ava';
import { base58 } from '@scure/base';
import { ecashDate, fromJulianDay, toJulianDay, type EcashDate } from '../../src/ecash/ecash-date.js';
import { EcashError } from '../../src/ecash/errors.js';
import { G1, g1ToBytes, scale } from '../../src/ecash/group-elements.js';
import { hashToScalar } from '../../src/ecash/hash.js';
import { withIssuanceSession } from '../../src/ecash/issuance.js';
import { aggregateVerificationKeys, verificationKeyFromBs58, verificationKeyToBs58 } from '../../src/ecash/verification-key.js';
import { LabIssuers } from '../../tools/lab/ecash/issuers.js';
import { ecashUnixTimestamp } from '../../src/ecash/ecash-date.js';
import { parseWalletSharesAnswer } from '../../src/ecash/signature-sets-json.js';
import { verifyCoinIndexSignatures, verifyExpirationDateSignatures } from '../../src/ecash/signature-sets.js';
import { parseSerialisedTicketbook } from '../../src/ecash/ticketbook.js';

function defaultExpiration(): EcashDate {
  const d = new Date();
  return fromJulianDay(toJulianDay(ecashDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())) + 6);
}

test('partial keys aggregate to the master key (Lagrange at 0, any 2 of 3), and keys round-trip as bs58', (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3 });
  const partial = lab.partialVerificationKeys().keys.map((k) => ({ index: BigInt(k.nodeIndex), vk: verificationKeyFromBs58(k.bs58EncodedKey) }));
  t.is(partial.length, 3);
  t.is(partial[0]!.vk.betaG2.length, 5); // ttp_keygen: ATTRIBUTES_LEN + 1
  const master = lab.masterVerificationKey().bs58EncodedKey;
  for (const pair of [[0, 1], [0, 2], [1, 2]] as const) {
    const agg = aggregateVerificationKeys(pair.map((i) => partial[i]!.vk), pair.map((i) => partial[i]!.index));
    t.is(verificationKeyToBs58(agg), master);
  }
  const one = aggregateVerificationKeys([partial[0]!.vk], [partial[0]!.index]);
  t.not(verificationKeyToBs58(one), master);
  t.throws(() => verificationKeyFromBs58(master.slice(0, -3)), { instanceOf: EcashError });
});

test('the ecash key from a seed is hash_to_scalar(seed)·g1, as the WASM makes it (KeyPairUser::new_seeded)', async (t) => {
  const seed = new Uint8Array(32).fill(7);
  const body = await withIssuanceSession((s) => s.withdrawalRequest('v1-mixnet-entry', defaultExpiration(), base58.encode(seed)));
  t.is(body.ecashPubkey, base58.encode(g1ToBytes(scale(G1.BASE, hashToScalar(seed)))));
});

test('WASM request → 2 of 3 lab issuers blind-sign → the WASM unblinds, aggregates and serialises a ticketbook', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3, epochId: 4 });
  const expiration = defaultExpiration();
  const issued = await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-wireguard-entry', expiration);
    const shares = lab.blindSign({ withdrawalRequest: body.withdrawalRequest, ecashPubkey: body.ecashPubkey, expirationDate: expiration, ticketType: 'v1-wireguard-entry' }, [1, 3]);
    t.is(shares.length, 2);
    const out = await s.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), lab.masterVerificationKey());
    t.false(s.log.some((l) => l.level === 'error'), s.log.map((l) => l.text).join('\n'));
    return out;
  });
  t.is(issued.serialisationRevision, 1);
  t.true(base58.decode(issued.bs58EncodedData).length > 133);
  t.log(`ticketbook: revision ${issued.serialisationRevision}, ${base58.decode(issued.bs58EncodedData).length} bytes`);
});

test('a forged share is dropped by the WASM (logged), and too few good shares fail the master-key check', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3 });
  const expiration = defaultExpiration();
  await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-mixnet-exit', expiration);
    const shares = lab.blindSign({ ...body, expirationDate: expiration, ticketType: 'v1-mixnet-exit' }, [1, 2, 3]);
    // issuer 2's share with c replaced by issuer 3's: a valid encoding that does not verify for issuer 2
    const forged = base58.decode(shares[1]!.bs58EncodedShare);
    forged.set(base58.decode(shares[2]!.bs58EncodedShare).subarray(48), 48);
    shares[1]!.bs58EncodedShare = base58.encode(forged);
    const out = await s.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), lab.masterVerificationKey());
    t.is(out.serialisationRevision, 1); // 1 and 3 suffice
    t.true(s.log.some((l) => l.level === 'error' && /index 2/.test(l.text)), s.log.map((l) => l.text).join('\n'));
  });
  await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-mixnet-exit', expiration);
    const shares = lab.blindSign({ ...body, expirationDate: expiration, ticketType: 'v1-mixnet-exit' }, [2]);
    await t.throwsAsync(s.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), lab.masterVerificationKey()), { instanceOf: EcashError });
  });
});

test('a master key the partial keys do not interpolate to is refused before the WASM sees it', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3 });
  const other = LabIssuers.create({ threshold: 2, count: 3 });
  const expiration = defaultExpiration();
  await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-mixnet-entry', expiration);
    const shares = lab.blindSign({ ...body, expirationDate: expiration, ticketType: 'v1-mixnet-entry' });
    const e = await t.throwsAsync(s.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), other.masterVerificationKey()), { instanceOf: EcashError });
    t.regex(e!.message, /do not interpolate/);
    // the issuance object is still there: with the right master key the same session succeeds
    const ok = await s.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), lab.masterVerificationKey());
    t.is(ok.serialisationRevision, 1);
  });
});

test('the lab issuers refuse a request for another date or type, a tampered proof, and a foreign key', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3 });
  const expiration = defaultExpiration();
  const body = await withIssuanceSession((s) => s.withdrawalRequest('v1-wireguard-exit', expiration));
  const req = { ...body, expirationDate: expiration, ticketType: 'v1-wireguard-exit' as const };
  t.is(lab.blindSign(req).length, 2);
  const e1 = t.throws(() => lab.blindSign({ ...req, expirationDate: fromJulianDay(toJulianDay(expiration) + 1) }), { instanceOf: EcashError });
  t.regex(e1!.message, /commitment hash/);
  t.throws(() => lab.blindSign({ ...req, ticketType: 'v1-wireguard-entry' }), { instanceOf: EcashError });
  const other = base58.encode(g1ToBytes(scale(G1.BASE, 12345n)));
  const e2 = t.throws(() => lab.blindSign({ ...req, ecashPubkey: other }), { instanceOf: EcashError });
  t.regex(e2!.message, /proof does not verify/);
  // flip a bit of the last response scalar (the last byte of the request is its most significant byte)
  const raw = base58.decode(body.withdrawalRequest);
  raw[raw.length - 32]! ^= 1;
  const e3 = t.throws(() => lab.blindSign({ ...req, withdrawalRequest: base58.encode(raw) }), { instanceOf: EcashError });
  t.regex(e3!.message, /proof does not verify/);
});

test('the hook for the lab vpn-api takes the router’s request body and answers shares the WASM unblinds', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3, epochId: 3 });
  const issuer = lab.vpnApiIssuer();
  const expiration = defaultExpiration();
  const out = await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-mixnet-entry', expiration);
    const answer = await issuer(body);
    t.deepEqual(Object.keys(answer), ['epochId', 'shares', 'masterVerificationKey', 'aggregatedCoinIndexSignatures', 'aggregatedExpirationDateSignatures']);
    // our parser reads the answer back and the sets verify under the master key
    const parsed = parseWalletSharesAnswer(JSON.parse(JSON.stringify(answer)));
    const master = verificationKeyFromBs58(parsed.masterVerificationKey!.bs58EncodedKey);
    verifyExpirationDateSignatures(master, parsed.expirationDateSignatures!.signatures.map((x) => x.signature), ecashUnixTimestamp(expiration));
    verifyCoinIndexSignatures(master, master, parsed.coinIndexSignatures!.signatures.map((x) => x.signature));
    // the WASM deserialises the same JSON (serde_wasm_bindgen into upstream's types) and exports the sets
    return s.unblind(answer, lab.partialVerificationKeys(), answer.masterVerificationKey);
  });
  t.is(out.serialisationRevision, 1);
  const book = parseSerialisedTicketbook(out);
  t.truthy(book.expirationDateSignaturesRaw);
  t.truthy(book.coinIndexSignaturesRaw);
  t.is(book.expirationDateSignaturesRaw!.revision, 2);
  t.log(`ticketbook with both signature sets: ${out.bs58EncodedData.length} base58 characters`);
  await t.throwsAsync(issuer({ withdrawalRequest: '1', ecashPubkey: '1', expirationDate: 'tomorrow', ticketbookType: 'v1-mixnet-entry' }), { instanceOf: EcashError });
});
