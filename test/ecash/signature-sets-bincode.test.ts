// The signature sets inside a ticketbook as upstream's WASM exports them: lab issuers answer in the vpn-api's
// shape (both aggregated sets included), upstream's WASM unblinds and serialises, and our decoder reads back
// exactly the signatures the issuers made — then the set for a spend, in order; damaged bytes are refused.
import test from 'ava';
import { ecashUnixTimestamp, formatEcashDate, fromJulianDay, toJulianDay, ecashDate } from '../../src/ecash/ecash-date.js';
import { EcashError } from '../../src/ecash/errors.js';
import { withIssuanceSession } from '../../src/ecash/issuance.js';
import {
  coinIndexSignaturesFromBincode, coinSignaturesByIndex, expirationDateSignaturesFromBincode, spendingDateSignatures,
} from '../../src/ecash/signature-sets-bincode.js';
import { validSpendingTimestamps } from '../../src/ecash/signature-sets.js';
import { parseSerialisedTicketbook } from '../../src/ecash/ticketbook.js';
import { openSpendableBook, verifySpendableBook } from '../../src/ecash/spendable-book.js';
import { decodeBase58Large } from '../../src/ecash/base58-large.js';
import { LabIssuers, coinIndexSignatures, expirationDateSignatures } from '../../tools/lab/ecash/issuers.js';

const hex = (p: { toHex(c: boolean): string }) => p.toHex(true);

async function issued(lab: LabIssuers) {
  const now = new Date();
  const expiration = fromJulianDay(toJulianDay(ecashDate(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate())) + 6);
  const serialised = await withIssuanceSession(async (s) => {
    const body = await s.withdrawalRequest('v1-wireguard-exit', expiration);
    const answer = await lab.vpnApiIssuer()({ ...body, expirationDate: formatEcashDate(expiration), ticketbookType: 'v1-wireguard-exit' });
    return s.unblind(answer as never, lab.partialVerificationKeys(), lab.masterVerificationKey());
  });
  return { expiration, serialised };
}

test('the WASM carries both sets through; we read back the issuers\' signatures, in spending order', async (t) => {
  const lab = LabIssuers.create({ threshold: 2, count: 3, epochId: 9 });
  const { expiration, serialised } = await issued(lab);
  const book = parseSerialisedTicketbook(serialised);
  t.truthy(book.expirationDateSignaturesRaw);
  t.truthy(book.coinIndexSignaturesRaw);
  const dates = expirationDateSignaturesFromBincode(book.expirationDateSignaturesRaw!);
  const coins = coinIndexSignaturesFromBincode(book.coinIndexSignaturesRaw!);
  t.is(dates.epochId, 9);
  t.is(coins.epochId, 9);
  t.is(formatEcashDate(dates.expirationDate), formatEcashDate(expiration));
  const exp = ecashUnixTimestamp(expiration);
  t.deepEqual(dates.signatures.map((s) => [s.expirationTimestamp, s.spendingTimestamp]), validSpendingTimestamps(exp).map((d) => [exp, d]));
  t.deepEqual(dates.signatures.map((s) => [hex(s.signature.h), hex(s.signature.s)]), expirationDateSignatures(lab, expiration).map((s) => [hex(s.h), hex(s.s)]));
  t.deepEqual(coins.signatures.map((s) => s.index), Array.from({ length: 50 }, (_, i) => i));
  t.deepEqual(coins.signatures.map((s) => [hex(s.signature.h), hex(s.signature.s)]), coinIndexSignatures(lab).map((s) => [hex(s.h), hex(s.s)]));

  // in the order a spend takes them, checked for this book only
  t.is(spendingDateSignatures(dates, expiration, 9).length, 7);
  t.is(coinSignaturesByIndex(coins, 9).length, 50);
  t.throws(() => spendingDateSignatures(dates, fromJulianDay(toJulianDay(expiration) + 1), 9), { instanceOf: EcashError, message: /the ticketbook expires/ });
  t.throws(() => coinSignaturesByIndex(coins, 8), { instanceOf: EcashError, message: /epoch 9, the ticketbook is of epoch 8/ });
  t.throws(() => coinSignaturesByIndex({ ...coins, signatures: coins.signatures.slice(1) }, 9), { instanceOf: EcashError, message: /0 signatures for index 0/ });
  t.throws(() => coinSignaturesByIndex({ ...coins, signatures: [...coins.signatures, coins.signatures[3]!] }, 9), { instanceOf: EcashError, message: /2 signatures for index 3/ });

  // the whole book opened as the router stores it (the decoded bytes), and its sets verified against the key
  const data = decodeBase58Large(serialised.bs58EncodedData, 1 << 16, 'ticketbook');
  const spendable = openSpendableBook(data, { type: 'v1-wireguard-exit', expirationDate: formatEcashDate(expiration), epochId: 9 });
  verifySpendableBook(spendable);
  t.throws(() => openSpendableBook(data, { type: 'v1-wireguard-entry', expirationDate: formatEcashDate(expiration), epochId: 9 }), { message: /holds v1-wireguard-exit tickets, stored as v1-wireguard-entry/ });
  t.throws(() => openSpendableBook(data, { type: 'v1-wireguard-exit', expirationDate: formatEcashDate(expiration), epochId: 8 }), { message: /of epoch 9, stored as 8/ });
  // a swapped pair of coin signatures fails the check, naming the first wrong one
  const swapped = { ...spendable, coinSignatures: [spendable.coinSignatures[1]!, spendable.coinSignatures[0]!, ...spendable.coinSignatures.slice(2)] };
  t.throws(() => verifySpendableBook(swapped), { instanceOf: EcashError, message: /signature 0 is not on index 0/ });
});

test('damaged set bytes: every truncation, a wrong revision, trailing bytes, a bad point are refused', async (t) => {
  const lab = LabIssuers.create({ threshold: 1, count: 1 });
  const book = parseSerialisedTicketbook((await issued(lab)).serialised);
  const dates = book.expirationDateSignaturesRaw!;
  const coins = book.coinIndexSignaturesRaw!;
  for (let n = 0; n < dates.data.length; n += 7) t.throws(() => expirationDateSignaturesFromBincode({ revision: 2, data: dates.data.subarray(0, n) }), { instanceOf: EcashError });
  for (let n = 0; n < coins.data.length; n += 97) t.throws(() => coinIndexSignaturesFromBincode({ revision: 2, data: coins.data.subarray(0, n) }), { instanceOf: EcashError });
  t.throws(() => coinIndexSignaturesFromBincode({ revision: 1, data: coins.data }), { instanceOf: EcashError, message: /revision 1/ });
  t.throws(() => coinIndexSignaturesFromBincode({ revision: 2, data: Uint8Array.from([...coins.data, 0]) }), { instanceOf: EcashError });
  const bad = coins.data.slice();
  bad[bad.length - 49] &= 0x7f; // the last signature's s loses its compressed-form flag (then index 49, one byte)
  t.throws(() => coinIndexSignaturesFromBincode({ revision: 2, data: bad }), { instanceOf: EcashError });
});
