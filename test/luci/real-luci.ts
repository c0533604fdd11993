// The real OpenWrt web stack in front of a running nym-vpnd, for the LuCI tests: real ubusd on the router's
// bus socket (nym-vpnd registers there), real rpcd (sessions, the uci and file plugins, ACLs from the
// project's acl.d beside luci-base's and rpcd's own), real uhttpd answering /ubus, and
// ../shared/openwrt/luci-page-server.mjs serving the real LuCI JavaScript runtime (master and 24.10) the way
// luci-base's view.ut renders a page. Built once by test/helpers/openwrt-parts.ts; without ../shared every
// caller gets { skip } with the reason.
//
// rpcd reads /etc/config/rpcd and writes /etc/config/<package> (fixed paths) and keeps its uci deltas under
// /var/run/rpcd: it runs in a mount namespace of its own where /etc is an overlay whose config/ is the
// router's (the lab's) etc/config, /run is a fresh tmpfs and PREFIX/share/rpcd/acl.d is our ACL folder. So
// a Save in the browser lands in the very file nym-vpnd reads, as on a router.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UbusClient } from '../../src/ubus/client.js';
import { openwrtParts, type OpenwrtParts } from '../helpers/openwrt-parts.js';
import type { Page } from 'playwright-core';
import type { NymLab } from '../../tools/lab/topology.js';
import { collectErrors, launchBrowser, repoRoot, type Browser } from './helpers.js';

export const RUNTIMES = ['master', '24.10'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export const PAGE_SERVER = resolve(repoRoot, '../shared/openwrt/luci-page-server.mjs');
export const APP_DIR = join(repoRoot, 'luci-app');

export interface RealLogin {
  username: string;
  password: string;
  /** rpcd ACL group patterns (`list read` / `list write` of the login section). */
  read: string[];
  write: string[];
}

/** OpenWrt's root (every group) and a login that may look but not change anything. */
export const REAL_LOGINS: readonly RealLogin[] = [
  { username: 'root', password: 'nym-real-admin', read: ['*'], write: ['*'] },
  // OpenWrt's recipe for a read-only LuCI login: read everything, write nothing. (Fewer read groups do not work:
  // on any -32002 LuCI asks `session access` through /ubus, which needs the unauthenticated group, and treats a
  // refusal as an expired login.)
  { username: 'viewer', password: 'nym-real-viewer', read: ['*'], write: [] },
  // Everything LuCI needs, but not NymVPN.
  { username: 'nobody', password: 'nym-real-nobody', read: ['unauthenticated', 'luci-base'], write: ['luci-base'] },
];

export interface LuciPages {
  runtime: Runtime;
  /** http://127.0.0.1:PORT */
  base: string;
  /** The URL that signs `user` in (the page server holds the passwords) and opens the nym-vpn view `view`. */
  open(user: string, view: string): string;
}

export interface RealStack {
  parts: OpenwrtParts;
  socket: string;
  /** http://127.0.0.1:PORT of uhttpd (its /ubus is the JSON-RPC endpoint). */
  uhttpd: string;
  pages: Record<Runtime, LuciPages>;
  /** Where the processes' output goes (for failure messages). */
  logDir: string;
  /** The last lines of one process's log: ubusd, rpcd, uhttpd, pages-<runtime>, rpc-<runtime> (the JSON-RPC traffic). */
  log(name: string): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

async function until(what: string, cond: () => Promise<boolean>, proc: ChildProcess | undefined, log: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: the process exited (${proc.exitCode}); ${tail(log)}`);
    try { if (await cond()) return; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`${what} did not come up in ${ms} ms; ${tail(log)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tail(file: string): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(no log)'; }
}

async function onBus(socket: string, object: string): Promise<boolean> {
  const c = await UbusClient.connect({ socket, reconnect: false });
  try { return (await c.lookup(object)).length === 1; } finally { c.close(); }
}

/** The real parts, or why they are not here. */
export async function realParts(): Promise<OpenwrtParts | { skip: string }> {
  const parts = await openwrtParts();
  if ('skip' in parts) return parts;
  if (!existsSync(PAGE_SERVER)) return { skip: `LuCI's page server is not here (${PAGE_SERVER} is missing)` };
  for (const r of RUNTIMES) if (!existsSync(join(parts.prefix, 'luci', r, 'modules/luci-base'))) return { skip: `LuCI ${r} was not built into ${parts.prefix}/luci` };
  return parts;
}

export interface RealBusOptions {
  /** The router's uci folder (etc/config): rpcd's /etc/config. */
  uciDir: string;
  /** The bus socket; real ubusd is started on it unless `ubusdRunning`. */
  socket: string;
  ubusdRunning?: boolean;
  logins?: readonly RealLogin[];
  /** Called once ubusd accepts (e.g. to start nym-vpnd on it). */
  afterUbusd?: () => Promise<void>;
}

/** Starts ubusd (unless running), rpcd, uhttpd and one page server per LuCI runtime. */
export async function startRealStack(parts: OpenwrtParts, opts: RealBusOptions): Promise<RealStack> {
  const dir = mkdtempSync(join(tmpdir(), 'nym-real-luci-'));
  const procs: ChildProcess[] = [];
  const logOf = (name: string) => join(dir, `${name}.log`);
  const start = (name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess => {
    const out = createWriteStream(logOf(name));
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    p.stdout!.pipe(out);
    p.stderr!.pipe(out);
    procs.push(p);
    return p;
  };
  const stop = async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      await new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGKILL'); });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const socket = opts.socket;
    if (!opts.ubusdRunning) {
      const u = start('ubusd', parts.ubusd, ['-s', socket]);
      await until('ubusd', async () => { (await UbusClient.connect({ socket, reconnect: false })).close(); return true; }, u, logOf('ubusd'));
    }
    await opts.afterUbusd?.();

    // rpcd's ACL folder: rpcd's own unauthenticated group (what its OpenWrt package ships), luci-base's and ours.
    const acl = join(dir, 'acl.d');
    mkdirSync(acl);
    writeFileSync(join(acl, 'unauthenticated.json'), JSON.stringify({ unauthenticated: { description: 'Access controls for unauthenticated requests', read: { ubus: { session: ['access', 'login'] } } } }));
    copyFileSync(join(parts.prefix, 'luci/master/modules/luci-base/root/usr/share/rpcd/acl.d/luci-base.json'), join(acl, 'luci-base.json'));
    copyFileSync(join(APP_DIR, 'root/usr/share/rpcd/acl.d/luci-app-nym-vpn.json'), join(acl, 'luci-app-nym-vpn.json'));
    // luci-base ships /etc/config/luci; LuCI's runtime reads it (uci get luci …) on every page.
    if (!existsSync(join(opts.uciDir, 'luci'))) copyFileSync(join(parts.prefix, 'luci/master/modules/luci-base/root/etc/config/luci'), join(opts.uciDir, 'luci'));
    writeFileSync(join(opts.uciDir, 'rpcd'), rpcdConfig(socket, opts.logins ?? REAL_LOGINS));
    for (const d of ['etc/config', 'up', 'work']) mkdirSync(join(dir, d), { recursive: true });
    const script = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=${dir}/etc:/etc,upperdir=${dir}/up,workdir=${dir}/work /etc`,
      `mount --bind ${opts.uciDir} /etc/config`,
      'mount -t tmpfs tmpfs /run',
      `mount --bind ${acl} ${parts.prefix}/share/rpcd/acl.d`,
      `exec ${parts.rpcd} -s ${socket} -t 30`,
    ].join('\n');
    const rpcd = start('rpcd', 'unshare', ['-m', '--propagation', 'private', 'bash', '-c', script]);
    await until('rpcd (session on the bus)', () => onBus(socket, 'session'), rpcd, logOf('rpcd'));

    const port = await freePort();
    const www = join(dir, 'www');
    mkdirSync(www);
    const uhttpdUrl = `http://127.0.0.1:${port}`;
    const uh = start('uhttpd', parts.uhttpd, ['-f', '-p', `127.0.0.1:${port}`, '-h', www, '-u', '/ubus', '-U', socket]);
    await until('uhttpd', async () => (await fetch(`${uhttpdUrl}/ubus`, { method: 'POST', body: '{}' })).status > 0, uh, logOf('uhttpd'));

    const users = (opts.logins ?? REAL_LOGINS).map((l) => `${l.username}:${l.password}`).join(',');
    const pages = {} as Record<Runtime, LuciPages>;
    for (const runtime of RUNTIMES) {
      const p = await freePort();
      const base = `http://127.0.0.1:${p}`;
      // SHIM=1: luci.getFeatures (rpcd-mod-luci, not built) and file.list; PROCD_RELOAD=1: procd's reload trigger
      // (`/etc/init.d/nym-vpn reload` after an apply), which the page server stands in for with `nym-vpn reload`.
      const ps = start(`pages-${runtime}`, process.execPath, [PAGE_SERVER], {
        LUCI: join(parts.prefix, 'luci', runtime), APP: APP_DIR, BACKEND: uhttpdUrl, LUCI_USERS: users, PORT: String(p),
        SHIM: '1', PROCD_RELOAD: '1', LUCI_LABEL: runtime, RPCLOG: logOf(`rpc-${runtime}`),
      });
      await until(`LuCI ${runtime} page server`, async () => (await fetch(`${base}/favicon.ico`)).status === 204, ps, logOf(`pages-${runtime}`));
      pages[runtime] = {
        runtime, base,
        open: (user, view) => `${base}/login?user=${encodeURIComponent(user)}&to=${encodeURIComponent(`/cgi-bin/luci/admin/vpn/nym-vpn/${view}`)}`,
      };
    }
    return { parts, socket, uhttpd: uhttpdUrl, pages, logDir: dir, stop, log: (name) => tail(logOf(name)) };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** /etc/config/rpcd: the bus socket and one `config login` per login, its password as an MD5-crypt hash. */
function rpcdConfig(socket: string, logins: readonly RealLogin[]): string {
  const out = [`config rpcd\n\toption socket '${socket}'\n\toption timeout '30'\n`];
  for (const l of logins) {
    const hash = execFileSync('openssl', ['passwd', '-1', l.password], { encoding: 'utf8' }).trim();
    out.push(`config login\n\toption username '${l.username}'\n\toption password '${hash}'\n`
      + l.read.map((g) => `\tlist read '${g}'\n`).join('') + l.write.map((g) => `\tlist write '${g}'\n`).join(''));
  }
  return out.join('\n');
}

/**
 * A lab's router behind the real stack (its nym-vpnd started once the real ubusd runs) and one browser page on
 * it, collecting page errors; close() ends the browser and the stack (the lab stays the caller's).
 */
export async function labLuciSession(parts: OpenwrtParts, lab: NymLab, timeoutMs = 30_000): Promise<{ stack: RealStack; browser: Browser; page: Page; errors: string[]; close(): Promise<void> }> {
  const stack = await startRealStack(parts, { uciDir: join(lab.root, 'etc/config'), socket: lab.socket, afterUbusd: () => lab.router.startDaemon() });
  const browser = await launchBrowser().catch(async (e: Error) => { await stack.stop(); throw e; });
  const page = await browser.context.newPage();
  page.setDefaultTimeout(timeoutMs);
  const errors = collectErrors(page);
  return { stack, browser, page, errors, close: async () => { await browser.close(); await stack.stop(); } };
}
