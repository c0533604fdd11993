// luci-app-nym-vpn in headless Chromium on the REAL LuCI runtime, master and 24.10 (luci-base + the
// bootstrap theme served by ../shared/openwrt/luci-page-server.mjs as view.ut renders a page), with /ubus
// answered by real uhttpd + rpcd + ubusd and nym-vpnd registered on that ubusd, in the lab (two entry and two
// exit gateways). For each runtime: an administrator sees Disconnected, picks the entry in DE and the exit
// in CH and connects, sees Connected through CH and the traffic graph, disconnects; Save & Connect again with
// nothing changed; connects with the lowest-latency entry and sees each entry's measured latency beside its
// performance and country (exits: not measured; a whole-ms value and a silent probe shown as such too);
// saves settings into /etc/config/nym-vpn through rpcd (a bad value refused first); stores
// an account from a fresh BIP39 mnemonic that never shows up in the page, forgets it after confirming. A
// read-only login sees the status, is refused Connect (the message without JavaScript stack frames, the
// details on demand) and cannot edit the settings or store an account. Screenshots of every view, per runtime,
// go to artifacts/luci/<runtime>/.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { MULTI_GATEWAYS } from '../../tools/lab/addresses.js';
import type { NymLab } from '../../tools/lab/topology.js';
import { testLab } from '../e2e/helpers.js';
import { UbusClient } from '../../src/ubus/client.js';
import { collectErrors, launchBrowser, screenshot, type Browser } from './helpers.js';
import { labLuciSession, realParts, RUNTIMES, type RealStack, type Runtime } from './real-luci.js';

const parts = await realParts();
let lab: NymLab;
let stack: RealStack;
let browser: Browser;
let page: Page;
let errors: string[];
const config = () => readFileSync(join(lab.root, 'etc/config/nym-vpn'), 'utf8');
const widget = (section: string, option: string) => `[id="widget.cbid.nym-vpn.${section}.${option}"]`;
// Real LuCI gives a checkbox's input the widget id as data-widget-id (the id is on its frame div).
const flag = (section: string, option: string) => `[data-widget-id="widget.cbid.nym-vpn.${section}.${option}"]`;
/** Forgets the account straight on the bus, so that a failed test leaves the next one a known start. */
async function forgetAccount(): Promise<void> {
  const c = await UbusClient.connect({ socket: lab.socket, reconnect: false });
  try { await c.call('nym-vpn', 'account_forget'); } finally { c.close(); }
}
const state = (s: string) => `#nym-vpn-state[data-state="${s}"]`;
const shot = (rt: Runtime, name: string) => screenshot(page, `${rt}/${name}`);

if ('skip' in parts) {
  test('browser tests on the real LuCI runtime', (t) => { t.log(`skipped: ${parts.skip}`); t.pass(); });
}
else {
  test.before(async () => {
    lab = await testLab('lr', { gateways: MULTI_GATEWAYS, bus: false, daemon: 'none' });
    ({ stack, browser, page, errors } = await labLuciSession(parts, lab));
  });

  test.after.always(async () => {
    await browser?.close();
    await stack?.stop();
    await lab?.destroy();
  });

  test.afterEach.always(async (t) => {
    if (errors.length) t.log(errors.join('\n'));
    if (!t.passed) await screenshot(page, `failed/${t.title.replace(/^afterEach.always hook for /, '').replace(/[^\w.-]+/g, '-').slice(0, 80)}`);
    if (!t.passed) for (const rt of RUNTIMES) t.log(`JSON-RPC through LuCI ${rt}:\n${stack.log(`rpc-${rt}`)}`);
    errors.length = 0;
  });

  for (const rt of RUNTIMES) {
    const open = (user: string, view: string) => page.goto(stack.pages[rt].open(user, view));
    // Different values per runtime, so that the second run changes something too.
    const v = rt === 'master' ? { mtu: '1300', tries: '4', dns: '9.9.9.9' } : { mtu: '1310', tries: '5', dns: '149.112.112.112' };

    test.serial(`[${rt}] the administrator sees the tunnel disconnected`, async (t) => {
      await open('root', 'status');
      await page.waitForSelector(state('disconnected'));
      t.regex(page.url(), /\/admin\/vpn\/nym-vpn\/status$/);
      t.is(await page.textContent('#nym-vpn-state'), 'Disconnected');
      t.deepEqual(await page.$$eval('#tabmenu li a', (as) => as.map((a) => a.textContent)), ['Status', 'Gateways', 'Settings', 'Account']);
      t.regex((await page.textContent('#nym-vpn-info'))!, /Version0\.1\.0/);
      t.regex((await page.textContent('footer'))!, new RegExp(`LuCI ${rt.replace('.', '\\.')}`), 'the page is the real runtime under test');
      await shot(rt, 'status-disconnected');
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] Gateways: entry DE, exit CH, Save & Connect; Status shows Connected via CH`, async (t) => {
      await open('root', 'gateways');
      await page.waitForSelector(widget('entry', 'select'));
      await page.selectOption(widget('entry', 'select'), 'random');
      t.true(await page.isHidden('#cbi-nym-vpn-entry-country'), 'the country list shows only when choosing by country');
      await page.selectOption(widget('entry', 'select'), 'country');
      t.deepEqual(await page.$$eval(`${widget('entry', 'country')} option`, (os) => os.map((o) => o.getAttribute('value'))), ['DE', 'NL']);
      await page.selectOption(widget('entry', 'country'), 'DE');
      await page.selectOption(widget('exit', 'select'), 'country');
      t.deepEqual(await page.$$eval(`${widget('exit', 'country')} option`, (os) => os.map((o) => o.getAttribute('value'))), ['CH', 'SE']);
      await page.selectOption(widget('exit', 'country'), 'CH');
      await page.selectOption(widget('exit', 'select'), 'id');
      t.regex((await page.textContent(widget('exit', 'id')))!, /lab exit CH · Switzerland \(CH\) · 100%/);
      // The select is as wide as its longest gateway name (not cut off by the theme's fixed width).
      const fit = await page.evaluate(`(function(sel) {
        var ctx = document.createElement('canvas').getContext('2d');
        ctx.font = getComputedStyle(sel).font;
        var widest = Math.max.apply(null, Array.prototype.map.call(sel.options, function(o) { return ctx.measureText(o.text).width; }));
        return { widest: Math.ceil(widest), width: sel.clientWidth };
      })(document.querySelector('${widget('exit', 'id').replace(/"/g, '\\"')}'))`) as { widest: number; width: number };
      t.true(fit.width >= fit.widest, `select ${fit.width}px for text ${fit.widest}px`);
      // Gateway quality: every exit with its country, performance and latency — never measured, as exits are
      // not chosen by latency — best first.
      t.deepEqual(await page.$$eval('#nym-vpn-quality-exit th', (ths) => ths.map((th) => th.textContent)), ['Gateway', 'Country', 'Performance', 'Latency']);
      const rows = await page.$$eval('#nym-vpn-quality-exit tr[data-gateway]', (trs) => trs.map((tr) => tr.textContent));
      t.is(rows.length, 2);
      t.true(rows.some((r) => /lab exit CH.*Switzerland \(CH\).*100%not measured$/.test(r!)), rows.join(' | '));
      t.deepEqual(await page.$$eval('#nym-vpn-quality-exit td.nym-vpn-latency', (tds) => tds.map((td) => td.getAttribute('data-latency'))), ['none', 'none']);
      await page.selectOption(widget('exit', 'select'), 'country');
      await shot(rt, 'gateways');

      await page.click('#nym-vpn-save-connect');
      await page.waitForSelector('.alert-message.success >> text=Connected', { timeout: 60_000 });
      t.is(await page.locator('.alert-message').count(), 1, 'one notice, not a pile');
      const file = config();
      t.regex(file, /config gateway 'entry'\n\toption select 'country'\n(\t.*\n)*?\toption country 'DE'/);
      t.regex(file, /config gateway 'exit'\n\toption select 'country'\n(\t.*\n)*?\toption country 'CH'/);

      await open('root', 'status');
      await page.waitForSelector(state('connected'));
      t.regex((await page.textContent('#nym-vpn-row-exit'))!, /Switzerland \(CH\)/);
      t.regex((await page.textContent('#nym-vpn-row-entry'))!, /Germany \(DE\)/);
      t.regex((await page.textContent('#nym-vpn-row-addresses'))!, /\d+\.\d+\.\d+\.\d+/);
      t.regex((await page.textContent('#nym-vpn-row-handshake'))!, /entry: (\d+h )?(\d+m )?\d+s ago/);
      // The live traffic graph: a rate line per direction, growing with every 2 s poll.
      await page.waitForFunction(`(document.querySelector('#nym-vpn-graph-rx').getAttribute('points') || '').split(' ').filter(Boolean).length >= 2`, undefined, { timeout: 20_000 });
      t.regex((await page.textContent('#nym-vpn-graph-legend'))!, /received \d+(\.\d\d)? [KMGT]?i?B\/s · ▬ sent \d+(\.\d\d)? [KMGT]?i?B\/s · peak [1-9]\d*(\.\d\d)? [KMGT]?i?B\/s over the last 5 minutes/);
      await shot(rt, 'status-connected');
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] Status: Disconnect brings the tunnel down`, async (t) => {
      await page.click('#nym-vpn-disconnect');
      // The table behind the progress dialog follows the tunnel too.
      await page.waitForSelector(`#nym-vpn-tunnel ${state('disconnected')}`, { timeout: 30_000 });
      await page.waitForSelector(state('disconnected'), { timeout: 30_000 });
      t.is(await page.textContent('#nym-vpn-state'), 'Disconnected');
      t.true(await page.isHidden('#nym-vpn-row-exit'));
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] a connect still retrying when the dialog's 90 s are up is "still connecting", not a failure`, async (t) => {
      // Every entry unreachable: the service keeps retrying. The page's clock (a browser of its own, so the
      // other tests keep real time) jumps past the dialog's 90 s instead of waiting them out.
      const entries = ['entry-de', 'entry-nl'].map((l) => lab.gateway(l).id);
      for (const id of entries) await lab.setGatewayLink(id, 'down');
      const own = await launchBrowser();
      t.teardown(async () => { await own.close(); for (const id of entries) await lab.setGatewayLink(id, 'up'); });
      const p = await own.context.newPage();
      p.setDefaultTimeout(30_000);
      const pageErrors = collectErrors(p);
      await own.context.clock.install();
      await p.goto(stack.pages[rt].open('root', 'status'));
      await p.waitForSelector(state('disconnected'));
      await p.click('#nym-vpn-connect');
      await p.waitForSelector('#nym-vpn-progress');
      await p.waitForFunction(`/Connecting/.test(document.querySelector('#nym-vpn-progress').textContent)`);
      await own.context.clock.fastForward('01:31');
      const notice = await p.waitForSelector('.alert-message:has-text("Still connecting")');
      t.regex(await notice.innerText(), /the service keeps trying/);
      t.is(await p.locator('.alert-message.danger, .alert-message.warning').count(), 0, 'no "Could not connect"');
      t.false(await p.isVisible('#nym-vpn-progress'), 'the dialog is gone');
      t.is(await p.getAttribute('#nym-vpn-state', 'data-state'), 'connecting', 'the table says what the service is doing');
      await screenshot(p, `${rt}/status-still-connecting`);
      // Disconnect from there: the retries stop, the tunnel is down.
      await p.click('#nym-vpn-disconnect');
      await p.waitForSelector(state('disconnected'), { timeout: 30_000 });
      t.deepEqual(pageErrors, []);
    });

    test.serial(`[${rt}] Gateways: Save & Connect with nothing changed connects (rpcd's "uci apply" answers 5, no data)`, async (t) => {
      await open('root', 'gateways');
      await page.waitForSelector(widget('entry', 'select'));
      await page.click('#nym-vpn-save-connect');
      await page.locator('.alert-message.success:has-text("Connected"), .alert-message.danger').first().waitFor({ timeout: 60_000 });
      t.is(await page.locator('.alert-message.danger').count(), 0, (await page.locator('.alert-message.danger').allTextContents()).join('\n'));
      await open('root', 'status');
      await page.waitForSelector(state('connected'));
      await page.click('#nym-vpn-disconnect');
      await page.waitForSelector(state('disconnected'), { timeout: 30_000 });
      // Connect from the status page: while the dialog shows, the table behind it no longer says Disconnected.
      await page.click('#nym-vpn-connect');
      await page.waitForSelector('#nym-vpn-progress');
      await page.waitForSelector(`#nym-vpn-tunnel ${state('connecting')}`);
      t.true(await page.isVisible('#nym-vpn-progress'), 'the dialog is still up');
      t.deepEqual(await page.locator('.alert-message').allTextContents(), [], 'the "Disconnected." notice went with the new connect');
      await shot(rt, 'status-connecting');
      await page.waitForSelector(`#nym-vpn-tunnel ${state('connected')}`, { timeout: 60_000 });
      await page.click('#nym-vpn-disconnect');
      await page.waitForSelector(state('disconnected'), { timeout: 30_000 });
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] Gateways: after connecting with the lowest latency, each entry's measured latency shows beside its performance and country`, async (t) => {
      await open('root', 'gateways');
      await page.waitForSelector(widget('entry', 'select'));
      await page.selectOption(widget('entry', 'select'), 'low_latency');
      await page.click('#nym-vpn-save-connect');
      await page.waitForSelector('.alert-message.success >> text=Connected', { timeout: 60_000 });
      t.regex(config(), /config gateway 'entry'\n\toption select 'low_latency'\n/);

      // What nym-vpnd measured, as the page must show it.
      const c = await UbusClient.connect({ socket: lab.socket, reconnect: false });
      let measured: Array<{ id: string; latency_ms?: number; measured_at?: number }>;
      try { measured = ((await c.call('nym-vpn', 'gateways', { role: 'entry' }))!.gateways as typeof measured); } finally { c.close(); }
      t.is(measured.length, 2);
      t.true(measured.every((g) => Number.isInteger(g.latency_ms) && typeof g.measured_at === 'number'), JSON.stringify(measured));

      await open('root', 'gateways');
      await page.waitForSelector('#nym-vpn-quality-entry tr[data-gateway]');
      const cells = await page.$$eval('#nym-vpn-quality-entry tr[data-gateway]', (trs) => trs.map((tr) => ({
        id: tr.getAttribute('data-gateway'), row: tr.textContent,
        latency: tr.querySelector('td.nym-vpn-latency')?.textContent, state: tr.querySelector('td.nym-vpn-latency')?.getAttribute('data-latency'),
        title: tr.querySelector('td.nym-vpn-latency')?.getAttribute('title'),
      })));
      t.is(cells.length, 2);
      for (const g of measured) {
        const cell = cells.find((x) => x.id === g.id)!;
        t.is(cell.state, 'measured', JSON.stringify(cell));
        t.is(cell.latency, g.latency_ms! < 1 ? '< 1 ms' : `${g.latency_ms} ms`, 'the latency nym-vpnd measured');
        t.regex(cell.title!, /^Measured \S/, 'the title says when');
      }
      // Beside the performance bar and the country, in that row.
      t.true(cells.some((x) => /lab entry DE.*Germany \(DE\).*100%(< 1|\d+) ms$/.test(x.row!)), cells.map((x) => x.row).join(' | '));
      t.true(cells.some((x) => /Netherlands \(NL\).*90%(< 1|\d+) ms$/.test(x.row!)), cells.map((x) => x.row).join(' | '));
      t.deepEqual(await page.$$eval('#nym-vpn-quality-exit td.nym-vpn-latency', (tds) => tds.map((td) => td.textContent)), ['not measured', 'not measured']);
      // The gateway list of "A specific gateway" names the latency too.
      t.regex((await page.textContent(widget('entry', 'id')))!, /lab entry DE · Germany \(DE\) · 100% · (< 1|\d+) ms/);
      await shot(rt, 'gateways-latency');

      await open('root', 'status');
      await page.waitForSelector(state('connected'));
      await page.click('#nym-vpn-disconnect');
      await page.waitForSelector(state('disconnected'), { timeout: 30_000 });
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] Gateways: a latency of whole milliseconds, and a probe that got no answer, show as such`, async (t) => {
      // The lab's gateways answer within a millisecond and never stay silent: the daemon's real reply is
      // altered on its way to the page (one entry 48 ms, the other probed without an answer).
      const at = Math.floor(Date.now() / 1000) - 120;
      const isUbus = (url: URL) => url.pathname === '/ubus' || url.pathname.startsWith('/ubus/');
      await page.route(isUbus, async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        const body = route.request().postDataJSON() as unknown;
        const calls = (Array.isArray(body) ? body : [body]).filter((c) => typeof c === 'object' && c !== null) as Array<{ id: number; params?: unknown[] }>;
        const r = await route.fetch();
        let reply: unknown;
        try { reply = await r.json(); } catch { return route.fulfill({ response: r }); }
        const replies = (Array.isArray(reply) ? reply : [reply]) as Array<{ id: number; result?: [number, { gateways?: Array<Record<string, unknown>> }] }>;
        for (const c of calls) {
          if (c.params?.[1] !== 'nym-vpn' || c.params?.[2] !== 'gateways' || (c.params?.[3] as { role?: string })?.role !== 'entry') continue;
          const gws = replies.find((x) => x.id === c.id)?.result?.[1]?.gateways ?? [];
          for (const g of gws) {
            if (g.country === 'DE') Object.assign(g, { latency_ms: 48, measured_at: at });
            else { delete g.latency_ms; g.measured_at = at; }
          }
        }
        await route.fulfill({ response: r, json: reply });
      });
      try {
        await open('root', 'gateways');
        await page.waitForSelector('#nym-vpn-quality-entry tr[data-gateway]');
        const cells = await page.$$eval('#nym-vpn-quality-entry td.nym-vpn-latency', (tds) => tds.map((td) => [td.textContent, td.getAttribute('data-latency'), td.getAttribute('title')]));
        t.is(cells.length, 2);
        t.deepEqual(cells.map((c) => c.slice(0, 2)), [['48 ms', 'measured'], ['no answer', 'silent']], 'DE (100%) first, then NL');
        for (const c of cells) t.regex(c[2]!, /^Measured \S/, 'when the probe ran');
        t.regex((await page.textContent(widget('entry', 'id')))!, /lab entry DE · Germany \(DE\) · 100% · 48 ms/);
        t.notRegex((await page.textContent(widget('entry', 'id')))!, /lab entry NL · Netherlands \(NL\) · 90% ·/, 'no latency for the silent one');
        await shot(rt, 'gateways-latency-states');
        t.deepEqual(errors, []);
      }
      finally {
        await page.unroute(isUbus);
      }
    });

    test.serial(`[${rt}] Settings: a bad MTU is refused; good values are saved through rpcd and applied`, async (t) => {
      await open('root', 'settings');
      await page.waitForSelector(flag('main', 'autoconnect'));
      const before = config();
      await page.click('li[data-tab="network"] a');
      await page.fill(widget('main', 'mtu'), '99999');
      await page.press(widget('main', 'mtu'), 'End');  // real LuCI validates on keyup and blur
      t.true(await page.$eval(widget('main', 'mtu'), (e) => e.closest('.cbi-input-invalid') !== null || e.classList.contains('cbi-input-invalid')));
      await page.click('.cbi-page-actions .cbi-button-apply');
      await page.waitForSelector('#modal_overlay .modal >> text=Save error');
      t.regex((await page.textContent('#modal_overlay .modal'))!, /MTU.*Expecting: value between 1280 and 1500/);
      await shot(rt, 'settings-invalid');
      await page.click('#modal_overlay .modal button >> text=Dismiss');
      t.is(config(), before, 'nothing written');
      // LuCI leaves the refused save as an unhandled rejection of the button's handler.
      const expected = errors.findIndex((e) => /pageerror: Option "MTU" contains an invalid input value/.test(e));
      if (expected >= 0) errors.splice(expected, 1);

      await page.fill(widget('main', 'mtu'), v.mtu);
      await page.press(widget('main', 'mtu'), 'End');
      const dns = await page.$$eval('#cbi-nym-vpn-main-dns .item', (items) => items.map((i) => i.getAttribute('data-value')!));
      t.true(dns.length >= 1);
      await page.fill('#cbi-nym-vpn-main-dns .add-item input', v.dns);
      await page.click('#cbi-nym-vpn-main-dns .cbi-button-add');
      await page.click('li[data-tab="general"] a');
      await page.check(flag('main', 'autoconnect'));
      await page.fill(widget('monitor', 'tries'), v.tries);
      await page.press(widget('monitor', 'tries'), 'End');
      await shot(rt, 'settings');
      await page.click('.cbi-page-actions .cbi-button-apply');
      await page.waitForSelector('text=Configuration changes applied.');
      const file = config();
      t.regex(file, new RegExp(`option mtu '${v.mtu}'`));
      t.regex(file, /option autoconnect '1'/);
      t.regex(file, new RegExp(`option tries '${v.tries}'`));
      t.true(file.includes(`\tlist dns '${v.dns}'\n`), file);
      await page.waitForSelector(flag('main', 'autoconnect'));
      t.true(await page.isChecked(flag('main', 'autoconnect')), 'the reloaded page shows the saved values');
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] Account: store a mnemonic (never shown again), then forget it after confirming`, async (t) => {
      await forgetAccount();
      await open('root', 'account');
      await page.waitForSelector('#nym-vpn-account');
      t.regex((await page.textContent('#nym-vpn-account'))!, /Account storedno/);
      const mnemonic = generateMnemonic(wordlist, 128);
      await page.fill('#nym-vpn-mnemonic', mnemonic);
      await page.click('#nym-vpn-account-store');
      await page.waitForSelector('.alert-message.success >> text=Account stored');
      await page.waitForSelector('#nym-vpn-account >> text=Account id');
      t.regex((await page.textContent('#nym-vpn-account'))!, /Account storedyes/);
      t.is(await page.inputValue('#nym-vpn-mnemonic'), '');
      const html = await page.content();
      const text = (await page.textContent('body'))!;
      const words = mnemonic.split(' ');
      for (let i = 0; i + 3 <= words.length; i++) {
        const three = words.slice(i, i + 3).join(' ');
        t.false(html.includes(three) || text.includes(three), `"${three}" appears in the page`);
      }
      await shot(rt, 'account-stored');

      await page.click('#nym-vpn-account-forget');
      await page.waitForSelector('#modal_overlay .modal >> text=Forget the account?');
      await shot(rt, 'account-forget-confirm');
      await page.click('#nym-vpn-account-forget-confirm');
      await page.waitForSelector('text=The account was forgotten.');
      await page.waitForSelector('#nym-vpn-account >> text=Account storedno');
      t.true(await page.isDisabled('#nym-vpn-account-forget'));
      t.deepEqual(errors, []);
    });

    test.serial(`[${rt}] Account: storing works where ui.addTimeLimitedNotification is missing (LuCI 24.10 before its 2025 addition)`, async (t) => {
      // The runtime's own ui.js with that one method renamed away, as in the LuCI releases that lack it.
      await page.route('**/luci-static/resources/ui.js*', async (route) => {
        const r = await route.fetch();
        const body = (await r.text()).replace(/\baddTimeLimitedNotification\(title, children, timeout/, 'addTimeLimitedNotificationAbsent(title, children, timeout');
        await route.fulfill({ response: r, body });
      });
      try {
        await forgetAccount();
        await open('root', 'account');
        await page.waitForSelector('#nym-vpn-account >> text=Account storedno');
        t.is(await page.evaluate('typeof L.ui.addTimeLimitedNotification'), 'undefined', 'the method is really gone');
        await page.fill('#nym-vpn-mnemonic', generateMnemonic(wordlist, 128));
        await page.click('#nym-vpn-account-store');
        await page.waitForSelector('.alert-message.success >> text=Account stored');
        await page.waitForSelector('#nym-vpn-account >> text=Account storedyes');
        await page.click('#nym-vpn-account-forget');
        await page.click('#nym-vpn-account-forget-confirm');
        await page.waitForSelector('#nym-vpn-account >> text=Account storedno');
        t.deepEqual(errors, []);
      }
      finally {
        await page.unroute('**/luci-static/resources/ui.js*');
      }
    });

    test.serial(`[${rt}] the state badges use the theme's colours: Error is red, Connected green`, async (t) => {
      await open('root', 'status');
      await page.waitForSelector('#nym-vpn-state');
      const colours = await page.evaluate(`L.require('nymvpn.common').then(function(c) {
        return ['error', 'connected', 'connecting', 'disconnected'].map(function(s) {
          var b = c.stateBadge(s); b.id = 'probe-' + s; document.body.appendChild(b);
          var rgb = getComputedStyle(b).backgroundColor.match(/\\d+/g).map(Number); b.remove();
          return [s, rgb];
        });
      })`) as [string, number[]][];
      const rgb = Object.fromEntries(colours);
      const [r, g, b] = rgb.error!;
      t.true(r! > 150 && r! > 2 * g! && r! > 2 * b!, `Error is drawn in ${rgb.error}`);
      t.true(rgb.connected![1]! > rgb.connected![0]! && rgb.connected![1]! > rgb.connected![2]!, `Connected is drawn in ${rgb.connected}`);
      t.false(rgb.connecting![0]! > 2 * rgb.connecting![2]!, 'Connecting is not red');
      // A state inside a sentence has no ellipsis of its own ("The tunnel is Connecting…." had two stops).
      const words = await page.evaluate(`L.require('nymvpn.common').then(function(c) {
        return ['connecting', 'disconnecting', 'error', 'disconnected'].map(function(s) { return _('The tunnel is %s.').format(c.stateWord(s)); });
      })`) as string[];
      for (const w of words) t.notRegex(w, /…\.|\.\./, w);
    });

    test.serial(`[${rt}] a read-only login sees the status, is refused Connect without stack frames, cannot edit`, async (t) => {
      await open('viewer', 'status');
      await page.waitForSelector(state('disconnected'));
      await page.click('#nym-vpn-connect');
      const alert = await page.waitForSelector('.alert-message.danger');
      const msg = await alert.innerText();
      t.regex(msg, /Could not connect/);
      t.regex(msg, /may view NymVPN but not change it/);
      t.notRegex(msg, /\bat \S+ \(|\.js:\d+:\d+/, 'no JavaScript stack frames in the message');
      // The details (the runtime's message with its stack) are there on demand.
      await page.click('.alert-message.danger details summary');
      t.regex((await page.textContent('.alert-message.danger details'))!, /RPC call to nym-vpn\/connect failed with error -32002: Access denied/);
      t.is(await page.textContent('#nym-vpn-state'), 'Disconnected');
      await shot(rt, 'viewer-status-denied');
      // A second refusal replaces the first notice instead of piling up under it.
      await page.$eval('.alert-message.danger', (e) => e.setAttribute('data-first', ''));
      await page.click('#nym-vpn-connect');
      await page.waitForSelector('.alert-message.danger:not([data-first]) details');
      t.is(await page.locator('.alert-message.danger').count(), 1);

      await open('viewer', 'settings');
      await page.waitForSelector(flag('main', 'autoconnect'));
      t.true(await page.isDisabled(flag('main', 'autoconnect')));
      await shot(rt, 'viewer-settings-readonly');
      await open('viewer', 'gateways');
      await page.waitForSelector('#nym-vpn-save-connect');
      t.true(await page.isDisabled('#nym-vpn-save-connect'));
      await open('viewer', 'account');
      await page.waitForSelector('#nym-vpn-account-store');
      t.true(await page.isDisabled('#nym-vpn-account-store'), 'Store is disabled for a read-only login');
      t.true(await page.isDisabled('#nym-vpn-mnemonic'));
      t.deepEqual(errors, []);
    });
  }
}
