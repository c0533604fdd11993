// The whole lab: lan → router → isp → {gateways, inet}, each a network namespace, built in parallel
// where the steps are independent. buildLab() returns a NymLab, which the demo, the end-to-end tests,
// the leak tests and the benchmarks drive; destroy() (or the exit/signal hooks, or the next run's sweep)
// removes every namespace, process, temp dir and wireguard-go socket it made.
//
// Two registration modes. 'static' (default): each wireguard-go has our key as its only peer and the router's
// UCI names the gateways as `config peer` sections. 'mixnet': each gateway namespace also runs a Nym gateway
// stand-in process (nym-gateway/gateway-main.ts: websocket :9000, mix port :1789, an authenticator judging
// zk-nym tickets that `wg set`s registered peers into a wireguard-go started with none), inet runs a lab
// nym-api (:8081) listing them, and the router's UCI has `nym_api_url` and no peers.
//
//   lan eth0 ── lan1/br-lan  router  wan ── to-router  isp  br-gw ─┬─ gw0 ── eth0 gateway 1
//                                                         │          └─ gw1 ── eth0 gateway 2 …
//                                                       to-inet ── eth0 inet
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ADDR, DEFAULT_GATEWAYS, IF, NYM_API_URL, WELL_KNOWN, firstOfRole, planGateways, type GatewayPlan, type GatewaySpec } from './addresses.js';
import type { Baseline } from './baseline.js';
import { Capture, type CaptureOptions } from './capture.js';
import { makeWorkDir, sweepWorkDirs } from './cleanup.js';
import type { Dnsmasq } from './dnsmasq.js';
import { Gateway, makeKeyPair } from './gateway.js';
import { labIdentity } from './lab-keys.js';
import { NymGatewayProcess } from './nym-gateway-process.js';
import { startInetServices, startIspResolver, type InetServices } from './inet-services.js';
import { Lab, sweepStale, waitOperUp, type Netns } from './netns.js';
import type { ExecOptions, ExecResult } from './process.js';
import { writeRouterFiles, type OurKeys, type RouterFiles } from './router-config.js';
import { RouterProcesses, setupRouterNetwork, type DaemonStartOptions } from './router.js';
import { curl, dnsQuery, download, type CurlOptions, type CurlResult, type DownloadResult } from './probes.js';
import type { DnsAnswer, QueryType } from './dns-query.js';
import { removeStoppedSockets, sweepWireguardSockets } from './wireguard-go.js';
import type { UciPackage } from '../../src/uci/index.js';

export interface NymLabOptions {
  /** Gateways (default DEFAULT_GATEWAYS: entry-de 203.0.113.10, exit-ch 203.0.113.20). */
  gateways?: readonly GatewaySpec[];
  /** Namespace name prefix (default 'nl'); give each test file its own. */
  prefix?: string;
  /** Start the bus (default true). */
  bus?: boolean;
  /** Start nym-vpnd: 'start' (default, needs the bus), 'none' (start it later with startDaemon). */
  daemon?: 'start' | 'none';
  daemonOptions?: DaemonStartOptions;
  /** dnsmasq on the router also serves DHCP on the LAN (default false; the lan host is static). */
  dhcp?: boolean;
  /** Edits /etc/config/nym-vpn before it is written (kill_switch, autoconnect, …). */
  editConfig?: (pkg: UciPackage) => void;
  /** Mirror the lab log and bus/daemon output to stderr (default false). */
  verbose?: boolean;
  /** Keep the temp dir after destroy (for post-mortems). */
  keepWorkDir?: boolean;
  /**
   * How the router gets its peers (default 'static': pre-configured on both sides). 'mixnet': the gateways are
   * Nym gateway stand-ins whose authenticators register peers; gateway ids must then be labIdentity(label).
   */
  registration?: 'static' | 'mixnet';
}

export type NamespaceName = 'lan' | 'router' | 'isp' | 'inet';

/** Everything buildLab made, handed to NymLab in one piece. */
export interface NymLabParts {
  lab: Lab;
  ns: Record<NamespaceName, Netns>;
  plans: readonly GatewayPlan[];
  /** By identity. */
  gateways: ReadonlyMap<string, Gateway>;
  keys: OurKeys;
  files: RouterFiles;
  router: RouterProcesses;
  inet: InetServices;
  ispResolver: Dnsmasq;
  registration: 'static' | 'mixnet';
  workDir: string;
  removeWorkDir: () => void;
  logStream: WriteStream;
  verbose: boolean;
  keepWorkDir: boolean;
}

export class NymLab {
  /** The Lab of netns.ts that owns the namespaces and processes. */
  readonly lab: Lab;
  readonly ns: Record<NamespaceName, Netns>;
  readonly plans: readonly GatewayPlan[];
  /** Gateways by identity (gateway() also takes labels). */
  readonly gateways: ReadonlyMap<string, Gateway>;
  /** Our key pairs (entry role, exit role); their private halves are in the router's state dir. */
  readonly keys: OurKeys;
  /** The router's files: paths (root, uciDir, stateDir, socket …), nym-vpn config, key files, resolv.conf.auto. */
  readonly files: RouterFiles;
  /** Bus, nym-vpnd and the LAN dnsmasq on the router. */
  readonly router: RouterProcesses;
  readonly inet: InetServices;
  readonly ispResolver: Dnsmasq;
  /** How the router gets its peers (NymLabOptions.registration). */
  readonly registration: 'static' | 'mixnet';
  /** Temp dir of this lab: router root, logs, gateway keys, captures. */
  readonly workDir: string;
  /** Wall time of buildLab, ms. */
  buildMs = 0;
  private readonly parts: NymLabParts;
  private readonly activeBaselines = new Set<Baseline>();
  private destroyed = false;

  constructor(parts: NymLabParts) {
    this.parts = parts;
    ({ lab: this.lab, ns: this.ns, plans: this.plans, gateways: this.gateways, keys: this.keys, files: this.files,
      router: this.router, inet: this.inet, ispResolver: this.ispResolver, registration: this.registration, workDir: this.workDir } = parts);
  }

  /** The lab nym-api the mixnet client reads (the mixnet registration mode; undefined otherwise). */
  get nymApiUrl(): string | undefined {
    return this.inet.nymApiUrl;
  }

  /** The router's --root (its /etc/config, /etc/nym-vpn, /tmp/resolv.conf.d, /var/run/ubus …). */
  get root(): string {
    return this.files.paths.root;
  }

  /** The ubus socket the router's bus listens on (reachable from the host namespace too). */
  get socket(): string {
    return this.files.paths.socket;
  }

  get defaultEntry(): GatewayPlan {
    return firstOfRole(this.plans, 'entry')!;
  }

  get defaultExit(): GatewayPlan {
    return firstOfRole(this.plans, 'exit')!;
  }

  /** A namespace by role name, or a gateway's namespace by its label or id. */
  netns(name: NamespaceName | string): Netns {
    if (name in this.ns) return this.ns[name as NamespaceName];
    return this.gateway(name).ns;
  }

  /** A gateway by label ('entry-de') or identity. */
  gateway(labelOrId: string): Gateway {
    const gw = this.gateways.get(labelOrId) ?? [...this.gateways.values()].find((g) => g.label === labelOrId);
    if (gw === undefined) throw new Error(`no gateway ${labelOrId} (have ${[...this.gateways.values()].map((g) => g.label).join(', ')})`);
    return gw;
  }

  gatewayPlan(id: string): GatewayPlan {
    return this.gateway(id).plan;
  }

  /** Appends to the lab log (<workDir>/lab.log), and stderr when verbose. */
  log(message: string): void {
    this.parts.logStream.write(`${new Date().toISOString()} ${message}\n`);
    if (this.parts.verbose) process.stderr.write(`[lab] ${message}\n`);
  }

  exec(ns: NamespaceName | string | Netns, cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return (typeof ns === 'string' ? this.netns(ns) : ns).exec(cmd, args, opts);
  }

  /** curl from a namespace (default lan); rejects if curl gets no answer. */
  curl(from: NamespaceName | string, url: string, opts?: CurlOptions): Promise<CurlResult>;
  curl(url: string): Promise<CurlResult>;
  curl(a: string, b?: string, opts: CurlOptions = {}): Promise<CurlResult> {
    return b === undefined ? curl(this.ns.lan, a, opts) : curl(this.netns(a), b, opts);
  }

  /** Downloads into the lab's temp dir and hashes (compare with labBytesSha256(n) for /bytes?n=N). */
  download(from: NamespaceName | string, url: string, opts?: CurlOptions): Promise<DownloadResult> {
    return download(this.netns(from), url, this.workDir, opts);
  }

  /** One DNS question from a namespace to a server (e.g. the router's 192.168.50.1 from lan). */
  dns(from: NamespaceName | string, server: string, name: string, type: QueryType = 'A', timeoutMs?: number): Promise<DnsAnswer> {
    return dnsQuery(this.netns(from), server, name, type, timeoutMs);
  }

  /** Pings once from a namespace; true if answered. */
  ping(from: NamespaceName | string, address: string, timeoutS?: number): Promise<boolean> {
    return this.netns(from).ping(address, timeoutS);
  }

  /** The entry endpoints as leak filters want them: UDP here is the tunnel, anything else on the WAN leaks. */
  entryEndpoints(): Array<{ host: string; port: number }> {
    return this.plans.filter((g) => g.role === 'entry').map((g) => ({ host: g.ip, port: g.port }));
  }

  /** Starts tcpdump on iface in ns (BPF filter optional); stop() the result for the packets. */
  capture(ns: NamespaceName | string | Netns, iface: string, filter: string | readonly string[] = [], opts: CaptureOptions = {}): Promise<Capture> {
    return Capture.start(typeof ns === 'string' ? this.netns(ns) : ns, iface, filter, this.workDir, opts);
  }

  /** Kills a gateway's wireguard-go (its namespace, addresses and routes stay). */
  async killGateway(id: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    this.log(`gateway ${this.gateway(id).label}: kill wireguard-go (${signal})`);
    await this.gateway(id).kill(signal);
  }

  /** Starts a gateway's wireguard-go again with the same key and peer (if running, restarts it). */
  async restartGateway(id: string): Promise<void> {
    this.log(`gateway ${this.gateway(id).label}: restart wireguard-go`);
    await this.gateway(id).restart();
  }

  /** Restarts a gateway's wireguard-go with a new key pair; returns its new public key. */
  async rekeyGateway(id: string): Promise<string> {
    const key = await this.gateway(id).restartWithNewKey();
    this.log(`gateway ${this.gateway(id).label}: restarted with a new key ${key}`);
    return key;
  }

  /**
   * A new DHCP lease with another address on the router's WAN (same subnet and default gateway): the old
   * address goes, the new one comes. Returns the addresses the router now sends from.
   */
  async setWanAddress(v4: string): Promise<void> {
    this.log(`router: WAN address now ${v4}`);
    const { router } = this.ns;
    const current = JSON.parse((await router.ip(['-j', '-4', 'addr', 'show', 'dev', IF.routerWan])).stdout) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
    const old = current.flatMap((l) => l.addr_info).filter((a) => a.local !== v4);
    // As a DHCP client moving to a new lease: the old address goes (and with it the default route), the new
    // one comes, then the route. (Adding first would make the new address a secondary, deleted with the old.)
    await router.ipBatch([
      ...old.map((a) => `addr del ${a.local}/${a.prefixlen} dev ${IF.routerWan}`),
      `addr add ${v4}/24 dev ${IF.routerWan}`,
      `route replace default via ${ADDR.ispWan.v4} dev ${IF.routerWan}`,
    ]);
  }

  /** Takes a gateway's uplink down/up while its wireguard-go keeps running. */
  async setGatewayLink(id: string, state: 'up' | 'down'): Promise<void> {
    this.log(`gateway ${this.gateway(id).label}: uplink ${state}`);
    await this.gateway(id).setLink(state);
  }

  /**
   * The router's WAN cable: 'down' takes the ISP's end down (no carrier) and, as netifd does on carrier
   * loss, the router's `wan` too (its addresses and default routes go); 'up' puts all of it back.
   */
  async setWanLink(state: 'up' | 'down'): Promise<void> {
    this.log(`router: WAN ${state}`);
    const { router, isp } = this.ns;
    if (state === 'down') {
      await isp.ip(['link', 'set', 'dev', IF.ispToRouter, 'down']);
      await router.ip(['link', 'set', 'dev', IF.routerWan, 'down']);
      return;
    }
    await isp.ip(['link', 'set', 'dev', IF.ispToRouter, 'up']);
    await isp.ipBatch([`addr replace ${ADDR.ispWan.v6}/64 dev ${IF.ispToRouter} nodad`]);
    await router.ipBatch([
      `link set dev ${IF.routerWan} up`,
      `addr replace ${ADDR.routerWan.v4}/24 dev ${IF.routerWan}`,
      `addr replace ${ADDR.routerWan.v6}/64 dev ${IF.routerWan} nodad`,
      `route replace default via ${ADDR.ispWan.v4} dev ${IF.routerWan}`,
      `route replace ::/0 via ${ADDR.ispWan.v6} dev ${IF.routerWan}`,
    ]);
    await waitOperUp(router, IF.routerWan);
  }

  startDaemon(opts?: DaemonStartOptions): Promise<void> {
    this.log('router: start nym-vpnd');
    return this.router.startDaemon(opts);
  }

  stopDaemon(signal?: NodeJS.Signals): Promise<void> {
    this.log(`router: stop nym-vpnd (${signal ?? 'SIGTERM'})`);
    return this.router.stopDaemon(signal);
  }

  restartDaemon(opts?: DaemonStartOptions): Promise<void> {
    this.log('router: restart nym-vpnd');
    return this.router.restartDaemon(opts);
  }

  /** @internal bookkeeping for baseline.ts, so destroy() can stop a forgotten baseline. */
  baselineStarted(b: Baseline): void {
    this.activeBaselines.add(b);
  }

  /** @internal */
  baselineStopped(b: Baseline): void {
    this.activeBaselines.delete(b);
  }

  /** Removes everything the lab made. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const t0 = Date.now();
    for (const b of [...this.activeBaselines]) await b.stop().catch(() => {});
    await this.router.stopAll().catch(() => {});
    await Promise.all([...this.gateways.values()].map((g) => g.nym?.stop().catch(() => {})));
    // SIGTERM first: wireguard-go then removes its own socket and TUN.
    await Promise.all([...this.gateways.values()].map((g) => g.kill().catch(() => {})));
    await this.lab.destroy();
    removeStoppedSockets();
    this.log(`destroyed in ${Date.now() - t0} ms`);
    await new Promise((r) => this.parts.logStream.end(r));
    if (!this.parts.keepWorkDir) this.parts.removeWorkDir();
  }
}

/**
 * Removes what crashed runs left behind: namespaces of this prefix (and what runs in them), then
 * wireguard-go sockets and lab temp dirs of dead processes. buildLab does this for its own prefix.
 */
export async function sweepStaleLabs(prefix = DEFAULT_LAB_PREFIX): Promise<{ namespaces: string[]; sockets: string[]; workDirs: string[] }> {
  const namespaces = await sweepStale(prefix);
  return { namespaces, sockets: sweepWireguardSockets(), workDirs: sweepWorkDirs() };
}

export const DEFAULT_LAB_PREFIX = 'nl';

/** Sysctls every lab namespace gets: no reverse-path filter (tunnels make asymmetric paths normal). */
const NO_RP_FILTER = { 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 };

/** Builds the lab. On failure everything made so far is removed before the error is thrown. */
export async function buildLab(opts: NymLabOptions = {}): Promise<NymLab> {
  const t0 = Date.now();
  const plans = planGateways(opts.gateways ?? DEFAULT_GATEWAYS);
  if (!plans.some((g) => g.role === 'entry') || !plans.some((g) => g.role === 'exit')) throw new TypeError('the lab needs at least one entry and one exit gateway');
  if ((opts.daemon ?? 'start') === 'start' && opts.bus === false) throw new TypeError("daemon: 'start' needs the bus");
  const registration = opts.registration ?? 'static';
  const mixnet = registration === 'mixnet';
  if (mixnet) {
    // The gateway stand-ins hold their identity private key as labSecret(label): only derived ids have one.
    const foreign = plans.filter((g) => g.id !== labIdentity(g.label));
    if (foreign.length > 0) throw new TypeError(`registration 'mixnet' needs derived gateway ids; ${foreign.map((g) => g.label).join(', ')} name their own`);
  }
  const prefix = opts.prefix ?? DEFAULT_LAB_PREFIX;
  await sweepStaleLabs(prefix);
  const work = makeWorkDir();
  const logStream = createWriteStream(join(work.dir, 'lab.log'));
  const log = (m: string) => {
    logStream.write(`${new Date().toISOString()} ${m}\n`);
    if (opts.verbose) process.stderr.write(`[lab] ${m}\n`);
  };
  const lab = await Lab.create({ prefix, sweep: false });
  try {
    // Namespaces (all at once; names are taken synchronously, so parallel creation is safe).
    const names: NamespaceName[] = ['lan', 'router', 'isp', 'inet'];
    const made = await Promise.all([...names, ...plans].map(async () => {
      const n = await lab.namespace();
      await n.sysctl(NO_RP_FILTER);
      return n;
    }));
    const ns = Object.fromEntries(names.map((k, i) => [k, made[i]!])) as Record<NamespaceName, Netns>;
    const gwNs = made.slice(names.length);
    for (const k of names) log(`namespace ${k}: ${ns[k].name}`);
    plans.forEach((g, i) => log(`namespace gateway ${g.label}: ${gwNs[i]!.name}`));

    // Keys first (pure), so that the router's files and the gateways can be set up in parallel.
    const keys: OurKeys = { entry: makeKeyPair(), exit: makeKeyPair() };
    const gatewayKeys = new Map(plans.map((g) => [g.id, makeKeyPair()]));

    // Links. The ISP's gateway bridge must exist before gateway ports are enslaved to it.
    await ns.isp.ipBatch([
      `link add ${IF.ispGatewayBridge} type bridge`,
      `addr add ${ADDR.ispGateways.v4}/24 dev ${IF.ispGatewayBridge}`,
      `addr add ${ADDR.ispGateways.v6}/64 dev ${IF.ispGatewayBridge} nodad`,
      `link set dev ${IF.ispGatewayBridge} up`,
    ]);
    await Promise.all([
      lab.veth({ ns: ns.lan, name: IF.lanHost, addresses: [`${ADDR.lan.v4}/24`, `${ADDR.lan.v6}/64`] }, { ns: ns.router, name: IF.routerLanPort }),
      lab.veth({ ns: ns.router, name: IF.routerWan, addresses: [`${ADDR.routerWan.v4}/24`, `${ADDR.routerWan.v6}/64`] },
        { ns: ns.isp, name: IF.ispToRouter, addresses: [`${ADDR.ispWan.v4}/24`, `${ADDR.ispWan.v6}/64`] }),
      lab.veth({ ns: ns.isp, name: IF.ispToInet, addresses: [`${ADDR.ispInet.v4}/24`, `${ADDR.ispInet.v6}/64`] },
        { ns: ns.inet, name: IF.uplink, addresses: [ADDR.inetWeb, ADDR.inetDns, ADDR.inetDirectory].flatMap((a) => [`${a.v4}/24`, `${a.v6}/64`]) }),
    ]);

    const routerRoot = join(work.dir, 'router-root');
    const publicKeys = new Map([...gatewayKeys].map(([id, k]) => [id, k.publicKey]));
    const [files, gateways] = await Promise.all([
      writeRouterFiles(routerRoot, plans, publicKeys, keys, opts.editConfig, mixnet ? { registration: 'mixnet', nymApiUrl: NYM_API_URL } : { registration: 'static' }),
      Promise.all(plans.map((g, i) => Gateway.create(lab, ns.isp, gwNs[i]!, g, mixnet ? undefined : g.role === 'entry' ? keys.entry.publicKey : keys.exit.publicKey,
        gatewayKeys.get(g.id)!, work.dir))),
      setupRouterNetwork(ns.router),
      ns.lan.ipBatch([`route replace default via ${ADDR.routerLan.v4}`, `route replace ::/0 via ${ADDR.routerLan.v6}`]),
      setupInet(ns.inet, ns.isp),
    ]);
    gateways.forEach((g) => log(`gateway ${g.label} (${g.id}): ${g.plan.ip} / ${g.plan.ip6}, wireguard-go ${g.wg.name}, public key ${g.keys.publicKey}`));

    const router = new RouterProcesses(ns.router, files, opts.verbose ?? false, opts.dhcp ?? false);
    const [inet, ispResolver] = await Promise.all([
      startInetServices(ns.inet, plans, work.dir, log, { mixnet }),
      startIspResolver(ns.isp, work.dir),
      router.dnsmasq.start(),
      (opts.bus ?? true) ? router.startBus() : Promise.resolve(),
    ]);
    log(`router dnsmasq: config ${router.dnsmasq.confFile}, pid file ${router.dnsmasq.pidFile}, upstreams from ${files.resolvConfAuto}, log ${router.dnsmasq.logFile}`);
    log(`router root ${routerRoot}: nym-vpn config ${files.nymVpnConfig}, keys ${files.entryKeyFile} ${files.exitKeyFile}, bus ${files.paths.socket}`);
    if (mixnet) {
      // After inet: the stand-ins read the master verification key the directory server wrote before its ready line.
      const nyms = await Promise.all(gateways.map((g) => NymGatewayProcess.start(g.ns, g.plan, plans.filter((o) => o.id !== g.id), { name: g.wg.name, keyFile: g.keyFile },
        inet.verificationKeyFile!, work.dir)));
      gateways.forEach((g, i) => {
        g.nym = nyms[i];
        log(`nym gateway ${g.label}: ws ${g.plan.ip}:${nyms[i]!.wsPort}, authenticator ${nyms[i]!.authenticatorAddress}, config ${nyms[i]!.configFile}`);
      });
      log(`lab nym-api ${inet.nymApiUrl}`);
    }

    const nymLab = new NymLab({
      lab, ns, plans, gateways: new Map(gateways.map((g) => [g.id, g])), keys, files, router, inet, ispResolver, registration,
      workDir: work.dir, removeWorkDir: work.remove, logStream, verbose: opts.verbose ?? false, keepWorkDir: opts.keepWorkDir ?? false,
    });
    if ((opts.daemon ?? 'start') === 'start') {
      await router.startDaemon(opts.daemonOptions);
      log(`nym-vpnd running, log ${router.daemonLogFile}`);
    }
    nymLab.buildMs = Date.now() - t0;
    log(`lab built in ${nymLab.buildMs} ms (work dir ${work.dir})`);
    return nymLab;
  } catch (e) {
    logStream.end();
    await lab.destroy();
    removeStoppedSockets();
    if (!opts.keepWorkDir) work.remove();
    throw e;
  }
}

/** inet's default route and the well-known addresses it stands in for; the ISP sends what it has no route for to inet. */
async function setupInet(inet: Netns, isp: Netns): Promise<void> {
  await inet.ipBatch([
    `route replace default via ${ADDR.ispInet.v4}`,
    `route replace ::/0 via ${ADDR.ispInet.v6}`,
    ...[...WELL_KNOWN.probe, ...WELL_KNOWN.dns].map((a) => `addr add ${a}/${a.includes(':') ? 128 : 32} dev lo${a.includes(':') ? ' nodad' : ''}`),
  ]);
  await isp.ipBatch([`route replace default via ${ADDR.inetWeb.v4}`, `route replace ::/0 via ${ADDR.inetWeb.v6}`]);
}
