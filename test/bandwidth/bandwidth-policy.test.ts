// Upstream's bandwidth-monitor rules, pure. The first three tests are upstream's own (nymtech/nym-vpn-client
// nym-vpn-core/crates/nym-vpn-lib/src/bandwidth_monitor.rs at 1e68c165f785: depletion_rate_slow, _fast,
// _spike) with the same numbers; the rest pin the remaining branches and the decision tables.
import test from 'ava';
import {
  FIRST_CHECK_PERIOD_S, INITIAL_DEPLETION, MAX_CHECK_PERIOD_S, MIN_CHECK_PERIOD_S, MIN_REMAINING_BYTES, TICKETS_PER_TOP_UP, assessRemaining,
  burstShortensPeriod, nextCheckPeriod, queryFailureStep, ticketTypeForHop, upgradeModeStep, type DepletionState,
} from '../../src/bandwidth/bandwidth-policy.js';

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

test('upstream depletion_rate_slow: the first answer only sets the baseline; 1 byte/s then means the longest period', (t) => {
  const period = FIRST_CHECK_PERIOD_S;
  const first = assessRemaining(INITIAL_DEPLETION, period, GiB);
  t.deepEqual(first.decision, { action: 'check-again', afterS: FIRST_CHECK_PERIOD_S });
  const second = assessRemaining(first.state, period, GiB - BigInt(period));
  t.deepEqual(second.decision, { action: 'check-again', afterS: MAX_CHECK_PERIOD_S });
  t.is(second.state.bytesPerS, 1n);
});

test('upstream depletion_rate_fast: 128 MiB/s would empty 1 GiB before the next checks: top up', (t) => {
  const s = assessRemaining(INITIAL_DEPLETION, FIRST_CHECK_PERIOD_S, GiB).state;
  const r = assessRemaining(s, FIRST_CHECK_PERIOD_S, GiB - BigInt(FIRST_CHECK_PERIOD_S) * 128n * MiB);
  t.deepEqual(r.decision, { action: 'top-up' });
});

test('upstream depletion_rate_spike: 1 KiB/s then 1 MiB/s from 2 GiB; the top-up comes just under 1000 MiB', (t) => {
  let s: DepletionState = INITIAL_DEPLETION;
  let period = FIRST_CHECK_PERIOD_S;
  let balance = 2n * GiB;
  const first = assessRemaining(s, period, balance);
  t.deepEqual(first.decision, { action: 'check-again', afterS: FIRST_CHECK_PERIOD_S });
  s = first.state;
  const step = (rate: bigint) => {
    balance -= BigInt(period) * rate;
    const r = assessRemaining(s, period, balance);
    s = r.state;
    return r.decision;
  };
  for (let i = 0; i < 5; i++) {
    const d = step(KiB);
    t.deepEqual(d, { action: 'check-again', afterS: MAX_CHECK_PERIOD_S });
    period = MAX_CHECK_PERIOD_S;
  }
  for (let i = 0; i < 34; i++) {
    t.deepEqual(step(MiB), { action: 'check-again', afterS: MAX_CHECK_PERIOD_S });
    t.true(balance > 1000n * MiB);
  }
  t.deepEqual(step(MiB), { action: 'top-up' });
  t.true(balance < 1000n * MiB);
});

test('after a top-up the balance grew: nothing counts as used, so ask again after the minimum, without paying', (t) => {
  const s = { bytesPerS: 5n * MiB, lastRemaining: 900n * MiB };
  const r = assessRemaining(s, 30, 900n * MiB + 500_000_000n - 30n * MiB);
  t.deepEqual(r.decision, { action: 'check-again', afterS: MIN_CHECK_PERIOD_S });
  t.is(r.state.bytesPerS, 5n * MiB, 'the last measured rate is kept');
  t.is(r.state.lastRemaining, 900n * MiB + 500_000_000n - 30n * MiB);
});

test('a slow drain below 1000 MiB still tops up; fewer than 10 periods left tops up even with plenty', (t) => {
  const low = assessRemaining({ bytesPerS: 1n, lastRemaining: MIN_REMAINING_BYTES }, 5, MIN_REMAINING_BYTES - 5n);
  t.deepEqual(low.decision, { action: 'top-up' }, 'under the floor');
  // 100 GiB left, 2 GiB/s: 50 s, i.e. fewer than 10 periods of 30 s
  const fast = assessRemaining({ bytesPerS: 1n, lastRemaining: 160n * GiB }, 30, 100n * GiB);
  t.deepEqual(fast.decision, { action: 'top-up' });
  t.is(fast.state.bytesPerS, 60n * GiB / 30n);
});

test('an overdrawn (negative) balance is treated as empty and paid, not read as a vast u64', (t) => {
  const r = assessRemaining({ bytesPerS: MiB, lastRemaining: 10n * MiB }, 5, -4096n);
  t.deepEqual(r.decision, { action: 'top-up' });
  t.is(r.state.lastRemaining, 0n);
  t.throws(() => assessRemaining(INITIAL_DEPLETION, 0, GiB), { instanceOf: RangeError });
  t.throws(() => assessRemaining(INITIAL_DEPLETION, 2.5, GiB), { instanceOf: RangeError });
});

test('the next period is the shorter of the two answers, or stays', (t) => {
  t.is(nextCheckPeriod(30, 5, 30), 5);
  t.is(nextCheckPeriod(30, undefined, 5), 5);
  t.is(nextCheckPeriod(5, 30, undefined), 30);
  t.is(nextCheckPeriod(17, undefined, undefined), 17);
});

test('a burst of more than 8 MiB in a second brings a longer period back to 5 s', (t) => {
  t.true(burstShortensPeriod(8n * MiB + 1n, 30));
  t.false(burstShortensPeriod(8n * MiB, 30), 'at the threshold: no');
  t.false(burstShortensPeriod(100n * MiB, 5), 'already at the minimum');
});

test('the upgrade-mode table: skip while the gateway is in it, recheck or leave with an attestation, else pay', (t) => {
  t.deepEqual(upgradeModeStep(true, false, false), { step: 'skip-top-up', upgradeModeOnLastCheck: true });
  t.deepEqual(upgradeModeStep(true, true, true), { step: 'skip-top-up', upgradeModeOnLastCheck: true });
  t.deepEqual(upgradeModeStep(false, true, false), { step: 'recheck-then-top-up', upgradeModeOnLastCheck: false });
  // upstream never clears the flag after upgrade mode ends; kept as is
  t.deepEqual(upgradeModeStep(false, true, true), { step: 'leave-upgrade-mode-then-top-up', upgradeModeOnLastCheck: true });
  t.deepEqual(upgradeModeStep(false, false, true), { step: 'top-up', upgradeModeOnLastCheck: true });
  t.deepEqual(upgradeModeStep(undefined, true, false), { step: 'top-up', upgradeModeOnLastCheck: false }, 'a v1 gateway cannot say: pay');
});

test('query failures: the first is remembered, a repeat ends the tunnel once any check had succeeded', (t) => {
  t.is(queryFailureStep(false, 0), 'remember');
  t.is(queryFailureStep(false, 12), 'remember');
  t.is(queryFailureStep(true, 0), 'warn');
  t.is(queryFailureStep(true, 1), 'disconnect');
});

test('a top-up spends one ticket of the hop\'s wireguard type', (t) => {
  t.is(TICKETS_PER_TOP_UP, 1);
  t.is(ticketTypeForHop('entry'), 'v1-wireguard-entry');
  t.is(ticketTypeForHop('exit'), 'v1-wireguard-exit');
});
