// `bash scripts/package.sh` (what `make package` runs): the .ipk layout opkg reads, the control
// fields, conffiles, modes and owners, no dev dependencies; then the package installed into an
// empty root the way opkg unpacks it, its daemon started there against a real nym-ubusd and its
// nym-vpnc answering; and the maintainer scripts, in an image root and (in a private mount
// namespace) on a "running router" whose /etc/init.d/nym-vpn only records what it was asked.
import test from 'ava';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BusProcess, repoRoot, waitFor } from '../helpers/bus.js';
import { UbusClient } from '../../src/ubus/client.js';
import { gunzipSync } from 'node:zlib';
import { pathOf, readTarGz, type TarEntry } from './tar.js';
import { SHELLS, runShell, syntaxError } from './sh.js';
import { APK, SHARED_APK } from './router-scenario.js';

const EPOCH = 1_700_000_000;
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; license: string };
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
const out = mkdtempSync(join(tmpdir(), 'nym-ipk-'));
const MAIN_IPK = join(out, `nym-vpn_${pkg.version}-1_x86_64.ipk`);
const LUCI_IPK = join(out, `luci-app-nym-vpn_${pkg.version}-1_all.ipk`);
const MAIN_APK = join(out, `nym-vpn-${pkg.version}-r1.apk`);
const LUCI_APK = join(out, `luci-app-nym-vpn-${pkg.version}-r1.apk`);
// package.sh makes the .apk files with apk-tools 3: APK, or the one built from ../shared/apk-tools. Without
// either (a clone with nothing beside it) it makes the .ipk files only, and the .apk tests skip, saying why.
const noApk = process.env.APK || existsSync(APK) || existsSync(SHARED_APK) ? undefined : `apk-tools 3 is not here (${SHARED_APK} is missing)`;
const apkTest = noApk === undefined ? test : test.skip;
const PACKAGE_ENV = { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH), ...(noApk === undefined ? {} : { NYM_PACKAGE_APK: '0' }) };

interface Ipk { outer: TarEntry[]; control: Map<string, TarEntry>; data: Map<string, TarEntry> }

function openIpk(file: string): Ipk {
  const outer = readTarGz(readFileSync(file));
  const member = (n: string) => outer.find((e) => e.name === `./${n}`)!.data;
  const byPath = (entries: TarEntry[]) => new Map(entries.map((e) => [pathOf(e), e]));
  return { outer, control: byPath(readTarGz(member('control.tar.gz'))), data: byPath(readTarGz(member('data.tar.gz'))) };
}

function fields(control: string): Record<string, string> {
  const f: Record<string, string> = {};
  let last = '';
  for (const line of control.split('\n')) {
    if (line.startsWith(' ') && last) f[last] += `\n${line.slice(1)}`;
    else if (line.includes(':')) { last = line.slice(0, line.indexOf(':')); f[last] = line.slice(line.indexOf(':') + 1).trim(); }
  }
  return f;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) walk(p);
      else found.push(relative(dir, p));
    }
  };
  walk(dir);
  return found.sort();
}

let main: Ipk;
let luci: Ipk;
let packagingOutput = '';
test.before(() => {
  packagingOutput = execFileSync('bash', [join(repoRoot, 'scripts/package.sh')], {
    env: { ...PACKAGE_ENV, NYM_PACKAGE_OUT: out }, encoding: 'utf8', timeout: 120_000,
  });
  main = openIpk(MAIN_IPK);
  luci = openIpk(LUCI_IPK);
});
test.after.always(() => rmSync(out, { recursive: true, force: true }));

test('make package names the files the opkg way (name_version-release_arch.ipk)', (t) => {
  t.deepEqual(packagingOutput.trim().split('\n').filter((f) => f.endsWith('.ipk')), [MAIN_IPK, LUCI_IPK]);
  t.true([MAIN_IPK, LUCI_IPK].every((f) => existsSync(f)));
});

apkTest(`make package names the files the apk way too (name-version-rrelease.apk), each after its .ipk${noApk ? ` — skipped: ${noApk}` : ''}`, (t) => {
  t.deepEqual(packagingOutput.trim().split('\n'), [MAIN_IPK, MAIN_APK, LUCI_IPK, LUCI_APK]);
  t.true([MAIN_APK, LUCI_APK].every((f) => existsSync(f)));
});

test('outer archive: a gzipped tar of ./debian-binary, ./data.tar.gz, ./control.tar.gz, owned by root', (t) => {
  for (const ipk of [main, luci]) {
    t.deepEqual(ipk.outer.map((e) => e.name), ['./debian-binary', './data.tar.gz', './control.tar.gz']);
    t.is(ipk.outer[0]!.data.toString(), '2.0\n');
    for (const e of ipk.outer) {
      t.is(`${e.uid}:${e.gid}`, '0:0');
      t.is(e.mtime, EPOCH);
      t.is(e.type, '0');
    }
  }
  t.deepEqual([...readFileSync(MAIN_IPK).subarray(0, 2)], [0x1f, 0x8b], 'gzip, not ar (current opkg)');
});

test('control: the fields opkg and the feed index need, depends with the reason-giving list', (t) => {
  const f = fields(main.control.get('/control')!.data.toString());
  t.is(f.Package, 'nym-vpn');
  t.is(f.Version, `${pkg.version}-1`);
  t.is(f.Architecture, 'x86_64');
  t.is(f.License, pkg.license);
  t.is(f.Section, 'net');
  t.regex(f.Maintainer!, /^.+ <[^@\s]+@[^@\s]+>$/);
  t.is(f.Depends, 'libc, node, kmod-tun, ip-full');
  t.is(f.SourceDateEpoch, String(EPOCH));
  t.regex(f.Description!, /two WireGuard hops/);
  t.is(Number(f['Installed-Size']), gunzipSync(main.outer[1]!.data).length, 'Installed-Size is the data tar size, as ipkg-build counts it');
  const lf = fields(luci.control.get('/control')!.data.toString());
  t.is(lf.Package, 'luci-app-nym-vpn');
  t.is(lf.Architecture, 'all');
  t.is(lf.Depends, 'libc, nym-vpn, luci-base');
  t.is(lf.Section, 'luci');
});

test('conffiles: /etc/config/nym-vpn; maintainer scripts as package-pack.mk writes them, executable and valid sh', (t) => {
  t.is(main.control.get('/conffiles')!.data.toString(), '/etc/config/nym-vpn\n');
  const scripts = { main: ['/postinst', '/prerm', '/postinst-pkg', '/prerm-pkg', '/postrm'], luci: ['/postinst', '/prerm', '/postinst-pkg'] };
  for (const [ipk, names] of [[main, scripts.main], [luci, scripts.luci]] as const) {
    t.deepEqual([...ipk.control.keys()].filter((k) => k !== '/').sort(), [...(ipk === main ? ['/conffiles'] : []), '/control', ...names].sort());
    for (const s of names) {
      const e = ipk.control.get(s)!;
      t.is(e.mode, 0o755, s);
      const file = join(out, `check${s.replace('/', '-')}`);
      writeFileSync(file, e.data);
      for (const shell of SHELLS) t.is(syntaxError(shell, file), null, `${shell.name} -n ${s}`);
    }
    // The generic part: base-files' default_postinst / default_prerm do the work on the router.
    t.regex(ipk.control.get('/postinst')!.data.toString(), /^\. \$\{IPKG_INSTROOT\}\/lib\/functions\.sh\ndefault_postinst \$0 \$@$/m);
    t.regex(ipk.control.get('/prerm')!.data.toString(), /^default_prerm \$0 \$@$/m);
  }
  // The package's own part is openwrt/Makefile's define, with make's $$ undone.
  t.regex(main.control.get('/postinst-pkg')!.data.toString(), /^\[ -d "\$\{IPKG_INSTROOT\}\/etc\/nym-vpn" \] && chmod 0700/m);
});

test('data: owners 0:0, one mtime, and the modes that matter', (t) => {
  for (const e of main.data.values()) {
    t.is(`${e.uid}:${e.gid}`, '0:0', e.name);
    t.is(e.mtime, EPOCH, e.name);
  }
  const mode = (p: string) => main.data.get(p)?.mode;
  t.is(mode('/etc/init.d/nym-vpn'), 0o755);
  t.is(mode('/etc/hotplug.d/iface/50-nym-vpn'), 0o755);
  t.is(mode('/etc/nym-vpn'), 0o700, 'state folder: root only');
  t.is(main.data.get('/etc/nym-vpn')!.type, '5');
  t.is(mode('/etc/config/nym-vpn'), 0o600, 'as INSTALL_CONF');
  t.is(mode('/usr/bin/nym-vpnc'), 0o755);
  t.is(mode('/usr/sbin/nym-vpnd'), 0o755);
  t.is(mode('/usr/lib/nym-vpn/build/Release/nym_vpn_native.node'), 0o755);
  t.is(mode('/usr/lib/nym-vpn/dist/src/daemon/main.js'), 0o644);
  t.is(main.data.get('/lib/upgrade/keep.d/nym-vpn')!.data.toString(), '/etc/nym-vpn/\n', 'sysupgrade keeps the account and keys');
  for (const e of main.data.values()) {
    if (e.type === '5' && pathOf(e) !== '/etc/nym-vpn') t.is(e.mode, 0o755, e.name);
  }
  const init = main.data.get('/etc/init.d/nym-vpn')!.data.toString();
  const daemon = /^DAEMON=(\S+)$/m.exec(init)![1]!;
  t.true(main.data.has(daemon), `the init script's DAEMON ${daemon} is in the package`);
});

test('data: every file of files/, the compiled code of every source file and nothing else, the schema, the router\'s addon', (t) => {
  for (const rel of filesUnder(join(repoRoot, 'files'))) {
    const e = main.data.get(`/${rel}`);
    t.truthy(e, `files/${rel} is packaged`);
    t.deepEqual(e?.data, readFileSync(join(repoRoot, 'files', rel)), rel);
  }
  for (const rel of filesUnder(join(repoRoot, 'src')).filter((r) => r.endsWith('.ts') && !r.endsWith('.d.ts'))) {
    const js = `/usr/lib/nym-vpn/dist/src/${rel.replace(/\.ts$/, '.js')}`;
    t.true(main.data.has(js), js);
  }
  // The router's code and nothing else: no development tool (tools/: lab, bus, uci CLI), test or bench.
  const code = [...main.data].filter(([p, e]) => e.type === '0' && p.startsWith('/usr/lib/nym-vpn/dist/')).map(([p]) => p);
  t.deepEqual(code.filter((p) => !p.startsWith('/usr/lib/nym-vpn/dist/src/')), []);
  t.true(main.data.has('/usr/lib/nym-vpn/ubus-schema/nym-vpn.json'));
  t.true(main.data.has('/usr/lib/nym-vpn/package.json'));
  t.true(main.data.has('/usr/lib/nym-vpn/build/Release/nym_vpn_native.node'));
  t.false(main.data.has('/usr/lib/nym-vpn/build/Release/nym_peercred.node'), 'the lab bus\'s addon stays out');
});

test('data: production node_modules only (@noble/*, @scure/*, upstream\'s @nymproject WASM, ws, fake-indexeddb), without TypeScript sources or maps', (t) => {
  const prod = Object.entries(lock.packages).filter(([p, v]) => p !== '' && !v.dev && !v.devOptional).map(([p]) => p).sort();
  const shipped = new Set<string>();
  for (const [p, e] of main.data) {
    const m = e.type === '0' ? /^\/usr\/lib\/nym-vpn\/(node_modules\/(?:@[^/]+\/[^/]+|[^@/][^/]*))\//.exec(p) : null;
    if (m) shipped.add(m[1]!);
  }
  t.deepEqual([...shipped].sort(), prod);
  t.true(prod.every((p) => /^node_modules\/(@(noble|scure|nymproject)\/|ws$|fake-indexeddb$)/.test(p)), prod.join(' '));
  const paths = [...main.data.keys()];
  t.deepEqual(paths.filter((p) => /\.(ts|map)$/.test(p)), []);
  t.deepEqual(paths.filter((p) => /\/(ava|typescript|playwright-core|@types)\b|\/test\/|\/bench\//.test(p) && !p.includes('/node_modules/@')), []);
  t.false(paths.some((p) => p.includes('/dist/tools/')));
});

test('luci-app: luci-app/htdocs under /www and luci-app/root under /, whatever they hold now', (t) => {
  const expected = [
    ...filesUnder(join(repoRoot, 'luci-app/htdocs')).map((r) => `/www/${r}`),
    ...filesUnder(join(repoRoot, 'luci-app/root')).map((r) => `/${r}`),
  ].sort();
  const files = [...luci.data.values()].filter((e) => e.type !== '5').map(pathOf).sort();
  t.deepEqual(files, expected);
  for (const e of luci.data.values()) t.is(`${e.uid}:${e.gid}`, '0:0');
});

test('the same commit and SOURCE_DATE_EPOCH give the same bytes (and the .apk files too, where apk-tools 3 is here)', (t) => {
  const again = mkdtempSync(join(tmpdir(), 'nym-ipk-'));
  try {
    execFileSync('bash', [join(repoRoot, 'scripts/package.sh')], { env: { ...PACKAGE_ENV, NYM_PACKAGE_OUT: again }, timeout: 120_000 });
    t.deepEqual(readFileSync(join(again, 'nym-vpn_0.1.0-1_x86_64.ipk')), readFileSync(MAIN_IPK));
    t.deepEqual(readFileSync(join(again, 'luci-app-nym-vpn_0.1.0-1_all.ipk')), readFileSync(LUCI_IPK));
    if (noApk === undefined) {
      t.deepEqual(readFileSync(join(again, 'nym-vpn-0.1.0-r1.apk')), readFileSync(MAIN_APK));
      t.deepEqual(readFileSync(join(again, 'luci-app-nym-vpn-0.1.0-r1.apk')), readFileSync(LUCI_APK));
    }
  } finally {
    rmSync(again, { recursive: true, force: true });
  }
});

/** Unpacks data.tar.gz into root as opkg does (modes kept), with GNU tar. */
function install(ipk: string, root: string): void {
  const work = mkdtempSync(join(tmpdir(), 'nym-unpack-'));
  try {
    execFileSync('tar', ['-xzf', ipk, '-C', work]);
    execFileSync('tar', ['-xzpf', join(work, 'data.tar.gz'), '-C', root]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test.serial('installed into an empty root: nym-vpnd from the package runs on a real nym-ubusd, nym-vpnc answers', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'nym-root-'));
  const bus = new BusProcess();
  let daemon: ChildProcess | undefined;
  try {
    install(MAIN_IPK, root);
    t.is(statSync(join(root, 'etc/nym-vpn')).mode & 0o777, 0o700);
    t.is(statSync(join(root, 'etc/init.d/nym-vpn')).mode & 0o777, 0o755);
    await bus.start();
    let log = '';
    daemon = spawn('unshare', ['--net', process.execPath, join(root, 'usr/lib/nym-vpn/dist/src/daemon/main.js'), '--socket', bus.socket, '--root', root], { stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
    const up = await waitFor(async () => {
      const c = await UbusClient.connect({ socket: bus.socket, reconnect: false });
      try { return (await c.lookup('nym-vpn')).length === 1; } finally { c.close(); }
    }, 15_000);
    t.true(up, `nym-vpnd registered: ${log}`);
    const env = { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}` };
    const status = await run(join(root, 'usr/bin/nym-vpnc'), ['--socket', bus.socket, 'status'], env);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /^State: +disconnected$/m);
    const info = await run(join(root, 'usr/bin/nym-vpnc'), ['--socket', bus.socket, '--json', 'info'], env);
    t.is(JSON.parse(info.stdout).version, pkg.version, 'the daemon read the installed package.json');
    t.regex(log, /nym-vpnd .* registered/);
    // The TUN addon loads from the installed layout the way the daemon will look for it.
    const addon = spawnSync(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(join(root, 'usr/lib/nym-vpn/dist/src/native/native.js'))}); console.log(typeof m.loadNative().tunOpen);`], { encoding: 'utf8' });
    t.is(addon.stdout.trim(), 'function', addon.stderr);
  } finally {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    await bus.close();
    rmSync(root, { recursive: true, force: true });
  }
});

function controlScript(ipk: Ipk, name: string, dir: string, as = name): string {
  const file = join(dir, as);
  writeFileSync(file, ipk.control.get(`/${name}`)!.data);
  chmodSync(file, 0o755);
  return file;
}

test.serial('in an image root (IPKG_INSTROOT): postinst enables (S90/K10 links), runs no uci-defaults, starts nothing; prerm disables', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'nym-image-'));
  try {
    install(MAIN_IPK, root);
    chmodSync(join(root, 'etc/nym-vpn'), 0o755);
    // What an image being built has: base-files' functions.sh and rc.common (here the stand-ins).
    mkdirSync(join(root, 'lib'), { recursive: true });
    copyFileSync(join(repoRoot, 'test/packaging/router/functions.sh'), join(root, 'lib/functions.sh'));
    copyFileSync(join(repoRoot, 'test/packaging/router/rc.common'), join(root, 'etc/rc.common'));
    const info = join(root, 'usr/lib/opkg/info');
    mkdirSync(info, { recursive: true });
    for (const n of ['postinst', 'prerm', 'postinst-pkg', 'prerm-pkg']) controlScript(main, n, info, `nym-vpn.${n}`);
    writeFileSync(join(info, 'nym-vpn.list'), [...main.data.values()].filter((e) => e.type !== '5').map(pathOf).join('\n'));
    for (const shell of SHELLS) {
      rmSync(join(root, 'etc/rc.d'), { recursive: true, force: true });
      const r = await runShell(shell, [join(info, 'nym-vpn.postinst'), 'configure'], { PATH: process.env.PATH, IPKG_INSTROOT: root });
      t.is(r.code, 0, r.stderr);
      t.is(readlinkSync(join(root, 'etc/rc.d/S90nym-vpn')), '../init.d/nym-vpn');
      t.is(readlinkSync(join(root, 'etc/rc.d/K10nym-vpn')), '../init.d/nym-vpn');
      t.is(statSync(join(root, 'etc/nym-vpn')).mode & 0o777, 0o700, 'state folder made private again');
      t.true(existsSync(join(root, 'etc/uci-defaults/60-nym-vpn-interface')), 'uci-defaults wait for the first boot');
      t.false(existsSync(join(root, 'var/log/init.d.log')), 'nothing started');
      const p = await runShell(shell, [join(info, 'nym-vpn.prerm'), 'remove'], { PATH: process.env.PATH, IPKG_INSTROOT: root });
      t.is(p.code, 0, p.stderr);
      t.false(existsSync(join(root, 'etc/rc.d/S90nym-vpn')));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
