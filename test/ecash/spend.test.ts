// The whole path: upstream's WASM builds a withdrawal request → 2 of 3 lab issuers blind-sign → the WASM
// unblinds, aggregates and serialises → our parser → spends of tickets 0 and 1 for a lab gateway's PayInfo →
// the lab verifier accepts both and refuses a tampered payment, a wrong PayInfo, a wrong date, and a repeated
// serial number; both byte forms of each spend decode back identically.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import {
  credentialSpendingDataBincode, credentialSpendingDataFromBincode, credentialSpendingDataFromBytes, credentialSpendingDataToBytes,
  type CredentialSpendingData,
} from '../../src/ecash/credential-spending-data.js';
import { ecashDate, ecashUnixTimestamp, fromJulianDay, toJulianDay, type EcashDate } from '../../src/ecash/ecash-date.js';
import { EcashError } from '../../src/ecash/errors.js';
import { scale } from '../../src/ecash/group-elements.js';
import { dateScalar, typeScalar } from '../../src/ecash/group-parameters.js';
import { withIssuanceSession } from '../../src/ecash/issuance.js';
import { checkBilinearPairing } from '../../src/ecash/pairing.js';
import { payInfoBytes } from '../../src/ecash/pay-info.js';
import { paymentToBytes } from '../../src/ecash/payment.js';
import { verifyCoinIndexSignatures, verifyExpirationDateSignatures } from '../../src/ecash/signature-sets.js';
import { spend } from '../../src/ecash/spend.js';
import { parseSerialisedTicketbook } from '../../src/ecash/ticketbook.js';
import { LabIssuers, coinIndexSignatures, expirationDateSignatures } from '../../tools/lab/ecash/issuers.js';
import { SpendRejected, SpentSerialNumbers, verifySpentCredential } from '../../tools/lab/ecash/verifier.js';

const random = (n: number) => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function today(): EcashDate {
  const d = new Date();
  return ecashDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

test('WASM → lab issuers → WASM ticketbook → our parser → spends 0 and 1 → the lab verifier', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3, epochId: 7 });
  const spendDate = today();
  const expiration = fromJulianDay(toJulianDay(spendDate) + 6);
  const serialised = await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-wireguard-entry', expiration);
    const shares = lab.blindSign({ ...body, expirationDate: expiration, ticketType: 'v1-wireguard-entry' }, [2, 3]);
    return s.unblind(lab.walletSharesResponse(shares), lab.partialVerificationKeys(), lab.masterVerificationKey());
  });
  const book = parseSerialisedTicketbook(serialised);
  t.is(book.epochId, 7n);
  t.is(book.ticketType, 'v1-wireguard-entry');
  t.deepEqual(book.expirationDate, expiration);
  t.is(book.wallet.expirationTimestamp, ecashUnixTimestamp(expiration));
  t.is(book.spentTickets, 0n);
  t.truthy(book.masterKey);
  t.is(book.masterKey!.epochId, 7n);
  // the WASM exported the master key it was given
  t.true(book.masterKey!.key.alpha.equals(lab.masterKey.alpha));
  // the aggregated wallet signature verifies on (sk, v, expiration, type) under the master key
  const vk = lab.masterKey;
  const signed = [book.secretKey, book.wallet.v, dateScalar(book.wallet.expirationTimestamp), typeScalar(book.wallet.tType)]
    .reduce((acc, a, i) => acc.add(scale(vk.betaG2[i]!, a)), vk.alpha);
  t.true(checkBilinearPairing(book.wallet.sig.h, signed, book.wallet.sig.s));

  const dateSigs = expirationDateSignatures(lab, expiration);
  const coinSigs = coinIndexSignatures(lab);
  // the checks a client runs on the signature sets (the WASM does not)
  verifyExpirationDateSignatures(vk, dateSigs, ecashUnixTimestamp(expiration));
  verifyCoinIndexSignatures(vk, vk, coinSigs);
  t.throws(() => verifyExpirationDateSignatures(vk, dateSigs, ecashUnixTimestamp(expiration) + 86400), { instanceOf: EcashError });
  t.throws(() => verifyExpirationDateSignatures(vk, [...dateSigs.slice(0, 6), { h: dateSigs[6]!.h, s: dateSigs[5]!.s }], ecashUnixTimestamp(expiration)), { instanceOf: EcashError });
  t.throws(() => verifyCoinIndexSignatures(vk, vk, [coinSigs[1]!, coinSigs[0]!, ...coinSigs.slice(2)]), { instanceOf: EcashError });
  const gatewayKey = random(32);
  const spendTimestamp = ecashUnixTimestamp(spendDate);
  const gateway = new SpentSerialNumbers();
  const spends: CredentialSpendingData[] = [];
  for (const index of [0, 1]) {
    const payInfo = payInfoBytes({ randomness: random(32), timestamp: BigInt(spendTimestamp + 3600), providerPublicKey: gatewayKey });
    const started = performance.now();
    const payment = spend({
      wallet: book.wallet, secretKey: book.secretKey, ticketsSpent: index, verificationKey: vk,
      expirationDateSignatures: dateSigs, coinIndexSignatures: coinSigs, payInfo, spendTimestamp, randomBytes: random,
    });
    t.log(`spend of ticket ${index}: ${(performance.now() - started).toFixed(0)} ms, payment ${paymentToBytes(payment).length} bytes`);
    const csd: CredentialSpendingData = { payment, payInfo, spendDate, epochId: book.epochId };
    gateway.accept(csd, vk);
    spends.push(csd);
    // both byte forms decode back to the same credential
    const bytes = credentialSpendingDataToBytes(csd);
    t.is(hex(credentialSpendingDataToBytes(credentialSpendingDataFromBytes(bytes))), hex(bytes));
    const bin = credentialSpendingDataBincode(csd);
    const back = credentialSpendingDataFromBincode(bin);
    t.is(hex(credentialSpendingDataToBytes(back)), hex(bytes));
    verifySpentCredential(back, vk);
  }
  t.not(hex(paymentToBytes(spends[0]!.payment)).slice(0, 200), hex(paymentToBytes(spends[1]!.payment)).slice(0, 200));

  const [first] = spends as [CredentialSpendingData];
  const reason = (f: () => void) => (t.throws(f, { instanceOf: SpendRejected }) as SpendRejected).reason;
  // a repeated serial number: the same spend again
  t.is(reason(() => gateway.accept(first, vk)), 'double-spend');
  // a wrong PayInfo (another gateway's key)
  const otherPayInfo = first.payInfo.slice();
  otherPayInfo.set(random(32), 40);
  t.is(reason(() => verifySpentCredential({ ...first, payInfo: otherPayInfo }, vk)), 'proof');
  // a wrong date: the day after (the expiration-date signature is for the spend date)
  t.is(reason(() => verifySpentCredential({ ...first, spendDate: fromJulianDay(toJulianDay(spendDate) + 1) }, vk)), 'expiration-signature');
  // tampered payments: a changed serial number, a changed response, a changed wallet signature
  const p = first.payment;
  t.is(reason(() => verifySpentCredential({ ...first, payment: { ...p, ss: [p.ss[0]!.double()] } }, vk)), 'proof');
  t.is(reason(() => verifySpentCredential({ ...first, payment: { ...p, zkProof: { ...p.zkProof, responseOC: p.zkProof.responseOC + 1n } } }, vk)), 'proof');
  t.is(reason(() => verifySpentCredential({ ...first, payment: { ...p, sig: { h: p.sig.h, s: p.sig.s.double() } } }, vk)), 'signature');
  t.is(reason(() => verifySpentCredential({ ...first, payment: { ...p, tType: 3 } }, vk)), 'signature');
  // another epoch's key
  const otherLab = LabIssuers.create({ threshold: 2, count: 3 });
  t.throws(() => verifySpentCredential(first, otherLab.masterKey), { instanceOf: SpendRejected });
});

test('spend refuses what upstream refuses: over the allowance, a date outside the book, wrong signature counts', async (t) => {
  const lab = LabIssuers.create({ threshold: 1, count: 1 });
  const expiration = fromJulianDay(toJulianDay(today()) + 6);
  const book = parseSerialisedTicketbook(await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-mixnet-entry', expiration);
    return s.unblind(lab.walletSharesResponse(lab.blindSign({ ...body, expirationDate: expiration, ticketType: 'v1-mixnet-entry' })), lab.partialVerificationKeys(), lab.masterVerificationKey());
  }));
  const base = {
    wallet: book.wallet, secretKey: book.secretKey, ticketsSpent: 0, verificationKey: lab.masterKey,
    expirationDateSignatures: expirationDateSignatures(lab, expiration), coinIndexSignatures: coinIndexSignatures(lab),
    payInfo: new Uint8Array(72), spendTimestamp: ecashUnixTimestamp(today()), randomBytes: random,
  };
  // the last ticket (49) is spendable, the 51st is not
  const last = spend({ ...base, ticketsSpent: 49 });
  verifySpentCredential({ payment: last, payInfo: base.payInfo, spendDate: today(), epochId: 1n }, lab.masterKey);
  t.throws(() => spend({ ...base, ticketsSpent: 50 }), { instanceOf: EcashError });
  t.throws(() => spend({ ...base, ticketsSpent: 49, spendValue: 2 }), { instanceOf: EcashError });
  t.is((t.throws(() => spend({ ...base, spendTimestamp: ecashUnixTimestamp(expiration) + 86400 }), { instanceOf: EcashError }) as EcashError).code, 'date');
  t.is((t.throws(() => spend({ ...base, spendTimestamp: ecashUnixTimestamp(today()) - 86400 }), { instanceOf: EcashError }) as EcashError).code, 'date');
  t.throws(() => spend({ ...base, coinIndexSignatures: base.coinIndexSignatures.slice(1) }), { instanceOf: EcashError });
  t.throws(() => spend({ ...base, expirationDateSignatures: base.expirationDateSignatures.slice(1) }), { instanceOf: EcashError });
  // type v1-mixnet-entry is the scalar 0: the wallet still verifies (scale handles 0)
  t.is(book.wallet.tType, 0);
});
