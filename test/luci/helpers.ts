// Shared by the LuCI tests: headless Debian Chromium through playwright-core (never a downloaded
// browser), logging in through the sysauth form, screenshots under artifacts/luci/, and JSON-RPC
// posts to the dev server's /ubus.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const repoRoot = resolve(new URL('.', import.meta.url).pathname, '../../..');
export const artifactsDir = join(repoRoot, 'artifacts/luci');
export const CHROMIUM = '/usr/bin/chromium';

/** The flags this machine's closed network needs, plus no sandbox (tests run as root). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile per browser; close() ends Chromium and removes the profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'nym-luci-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and page exceptions, collected so tests can show them when something fails. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The 403 of the login page itself is expected.
    if (m.type() === 'error' && !/status of 403/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function login(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.fill('#luci_username', username);
  await page.fill('#luci_password', password);
  await page.click('button[type=submit]');
  // A view page has #view; a refused login comes back with the form and an error.
  await page.waitForSelector('#view, .alert-message.error');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** POSTs a body to /ubus; the parsed reply (or the text when it is not JSON). */
export async function postUbus(base: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${base}/ubus`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  try { return JSON.parse(text); } catch { return text; }
}

export function callMsg(sid: string, object: string, method: string, args: Record<string, unknown> = {}, id = 1): unknown {
  return { jsonrpc: '2.0', id, method: 'call', params: [sid, object, method, args] };
}

export function cleanDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
