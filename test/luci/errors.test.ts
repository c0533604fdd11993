// How the views show failures, in headless Chromium on the REAL LuCI runtime (master and 24.10, served by
// ../shared/openwrt/luci-page-server.mjs) with real uhttpd + rpcd + ubusd and nym-vpnd on that ubusd, without
// a directory: a directory that lists nothing (the gateway lists become text fields, with a warning), an
// account phrase the daemon refuses (its reason shown, the phrase not), a login session rpcd no longer has
// (LuCI's "Session expired" prompt), and the service gone from the bus (every view says the service did not
// answer, without stack frames). Without ../shared the tests skip, saying why.
import test from 'ava';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { BusProcess } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';
import { collectErrors, launchBrowser, repoRoot, screenshot, type Browser } from './helpers.js';
import { realParts, RUNTIMES, startRealStack, type RealStack } from './real-luci.js';

const parts = await realParts();
let bus: BusProcess;
let daemon: ChildProcess;
let stack: RealStack;
let browser: Browser;
let page: Page;

if ('skip' in parts) {
  test('failures on the real LuCI runtime', (t) => { t.log(`skipped: ${parts.skip}`); t.pass(); });
}
else {
  test.before(async () => {
    bus = new BusProcess({ ubusd: parts.ubusd });
    await bus.start();
    mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
    copyFileSync(join(repoRoot, 'files/etc/config/nym-vpn'), join(bus.dir, 'etc/config/nym-vpn'));
    daemon = await bus.startDaemon(bus.dir);
    stack = await startRealStack(parts, { uciDir: join(bus.dir, 'etc/config'), socket: bus.socket, ubusdRunning: true });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    collectErrors(page);
  });

  test.after.always(async () => {
    await browser?.close();
    await stack?.stop();
    await bus?.close();
  });

  for (const rt of RUNTIMES) {
    const open = (view: string) => page.goto(stack.pages[rt].open('root', view));

  test.serial(`[${rt}] Gateways: an empty directory turns the lists into checked text fields, with a warning`, async (t) => {
    await open('gateways');
    const warning = await page.waitForSelector('#nym-vpn-directory-error');
    t.regex((await warning.textContent())!, /Gateways could not be listed: the directory lists no entry gateways; the directory lists no exit gateways/);
    await page.selectOption('[id="widget.cbid.nym-vpn.entry.select"]', 'country');
    t.is(await page.getAttribute('[id="widget.cbid.nym-vpn.entry.country"]', 'type'), 'text');
    await page.fill('[id="widget.cbid.nym-vpn.entry.country"]', 'D1');
    await page.click('.cbi-page-actions .cbi-button-save');
    await page.waitForSelector('#modal_overlay .modal >> text=Expecting: a two-letter country code');
    await screenshot(page, `${rt}/gateways-directory-empty`);
    await page.click('#modal_overlay .modal button >> text=Dismiss');
  });

  test.serial(`[${rt}] Account: a phrase the service refuses shows its reason, never the phrase`, async (t) => {
    await open('account');
    await page.waitForSelector('#nym-vpn-account');
    const bad = 'zebra zebra zebra zebra zebra zebra zebra zebra zebra zebra zebra wrongword';
    await page.fill('#nym-vpn-mnemonic', bad);
    await page.click('#nym-vpn-account-store');
    const alert = await page.waitForSelector('.alert-message.danger');
    const text = (await alert.textContent())!;
    t.regex(text, /The account was not stored/);
    t.regex(text, /mnemonic/i);
    t.false((await page.content()).includes('wrongword'));
    t.is(await page.inputValue('#nym-vpn-mnemonic'), '');
    await screenshot(page, `${rt}/account-refused`);
  });

  test.serial(`[${rt}] a login session rpcd no longer has brings up LuCI's "Session expired" prompt`, async (t) => {
    await open('status');
    await page.waitForSelector('#nym-vpn-state');
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'sysauth_http');
    t.truthy(cookie);
    const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
    try { await c.call('session', 'destroy', { ubus_rpc_session: cookie!.value }); } finally { c.close(); }
    await page.click('#nym-vpn-connect');
    await page.waitForSelector('#modal_overlay .modal >> text=Session expired');
    t.regex((await page.textContent('#modal_overlay .modal'))!, /A new login is required/);
    await screenshot(page, `${rt}/session-expired`);
  });

  }

  test.serial('the service gone from the bus: each view says it did not answer, on both runtimes', async (t) => {
    await new Promise<void>((r) => { daemon.once('exit', () => r()); daemon.kill('SIGKILL'); });
    for (const rt of RUNTIMES) {
      const open = (view: string) => page.goto(stack.pages[rt].open('root', view));
      await open('status');
      const err = await page.waitForSelector('#nym-vpn-tunnel .alert-message.error');
      // innerText: what shows (the stack frames stay folded in Details).
      const shown = await err.innerText();
      t.regex(shown, /^The NymVPN service did not answer: RPC call to nym-vpn\/status failed with error -32000: Object not found/);
      // The stack frames are folded away in Details, not shown.
      t.notRegex(await page.evaluate(`document.querySelector('#nym-vpn-tunnel .nym-vpn-error').firstChild.textContent`) as string, /\bat \S+ \(|\.js:\d+:\d+/);
      t.false(await page.isVisible('#nym-vpn-tunnel .nym-vpn-error-details pre'), 'the details stay folded');
      t.true(await page.isDisabled('#nym-vpn-disconnect'));
      await screenshot(page, `${rt}/status-service-down`);
      await open('account');
      t.regex((await (await page.waitForSelector('#nym-vpn-account-error')).textContent())!, /Object not found/);
      await open('gateways');
      const dir = await (await page.waitForSelector('#nym-vpn-directory-error')).innerText();
      t.regex(dir, /nym-vpn\/countries failed with error -32000: Object not found/);
      t.notRegex(dir, /\bat \S+ \(|\.js:\d+:\d+/, 'no stack frames in the warning');
    }
  });
}
