// The boot guard's life, with real packets, for fw4 and for fw3: loaded by the firewall's start at boot
// from the shipped files (nym-vpnd not running), kept through reloads until nym-vpnd decides, gone when
// its kill switch replaces it or it lifts everything, back at the next boot (the runtime files are in
// RAM), and absent at boot once the owner has turned the kill switch off.
import test, { type ExecutionContext } from 'ava';
import { Firewall } from '../../src/firewall/firewall.js';
import { fw3 } from './fw3-emulator.js';
import { fw4 } from './fw4-emulator.js';
import {
  BOOT_GUARD, KILL_SWITCH, OPEN, TOPO_STATE, mismatches, rebootFiles, scratchRoot, startProbes,
  type Probes, type ScratchRoot,
} from './probes.js';
import { buildTopology, type Topology } from './topology.js';

let topo: Topology;
let probes: Probes;
const roots: ScratchRoot[] = [];

test.before(async () => {
  topo = await buildTopology('nfb');
  probes = await startProbes(topo);
});

test.after.always(async () => {
  await topo?.lab.destroy();
  for (const r of roots) await r.cleanup();
});

/** What differs between the backends: how the router boots and reloads its firewall. */
interface Backend {
  /** Power cycle: RAM gone, the firewall empty, then its start (nym-vpnd not started). */
  boot(): Promise<void>;
  reload(): Promise<void>;
  firewall: Firewall;
}

async function lifecycle(t: ExecutionContext, b: Backend): Promise<void> {
  const expect = async (what: string, e: Record<string, boolean>): Promise<void> => {
    t.deepEqual(await mismatches(probes, e), [], what);
  };

  await b.boot();
  t.like(await b.firewall.status(), { killSwitch: false, bootGuard: true, bootGuardEnabled: true });
  await expect('at boot: the boot guard alone blocks LAN forwarding outside the tunnel', BOOT_GUARD);
  await b.reload();
  await expect('through a reload before nym-vpnd started', BOOT_GUARD);

  t.is(await b.firewall.apply({ ...TOPO_STATE, state: 'connecting' }), 'kill-switch');
  t.like(await b.firewall.status(), { killSwitch: true, bootGuard: false });
  await expect('connecting: the kill switch replaced the boot guard', KILL_SWITCH);
  await b.reload();
  t.like(await b.firewall.status(), { killSwitch: true, bootGuard: false }, 'a reload does not bring the boot guard back');

  t.is(await b.firewall.apply({ ...TOPO_STATE, state: 'disconnected', endpoints: [] }), 'lifted');
  await b.reload();
  t.like(await b.firewall.status(), { killSwitch: false, bootGuard: false });
  await expect('disconnected by the owner: open, also after a reload', OPEN);

  await b.boot();
  t.like(await b.firewall.status(), { killSwitch: false, bootGuard: true });
  await expect('the next boot: guarded again', BOOT_GUARD);

  t.is(await b.firewall.apply({ ...TOPO_STATE, killSwitch: false }), 'lifted');
  t.like(await b.firewall.status(), { bootGuard: false, bootGuardEnabled: false });
  await b.boot();
  t.like(await b.firewall.status(), { killSwitch: false, bootGuard: false });
  await expect('kill switch turned off by the owner: no boot guard at boot', OPEN);

  await b.firewall.apply({ ...TOPO_STATE, state: 'disconnected', endpoints: [] });  // turned on again while disconnected
  t.like(await b.firewall.status(), { killSwitch: false, bootGuard: false, bootGuardEnabled: true });
  await b.boot();
  await expect('turned on again: guarded from the next boot', BOOT_GUARD);
  await b.firewall.uninstall();
}

test.serial('fw4: boot guard from boot to the daemon\'s decision, and back at the next boot', async (t) => {
  const s = await scratchRoot({ backend: 'fw4' });
  roots.push(s);
  const emu = fw4(topo.router, s.root);
  const firewall = await Firewall.create({ root: s.root, netns: topo.router.name });
  t.is(firewall.backend, 'fw4');
  await lifecycle(t, {
    boot: async () => {
      await rebootFiles(s);
      await emu.flush();
      await emu.start();
    },
    reload: () => emu.reload(),
    firewall,
  });
  await emu.flush();
});

test.serial('fw3: boot guard from boot to the daemon\'s decision, and back at the next boot', async (t) => {
  const s = await scratchRoot({ backend: 'fw3' });
  roots.push(s);
  const bins = { iptables: 'iptables-legacy', ip6tables: 'ip6tables-legacy' };
  const emu = fw3(topo.router, { root: s.root, includePath: s.paths.fw3Include, ...bins });
  const firewall = await Firewall.create({ root: s.root, netns: topo.router.name, ...bins });
  t.is(firewall.backend, 'fw3');
  await lifecycle(t, {
    boot: async () => {
      await rebootFiles(s);
      await emu.flush();
      await emu.start();
    },
    reload: () => emu.reload(),
    firewall,
  });
  await emu.flush();
});
