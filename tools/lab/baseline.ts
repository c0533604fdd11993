// The benchmark's baseline: the same two hops nym-vpnd makes, done by two nested wireguard-go tunnels on
// the router. wgE (our entry key) goes to the entry gateway over the WAN; wgX (our exit key) goes to the
// exit gateway through wgE (a host route sends the exit's endpoint into wgE); LAN traffic is policy-routed
// into wgX and masqueraded to our exit-tunnel address, since the exit only accepts that source.
// Same keys, addresses and MTUs as nym-vpnd; never run it while nym-vpnd's tunnel is up.
import { join } from 'node:path';
import { ENTRY_MTU, INNER_MTU, IF, type GatewayPlan } from './addresses.js';
import type { NymLab } from './topology.js';
import { WireguardGo, wireguardName } from './wireguard-go.js';

/** Routing table and rule priority of the LAN → wgX policy (distinct from anything OpenWrt uses). */
export const BASELINE_TABLE = 51;
export const BASELINE_RULE_PRIORITY = 5100;

export interface BaselineOptions {
  /** Gateway ids; default the lab's default choice (first entry and exit by id). */
  entry?: string;
  exit?: string;
}

export interface Baseline {
  entry: GatewayPlan;
  exit: GatewayPlan;
  /** Interface names of the two tunnels on the router. */
  wgE: string;
  wgX: string;
  /** The two wireguard-go processes (for CPU accounting). */
  pids(): number[];
  stop(): Promise<void>;
}

export function baselineRuleset(wgX: string): string {
  return `table inet lab_baseline {
  chain forward {
    type filter hook forward priority mangle; policy accept;
    oifname "${wgX}" tcp flags syn tcp option maxseg size set rt mtu
  }
  chain srcnat {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${wgX}" masquerade
  }
}
`;
}

/** Starts the two nested tunnels on the router and routes the LAN through them. */
export async function startBaselineTwoHop(lab: NymLab, opts: BaselineOptions = {}): Promise<Baseline> {
  const entry = lab.gatewayPlan(opts.entry ?? lab.defaultEntry.id);
  const exit = lab.gatewayPlan(opts.exit ?? lab.defaultExit.id);
  if (entry.role !== 'entry' || exit.role !== 'exit') throw new TypeError(`baseline needs an entry and an exit, got ${entry.id} and ${exit.id}`);
  const router = lab.ns.router;
  const files = lab.files;
  const wgE = new WireguardGo(router, wireguardName(), {
    privateKeyFile: files.entryKeyFile,
    peers: [{
      publicKey: lab.gateway(entry.id).keys.publicKey,
      endpoint: entry.endpoint,
      // Only the exit's endpoint travels in the entry tunnel.
      allowedIps: [`${exit.ip}/32`, `${exit.ip6}/128`],
      persistentKeepalive: 25,
    }],
    addresses: [`${entry.ours.v4}/32`, `${entry.ours.v6}/128`],
    mtu: ENTRY_MTU,
  }, join(lab.workDir, 'baseline-wgE.log'));
  const wgX = new WireguardGo(router, wireguardName(), {
    privateKeyFile: files.exitKeyFile,
    peers: [{ publicKey: lab.gateway(exit.id).keys.publicKey, endpoint: exit.endpoint, allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 }],
    addresses: [`${exit.ours.v4}/32`, `${exit.ours.v6}/128`],
    mtu: INNER_MTU,
  }, join(lab.workDir, 'baseline-wgX.log'));
  const undo = async () => {
    for (const family of ['-4', '-6']) {
      await router.ip([family, 'rule', 'del', 'priority', String(BASELINE_RULE_PRIORITY)]).catch(() => {});
    }
    await router.exec('nft', ['delete', 'table', 'inet', 'lab_baseline']).catch(() => {});
    await Promise.all([wgX.stop(), wgE.stop()]);
    wgE.forget();
    wgX.forget();
  };
  try {
    await Promise.all([wgE.start(), wgX.start()]);
    await router.exec('nft', ['-f', '-'], { input: baselineRuleset(wgX.name) });
    await router.ipBatch([
      // The exit's endpoint through the entry tunnel, from our entry-tunnel address.
      `route replace ${exit.ip}/32 dev ${wgE.name} src ${entry.ours.v4}`,
      `route replace ${exit.ip6}/128 dev ${wgE.name} src ${entry.ours.v6}`,
      `route replace default dev ${wgX.name} table ${BASELINE_TABLE}`,
      `route replace ::/0 dev ${wgX.name} table ${BASELINE_TABLE}`,
    ]);
    // `ip -batch` takes no per-line -6, so the rules are separate calls.
    for (const family of ['-4', '-6']) {
      await router.ip([family, 'rule', 'add', 'iif', IF.routerLan, 'lookup', String(BASELINE_TABLE), 'priority', String(BASELINE_RULE_PRIORITY)]);
    }
  } catch (e) {
    await undo();
    throw e;
  }
  let stopped = false;
  const baseline: Baseline = {
    entry,
    exit,
    wgE: wgE.name,
    wgX: wgX.name,
    pids: () => [wgE.pid, wgX.pid].filter((p): p is number => p !== undefined),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      lab.baselineStopped(baseline);
      await undo();
    },
  };
  lab.baselineStarted(baseline);
  return baseline;
}

/** Puts the router back as it was before startBaselineTwoHop. */
export function stopBaseline(baseline: Baseline): Promise<void> {
  return baseline.stop();
}
