// What the tests need of the real OpenWrt parts beyond test/helpers/openwrt-parts.ts (which builds
// ../shared/openwrt into build/openwrt-host): libubus's example server and client, built from the same ubus
// source tree that build.sh unpacked (its build leaves them out), into PREFIX/libexec/ubus-examples, once.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openwrtParts, type OpenwrtParts } from './openwrt-parts.js';

export interface UbusExamples {
  parts: OpenwrtParts;
  /** PREFIX/libexec/ubus-examples with `server` and `client`. */
  dir: string;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { timeout: 10 * 60_000, maxBuffer: 64 << 20 }, (err, out, stderr) => (err ? fail(new Error(`${cmd} ${args.join(' ')}: ${String(out).slice(-1500)}${String(stderr).slice(-1500)}`)) : ok()));
  });
}

let building: Promise<UbusExamples | { skip: string }> | undefined;

export function ubusExamples(): Promise<UbusExamples | { skip: string }> {
  building ??= (async () => {
    const parts = await openwrtParts();
    if ('skip' in parts) return parts;
    const p = parts.prefix;
    const dir = join(p, 'libexec/ubus-examples');
    if (existsSync(join(dir, 'server')) && existsSync(join(dir, 'client'))) return { parts, dir };
    const src = join(p, 'src/ubus');
    if (!existsSync(join(src, 'examples/server.c'))) return { skip: `ubus's source is not unpacked in ${src}` };
    const bld = join(p, 'bld/ubus-examples');
    rmSync(bld, { recursive: true, force: true });
    const link = `-L${p}/lib -Wl,-rpath,${p}/lib`;
    await run('cmake', ['-S', src, '-B', bld, `-DCMAKE_PREFIX_PATH=${p}`, `-DCMAKE_C_FLAGS=-I${p}/include`,
      `-DCMAKE_EXE_LINKER_FLAGS=${link}`, `-DCMAKE_SHARED_LINKER_FLAGS=${link}`, '-DBUILD_LUA=OFF', '-DBUILD_EXAMPLES=ON']);
    await run('make', ['-C', bld, '-j2', 'server', 'client']);
    mkdirSync(dir, { recursive: true });
    for (const b of ['server', 'client']) copyFileSync(join(bld, 'examples', b), join(dir, b));
    return { parts, dir };
  })();
  return building;
}
