// The lab gateway's final-hop processing (tools/lab/nym-gateway/mixnet-node.ts) on a real nym-client-wasm 1.4.1
// packet, without a running client: the message goes to the destination living on the gateway, the SURB-ACK
// is processed next and its 21 bytes pushed to the sending client, in that order (nym-node handle_final_hop
// pushes the message first, then forwards the ack).
import test from 'ava';
import { base58 } from '@scure/base';
import { decryptRegularMessage } from '../../tools/lab/nym-gateway/nym-payload.js';
import { LabMixnetNode, MixnetRefusal, type Delivery } from '../../tools/lab/nym-gateway/mixnet-node.js';
import { SINGLE_FRAGMENT } from './fixtures/nym-client-wasm-packets.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const recipientIdentity = base58.decode(SINGLE_FRAGMENT.recipient.split('.')[0]!);
const senderIdentity = SINGLE_FRAGMENT.sender.split('.')[0]!;

function node(connected: string[]) {
  const events: string[] = [];
  const deliveries: Delivery[] = [];
  const pushed: { identity: string; bytes: Uint8Array }[] = [];
  const journal: string[] = [];
  const n = new LabMixnetNode({
    sphinxPrivateKey: hex(SINGLE_FRAGMENT.sphinxPrivate),
    mixAddress: { host: '127.0.0.1', port: 1789 },
    pushToClient: (identity, bytes) => {
      if (!connected.includes(identity)) return false;
      events.push(`push ${identity}`);
      pushed.push({ identity, bytes });
      return true;
    },
    journal,
  });
  return { n, events, deliveries, pushed, journal };
}

test('the message goes to the local destination, then the SURB-ACK is processed here and its payload pushed to the sender', (t) => {
  const x = node([senderIdentity]);
  x.n.addLocalDestination({ identity: recipientIdentity, deliver: (d) => { x.events.push(`deliver ${d.kind}`); x.deliveries.push(d); } });
  x.n.handleMixPacket(hex(SINGLE_FRAGMENT.packets[0]!), 2);
  t.deepEqual(x.events, ['deliver message', `push ${senderIdentity}`]);
  t.is(x.deliveries[0]!.bytes.length, 32 + 1611, 'ephemeral key and the encrypted fragment');
  t.is(x.pushed[0]!.bytes.length, 21, 'the ack: IV and encrypted fragment id');
  // what was delivered is what the recipient's key opens
  t.is(decryptRegularMessage(x.deliveries[0]!.bytes, hex(SINGLE_FRAGMENT.recipientEncryptionPrivate)).length, 1611);
  t.deepEqual(x.n.processed.map((p) => [p.kind, p.version, p.destination]), [['message', 259, SINGLE_FRAGMENT.recipient.split('.')[0]], ['ack', 259, senderIdentity]]);
});

test('a destination that is neither connected nor local is refused (the lab has no inbox), and so is a packet for another gateway', (t) => {
  const x = node([]);
  t.throws(() => x.n.handleMixPacket(hex(SINGLE_FRAGMENT.packets[0]!), 2), { instanceOf: MixnetRefusal, message: /no client .* at this gateway/ });
  const other = new LabMixnetNode({ sphinxPrivateKey: hex(SINGLE_FRAGMENT.sphinxPrivate), mixAddress: { host: '127.0.0.1', port: 1790 }, pushToClient: () => true, journal: [] });
  t.throws(() => other.handleMixPacket(hex(SINGLE_FRAGMENT.packets[0]!), 2), { instanceOf: MixnetRefusal, message: /127\.0\.0\.1:1789, not this gateway \(127\.0\.0\.1:1790\)/ });
});

test('a v1 frame (no key rotation byte) of the same packet reads the same', (t) => {
  const x = node([senderIdentity]);
  x.n.addLocalDestination({ identity: recipientIdentity, deliver: (d) => x.deliveries.push(d) });
  const v2 = hex(SINGLE_FRAGMENT.packets[0]!);
  x.n.handleMixPacket(Uint8Array.of(v2[0]!, ...v2.subarray(2)), 1);
  t.is(x.deliveries.length, 1);
  t.is(x.pushed.length, 1);
});
