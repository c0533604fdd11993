// The lab's stand-in for a gateway's WireGuard private-metadata HTTP service (never packaged). Upstream's
// server: nymtech/nym common/wireguard-private-metadata/server (src/network.rs routes, src/http/state.rs
// AppState, src/transceiver.rs) on the gateway's private address (gateway/src/node/mod.rs: private_ipv4,
// announced_metadata_port = 51830), commit daed9cd15bc0. What it keeps from upstream:
//   - routes: GET /v1/bandwidth/version (a JSON number), POST /v1/bandwidth/available, POST
//     /v1/bandwidth/topup, POST /v1/network/upgrade-mode-check; JSON envelopes in, JSON envelopes out, the
//     answer in the version the request came in;
//   - the peer is whoever the TCP connection comes from (axum ConnectInfo): its balance is kept per address;
//   - every refusal is HTTP 400 with the reason as plain text (AxumErrorResponse), worded as upstream's
//     MetadataError / credential-verification errors; a body axum's Json extractor cannot take is 415, 400 or
//     422 with axum's wording;
//   - a top-up is checked in upstream's order (CredentialVerifier::verify, EcashManager::check_payment): one
//     ticket only, spent today (UTC), serial number not seen before, the epoch's key, the pay info naming this
//     gateway within ±30 s and not seen before, then the proof and signatures (the lab verifier, against the
//     lab issuers' master key); the ticket's bandwidth is credited (TicketTypeRepr::bandwidth_value);
//   - in upgrade mode the balance answered is at least 1 GiB (DEFAULT_WG_CLIENT_BANDWIDTH_THRESHOLD).
// Not kept: metering (the balance only changes by top-ups and setBandwidth), bandwidth expiry, JWT verification
// (a JWT is accepted only while upgrade mode is on, as upstream does without looking at it), compression.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MAX_REQUEST_INNER_BYTES, MetadataMessageError, encodeMetadataResponse, envelopeFromJson, envelopeToJson,
  type MetadataEnvelope, type MetadataQueryType, type MetadataRequest, type MetadataResponse, type MetadataVersion,
} from '../../src/bandwidth/metadata-messages.js';
import { decodeMetadataRequest } from '../../src/bandwidth/metadata-request-decode.js';
import { credentialSpendingDataFromBincode, type CredentialSpendingData } from '../../src/ecash/credential-spending-data.js';
import { formatEcashDate } from '../../src/ecash/ecash-date.js';
import { parsePayInfo } from '../../src/ecash/pay-info.js';
import { encodedSerialNumber } from '../../src/ecash/payment.js';
import { TICKET_TYPES } from '../../src/ecash/ticket-type.js';
import type { VerificationKey } from '../../src/ecash/verification-key.js';
import { ecashToday } from '../../src/zk-nym/ticket-policy.js';
import { TICKET_BANDWIDTH_BYTES } from '../../src/zk-nym/ticket-type.js';
import { SpendRejected, SpentSerialNumbers } from './ecash/verifier.js';

/** DEFAULT_WG_CLIENT_BANDWIDTH_THRESHOLD (server/src/http/state.rs). */
export const UPGRADE_MODE_BANDWIDTH = 1024n * 1024n * 1024n;
/** TIME_RANGE_SEC (credential-verification/src/ecash/mod.rs): how far a pay info's timestamp may be from now. */
const PAY_INFO_TIME_RANGE_S = 30n;
/** The lab's body limit (axum's default is 2 MB; a top-up is about 1.3 kB of bytes, ~5 kB as JSON). */
const MAX_BODY_BYTES = 64 * 1024;

export interface LabMetadataServerOptions {
  host?: string;
  port?: number;
  /** This gateway's ed25519 identity key: pay infos must name it. */
  gatewayIdentity: Uint8Array;
  /** The e-cash master verification key of an epoch (LabIssuers.masterKey for its epochId). */
  verificationKey: (epochId: bigint) => VerificationKey | undefined;
  /** The newest version spoken: 1 stands in for an older gateway (it refuses V2 envelopes). Default 2. */
  latestVersion?: 1 | 2;
  /** Balance for an address seen the first time; absent: unknown addresses are refused, as upstream refuses a non-peer. */
  initialBandwidth?: bigint;
  upgradeMode?: boolean;
  /** Wall clock, ms (the spend date and the pay info's timestamp are checked against it). */
  now?: () => number;
}

export interface LabMetadataExchange {
  method: string;
  path: string;
  client: string;
  status: number;
  version?: MetadataVersion;
  query?: MetadataQueryType;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string): Refusal => new Refusal(400, message);
const verification = (message: string): Refusal => bad(`Credential verification error: ${message}`);

const ROUTES: Readonly<Record<string, MetadataQueryType>> = {
  '/v1/bandwidth/available': 'available-bandwidth',
  '/v1/bandwidth/topup': 'top-up-bandwidth',
  '/v1/network/upgrade-mode-check': 'upgrade-mode-check',
};

export class LabMetadataServer {
  /** Balances by client address. */
  readonly balances = new Map<string, bigint>();
  /** Every exchange, for tests. */
  readonly seen: LabMetadataExchange[] = [];
  upgradeMode: boolean;
  private readonly spentSerials = new Set<string>();
  private readonly payInfos = new Set<string>();
  private readonly verifier = new SpentSerialNumbers();
  private readonly now: () => number;
  private server: Server | null = null;

  constructor(private readonly o: LabMetadataServerOptions) {
    if (o.gatewayIdentity.length !== 32) throw new Error('a gateway identity key is 32 bytes');
    this.upgradeMode = o.upgradeMode ?? false;
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        // a lab bug, not a refusal: say so rather than leave the client hanging
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`lab metadata server: ${e instanceof Error ? e.message : String(e)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }

  setBandwidth(client: string, bytes: bigint): void {
    this.balances.set(client, bytes);
  }

  private get versions(): readonly MetadataVersion[] {
    return (this.o.latestVersion ?? 2) === 1 ? ['V1'] : ['V1', 'V2'];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const client = clientAddress(req.socket.remoteAddress);
    const record: LabMetadataExchange = { method: req.method ?? '', path, client, status: 0 };
    try {
      if (path === '/v1/bandwidth/version') {
        if (req.method !== 'GET') throw new Refusal(405, '');
        req.resume();
        return this.answer(res, record, 200, JSON.stringify(this.o.latestVersion ?? 2));
      }
      const route = ROUTES[path];
      // an older gateway has no upgrade-mode route at all
      if (route === undefined || (route === 'upgrade-mode-check' && !this.versions.includes('V2'))) throw new Refusal(404, '');
      if (req.method !== 'POST') throw new Refusal(405, '');
      const envelope = await this.readEnvelope(req);
      record.version = envelope.version;
      let request: MetadataRequest;
      try {
        request = decodeMetadataRequest(envelope);
      } catch (e) {
        if (e instanceof MetadataMessageError) throw bad(`Models error: ${e.message}`);
        throw e;
      }
      record.query = request.type;
      if (request.type !== route) throw bad('incorrect request type');
      const response = this.respond(client, request);
      return this.answer(res, record, 200, JSON.stringify(envelopeToJson(encodeMetadataResponse(envelope.version, response))));
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      return this.answer(res, record, e.status, e.message, 'text/plain; charset=utf-8');
    }
  }

  private answer(res: ServerResponse, record: LabMetadataExchange, status: number, body: string, type = 'application/json'): void {
    record.status = status;
    this.seen.push(record);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** axum's Json<Request> extractor: the content type, then JSON syntax (400), then the shape (422). */
  private async readEnvelope(req: IncomingMessage): Promise<MetadataEnvelope> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[^/]+\+json$/.test(type)) {
      req.resume();
      throw new Refusal(415, 'Expected request with `Content-Type: application/json`');
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > MAX_BODY_BYTES) throw new Refusal(413, 'Failed to buffer the request body: length limit exceeded');
      chunks.push(c);
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      throw new Refusal(400, `Failed to parse the request body as JSON: ${(e as Error).message}`);
    }
    try {
      const envelope = envelopeFromJson(json, MAX_REQUEST_INNER_BYTES);
      if (!this.versions.includes(envelope.version)) {
        throw new MetadataMessageError('version', `version: unknown variant \`${envelope.version}\`, expected ${this.versions.map((v) => `\`${v}\``).join(' or ')}`);
      }
      return envelope;
    } catch (e) {
      if (e instanceof MetadataMessageError) throw new Refusal(422, `Failed to deserialize the JSON body into the target type: ${e.message}`);
      throw e;
    }
  }

  /** The peer's balance (upstream: GetClientBandwidthByIp; a non-peer is MissingClientKernelEntry). */
  private balance(client: string): bigint {
    const known = this.balances.get(client);
    if (known !== undefined) return known;
    if (this.o.initialBandwidth === undefined) throw bad(`query was not successful: kernel should have the requested client entry: ${client}`);
    this.balances.set(client, this.o.initialBandwidth);
    return this.o.initialBandwidth;
  }

  /** What a client is told: in upgrade mode never less than the threshold (AppState::upgrade_mode_bandwidth). */
  private shown(balance: bigint): bigint {
    return this.upgradeMode && balance < UPGRADE_MODE_BANDWIDTH ? UPGRADE_MODE_BANDWIDTH : balance;
  }

  private respond(client: string, request: MetadataRequest): MetadataResponse {
    switch (request.type) {
      case 'available-bandwidth':
        return { type: request.type, availableBandwidth: this.shown(this.balance(client)), upgradeMode: this.upgradeMode };
      case 'top-up-bandwidth': {
        const before = this.balance(client);
        if (request.credential.kind === 'upgrade-mode-jwt') {
          if (!this.upgradeMode) throw bad('Upgrade Mode JWT verification error: the lab does not verify upgrade-mode JWTs and is not in upgrade mode');
          return { type: request.type, availableBandwidth: this.shown(before), upgradeMode: true };
        }
        const credited = this.redeem(credentialSpendingDataFromBincode(request.credential.credentialBincode));
        const after = before + credited;
        this.balances.set(client, after);
        return { type: request.type, availableBandwidth: this.shown(after), upgradeMode: this.upgradeMode };
      }
      case 'upgrade-mode-check':
        if (!this.upgradeMode) throw bad('Upgrade Mode JWT verification error: the lab does not verify upgrade-mode JWTs and is not in upgrade mode');
        return { type: request.type, upgradeMode: true };
    }
  }

  /** CredentialVerifier::verify, in its order; the bytes the ticket is worth. */
  private redeem(csd: CredentialSpendingData): bigint {
    const type = TICKET_TYPES[csd.payment.tType];
    if (type === undefined) throw verification(`unknown ticket type ${csd.payment.tType}`);
    if (csd.payment.spendValue !== 1n) throw verification('the received payment contained more than a single ticket. that\'s currently not supported');
    const today = ecashToday(this.now());
    const spent = formatEcashDate(csd.spendDate);
    if (spent !== today) throw verification(`the provided credential has an invalid spending date. got ${spent} but expected ${today}`);
    const serial = Buffer.from(encodedSerialNumber(csd.payment)).toString('hex');
    if (this.spentSerials.has(serial)) throw verification('the provided bandwidth credential has already been spent before at this gateway');
    const key = this.o.verificationKey(csd.epochId);
    if (!key) throw verification(`no verification key for epoch ${csd.epochId}`);
    const payInfo = parsePayInfo(csd.payInfo);
    if (!Buffer.from(payInfo.providerPublicKey).equals(Buffer.from(this.o.gatewayIdentity))) throw verification('provided payinfo\'s public key does not match provider\'s');
    const nowS = BigInt(Math.floor(this.now() / 1000));
    if (payInfo.timestamp > nowS + PAY_INFO_TIME_RANGE_S || payInfo.timestamp < nowS - PAY_INFO_TIME_RANGE_S) throw verification('provided payinfo\'s timestamp is invalid');
    const payInfoKey = Buffer.from(csd.payInfo).toString('hex');
    if (this.payInfos.has(payInfoKey)) throw verification('received payinfo is a duplicate');
    try {
      this.verifier.accept(csd, key);
    } catch (e) {
      if (!(e instanceof SpendRejected)) throw e;
      if (e.reason === 'double-spend') throw verification('the provided bandwidth credential has already been spent before at this gateway');
      if (e.reason === 'expiration-signature') throw verification('failed to verify provided ticket due to invalid expiration date signatures');
      throw verification('the provided ticket failed to get verified');
    }
    this.payInfos.add(payInfoKey);
    this.spentSerials.add(serial);
    return BigInt(TICKET_BANDWIDTH_BYTES[type]);
  }
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; the gateway knows it as a.b.c.d. */
function clientAddress(remote: string | undefined): string {
  const a = remote ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
