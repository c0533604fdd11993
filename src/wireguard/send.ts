// Outgoing side of a peer (wireguard-go send.go): handshake initiations, keepalives, and the
// transport path that turns staged IP packets into encrypted datagrams in one pass.
import { AEAD_TAG_SIZE, HANDSHAKE_INITIATION_RATE, MESSAGE_KEEPALIVE_SIZE, MESSAGE_TRANSPORT_HEADER_SIZE } from './constants.js';
import type { DeviceContext } from './device-context.js';
import { Keypair } from './keypair.js';
import { paddedLength, writeTransportHeader } from './messages.js';
import type { Peer } from './peer.js';
import { canSendWith, needsRekeyOnSend } from './timers.js';

const EMPTY = new Uint8Array(0);
// One nonce buffer for every seal: ciphers copy it, so reusing it allocates nothing per packet.
const nonce = new Uint8Array(12);

/** Starts (or, for a retry, repeats) a handshake unless one went out less than RekeyTimeout ago. */
export function sendHandshakeInitiation(dev: DeviceContext, peer: Peer, isRetry: boolean): boolean {
  const now = dev.clock.now();
  if (!isRetry) peer.timers.handshakeAttempts = 0;
  // Upstream spaces initiations by RekeyTimeout; the 20 ms floor holds even for test configs
  // that shorten RekeyTimeout to nothing (a responder drops anything faster as a flood).
  const spacing = Math.max(peer.timers.config.rekeyTimeout, HANDSHAKE_INITIATION_RATE);
  if (now - peer.handshake.lastSentHandshake < spacing) return false;
  if (peer.endpoint === null) return false; // nowhere to send: wait until one is configured or learnt
  peer.handshake.lastSentHandshake = now;
  dev.indexTable.delete(peer.handshake.localIndex);
  const index = dev.indexTable.newIndex(peer);
  const msg = peer.handshake.createInitiation(index, dev.timestamps.next(dev.clock.wall()));
  if (msg === null) {
    dev.indexTable.delete(index);
    return false;
  }
  peer.cookies.addMacs(msg, now);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketSent();
  dev.output(msg, peer.endpoint);
  peer.stats.txBytes += msg.length;
  dev.counters.handshakeInitiationsSent++;
  peer.timers.handshakeInitiated(now);
  return true;
}

/** A handshake because the current keypair is due for replacement (counted for status). */
export function rekey(dev: DeviceContext, peer: Peer): void {
  if (sendHandshakeInitiation(dev, peer, false)) peer.stats.rekeys++;
}

/** Responds to a consumed initiation and installs the responder's (next) keypair. */
export function sendHandshakeResponse(dev: DeviceContext, peer: Peer): boolean {
  const now = dev.clock.now();
  dev.indexTable.delete(peer.handshake.localIndex);
  const index = dev.indexTable.newIndex(peer);
  const msg = peer.handshake.createResponse(index);
  if (msg === null || peer.endpoint === null) {
    dev.indexTable.delete(index);
    return false;
  }
  peer.cookies.addMacs(msg, now);
  beginSession(dev, peer, now);
  peer.timers.sessionDerived(now);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketSent();
  dev.output(msg, peer.endpoint);
  peer.stats.txBytes += msg.length;
  return true;
}

/** Derives the keypair of a finished handshake and rotates it in (BeginSymmetricSession). */
export function beginSession(dev: DeviceContext, peer: Peer, now: number): boolean {
  const keys = peer.handshake.deriveKeys();
  if (keys === null) return false;
  const kp = new Keypair(dev.crypto, keys, now);
  dev.indexTable.swapForKeypair(kp.localIndex, kp);
  for (const old of peer.keypairs.install(kp)) dev.indexTable.delete(old.localIndex);
  return true;
}

/** Sends a keepalive unless packets are waiting (they carry the same proof of life). */
export function sendKeepalive(dev: DeviceContext, peer: Peer): void {
  if (peer.staged.length === 0) peer.staged.push(EMPTY);
  sendStaged(dev, peer);
}

/**
 * Encrypts everything staged for `peer` with its current keypair and queues the datagrams;
 * without a usable keypair the packets stay staged and a handshake starts.
 */
export function sendStaged(dev: DeviceContext, peer: Peer): void {
  if (peer.staged.length === 0) return;
  const now = dev.clock.now();
  const kp = peer.keypairs.current;
  const cfg = peer.timers.config;
  if (kp === null || !canSendWith(kp, now, cfg) || peer.endpoint === null) {
    sendHandshakeInitiation(dev, peer, false);
    return;
  }
  const packets = peer.staged;
  peer.staged = [];
  encryptAndQueue(dev, peer, kp, packets, packets.length, now);
  if (needsRekeyOnSend(kp, now, cfg)) rekey(dev, peer);
}

/**
 * The hot path: packets (the first `count`) → transport messages on the output queue. Packets
 * are read during the call only, so views into a reused slab are fine.
 */
export function encryptAndQueue(dev: DeviceContext, peer: Peer, kp: Keypair, packets: readonly Uint8Array[], count: number, now: number): void {
  const endpoint = peer.endpoint!;
  const mtu = dev.mtu;
  let sentData = false;
  let bytes = 0;
  peer.timers.anyAuthenticatedPacketTraversal(now);
  for (let i = 0; i < count; i++) {
    const packet = packets[i]!;
    const counter = kp.sendCounter;
    if (counter >= peer.timers.config.rejectAfterMessages) break;
    kp.sendCounter = counter + 1;
    const padded = paddedLength(packet.length, mtu);
    const size = MESSAGE_TRANSPORT_HEADER_SIZE + padded + AEAD_TAG_SIZE;
    const out = dev.outputBuffer(size);
    writeTransportHeader(out, kp.remoteIndex, counter);
    nonce[4] = out[8]!; nonce[5] = out[9]!; nonce[6] = out[10]!; nonce[7] = out[11]!;
    nonce[8] = out[12]!; nonce[9] = out[13]!; nonce[10] = out[14]!; nonce[11] = out[15]!;
    kp.send.seal(nonce, packet, padded - packet.length, out, MESSAGE_TRANSPORT_HEADER_SIZE);
    dev.output(out, endpoint);
    bytes += out.length;
    if (out.length !== MESSAGE_KEEPALIVE_SIZE) sentData = true;
  }
  peer.stats.txBytes += bytes;
  if (sentData) peer.timers.dataSent(now);
  peer.timers.anyAuthenticatedPacketSent();
}
