// Network namespaces for the tests and the lab: a Lab makes namespaces with names unique to this run,
// veth pairs between them, and processes inside them, and destroy() takes all of it away again (also on
// exit, SIGINT, SIGTERM and SIGHUP). Every veth runs between two lab namespaces: nothing here is ever
// connected to the host's own namespace or uplink.
//
// Names: `${prefix}_${pid in base 36}_${counter in base 36}`, e.g. nv_1k2_0. The pid lets sweepStale()
// remove what a crashed run left behind (namespaces whose pid is dead) without touching a live run's.
import { systemCommand } from '../../src/system/command.js';
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { run, type ExecOptions, type ExecResult } from './process.js';

export const DEFAULT_PREFIX = 'nv';
const PREFIX_RE = /^[a-z][a-z0-9]{0,7}$/;
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS_DIR = '/run/netns';
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

let nsCounter = 0;  // per process, so that two Labs of one run never pick the same name
const liveLabs = new Set<Lab>();
let hooksInstalled = false;

function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix)) throw new TypeError(`bad namespace prefix: ${String(prefix)} (a-z, 0-9, 1-8 chars)`);
}

function checkIfName(name: string): void {
  if (typeof name !== 'string' || !IFNAME_RE.test(name)) throw new TypeError(`bad interface name: ${String(name)} (at most 15 of A-Z a-z 0-9 _ . -)`);
}

function checkCidr(cidr: string): 4 | 6 {
  const m = typeof cidr === 'string' ? /^([^/\s]+)\/(\d{1,3})$/.exec(cidr) : null;
  const family = m ? isIP(m[1]!) : 0;
  if (m === null || family === 0 || +m[2]! > (family === 4 ? 32 : 128)) throw new TypeError(`bad address/prefix: ${String(cidr)}`);
  return family as 4 | 6;
}

/** Names of all network namespaces `ip netns` knows. */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** Whether a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid encoded in a lab namespace name of this prefix, or undefined for any other name. */
export function namespaceOwner(name: string, prefix = DEFAULT_PREFIX): number | undefined {
  checkPrefix(prefix);
  const m = new RegExp(`^${prefix}_([0-9a-z]+)_[0-9a-z]+$`).exec(name);
  return m ? parseInt(m[1]!, 36) : undefined;
}

function killNamespacePidsSync(ns: string): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return;
  }
  for (const p of out.split(/\s+/).filter(Boolean)) {
    const pid = Number(p);
    if (pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

async function killNamespacePids(ns: string): Promise<void> {
  const out = await run('ip', ['netns', 'pids', ns]).then((r) => r.stdout, () => '');
  for (const p of out.split(/\s+/).filter(Boolean)) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Deletes namespaces of this prefix whose owning pid is dead (left by crashed runs), killing what runs in them. */
export async function sweepStale(prefix = DEFAULT_PREFIX): Promise<string[]> {
  checkPrefix(prefix);
  const removed: string[] = [];
  for (const name of listNamespaces()) {
    const pid = namespaceOwner(name, prefix);
    if (pid === undefined || pid === process.pid || pidAlive(pid)) continue;
    await killNamespacePids(name);
    await run('ip', ['netns', 'del', name]).then(() => removed.push(name), () => {});
  }
  return removed;
}

export interface RouteOptions {
  via?: string;
  dev?: string;
  table?: number | string;
  /** e.g. 'blackhole', 'unreachable' (then no via/dev). */
  type?: string;
  metric?: number;
}

/** One namespace of a Lab. */
export class Netns {
  constructor(
    readonly name: string,
    private readonly lab: Lab,
  ) {}

  /** Runs a command inside this namespace and resolves with its output (rejects with ExecError on failure). */
  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.name, systemCommand(cmd), ...args], opts);
  }

  /** Runs `ip -n NAME ARGS`. */
  ip(args: readonly string[]): Promise<ExecResult> {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** Runs several ip commands (one per line, without the leading `ip`) in one `ip -n NAME -batch -`. */
  ipBatch(lines: readonly string[]): Promise<ExecResult> {
    return run('ip', ['-n', this.name, '-batch', '-'], { input: lines.join('\n') + '\n' });
  }

  /** Starts a long-running process in this namespace; the Lab kills it at destroy(). */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    return this.lab.spawn(this, cmd, args, opts);
  }

  /** Sets sysctls inside this namespace, e.g. { 'net.ipv4.ip_forward': 1 }. */
  async sysctl(values: Record<string, string | number>): Promise<void> {
    const args = Object.entries(values).map(([k, v]) => {
      if (!/^[a-z0-9_.\/-]+$/i.test(k) || /\s/.test(String(v))) throw new TypeError(`bad sysctl ${k}=${String(v)}`);
      return `${k}=${v}`;
    });
    if (args.length > 0) await this.exec('sysctl', ['-q', '-w', ...args]);
  }

  /** Adds an address ("10.0.0.1/24", "fd00::1/64"; IPv6 ones nodad) to an interface of this namespace. */
  async addAddress(dev: string, cidr: string): Promise<void> {
    checkIfName(dev);
    await this.ip(['addr', 'add', cidr, 'dev', dev, ...(checkCidr(cidr) === 6 ? ['nodad'] : [])]);
  }

  /** Adds (replaces) a route: dest is a prefix or 'default' (IPv6 default: '::/0'). */
  async addRoute(dest: string, opts: RouteOptions = {}): Promise<void> {
    const v6 = dest.includes(':') || (opts.via ?? '').includes(':');
    const args = [v6 ? '-6' : '-4', 'route', 'replace', ...(opts.type ? [opts.type] : []), dest];
    if (opts.via !== undefined) args.push('via', opts.via);
    if (opts.dev !== undefined) args.push('dev', opts.dev);
    if (opts.table !== undefined) args.push('table', String(opts.table));
    if (opts.metric !== undefined) args.push('metric', String(opts.metric));
    await this.ip(args);
  }

  /** Pings once (IPv4 or IPv6 by the address) and tells whether a reply came within timeoutS seconds. */
  async ping(address: string, timeoutS = 2): Promise<boolean> {
    const fam = isIP(address);
    if (fam === 0) throw new TypeError(`not an IP address: ${address}`);
    return this.exec('ping', [fam === 6 ? '-6' : '-4', '-n', '-q', '-c', '1', '-W', String(timeoutS), address], { timeoutMs: (timeoutS + 5) * 1000 })
      .then(() => true, () => false);
  }
}

export interface LabOptions {
  /** Namespace name prefix (a-z0-9, 1-8 chars, default 'nv'). */
  prefix?: string;
  /** Remove namespaces of this prefix left by dead runs first (default true). */
  sweep?: boolean;
}

export interface NamespaceOptions {
  /** ip_forward and IPv6 forwarding on (default true). */
  forwarding?: boolean;
}

export interface VethEnd {
  ns: Netns;
  /** Interface name (<= 15 chars); default veth<N>, unique within the lab. */
  name?: string;
  /** Addresses with prefix length; IPv6 ones are added nodad so they are usable at once. */
  addresses?: readonly string[];
}

export interface VethPair {
  a: { ns: Netns; name: string };
  b: { ns: Netns; name: string };
}

/** A set of namespaces and the processes started in them; destroy() removes all of it. */
export class Lab {
  readonly prefix: string;
  readonly namespaces: Netns[] = [];
  private readonly procs = new Set<ChildProcess>();
  private vethCounter = 0;
  private destroyed = false;

  private constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Makes an empty Lab, registered for cleanup on exit and signals (after sweeping stale namespaces). */
  static async create(opts: LabOptions = {}): Promise<Lab> {
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    checkPrefix(prefix);
    if (opts.sweep ?? true) await sweepStale(prefix);
    const lab = new Lab(prefix);
    liveLabs.add(lab);
    installHooks();
    return lab;
  }

  /** Creates a namespace with loopback up, IPv6 enabled without DAD, and (by default) forwarding on. */
  async namespace(opts: NamespaceOptions = {}): Promise<Netns> {
    if (this.destroyed) throw new Error('lab was destroyed');
    const name = `${this.prefix}_${process.pid.toString(36)}_${(nsCounter++).toString(36)}`;
    await run('ip', ['netns', 'add', name]);
    const ns = new Netns(name, this);
    this.namespaces.push(ns);  // before anything else can fail, so that destroy() removes it
    await ns.ip(['link', 'set', 'lo', 'up']);
    const fwd = (opts.forwarding ?? true) ? 1 : 0;
    await ns.sysctl({
      'net.ipv6.conf.all.disable_ipv6': 0,
      'net.ipv6.conf.default.disable_ipv6': 0,
      // No duplicate address detection: link-local addresses too are usable at once (a router whose
      // fe80:: address is still tentative loses the first forwarded packets).
      'net.ipv6.conf.all.accept_dad': 0,
      'net.ipv6.conf.default.accept_dad': 0,
      'net.ipv4.ip_forward': fwd,
      'net.ipv6.conf.all.forwarding': fwd,
    });
    return ns;
  }

  /** Creates a veth pair between two lab namespaces, with addresses, both ends up. */
  async veth(a: VethEnd, b: VethEnd, opts: { mtu?: number } = {}): Promise<VethPair> {
    for (const end of [a, b]) {
      if (!this.namespaces.includes(end.ns)) throw new TypeError('veth ends must be namespaces of this lab');
    }
    const n = this.vethCounter++;
    const nameA = a.name ?? `veth${n}a`;
    const nameB = b.name ?? `veth${n}b`;
    checkIfName(nameA);
    checkIfName(nameB);
    const family = new Map<string, 4 | 6>();  // every address checked before anything is created
    for (const cidr of [...(a.addresses ?? []), ...(b.addresses ?? [])]) family.set(cidr, checkCidr(cidr));
    const mtu = opts.mtu === undefined ? [] : ['mtu', String(opts.mtu)];
    const peerNs = a.ns === b.ns ? [] : ['netns', b.ns.name];
    // Made inside namespace A with the peer put straight into B: the host namespace never holds either end.
    await a.ns.ip(['link', 'add', nameA, ...mtu, 'type', 'veth', 'peer', 'name', nameB, ...mtu, ...peerNs]);
    for (const [end, name] of [[a, nameA], [b, nameB]] as const) {
      const lines = (end.addresses ?? []).map((cidr) => `addr add ${cidr} dev ${name}${family.get(cidr) === 6 ? ' nodad' : ''}`);
      await end.ns.ipBatch([...lines, `link set dev ${name} up`]);
    }
    // Until the kernel's linkwatch marks a new link operationally up (up to a second later), it sends
    // through a no-op qdisc that drops everything: first pings and neighbour solicitations would be lost.
    await waitOperUp(a.ns, nameA);
    await waitOperUp(b.ns, nameB);
    return { a: { ns: a.ns, name: nameA }, b: { ns: b.ns, name: nameB } };
  }

  /** Starts `cmd args` inside ns (stdio piped by default); killed at destroy(). */
  spawn(ns: Netns, cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    if (this.destroyed) throw new Error('lab was destroyed');
    const child = spawn(systemCommand('ip'), ['netns', 'exec', ns.name, systemCommand(cmd), ...args], { stdio: 'pipe', ...opts });
    this.procs.add(child);
    child.on('exit', () => this.procs.delete(child));
    child.on('error', () => this.procs.delete(child));
    return child;
  }

  /** Kills every process it started (TERM, then KILL after graceMs) and deletes every namespace it made. */
  async destroy(graceMs = 1000): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const running = [...this.procs].filter((p) => p.exitCode === null && p.signalCode === null);
    for (const p of running) p.kill('SIGTERM');
    await Promise.race([
      Promise.all(running.map((p) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r()))))),
      new Promise<void>((r) => setTimeout(r, graceMs).unref()),
    ]);
    for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) {
      await killNamespacePids(ns.name);  // also what those processes started themselves
      await run('ip', ['netns', 'del', ns.name]).catch(() => {});
    }
    liveLabs.delete(this);
  }

  /** destroy() without waiting: SIGKILL at once; for exit handlers, where nothing asynchronous runs. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) {
      killNamespacePidsSync(ns.name);
      try {
        execFileSync('ip', ['netns', 'del', ns.name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    liveLabs.delete(this);
  }
}

/** The same thing under the name the plans used. */
export { Lab as NetnsSet };

/** Waits until `dev` in `ns` is operationally up (a veth end, a link set up again). */
export async function waitOperUp(ns: Netns, dev: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const links = JSON.parse((await ns.ip(['-json', 'link', 'show', 'dev', dev])).stdout) as Array<{ operstate: string }>;
    if (links[0]?.operstate === 'UP') return;
    if (Date.now() > deadline) throw new Error(`${dev} in ${ns.name} is not up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function destroyAllSync(): void {
  for (const lab of [...liveLabs]) lab.destroySync();
}

function onSignal(sig: NodeJS.Signals): void {
  destroyAllSync();
  process.removeListener('exit', destroyAllSync);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  hooksInstalled = false;
  // Re-raise so the default action (termination) happens, unless someone else handles this signal.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', destroyAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}
