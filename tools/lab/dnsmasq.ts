// Debian's dnsmasq in a lab namespace: the lab's resolvers (inet's, the ISP's) and the router's LAN
// DNS. Always with an explicit config file (never /etc/dnsmasq.conf), kept in the foreground so the Lab
// owns the process, logging queries to a file so tests can tell which resolver was asked what.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Netns } from './netns.js';

export interface DnsmasqOptions {
  /** Config lines (dnsmasq.conf syntax, without leading dashes). */
  config: readonly string[];
  confFile: string;
  pidFile: string;
  logFile: string;
}

export interface DnsQueryLogEntry {
  type: string;
  name: string;
  from: string;
}

export class Dnsmasq {
  private child: ChildProcess | undefined;

  constructor(
    readonly ns: Netns,
    readonly opts: DnsmasqOptions,
  ) {}

  get confFile(): string {
    return this.opts.confFile;
  }

  get pidFile(): string {
    return this.opts.pidFile;
  }

  get logFile(): string {
    return this.opts.logFile;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes the config and starts dnsmasq; resolves once it has logged that it started. */
  async start(): Promise<void> {
    const { confFile, pidFile, logFile } = this.opts;
    for (const f of [confFile, pidFile, logFile]) mkdirSync(dirname(f), { recursive: true });
    const lines = [
      '# written by the nym-vpn lab',
      'keep-in-foreground',
      // root: the lab's files sit in a private temp dir nobody could read after dropping privileges.
      'user=root',
      'group=root',
      `pid-file=${pidFile}`,
      `log-facility=${logFile}`,
      'log-queries',
      ...this.opts.config,
    ];
    writeFileSync(confFile, `${lines.join('\n')}\n`);
    writeFileSync(logFile, '');
    const child = this.ns.spawn('dnsmasq', [`--conf-file=${confFile}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => (stderr += e.message));
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!this.running) throw new Error(`dnsmasq (${confFile}) exited: ${stderr.trim()}`);
      if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('started, version')) return;
      if (Date.now() > deadline) throw new Error(`dnsmasq (${confFile}) did not start within 10 s: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  }

  /** Re-reads resolv-file and hosts (what OpenWrt does after changing upstream servers). */
  reload(): void {
    if (this.running) this.child!.kill('SIGHUP');
  }

  private logText(): string {
    return existsSync(this.opts.logFile) ? readFileSync(this.opts.logFile, 'utf8') : '';
  }

  /** Every query dnsmasq logged so far ("query[A] lab.test from 198.51.100.2"). */
  queries(): DnsQueryLogEntry[] {
    return [...this.logText().matchAll(/query\[([A-Z0-9]+)\] (\S+) from (\S+)/g)].map((m) => ({ type: m[1]!, name: m[2]!, from: m[3]! }));
  }

  /** Every query it passed upstream ("forwarded lab.test to 198.51.100.1"): which server a name went to. */
  forwarded(): Array<{ name: string; to: string }> {
    return [...this.logText().matchAll(/forwarded (\S+) to (\S+)/g)].map((m) => ({ name: m[1]!, to: m[2]! }));
  }
}
