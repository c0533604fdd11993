// A minimal OpenWrt-shaped root for installing our packages the way a router does: busybox as
// /bin/sh and the usual applets, the real `uci` (built from ../shared/openwrt), /lib/functions.sh and
// /etc/rc.common stand-ins (router/), OpenWrt's default network and firewall configs, and a stub
// /sbin/fw4 (or fw3). Maintainer scripts run chrooted into it, as root, like on the router itself:
// no IPKG_INSTROOT, paths as on the device. Shared libraries are copied to the paths the host's
// loader looks in, so the binaries run inside the chroot unchanged.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { repoRoot } from '../helpers/bus.js';
import { openwrtParts } from '../helpers/openwrt-parts.js';

const HERE = join(repoRoot, 'test/packaging/router');

/** OpenWrt's default /etc/config/network (the parts a uci-defaults script may touch). */
export const NETWORK = `
config interface 'loopback'
	option device 'lo'
	option proto 'static'
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config interface 'lan'
	option device 'br-lan'
	option proto 'static'
	option ipaddr '192.168.1.1'
	option netmask '255.255.255.0'

config interface 'wan'
	option device 'eth1'
	option proto 'dhcp'
`;

/** OpenWrt's default /etc/config/firewall, shortened to its zones and forwarding. */
export const FIREWALL = `
config defaults
	option input 'REJECT'
	option output 'ACCEPT'
	option forward 'REJECT'

config zone
	option name 'lan'
	list network 'lan'
	option input 'ACCEPT'
	option output 'ACCEPT'
	option forward 'ACCEPT'

config zone
	option name 'wan'
	list network 'wan'
	option input 'REJECT'
	option output 'ACCEPT'
	option forward 'REJECT'
	option masq '1'
	option mtu_fix '1'

config forwarding
	option src 'lan'
	option dest 'wan'
`;

/** Why these tests cannot run here, or undefined when they can. */
export async function routerRootUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'installing into a root with chroot needs root';
  if (spawnSync('busybox', ['true']).status !== 0) return 'busybox is not installed';
  const parts = await openwrtParts();
  if ('skip' in parts) return parts.skip;
  return undefined;
}

/** The shared libraries a binary loads (ldd), with the loader. */
function librariesOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

function copyInto(root: string, from: string, to: string, mode = 0o755): void {
  mkdirSync(dirname(join(root, to)), { recursive: true });
  copyFileSync(realpathSync(from), join(root, to));
  chmodSync(join(root, to), mode);
}

export class RouterRoot {
  private constructor(readonly dir: string) {}

  static async create(firewall: 'fw4' | 'fw3' = 'fw4'): Promise<RouterRoot> {
    const parts = await openwrtParts();
    if ('skip' in parts) throw new Error(parts.skip);
    const dir = mkdtempSync(join(tmpdir(), 'nym-router-'));
    const r = new RouterRoot(dir);
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/lib', 'lib', 'etc/config', 'etc/init.d', 'etc/uci-defaults', 'tmp', 'var/run', 'var/log', 'proc', 'dev']) {
      mkdirSync(join(dir, d), { recursive: true });
    }
    chmodSync(join(dir, 'tmp'), 0o1777);
    // Scripts write to /dev/null; apk binds the host's /dev over it for its scripts, opkg on a router has it.
    execFileSync('mknod', ['-m', '666', join(dir, 'dev/null'), 'c', '1', '3']);
    // busybox and its applets (sh, grep, sed, ln, ...), as on OpenWrt.
    const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
    copyInto(dir, busybox, 'bin/busybox');
    for (const applet of execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      if (!existsSync(join(dir, 'bin', applet))) symlinkSync('busybox', join(dir, 'bin', applet));
    }
    // The real uci, its libraries in /usr/lib (its rpath points outside the root).
    copyInto(dir, parts.uci, 'sbin/uci');
    for (const lib of [busybox, parts.uci].flatMap(librariesOf)) {
      const inRoot = lib.startsWith(parts.prefix) ? `usr/lib/${basename(lib)}` : lib.slice(1);
      if (!existsSync(join(dir, inRoot))) copyInto(dir, lib, inRoot);
    }
    copyInto(dir, join(HERE, 'functions.sh'), 'lib/functions.sh', 0o644);
    copyInto(dir, join(HERE, 'rc.common'), 'etc/rc.common', 0o755);
    writeFileSync(join(dir, 'etc/config/network'), NETWORK.trimStart());
    writeFileSync(join(dir, 'etc/config/firewall'), FIREWALL.trimStart());
    // Which firewall this router runs: the uci-defaults and the daemon look for these commands.
    writeFileSync(join(dir, 'sbin', firewall), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'sbin', firewall), 0o755);
    return r;
  }

  /** A command inside the root (chroot), as on the router: PATH as OpenWrt's, nothing else inherited. */
  run(argv: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
    const r = spawnSync('chroot', [this.dir, ...argv], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, encoding: 'utf8', timeout: 60_000,
    });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  /** `uci show CONFIG` inside the root: the configuration as uci reads it, independent of layout. */
  uciShow(config: string): string {
    const r = this.run(['/sbin/uci', '-q', 'show', config]);
    return r.stdout;
  }

  /** The init.d stand-in's log (actions, spawns, kills), emptied. */
  takeInitLog(): string[] {
    const f = join(this.dir, 'var/log/init.d.log');
    if (!existsSync(f)) return [];
    const lines = readFileSync(f, 'utf8').trim().split('\n').filter(Boolean);
    rmSync(f);
    return lines;
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** Every file and symlink under the root (paths from /), directories left out. */
  files(): Set<string> {
    const found = new Set<string>();
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (lstatSync(p).isDirectory()) walk(p);
        else found.add(`/${relative(this.dir, p)}`);
      }
    };
    walk(this.dir);
    return found;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
