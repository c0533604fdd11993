// files/etc/hotplug.d/iface/50-nym-vpn, sourced in a subshell as hotplug-call does, with the fake
// ubus CLI on a real nym-ubusd: the exact network_event arguments (seen by a stand-in `nym-vpn`
// object, and answered by the real nym-vpnd), nothing at all when nym-vpn is not on the bus, and no
// call, no shell evaluation, for interface or device names that could break out of the JSON.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BusProcess, repoRoot } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';
import { BlobmsgType } from '../../src/ubus/constants.js';
import type { BlobmsgTable } from '../../src/ubus/blobmsg.js';
import { SHELLS, ScratchRoot, runShell, syntaxError, upstreamUbus, type Shell } from './sh.js';

// Before any test is declared (ava wants them all in the first tick): the upstream ubus CLI, built once.
const found = await upstreamUbus();
const upstream = 'skip' in found ? null : found;

const HOOK = join(repoRoot, 'files/etc/hotplug.d/iface/50-nym-vpn');

/** hotplug-call's way: `( . SCRIPT )` with the event in the environment. */
function hotplug(shell: Shell, root: ScratchRoot, socket: string, event: Record<string, string>, extra: NodeJS.ProcessEnv = {}) {
  root.clearLogs();
  return runShell(shell, ['-c', '( . "$1" ); echo "status $?"', 'hotplug-call', HOOK], root.env({ NYM_SHIM_UBUS_SOCKET: socket, ...event, ...extra }));
}

/** A bus with our own `nym-vpn` object that records network_event calls. */
async function standIn(): Promise<{ bus: BusProcess; calls: BlobmsgTable[]; close: () => Promise<void> }> {
  const bus = new BusProcess();
  await bus.start();
  const client = await UbusClient.connect({ socket: bus.socket, reconnect: false });
  const calls: BlobmsgTable[] = [];
  await client.addObject('nym-vpn', {
    network_event: {
      args: [['interface', BlobmsgType.STRING], ['action', BlobmsgType.STRING], ['device', BlobmsgType.STRING]],
      handler: (ctx) => { calls.push(ctx.args); return { handled: true }; },
    },
  });
  return { bus, calls, close: async () => { client.close(); await bus.close(); } };
}

const HOSTILE = [
  'wan","action":"ifdown',
  'wan\\',
  '$(touch MARK)',
  '`touch MARK`',
  "wan'; touch MARK; '",
  'wan;touch MARK',
  'lan wan',
  'wan\nifdown',
  'wän',
  'wan\t',
  'a'.repeat(33),
  '*',
];

test('the hook parses under every shell (sh -n)', (t) => {
  for (const shell of SHELLS) t.is(syntaxError(shell, HOOK), null, shell.name);
});

for (const shell of SHELLS) {
  const name = (s: string) => `[${shell.name}] ${s}`;

  test.serial(name('ifup/ifdown/ifupdate: one network_event call with interface, action and device'), async (t) => {
    const root = new ScratchRoot();
    const s = await standIn();
    try {
      for (const action of ['ifup', 'ifdown', 'ifupdate']) {
        s.calls.length = 0;
        const r = await hotplug(shell, root, s.bus.socket, { ACTION: action, INTERFACE: 'wan_6', DEVICE: 'eth0.2' });
        t.is(r.stdout, 'status 0\n', r.stderr);
        t.is(r.stderr, '', 'quiet');
        t.deepEqual(s.calls, [{ interface: 'wan_6', action, device: 'eth0.2' }], action);
        const calls = root.ubusArgv().filter((a) => a.includes('call'));
        t.deepEqual(calls, [['-t', '5', 'call', 'nym-vpn', 'network_event', `{"interface":"wan_6","action":"${action}","device":"eth0.2"}`]]);
      }
      s.calls.length = 0;
      await hotplug(shell, root, s.bus.socket, { ACTION: 'ifup', INTERFACE: 'wwan@x', DEVICE: '' });
      t.deepEqual(s.calls, [{ interface: 'wwan@x', action: 'ifup' }], 'no device: the field is left out');
    } finally {
      await s.close();
      root.remove();
    }
  });

  test.serial(name('other actions, no INTERFACE, or nym-vpn not on the bus: no call'), async (t) => {
    const root = new ScratchRoot();
    const s = await standIn();
    try {
      const events: Record<string, string>[] = [{ ACTION: 'add', INTERFACE: 'wan' }, { ACTION: 'ifup-failed', INTERFACE: 'wan' }, { ACTION: '', INTERFACE: 'wan' }, { ACTION: 'ifup' }, { ACTION: 'ifup', INTERFACE: '' }];
      for (const ev of events) {
        const r = await hotplug(shell, root, s.bus.socket, ev);
        t.is(r.stdout, 'status 0\n');
        t.deepEqual(root.ubusArgv(), [], JSON.stringify(ev));
      }
      t.deepEqual(s.calls, []);
      const empty = new BusProcess();
      await empty.start();
      try {
        const r = await hotplug(shell, root, empty.socket, { ACTION: 'ifup', INTERFACE: 'wan', DEVICE: 'eth1' });
        t.is(r.stdout, 'status 0\n');
        t.is(r.stderr, '');
        t.deepEqual(root.ubusArgv(), [['list', 'nym-vpn']], 'only the check that nym-vpn is there');
      } finally {
        await empty.close();
      }
      const r = await hotplug(shell, root, join(root.dir, 'no.sock'), { ACTION: 'ifup', INTERFACE: 'wan' });
      t.is(r.stdout, 'status 0\n', 'no bus at all: also quiet');
      t.is(r.stderr, '');
    } finally {
      await s.close();
      root.remove();
    }
  });

  test.serial(name('hostile interface and device names: no call, nothing evaluated'), async (t) => {
    const root = new ScratchRoot();
    const s = await standIn();
    const mark = join(root.dir, 'MARK');
    try {
      for (const bad of HOSTILE) {
        for (const ev of [{ ACTION: 'ifup', INTERFACE: bad, DEVICE: 'eth0' }, { ACTION: 'ifup', INTERFACE: 'wan', DEVICE: bad }]) {
          const r = await hotplug(shell, root, s.bus.socket, ev, { PWD: root.dir });
          t.is(r.stdout, 'status 0\n', JSON.stringify(ev));
          t.deepEqual(root.ubusArgv().filter((a) => a.includes('call')), [], JSON.stringify(ev));
        }
      }
      t.deepEqual(s.calls, []);
      t.false(existsSync(mark));
      t.false(existsSync(join(repoRoot, 'MARK')));
    } finally {
      await s.close();
      root.remove();
    }
  });
}

test.serial('the real nym-vpnd takes the call: reply {handled: false} for now', async (t) => {
  const root = new ScratchRoot();
  const bus = new BusProcess();
  try {
    await bus.start();
    await bus.startDaemon(root.dir);
    const r = await hotplug(SHELLS[0]!, root, bus.socket, { ACTION: 'ifup', INTERFACE: 'wan', DEVICE: 'eth1' });
    t.is(r.stdout, 'status 0\n', r.stderr);
    const entries = root.ubusEntries();
    t.deepEqual(entries.map((e) => e.argv ?? e.exit), [['list', 'nym-vpn'], 0,
      ['-t', '5', 'call', 'nym-vpn', 'network_event', '{"interface":"wan","action":"ifup","device":"eth1"}'], 0]);
    t.deepEqual(entries[3]?.reply, { handled: false });
  } finally {
    await bus.close();
    root.remove();
  }
});

if ('skip' in found) test('the upstream ubus CLI', (t) => { t.log(`skipped: ${found.skip}`); t.pass(); });
(upstream ? test.serial : test.skip)('the upstream ubus CLI parses the JSON the hook builds', async (t) => {
  const root = new ScratchRoot();
  const s = await standIn();
  try {
    const r = await hotplug(SHELLS[0]!, root, s.bus.socket, { ACTION: 'ifupdate', INTERFACE: 'lan', DEVICE: 'br-lan' },
      { NYM_SHIM_REAL_UBUS: upstream!.bin, ...upstream!.env });
    t.is(r.stdout, 'status 0\n', r.stderr);
    t.deepEqual(s.calls, [{ interface: 'lan', action: 'ifupdate', device: 'br-lan' }]);
    const empty = new BusProcess();
    await empty.start();
    try {
      await hotplug(SHELLS[0]!, root, empty.socket, { ACTION: 'ifup', INTERFACE: 'wan' }, { NYM_SHIM_REAL_UBUS: upstream!.bin, ...upstream!.env });
      t.deepEqual(root.ubusArgv(), [['list', 'nym-vpn']], 'the real `ubus list nym-vpn` fails when it is absent: no call');
    } finally {
      await empty.close();
    }
  } finally {
    await s.close();
    root.remove();
  }
});
