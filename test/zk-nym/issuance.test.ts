// Upstream's issuance code (the nym-credential-proxy WASM) in a worker that lives only while a ticketbook is
// obtained: the withdrawal request it builds has the shape nym-vpn-api takes (RequestZkNymRequestBody), a bad
// answer from the issuers is a clear error, and the memory goes back when the worker ends (measured, logged).
import test from 'ava';
import { base58 } from '@scure/base';
import { IssuanceError, IssuanceSession } from '../../src/zk-nym/issuance.js';
import { TICKET_TYPES } from '../../src/zk-nym/ticket-type.js';

const rssMb = () => process.memoryUsage().rss / 1048576;

test.serial('a withdrawal request per ticket type, in upstream\'s request shape; memory measured before, with and after the worker', async (t) => {
  (globalThis as { gc?: () => void }).gc?.();
  const before = rssMb();
  const keys = new Set<string>();
  let withWorker = 0;
  const started = performance.now();
  for (const type of TICKET_TYPES) {
    const s = await IssuanceSession.start(type);
    withWorker = Math.max(withWorker, rssMb());
    t.deepEqual(Object.keys(s.request).sort(), ['ecashPubkey', 'expirationDate', 'ticketbookType', 'withdrawalRequest']);
    t.is(s.request.ticketbookType, type);
    t.true(base58.decode(s.request.withdrawalRequest).length > 300, 'a withdrawal request with its proof');
    t.is(base58.decode(s.request.ecashPubkey).length, 48, 'a G1 public key');
    t.true(s.request.expirationDate > new Date().toISOString().slice(0, 10), 'expires after today');
    keys.add(s.request.ecashPubkey);
    await s.close();
  }
  const perBook = (performance.now() - started) / TICKET_TYPES.length;
  t.is(keys.size, 4, 'a fresh key per ticketbook');
  await new Promise((r) => setImmediate(r));
  (globalThis as { gc?: () => void }).gc?.();
  const after = rssMb();
  t.log(`RSS ${before.toFixed(0)} MB before, ${withWorker.toFixed(0)} MB with the WASM worker, ${after.toFixed(0)} MB after it ended; ${perBook.toFixed(0)} ms per request (load included)`);
  t.true(withWorker > before, 'the worker does take memory');
});

test.serial('issuers\' answers the WASM cannot use are clear errors; a killed worker too', async (t) => {
  await t.throwsAsync(IssuanceSession.start('v2-bogus' as never), { instanceOf: IssuanceError, message: /unknown ticket type/ });
  const s = await IssuanceSession.start('v1-wireguard-entry');
  await t.throwsAsync(s.unblind([], { epochId: 0, keys: [] }, { epochId: 0, bs58EncodedKey: 'notakey' }), { instanceOf: IssuanceError, message: /^issuance: / });
  await t.throwsAsync(s.unblind('not even a list', null, null), { instanceOf: IssuanceError });
  const pending = s.unblind([], {}, {});
  await s.close();
  await t.throwsAsync(pending, { instanceOf: IssuanceError });
});
