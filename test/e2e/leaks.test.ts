// `npm run leaks` as a test: every leak scenario on both firewall backends must leak 0 packets and
// let LAN traffic through the exit again afterwards. The per-scenario lines are in the log.
import test from 'ava';
import { runLeaks, type LeakBackend } from '../../tools/lab/leaks.js';

for (const backend of ['nftables', 'fw3'] as LeakBackend[]) {
  test(`kill switch (${backend}): 12 scenarios, 0 packets leaked, traffic back after each`, async (t) => {
    const results = await runLeaks(backend, (line) => t.log(line));
    t.is(results.length, 12);
    for (const r of results) {
      t.is(r.leaked, 0, `${r.name}: ${r.detail.join('; ')}`);
      t.true(r.recovered, `${r.name}: LAN traffic did not come back through the exit`);
    }
  });
}
