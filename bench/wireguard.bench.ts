// WireGuard benchmarks: handshakes per second and transport packets per second (1420-byte packets,
// encrypt and decrypt through the device's real paths) per crypto backend; then single-hop TCP
// throughput with iperf3 through our device and through wireguard-go between two namespaces.
// Run: node scripts/bench.mjs wireguard   (the iperf part needs root for network namespaces)
import { nobleBackend, nodeBackend, defaultBackend, type CryptoBackend } from '../src/wireguard/crypto/index.js';
import type { Bind, Datagram } from '../src/wireguard/bind.js';
import { MemoryNetwork } from '../tools/wireguard-lab/bind-memory.js';
import { Device } from '../src/wireguard/device.js';
import { Handshake, openInitiation } from '../src/wireguard/handshake.js';
import { generatePrivateKey, publicKeyFromPrivate } from '../src/wireguard/keys.js';
import { tai64n } from '../src/wireguard/tai64n.js';
import { iperf, startTunnel, type Impl } from '../tools/wireguard-lab/tunnel-lab.js';
import { ipv4Packet } from '../tools/wireguard-lab/packets.js';

const PACKET = 1420 - 20; // an inner IPv4 packet that fills the 1420 MTU
const BATCH = 64;

function handshakesPerSecond(c: CryptoBackend, ms = 1500): number {
  const aKey = generatePrivateKey();
  const bKey = generatePrivateKey();
  const a = { privateKey: aKey, publicKey: publicKeyFromPrivate(aKey, c) };
  const b = { privateKey: bKey, publicKey: publicKeyFromPrivate(bKey, c) };
  const ha = new Handshake(c, a, b.publicKey);
  const hb = new Handshake(c, b, a.publicKey);
  let n = 0;
  const start = performance.now();
  let wall = 1_700_000_000_000;
  while (performance.now() - start < ms) {
    const init = ha.createInitiation(1, tai64n((wall += 1000)))!;
    if (!hb.consumeInitiation(openInitiation(c, b, init)!, (n + 1) * 100)) throw new Error('initiation refused');
    if (!ha.consumeResponse(hb.createResponse(2)!)) throw new Error('response refused');
    ha.deriveKeys();
    hb.deriveKeys();
    n++;
  }
  return (n / (performance.now() - start)) * 1000;
}

/** A bind that keeps what the device sends, for the transport benchmark. */
class CaptureBind implements Bind {
  sent: Datagram[] = [];
  keep = false;
  count = 0;
  constructor(private readonly inner: Bind) {}
  open(port: number): Promise<number> { return this.inner.open(port); }
  onReceive(h: (batch: Datagram[]) => void): void { this.inner.onReceive(h); }
  send(batch: Datagram[]): void {
    if (this.keep) for (const d of batch) this.sent.push(d);
    else if (this.count < 0) this.inner.send(batch);
    this.count += batch.length;
  }
  close(): Promise<void> { return this.inner.close(); }
}

async function transport(c: CryptoBackend): Promise<{ encrypt: number; decrypt: number }> {
  const net = new MemoryNetwork();
  const capA = new CaptureBind(net.bind('192.0.2.1'));
  capA.count = -1; // pass the handshake through
  const a = new Device({ privateKey: generatePrivateKey(), bind: capA, crypto: c, tickInterval: 0 });
  const b = new Device({ privateKey: generatePrivateKey(), bind: net.bind('192.0.2.2'), crypto: c, tickInterval: 0, onPackets: () => {} });
  await a.up();
  await b.up();
  a.addPeer({ publicKey: b.publicKey, endpoint: `192.0.2.2:${b.listenPort}`, allowedIps: ['10.0.0.2/32'] });
  b.addPeer({ publicKey: a.publicKey, allowedIps: ['10.0.0.1/32'] });
  const packet = ipv4Packet('10.0.0.1', '10.0.0.2', PACKET - 20);
  const batch = new Array<Uint8Array>(BATCH).fill(packet);
  a.sendPackets([packet]);
  net.pump();
  capA.count = 0;
  // encrypt: route + seal + queue, batch by batch
  let start = performance.now();
  let n = 0;
  while (performance.now() - start < 1500) {
    a.sendPackets(batch);
    n += BATCH;
  }
  const encrypt = (n / (performance.now() - start)) * 1000;
  // decrypt: capture 30k sealed datagrams, then feed them to B in batches
  capA.keep = true;
  for (let i = 0; i < 30_000 / BATCH; i++) a.sendPackets(batch);
  const sealed = capA.sent;
  capA.sent = [];
  const delivered0 = b.allPeers()[0]!.stats.rxBytes;
  start = performance.now();
  for (let i = 0; i < sealed.length; i += BATCH) b.receiveDatagrams(sealed.slice(i, i + BATCH));
  const decrypt = (sealed.length / (performance.now() - start)) * 1000;
  if (b.allPeers()[0]!.stats.rxBytes - delivered0 < sealed.length * 1400) throw new Error('decrypt benchmark lost packets');
  await a.close();
  await b.close();
  return { encrypt, decrypt };
}

async function throughput(a: Impl, b: Impl, bind: 'batch' | 'dgram', seconds: number): Promise<number> {
  const t = await startTunnel(a, b, { bind });
  try {
    return await iperf(t, seconds);
  } finally {
    await t.destroy();
  }
}

const fmt = (n: number): string => n.toFixed(0).padStart(9);
console.log('handshakes/s (initiator + responder, one thread)');
for (const c of [nodeBackend, nobleBackend, defaultBackend]) console.log(`  ${c.name.padEnd(8)} ${fmt(handshakesPerSecond(c))}`);
console.log(`transport packets/s, ${PACKET + 20}-byte datagram payloads, batches of ${BATCH} (device path, no I/O)`);
await transport(defaultBackend); // warm-up: the JIT and the buffer pool, so the first backend is not penalised
for (const c of [nodeBackend, nobleBackend, defaultBackend]) {
  const r = await transport(c);
  console.log(`  ${c.name.padEnd(8)} encrypt ${fmt(r.encrypt)}  decrypt ${fmt(r.decrypt)}  (${((r.encrypt * PACKET * 8) / 1e6).toFixed(0)} / ${((r.decrypt * PACKET * 8) / 1e6).toFixed(0)} Mbit/s)`);
}

if (process.getuid?.() !== 0) {
  console.log('single-hop throughput: skipped (needs root for network namespaces)');
} else {
  const seconds = Number(process.env.WG_BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.WG_BENCH_ROUNDS ?? 3);
  const results: Record<string, number[]> = { wg: [], ours: [], dgram: [] };
  // Interleaved rounds, so drift in machine load hits all sides alike; medians damp outliers.
  for (let round = 0; round < rounds; round++) {
    results.wg!.push(await throughput('wireguard-go', 'wireguard-go', 'batch', seconds));
    results.ours!.push(await throughput('ours', 'ours', 'batch', seconds));
    results.dgram!.push(await throughput('ours', 'ours', 'dgram', seconds));
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const wg = median(results.wg!);
  const ours = median(results.ours!);
  console.log(`iperf3 TCP, ${seconds} s, MTU 1420, one hop between two namespaces, median of ${rounds} (Mbit/s, runs: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((x) => Math.round(x / 1e6))])))})`);
  console.log(`  wireguard-go ↔ wireguard-go   ${fmt(wg / 1e6)}`);
  console.log(`  nym-vpnd ↔ nym-vpnd (sendmmsg) ${fmt(ours / 1e6)}`);
  console.log(`  nym-vpnd ↔ nym-vpnd (dgram)    ${fmt(median(results.dgram!) / 1e6)}`);
  console.log(`single-hop throughput ratio (nym-vpnd / wireguard-go): ${(ours / wg).toFixed(2)}`);
}
