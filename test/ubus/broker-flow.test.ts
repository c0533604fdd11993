// Flow control and the executable: a client that stops reading loses messages as with ubusd (or, with
// --on-queue-full disconnect, is disconnected) instead of growing the broker; a big LOOKUP is paced
// behind a slow reader and still arrives whole; nym-ubusd honours its options and signals.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from './fixtures-broker/harness.js';
import { RawClient } from './fixtures-broker/raw-client.js';
import { repoRoot } from './captures.js';
import * as proto from '../../src/ubus/proto.js';
import { BlobmsgType, MsgType } from '../../src/ubus/constants.js';

/** A connection that never reads: only HELLO is taken off the wire. */
function silentPeer(path: string) {
  const s = connect(path);
  s.on('error', () => {});
  let closed = false;
  s.on('close', () => { closed = true; });
  s.pause();
  return { s, isClosed: () => closed };
}

async function flood(h: Awaited<ReturnType<typeof startBroker>>, listenerPattern: string) {
  const peer = silentPeer(h.socketPath);
  // Register a listener through the silent socket (writes still go out; we just never read).
  peer.s.write(proto.addObject(1));
  const anonymous = () => [...h.broker.registry.objects.values()].find((o) => o.owner && o.path === null);
  await waitFor(() => anonymous() !== undefined);
  const obj = anonymous()!.id;
  peer.s.write(proto.invoke(2, 1, 'register', { object: obj | 0, pattern: listenerPattern }));
  await waitFor(() => h.broker.stats().patterns > 0);
  const sender = await h.connect();
  const big = 'x'.repeat(60000);
  for (let i = 0; i < 200 && h.broker.stats().clients === 2; i++) {
    await sender.request(proto.invoke(sender.nextSeq(), 1, 'send', { id: listenerPattern, data: { big } }));
  }
  return { peer, sender };
}

test('with --on-queue-full disconnect, a client that stops reading is disconnected once its backlog passes the limit; the broker stays bounded', async (t) => {
  const h = await startBroker({ queueLimit: 256 * 1024, onQueueFull: 'disconnect' });
  try {
    const { peer, sender } = await flood(h, 'firehose');
    // The peer is paused, so it will not see the EOF; the broker's side tells.
    t.true(await waitFor(() => h.broker.stats().clients === 1));
    t.true(h.log.some((l) => l.includes('unread; disconnected')));
    t.is(h.broker.stats().patterns, 0, 'its listener went with it');
    peer.s.destroy();
    t.is((await sender.request(proto.ping(sender.nextSeq()))).status.attrs.status, 0);
  } finally { await h.close(); }
});

test('by default (drop-message, ubusd\'s way) the slow client stays and the excess is dropped', async (t) => {
  const h = await startBroker({ queueLimit: 256 * 1024 });
  try {
    const { peer } = await flood(h, 'firehose');
    t.false(peer.isClosed());
    t.true(h.broker.stats().dropped > 0);
    let queued = 0;
    for (const c of h.broker.clients.values()) queued = Math.max(queued, c.backlog);
    t.true(queued < 256 * 1024 + 1048576 + 8 + 61000, `backlog ${queued}`);
    peer.s.destroy();
  } finally { await h.close(); }
});

test('a LOOKUP of many big objects is paced behind a slow reader and arrives whole, then STATUS', async (t) => {
  const h = await startBroker();
  try {
    const owner = await h.connect();
    const methods = Array.from({ length: 40 }, (_, i) => ({ name: `method_${i}_${'m'.repeat(60)}`, args: [['arg', BlobmsgType.STRING]] as const }));
    for (let i = 0; i < 600; i++) owner.send(proto.addObject(owner.nextSeq(), `obj.${String(i).padStart(4, '0')}`, methods));
    await owner.next((m) => m.type === MsgType.STATUS && m.seq === 600, 10000);
    const reader = silentPeer(h.socketPath);
    reader.s.write(proto.lookup(1));
    // The broker has answered as far as the reader's backlog allows and keeps the rest for later.
    await waitFor(() => [...h.broker.clients.values()].some((c) => c.lookups.length > 0));
    // The answer (~3.5 MB) is more than the 1 MiB queue limit: only pacing gets it through.
    const frames: number[] = [];
    let buf = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      reader.s.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 12) {
          const len = 8 + (buf.readUInt32BE(8) & 0xffffff);
          if (buf.length < len) break;
          frames.push(buf[1]!);
          buf = buf.subarray(len);
          if (frames[frames.length - 1] === MsgType.STATUS && frames.length > 600) resolve();
        }
      });
    });
    reader.s.resume();
    await done;
    t.is(frames.filter((x) => x === MsgType.DATA).length, 600);
    t.false(reader.isClosed());
    reader.s.destroy();
  } finally { await h.close(); }
});

function runMain(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(repoRoot, 'dist/tools/ubusd/broker-main.js'), ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  // 'close', not 'exit': only then has all of its stderr been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return cond();
}

test('nym-ubusd: UBUS_SOCKET, a stale socket replaced, mode 0666, SIGHUP reloads ACLs, SIGTERM removes the socket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nym-ubusd-main-'));
  const sock = join(dir, 'run', 'ubus.sock');
  const aclDir = join(dir, 'acl');
  mkdirSync(aclDir);
  // A stale socket file left by a dead bus.
  mkdirSync(join(dir, 'run'));
  const stale = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((r) => stale.on('exit', r));
  t.true(existsSync(sock));
  const m = runMain(['--acl-dir', aclDir], { UBUS_SOCKET: sock });
  try {
    t.true(await waitFor(() => m.stderr().includes('listening')), m.stderr());
    t.is(statSync(sock).mode & 0o777, 0o666);
    const c = await RawClient.connect(sock);
    t.is((await c.request(proto.ping(1))).status.attrs.status, 0);
    writeFileSync(join(aclDir, 'a.json'), JSON.stringify({ user: 'nobody', access: { x: { methods: ['*'] } } }), { mode: 0o644 });
    m.child.kill('SIGHUP');
    t.true(await waitFor(() => m.stderr().includes('ACL reloaded: 1 file')), m.stderr());
    // A second bus on the same live socket refuses to start.
    const second = runMain(['-s', sock]);
    t.is(await second.exited, 1);
    t.regex(second.stderr(), /another bus is listening/);
    c.close();
    m.child.kill('SIGTERM');
    t.is(await m.exited, 0);
    t.false(existsSync(sock));
  } finally {
    m.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nym-ubusd: bad options exit 2 with usage', async (t) => {
  const m = runMain(['--frobnicate']);
  t.is(await m.exited, 2);
  t.regex(m.stderr(), /Usage: nym-ubusd/);
});
