// The lab's stand-in for the nym-vpn-api gateway directory: node:http, serving the lab's gateways in
// the exact JSON shape of the real API (see src/gateways/gateway.ts) on the same paths:
//
//   GET {base}/public/v1/directory/gateways[?show_vpn_only=true]   every gateway
//   GET {base}/public/v1/directory/gateways/entry                  every gateway (each accepts clients)
//   GET {base}/public/v1/directory/gateways/exit                   the exit gateways
//   GET …/gateways/countries, …/gateways/entry/countries, …/gateways/exit/countries
//
// `show_vpn_only=true` keeps gateways with an authenticator; `mixnet_min_performance` and
// `vpn_min_performance` ("80%", as upstream sends them, or "80") drop gateways below the threshold.
//
// CLI (the lab runs it inside a namespace):
//   node dist/tools/lab/directory-server.js --listen ADDR:PORT --gateways FILE.json [--base-path /api] [--accounts FILE.json [--signers 2/3
//     [--verification-key-out FILE.json]]]
// With --accounts, the lab's nym-vpn-api stand-in (vpn-api/server.ts) answers every other path of the base.
// --verification-key-out writes the signers' master verification key and epoch (LabVerificationKeyFile) before
// the ready line, for the lab's Nym gateway stand-ins, which verify the tickets these signers' ticketbooks pay.
// prints {"listening":"ADDR:PORT"} once ready; SIGHUP re-reads the file; SIGTERM/SIGINT stop it.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatPerformance, isEd25519Identity } from '../../src/gateways/gateway.js';
import { LabVpnApi } from './vpn-api/server.js';
import { LabIssuers } from './ecash/issuers.js';
import { labIdentity, labNymAddress } from './lab-keys.js';
import { verificationKeyToBs58 } from '../../src/ecash/verification-key.js';

/** How the lab describes one gateway. */
export interface LabGateway {
  /** base58 ed25519 identity (see labIdentity). */
  id: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  role: 'entry' | 'exit';
  /** The gateway's public address(es). */
  ip: string | string[];
  /** Percent 0..100. */
  performance: number;
  /** Has an authenticator, i.e. is a WireGuard (VPN) gateway (default true). */
  vpn?: boolean;
  /** Client websocket port (default 9000). */
  wsPort?: number;
  /** What a fresh probe says about routing as an exit (default true; entries never route). */
  canRoute?: boolean;
  /** The nym-node build it reports (default 1.24.0-lab: authenticator v6). */
  buildVersion?: string;
}

// labIdentity lives in lab-keys.ts with the other derived keys; re-exported for the many callers that import it here.
export { labIdentity };

/** A Nym client's address on a gateway: since the lab's gateways became Nym gateway stand-ins, a real one (lab-keys.ts). */
const nymAddress = labNymAddress;

/** Checks a lab description (from a file), naming the first bad field. */
export function validateLabGateways(input: unknown): LabGateway[] {
  if (!Array.isArray(input)) throw new TypeError('the gateways file must hold a JSON array');
  return input.map((g, i) => {
    const at = `gateway ${i}`;
    if (typeof g !== 'object' || g === null) throw new TypeError(`${at}: not an object`);
    const o = g as Record<string, unknown>;
    if (typeof o.id !== 'string' || !isEd25519Identity(o.id)) throw new TypeError(`${at}: id must be a base58 ed25519 key (labIdentity makes one)`);
    if (typeof o.name !== 'string') throw new TypeError(`${at}: name must be a string`);
    if (typeof o.country !== 'string' || !/^[A-Za-z]{2}$/.test(o.country)) throw new TypeError(`${at}: country must be two letters`);
    if (o.role !== 'entry' && o.role !== 'exit') throw new TypeError(`${at}: role must be "entry" or "exit"`);
    const ips = Array.isArray(o.ip) ? o.ip : [o.ip];
    if (ips.length === 0 || !ips.every((ip) => typeof ip === 'string' && isIP(ip) !== 0)) throw new TypeError(`${at}: ip must be an IP address or a list of them`);
    if (typeof o.performance !== 'number' || !Number.isInteger(o.performance) || o.performance < 0 || o.performance > 100) {
      throw new TypeError(`${at}: performance must be an integer percent 0..100`);
    }
    if (o.vpn !== undefined && typeof o.vpn !== 'boolean') throw new TypeError(`${at}: vpn must be true or false`);
    if (o.canRoute !== undefined && typeof o.canRoute !== 'boolean') throw new TypeError(`${at}: canRoute must be true or false`);
    if (o.buildVersion !== undefined && (typeof o.buildVersion !== 'string' || o.buildVersion.length > 64)) throw new TypeError(`${at}: buildVersion must be a short string`);
    if (o.wsPort !== undefined && (typeof o.wsPort !== 'number' || !Number.isInteger(o.wsPort) || o.wsPort < 1 || o.wsPort > 65535)) {
      throw new TypeError(`${at}: wsPort must be a port number`);
    }
    return g as LabGateway;
  });
}

/** One gateway as the nym-vpn-api writes it. */
export function gatewayJson(g: LabGateway, now = Date.now()): Record<string, unknown> {
  const exit = g.role === 'exit';
  const route = exit && (g.canRoute ?? true);
  return {
    identity_key: g.id,
    name: g.name,
    description: null,
    ip_packet_router: exit ? { address: nymAddress(g.id, 'ipr') } : null,
    authenticator: (g.vpn ?? true) ? { address: nymAddress(g.id, 'authenticator') } : null,
    location: { two_letter_iso_country_code: g.country.toUpperCase(), latitude: 0, longitude: 0, city: 'Lab', region: 'Lab' },
    last_probe: {
      last_updated_utc: new Date(now).toISOString(),
      outcome: {
        as_entry: { can_connect: true, can_route: true },
        as_exit: exit
          ? { can_connect: true, can_route_ip_v4: route, can_route_ip_external_v4: route, can_route_ip_v6: route, can_route_ip_external_v6: route }
          : null,
        wg: { can_register: true, can_handshake: true, can_resolve_dns: true, ping_hosts_performance: 1, ping_ips_performance: 1 },
      },
    },
    ip_addresses: Array.isArray(g.ip) ? g.ip : [g.ip],
    mix_port: 1789,
    role: exit ? 'ExitGateway' : 'EntryGateway',
    entry: { hostname: null, ws_port: g.wsPort ?? 9000, wss_port: null },
    performance: formatPerformance(g.performance),
    build_information: { build_version: g.buildVersion ?? '1.24.0-lab', commit_branch: 'lab', commit_sha: '0'.repeat(40) },
  };
}

/** "80%" (upstream's Percent display) or "80" → 80; anything else undefined. */
function thresholdOf(text: string): number | undefined {
  const m = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(text);
  const v = m === null ? NaN : Number(m[1]);
  return v >= 0 && v <= 100 ? v : undefined;
}

export interface LabDirectoryOptions {
  gateways?: LabGateway[];
  /** Path prefix before /public/v1 (e.g. "/api", as in https://nymvpn.com/api). */
  basePath?: string;
  /** The account API answering beside the directory (the lab's nym-vpn-api stand-in). */
  accountApi?: LabVpnApi;
}

export class LabDirectoryServer {
  private gateways: LabGateway[];
  /** When set, every gateway list is this body verbatim (parser tests: malformed entries). */
  private raw: unknown = undefined;
  private server: Server | undefined;
  readonly basePath: string;
  /** Paths with queries, as asked (latest last, at most 200). */
  readonly requests: string[] = [];
  readonly accountApi: LabVpnApi | undefined;

  constructor(opts: LabDirectoryOptions = {}) {
    this.accountApi = opts.accountApi;
    this.gateways = validateLabGateways(opts.gateways ?? []);
    this.basePath = (opts.basePath ?? '').replace(/\/+$/, '');
    if (this.basePath !== '' && !this.basePath.startsWith('/')) throw new TypeError('basePath must start with /');
  }

  setGateways(list: LabGateway[]): void {
    this.gateways = validateLabGateways(list);
    this.raw = undefined;
  }

  setRawGateways(body: unknown): void {
    this.raw = body;
  }

  get address(): AddressInfo | undefined {
    const a = this.server?.address();
    return typeof a === 'object' && a !== null ? a : undefined;
  }

  /** The base to give the client as its apiUrl. */
  get apiUrl(): string {
    const a = this.address;
    if (a === undefined) throw new Error('the directory server is not listening');
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}${this.basePath}`;
  }

  async start(host = '127.0.0.1', port = 0): Promise<AddressInfo> {
    if (this.server !== undefined) throw new Error('already listening');
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.address!;
  }

  /** Stops listening and drops every connection (keep-alive ones too), so clients see it gone. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (status: number, message: string): void => send(status, { message, status: String(status) });
    const url = new URL(req.url ?? '/', 'http://lab');
    this.requests.push(`${url.pathname}${url.search}`);
    if (this.requests.length > 200) this.requests.shift();
    const prefix = `${this.basePath}/public/v1/directory/gateways`;
    // The same base serves the account API (as nymvpn.com/api does): everything else goes to it.
    if (this.accountApi && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return this.accountApi.handleRequest(req, res);
    if (req.method !== 'GET') return fail(405, `${req.method} is not allowed`);

    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return fail(404, `no such path ${url.pathname}`);
    const rest = url.pathname.slice(prefix.length).split('/').filter((p) => p !== '');
    let countries = false;
    if (rest.at(-1) === 'countries') {
      countries = true;
      rest.pop();
    }
    if (rest.length > 1 || (rest.length === 1 && rest[0] !== 'entry' && rest[0] !== 'exit')) return fail(404, `no such path ${url.pathname}`);
    const kind = rest[0] as 'entry' | 'exit' | undefined;

    let min = 0;
    for (const name of ['mixnet_min_performance', 'vpn_min_performance']) {
      const v = url.searchParams.get(name);
      if (v === null) continue;
      const t = thresholdOf(v);
      if (t === undefined) return fail(400, `${name}=${v} is not a percentage`);
      min = Math.max(min, t);
    }
    const vpnOnly = url.searchParams.get('show_vpn_only') === 'true';

    if (this.raw !== undefined && !countries) return send(200, this.raw);
    const now = Date.now();
    const list = this.gateways.filter((g) => (kind !== 'exit' || g.role === 'exit')
      && (!vpnOnly || (g.vpn ?? true)) && g.performance >= min);
    if (countries) return send(200, [...new Set(list.map((g) => g.country.toUpperCase()))].sort());
    send(200, list.map((g) => gatewayJson(g, now)));
  }
}

function splitListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new TypeError(`--listen ${text}: expected ADDR:PORT or [IPv6]:PORT`);
  return { host: m[1] ?? m[2]!, port };
}

/**
 * The public half of the lab signers, as a gateway knows it (upstream: from the chain, per epoch). The signers
 * are made at random in this process (ttp_keygen, as a real DKG would, their secret shares never leave it), so
 * the gateway stand-ins, which are other processes, read their master key from this file rather than
 * re-deriving signers from a shared seed (which would also cost every gateway a keygen on a 2-core box).
 */
export interface LabVerificationKeyFile {
  epochId: number;
  /** bs58 of the master VerificationKey (verificationKeyToBs58). */
  masterVerificationKey: string;
}

/** Written whole (temp file, then rename), so a reader never sees half of it. */
export function writeVerificationKeyFile(file: string, issuers: LabIssuers): void {
  const body: LabVerificationKeyFile = { epochId: issuers.epochId, masterVerificationKey: verificationKeyToBs58(issuers.masterKey) };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(body)}\n`);
  renameSync(`${file}.tmp`, file);
}

function signersOf(text: string): LabIssuers {
  const m = /^(\d{1,2})\/(\d{1,2})$/.exec(text);
  if (!m) throw new TypeError(`--signers ${text}: expected THRESHOLD/COUNT, e.g. 2/3`);
  return LabIssuers.create({ threshold: Number(m[1]), count: Number(m[2]) });
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' }, gateways: { type: 'string' }, 'base-path': { type: 'string' }, accounts: { type: 'string' }, signers: { type: 'string' },
      'verification-key-out': { type: 'string' },
    },
    strict: true,
  });
  if (values.listen === undefined || values.gateways === undefined) throw new TypeError('usage: directory-server --listen ADDR:PORT --gateways FILE.json [--base-path /api]');
  const file = values.gateways;
  const load = (): LabGateway[] => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new TypeError(`${file}: ${(error as Error).message}`);
    }
    return validateLabGateways(parsed);
  };
  // --accounts FILE.json: [{address, subscription_active?, max_devices?}] the account API knows.
  // --signers T/N: the account API issues zk-nym ticketbooks with T of N lab e-cash signers (tools/lab/ecash).
  const signers = values.signers === undefined ? undefined : signersOf(values.signers);
  const accountApi = values.accounts === undefined ? undefined
    : new LabVpnApi(signers ? { issuer: signers.vpnApiIssuer(), partialVerificationKeys: () => signers.partialVerificationKeys() } : {});
  if (accountApi) {
    const list = JSON.parse(readFileSync(values.accounts!, 'utf8')) as Array<{ address: string; subscription_active?: boolean; max_devices?: number }>;
    if (!Array.isArray(list)) throw new TypeError(`${values.accounts}: expected a JSON array of accounts`);
    for (const a of list) accountApi.addAccount(a.address, { subscriptionActive: a.subscription_active ?? true, maxDevices: a.max_devices ?? 5 });
  }
  if (values['verification-key-out'] !== undefined) {
    if (!signers) throw new TypeError('--verification-key-out needs --signers');
    writeVerificationKeyFile(values['verification-key-out'], signers);
  }
  const server = new LabDirectoryServer({ gateways: load(), basePath: values['base-path'], ...(accountApi ? { accountApi } : {}) });
  const { host, port } = splitListen(values.listen);
  const a = await server.start(host, port);
  process.stdout.write(`${JSON.stringify({ listening: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`, gateways: load().length })}\n`);
  process.on('SIGHUP', () => {
    try {
      server.setGateways(load());
      process.stdout.write(`${JSON.stringify({ reloaded: true })}\n`);
    } catch (error) {
      process.stderr.write(`directory-server: reload failed, keeping the old list: ${(error as Error).message}\n`);
    }
  });
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`directory-server: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
