#!/usr/bin/env node
// The leak scenarios of the kill switch, in the lab: while the LAN client and the router itself keep
// sending traffic that must not leave in the clear, nym-vpnd connects, reconnects, loses a gateway,
// is killed, loses its WAN, the router boots, the config is reloaded. For each, the packets seen on
// the router's WAN that are not UDP to the entry gateway are counted — those the router sends: a packet
// arriving from outside (a server retransmitting to a connection the kill switch cut) is no leak, and is
// reported apart. All counts must be 0, and LAN traffic must flow again through the exit afterwards.
// `npm run leaks [-- --backend nftables|fw3]`.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BlockList, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { ADDR, IF } from './addresses.js';
import { fastMonitor, nymvpnc, status, waitState } from './control.js';
import { buildLab, type NymLab } from './topology.js';
import { findOption, findSection, setListValues, setOption } from '../../src/uci/index.js';
import { updateUciConfig } from '../../src/uci/index.js';
import { formatPacket, type PacketSummary } from './pcap.js';

export type LeakBackend = 'nftables' | 'fw3';

export interface ScenarioResult {
  name: string;
  leaked: number;
  /** The leaked packets, tcpdump-like (at most 20). */
  detail: string[];
  /** LAN traffic reaches the internet through the exit gateway again afterwards. */
  recovered: boolean;
  /** WAN packets seen in all, for context. */
  seen: number;
  /** Packets outside the tunnel that came in from outside (not sent by the router): not leaks. */
  inbound: number;
  /** Seconds from the scenario's event to what it waits for (noticed, recovered, …). */
  timings: Record<string, number>;
}

const TRAFFIC_JS = fileURLToPath(new URL('./traffic.js', import.meta.url));
/** The networks beyond the router's WAN (tools/lab/addresses.ts): what may be seen arriving there. */
const OUTSIDE = (() => {
  const b = new BlockList();
  for (const net of [ADDR.wanNet, ADDR.gatewayNet, ADDR.inetNet]) {
    for (const cidr of [net.v4, net.v6]) {
      const [address, prefix] = cidr.split('/') as [string, string];
      b.addSubnet(address, Number(prefix), isIPv6(address) ? 'ipv6' : 'ipv4');
    }
  }
  return b;
})();

const FW3_INCLUDE = fileURLToPath(new URL('../../../files/usr/lib/nym-vpn/fw3-include.sh', import.meta.url));

function startTraffic(lab: NymLab): ChildProcess[] {
  return (['lan', 'router'] as const).map((ns) => lab.ns[ns].spawn(process.execPath, [TRAFFIC_JS], { stdio: ['ignore', 'pipe', 'ignore'] }));
}

async function stopTraffic(gens: ChildProcess[]): Promise<void> {
  await Promise.all(gens.map((g) => new Promise<void>((r) => {
    if (g.exitCode !== null) { r(); return; }
    g.once('exit', () => r());
    g.kill('SIGTERM');
  })));
}

async function connected(lab: NymLab, ms = 30_000): Promise<boolean> {
  return (await waitState(lab, (s) => s.state === 'connected', ms)) !== null;
}

async function flowsThroughExit(lab: NymLab): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    const r = await lab.curl('lan', `http://${ADDR.inetWeb.v4}/`, { timeoutS: 3 }).catch(() => null);
    if (r?.body === `you are ${lab.defaultExit.ip}\n`) return true;
    await new Promise((res) => setTimeout(res, 500));
  }
  return false;
}

/** A reboot as the firewall sees it: kernel state and RAM gone, then fw4/fw3 load their includes. */
async function emulateBoot(lab: NymLab, backend: LeakBackend): Promise<void> {
  const r = lab.ns.router;
  await lab.stopDaemon('SIGKILL');
  for (const t of ['nym', 'nym_boot', 'nym_nat']) await r.exec('nft', ['delete', 'table', 'inet', t]).catch(() => {});
  await r.exec('ip', ['-force', '-batch', '-'], { input: [...Array(8).keys()].map((i) => `rule del priority ${6000 + i}`).join('\n') + '\n' }).catch(() => {});
  await r.exec('ip', ['-6', '-force', '-batch', '-'], { input: [...Array(8).keys()].map((i) => `rule del priority ${6000 + i}`).join('\n') + '\n' }).catch(() => {});
  await r.exec('ip', ['route', 'flush', 'table', '333']).catch(() => {});
  rmSync(join(lab.root, 'var/run/nym-vpn'), { recursive: true, force: true });
  if (backend === 'fw3') {
    for (const ipt of ['iptables', 'ip6tables']) {
      await r.exec(ipt, ['-w', '-F']).catch(() => {});
      await r.exec(ipt, ['-w', '-X']).catch(() => {});
    }
    await r.exec('sh', [FW3_INCLUDE], { env: { ...process.env, NYMVPN_ROOT: lab.root } });
  } else {
    // fw4 loads /usr/share/nftables.d/ruleset-post/20-nym-vpn.nft, which includes the boot guard.
    await r.exec('nft', ['-f', join(lab.root, 'etc/nym-vpn/boot-guard/boot-guard.nft')]);
  }
}

interface Scenario {
  name: string;
  /** Brings the lab to where the scenario starts (not measured). */
  before?: (lab: NymLab) => Promise<void>;
  /**
   * What happens while traffic runs and the WAN is watched. May return the time (s since the epoch)
   * from which packets count, when the scenario starts from a state where the owner allowed them.
   */
  run: (lab: NymLab, note: (what: string) => void) => Promise<number | void>;
  /** Addresses the router sends from during the scenario besides its usual WAN ones (a new lease). */
  routerAddresses?: readonly string[];
}

const NEW_WAN_V4 = '198.51.100.3';
const LAB_DNS_BLOCK = 'lab_dns_block';
const LAB_MTU_BLOCK = 'lab_mtu_block';

/**
 * An ICMP error the entry gateway sends about our own tunnel datagrams (its WireGuard is down: "port
 * unreachable") is the tunnel's traffic answered, not traffic escaping it.
 */
function isEntryIcmpError(p: PacketSummary, entries: ReadonlyArray<{ host: string }>): boolean {
  const error = (p.proto === 'icmp' && (p.icmpType === 3 || p.icmpType === 11)) || (p.proto === 'icmp6' && p.icmpType !== undefined && p.icmpType >= 1 && p.icmpType <= 4);
  return error && entries.some((e) => e.host === p.src);
}

const exitId = (lab: NymLab) => lab.defaultExit.id;
const entryId = (lab: NymLab) => lab.defaultEntry.id;

function scenarios(backend: LeakBackend): Scenario[] {
  return [
    {
      name: 'connect',
      before: async (lab) => { await nymvpnc(lab, ['disconnect']); },
      // Before the owner asks, the owner had it off: packets count from the moment `connect` has
      // answered, which it does once the kill switch is up.
      run: async (lab) => {
        const r = await nymvpnc(lab, ['connect']);
        const from = Date.now() / 1000;
        if (r.code !== 0) throw new Error(`connect: ${r.stdout}${r.stderr}`);
        await connected(lab);
        return from;
      },
    },
    {
      name: 'reconnect',
      run: async (lab) => {
        await nymvpnc(lab, ['connect', '--entry-gateway-id', entryId(lab), '--exit-gateway-id', exitId(lab), '--wait-until-connected']);
        await connected(lab);
      },
    },
    {
      name: 'entry-gateway-down',
      run: async (lab) => {
        await lab.killGateway(entryId(lab), 'SIGKILL');
        await waitState(lab, (s) => s.state !== 'connected', 20_000);
        await new Promise((r) => setTimeout(r, 2000));
        await lab.restartGateway(entryId(lab));
        await connected(lab);
      },
    },
    {
      name: 'exit-gateway-down',
      run: async (lab) => {
        await lab.killGateway(exitId(lab), 'SIGKILL');
        await waitState(lab, (s) => s.state !== 'connected', 20_000);
        await new Promise((r) => setTimeout(r, 2000));
        await lab.restartGateway(exitId(lab));
        await connected(lab);
      },
    },
    {
      name: 'daemon-sigkill',
      run: async (lab) => {
        await lab.stopDaemon('SIGKILL');
        await new Promise((r) => setTimeout(r, 3000));
        // procd respawns it; autoconnect brings the tunnel back.
        await lab.startDaemon();
        await connected(lab);
      },
    },
    {
      name: 'wan-down-up',
      run: async (lab) => {
        await lab.setWanLink('down');
        await waitState(lab, (s) => s.state === 'offline', 15_000);
        await new Promise((r) => setTimeout(r, 2000));
        await lab.setWanLink('up');
        await connected(lab);
      },
    },
    {
      name: 'boot-guard',
      before: (lab) => emulateBoot(lab, backend),
      // The router is up, the daemon not yet: only the boot guard holds the LAN back.
      run: async (lab) => {
        await new Promise((r) => setTimeout(r, 3000));
        await lab.startDaemon();
        await connected(lab);
      },
    },
    {
      name: 'config-reload',
      run: async (lab) => {
        await updateUciConfig(join(lab.root, 'etc/config'), 'nym-vpn', (pkg) => {
          const main = findSection(pkg, 'main')!;
          setListValues(main, 'dns', [ADDR.inetDns.v4]);
          setOption(main, 'log_level', 'debug');
        });
        const r = await nymvpnc(lab, ['reload']);
        if (r.code !== 0) throw new Error(`reload: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 2000));
        if ((await status(lab)).state !== 'connected') await connected(lab);
      },
    },
    {
      // The exit gateway is reinstalled with a new WireGuard key while we are connected. The daemon notices
      // the dead exit hop; the new key reaches it as a registrar would hand it over (here: the owner's
      // static peer, then a reload), and it connects again.
      name: 'exit-gateway-new-key',
      run: async (lab, note) => {
        const key = await lab.rekeyGateway(exitId(lab));
        note('rekeyed');
        if (!(await waitState(lab, (s) => s.state !== 'connected', 30_000))) throw new Error('the dead exit hop was not noticed');
        note('noticed');
        await updateUciConfig(join(lab.root, 'etc/config'), 'nym-vpn', (pkg) => {
          const peer = pkg.sections.find((x) => x.type === 'peer' && (findOption(x, 'gateway_id') as { value?: string } | undefined)?.value === exitId(lab));
          if (!peer) throw new Error('no static peer for the exit gateway');
          setOption(peer, 'public_key', key);
        });
        const r = await nymvpnc(lab, ['reload']);
        if (r.code !== 0) throw new Error(`reload: ${r.stderr}`);
        if (!(await connected(lab))) throw new Error('not connected again with the new key');
        note('recovered');
      },
    },
    {
      // A new DHCP lease gives the router another WAN address: the tunnel's datagrams leave from it, the
      // gateway follows (WireGuard roaming), and nothing leaves outside the tunnel meanwhile.
      name: 'wan-address-change',
      routerAddresses: [NEW_WAN_V4],
      run: async (lab, note) => {
        await lab.setWanAddress(NEW_WAN_V4);
        note('changed');
        if (!(await flowsThroughExit(lab))) throw new Error('LAN traffic did not flow through the exit from the new address');
        note('recovered');
        await lab.setWanAddress(ADDR.routerWan.v4);
        if (!(await flowsThroughExit(lab))) throw new Error('LAN traffic did not flow after the address came back');
      },
    },
    {
      // The DNS server inside the tunnel stops answering (its IPv4 address; the IPv6 one still answers): the
      // daemon notices and points dnsmasq at the one that answers; the LAN keeps resolving, through the
      // tunnel, never by the ISP.
      name: 'tunnel-dns-silent',
      // Two servers configured again (config-reload left one): one falls silent, the other carries on.
      before: async (lab) => {
        await updateUciConfig(join(lab.root, 'etc/config'), 'nym-vpn', (pkg) => setListValues(findSection(pkg, 'main')!, 'dns', [ADDR.inetDns.v4, ADDR.inetDns.v6]));
        const r = await nymvpnc(lab, ['reload']);
        if (r.code !== 0) throw new Error(`reload: ${r.stderr}`);
      },
      run: async (lab, note) => {
        const v4 = ADDR.inetDns.v4;
        await lab.exec('inet', 'nft', ['-f', '-'], { input: `table inet ${LAB_DNS_BLOCK} {\n  chain input {\n    type filter hook input priority -5; policy accept;\n    ip daddr ${v4} meta l4proto { tcp, udp } th dport 53 drop\n  }\n}\n` });
        note('silenced');
        try {
          const s = await waitState(lab, (x) => Array.isArray(x.dns_unreachable) && (x.dns_unreachable as string[]).includes(v4), 40_000);
          if (!s) throw new Error(`the silent DNS server ${v4} was not noticed`);
          note('noticed');
          const name = `q${Date.now()}.lab.test`;
          const a = await lab.dns('lan', ADDR.routerLan.v4, name, 'A', 8000);
          if (a.answers[0] !== ADDR.inetWeb.v4) throw new Error(`the LAN's query for ${name} was not answered: ${JSON.stringify(a)}`);
          note('recovered');
        } finally {
          await lab.exec('inet', 'nft', ['delete', 'table', 'inet', LAB_DNS_BLOCK]).catch(() => {});
        }
        if (!(await waitState(lab, (x) => x.dns_unreachable === undefined, 40_000))) throw new Error('the DNS server, back, was not used again');
        note('back');
      },
    },
    {
      // The path between the router and the entry gateway drops every packet over 1300 bytes without a word
      // (an MTU black hole): small probes pass, full-size ones vanish. The daemon notices and sends the exit
      // hop in fragments; a download (full-size packets) works again.
      name: 'mtu-black-hole',
      run: async (lab, note) => {
        // Only on the router's link: the gateways' own uplinks are fine (and a TCP server's GRO aggregates
        // there would be dropped by a length match before the kernel segments them).
        const link = IF.ispToRouter;
        await lab.exec('isp', 'nft', ['-f', '-'], { input: `table inet ${LAB_MTU_BLOCK} {\n  chain forward {\n    type filter hook forward priority -5; policy accept;\n    iifname "${link}" meta length > 1300 drop\n    oifname "${link}" meta length > 1300 drop\n  }\n}\n` });
        note('black hole');
        try {
          if (!(await waitState(lab, (x) => x.mtu_black_hole === true, 60_000))) throw new Error('the black hole was not noticed');
          note('noticed');
          const d = await lab.download('lan', `http://${ADDR.inetWeb.v4}/bytes?n=${4 << 20}`, { timeoutS: 30 });
          if (d.bytes !== 4 << 20) throw new Error(`a 4 MiB download behind the black hole got ${d.bytes} bytes`);
          note('recovered');
        } finally {
          await lab.exec('isp', 'nft', ['delete', 'table', 'inet', LAB_MTU_BLOCK]).catch(() => {});
        }
      },
    },
  ];
}

export async function runLeaks(backend: LeakBackend, say: (line: string) => void = () => {}, only?: readonly string[]): Promise<ScenarioResult[]> {
  const lab = await buildLab({
    // NYM_LEAKS_PREFIX: another set of namespace names, to run beside a suite that uses the default ones.
    prefix: `${process.env.NYM_LEAKS_PREFIX ?? 'lk'}${backend === 'fw3' ? '3' : '4'}`,
    editConfig: (pkg) => {
      fastMonitor(pkg);
      const main = findSection(pkg, 'main')!;
      setOption(main, 'autoconnect', '1');
      setOption(main, 'firewall_backend', backend === 'fw3' ? 'fw3' : 'auto');
    },
  });
  const results: ScenarioResult[] = [];
  try {
    if (!(await connected(lab))) throw new Error('the lab did not connect at start (autoconnect)');
    for (const sc of scenarios(backend).filter((x) => only === undefined || only.includes(x.name))) {
      await sc.before?.(lab);
      const gens = startTraffic(lab);
      await new Promise((r) => setTimeout(r, 300)); // traffic flowing before anything changes
      const cap = await lab.capture('router', IF.routerWan, [], { snaplen: 96 });
      const startedAt = Date.now() / 1000;
      let failure: Error | undefined;
      let countFrom = startedAt;
      const timings: Record<string, number> = {};
      let eventAt: number | undefined;
      const note = (what: string) => {
        const now = Date.now() / 1000;
        eventAt ??= now;
        timings[what] = Math.round((now - eventAt) * 10) / 10;
      };
      try {
        countFrom = (await sc.run(lab, note)) ?? startedAt;
      } catch (e) {
        failure = e as Error;
      }
      await new Promise((r) => setTimeout(r, 500));
      const seen = await cap.stop();
      await stopTraffic(gens);
      const entries = lab.entryEndpoints();
      const outside = seen.outsideTunnel(entries).filter((p) => p.time >= countFrom && !isEntryIcmpError(p, entries));
      // Leaked: everything on the WAN that did not come from outside. Outside is the ISP's other hosts, the
      // gateways' and the internet's networks; a packet from the router's addresses, from the LAN or a tunnel
      // address (that would be a leak without NAT), or not IP at all, counts.
      const routerAddresses = new Set([ADDR.routerWan.v4, ADDR.routerWan.v6, ...(sc.routerAddresses ?? [])]);
      const fromOutside = (p: PacketSummary) => p.src !== undefined && !routerAddresses.has(p.src) && OUTSIDE.check(p.src, isIPv6(p.src) ? 'ipv6' : 'ipv4');
      const leaked = outside.filter((p) => !fromOutside(p));
      const inbound = outside.length - leaked.length;
      const recovered = failure === undefined && (await flowsThroughExit(lab));
      const result: ScenarioResult = { name: sc.name, leaked: leaked.length, detail: leaked.slice(0, 20).map(formatPacket), recovered, seen: seen.count, inbound, timings };
      results.push(result);
      const times = Object.entries(timings).filter(([, v]) => v > 0).map(([k, v]) => `${k} after ${v} s`).join(', ');
      say(`scenario ${sc.name}: ${leaked.length} packets leaked${inbound > 0 ? ` (${inbound} arriving from outside, not counted)` : ''}${times ? ` (${times})` : ''}${recovered ? '' : ` — NOT RECOVERED${failure ? ` (${failure.message})` : ''}`}`);
      for (const d of result.detail) say(`  ${d}`);
    }
  } finally {
    await lab.destroy();
  }
  const total = results.reduce((n, r) => n + r.leaked, 0);
  say(`leaks: ${results.length} scenarios, ${total} packets leaked (backend ${backend === 'fw3' ? 'fw3/iptables' : 'nftables (fw4 rules)'})`);
  return results;
}

async function main(): Promise<number> {
  const i = process.argv.indexOf('--backend');
  const only = i > 0 ? process.argv[i + 1] : undefined;
  const backends: LeakBackend[] = only === 'fw3' ? ['fw3'] : only === 'nftables' ? ['nftables'] : ['nftables', 'fw3'];
  const j = process.argv.indexOf('--only');
  const names = j > 0 ? process.argv[j + 1]?.split(',') : undefined;
  let bad = 0;
  for (const b of backends) {
    const rs = await runLeaks(b, (l) => console.log(l), names);
    bad += rs.filter((r) => r.leaked > 0 || !r.recovered).length;
  }
  return bad === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((c) => process.exit(c), (e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
}
