// The Status view on the REAL LuCI runtimes (master and 24.10; real uhttpd + rpcd + ubusd, nym-vpnd on that
// ubusd) once the router registered over the mixnet (issue #13): the lab's Nym gateways, the account's own
// ticketbooks, connected by country. The view shows each gateway's remaining bandwidth as its metadata
// service answered it, and how many tickets were paid, with no JavaScript error.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { LAB_ACCOUNT_MNEMONIC } from '../../tools/lab/addresses.js';
import type { NymLab } from '../../tools/lab/topology.js';
import { nymvpnc, testLab, waitState } from '../e2e/helpers.js';
import { waitFor } from '../helpers/bus.js';
import { screenshot } from './helpers.js';
import { labLuciSession, realParts, RUNTIMES, type RealStack } from './real-luci.js';

const parts = await realParts();
let lab: NymLab;
let stack: RealStack;
let session: Awaited<ReturnType<typeof labLuciSession>> | undefined;
let page: Page;
let errors: string[];

if ('skip' in parts) {
  test('the bandwidth on the real LuCI runtime', (t) => { t.log(`skipped: ${parts.skip}`); t.pass(); });
} else {
  test.before(async () => {
    lab = await testLab('lx', { registration: 'mixnet', bus: false, daemon: 'none' });
    session = await labLuciSession(parts, lab);
    ({ stack, page, errors } = session);
    const file = join(lab.root, 'tmp/mnemonic');
    writeFileSync(file, `${LAB_ACCOUNT_MNEMONIC}\n`, { mode: 0o600 });
    await nymvpnc(lab, ['store-account', '--mnemonic-file', file]);
    const stocked = await waitFor(async () => {
      const t = (JSON.parse((await nymvpnc(lab, ['--json', 'get-account-state'])).stdout) as { tickets?: Record<string, number> }).tickets ?? {};
      return t['v1-wireguard-entry'] === 50 && t['v1-wireguard-exit'] === 50 && t['v1-mixnet-entry'] === 50;
    }, 120_000, 500);
    if (!stocked) throw new Error('no ticketbooks');
    const r = await nymvpnc(lab, ['connect', '--entry-gateway-country', 'DE', '--exit-gateway-country', 'CH', '--wait-until-connected', '--timeout', '60']);
    if (!/State: +connected/.test(r.stdout)) throw new Error(`connect: ${r.stdout}${r.stderr}`);
    if (!(await waitState(lab, (s) => ['entry', 'exit'].every((hop) => (s.bandwidth as Record<string, { remaining_bytes?: number } | undefined> | undefined)?.[hop]?.remaining_bytes !== undefined), 20_000))) throw new Error('no bandwidth answer');
  });

  test.after.always(async () => {
    await session?.close();
    await lab?.destroy();
  });

  for (const rt of RUNTIMES) {
    test.serial(`[${rt}] Status shows both gateways' remaining bandwidth after registration over the mixnet`, async (t) => {
      await page.goto(stack.pages[rt].open('root', 'status'));
      await page.waitForSelector('#nym-vpn-state[data-state="connected"]');
      for (const hop of ['entry', 'exit']) {
        const row = (await page.textContent(`#nym-vpn-row-bandwidth-${hop}`))!;
        t.regex(row, new RegExp(`^Bandwidth476\\.84 MiB left at the ${hop} gateway, checked (\\d+h )?(\\d+m )?\\d+s ago$`));
      }
      await screenshot(page, `${rt}/status-bandwidth`);
      t.deepEqual(errors, []);
    });
  }
}
