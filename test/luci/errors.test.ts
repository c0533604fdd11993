// How the views show failures, in headless Chromium against a real bus: a directory that lists
// nothing (the gateway lists become text fields, with a warning), an account phrase the daemon
// refuses (its reason shown, the phrase not), an expired login session (LuCI's "Session expired"
// prompt), and the service gone from the bus (every view says the service did not answer).
import test from 'ava';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { BusProcess } from '../helpers/bus.js';
import { startLuciDevServer, type LuciDevServer } from '../../tools/luci-dev/server.js';
import { collectErrors, launchBrowser, login, repoRoot, screenshot, type Browser } from './helpers.js';

let bus: BusProcess;
let daemon: ChildProcess;
let luci: LuciDevServer;
let browser: Browser;
let page: Page;

test.before(async () => {
  bus = new BusProcess();
  await bus.start();
  mkdirSync(join(bus.dir, 'etc/config'), { recursive: true });
  copyFileSync(join(repoRoot, 'files/etc/config/nym-vpn'), join(bus.dir, 'etc/config/nym-vpn'));
  daemon = await bus.startDaemon(bus.dir);
  luci = await startLuciDevServer({ socket: bus.socket, root: bus.dir, log: () => {} });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  collectErrors(page);
  await login(page, luci.url, 'root', 'nym-lab-admin');
});

test.after.always(async () => {
  await browser?.close();
  await luci?.stop();
  await bus?.close();
});

test.serial('Gateways: an empty directory turns the lists into checked text fields, with a warning', async (t) => {
  await page.goto(`${luci.url}/gateways`);
  const warning = await page.waitForSelector('#nym-vpn-directory-error');
  t.regex((await warning.textContent())!, /Gateways could not be listed: the directory lists no entry gateways; the directory lists no exit gateways/);
  await page.selectOption('[id="widget.cbid.nym-vpn.entry.select"]', 'country');
  t.is(await page.getAttribute('[id="widget.cbid.nym-vpn.entry.country"]', 'type'), 'text');
  await page.fill('[id="widget.cbid.nym-vpn.entry.country"]', 'D1');
  await page.click('.cbi-page-actions .cbi-button-save');
  await page.waitForSelector('#modal_overlay .modal >> text=Expecting: a two-letter country code');
  await screenshot(page, 'gateways-directory-empty');
  await page.click('#modal_overlay .modal button >> text=Dismiss');
});

test.serial('Account: a phrase the service refuses shows its reason, never the phrase', async (t) => {
  await page.goto(`${luci.url}/account`);
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
  await screenshot(page, 'account-refused');
});

test.serial('an expired login session brings up LuCI\'s "Session expired" prompt', async (t) => {
  await page.goto(`${luci.url}/status`);
  await page.waitForSelector('#nym-vpn-state');
  const cookie = (await browser.context.cookies()).find((c) => c.name === 'sysauth_http');
  t.truthy(cookie);
  luci.sessions.destroy(cookie!.value);
  await page.click('#nym-vpn-connect');
  await page.waitForSelector('#modal_overlay .modal >> text=Session expired');
  t.regex((await page.textContent('#modal_overlay .modal'))!, /A new login is required/);
  await screenshot(page, 'session-expired');
  await page.click('#modal_overlay .modal button >> text=Log in…');
  await page.waitForSelector('#luci_username');
  await login(page, `${luci.url}/status`, 'root', 'nym-lab-admin');
  await page.waitForSelector('#nym-vpn-state');
});

test.serial('the service gone from the bus: each view says it did not answer', async (t) => {
  await new Promise<void>((r) => { daemon.once('exit', () => r()); daemon.kill('SIGKILL'); });
  await page.goto(`${luci.url}/status`);
  const err = await page.waitForSelector('#nym-vpn-tunnel .alert-message.error');
  t.regex((await err.textContent())!, /The NymVPN service did not answer: RPC call to nym-vpn\/status failed with error -32000: Object not found/);
  t.true(await page.isDisabled('#nym-vpn-disconnect'));
  await screenshot(page, 'status-service-down');
  await page.goto(`${luci.url}/account`);
  t.regex((await (await page.waitForSelector('#nym-vpn-account-error')).textContent())!, /Object not found/);
  await page.goto(`${luci.url}/gateways`);
  t.regex((await (await page.waitForSelector('#nym-vpn-directory-error')).textContent())!, /nym-vpn\/countries failed with error -32000: Object not found/);
});
