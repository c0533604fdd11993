// nym-vpnc's gateway list as text: the latency column appears once the daemon has measured some gateway
// of the list, with the round trip, "no answer" for a silent probe and "-" for a gateway never probed.
import test from 'ava';
import { formatGateways, latencyText } from '../../src/cli/format.js';

const ID_A = '2xU4CBE6QiiYt6EyBXSALwxkNvM7gqJfjHXaMkjiFmYW';
const ID_B = 'h-own';

test('no measurement: the lines as before, no latency column', (t) => {
  t.is(formatGateways({ gateways: [{ id: ID_A, country: 'DE', performance: 90, name: 'berlin' }], cached: false }),
    `${ID_A.padEnd(46)} DE   90%  berlin`);
  t.is(formatGateways({ gateways: [] }), 'no gateways');
});

test('with measurements: a column of round trips, "no answer" and "-", aligned', (t) => {
  const text = formatGateways({
    gateways: [
      { id: ID_A, country: 'DE', performance: 90, name: 'berlin', latency_ms: 23, measured_at: 1_740_830_400 },
      { id: ID_B, country: 'AT', performance: 100, name: 'home', measured_at: 1_740_830_400 },
      { id: 'never', country: 'CH', performance: 75, name: 'zurich' },
      { id: 'lan', country: 'NL', performance: 80, latency_ms: 0, measured_at: 1_740_830_400 },
    ],
    cached: true,
  });
  t.is(text, [
    `${ID_A.padEnd(46)} DE   90%      23 ms  berlin`,
    `${ID_B.padEnd(46)} AT  100%  no answer  home`,
    `${'never'.padEnd(46)} CH   75%          -  zurich`,
    `${'lan'.padEnd(46)} NL   80%      <1 ms  `,
    '(from the cache: the directory is unreachable)',
  ].join('\n'));
});

test('latencyText: only a whole, non-negative number of ms is a latency', (t) => {
  t.is(latencyText({ latency_ms: 1500 }), '1500 ms');
  for (const bad of [-1, 2.5, '23', Number.NaN, null]) t.is(latencyText({ latency_ms: bad }), '-', String(bad));
  t.is(latencyText({ latency_ms: 'x', measured_at: 5 }), 'no answer');
});
