// A nym-vpn-api stand-in for the lab and the tests (never packaged): accounts, their devices and zk-nym
// requests, in the JSON shapes upstream's client parses (nym-vpn-api-client response.rs), with the checks the
// real API makes on the bearer tokens: the account JWT (ES256K: secp256k1 over SHA-256 of header.payload, the
// public key in the payload must be the account's), the device JWT (ed25519 over SHA-256, the subject is the
// device key), both stamped within their 30 s of the server's clock. Refusals use upstream's error body
// ({message, messageId, codeReferenceId, status}); the messageIds are the lab's own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58, base64, base64urlnopad, bech32 } from '@scure/base';

export interface LabAccount {
  address: string;
  subscriptionActive: boolean;
  maxDevices: number;
  devices: Map<string, { status: 'active' | 'inactive'; createdMs: number }>;
}

export interface LabZkNym {
  id: string;
  device: string;
  ticketbookType: string;
  request: Record<string, unknown>;
  status: 'pending' | 'active' | 'error';
  blindedShares?: unknown;
}

/** Issues a ticketbook for a zk-nym request (the lab's signers); absent: requests stay pending. */
export type LabIssuer = (request: { withdrawalRequest: string; ecashPubkey: string; expirationDate: string; ticketbookType: string }) => Promise<unknown>;

export interface LabVpnApiOptions {
  host?: string;
  port?: number;
  /** The server's clock (tests set it apart from the client's). */
  now?: () => number;
  issuer?: LabIssuer;
  partialVerificationKeys?: () => unknown;
}

export class LabVpnApi {
  readonly accounts = new Map<string, LabAccount>();
  readonly zkNyms = new Map<string, LabZkNym>();
  /** Every request seen: method, path and the headers that matter (for tests). */
  readonly seen: Array<{ method: string; path: string; authorization?: string; device?: string }> = [];
  private server: Server | null = null;
  private readonly now: () => number;
  private nextId = 1;

  constructor(private readonly o: LabVpnApiOptions = {}) {
    this.now = o.now ?? Date.now;
  }

  addAccount(address: string, opts: { subscriptionActive?: boolean; maxDevices?: number } = {}): LabAccount {
    const a: LabAccount = { address, subscriptionActive: opts.subscriptionActive ?? true, maxDevices: opts.maxDevices ?? 5, devices: new Map() };
    this.accounts.set(address, a);
    return a;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.handleRequest(req, res));
    await new Promise<void>((resolve) => server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', resolve));
    this.server = server;
    const a = server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/api`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private fail(res: ServerResponse, status: number, message: string, messageId: string): void {
    this.send(res, status, { message, messageId, codeReferenceId: `lab-${this.nextId++}`, status: status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : 'error' });
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > 256 * 1024) return undefined;
      chunks.push(c);
    }
    try {
      const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Checks a bearer JWT; returns its payload or the reason it is refused. */
  private jwt(header: string | undefined, alg: 'ES256K' | 'ECDSA'): { payload: Record<string, unknown> } | { refused: string } {
    const m = /^Bearer (.+)$/.exec(header ?? '');
    if (!m) return { refused: 'missing jwt' };
    const parts = m[1]!.split('.');
    if (parts.length !== 3) return { refused: 'malformed jwt' };
    let head: Record<string, unknown>;
    let payload: Record<string, unknown>;
    let sig: Uint8Array;
    try {
      head = JSON.parse(new TextDecoder().decode(base64urlnopad.decode(parts[0]!))) as Record<string, unknown>;
      payload = JSON.parse(new TextDecoder().decode(base64urlnopad.decode(parts[1]!))) as Record<string, unknown>;
      sig = base64urlnopad.decode(parts[2]!);
    } catch {
      return { refused: 'malformed jwt' };
    }
    if (head.alg !== alg || head.typ !== 'JWT') return { refused: `jwt algorithm is not ${alg}` };
    const digest = sha256(new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
    try {
      if (alg === 'ES256K') {
        const pub = base58.decode(String(payload.pubkey));
        if (!secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true, format: 'compact' })) return { refused: 'jwt signature does not verify' };
        const address = bech32.encode('n', bech32.toWords(ripemd160(sha256(pub))));
        if (address !== payload.sub) return { refused: 'jwt subject is not the public key\'s account' };
      } else {
        const pub = base58.decode(String(payload.sub));
        if (!ed25519.verify(sig, digest, pub)) return { refused: 'jwt signature does not verify' };
      }
    } catch {
      return { refused: 'jwt signature does not verify' };
    }
    const iat = Number(payload.iat);
    const exp = Number(payload.exp);
    const nowS = Math.floor(this.now() / 1000);
    if (!Number.isInteger(iat) || !Number.isInteger(exp) || iat > nowS + exp || nowS > iat + exp) return { refused: 'jwt expired or not yet valid (check the device clock)' };
    return { payload };
  }

  /** Answers one request (also when mounted in the lab's directory server, which shares the API's base). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    void this.handle(req, res).catch(() => {
      if (!res.headersSent) this.fail(res, 500, 'internal error', 'lab.internal');
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname.replace(/^\/api/, '');
    const method = req.method ?? 'GET';
    const deviceHeader = req.headers['x-device-authorization'];
    this.seen.push({ method, path, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(typeof deviceHeader === 'string' ? { device: deviceHeader } : {}) });
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (seg[0] !== 'public' || seg[1] !== 'v1') return this.fail(res, 404, 'no such route', 'lab.route');
    const rest = seg.slice(2);
    if (method === 'GET' && rest.join('/') === 'health') return this.send(res, 200, { status: 'healthy', timestampUtc: new Date(this.now()).toISOString() });
    if (method === 'GET' && rest.join('/') === 'directory/zk-nyms/ticketbook/partial-verification-keys') {
      return this.o.partialVerificationKeys ? this.send(res, 200, this.o.partialVerificationKeys()) : this.fail(res, 503, 'no signers in this lab', 'lab.signers');
    }
    if (rest[0] !== 'account' || rest[1] === undefined) return this.fail(res, 404, 'no such route', 'lab.route');
    const account = this.accounts.get(rest[1]);
    const auth = this.jwt(req.headers.authorization, 'ES256K');
    if ('refused' in auth) return this.fail(res, 401, auth.refused, 'lab.jwt');
    if (auth.payload.sub !== rest[1]) return this.fail(res, 401, 'jwt subject is not this account', 'lab.jwt.subject');
    if (!account) return this.fail(res, 404, 'account not found', 'lab.account.not_found');
    const tail = rest.slice(2);
    if (method === 'GET' && tail.join('/') === 'summary') {
      const active = [...account.devices.values()].filter((d) => d.status === 'active').length;
      return this.send(res, 200, {
        account: { created_on_utc: '2026-01-01T00:00:00Z', last_updated_utc: '2026-01-01T00:00:00Z', account_addr: account.address, status: 'active' },
        subscription: account.subscriptionActive
          ? { isActive: true, active: { created_on_utc: '2026-01-01T00:00:00Z', last_updated_utc: '2026-01-01T00:00:00Z', id: 'sub-1', valid_from_utc: '2026-01-01T00:00:00Z', valid_until_utc: '2027-01-01T00:00:00Z', status: 'active', kind: 'one_year' } }
          : { isActive: false, active: null },
        devices: { active, max: account.maxDevices, remaining: Math.max(0, account.maxDevices - active) },
        fairUsage: { usedGb: 1.5, limitGb: 250, resetsOnUtc: '2027-01-01T00:00:00Z' },
      });
    }
    if (tail[0] !== 'device') return this.fail(res, 404, 'no such route', 'lab.route');
    const deviceJson = (key: string) => ({ created_on_utc: '2026-01-01T00:00:00Z', last_updated_utc: '2026-01-01T00:00:00Z', device_identity_key: key, status: account.devices.get(key)!.status });
    if (tail.length === 1 && method === 'GET') {
      const items = [...account.devices.keys()].map(deviceJson);
      return this.send(res, 200, { totalItems: items.length, page: 1, pageSize: 100, items });
    }
    if (tail.length === 1 && method === 'POST') {
      const dev = this.jwt(typeof deviceHeader === 'string' ? deviceHeader : undefined, 'ECDSA');
      if ('refused' in dev) return this.fail(res, 401, `device ${dev.refused}`, 'lab.jwt.device');
      const b = await this.body(req);
      const key = typeof b?.deviceIdentityKey === 'string' ? b.deviceIdentityKey : '';
      if (key !== dev.payload.sub) return this.fail(res, 400, 'the device identity key is not the device token\'s', 'lab.device.key');
      try {
        const sig = base64.decode(String(b?.signature));
        if (!ed25519.verify(sig, sha256(new TextEncoder().encode(key)), base58.decode(key))) throw new Error('bad');
      } catch {
        return this.fail(res, 400, 'the device signature does not verify', 'lab.device.signature');
      }
      if (!account.subscriptionActive) return this.fail(res, 402, 'no active subscription', 'lab.subscription.inactive');
      if (!account.devices.has(key)) {
        const active = [...account.devices.values()].filter((d) => d.status === 'active').length;
        if (active >= account.maxDevices) return this.fail(res, 409, `maximum number of devices reached (${account.maxDevices})`, 'lab.device.max_reached');
        account.devices.set(key, { status: 'active', createdMs: this.now() });
      }
      return this.send(res, 200, deviceJson(key));
    }
    const deviceKey = tail[1]!;
    if (!account.devices.has(deviceKey)) return this.fail(res, 404, 'device not found', 'lab.device.not_found');
    if (tail.length === 2 && method === 'GET') return this.send(res, 200, deviceJson(deviceKey));
    if (tail[2] !== 'zknym') return this.fail(res, 404, 'no such route', 'lab.route');
    const dev = this.jwt(typeof deviceHeader === 'string' ? deviceHeader : undefined, 'ECDSA');
    if ('refused' in dev) return this.fail(res, 401, `device ${dev.refused}`, 'lab.jwt.device');
    if (dev.payload.sub !== deviceKey) return this.fail(res, 401, 'device jwt is for another device', 'lab.jwt.device');
    const zkJson = (z: LabZkNym, list: boolean) => ({
      created_on_utc: '2026-01-01T00:00:00Z', last_updated_utc: '2026-01-01T00:00:00Z', id: z.id, ticketbook_type: z.ticketbookType,
      valid_from_utc: '2026-01-01T00:00:00Z', valid_until_utc: String(z.request.expirationDate ?? '2026-01-08'), issued_bandwidth_in_gb: 25,
      status: z.status, blinded_shares: z.blindedShares === undefined ? null : list ? [z.blindedShares] : z.blindedShares,
    });
    if (tail.length === 3 && method === 'POST') {
      const b = await this.body(req);
      if (!b || typeof b.withdrawalRequest !== 'string' || typeof b.ticketbookType !== 'string') return this.fail(res, 400, 'bad zk-nym request', 'lab.zknym.request');
      const z: LabZkNym = { id: `zk-${this.nextId++}`, device: deviceKey, ticketbookType: b.ticketbookType, request: b, status: 'pending' };
      this.zkNyms.set(z.id, z);
      if (this.o.issuer) {
        void this.o.issuer(b as Parameters<LabIssuer>[0]).then((shares) => { z.blindedShares = shares; z.status = 'active'; }, () => { z.status = 'error'; });
      }
      return this.send(res, 200, zkJson(z, true));
    }
    if (tail.length === 4 && tail[3] === 'available' && method === 'GET') {
      const items = [...this.zkNyms.values()].filter((z) => z.device === deviceKey && z.status === 'active').map((z) => zkJson(z, false));
      return this.send(res, 200, { totalItems: items.length, page: 1, pageSize: 100, items });
    }
    const z = this.zkNyms.get(tail[3] ?? '');
    if (!z || z.device !== deviceKey) return this.fail(res, 404, 'zk-nym not found', 'lab.zknym.not_found');
    if (method === 'GET') return this.send(res, 200, zkJson(z, false));
    if (method === 'DELETE') {
      this.zkNyms.delete(z.id);
      return this.send(res, 200, { status: 'ok' });
    }
    return this.fail(res, 405, 'method not allowed', 'lab.method');
  }
}
