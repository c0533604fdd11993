// The real OpenWrt parts (ubusd, ubus, uci, rpcd, uhttpd, fw4, LuCI) built from ../shared/openwrt's sources
// into build/openwrt-host, once (build.sh keeps a stamp per tarball, so later runs cost nothing). Without
// ../shared (a newcomer's clone) the tests that need them skip, saying why.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const SHARED = resolve(repoRoot, '../shared/openwrt');
export const OPENWRT_PREFIX = join(repoRoot, 'build/openwrt-host');

export interface OpenwrtParts {
  prefix: string;
  ubusd: string;
  ubus: string;
  uci: string;
  rpcd: string;
  uhttpd: string;
}

let building: Promise<OpenwrtParts | { skip: string }> | undefined;

/** Builds (once per process; the build itself is cached on disk) and returns the paths, or why not. */
export function openwrtParts(): Promise<OpenwrtParts | { skip: string }> {
  building ??= (async () => {
    if (!existsSync(join(SHARED, 'build.sh'))) return { skip: `the real OpenWrt parts are not here (${SHARED} is missing)` };
    mkdirSync(OPENWRT_PREFIX, { recursive: true });
    await new Promise<void>((ok, fail) => {
      execFile('bash', [join(SHARED, 'build.sh'), OPENWRT_PREFIX], { timeout: 15 * 60_000, maxBuffer: 64 << 20 }, (err, _o, stderr) => (err ? fail(new Error(`building the OpenWrt parts failed: ${String(stderr).slice(-2000)}`)) : ok()));
    });
    const p = OPENWRT_PREFIX;
    return { prefix: p, ubusd: join(p, 'sbin/ubusd'), ubus: join(p, 'bin/ubus'), uci: join(p, 'bin/uci'), rpcd: join(p, 'sbin/rpcd'), uhttpd: join(p, 'bin/uhttpd') };
  })();
  return building;
}
