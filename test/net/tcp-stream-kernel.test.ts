// The userspace TCP client (src/net/tcp-stream.ts) against the Linux kernel's TCP. A fresh network namespace
// holds a TUN with 10.1.0.1/24 and real servers on that address (test/net/fixtures/tcp-peer.ts, run with
// `ip netns exec`, so the host namespace is untouched); the client runs here, as 10.1.0.2, and its packets
// travel through the fixture's TUN as JSON lines, the way the daemon's go through the entry tunnel.
// Covered: http.request over createConnection (GET and an 8 KB POST, byte-exact both ways), the project's
// MetadataClient unchanged, a refused port (the kernel's RST), a port whose SYNs an nft rule drops, and
// loss of our 2nd data segment and the kernel's 1st, recovered by retransmission.
import test from 'ava';
import http from 'node:http';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MetadataClient } from '../../src/bandwidth/metadata-client.js';
import { tcpStream, type TcpStream, type TcpStreamOptions } from '../../src/net/tcp-stream.js';
import { Lab, type Netns } from '../../tools/lab/netns.js';
import { JsonLinesChild } from '../../tools/lab/process.js';

const CLIENT = Uint8Array.of(10, 1, 0, 2);
const SERVER = Uint8Array.of(10, 1, 0, 1);
const WEB_PORT = 8080;
const METADATA_PORT = 51830;
const CLOSED_PORT = 9999;
const DROPPED_PORT = 9998;

let lab: Lab;
let ns: Netns;
let peer: JsonLinesChild;
/** Where packets from the kernel go, by our (destination) port. */
const routes = new Map<number, (p: Uint8Array) => void>();
let nextPort = 40_000;

function patternBytes(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed + (i >> 9)) & 255;
  return b;
}

test.before(async () => {
  lab = await Lab.create();
  ns = await lab.namespace();
  peer = new JsonLinesChild(ns.spawn(process.execPath, [fileURLToPath(new URL('./fixtures/tcp-peer.js', import.meta.url))]));
  await peer.next((m) => m.type === 'ready' || m.error !== undefined, 15_000);
  // A second reader of the fixture's stdout: packets are routed to their connection as they come.
  createInterface({ input: peer.child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{"type":"packet"')) return;
    const p = Buffer.from((JSON.parse(line) as { hex: string }).hex, 'hex');
    if (p.length < 24 || p[0]! >> 4 !== 4 || p[9] !== 6) return;
    routes.get(p.readUInt16BE((p[0]! & 15) * 4 + 2))?.(p);
  });
  await ns.exec('nft', ['-f', '-'], {
    input: `table inet tcptest {\n chain input {\n  type filter hook input priority 0;\n  tcp dport ${DROPPED_PORT} drop\n }\n}\n`,
  });
});

test.after.always(async () => {
  await lab?.destroy();
});

/** One line per packet, for a failure message: ms since open, direction, flags, seq, ack, payload length, dropped. */
function describe(t0: number, dir: string, p: Uint8Array, dropped: boolean): string {
  const ihl = (p[0]! & 15) * 4;
  const b = Buffer.from(p.buffer, p.byteOffset, p.length);
  const f = p[ihl + 13]!;
  const flags = ['F', 'S', 'R', 'P', '.'].filter((_, i) => f & (1 << i)).join('');
  return `${(performance.now() - t0).toFixed(1)} ${dir} ${flags} seq=${b.readUInt32BE(ihl + 4)} ack=${b.readUInt32BE(ihl + 8)} len=${tcpPayloadLength(p)}${dropped ? ' DROPPED' : ''}`;
}

interface Conn extends TcpStream {
  /** Every packet both ways, described. */
  trace: string[];
  /** Data-bearing segments we sent / the kernel sent, and how many of each were dropped by the test. */
  sentData: number;
  gotData: number;
}

/** A userspace connection to 10.1.0.1:port; `dropOut`/`dropIn` pick packets to lose (by data-segment index, 1-based). */
function open(port: number, o: Partial<TcpStreamOptions> & { dropOut?: (n: number) => boolean; dropIn?: (n: number) => boolean } = {}): Conn {
  const local = nextPort++;
  const conn = {} as Conn;
  conn.sentData = 0;
  conn.gotData = 0;
  conn.trace = [];
  const t0 = performance.now();
  const s = tcpStream({
    local: { addr: CLIENT, port: local }, remote: { addr: SERVER, port },
    send: (packets) => {
      const keep = packets.filter((p) => {
        const data = tcpPayloadLength(p) > 0;
        if (data) conn.sentData++;  // counted whether or not a filter looks at it
        const drop = data && (o.dropOut?.(conn.sentData) ?? false);
        conn.trace.push(describe(t0, '>', p, drop));
        return !drop;
      });
      if (keep.length > 0) peer.send({ cmd: 'write', packets: keep.map((p) => Buffer.from(p).toString('hex')) });
    },
    ...o,
  });
  Object.assign(conn, s);
  routes.set(local, (p) => {
    const data = tcpPayloadLength(p) > 0;
    if (data) conn.gotData++;
    const drop = data && (o.dropIn?.(conn.gotData) ?? false);
    conn.trace.push(describe(t0, '<', p, drop));
    if (drop) return;
    s.receive(p);
  });
  void s.finished.then(() => setTimeout(() => routes.delete(local), 2000));
  return conn;
}

function tcpPayloadLength(p: Uint8Array): number {
  const ihl = (p[0]! & 15) * 4;
  return ((p[2]! << 8) | p[3]!) - ihl - (p[ihl + 12]! >> 4) * 4;
}

/** One request through node:http with our socket. */
function request(conn: Conn, method: string, path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '10.1.0.1', port: conn.socket.remotePort, method, path,
      headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {},
      createConnection: () => conn.socket as unknown as Socket,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test.serial('(a) GET and an 8 KB POST through http.request over the userspace TCP: byte-exact both ways, closed cleanly', async (t) => {
  const c1 = open(WEB_PORT);
  let connected = false;
  c1.socket.once('connect', () => { connected = true; });
  const get = await request(c1, 'GET', '/bytes?n=3000&seed=5');
  t.true(connected, "'connect' was emitted");
  t.is(get.status, 200);
  t.true(get.body.equals(patternBytes(3000, 5)));
  await c1.finished;
  t.is(c1.client.error, undefined, 'an orderly close');
  t.is(c1.client.drops.internal, undefined);

  const c2 = open(WEB_PORT);
  const body = patternBytes(8192, 9);
  const post = await request(c2, 'POST', '/echo', body);
  t.is(post.status, 200);
  t.true(post.body.equals(body), 'the server got our 8 KB exactly and sent it back');
  await c2.finished;
  t.is(c2.client.error, undefined);
  t.true(c2.sentData >= 7, `${c2.sentData} data segments for an 8 KB body at MSS ${c2.client.mss}`);
  t.is(c2.client.counters.retransmits, 0);
  t.log(`POST 8 KB: ${c2.client.counters.packetsOut} packets out, ${c2.client.counters.packetsIn} in, drops ${JSON.stringify(c2.client.drops)}`);

  // Round trips: each a fresh connection (handshake, request, answer, close), as the metadata client does.
  const n = 20;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const c = open(WEB_PORT);
    const r = await request(c, 'GET', '/bytes?n=200');
    t.is(r.body.length, 200);
  }
  const ms = (performance.now() - start) / n;
  t.log(`${n} sequential GETs, one connection each: ${ms.toFixed(1)} ms per exchange (packets relayed as JSON lines through a child)`);
});

test.serial('(b) MetadataClient unchanged: version() and availableBandwidth() through the userspace TCP', async (t) => {
  const conns: Conn[] = [];
  const client = new MetadataClient({
    connect: (host, port) => {
      t.is(host, '10.1.0.1');
      t.is(port, METADATA_PORT);
      const c = open(port);
      conns.push(c);
      return c.socket as unknown as Socket;
    },
  });
  t.is(await client.version(), 'V2');
  const bw = await client.availableBandwidth();
  t.is(bw.bytes, 123_456_789n);
  t.is(bw.upgradeMode, false);
  t.is(conns.length, 2, 'one connection per exchange');
  const { seen } = await peer.request({ cmd: 'seen' });
  t.deepEqual(seen.map((s: any) => [s.method, s.path, s.client, s.status]), [
    ['GET', '/v1/bandwidth/version', '10.1.0.2', 200],
    ['POST', '/v1/bandwidth/available', '10.1.0.2', 200],
  ], 'the gateway saw the userspace address as the peer');
  await Promise.all(conns.map((c) => c.finished));
});

test.serial('(c) a closed port: the kernel\'s RST fails the connection at once with ECONNREFUSED', async (t) => {
  const c = open(CLOSED_PORT);
  const start = performance.now();
  const err = await t.throwsAsync(request(c, 'GET', '/'));
  const ms = performance.now() - start;
  t.is((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  t.regex(err!.message, /ECONNREFUSED 10\.1\.0\.1:9999/);
  t.true(ms < 500, `${ms.toFixed(0)} ms`);
  t.is(c.client.error, 'refused');
  t.log(`refused after ${ms.toFixed(1)} ms`);

  // and through MetadataClient: a NoAnswer naming the cause
  const mc = new MetadataClient({ port: CLOSED_PORT, connect: (_h, port) => open(port).socket as unknown as Socket });
  const e2 = await t.throwsAsync(mc.version());
  t.regex(e2!.message, /ECONNREFUSED/);
});

test.serial('(c) SYNs dropped by nft: retransmitted with a doubling RTO, then given up with ETIMEDOUT', async (t) => {
  const c = open(DROPPED_PORT, { initialRtoMs: 100, minRtoMs: 100 });
  const start = performance.now();
  const err = await t.throwsAsync(request(c, 'GET', '/'));
  const ms = performance.now() - start;
  t.is((err as NodeJS.ErrnoException).code, 'ETIMEDOUT');
  t.is(c.client.error, 'timeout');
  t.is(c.client.counters.retransmits, 4, 'five SYNs in all');
  // 100 + 200 + 400 + 800 + 1600 ms
  t.true(ms >= 3000 && ms < 4500, `${ms.toFixed(0)} ms`);
  t.log(`gave up after ${ms.toFixed(0)} ms (RTO 100 ms doubling, 5 SYNs)`);

  // with the defaults the metadata client's own 5 s deadline ends it first, with the socket reset and gone
  const conns: Conn[] = [];
  const mc = new MetadataClient({ port: DROPPED_PORT, connect: (_h, port) => { const x = open(port); conns.push(x); return x.socket as unknown as Socket; } });
  const s2 = performance.now();
  const e2 = await t.throwsAsync(mc.version());
  t.regex(e2!.message, /no complete answer within 5000 ms/);
  t.true(performance.now() - s2 < 6000);
  await conns[0]!.finished;
  t.is(conns[0]!.client.error, 'aborted');
});

test.serial('(d) loss of our 2nd data segment and the kernel\'s 1st: the POST still completes byte-exact', async (t) => {
  const c = open(WEB_PORT, { dropOut: (n) => n === 2, dropIn: (n) => n === 1 });
  const body = patternBytes(8192, 11);
  const start = performance.now();
  const r = await request(c, 'POST', '/echo', body);
  const ms = performance.now() - start;
  t.is(r.status, 200);
  t.true(r.body.equals(body));
  t.true(c.client.counters.retransmits >= 1, 'we resent the lost segment');
  await c.finished;
  t.is(c.client.error, undefined);
  t.log(`completed in ${ms.toFixed(0)} ms; our retransmits ${c.client.counters.retransmits} (timeouts ${c.client.counters.timeouts}), drops ${JSON.stringify(c.client.drops)}`);
});

test.serial('(d) loss that only timers recover: our one request segment and the kernel\'s one answer segment, each lost once', async (t) => {
  const c = open(WEB_PORT, { dropOut: (n) => n === 1, dropIn: (n) => n === 1 });
  const start = performance.now();
  const r = await request(c, 'GET', '/bytes?n=700&seed=3');
  const ms = performance.now() - start;
  t.true(r.body.equals(patternBytes(700, 3)));
  t.is(c.client.counters.timeouts, 1, 'our RTO fired once (no duplicate ACKs can come for a lone segment)');
  t.true(ms >= 1000 && ms < 3000, `${ms.toFixed(0)} ms: 1 s for our RTO, then the kernel's own retransmission\n${c.trace.join('\n')}`);
  await c.finished;
  t.is(c.client.error, undefined);
  t.log(`completed in ${ms.toFixed(0)} ms; drops ${JSON.stringify(c.client.drops)}`);
});
