// Our WireGuard device as a process inside a network namespace, driven over JSON lines (the
// interop tests and the benchmark start it with `ip netns exec NS node dist/.../wg-node.js`).
// TUN from src/tun, UDP from node:dgram or the native batch socket.
import { jsonLinesStdio } from '../lab/process.js';
import { setUp } from '../../src/tun/link.js';
import { TunDevice } from '../../src/tun/tun-device.js';
import { DgramBind } from '../../src/sockets/bind-dgram.js';
import { UdpBatchBind } from '../../src/sockets/bind-udp-batch.js';
import type { Bind, Datagram } from '../../src/wireguard/bind.js';
import { backends } from '../../src/wireguard/crypto/index.js';
import { Device } from '../../src/wireguard/device.js';
import type { PeerConfig } from '../../src/wireguard/peer.js';
import type { TimerConfig } from '../../src/wireguard/timers.js';

interface UpCommand {
  cmd: 'up';
  id: number;
  privateKey: string;
  listenPort: number;
  tun: string;
  mtu: number;
  addresses: string[];
  peers: PeerConfig[];
  timers?: Partial<TimerConfig>;
  underLoad?: 'auto' | 'always' | 'never';
  bind?: 'dgram' | 'batch';
  crypto?: string;
  /** Keep copies of the first N received datagrams (the fuzzer's corpus). */
  capture?: number;
}

let device: Device | null = null;
let tun: TunDevice | null = null;
const captured: string[] = [];

function snapshot(dev: Device): unknown {
  // Everything an unauthenticated datagram must not change.
  return dev.allPeers().map((p) => ({
    endpoint: p.endpoint === null ? null : `${p.endpoint.address}:${p.endpoint.port}`,
    keypairs: [p.keypairs.previous, p.keypairs.current, p.keypairs.next].map((k) => k === null ? null : [k.localIndex, k.remoteIndex, k.created]),
    handshakeState: p.handshake.state,
    handshakeIndex: p.handshake.localIndex,
    lastHandshake: p.stats.lastHandshake,
    handshakes: p.stats.handshakesCompleted,
    rxBytes: p.stats.rxBytes,
    lastTimestamp: Buffer.from(p.handshake.lastTimestamp).toString('hex'),
    indexTableSize: dev.indexTable.size,
  }));
}

const io = jsonLinesStdio(async (msg: { cmd: string; id: number; [k: string]: unknown }) => {
  switch (msg.cmd) {
    case 'up': {
      const m = msg as unknown as UpCommand;
      tun = TunDevice.open(m.tun, { batchSize: 128 });
      await setUp(tun.name, { mtu: m.mtu, addresses: m.addresses });
      let bind: Bind = m.bind === 'batch' ? new UdpBatchBind() : new DgramBind();
      if (m.capture !== undefined && m.capture > 0) {
        const inner = bind;
        const limit = m.capture;
        bind = {
          open: (p) => inner.open(p),
          send: (b) => inner.send(b),
          close: () => inner.close(),
          onReceive: (h) => inner.onReceive((batch: Datagram[]) => {
            for (const d of batch) if (captured.length < limit) captured.push(Buffer.from(d.data).toString('hex'));
            h(batch);
          }),
        };
      }
      const t = tun;
      device = new Device({
        privateKey: m.privateKey,
        listenPort: m.listenPort,
        bind,
        mtu: m.mtu,
        timers: m.timers,
        underLoad: m.underLoad,
        crypto: backends.find((b) => b.name === (m.crypto ?? 'default')),
        onPackets: (packets) => { t.write(packets); },
      });
      await device.up();
      for (const p of m.peers) device.addPeer(p);
      const dev = device;
      tun.onPackets((batch) => dev.sendPackets(batch.packets()));
      io.send({ id: m.id, ok: true, listenPort: dev.listenPort, tun: t.name });
      return;
    }
    case 'status':
      io.send({ id: msg.id, status: device!.status(), counters: device!.counters, peers: device!.allPeers().map((p) => p.stats) });
      return;
    case 'snapshot':
      io.send({ id: msg.id, snapshot: snapshot(device!), counters: device!.counters });
      return;
    case 'captured':
      io.send({ id: msg.id, captured });
      return;
    case 'underLoad':
      device!.underLoad = msg.value as 'auto' | 'always' | 'never';
      io.send({ id: msg.id, ok: true });
      return;
    case 'keepalive':
      for (const p of device!.allPeers()) p.persistentKeepalive = msg.value as number;
      io.send({ id: msg.id, ok: true });
      return;
    case 'connect':
      for (const p of device!.allPeers()) device!.connect(p);
      io.send({ id: msg.id, ok: true });
      return;
    case 'heap': {
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3; i++) gc?.();
      io.send({ id: msg.id, heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss, gc: gc !== undefined });
      return;
    }
    case 'down':
      await device?.close();
      tun?.close();
      io.send({ id: msg.id, ok: true });
      setImmediate(() => process.exit(0));
      return;
    default:
      io.send({ id: msg.id, error: `unknown command ${msg.cmd}` });
  }
});

process.on('uncaughtException', (err) => {
  io.send({ event: 'uncaughtException', error: String(err.stack ?? err) });
  process.exit(70);
});
