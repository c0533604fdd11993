// The router namespace as a plain OpenWrt router: LAN bridge br-lan, WAN `wan`, forwarding with
// masquerade out of the WAN (IPv4 and NAT66, as fw4's wan zone does), dnsmasq serving the LAN from the
// WAN's resolv.conf.auto; and the processes the lead's code runs on it: the bus (nym-ubusd) and nym-vpnd,
// each startable, stoppable and restartable. Keeping LAN traffic in the tunnel is nym-vpnd's job.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UbusClient } from '../../src/ubus/client.js';
import { ADDR, IF } from './addresses.js';
import { Dnsmasq } from './dnsmasq.js';
import type { Netns } from './netns.js';
import type { RouterFiles } from './router-config.js';

const dist = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));
export const BROKER_JS = dist('tools/ubusd/broker-main.js');
export const DAEMON_JS = dist('src/daemon/main.js');
export const CLI_JS = dist('src/cli/main.js');

/** The plain router's NAT: what fw4 does for the wan zone (masq + masq6), nothing else. */
export const ROUTER_RULESET = `table inet lab_router {
  chain srcnat {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${IF.routerWan}" masquerade
  }
}
`;

/** LAN bridge with its addresses, WAN addresses and default routes, NAT. The veths must exist already. */
export async function setupRouterNetwork(router: Netns): Promise<void> {
  await router.ipBatch([
    `link add ${IF.routerLan} type bridge`,
    `link set dev ${IF.routerLanPort} master ${IF.routerLan}`,
    `addr add ${ADDR.routerLan.v4}/24 dev ${IF.routerLan}`,
    `addr add ${ADDR.routerLan.v6}/64 dev ${IF.routerLan} nodad`,
    `link set dev ${IF.routerLan} up`,
    `route replace default via ${ADDR.ispWan.v4} dev ${IF.routerWan}`,
    `route replace ::/0 via ${ADDR.ispWan.v6} dev ${IF.routerWan}`,
  ]);
  await router.exec('nft', ['-f', '-'], { input: ROUTER_RULESET });
}

/** dnsmasq for the LAN the way OpenWrt runs it: upstream servers from resolv.conf.auto, polled for changes. */
export function lanDnsmasqConfig(files: RouterFiles, dhcp: boolean): string[] {
  return [
    'no-hosts',
    `resolv-file=${files.resolvConfAuto}`,
    'bind-interfaces',
    `listen-address=${ADDR.routerLan.v4}`,
    `listen-address=${ADDR.routerLan.v6}`,
    'domain-needed',
    'domain=lan',
    'local=/lan/',
    ...(dhcp ? ['dhcp-range=192.168.50.100,192.168.50.199,255.255.255.0,12h', `dhcp-leasefile=${join(files.paths.root, 'tmp/dhcp.leases')}`] : []),
  ];
}

export interface DaemonStartOptions {
  /** Extra arguments for nym-vpnd (e.g. ['--log-level', 'debug']). */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Wait until `nym-vpn` is on the bus (default true). */
  waitRegistered?: boolean;
}

/** A node program of ours in the router namespace, its output appended to a log file (and mirrored if asked). */
/** The node flags files/etc/init.d/nym-vpn gives nym-vpnd on a router (a packaging test holds them equal). */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--expose-gc', '--v8-pool-size=1'];

function startNode(ns: Netns, script: string, args: readonly string[], log: WriteStream, label: string, mirror: boolean, env?: NodeJS.ProcessEnv, nodeFlags: readonly string[] = []): ChildProcess {
  const child = ns.spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  const onData = (d: Buffer) => {
    log.write(d);
    if (mirror) process.stderr.write(d.toString().replace(/^(?=.)/gm, `[${label}] `));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('error', (e) => log.write(`spawn error: ${e.message}\n`));
  return child;
}

async function poll(what: string, test: () => Promise<boolean>, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what}: exited (${child.exitCode ?? child.signalCode})`);
    if (await test().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The processes on the router: bus, daemon, LAN dnsmasq. */
export class RouterProcesses {
  bus: ChildProcess | undefined;
  daemon: ChildProcess | undefined;
  readonly dnsmasq: Dnsmasq;
  readonly busLogFile: string;
  readonly daemonLogFile: string;
  private readonly busLog: WriteStream;
  private readonly daemonLog: WriteStream;

  constructor(
    readonly ns: Netns,
    readonly files: RouterFiles,
    /** Mirror bus and daemon output to our stderr, prefixed (the demo). */
    private readonly mirror: boolean,
    dhcp: boolean,
  ) {
    const root = files.paths.root;
    mkdirSync(join(root, 'var/log'), { recursive: true });
    mkdirSync(join(root, 'usr/share/acl.d'), { recursive: true });
    this.busLogFile = join(root, 'var/log/nym-ubusd.log');
    this.daemonLogFile = join(root, 'var/log/nym-vpnd.log');
    this.busLog = createWriteStream(this.busLogFile, { flags: 'a' });
    this.daemonLog = createWriteStream(this.daemonLogFile, { flags: 'a' });
    // OpenWrt's names: /var/etc/dnsmasq.conf.<section>, /var/run/dnsmasq/dnsmasq.<section>.pid.
    this.dnsmasq = new Dnsmasq(ns, {
      config: lanDnsmasqConfig(files, dhcp),
      confFile: join(root, 'var/etc/dnsmasq.conf.lab'),
      pidFile: join(root, 'var/run/dnsmasq/dnsmasq.lab.pid'),
      logFile: join(root, 'var/log/dnsmasq.log'),
    });
  }

  get socket(): string {
    return this.files.paths.socket;
  }

  get daemonRunning(): boolean {
    return this.daemon !== undefined && this.daemon.exitCode === null && this.daemon.signalCode === null;
  }

  /** Starts nym-ubusd on <root>/var/run/ubus/ubus.sock (with an empty ACL dir of its own); waits until it accepts. */
  async startBus(): Promise<void> {
    if (this.bus !== undefined && this.bus.exitCode === null && this.bus.signalCode === null) throw new Error('the bus is already running');
    this.bus = startNode(this.ns, BROKER_JS, ['-s', this.socket, '-A', join(this.files.paths.root, 'usr/share/acl.d')], this.busLog, 'nym-ubusd', this.mirror);
    await poll('nym-ubusd', async () => {
      const c = await UbusClient.connect({ socket: this.socket, reconnect: false });
      c.close();
      return true;
    }, this.bus, 10_000);
  }

  async stopBus(): Promise<void> {
    await stopChild(this.bus);
  }

  /** Starts nym-vpnd --socket … --root …; by default waits until its object is on the bus. */
  async startDaemon(opts: DaemonStartOptions = {}): Promise<void> {
    if (this.daemonRunning) throw new Error('nym-vpnd is already running');
    const args = ['--socket', this.socket, '--root', this.files.paths.root, ...(opts.args ?? [])];
    this.daemonLog.write(`--- nym-vpnd ${args.join(' ')} (${new Date().toISOString()})\n`);
    this.daemon = startNode(this.ns, DAEMON_JS, args, this.daemonLog, 'nym-vpnd', this.mirror, opts.env, DAEMON_NODE_FLAGS);
    if (opts.waitRegistered ?? true) await this.waitDaemonRegistered();
  }

  async waitDaemonRegistered(timeoutMs = 15_000): Promise<void> {
    await poll('nym-vpnd (object nym-vpn on the bus)', async () => {
      const c = await UbusClient.connect({ socket: this.socket, reconnect: false });
      try {
        return (await c.lookup('nym-vpn')).length === 1;
      } finally {
        c.close();
      }
    }, this.daemon, timeoutMs).catch(async (e: Error) => {
      await new Promise((r) => setTimeout(r, 50));  // let the last output reach the log
      throw new Error(`${e.message}; last lines of ${this.daemonLogFile}:\n${tail(this.daemonLogFile, 15)}`);
    });
  }

  /** Stops nym-vpnd (SIGTERM, then SIGKILL after graceMs; pass 'SIGKILL' to simulate a crash). */
  async stopDaemon(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    await stopChild(this.daemon, signal, graceMs);
  }

  async restartDaemon(opts: DaemonStartOptions = {}): Promise<void> {
    await this.stopDaemon();
    await this.startDaemon(opts);
  }

  async stopAll(): Promise<void> {
    await this.stopDaemon();
    await Promise.all([this.stopBus(), this.dnsmasq.stop()]);
    await Promise.all([new Promise((r) => this.busLog.end(r)), new Promise((r) => this.daemonLog.end(r))]);
  }
}
