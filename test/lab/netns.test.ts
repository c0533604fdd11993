// The namespace utilities: names, loopback/sysctls, veth pairs (never touching the host namespace),
// exec and spawn, and cleanup by destroy(), by the exit and signal hooks, and by sweepStale().
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab, listNamespaces, namespaceOwner, pidAlive, sweepStale } from '../../tools/lab/netns.js';
import { ExecError, JsonLinesChild, run } from '../../tools/lab/process.js';

const PREFIX = 'nvl';        // this file's own labs
const CHILD_PREFIX = 'nvc';  // labs of lab-child processes (so our own sweeps never race with them)
let lab: Lab;

test.before(async () => {
  lab = await Lab.create({ prefix: PREFIX });
});

test.after.always(async () => {
  await lab?.destroy();
});

const hostLinks = async (): Promise<string[]> =>
  (JSON.parse((await run('ip', ['-json', 'link', 'show'])).stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort();

function startLabChild(mode: string): JsonLinesChild {
  const script = fileURLToPath(new URL('./fixtures/lab-child.js', import.meta.url));
  return new JsonLinesChild(spawn(process.execPath, [script, CHILD_PREFIX, mode], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

test('namespace names are unique to this run and carry its pid; loopback is up, sysctls set', async (t) => {
  const ns = await lab.namespace();
  const ns2 = await lab.namespace();
  t.regex(ns.name, /^nvl_[0-9a-z]+_[0-9a-z]+$/);
  t.not(ns.name, ns2.name);
  t.is(namespaceOwner(ns.name, PREFIX), process.pid);
  t.true(listNamespaces().includes(ns.name));
  const lo = JSON.parse((await ns.ip(['-json', 'link', 'show', 'lo'])).stdout) as Array<{ flags: string[] }>;
  t.true(lo[0]!.flags.includes('UP'));
  const { stdout } = await ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.all.disable_ipv6']);
  t.deepEqual(stdout.trim().split('\n'), ['1', '1', '0']);
  t.true(await ns.ping('127.0.0.1'));
  t.true(await ns.ping('::1'));
});

test('a veth pair between two namespaces carries IPv4 and IPv6 at once; the host namespace gains nothing', async (t) => {
  const before = await hostLinks();
  const a = await lab.namespace();
  const b = await lab.namespace();
  const v = await lab.veth({ ns: a, addresses: ['10.50.0.1/24', 'fd50::1/64'] }, { ns: b, name: 'uplink0', addresses: ['10.50.0.2/24', 'fd50::2/64'] }, { mtu: 1400 });
  t.is(v.b.name, 'uplink0');
  t.true(v.a.name.length <= 15);
  t.true(await a.ping('10.50.0.2'));
  t.true(await b.ping('10.50.0.1'));
  t.true(await a.ping('fd50::2'), 'IPv6 usable at once (nodad)');
  t.true(await b.ping('fd50::1'));
  const link = JSON.parse((await b.ip(['-json', 'link', 'show', 'uplink0'])).stdout) as Array<{ mtu: number }>;
  t.is(link[0]!.mtu, 1400);
  // A third namespace routed through b, to check default routes and forwarding.
  const c = await lab.namespace();
  await lab.veth({ ns: b, addresses: ['10.51.0.1/24', 'fd51::1/64'] }, { ns: c, addresses: ['10.51.0.2/24', 'fd51::2/64'] });
  await a.addRoute('default', { via: '10.50.0.2' });
  await a.addRoute('::/0', { via: 'fd50::2' });
  await c.addRoute('default', { via: '10.51.0.1' });
  await c.addRoute('::/0', { via: 'fd51::1' });
  t.true(await a.ping('10.51.0.2'), 'forwarded through b');
  t.true(await a.ping('fd51::2'), 'IPv6 forwarded through b');
  t.deepEqual(await hostLinks(), before);
});

test('bad names are TypeErrors', async (t) => {
  const a = await lab.namespace();
  await t.throwsAsync(lab.veth({ ns: a, name: 'a-name-of-16-chr' }, { ns: a }), { instanceOf: TypeError });
  await t.throwsAsync(lab.veth({ ns: a, name: 'bad name' }, { ns: a }), { instanceOf: TypeError });
  await t.throwsAsync(lab.veth({ ns: a, addresses: ['10.0.0.1'] }, { ns: a }), { instanceOf: TypeError });
  await t.throwsAsync(Lab.create({ prefix: 'Bad-Prefix' }), { instanceOf: TypeError });
  await t.throwsAsync(sweepStale('x y'), { instanceOf: TypeError });
});

test('exec returns output, and failures carry exit code and stderr', async (t) => {
  const a = await lab.namespace();
  const { stdout } = await a.exec('ip', ['-o', 'link', 'show', 'lo']);
  t.regex(stdout, /lo:/);
  const e1 = await t.throwsAsync(a.exec('false'), { instanceOf: ExecError });
  t.is(e1.exitCode, 1);
  const e2 = await t.throwsAsync(a.exec('ls', ['/no/such/path']), { instanceOf: ExecError });
  t.regex(e2.stderr, /No such file/);
  const { stdout: echoed } = await a.exec('cat', [], { input: 'to stdin' });
  t.is(echoed, 'to stdin');
});

test('destroy() kills every process it started (and their children) and deletes every namespace', async (t) => {
  const own = await Lab.create({ prefix: PREFIX });
  const a = await own.namespace();
  const b = await own.namespace();
  await own.veth({ ns: a }, { ns: b });
  const direct = a.spawn('sleep', ['1000'], { stdio: 'ignore' });
  const shell = b.spawn('sh', ['-c', 'sleep 1000 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const grandchild = Number(await new Promise<string>((r) => shell.stdout!.once('data', (d) => r(String(d)))));
  t.true(pidAlive(direct.pid!));
  t.true(pidAlive(grandchild));
  await own.destroy();
  await own.destroy();  // twice is fine
  t.false(listNamespaces().includes(a.name));
  t.false(listNamespaces().includes(b.name));
  t.not(direct.exitCode ?? direct.signalCode, null);
  await new Promise((r) => setTimeout(r, 100));
  t.false(pidAlive(grandchild) && !isZombie(grandchild), 'the grandchild was killed too');
});

function isZombie(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && /\) Z /.test(readFileSync(stat, 'utf8'));
}

test('a process that exits without destroy() still removes its namespaces and processes (exit hook)', async (t) => {
  const c = startLabChild('exit');
  const ready = await c.next((m) => m.type === 'ready', 15_000);
  t.is((await c.exited()).code, 0, c.stderr);
  for (const n of ready.namespaces) t.false(listNamespaces().includes(n), n);
  t.false(pidAlive(ready.sleeper) && !isZombie(ready.sleeper));
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`${sig} removes the namespaces and processes, and the process still dies of it`, async (t) => {
    const c = startLabChild('wait');
    const ready = await c.next((m) => m.type === 'ready', 15_000);
    t.true(listNamespaces().includes(ready.namespaces[0]));
    c.child.kill(sig);
    const { signal } = await c.exited();
    t.is(signal, sig);
    for (const n of ready.namespaces) t.false(listNamespaces().includes(n), n);
    t.false(pidAlive(ready.sleeper) && !isZombie(ready.sleeper));
  });
}

test('sweepStale() removes what a killed run left, and leaves live runs alone', async (t) => {
  const mine = await lab.namespace();
  const c = startLabChild('crash');
  const ready = await c.next((m) => m.type === 'ready', 15_000);
  t.is((await c.exited()).signal, 'SIGKILL');
  for (const n of ready.namespaces) t.true(listNamespaces().includes(n), `left behind: ${n}`);
  t.true(pidAlive(ready.sleeper), 'its process still runs');
  const removed = await sweepStale(CHILD_PREFIX);
  for (const n of ready.namespaces) t.true(removed.includes(n), `swept ${n}`);
  for (const n of ready.namespaces) t.false(listNamespaces().includes(n));
  await new Promise((r) => setTimeout(r, 100));
  t.false(pidAlive(ready.sleeper) && !isZombie(ready.sleeper), 'its process was killed');
  t.deepEqual(await sweepStale(PREFIX), [], 'our own live namespaces stay');
  t.true(listNamespaces().includes(mine.name));
});
