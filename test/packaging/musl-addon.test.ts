// The router's native addon (binding.gyp target nym_vpn_native) built against musl, OpenWrt's C
// library, with Debian's musl-tools (musl-gcc): the sources and flags of binding.gyp, musl's headers
// plus the kernel's (as OpenWrt's toolchain has them), linked as a shared object against musl's libc.
//
// What this proves: the addon uses no glibc-only header, type or function; it compiles and links
// with musl; every C library symbol it needs is in musl's libc.so; it needs no other library. What it
// does not prove: that it loads and works in a musl build of node on a router (no musl node is at
// hand here), nor anything about another CPU (the SDK's cross compiler builds those, openwrt/Makefile).
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers/bus.js';

const MUSL_LIBC = '/usr/lib/x86_64-linux-musl/libc.so';
const OUT = join(repoRoot, 'build/musl');

/** node's headers: beside the running node (packaged installs), else where node-gyp keeps them. */
function nodeHeaders(): string | undefined {
  const candidates = [
    join(dirname(process.execPath), '../include/node'),
    join(homedir(), '.cache/node-gyp', process.versions.node, 'include/node'),
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

const headers = nodeHeaders();
const why = spawnSync('musl-gcc', ['--version']).status !== 0 ? 'musl-gcc is not installed (Debian package musl-tools)'
  : process.arch !== 'x64' ? 'musl-tools\' libc here is for x86_64 only'
    : headers === undefined ? 'node\'s headers (node_api.h) are not found' : undefined;

interface Target { target_name: string; sources: string[]; defines: string[]; cflags: string[] }

/** binding.gyp's nym_vpn_native target (the file is JSON with # comment lines). */
function target(): Target {
  const text = readFileSync(join(repoRoot, 'binding.gyp'), 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
  const gyp = JSON.parse(text) as { targets: Target[] };
  return gyp.targets.find((t) => t.target_name === 'nym_vpn_native')!;
}

/** The kernel headers OpenWrt's toolchain carries (linux/, asm/, asm-generic/), from Debian's. */
function kernelHeaders(): string {
  const dir = join(OUT, 'kernel-include');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync('/usr/include/linux', join(dir, 'linux'));
  symlinkSync('/usr/include/asm-generic', join(dir, 'asm-generic'));
  symlinkSync('/usr/include/x86_64-linux-gnu/asm', join(dir, 'asm'));
  return dir;
}

function compile(extra: string[]): { code: number; stderr: string; output: string } {
  const t = target();
  mkdirSync(OUT, { recursive: true });
  const output = join(OUT, 'nym_vpn_native.node');
  rmSync(output, { force: true });
  const args = [...t.cflags, ...t.defines.map((d) => `-D${d}`), '-fPIC', '-shared', ...extra,
    '-isystem', kernelHeaders(), '-isystem', headers!, ...t.sources.map((s) => join(repoRoot, s)), '-o', output];
  const r = spawnSync('musl-gcc', args, { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? 1, stderr: r.stderr, output };
}

if (why) {
  test('musl build of the addon', (t) => { t.log(`skipped: ${why}`); t.pass(); });
} else {
  test.serial('nym_vpn_native compiles and links against musl; every libc symbol it needs is in musl\'s libc; no other library', (t) => {
    const r = compile([]);
    t.is(r.code, 0, r.stderr);
    const needed = execFileSync('readelf', ['-d', r.output], { encoding: 'utf8' }).split('\n')
      .map((l) => /\(NEEDED\).*\[(.*)\]/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
    t.deepEqual(needed, ['libc.so'], 'musl\'s one library');
    const musl = new Set(execFileSync('nm', ['-D', '--defined-only', MUSL_LIBC], { encoding: 'utf8' }).split('\n')
      .map((l) => l.trim().split(/\s+/)[2]).filter(Boolean));
    const undefinedSyms = execFileSync('nm', ['-D', '--undefined-only', r.output], { encoding: 'utf8' }).split('\n')
      .map((l) => l.trim().split(/\s+/).pop()!).filter(Boolean);
    // N-API and libuv come from node itself when it loads the addon, and so does OpenSSL's EVP (the transport
    // cipher, src/native/addon/aead.c): node links OpenSSL and exports it to addons (statically built in, or
    // OpenWrt's libcrypto when node is built with --shared-openssl).
    const node = /^(napi_|uv_|EVP_)/;
    const fromNode = undefinedSyms.filter((s) => node.test(s));
    t.true(fromNode.length > 0);
    const weak = new Set(['__cxa_finalize', '_ITM_registerTMCloneTable', '_ITM_deregisterTMCloneTable', '__gmon_start__']);
    t.deepEqual(undefinedSyms.filter((s) => !node.test(s) && !weak.has(s) && !musl.has(s)), [], 'every libc symbol exists in musl');
  });

  // GCC 14 (the compiler of current OpenWrt toolchains) makes an implicit function declaration an
  // error. src/native/addon/marked.c calls snprintf without <stdio.h>: glibc's headers bring it in
  // by the way, musl's do not; marked.c now includes it.
  test.serial('nym_vpn_native compiles against musl with implicit declarations as errors (GCC 14)', (t) => {
    const r = compile(['-Werror=implicit-function-declaration']);
    t.is(r.code, 0, r.stderr);
  });
}
