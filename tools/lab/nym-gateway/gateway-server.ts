// The lab's Nym gateway websocket (what nym-node serves to clients on its ws_port), enough for nym-client-wasm
// 1.4.1 to register, authenticate and send Sphinx packets (nymtech/nym common/gateway-requests/src/types
// {text_request,text_response,binary_request,helpers}.rs and common/client-libs/gateway-client/src/client/mod.rs,
// commit b4046a8969805642):
//   {"type":"supportedProtocol"}         → {"type":"supportedProtocol","version":5}
//   {"type":"handshakePayload",...}       → the registration handshake (handshake.ts), then
//                                           {"type":"register","protocol_version":5,"status":true}
//   {"type":"authenticateV2",...}          → a client that registered before: signature, timestamp and the
//                                           address ciphertext checked → {"type":"authenticate",...}
//   {"type":"claimFreeTestnetBandwidth"}  → {"type":"bandwidth","available_total":N} (the lab does not
//                                           enforce zk-nyms, as a gateway run without credentials)
//   binary: kind (1 = ForwardSphinx, 2 = ForwardSphinxV2) || encrypted flag || nonce || AES-GCM-SIV(MixPacket)
// The MixPackets are handed to `onMixPacket`; a gateway given a sphinx key also processes them as their final
// hop (mixnet-node.ts): messages to its websocket clients are pushed to them as PushedMixMessage frames
// (kind 1), messages to lab clients living on it (addLocalDestination) are handed to those, and SURB-ACKs
// are sent back. With `mixListener` it also has a real mix port (mix-listener.ts: framed packets over TCP
// from other nodes, processed as final hop) and forwards packets for the other lab gateways it was told about
// (knowNode) to theirs (mix-forwarder.ts): that is how a client of one gateway reaches another gateway's
// authenticator, and how the answer and the SURB-ACKs come back. A packet it refuses is journaled
// (`mix packet refused: ...`) and dropped, as a node drops a malformed packet; the client is told nothing.
// Never packaged.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58, base64 } from '@scure/base';
import { WebSocketServer, type WebSocket } from 'ws';
import { gatewayHandshake, HandshakeError, type GatewayHandshakeStep } from './handshake.js';
import { GATEWAY_NONCE_LENGTH, SharedGatewayKey, SharedKeyError } from './shared-key.js';
import type { NodeAddress } from './mix-packet.js';
import { LabMixnetNode, MixnetRefusal, type LocalDestination } from './mixnet-node.js';
import { LabMixForwarder } from './mix-forwarder.js';
import { LabMixListener } from './mix-listener.js';

/** The protocol nym-node announces (gateway-requests lib.rs EMBEDDED_KEY_ROTATION_INFO_VERSION). */
export const LAB_GATEWAY_PROTOCOL = 5;
/** Bandwidth a client is granted without a credential (bytes), as a gateway that does not enforce zk-nyms. */
export const LAB_FREE_BANDWIDTH = 1024n * 1024n * 1024n;
/** How far a client's AuthenticateV2 timestamp may be from ours (upstream's gateway allows 30 s by default). */
const MAX_TIMESTAMP_SKEW_S = 30;

export interface MixPacketFrame {
  /** 1: ForwardSphinx (v1 bytes), 2: ForwardSphinxV2 (v2 bytes: with the key rotation byte). */
  kind: number;
  /** The decrypted MixPacket bytes. */
  packet: Uint8Array;
  clientIdentity: string;
}

export interface LabGatewayOptions {
  identityPrivate: Uint8Array;
  host?: string;
  port?: number;
  onMixPacket?: (frame: MixPacketFrame) => void;
  /** The gateway's x25519 sphinx key: with it the gateway processes the packets it receives as final hop. */
  sphinxPrivate?: Uint8Array;
  /** The mix address the topology lists for this gateway (default 127.0.0.1:1789; with `mixListener`, port 0 picks one). */
  mixAddress?: NodeAddress;
  /** Listen on the mix address for other nodes' packets (TCP) and forward to the nodes it knows (needs a sphinx key). */
  mixListener?: boolean;
  /** Write version-8 frames to other nodes instead of nym-node's default legacy version 7. */
  currentFrameEncoding?: boolean;
}

/** The mix address the lab's topology gives its gateways. */
export const LAB_MIX_ADDRESS: NodeAddress = { host: '127.0.0.1', port: 1789 };

interface Session {
  handshake?: GatewayHandshakeStep;
  key?: SharedGatewayKey;
  identity?: string;
}

export class LabNymGateway {
  readonly identityKey: Uint8Array;
  /** One line per event (tests and the lab log read it). */
  readonly journal: string[] = [];
  /** Clients that completed the handshake: bs58 identity → shared key (kept across their reconnects). */
  readonly clients = new Map<string, SharedGatewayKey>();
  private readonly sockets = new Map<string, WebSocket>();
  private server?: WebSocketServer;
  private lastAuthTimestamp = new Map<string, number>();
  /** The x25519 sphinx public key (the topology's `x25519_sphinx_pubkey`), when the gateway has one. */
  readonly sphinxKey?: Uint8Array;
  private currentMixAddress: NodeAddress;
  /** The final-hop processing, when the gateway has a sphinx key. */
  readonly mixnet?: LabMixnetNode;
  /** Outgoing mix connections (with `mixListener`). */
  readonly forwarder?: LabMixForwarder;
  /** The mix port (with `mixListener`), once started. */
  mixListener?: LabMixListener;
  private readonly knownNodes = new Set<string>();

  constructor(private readonly o: LabGatewayOptions) {
    this.identityKey = ed25519.getPublicKey(o.identityPrivate);
    this.currentMixAddress = o.mixAddress ?? (o.mixListener ? { host: o.host ?? '127.0.0.1', port: 0 } : LAB_MIX_ADDRESS);
    if (o.mixListener && !o.sphinxPrivate) throw new Error('a mix listener needs a sphinx key');
    if (o.sphinxPrivate) {
      this.sphinxKey = x25519.getPublicKey(o.sphinxPrivate);
      if (o.mixListener) this.forwarder = new LabMixForwarder({ journal: this.journal, currentEncoding: o.currentFrameEncoding ?? false });
      const forwarder = this.forwarder;
      this.mixnet = new LabMixnetNode({
        sphinxPrivateKey: o.sphinxPrivate,
        mixAddress: () => this.currentMixAddress,
        pushToClient: (identity, bytes) => {
          if (!this.sockets.has(identity)) return false;
          this.push(identity, bytes);
          return true;
        },
        journal: this.journal,
        ...(forwarder ? {
          forward: (nextHop, p) => forwarder.send(nextHop, p),
          isKnownNode: (a) => this.knownNodes.has(`${a.host}:${a.port}`),
        } : {}),
      });
    }
  }

  /** The mix address the topology lists for this gateway (with `mixListener`, the real port once started). */
  get mixAddress(): NodeAddress {
    return this.currentMixAddress;
  }

  /** Another node this gateway may forward packets to (the lab's routing filter). */
  knowNode(mixAddress: NodeAddress): void {
    this.knownNodes.add(`${mixAddress.host}:${mixAddress.port}`);
  }

  /** A client living on this gateway (needs a sphinx key). */
  addLocalDestination(d: LocalDestination): void {
    if (!this.mixnet) throw new Error('a gateway without a sphinx key delivers nothing');
    this.mixnet.addLocalDestination(d);
  }

  /** MixPacket v2 bytes arriving at this gateway's mix side (a lab client's replies); refusals are journaled. */
  receiveMixPacket(packet: Uint8Array, frameVersion: 1 | 2 = 2): void {
    if (!this.mixnet) throw new Error('a gateway without a sphinx key processes no mix packets');
    try {
      this.mixnet.handleMixPacket(packet, frameVersion);
    } catch (e) {
      this.journal.push(e instanceof MixnetRefusal ? `mix packet refused: ${e.message}` : `mix packet processing failed: ${(e as Error).message}`);
    }
  }

  async start(): Promise<number> {
    if (this.o.mixListener) {
      const mixnet = this.mixnet!;
      const listener = new LabMixListener({
        host: this.currentMixAddress.host,
        port: this.currentMixAddress.port,
        journal: this.journal,
        onFrame: (frame, remote) => {
          try {
            mixnet.handleFrame(frame);
          } catch (e) {
            this.journal.push(e instanceof MixnetRefusal ? `mix packet from ${remote} refused: ${e.message}` : `mix packet from ${remote} failed: ${(e as Error).message}`);
          }
        },
      });
      this.currentMixAddress = await listener.start();
      this.mixListener = listener;
    }
    const server = new WebSocketServer({ host: this.o.host ?? '127.0.0.1', port: this.o.port ?? 0, maxPayload: 1 << 20 });
    this.server = server;
    await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
    server.on('connection', (ws) => this.serve(ws));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.forwarder?.close();
    await this.mixListener?.close();
    const server = this.server;
    if (!server) return;
    for (const c of server.clients) c.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Pushes bytes to a connected client as a BinaryResponse::PushedMixMessage. */
  push(clientIdentity: string, message: Uint8Array): void {
    const ws = this.sockets.get(clientIdentity);
    const key = this.clients.get(clientIdentity);
    if (!ws || !key) throw new Error(`client ${clientIdentity} is not connected`);
    const nonce = randomBytes(GATEWAY_NONCE_LENGTH);
    const ct = key.encrypt(message, nonce);
    const frame = new Uint8Array(2 + nonce.length + ct.length);
    frame[0] = 1;
    frame[1] = 1;
    frame.set(nonce, 2);
    frame.set(ct, 2 + nonce.length);
    ws.send(frame);
  }

  private serve(ws: WebSocket): void {
    const s: Session = {};
    const send = (o: Record<string, unknown>) => ws.send(JSON.stringify(o));
    const error = (message: string) => { this.journal.push(`error ${message}`); send({ type: 'error', message }); };
    ws.on('close', () => { if (s.identity && this.sockets.get(s.identity) === ws) this.sockets.delete(s.identity); });
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) return this.binary(s, bytes, error);
      let msg: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(bytes.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        msg = parsed as Record<string, unknown>;
      } catch {
        return error('malformed request: not a JSON object');
      }
      this.journal.push(`text ${String(msg.type)}`);
      switch (msg.type) {
        case 'supportedProtocol':
          return send({ type: 'supportedProtocol', version: LAB_GATEWAY_PROTOCOL });
        case 'handshakePayload':
        case 'registerHandshakeInitRequest': {
          const payload = byteArray(msg.data);
          if (!payload) return send({ type: 'handshakeError', message: 'handshake data is not a byte array' });
          try {
            if (!s.handshake) {
              s.handshake = gatewayHandshake(this.o.identityPrivate, payload, randomBytes(32), randomBytes(GATEWAY_NONCE_LENGTH));
              return send({ type: 'handshakePayload', protocol_version: LAB_GATEWAY_PROTOCOL, data: [...s.handshake.reply] });
            }
            const done = s.handshake.finish(payload);
            s.key = done.key;
            s.identity = base58.encode(done.clientIdentity);
            this.clients.set(s.identity, done.key);
            this.sockets.set(s.identity, ws);
            this.journal.push(`registered ${s.identity}`);
            send({ type: 'handshakePayload', protocol_version: LAB_GATEWAY_PROTOCOL, data: [...done.reply] });
            return send({ type: 'register', protocol_version: LAB_GATEWAY_PROTOCOL, status: true });
          } catch (e) {
            if (e instanceof HandshakeError) { this.journal.push(`handshake refused: ${e.message}`); return send({ type: 'handshakeError', message: e.message }); }
            throw e;
          }
        }
        case 'authenticateV2':
          return this.authenticate(s, ws, msg, send, error);
        case 'claimFreeTestnetBandwidth':
          if (!s.key) return error('not authenticated');
          return send({ type: 'bandwidth', available_total: Number(LAB_FREE_BANDWIDTH) });
        default:
          return error(`unsupported request ${String(msg.type)}`);
      }
    });
  }

  private authenticate(s: Session, ws: WebSocket, msg: Record<string, unknown>, send: (o: Record<string, unknown>) => void, error: (m: string) => void): void {
    // AuthenticateRequest flattens its content (camelCase) beside requestSignature
    // (gateway-requests text_request/authenticate.rs). As nym-client-wasm 1.4.1 sends it: protocolVersion 4,
    // clientIdentity and requestSignature as JSON byte arrays, addressCiphertext and nonce base64.
    try {
      const protocolVersion = Number(msg.protocolVersion);
      // serde writes nym-crypto's ed25519 keys and signatures in JSON as bs58 strings or byte arrays
      // depending on the type's serde impl; the lab accepts both and names the identity in bs58.
      const identityBytes = keyBytes(msg.clientIdentity, 32, 'clientIdentity');
      const identity = base58.encode(identityBytes);
      const addressCiphertext = base64.decode(String(msg.addressCiphertext));
      const nonce = base64.decode(String(msg.nonce));
      const timestamp = Number(msg.requestUnixTimestamp);
      const signature = keyBytes(msg.requestSignature, 64, 'requestSignature');
      const key = this.clients.get(identity);
      if (!key) return error('the client is not registered with this gateway');
      const ts = new Uint8Array(8);
      new DataView(ts.buffer).setBigUint64(0, BigInt(timestamp));
      const plaintext = Buffer.concat([Uint8Array.of(protocolVersion), identityBytes, addressCiphertext, nonce, ts]);
      if (!ed25519.verify(signature, plaintext, identityBytes)) return error('authentication signature does not verify');
      if (Math.abs(Date.now() / 1000 - timestamp) > MAX_TIMESTAMP_SKEW_S) return error('excessive timestamp skew');
      if ((this.lastAuthTimestamp.get(identity) ?? -1) >= timestamp) return error('authentication request reused');
      // The destination address is the identity key's bytes (nym-crypto derive_destination_address).
      if (!Buffer.from(key.decrypt(addressCiphertext, nonce)).equals(Buffer.from(identityBytes))) return error('malformed address ciphertext');
      this.lastAuthTimestamp.set(identity, timestamp);
      s.key = key;
      s.identity = identity;
      this.sockets.set(identity, ws);
      this.journal.push(`authenticated ${identity}`);
      send({ type: 'authenticate', protocol_version: LAB_GATEWAY_PROTOCOL, status: true, bandwidth_remaining: Number(LAB_FREE_BANDWIDTH) });
    } catch (e) {
      if (e instanceof SharedKeyError) return error(e.message);
      error(`malformed authenticate request: ${(e as Error).message}`);
    }
  }

  private binary(s: Session, raw: Uint8Array, error: (m: string) => void): void {
    if (!s.key || !s.identity) return error('binary request before authentication');
    if (raw.length < 2 + GATEWAY_NONCE_LENGTH) return error('binary request too short');
    const kind = raw[0]!;
    if (kind !== 1 && kind !== 2) return error(`unknown binary request kind ${kind}`);
    if (raw[1] !== 1) return error('unencrypted binary requests are not accepted');
    let packet: Uint8Array;
    try {
      packet = s.key.decrypt(raw.subarray(2 + GATEWAY_NONCE_LENGTH), raw.subarray(2, 2 + GATEWAY_NONCE_LENGTH));
    } catch (e) {
      return error((e as Error).message);
    }
    this.journal.push(`mix packet kind ${kind} ${packet.length} bytes`);
    this.o.onMixPacket?.({ kind, packet, clientIdentity: s.identity });
    if (this.mixnet) this.receiveMixPacket(packet, kind === 2 ? 2 : 1);
  }
}

function keyBytes(v: unknown, length: number, name: string): Uint8Array {
  const bytes = typeof v === 'string' ? base58.decode(v) : byteArray(v);
  if (!bytes || bytes.length !== length) throw new Error(`${name} is not ${length} bytes`);
  return bytes;
}

function byteArray(v: unknown): Uint8Array | undefined {
  if (!Array.isArray(v) || v.length > 4096) return undefined;
  if (!v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return undefined;
  return Uint8Array.from(v as number[]);
}
