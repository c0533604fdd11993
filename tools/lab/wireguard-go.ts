// Debian's wireguard-go in a lab namespace, configured with `wg`. wireguard-go makes its own TUN in the
// namespace it starts in, but its control socket lives in the one machine-wide /var/run/wireguard, so
// interface names must be unique on the machine: `nwg_<owner pid in base 36>_<counter>`. The pid lets
// sweepWireguardSockets() remove what a crashed run left, and the exit/signal hooks remove ours.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from './netns.js';
import { pidAlive } from './netns.js';
import { onLabExit } from './cleanup.js';

export const WG_SOCKET_DIR = '/var/run/wireguard';
const NAME_RE = /^nwg_([0-9a-z]+)_[0-9a-z]+$/;

let counter = 0;
/** Interfaces of this process whose sockets may still exist. */
const ours = new Map<string, WireguardGo>();

let hooked = false;

/** At exit or on a signal, remove the sockets of our instances (a SIGKILLed wireguard-go leaves its own). */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  onLabExit(() => {
    for (const name of ours.keys()) removeSocket(name);
  });
}

/** Removes the sockets of our instances that no longer run (SIGKILLed ones leave theirs). */
export function removeStoppedSockets(): void {
  for (const [name, wg] of ours) {
    if (wg.running) continue;
    removeSocket(name);
    ours.delete(name);
  }
}

/** A fresh interface name, unique on this machine while this process lives. */
export function wireguardName(): string {
  return `nwg_${process.pid.toString(36)}_${(counter++).toString(36)}`;
}

export function socketPath(name: string): string {
  return join(WG_SOCKET_DIR, `${name}.sock`);
}

function removeSocket(name: string): void {
  try {
    unlinkSync(socketPath(name));
  } catch {
    // already gone
  }
}

/** Removes control sockets of our naming whose owner process is dead; returns their names. */
export function sweepWireguardSockets(): string[] {
  let entries: string[];
  try {
    entries = readdirSync(WG_SOCKET_DIR);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const file of entries) {
    const name = file.replace(/\.sock$/, '');
    const m = NAME_RE.exec(name);
    if (!file.endsWith('.sock') || m === null) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid === process.pid || pidAlive(pid)) continue;
    removeSocket(name);
    removed.push(name);
  }
  return removed;
}

export interface WgPeer {
  publicKey: string;
  allowedIps: readonly string[];
  endpoint?: string;
  persistentKeepalive?: number;
}

export interface WgInterfaceConfig {
  /** Path of a file holding the base64 private key (wg reads keys from files only). */
  privateKeyFile: string;
  listenPort?: number;
  peers: readonly WgPeer[];
  /** Addresses with prefix, e.g. 10.100.1.1/24; IPv6 ones added nodad. */
  addresses: readonly string[];
  mtu: number;
}

/** One running wireguard-go: start() it, stop() it, start() again with the same name and config. */
export class WireguardGo {
  private child: ChildProcess | undefined;

  constructor(
    readonly ns: Netns,
    readonly name: string,
    private readonly config: WgInterfaceConfig,
    /** Where wireguard-go's own output goes (appended). */
    private readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Starts wireguard-go in the foreground, waits for its socket, then sets keys, peers, addresses, MTU, up. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    ours.set(this.name, this);
    hookExit();
    removeSocket(this.name);  // a socket left by a SIGKILLed instance is not "in use"; gone is clearer
    writeFileSync(this.logFile, `--- wireguard-go ${this.name} starting ${new Date().toISOString()}\n`, { flag: 'a' });
    const child = this.ns.spawn('wireguard-go', ['-f', this.name], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: process.env.NYM_LAB_WG_LOG ?? 'error' },
    });
    let output = '';
    const keep = (d: Buffer) => {
      output += d.toString();
      writeFileSync(this.logFile, d, { flag: 'a' });
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!existsSync(socketPath(this.name))) {
      if (!this.running) throw new Error(`wireguard-go ${this.name} exited at start: ${output.trim()}`);
      if (Date.now() > deadline) throw new Error(`wireguard-go ${this.name}: no control socket after 10 s: ${output.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const c = this.config;
    const args = ['set', this.name, 'private-key', c.privateKeyFile];
    if (c.listenPort !== undefined) args.push('listen-port', String(c.listenPort));
    for (const p of c.peers) {
      args.push('peer', p.publicKey, 'allowed-ips', p.allowedIps.join(','));
      if (p.endpoint !== undefined) args.push('endpoint', p.endpoint);
      if (p.persistentKeepalive !== undefined) args.push('persistent-keepalive', String(p.persistentKeepalive));
    }
    await this.ns.exec('wg', args);
    await this.ns.ipBatch([
      ...c.addresses.map((a) => `addr replace ${a} dev ${this.name}${a.includes(':') ? ' nodad' : ''}`),
      `link set dev ${this.name} mtu ${c.mtu} up`,
    ]);
  }

  /** Stops it (SIGTERM: wireguard-go removes its TUN and socket; SIGKILL leaves the socket, as a crash would). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    // The TUN goes with the process; wait until the kernel has removed it, so a restart can reuse the name.
    for (let i = 0; i < 100 && (await this.ns.ip(['link', 'show', 'dev', this.name]).then(() => true, () => false)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (signal === 'SIGTERM') removeSocket(this.name);
  }

  /** `wg show <name> dump` parsed: the interface line and one entry per peer. */
  async show(): Promise<WgShow> {
    return parseWgDump((await this.ns.exec('wg', ['show', this.name, 'dump'])).stdout);
  }

  /** Removes the socket for good (after the lab is gone). */
  forget(): void {
    removeSocket(this.name);
    ours.delete(this.name);
  }
}

export interface WgShowPeer {
  publicKey: string;
  endpoint: string | undefined;
  allowedIps: string[];
  /** Seconds since the epoch; 0 = never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
}

export interface WgShow {
  publicKey: string;
  listenPort: number;
  peers: WgShowPeer[];
}

/** Parses `wg show IFACE dump` (tab-separated; first line the interface, then one line per peer). */
export function parseWgDump(text: string): WgShow {
  const lines = text.trim().split('\n').map((l) => l.split('\t'));
  const head = lines[0];
  if (head === undefined || head.length < 4) throw new Error(`unexpected wg dump: ${text.slice(0, 200)}`);
  return {
    publicKey: head[1]!,
    listenPort: Number(head[2]),
    peers: lines.slice(1).map((f) => ({
      publicKey: f[0]!,
      endpoint: f[2] === '(none)' ? undefined : f[2],
      allowedIps: f[3] === '(none)' ? [] : f[3]!.split(','),
      latestHandshake: Number(f[4]),
      rxBytes: Number(f[5]),
      txBytes: Number(f[6]),
    })),
  };
}
