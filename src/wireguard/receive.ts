// Incoming side (wireguard-go receive.go): datagrams in batches → handshake processing or
// decrypt → replay check → source check → one batch of IP packets to the callback. Everything a
// datagram can do wrong ends in a counted drop; nothing here throws on input.
import {
  MESSAGE_COOKIE_REPLY_TYPE, MESSAGE_INITIATION_TYPE, MESSAGE_RESPONSE_TYPE, MESSAGE_TRANSPORT_HEADER_SIZE,
  MESSAGE_TRANSPORT_TYPE, QUEUE_HANDSHAKE_SIZE,
} from './constants.js';
import { endpointBytes, type Datagram, type Endpoint } from './bind.js';
import type { DeviceContext } from './device-context.js';
import { openInitiation } from './handshake.js';
import { keyToBase64 } from './keys.js';
import { INITIATION, RESPONSE, messageCounter, messageType, readU32 } from './messages.js';
import type { Peer } from './peer.js';
import { beginSession, sendHandshakeInitiation, sendHandshakeResponse, sendKeepalive, sendStaged } from './send.js';
import { needsRekeyOnReceive } from './timers.js';

const nonce = new Uint8Array(12);

export function receiveDatagrams(dev: DeviceContext, batch: readonly Datagram[]): void {
  const delivered: Uint8Array[] = [];
  const now = dev.clock.now();
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i]!;
    try {
      const type = messageType(d.data);
      if (type === MESSAGE_TRANSPORT_TYPE) receiveTransport(dev, d.data, d.endpoint, now, delivered);
      else if (type === 0) dev.counters.droppedMalformed++;
      else receiveHandshake(dev, type, d.data, d.endpoint, now);
    } catch (err) {
      // A bug must not let one datagram take the device down: count it and carry on.
      dev.counters.droppedInternalError++;
      dev.lastInternalError = err instanceof Error ? err : new Error(String(err));
    }
  }
  if (delivered.length > 0) dev.deliver(delivered);
  dev.flush();
}

function receiveTransport(dev: DeviceContext, buf: Uint8Array, source: Endpoint, now: number, delivered: Uint8Array[]): void {
  const entry = dev.indexTable.lookup(readU32(buf, 4));
  const kp = entry?.keypair;
  if (entry === undefined || kp == null) {
    dev.counters.droppedUnknownIndex++;
    return;
  }
  const peer = entry.peer;
  const cfg = peer.timers.config;
  const counter = messageCounter(buf);
  if (counter < 0 || now - kp.created >= cfg.rejectAfterTime) {
    dev.counters.droppedExpired++;
    return;
  }
  for (let j = 0; j < 8; j++) nonce[4 + j] = buf[8 + j]!;
  const body = buf.subarray(MESSAGE_TRANSPORT_HEADER_SIZE);
  const plain = dev.receiveInPlace && kp.receive.openInPlace !== undefined ? kp.receive.openInPlace(nonce, body) : kp.receive.open(nonce, body);
  if (plain === null) {
    dev.counters.droppedBadAuth++;
    return;
  }
  if (!kp.replay.check(counter, cfg.rejectAfterMessages)) {
    dev.counters.droppedReplay++;
    return;
  }
  // Authenticated from here on.
  peer.setEndpointFrom(source);
  const rotation = peer.keypairs.receivedWith(kp);
  if (rotation.promoted) {
    if (rotation.dropped !== null) dev.indexTable.delete(rotation.dropped.localIndex);
    handshakeComplete(dev, peer);
    sendStaged(dev, peer);
  }
  if (!peer.timers.sentLastMinuteHandshake && needsRekeyOnReceive(peer.keypairs.current, now, cfg)) {
    peer.timers.sentLastMinuteHandshake = true;
    sendHandshakeInitiation(dev, peer, false);
  }
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketReceived();
  peer.stats.rxBytes += buf.length;
  if (plain.length === 0) {
    dev.counters.keepalivesReceived++;
    return;
  }
  peer.timers.dataReceived(now);
  const packet = trimIpPacket(plain);
  if (packet === null) {
    dev.counters.droppedBadInnerPacket++;
    return;
  }
  if (dev.allowedIps.lookupSource(packet) !== peer) {
    dev.counters.droppedSourceNotAllowed++;
    return;
  }
  delivered.push(packet);
}

/** The IP packet inside a decrypted payload, without the padding; null if it is not one. */
export function trimIpPacket(plain: Uint8Array): Uint8Array | null {
  const version = plain[0]! >> 4;
  let length: number;
  if (version === 4 && plain.length >= 20) length = (plain[2]! << 8) | plain[3]!;
  else if (version === 6 && plain.length >= 40) length = 40 + ((plain[4]! << 8) | plain[5]!);
  else return null;
  if (length > plain.length || length < (version === 4 ? 20 : 40)) return null;
  return length === plain.length ? plain : plain.subarray(0, length);
}

function handshakeComplete(dev: DeviceContext, peer: Peer): void {
  peer.timers.handshakeComplete();
  peer.stats.lastHandshake = dev.clock.wall();
  peer.stats.lastHandshakeAt = dev.clock.now();
  peer.stats.handshakesCompleted++;
  dev.handshakeCompleted(peer);
}

function receiveHandshake(dev: DeviceContext, type: number, msg: Uint8Array, source: Endpoint, now: number): void {
  // Bound the CPU spent on handshakes, like wireguard-go's fixed-size handshake queue.
  if (!dev.handshakeLoad.admit(now, QUEUE_HANDSHAKE_SIZE)) {
    dev.counters.droppedHandshakeQueueFull++;
    return;
  }
  if (type === MESSAGE_COOKIE_REPLY_TYPE) {
    const entry = dev.indexTable.lookup(readU32(msg, 4));
    if (entry === undefined || !entry.peer.cookies.consumeReply(msg, now)) dev.counters.droppedBadCookieReply++;
    else dev.counters.cookieRepliesReceived++;
    return;
  }
  if (!dev.cookieChecker.checkMac1(msg)) {
    dev.counters.droppedBadMac1++;
    return;
  }
  if (dev.isUnderLoad(now)) {
    const src = endpointBytes(source);
    if (!dev.cookieChecker.checkMac2(msg, src, now)) {
      const sender = readU32(msg, type === MESSAGE_INITIATION_TYPE ? INITIATION.sender : RESPONSE.sender);
      dev.output(dev.cookieChecker.createReply(msg, sender, src, now), source);
      dev.counters.cookieRepliesSent++;
      return;
    }
    if (!dev.rateLimiter.allow(source.address, now)) {
      dev.counters.droppedRateLimited++;
      return;
    }
  }
  if (type === MESSAGE_INITIATION_TYPE) receiveInitiation(dev, msg, source, now);
  else if (type === MESSAGE_RESPONSE_TYPE) receiveResponse(dev, msg, source, now);
}

function receiveInitiation(dev: DeviceContext, msg: Uint8Array, source: Endpoint, now: number): void {
  const opened = openInitiation(dev.crypto, dev.identity, msg);
  const peer = opened === null ? undefined : dev.peerByKey(keyToBase64(opened.peerPublicKey));
  if (opened === null || peer === undefined || !peer.handshake.consumeInitiation(opened, now)) {
    dev.counters.droppedBadHandshake++;
    return;
  }
  peer.setEndpointFrom(source);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketReceived();
  peer.stats.rxBytes += msg.length;
  dev.counters.handshakeInitiationsReceived++;
  if (!sendHandshakeResponse(dev, peer)) dev.counters.droppedBadHandshake++;
}

function receiveResponse(dev: DeviceContext, msg: Uint8Array, source: Endpoint, now: number): void {
  const entry = dev.indexTable.lookup(readU32(msg, RESPONSE.receiver));
  if (entry === undefined || entry.keypair !== null || !entry.peer.handshake.consumeResponse(msg)) {
    dev.counters.droppedBadHandshake++;
    return;
  }
  const peer = entry.peer;
  peer.setEndpointFrom(source);
  peer.timers.anyAuthenticatedPacketTraversal(now);
  peer.timers.anyAuthenticatedPacketReceived();
  peer.stats.rxBytes += msg.length;
  if (!beginSession(dev, peer, now)) return;
  peer.timers.sessionDerived(now);
  handshakeComplete(dev, peer);
  dev.counters.handshakeResponsesReceived++;
  sendKeepalive(dev, peer);
}
