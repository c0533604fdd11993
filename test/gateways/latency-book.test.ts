// The latency book: the latest probe of each gateway, told while it is under the maximum age (on the
// monotonic clock, whatever the wall clock does), a silent probe replacing an older answer, gateways
// that were not probed leaving it unchanged, bounded in size, and nothing that is not a measurement kept.
import test from 'ava';
import { LATENCY_MAX_AGE_MS, LatencyBook, type LatencyMeasurement } from '../../src/gateways/index.js';

function clocks(wallStart = 1_700_000_000_000) {
  const c = { mono: 5_000, wall: wallStart };
  return { c, opts: { monotonic: () => c.mono, wall: () => c.wall } };
}

const answered = (id: string, rttMs: number): LatencyMeasurement => ({ id, target: '192.0.2.1:443', rttMs, attempts: 3 });
const silent = (id: string): LatencyMeasurement => ({ id, target: '192.0.2.1:443', attempts: 3, error: 'no answer in time' });

test('an answer is told with the wall time of the probe; an unknown gateway is not', (t) => {
  const { c, opts } = clocks();
  const book = new LatencyBook(opts);
  book.record([answered('a', 23.4), silent('b')]);
  t.deepEqual(book.latest('a'), { rttMs: 23.4, measuredAtMs: c.wall });
  t.deepEqual(book.latest('b'), { measuredAtMs: c.wall }, 'probed, no answer: a time without a round trip');
  t.is(book.latest('never'), undefined);
});

test('the latest probe wins: a silent one replaces an older answer, a new answer a silent one', (t) => {
  const { c, opts } = clocks();
  const book = new LatencyBook(opts);
  book.record([answered('a', 10)]);
  c.mono += 1000; c.wall += 1000;
  book.record([silent('a')]);
  t.deepEqual(book.latest('a'), { measuredAtMs: c.wall });
  c.mono += 1000; c.wall += 1000;
  book.record([answered('a', 42)]);
  t.deepEqual(book.latest('a'), { rttMs: 42, measuredAtMs: c.wall });
});

test('a gateway the run did not probe (no address, deadline before its turn) keeps what the book knew', (t) => {
  const { c, opts } = clocks();
  const book = new LatencyBook(opts);
  book.record([answered('a', 10), answered('b', 20)]);
  const first = c.wall;
  c.mono += 1000; c.wall += 1000;
  book.record([
    { id: 'a', attempts: 0, error: 'no address to probe' },
    { id: 'b', target: '192.0.2.2:443', attempts: 0, error: 'not measured before the deadline' },
    { id: 'c', attempts: 0, error: 'no address to probe' },
  ]);
  t.deepEqual(book.latest('a'), { rttMs: 10, measuredAtMs: first });
  t.deepEqual(book.latest('b'), { rttMs: 20, measuredAtMs: first });
  t.is(book.latest('c'), undefined);
});

test('stale: from the maximum age on, a measurement is no longer told', (t) => {
  const { c, opts } = clocks();
  const book = new LatencyBook(opts);
  book.record([answered('a', 10), silent('b')]);
  c.mono += LATENCY_MAX_AGE_MS - 1;
  t.is(book.latest('a')?.rttMs, 10, 'just under the age');
  t.truthy(book.latest('b'));
  c.mono += 1;
  t.is(book.latest('a'), undefined, 'an hour old');
  t.is(book.latest('b'), undefined);
  t.is(LATENCY_MAX_AGE_MS, 60 * 60_000);
});

test('age is monotonic: a wall clock stepped back or forward (NTP on a router without RTC) changes nothing', (t) => {
  const { c, opts } = clocks(86_400_000);  // 1970-01-02: a router before its first NTP answer
  const book = new LatencyBook({ ...opts, maxAgeMs: 60_000 });
  book.record([answered('a', 10)]);
  c.wall = 1_700_000_000_000;  // NTP steps the wall clock by decades
  t.deepEqual(book.latest('a'), { rttMs: 10, measuredAtMs: 86_400_000 }, 'still fresh, and measured when the clock said');
  c.wall = 0;
  c.mono += 59_999;
  t.is(book.latest('a')?.rttMs, 10);
  c.mono += 1;
  t.is(book.latest('a'), undefined);
});

test('stale entries are dropped at the next record, and the book never holds more than its bound', (t) => {
  const { c, opts } = clocks();
  const book = new LatencyBook({ ...opts, maxAgeMs: 1000, maxEntries: 3 });
  book.record([answered('old', 1)]);
  c.mono += 1000;
  book.record([answered('a', 1)]);
  t.is(book.size, 1, 'the stale one went');
  book.record([answered('b', 2), answered('c', 3), answered('d', 4)]);
  t.is(book.size, 3);
  t.is(book.latest('a'), undefined, 'the oldest went first');
  t.deepEqual(['b', 'c', 'd'].map((id) => book.latest(id)?.rttMs), [2, 3, 4]);
  c.mono += 1;
  book.record([answered('b', 5)]);
  book.record([answered('e', 6)]);
  t.deepEqual(['b', 'c', 'd', 'e'].map((id) => book.latest(id)?.rttMs), [5, undefined, 4, 6], 'a re-measured gateway counts as new');
});

test('what is not a measurement is not kept', (t) => {
  const { opts } = clocks();
  const book = new LatencyBook(opts);
  book.record([
    { id: 'nan', attempts: 1, rttMs: Number.NaN },
    { id: 'inf', attempts: 1, rttMs: Number.POSITIVE_INFINITY },
    { id: 'neg', attempts: 1, rttMs: -1 },
    { id: 'str', attempts: 1, rttMs: '12' as unknown as number },
    { id: '', attempts: 1, rttMs: 1 },
    { id: 'x'.repeat(129), attempts: 1, rttMs: 1 },
    { id: 7 as unknown as string, attempts: 1, rttMs: 1 },
    { id: 'frac', attempts: 0.5, rttMs: 1 },
    null as unknown as LatencyMeasurement,
  ]);
  t.is(book.size, 0);
  book.record([{ id: 'x'.repeat(128), attempts: 1, rttMs: 0 }]);
  t.deepEqual(book.latest('x'.repeat(128))?.rttMs, 0, 'the longest id, and a round trip of 0, are fine');
});

test('bad options are refused', (t) => {
  const { opts } = clocks();
  for (const maxAgeMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) t.throws(() => new LatencyBook({ ...opts, maxAgeMs }), { instanceOf: RangeError });
  for (const maxEntries of [0, 1.5, -3]) t.throws(() => new LatencyBook({ ...opts, maxEntries }), { instanceOf: RangeError });
});
