// Calls per second through the bus for a trivial method (an object answering {}), with 1, 4 and 16
// concurrent callers, each waiting for its answer before the next call (what `ubus call` and
// ubus_invoke do). The bus, the object's owner and the callers are three processes. Also measured
// against the real ubusd when /opt/upstream-ubus holds one, for comparison.
// Run: node scripts/bench.mjs ubus
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameReader } from '../src/ubus/message.js';
import { MsgType } from '../src/ubus/constants.js';
import * as proto from '../src/ubus/proto.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CALLERS = [1, 4, 16];
const self = fileURLToPath(import.meta.url);
const root = join(self, '../../..');
const UPSTREAM = process.env.NYM_UPSTREAM_UBUS ?? '/opt/upstream-ubus/prefix';
const say = (m: object): void => void process.stdout.write(`${JSON.stringify(m)}\n`);

/** A connection that hands every whole frame to `onFrame`; resolves with the client id from HELLO. */
function open(sock: string, onFrame: (f: Uint8Array, s: Socket) => void): Promise<{ s: Socket; id: number }> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    const reader = new FrameReader();
    let id = -1;
    s.on('error', reject);
    s.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (id < 0 && f[1] === MsgType.HELLO) { id = Buffer.from(f).readUInt32BE(4); resolve({ s, id }); continue; }
        onFrame(f, s);
      }
    });
  });
}

const seqOf = (f: Uint8Array) => (f[2]! << 8) | f[3]!;

/** The object's owner: registers "bench" with method "noop" and answers every call with {} and STATUS 0. */
async function owner(sock: string): Promise<void> {
  let objId = 0;
  await open(sock, (f, s) => {
    if (f[1] === MsgType.DATA && objId === 0) { objId = Buffer.from(f).readUInt32BE(16); say({ ready: true }); return; }
    if (f[1] !== MsgType.INVOKE) return;
    const peer = Buffer.from(f).readUInt32BE(4);
    const seq = seqOf(f);
    s.write(Buffer.concat([proto.replyData(seq, peer, objId, {}), proto.replyStatus(seq, peer, objId, 0)]));
  }).then(({ s }) => s.write(proto.addObject(1, 'bench', [{ name: 'noop', args: [] }])));
}

/** `n` callers, each calling bench.noop in a loop for SECONDS; prints the total. */
async function callers(sock: string, n: number): Promise<void> {
  let objId = 0;
  const look = await new Promise<number>((resolve) => {
    void open(sock, (f) => { if (f[1] === MsgType.DATA) resolve(Buffer.from(f).readUInt32BE(32)); })
      .then(({ s }) => s.write(proto.lookup(1, 'bench')));
  });
  objId = look;
  const deadline = performance.now() + SECONDS * 1000;
  let calls = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((done) => {
    let seq = 1;
    let conn: Socket | null = null;
    const call = () => {
      if (performance.now() >= deadline) { conn!.destroy(); done(); return; }
      seq = (seq % 65535) + 1;
      conn!.write(proto.invoke(seq, objId, 'noop', {}));
    };
    void open(sock, (f) => {
      if (f[1] === MsgType.STATUS && seqOf(f) === seq) { calls++; call(); }
    }).then(({ s }) => { conn = s; call(); });
  })));
  say({ calls, ms: performance.now() - start });
}

function child(args: string[], env: NodeJS.ProcessEnv = process.env): { p: ChildProcess; lines: AsyncIterableIterator<string> } {
  const p = spawn(process.execPath, [self, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let buf = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    queue.push(...parts.filter(Boolean));
    wake?.();
  });
  const lines = (async function* () {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      await new Promise<void>((r) => { wake = r; });
    }
  })();
  return { p, lines };
}

async function measureBus(label: string, start: (sock: string) => ChildProcess): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ubus-bench-'));
  const sock = join(dir, 'ubus.sock');
  const bus = start(sock);
  const kids: ChildProcess[] = [bus];
  try {
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
    const own = child(['owner', sock]);
    kids.push(own.p);
    await own.lines.next();
    for (const n of CALLERS) {
      const c = child(['callers', sock, String(n)]);
      kids.push(c.p);
      const r = JSON.parse((await c.lines.next()).value as string) as { calls: number; ms: number };
      const perSec = (r.calls / r.ms) * 1000;
      console.log(`${label.padEnd(12)} ${String(n).padStart(2)} caller(s): ${Math.round(perSec).toLocaleString('en').padStart(8)} calls/s  (${(1e6 / perSec * n).toFixed(0)} µs per call each)`);
    }
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [role, sock, n] = process.argv.slice(2);
  if (role === 'owner') return owner(sock!);
  if (role === 'callers') { await callers(sock!, Number(n)); process.exit(0); }
  console.log(`bench.noop answering {} — ${SECONDS} s per row; bus, owner and callers in separate processes`);
  await measureBus('nym-ubusd', (s) => spawn(process.execPath, [join(root, 'dist/tools/ubusd/broker-main.js'), '-s', s, '-A', join(s, '..', 'acl')], { stdio: 'ignore' }));
  const ubusd = join(UPSTREAM, 'sbin/ubusd');
  if (existsSync(ubusd)) {
    await measureBus('real ubusd', (s) => spawn(ubusd, ['-s', s, '-A', join(s, '..', 'acl')], { stdio: 'ignore', env: { ...process.env, LD_LIBRARY_PATH: join(UPSTREAM, 'lib') } }));
  }
  process.exit(0);
}

void main();
