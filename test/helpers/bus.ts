// A real nym-ubusd process on a scratch socket, and nym-vpnd / nym-vpnc runs against it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UbusClient } from '../../src/ubus/client.js';

export const repoRoot = resolve(new URL('.', import.meta.url).pathname, '../../..');
export const bin = {
  broker: join(repoRoot, 'dist/tools/ubusd/broker-main.js'),
  daemon: join(repoRoot, 'dist/src/daemon/main.js'),
  cli: join(repoRoot, 'dist/src/cli/main.js'),
};

export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000, step = 25): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    try { if (await cond()) return true; } catch { /* not yet */ }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, step));
  }
}

export interface BusOptions {
  /** The real ubusd binary (test/helpers/openwrt-parts.ts) instead of nym-ubusd. */
  ubusd?: string;
  /** ACL folder (`-A`); default: none (nym-ubusd: an empty folder of this bus). */
  aclDir?: string;
}

export class BusProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'nym-bus-'));
  readonly socket = join(this.dir, 'ubus.sock');
  private proc: ChildProcess | null = null;
  readonly children: ChildProcess[] = [];

  constructor(readonly opts: BusOptions = {}) {}

  /** The bus process's pid (for /proc readings). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    const acl = this.opts.aclDir ?? join(this.dir, 'acl.d');
    this.proc = this.opts.ubusd
      ? spawn(this.opts.ubusd, ['-s', this.socket, '-A', acl], { stdio: 'ignore' })
      : spawn(process.execPath, [bin.broker, '--socket', this.socket, '-A', acl], { stdio: 'ignore' });
    const ok = await waitFor(async () => { (await UbusClient.connect({ socket: this.socket, reconnect: false })).close(); return true; });
    if (!ok) throw new Error('nym-ubusd did not come up');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGKILL'); });
  }

  /** Starts nym-vpnd with --root in this bus's scratch dir; resolves once `nym-vpn` is on the bus. */
  async startDaemon(root = this.dir, extra: string[] = []): Promise<ChildProcess> {
    // In a network namespace of its own (unshare execs, so the pid is the daemon's): whatever it does to the
    // firewall, routes or links on a connect stays there, never on this machine's uplink.
    const d = spawn('unshare', ['--net', process.execPath, bin.daemon, '--socket', this.socket, '--root', root, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    d.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
    (d as ChildProcess & { log: () => string }).log = () => log;
    this.children.push(d);
    const ok = await waitFor(async () => {
      const c = await UbusClient.connect({ socket: this.socket, reconnect: false });
      try { return (await c.lookup('nym-vpn')).length === 1; } finally { c.close(); }
      // Generous: a file's tests start their daemons all at once, and with always_on each puts its kill switch
      // up (several nft runs) before registering; on two busy cores that takes more than 10 s.
    }, 30000);
    if (!ok) throw new Error(`nym-vpnd did not register: ${log}`);
    return d;
  }

  cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolvePromise) => {
      const child = execFile(process.execPath, [bin.cli, '--socket', this.socket, '--root', this.dir, ...args], { timeout: 30000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
      else child.stdin!.end();
    });
  }

  async close(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
