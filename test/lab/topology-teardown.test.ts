// Teardown of a whole lab: destroy() in this process; the exit and signal hooks of a process that owns a
// lab (SIGINT, SIGTERM, process.exit); and sweepStaleLabs() after a process that was SIGKILLed.
// Each leaves no namespace, no process, no wireguard-go socket, no temp dir behind.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { listNamespaces, pidAlive } from '../../tools/lab/netns.js';
import { JsonLinesChild } from '../../tools/lab/process.js';
import { buildLab, sweepStaleLabs } from '../../tools/lab/topology.js';
import { WG_SOCKET_DIR } from '../../tools/lab/wireguard-go.js';

interface Made {
  namespaces: string[];
  sockets: string[];
  workDir: string;
  pids: number[];
}

const CHILD = fileURLToPath(new URL('./fixtures-topology/lab-child.js', import.meta.url));

function leftovers(m: Made): string[] {
  const live = listNamespaces();
  return [
    ...m.namespaces.filter((n) => live.includes(n)).map((n) => `namespace ${n}`),
    ...m.sockets.filter((s) => existsSync(`${WG_SOCKET_DIR}/${s}`)).map((s) => `socket ${s}`),
    ...(existsSync(m.workDir) ? [`dir ${m.workDir}`] : []),
    ...m.pids.filter(pidAlive).map((p) => `pid ${p}`),
  ];
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
}

async function startChild(prefix: string, mode: string): Promise<{ child: JsonLinesChild; made: Made }> {
  const child = new JsonLinesChild(spawn(process.execPath, [CHILD, prefix, mode], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const made = await child.next<Made & { type: string }>((m) => m.type === 'ready', 30_000);
  return { child, made };
}

test.serial('destroy() removes every namespace, process, socket and the temp dir; timed', async (t) => {
  const lab = await buildLab({ prefix: 'nlx', daemon: 'start' });
  const made: Made = {
    namespaces: lab.lab.namespaces.map((n) => n.name),
    sockets: [...lab.gateways.values()].map((g) => `${g.wg.name}.sock`),
    workDir: lab.workDir,
    pids: [...lab.gateways.values()].map((g) => g.wg.pid!).concat([lab.router.daemon!.pid!, lab.router.bus!.pid!]),
  };
  t.is(made.namespaces.length, 6);
  t.deepEqual(made.sockets.filter((s) => !existsSync(`${WG_SOCKET_DIR}/${s}`)), []);
  const t0 = Date.now();
  await lab.destroy();
  t.log(`built in ${lab.buildMs} ms (with bus and nym-vpnd), destroyed in ${Date.now() - t0} ms`);
  t.deepEqual(leftovers(made), []);
  await lab.destroy();  // twice is fine
});

for (const [mode, signal] of [['wait', 'SIGINT'], ['wait', 'SIGTERM'], ['exit', undefined]] as const) {
  test.serial(`a process that owns a lab cleans up on ${signal ?? 'process.exit'}`, async (t) => {
    const { child, made } = await startChild('nlc', mode);
    t.true(made.namespaces.length > 0 && made.sockets.length === 2 && made.pids.length === 2);
    if (signal !== undefined) child.child.kill(signal);
    const exit = await child.exited(15_000);
    if (signal !== undefined) t.is(exit.signal, signal, 'the hooks re-raise the signal');
    await until(() => leftovers(made).length === 0);
    t.deepEqual(leftovers(made), [], child.stderr);
  });
}

test.serial('after a SIGKILLed owner, sweepStaleLabs() removes what it left', async (t) => {
  const { child, made } = await startChild('nlk', 'crash');
  await child.exited(15_000);
  t.true(leftovers(made).length > 0, 'a crash leaves things behind');
  const swept = await sweepStaleLabs('nlk');
  t.deepEqual([...swept.namespaces].sort(), [...made.namespaces].sort());
  t.true(made.sockets.every((s) => swept.sockets.includes(s.replace(/\.sock$/, ''))));
  t.true(swept.workDirs.includes(made.workDir));
  await until(() => leftovers(made).length === 0);
  t.deepEqual(leftovers(made), []);
});

test.serial('a build that fails half-way removes what it had made', async (t) => {
  const before = new Set(listNamespaces());
  const sockets = () => readdirSync(WG_SOCKET_DIR).filter((s) => s.startsWith(`nwg_${process.pid.toString(36)}_`));
  const socketsBefore = sockets();
  const error = await t.throwsAsync(buildLab({ prefix: 'nlf', daemonOptions: { args: ['--no-such-option'] } }));
  t.regex(error!.message, /nym-vpnd/);
  t.deepEqual(listNamespaces().filter((n) => !before.has(n) && n.startsWith('nlf_')), []);
  t.deepEqual(sockets(), socketsBefore);
  t.deepEqual(readdirSync(tmpdir()).filter((d) => d.startsWith(`nymlab-${process.pid.toString(36)}-`)), []);
});
