// The LuCI development server: what uhttpd + rpcd + LuCI's dispatcher do for luci-app-nym-vpn, on
// one HTTP port in the lab. POST /ubus is uhttpd's JSON-RPC (jsonrpc.ts) over rpcd's session and
// uci objects (served here) and the real bus (nym-vpn through UbusClient); /cgi-bin/luci/… logs in
// with rpcd's `config login` (sysauth cookie), builds the menu from menu.d with its ACL depends and
// serves the views; /luci-static/… serves the app's htdocs and the small LuCI runtime.
// Kept for `make demo` on machines without ../shared/openwrt: the tests judge the views on the real LuCI
// runtime (test/luci/real-luci.ts), never on this one.
//
//   const luci = await startLuciDevServer({ socket: lab.socket, root: lab.root });
//   console.log(luci.url, luci.users);  …  await luci.stop();

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UbusClient } from '../../src/ubus/client.js';
import { BusBackend, SCRIPT_TIMEOUT } from './bus-backend.js';
import { handleUbusPost, MAX_POST_SIZE, rpcError } from './jsonrpc.js';
import { DEFAULT_LAB_USERS, writeRpcdConfig, type LabUser } from './lab-users.js';
import { findNode, loadMenu, nodeSpec, resolveNode, visibleChildren, type MenuNode } from './menu.js';
import { loginPage, MEDIA, notFoundPage, RESOURCE, SCRIPT_NAME, viewPage } from './pages.js';
import { SessionStore, type Session } from './rpcd-session.js';
import { readStatic, type StaticRoot } from './static-files.js';
import { UciObject } from './uci-object.js';
import { toJsonText } from '../../src/ubus/blobmsg.js';

export interface LuciDevServerOptions {
  /** The router's ubus socket (lab.socket). */
  socket: string;
  /** The router's root: <root>/etc/config holds nym-vpn and the lab's rpcd logins. */
  root: string;
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  /** Written to <root>/etc/config/rpcd; default DEFAULT_LAB_USERS. */
  users?: readonly LabUser[];
  /** Default: stderr lines prefixed "luci:". */
  log?: (msg: string) => void;
  /** The sessions' clock (tests move it instead of waiting for a session to expire). */
  now?: () => number;
  /** Seconds a `uci apply` with rollback waits for `confirm` (rpcd: 30; LuCI asks for 90). */
  applyTimeout?: number;
  /** uhttpd's script_timeout: seconds a call may take before -32003 (default 60). */
  scriptTimeout?: number;
  /** More acl.d directories (tests), after the lab's and the app's. */
  extraAclDirs?: readonly string[];
}

export interface LuciDevServer {
  url: string;
  port: number;
  users: readonly LabUser[];
  sessions: SessionStore;
  uci: UciObject;
  stop(): Promise<void>;
}

/** The checkout: the folder with package.json and luci-app/ above this file (src/ or dist/src/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'luci-app')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('luci dev server: cannot find the checkout (package.json + luci-app/)');
    dir = up;
  }
  return dir;
}

export async function startLuciDevServer(opts: LuciDevServerOptions): Promise<LuciDevServer> {
  const repo = repoRoot();
  const here = join(repo, 'tools/luci-dev');
  const app = join(repo, 'luci-app');
  const log = opts.log ?? ((m: string) => process.stderr.write(`luci: ${m}\n`));
  const users = opts.users ?? DEFAULT_LAB_USERS;
  await writeRpcdConfig(opts.root, users);
  const configDir = join(opts.root, 'etc/config');

  const client = await UbusClient.connect({ socket: opts.socket });
  // A session that ends (logout, expiry) takes its pending UCI changes with it, as in rpcd.
  let uci: UciObject | undefined;
  const sessions = new SessionStore({
    configDir,
    aclDirs: [join(here, 'acl.d'), join(app, 'root/usr/share/rpcd/acl.d'), ...(opts.extraAclDirs ?? [])],
    warn: log,
    onDestroy: (id) => uci?.forget(id),
    ...(opts.now ? { now: opts.now } : {}),
  });
  uci = new UciObject({
    configDir,
    access: (sid, config, perm) => sessions.access(sid, 'uci', config, perm),
    // procd's reload trigger: /etc/init.d/nym-vpn reload asks the daemon to re-read its config.
    onApplied: async (config) => {
      if (config !== 'nym-vpn') return;
      await client.call('nym-vpn', 'reload').catch((e: Error) => log(`nym-vpn reload after apply: ${e.message}`));
    },
    ...(opts.applyTimeout !== undefined ? { applyTimeout: opts.applyTimeout } : {}),
  });
  const backend = new BusBackend(client, sessions, uci, (opts.scriptTimeout ?? SCRIPT_TIMEOUT) * 1000);
  const menu = loadMenu([join(here, 'menu.d'), join(app, 'root/usr/share/luci/menu.d')]);
  const statics: StaticRoot[] = [
    { prefix: `${RESOURCE}/`, dir: join(app, 'htdocs/luci-static/resources') },
    { prefix: `${RESOURCE}/`, dir: join(here, 'luci-runtime') },
    { prefix: `${MEDIA}/`, dir: join(here, 'luci-runtime') },
  ];

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log(`${req.method} ${req.url}: ${e.stack ?? e.message}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('Internal Server Error');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname;
    if (path === '/ubus' || path === '/ubus/') return ubus(req, res);
    if (path.startsWith('/luci-static/')) {
      const f = req.method === 'GET' || req.method === 'HEAD' ? await readStatic(statics, path) : null;
      if (!f) return send(res, 404, 'text/plain', 'Not Found');
      return send(res, 200, f.type, f.body);
    }
    if (path === '/' || path === '/index.html') return redirect(res, `${SCRIPT_NAME}/`);
    // Browsers ask for it on every page; an empty answer keeps their consoles clean.
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (path === SCRIPT_NAME || path.startsWith(`${SCRIPT_NAME}/`)) return dispatch(req, res, path.slice(SCRIPT_NAME.length).replace(/^\/+|\/+$/g, ''));
    return send(res, 404, 'text/plain', 'Not Found');
  }

  async function ubus(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') return send(res, 200, 'application/json', '');
    if (req.method !== 'POST') return send(res, 400, 'text/plain', 'Bad Request');
    const body = await readBody(req, MAX_POST_SIZE);
    if (body === null) {
      // uhttpd stops reading and closes, so the unread rest cannot pose as the next request.
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.destroy());
      send(res, 200, 'application/json', toJsonText(rpcError(undefined, 'parse')));
      return;
    }
    send(res, 200, 'application/json', await handleUbusPost(body, backend));
  }

  function authSession(req: IncomingMessage): Session | undefined {
    const cookie = /(?:^|;\s*)sysauth_http=([0-9a-f]{32})(?:;|$)/.exec(req.headers.cookie ?? '');
    return cookie ? sessions.get(cookie[1]!) : undefined;
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let session = authSession(req);
    if (req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req, MAX_POST_SIZE)) ?? '');
      const username = form.get('luci_username');
      const password = form.get('luci_password');
      if (username !== null && password !== null) {
        try {
          session = await sessions.login(username, password);
        } catch {
          log(`failed login for '${username}'`);
          return send(res, 403, 'text/html; charset=utf-8', loginPage(true, `${SCRIPT_NAME}/${path}`));
        }
        session.data.token = randomBytes(16).toString('hex');
        res.setHeader('Set-Cookie', `sysauth_http=${session.id}; path=${SCRIPT_NAME}/; SameSite=Strict; HttpOnly`);
        return redirect(res, `${SCRIPT_NAME}/${path}`);
      }
    }
    if (path === 'admin/logout') {
      if (session) sessions.destroy(session.id);
      res.setHeader('Set-Cookie', `sysauth_http=; expires=Thu, 01 Jan 1970 01:00:00 GMT; path=${SCRIPT_NAME}/`);
      return redirect(res, `${SCRIPT_NAME}/`);
    }
    if (!session) return send(res, 403, 'text/html; charset=utf-8', loginPage(false, `${SCRIPT_NAME}/${path}`));
    const requested = findNode(menu, path === '' ? 'admin' : path);
    const node = requested && nodeSpec(requested, session.acl).satisfied ? resolveNode(requested, session.acl) : undefined;
    if (!node || node.action?.type !== 'view' || !node.action.path) return send(res, 404, 'text/html; charset=utf-8', notFoundPage(true, `No page at /${path}`));
    if (node.path !== path) return redirect(res, `${SCRIPT_NAME}/${node.path}`);
    return send(res, 200, 'text/html; charset=utf-8', page(node, session));
  }

  function page(node: MenuNode, session: Session): string {
    const spec = nodeSpec(node, session.acl);
    const parent = findNode(menu, node.path.slice(0, node.path.lastIndexOf('/')))!;
    const admin = findNode(menu, 'admin')!;
    const top = visibleChildren(admin, session.acl).map((t) => ({ ...t, children: visibleChildren(t, session.acl) }));
    return viewPage({
      node,
      spec,
      menu: top,
      tabs: visibleChildren(parent, session.acl),
      viewPath: node.action!.path!,
      env: {
        sessionid: session.id,
        token: session.data.token,
        requestpath: node.path.split('/'),
        dispatchpath: node.path.split('/'),
        nodespec: { satisfied: spec.satisfied, readonly: spec.readonly, title: node.title, action: node.action },
        resource: RESOURCE,
        media: MEDIA,
        scriptname: SCRIPT_NAME,
        ubuspath: '/ubus/',
        pollinterval: 5,
        rpctimeout: 20,
        apply_rollback: 90,
        apply_display: 1.5,
        lang: 'en',
      },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}${SCRIPT_NAME}/admin/vpn/nym-vpn`;
  log(`LuCI dev server on ${url}`);
  return {
    url,
    port,
    users,
    sessions,
    uci: uci!,
    stop: async () => {
      uci?.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      client.close();
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location });
  res.end();
}

/** The body as text, or null once it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { if (!over) resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', (e) => { if (!over) reject(e); });
  });
}
