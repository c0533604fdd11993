// openwrt/Makefile and openwrt/luci-app-nym-vpn/Makefile, without an SDK: their structure, and their
// recipes run by GNU make against a stand-in TOPDIR (rules.mk, include/package.mk, feeds/luci/luci.mk
// written below with the real install modes and the real luci.mk copy rules). The files the
// Makefiles' install steps lay out must be exactly the data of the .ipk that `make package` builds:
// same paths, types, modes and bytes.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/bus.js';
import { pathOf, readTarGz, type TarEntry } from './tar.js';
import { SHELLS, syntaxError } from './sh.js';

const MAKEFILE = join(repoRoot, 'openwrt/Makefile');
const LUCI_DIR = join(repoRoot, 'openwrt/luci-app-nym-vpn');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; license: string };

const RULES_MK = `# Stand-in for OpenWrt's rules.mk: what package recipes use, install modes as upstream.
INCLUDE_DIR:=$(TOPDIR)/include
BUILD_DIR:=$(TOPDIR)/build
STAGING_DIR:=$(TOPDIR)/staging
STAGING_DIR_HOSTPKG:=$(TOPDIR)/hostpkg
ARCH:=x86_64
CP:=cp -fpR
LN:=ln -sf
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_DATA:=install -m0644
INSTALL_CONF:=install -m0600
MAKE_VARS:=CFLAGS="-O2"
MAKE_FLAGS:=CC="cc" CXX="c++" ARCH="$(ARCH)"
`;

// BuildPackage as package.mk does it: Package/Default then Package/NAME evaluated, the fields it
// insists on checked; then targets that run the package's own defines.
const PACKAGE_MK = `# Stand-in for OpenWrt's include/package.mk.
PKG_BUILD_DIR?=$(BUILD_DIR)/$(PKG_NAME)$(if $(PKG_VERSION),-$(PKG_VERSION))
define Package/Default
  SECTION:=opt
  CATEGORY:=Extra packages
  DEPENDS:=
  TITLE:=
  PKGARCH:=$(ARCH)
  VERSION:=$(PKG_VERSION)-$(PKG_RELEASE)
endef
define BuildPackage
  $(eval $(Package/Default))
  $(eval $(Package/$(1)))
  $(foreach f,TITLE CATEGORY SECTION VERSION,$(if $($(f)),,$(error Package/$(1) is missing the $(f) field)))
info:
	$$(file >$$(OUT)/info,PKG_NAME=$(PKG_NAME)$$(newline)PKG_VERSION=$(PKG_VERSION)$$(newline)PKG_RELEASE=$(PKG_RELEASE)$$(newline)PKG_LICENSE=$(PKG_LICENSE)$$(newline)PKG_MAINTAINER=$(PKG_MAINTAINER)$$(newline)SECTION=$(SECTION)$$(newline)CATEGORY=$(CATEGORY)$$(newline)TITLE=$(TITLE)$$(newline)DEPENDS=$(DEPENDS)$$(newline)PKGARCH=$(PKGARCH)$$(newline)PKG_BUILD_DEPENDS=$(PKG_BUILD_DEPENDS))
	$$(file >$$(OUT)/conffiles,$$(Package/$(1)/conffiles))
	$$(file >$$(OUT)/postinst-pkg,$$(Package/$(1)/postinst))
	$$(file >$$(OUT)/prerm-pkg,$$(Package/$(1)/prerm))
	$$(file >$$(OUT)/postrm,$$(Package/$(1)/postrm))
	$$(file >$$(OUT)/compile,$$(Build/Compile))
prepare:
	$(Build/Prepare)
install:
	$(call Package/$(1)/install,$$(IDIR))
endef
define newline


endef
`;

// luci.mk's rules: name from the folder, htdocs/ and root/ copied at prepare when present,
// installed to /www and /.
const LUCI_MK = `# Stand-in for the luci feed's luci.mk.
LUCI_NAME?=$(notdir $(CURDIR))
PKG_NAME?=$(LUCI_NAME)
PKG_RELEASE?=1
PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)
include $(INCLUDE_DIR)/package.mk
define Package/$(PKG_NAME)
  SECTION:=luci
  CATEGORY:=LuCI
  TITLE:=$(LUCI_TITLE)
  DEPENDS:=$(LUCI_DEPENDS)
  PKGARCH:=$(LUCI_PKGARCH)
endef
define Build/Prepare
	for d in htdocs root; do if [ -d ./$$$$d ]; then mkdir -p $(PKG_BUILD_DIR)/$$$$d; $(CP) ./$$$$d/* $(PKG_BUILD_DIR)/$$$$d/ 2>/dev/null || true; fi; done
endef
define Package/$(PKG_NAME)/install
	if [ -d $(PKG_BUILD_DIR)/htdocs ]; then $(INSTALL_DIR) $(1)/www; cp -pR $(PKG_BUILD_DIR)/htdocs/. $(1)/www/; fi
	if [ -d $(PKG_BUILD_DIR)/root ]; then $(INSTALL_DIR) $(1)/; cp -pR $(PKG_BUILD_DIR)/root/. $(1)/; fi
endef
$(eval $(call BuildPackage,$(PKG_NAME)))
`;

interface Tree { [path: string]: { type: string; mode: number; data?: Buffer; link?: string } }

function treeOf(dir: string): Tree {
  const t: Tree = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      const key = `/${relative(dir, p)}`;
      if (st.isSymbolicLink()) t[key] = { type: '2', mode: 0o777, link: readlinkSync(p) };
      else if (st.isDirectory()) { t[key] = { type: '5', mode: st.mode & 0o7777 }; walk(p); }
      else t[key] = { type: '0', mode: st.mode & 0o7777, data: readFileSync(p) };
    }
  };
  walk(dir);
  return t;
}

function treeOfIpk(file: string): Tree {
  const outer = readTarGz(readFileSync(file));
  const t: Tree = {};
  for (const e of readTarGz(outer.find((x: TarEntry) => x.name === './data.tar.gz')!.data)) {
    const p = pathOf(e);
    if (p === '/') continue;
    t[p] = e.type === '2' ? { type: '2', mode: 0o777, link: e.linkname } : e.type === '5' ? { type: '5', mode: e.mode } : { type: '0', mode: e.mode, data: e.data };
  }
  return t;
}

let fake: string;
let ipkDir: string;
test.before(() => {
  fake = mkdtempSync(join(tmpdir(), 'nym-sdk-'));
  mkdirSync(join(fake, 'include'));
  mkdirSync(join(fake, 'feeds/luci'), { recursive: true });
  writeFileSync(join(fake, 'rules.mk'), RULES_MK);
  writeFileSync(join(fake, 'include/package.mk'), PACKAGE_MK);
  writeFileSync(join(fake, 'feeds/luci/luci.mk'), LUCI_MK);
  ipkDir = join(fake, 'ipk');
  // The .ipk files are what the SDK's install is compared with; the .apk ones are not needed here.
  execFileSync('bash', [join(repoRoot, 'scripts/package.sh')], { env: { ...process.env, NYM_PACKAGE_OUT: ipkDir, SOURCE_DATE_EPOCH: '1700000000', NYM_PACKAGE_APK: '0' }, timeout: 120_000 });
});
test.after.always(() => rmSync(fake, { recursive: true, force: true }));

function make(dir: string, target: string, vars: Record<string, string> = {}): string {
  const r = spawnSync('make', ['-s', '-C', dir, `TOPDIR=${fake}`, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), target], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`make ${target} in ${dir}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function info(dir: string, name: string): { vars: Record<string, string>; out: string } {
  const out = join(fake, `info-${name}`);
  mkdirSync(out, { recursive: true });
  make(dir, 'info', { OUT: out });
  const vars = Object.fromEntries(readFileSync(join(out, 'info'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { vars, out };
}

test('openwrt/Makefile: the parts an SDK package needs, in order', (t) => {
  const text = readFileSync(MAKEFILE, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  t.is(lines[0], 'include $(TOPDIR)/rules.mk');
  t.is(lines[lines.length - 1], '$(eval $(call BuildPackage,nym-vpn))');
  const at = (s: string) => text.indexOf(s);
  for (const s of ['PKG_NAME:=nym-vpn', 'PKG_VERSION:=', 'PKG_RELEASE:=', 'PKG_LICENSE:=', 'PKG_MAINTAINER:=', 'include $(INCLUDE_DIR)/package.mk',
    'define Package/nym-vpn\n', 'define Package/nym-vpn/description', 'define Package/nym-vpn/conffiles', 'define Build/Compile',
    'define Package/nym-vpn/install', 'define Package/nym-vpn/postinst', 'define Package/nym-vpn/prerm']) {
    t.true(at(s) >= 0, s);
  }
  t.true(at('PKG_RELEASE:=') < at('include $(INCLUDE_DIR)/package.mk'), 'PKG_* before package.mk');
  t.true(at('PKG_FILE_DEPENDS:=') < at('include $(INCLUDE_DIR)/package.mk'), 'PKG_FILE_DEPENDS before package.mk, where it is read');
  for (const s of ['npm_config_arch=$(NODEJS_CPU)', 'npm_config_target_arch=$(NODEJS_CPU)', 'npm_config_nodedir=$(STAGING_DIR)/usr', 'npm_config_build_from_source=true']) {
    t.true(at(s) >= 0, s);
  }
  t.regex(text, /\$\(subst x86_64,x64,/, 'node names x86_64 x64 (and aarch64 arm64)');
  t.regex(text, /\$\(subst aarch64,arm64,/);
});

test('openwrt/Makefile under make: metadata as package.json and the .ipk say', (t) => {
  const { vars, out } = info(join(repoRoot, 'openwrt'), 'main');
  t.is(vars.PKG_NAME, 'nym-vpn');
  t.is(vars.PKG_VERSION, pkg.version);
  t.is(vars.PKG_LICENSE, pkg.license);
  t.is(vars.SECTION, 'net');
  t.is(vars.CATEGORY, 'Network');
  t.is(vars.DEPENDS, '+node +kmod-tun +ip-full');
  t.is(vars.PKG_BUILD_DEPENDS, 'node/host');
  t.is(readFileSync(join(out, 'conffiles'), 'utf8').trim(), '/etc/config/nym-vpn');
  const control = readTarGz(readTarGz(readFileSync(join(ipkDir, `nym-vpn_${pkg.version}-${vars.PKG_RELEASE}_x86_64.ipk`))).find((e) => e.name === './control.tar.gz')!.data);
  const controlText = control.find((e) => e.name === './control')!.data.toString();
  t.regex(controlText, new RegExp(`^Depends: libc, ${vars.DEPENDS!.split(' ').map((d) => d.replace(/^\+/, '')).join(', ')}$`, 'm'));
  t.regex(controlText, new RegExp(`^Maintainer: ${vars.PKG_MAINTAINER!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  t.is(control.find((e) => e.name === './conffiles')!.data.toString().trim(), readFileSync(join(out, 'conffiles'), 'utf8').trim());
  const compile = readFileSync(join(out, 'compile'), 'utf8');
  t.regex(compile, /npm_config_arch=x64 npm_config_target_arch=x64 npm_config_nodedir=\S+\/staging\/usr npm_config_build_from_source=true/);
  t.regex(compile, /CC="cc" CXX="c\+\+"/, 'the SDK compiler goes to node-gyp');
  const postinst = join(out, 'postinst-pkg');
  t.regex(readFileSync(postinst, 'utf8'), /^#!\/bin\/sh\n\[ -d "\$\{IPKG_INSTROOT\}\/etc\/nym-vpn" \] && chmod 0700/);
  const prerm = join(out, 'prerm-pkg');
  t.regex(readFileSync(prerm, 'utf8'), /\[ "\$\{PKG_UPGRADE\}" = "1" \] \|\| \{\n(\tuci -q delete \S+\n){4}\tuci -q commit firewall\n\tuci -q commit network\n\}/);
  const postrm = join(out, 'postrm');
  t.regex(readFileSync(postrm, 'utf8'), /^rm -f "\$\{IPKG_INSTROOT\}\/etc\/config\/nym-vpn-opkg"$/m);
  // What make makes of the defines is, byte for byte, what package.sh put into the .ipk (package-pack.mk
  // writes them with echo, i.e. with one newline at the end, as $(file >) does here).
  for (const [made, member] of [[postinst, './postinst-pkg'], [prerm, './prerm-pkg'], [postrm, './postrm']] as const) {
    t.is(control.find((e) => e.name === member)!.data.toString(), readFileSync(made, 'utf8'), member);
  }
  for (const shell of SHELLS) {
    t.is(syntaxError(shell, postinst), null, shell.name);
    t.is(syntaxError(shell, prerm), null, shell.name);
    t.is(syntaxError(shell, postrm), null, shell.name);
  }
});

test.serial('openwrt/Makefile prepare + install lays out exactly the files of the nym-vpn .ipk', (t) => {
  const dir = join(repoRoot, 'openwrt');
  const { vars } = info(dir, 'main2');
  make(dir, 'prepare');
  const build = join(fake, 'build', `nym-vpn-${vars.PKG_VERSION}`);
  t.deepEqual(readdirSync(build).sort(), ['binding.gyp', 'files', 'package-lock.json', 'package.json', 'scripts', 'src', 'tsconfig.json', 'ubus-schema']);
  // What Build/Compile would leave (npm ci, tsc): taken from this built checkout.
  for (const d of ['dist', 'build', 'node_modules']) symlinkSync(join(repoRoot, d), join(build, d));
  const idir = join(fake, 'idir-main');
  mkdirSync(idir);
  make(dir, 'install', { IDIR: idir });
  const fromMakefile = treeOf(idir);
  const fromIpk = treeOfIpk(join(ipkDir, `nym-vpn_${pkg.version}-${vars.PKG_RELEASE}_x86_64.ipk`));
  t.deepEqual(Object.keys(fromMakefile).sort(), Object.keys(fromIpk).sort(), 'same paths');
  for (const [p, e] of Object.entries(fromIpk)) t.deepEqual(fromMakefile[p], e, p);
});

test.serial('openwrt/luci-app-nym-vpn: luci.mk variables, htdocs and root lead to luci-app/, install = the luci .ipk', (t) => {
  t.is(readlinkSync(join(LUCI_DIR, 'htdocs')), '../../luci-app/htdocs');
  t.is(readlinkSync(join(LUCI_DIR, 'root')), '../../luci-app/root');
  const text = readFileSync(join(LUCI_DIR, 'Makefile'), 'utf8');
  t.regex(text, /^include \$\(TOPDIR\)\/feeds\/luci\/luci\.mk$/m);
  t.regex(text, /call BuildPackage/, 'include/scan.mk finds package Makefiles by this text');
  const { vars } = info(LUCI_DIR, 'luci');
  t.is(vars.PKG_NAME, 'luci-app-nym-vpn');
  t.is(vars.PKG_VERSION, pkg.version);
  t.is(vars.DEPENDS, '+nym-vpn +luci-base');
  t.is(vars.PKGARCH, 'all');
  t.is(vars.SECTION, 'luci');
  make(LUCI_DIR, 'prepare');
  const idir = join(fake, 'idir-luci');
  mkdirSync(idir);
  make(LUCI_DIR, 'install', { IDIR: idir });
  const files = (tree: Tree) => Object.fromEntries(Object.entries(tree).filter(([, e]) => e.type !== '5'));
  t.deepEqual(files(treeOf(idir)), files(treeOfIpk(join(ipkDir, `luci-app-nym-vpn_${pkg.version}-${vars.PKG_RELEASE}_all.ipk`))));
});
