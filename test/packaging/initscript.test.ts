// files/etc/init.d/nym-vpn under a procd-like shim (test/packaging/shim): what it hands procd on
// start/boot/reload, that `enabled` decides whether an instance exists, that a UCI change reaches the
// running daemon as `ubus call nym-vpn reload` (a real nym-vpnd on a real nym-ubusd), and that the
// script restarts the daemon when nothing answers. Every case runs under each available shell.
import test from 'ava';
import { existsSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BusProcess, repoRoot, waitFor } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';
import { DAEMON_NODE_FLAGS } from '../../tools/lab/router.js';
import { readCalls, serviceCalls, type ServiceCall } from './procd-model.js';
import { SHELLS, SHIM_DIR, ScratchRoot, runShell, syntaxError, upstreamUbus, type Shell } from './sh.js';

// Before any test is declared (ava wants them all in the first tick): the upstream ubus CLI, built once.
const found = await upstreamUbus();
const upstream = 'skip' in found ? null : found;

const INIT = join(repoRoot, 'files/etc/init.d/nym-vpn');
const RC_COMMON = join(SHIM_DIR, 'rc.common');

// The same node flags as the lab gives the daemon (tools/lab/router.ts), so that benchmarks measure what a
// router runs.
const DAEMON_INSTANCE = {
  command: ['/usr/bin/node', ...DAEMON_NODE_FLAGS, '/usr/lib/nym-vpn/dist/src/daemon/main.js'],
  respawn: ['3600', '5', '5'],
  stdout: true,
  stderr: true,
};
const RELOAD_TRIGGER = ['config.change', ['if', ['eq', 'package', 'nym-vpn'], ['run_script', '/etc/init.d/nym-vpn', 'reload']], 1000];

const setEnabled = (v: string | null) => (text: string) => {
  const without = text.replace(/^\toption enabled .*\n/m, '');
  return v === null ? without : without.replace(/^config nym-vpn 'main'\n/m, `config nym-vpn 'main'\n\toption enabled '${v}'\n`);
};

async function initScript(shell: Shell, root: ScratchRoot, action: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string; procd: ServiceCall[] }> {
  root.clearLogs();
  const r = await runShell(shell, [RC_COMMON, INIT, action], root.env(env));
  return { code: r.code, stderr: r.stderr, procd: serviceCalls(readCalls(root.procdLog)) };
}

function setMessage(instances: object): ServiceCall {
  return { method: 'set', msg: { name: 'nym-vpn', script: INIT, instances: instances as never, triggers: [RELOAD_TRIGGER] } };
}

test('the init script and the shim parse under every shell (sh -n)', (t) => {
  for (const shell of SHELLS) {
    for (const f of [INIT, RC_COMMON, join(SHIM_DIR, 'functions.sh'), join(SHIM_DIR, 'procd.sh')]) {
      t.is(syntaxError(shell, f), null, `${shell.name} -n ${f}`);
    }
  }
  t.log(`shells: ${SHELLS.map((s) => s.name).join(', ')}`);
});

for (const shell of SHELLS) {
  const name = (s: string) => `[${shell.name}] ${s}`;

  test(name('start with enabled=1: one daemon instance, respawn 3600 5 5, output to syslog, reload trigger'), async (t) => {
    const root = new ScratchRoot(setEnabled('1'));
    try {
      const r = await initScript(shell, root, 'start');
      t.is(r.code, 0, r.stderr);
      t.deepEqual(r.procd, [setMessage({ instance1: DAEMON_INSTANCE })]);
      t.deepEqual(root.ubusArgv(), [], 'start does not talk to the daemon');
    } finally {
      root.remove();
    }
  });

  test(name('boot is start; enabled missing means on; yes/on/true count as on'), async (t) => {
    for (const v of [null, 'yes', 'on', 'true']) {
      const root = new ScratchRoot(setEnabled(v));
      try {
        const r = await initScript(shell, root, 'boot');
        t.is(r.code, 0, r.stderr);
        t.deepEqual(r.procd, [setMessage({ instance1: DAEMON_INSTANCE })], `enabled=${String(v)}`);
      } finally {
        root.remove();
      }
    }
  });

  test(name('enabled=0: the service is registered without an instance (procd stops a running one), triggers kept'), async (t) => {
    for (const v of ['0', 'off', 'no']) {
      const root = new ScratchRoot(setEnabled(v));
      try {
        for (const action of ['start', 'boot']) {
          const r = await initScript(shell, root, action);
          t.is(r.code, 0, r.stderr);
          t.deepEqual(r.procd, [setMessage({})], `enabled=${v} ${action}`);
        }
      } finally {
        root.remove();
      }
    }
  });

  test(name('stop asks procd to delete the service; restart is stop then start'), async (t) => {
    const root = new ScratchRoot();
    try {
      t.deepEqual((await initScript(shell, root, 'stop')).procd, [{ method: 'delete', msg: { name: 'nym-vpn' } }]);
      t.deepEqual((await initScript(shell, root, 'restart')).procd,
        [{ method: 'delete', msg: { name: 'nym-vpn' } }, setMessage({ instance1: DAEMON_INSTANCE })]);
    } finally {
      root.remove();
    }
  });

  test.serial(name('reload: `ubus call nym-vpn reload` reaches the running nym-vpnd, which re-reads the file; no restart'), async (t) => {
    const root = new ScratchRoot();
    const bus = new BusProcess();
    try {
      await bus.start();
      await bus.startDaemon(root.dir);
      root.editConfig((s) => s.replace("option log_level 'info'", "option log_level 'debug'"));
      const r = await initScript(shell, root, 'reload', { NYM_SHIM_UBUS_SOCKET: bus.socket });
      t.is(r.code, 0, r.stderr);
      t.deepEqual(r.procd, [], 'procd is not involved: the daemon keeps running');
      const entries = root.ubusEntries();
      t.deepEqual(entries[0]?.argv, ['-t', '10', 'call', 'nym-vpn', 'reload']);
      t.is(entries[1]?.exit, 0);
      const reply = entries[1]?.reply as { reloaded: boolean; changed: string[] };
      t.true(reply.reloaded);
      t.true(reply.changed.some((c) => /log_?level/i.test(c)), `the daemon saw the edit: ${JSON.stringify(reply)}`);
      t.is(entries.length, 2, 'one ubus run');
    } finally {
      await bus.close();
      root.remove();
    }
  });

  test.serial(name('reload with no daemon on the bus, or no bus at all: restart (delete, then set with the instance)'), async (t) => {
    const root = new ScratchRoot();
    const bus = new BusProcess();
    try {
      await bus.start();
      for (const [what, socket, status] of [['no daemon', bus.socket, 4], ['no bus', join(root.dir, 'absent.sock'), 255]] as const) {
        const r = await initScript(shell, root, 'reload', { NYM_SHIM_UBUS_SOCKET: socket });
        t.is(r.code, 0, r.stderr);
        const entries = root.ubusEntries();
        t.deepEqual(entries[0]?.argv, ['-t', '10', 'call', 'nym-vpn', 'reload'], what);
        t.is(entries[1]?.exit, status, `${what}: ubus exits ${status}`);
        t.deepEqual(r.procd, [{ method: 'delete', msg: { name: 'nym-vpn' } }, setMessage({ instance1: DAEMON_INSTANCE })], what);
      }
    } finally {
      await bus.close();
      root.remove();
    }
  });

  test(name('reload with enabled=0: no call to the daemon; the service is set without an instance'), async (t) => {
    const root = new ScratchRoot(setEnabled('0'));
    try {
      const r = await initScript(shell, root, 'reload');
      t.is(r.code, 0, r.stderr);
      t.deepEqual(root.ubusArgv(), []);
      t.deepEqual(r.procd, [setMessage({})]);
    } finally {
      root.remove();
    }
  });

  test(name('enable / enabled / disable: S90 and K10 links in rc.d'), async (t) => {
    const root = new ScratchRoot();
    const inst = join(root.dir, 'instroot');
    mkdirSync(join(inst, 'etc/rc.d'), { recursive: true });
    try {
      const env = { IPKG_INSTROOT: inst };
      t.is((await initScript(shell, root, 'enabled', env)).code, 1);
      t.is((await initScript(shell, root, 'enable', env)).code, 0);
      t.is(readlinkSync(join(inst, 'etc/rc.d/S90nym-vpn')), '../init.d/nym-vpn');
      t.is(readlinkSync(join(inst, 'etc/rc.d/K10nym-vpn')), '../init.d/nym-vpn');
      t.is((await initScript(shell, root, 'enabled', env)).code, 0);
      t.is((await initScript(shell, root, 'disable', env)).code, 0);
      t.false(existsSync(join(inst, 'etc/rc.d/S90nym-vpn')));
      t.is((await initScript(shell, root, 'enabled', env)).code, 1);
    } finally {
      root.remove();
    }
  });
}

if ('skip' in found) test('the upstream ubus CLI', (t) => { t.log(`skipped: ${found.skip}`); t.pass(); });
(upstream ? test.serial : test.skip)('reload through the upstream ubus CLI: reaches nym-vpnd; exit 4 without it, then restart', async (t) => {
  const root = new ScratchRoot();
  const bus = new BusProcess();
  try {
    await bus.start();
    await bus.startDaemon(root.dir);
    const real = { NYM_SHIM_UBUS_SOCKET: bus.socket, NYM_SHIM_REAL_UBUS: upstream!.bin, ...upstream!.env };
    const r = await initScript(SHELLS[0]!, root, 'reload', real);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(r.procd, []);
    t.deepEqual(root.ubusEntries().map((e) => e.exit ?? null), [null, 0]);
    for (const c of bus.children) c.kill('SIGKILL');
    await waitFor(async () => {
      const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
      try { return (await c.lookup('nym-vpn')).length === 0; } finally { c.close(); }
    });
    const gone = await initScript(SHELLS[0]!, root, 'reload', real);
    t.deepEqual(root.ubusEntries().map((e) => e.exit ?? null), [null, 4], 'the real CLI exits 4 (not found)');
    t.deepEqual(gone.procd.map((c) => c.method), ['delete', 'set'], 'so the daemon is restarted');
  } finally {
    await bus.close();
    root.remove();
  }
});
