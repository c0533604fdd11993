#!/usr/bin/env bash
# nym-vpn's opkg packages (`make package`), and the file layout the OpenWrt SDK build installs.
#
#   scripts/package.sh [build]              from this built checkout (make build first):
#       dist/packages/nym-vpn_<version>-<release>_<arch>.ipk       daemon, CLI, init script, config
#       dist/packages/luci-app-nym-vpn_<version>-<release>_all.ipk luci-app/htdocs -> /www, root -> /
#   scripts/package.sh stage-data SRC DEST  nym-vpn's files from the built tree SRC into DEST
#   scripts/package.sh stage-luci SRC DEST  luci-app-nym-vpn's files from SRC/luci-app into DEST
#
# openwrt/Makefile installs with `stage-data`, so the SDK's package and ours carry the same files
# with the same modes. Metadata (release, depends, license, maintainer, conffiles) is read from
# openwrt/Makefile and openwrt/luci-app-nym-vpn/Makefile, the version from package.json.
# An .ipk as opkg reads it (and OpenWrt's scripts/ipkg-build writes it): a gzipped tar holding
# ./debian-binary, ./data.tar.gz and ./control.tar.gz; entries sorted, owned by 0:0, one mtime.
#
# Environment: PKG_ARCH (default on x86_64 machines: x86_64, OpenWrt's name for it; elsewhere set it
# to the target's package architecture, e.g. aarch64_cortex-a53), SOURCE_DATE_EPOCH (default: the
# last commit's time), NYM_PACKAGE_OUT (default: dist/packages).
set -euo pipefail
umask 022
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE=${NODE:-node}

die() {
	echo "package.sh: $*" >&2
	exit 1
}

# --- metadata from the OpenWrt Makefiles -------------------------------------------------------

# The value of the first `NAME:=value` line (indented ones too, as inside `define Package/…`).
mk_value() {
	sed -n "s/^[[:space:]]*$2:=[[:space:]]*//p" "$1" | head -n 1 | sed 's/[[:space:]]*$//'
}

# The lines of `define NAME` … `endef`.
mk_define() {
	awk -v name="$2" '$0 == "define " name { on = 1; next } on && $0 == "endef" { exit } on { print }' "$1"
}

# `+node +kmod-tun` -> `libc, node, kmod-tun`: the SDK adds libc to every package that is not a kmod.
control_depends() {
	local out=libc dep
	for dep in $1; do
		case "$dep" in
			@*) continue ;;
			*:*) die "conditional dependency '$dep' cannot go into a hand-built control file" ;;
		esac
		out="$out, ${dep#+}"
	done
	echo "$out"
}

# The description as a control field: first line after the colon, the rest indented by one space.
control_description() {
	sed 's/^[[:space:]]*//' | awk 'NR == 1 { print "Description: " $0; next } { print " " $0 }'
}

# --- file layout ------------------------------------------------------------------------------

# Copies one file with an explicit mode, creating its folders.
put() {
	install -D -m "$3" "$1" "$2"
}

# Every file under SRC_DIR into DEST_DIR, keeping symlinks; the mode is 0755 when the source is
# executable or sits where OpenWrt runs scripts from, 0600 for UCI files (INSTALL_CONF), else 0644.
# Editor leftovers and .git* files stay out, as package-pack.mk drops such files.
put_tree() {
	local src_dir=$1 dest_dir=$2 rel mode
	[ -d "$src_dir" ] || return 0
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		if [ -L "$src_dir/$rel" ]; then
			mkdir -p "$(dirname "$dest_dir/$rel")"
			cp -P "$src_dir/$rel" "$dest_dir/$rel"
			continue
		fi
		case "$rel" in
			etc/init.d/* | etc/hotplug.d/* | etc/uci-defaults/*) mode=0755 ;;
			etc/config/*) mode=0600 ;;
			*) if [ -x "$src_dir/$rel" ]; then mode=0755; else mode=0644; fi ;;
		esac
		put "$src_dir/$rel" "$dest_dir/$rel" "$mode"
	done < <(cd "$src_dir" && find . \( -type f -o -type l \) ! -name '*~' ! -name '.#*' ! -name '.git*' -print0 | sort -z)
}

# The packages of package-lock.json that production needs (no dev, no dev-only optional ones).
production_modules() {
	"$NODE" -e '
		const lock = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		for (const [path, p] of Object.entries(lock.packages ?? {})) {
			if (path === "" || p.dev || p.devOptional || p.link) continue;
			process.stdout.write(path + "\0");
		}' "$1/package-lock.json"
}

stage_data() {
	local src=$1 dest=$2 lib rel js mod f
	lib=$dest/usr/lib/nym-vpn
	[ -f "$src/dist/src/daemon/main.js" ] || die "$src/dist is not built: run make build first"
	install -d -m 0755 "$dest" "$lib"

	# The compiled code of every source file, so that stale output of a deleted source never ships.
	# src/ holds only what a router runs; the development tools (tools/: lab, bus, uci CLI) never ship.
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		js=dist/src/${rel%.ts}.js
		[ -f "$src/$js" ] || die "$js is missing: run make build first"
		put "$src/$js" "$lib/$js" 0644
	done < <(cd "$src/src" && find . -type f -name '*.ts' ! -name '*.d.ts' -print0 | sort -z)

	# package.json: "type": "module" makes node load dist/ as ES modules; the daemon reads its version.
	put "$src/package.json" "$lib/package.json" 0644
	for f in "$src"/ubus-schema/*.json; do
		put "$f" "$lib/ubus-schema/${f##*/}" 0644
	done

	[ -f "$src/build/Release/nym_vpn_native.node" ] || die "build/Release/nym_vpn_native.node is missing: run make build first"
	# Only the router's addon: nym_peercred.node serves the lab's bus (tools/ubusd).
	put "$src/build/Release/nym_vpn_native.node" "$lib/build/Release/nym_vpn_native.node" 0755

	# Runtime dependencies only; their TypeScript sources and maps are of no use on a router.
	while IFS= read -r -d '' mod; do
		[ -d "$src/$mod" ] || die "$mod is not installed: run npm ci"
		while IFS= read -r -d '' rel; do
			rel=${rel#./}
			put "$src/$mod/$rel" "$lib/$mod/$rel" 0644
		done < <(cd "$src/$mod" && find . -path ./node_modules -prune -o -type f ! -name '*.ts' ! -name '*.map' -print0 | sort -z)
	done < <(production_modules "$src")

	# The commands, for people and scripts (procd runs node with the daemon directly).
	install -d -m 0755 "$dest/usr/bin" "$dest/usr/sbin"
	wrapper nym-vpnc cli "the NymVPN command line client (each command is one ubus call to nym-vpnd)" > "$dest/usr/bin/nym-vpnc"
	wrapper nym-vpnd daemon "the NymVPN daemon (/etc/init.d/nym-vpn runs it under procd)" > "$dest/usr/sbin/nym-vpnd"
	chmod 0755 "$dest/usr/bin/nym-vpnc" "$dest/usr/sbin/nym-vpnd"

	# Init script, hotplug hook, UCI defaults, and whatever else files/ holds (nftables includes, ...).
	put_tree "$src/files" "$dest"

	# Secrets (account, keys) are written here by the daemon: only root may look, and sysupgrade
	# keeps the folder (sysupgrade saves the paths listed in /lib/upgrade/keep.d/*).
	install -d -m 0700 "$dest/etc/nym-vpn"
	install -d -m 0755 "$dest/lib/upgrade/keep.d"
	echo /etc/nym-vpn/ > "$dest/lib/upgrade/keep.d/nym-vpn"
	chmod 0644 "$dest/lib/upgrade/keep.d/nym-vpn"
	find "$dest" -type d ! -path "$dest/etc/nym-vpn" -exec chmod 0755 {} +
}

# A launcher that finds the code relative to itself (/usr/bin/../lib/nym-vpn), so that an installed
# tree also runs from another root, as the tests do.
wrapper() {
	cat <<EOF
#!/bin/sh
# $1: $3.
case "\$0" in */*) here=\${0%/*} ;; *) here=. ;; esac
exec node "\$here/../lib/nym-vpn/dist/src/$2/main.js" "\$@"
EOF
}

stage_luci() {
	local src=$1 dest=$2
	install -d -m 0755 "$dest"
	put_tree "$src/luci-app/htdocs" "$dest/www"
	put_tree "$src/luci-app/root" "$dest"
	find "$dest" -type d -exec chmod 0755 {} +
}

# --- the .ipk ---------------------------------------------------------------------------------

# tar as OpenWrt's ipkg-build runs it, plus owner 0:0 (ipkg-build gets that from fakeroot).
det_tar() {
	tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$SOURCE_DATE_EPOCH" "$@"
}

# ipk DATA_DIR CONTROL_DIR OUT_FILE; Installed-Size is the size of the data tar, as ipkg-build counts.
ipk() {
	local work size
	work=$(mktemp -d "$tmp/ipk.XXXXXX")
	(cd "$1" && det_tar -cf - .) | gzip -n > "$work/data.tar.gz"
	size=$(gzip -dc "$work/data.tar.gz" | wc -c)
	sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$2/control"
	(cd "$2" && det_tar -cf - .) | gzip -n > "$work/control.tar.gz"
	echo "2.0" > "$work/debian-binary"
	(cd "$work" && det_tar -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) | gzip -n > "$3.tmp"
	mv "$3.tmp" "$3"
}

# ipkg-build's rule: a conffiles entry names a file, or a folder whose files all become conffiles.
# Entries that are not a file of the package also go to /lib/upgrade/keep.d/NAME, so that
# sysupgrade keeps them (package-pack.mk's rule).
conffiles() {
	local data=$1 name=$2 list=$3 entry
	local -a keep=()
	: > "$tmp/conffiles.$name"
	while IFS= read -r entry; do
		[ -n "$entry" ] || continue
		if [ -f "$data$entry" ]; then
			echo "$entry" >> "$tmp/conffiles.$name"
			continue
		fi
		keep+=("$entry")
		if [ -d "$data$entry" ]; then
			(cd "$data" && find ".${entry%/}" -type f | sed 's/^\.//') >> "$tmp/conffiles.$name"
		fi
	done <<< "$list"
	sort -o "$tmp/conffiles.$name" "$tmp/conffiles.$name"
	if [ "${#keep[@]}" -gt 0 ]; then
		install -d -m 0755 "$data/lib" "$data/lib/upgrade" "$data/lib/upgrade/keep.d"
		printf '%s\n' "${keep[@]}" > "$data/lib/upgrade/keep.d/$name"
		chmod 0644 "$data/lib/upgrade/keep.d/$name"
	fi
}

init_value() {
	sed -n "s/^$2=\([0-9][0-9]*\)[[:space:]]*$/\1/p" "$1" | head -n 1
}

# The names of the uci-defaults scripts a staged package carries.
uci_defaults_of() {
	[ -d "$1/etc/uci-defaults" ] || return 0
	(cd "$1/etc/uci-defaults" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
}

# postinst: in an image being built (IPKG_INSTROOT set) only enable the service (its uci-defaults
# run at first boot); on a running router apply the uci-defaults, enable and start a new install,
# and restart an upgraded service that is enabled. Arguments: START STOP UCI_DEFAULTS...
nym_vpn_postinst() {
	local start=$1 stop=$2
	shift 2
	cat <<EOF
#!/bin/sh
# nym-vpn postinst: enabled in an image being built; enabled and started on a running router
# (an upgrade restarts it when enabled, so that the new code runs).
[ "\${IPKG_NO_SCRIPT}" = "1" ] && exit 0
root="\${IPKG_INSTROOT}"
[ -d "\$root/etc/nym-vpn" ] && chmod 0700 "\$root/etc/nym-vpn"
if [ -n "\$root" ]; then
	mkdir -p "\$root/etc/rc.d"
	ln -sf ../init.d/nym-vpn "\$root/etc/rc.d/S${start}nym-vpn"
	ln -sf ../init.d/nym-vpn "\$root/etc/rc.d/K${stop}nym-vpn"
	exit 0
fi
for f in $*; do
	[ -f "/etc/uci-defaults/\$f" ] && ( cd /etc/uci-defaults && . "./\$f" ) && rm -f "/etc/uci-defaults/\$f"
done
if [ "\${PKG_UPGRADE}" = "1" ]; then
	/etc/init.d/nym-vpn enabled && /etc/init.d/nym-vpn restart
else
	/etc/init.d/nym-vpn enable
	/etc/init.d/nym-vpn start
fi
exit 0
EOF
}

# prerm: on a running router stop the daemon (it takes its routes and firewall rules down); on
# removal, not on an upgrade (opkg says "upgrade VERSION"), drop it from boot and take the fw3
# include out of /etc/config/firewall, as openwrt/Makefile's prerm does.
nym_vpn_prerm() {
	cat <<'EOF'
#!/bin/sh
# nym-vpn prerm: stops the daemon on a running router; on removal also drops it from boot and
# takes its include out of the fw3 firewall config.
[ -n "${IPKG_INSTROOT}" ] && exit 0
/etc/init.d/nym-vpn stop
if [ "$1" != "upgrade" ] && [ "${PKG_UPGRADE}" != "1" ]; then
	/etc/init.d/nym-vpn disable
	uci -q delete firewall.nym_vpn && uci -q commit firewall
fi
exit 0
EOF
}

# LuCI's postinst on a running router: apply the app's uci-defaults, drop LuCI's caches, and have
# rpcd read the new ACL. In an image, uci-defaults run at first boot anyway.
luci_postinst() {
	cat <<EOF
#!/bin/sh
# luci-app-nym-vpn postinst: on a running router, apply its uci-defaults and refresh LuCI and rpcd.
[ "\${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -n "\${IPKG_INSTROOT}" ] && exit 0
for f in $1; do
	[ -f "/etc/uci-defaults/\$f" ] && ( . "/etc/uci-defaults/\$f" ) && rm -f "/etc/uci-defaults/\$f"
done
rm -f /tmp/luci-indexcache*
rm -rf /tmp/luci-modulecache
[ -x /etc/init.d/rpcd ] && /etc/init.d/rpcd reload
exit 0
EOF
}

openwrt_arch() {
	if [ -n "${PKG_ARCH:-}" ]; then
		echo "$PKG_ARCH"
		return
	fi
	case "$(uname -m)" in
		x86_64) echo x86_64 ;;
		*) die "set PKG_ARCH to the OpenWrt package architecture of the target (e.g. aarch64_cortex-a53)" ;;
	esac
}

# The addons are built here against glibc; OpenWrt runs musl. musl's loader takes libc.so.6 for
# itself and binds symbols by name, so such a .node loads as long as it needs nothing glibc-only
# (fortified *_chk functions, __isoc99_*, GLIBC_PRIVATE) and is built for the package's machine.
check_addons() {
	local arch=$1 f machine want
	command -v readelf > /dev/null || die "readelf (binutils) is needed to check the native addons"
	case "$arch" in
		x86_64) want="X86-64" ;;
		aarch64*) want="AArch64" ;;
		arm_*) want="ARM" ;;
		i386*) want="80386" ;;
		*) want="" ;;
	esac
	for f in "$repo"/build/Release/*.node; do
		machine=$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')
		[ -z "$want" ] || [[ "$machine" == *"$want"* ]] || die "${f##*/} is built for $machine, not $arch"
		if readelf -d "$f" | grep -q 'NEEDED' &&
			readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -qvE '^lib(c|m|pthread|dl|rt)\.so(\.[0-9]+)?$'; then
			die "${f##*/} links a library OpenWrt's musl does not provide: $(readelf -d "$f" | grep NEEDED | tr -s ' ')"
		fi
		if readelf --dyn-syms -W "$f" | awk '$7 == "UND" { print $8 }' | grep -E '(__[a-z_]+_chk|__isoc[0-9]+_|GLIBC_PRIVATE)'; then
			die "${f##*/} uses glibc-only symbols (above): it would not load on OpenWrt"
		fi
	done
}

build() {
	local version release arch out name mk luci_mk data luci ctl
	mk=$repo/openwrt/Makefile
	luci_mk=$repo/openwrt/luci-app-nym-vpn/Makefile
	version=$("$NODE" -p 'require(process.argv[1]).version' "$repo/package.json")
	[ "$(mk_value "$mk" PKG_VERSION)" = "$version" ] || die "openwrt/Makefile PKG_VERSION is not package.json's $version"
	[ "$(mk_value "$luci_mk" PKG_VERSION)" = "$version" ] || die "openwrt/luci-app-nym-vpn/Makefile PKG_VERSION is not package.json's $version"
	release=$(mk_value "$mk" PKG_RELEASE)
	arch=$(openwrt_arch)
	out=${NYM_PACKAGE_OUT:-$repo/dist/packages}
	if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
		SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2> /dev/null || stat -c %Y "$repo/package.json")
	fi
	export SOURCE_DATE_EPOCH

	check_addons "$arch"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$out"

	# nym-vpn
	name=nym-vpn
	data=$tmp/data-$name
	ctl=$tmp/control-$name
	stage_data "$repo" "$data"
	install -d -m 0755 "$ctl"
	conffiles "$data" "$name" "$(mk_define "$mk" "Package/$name/conffiles")"
	{
		echo "Package: $name"
		echo "Version: $version-$release"
		echo "Depends: $(control_depends "$(mk_define "$mk" "Package/$name" | sed -n 's/^[[:space:]]*DEPENDS:=//p')")"
		echo "SourceName: $name"
		echo "License: $(mk_value "$mk" PKG_LICENSE)"
		echo "Section: $(mk_value "$mk" SECTION)"
		echo "SourceDateEpoch: $SOURCE_DATE_EPOCH"
		echo "Maintainer: $(mk_value "$mk" PKG_MAINTAINER)"
		echo "Architecture: $arch"
		echo "Installed-Size: 0"
		mk_define "$mk" "Package/$name/description" | control_description
	} > "$ctl/control"
	[ -s "$tmp/conffiles.$name" ] && install -m 0644 "$tmp/conffiles.$name" "$ctl/conffiles"
	# shellcheck disable=SC2046 # the names are plain words
	nym_vpn_postinst "$(init_value "$data/etc/init.d/nym-vpn" START)" "$(init_value "$data/etc/init.d/nym-vpn" STOP)" \
		$(uci_defaults_of "$data") > "$ctl/postinst"
	nym_vpn_prerm > "$ctl/prerm"
	chmod 0644 "$ctl/control"
	chmod 0755 "$ctl/postinst" "$ctl/prerm"
	ipk "$data" "$ctl" "$out/${name}_${version}-${release}_${arch}.ipk"
	echo "$out/${name}_${version}-${release}_${arch}.ipk"

	# luci-app-nym-vpn
	name=luci-app-nym-vpn
	data=$tmp/data-$name
	ctl=$tmp/control-$name
	stage_luci "$repo" "$data"
	install -d -m 0755 "$ctl"
	{
		echo "Package: $name"
		echo "Version: $version-$(mk_value "$luci_mk" PKG_RELEASE)"
		echo "Depends: $(control_depends "$(mk_value "$luci_mk" LUCI_DEPENDS)")"
		echo "SourceName: $name"
		echo "License: $(mk_value "$luci_mk" PKG_LICENSE)"
		echo "Section: luci"
		echo "SourceDateEpoch: $SOURCE_DATE_EPOCH"
		echo "Maintainer: $(mk_value "$luci_mk" PKG_MAINTAINER)"
		echo "Architecture: $(mk_value "$luci_mk" LUCI_PKGARCH)"
		echo "Installed-Size: 0"
		echo "Description: $(mk_value "$luci_mk" LUCI_TITLE)"
	} > "$ctl/control"
	luci_postinst "$(uci_defaults_of "$data")" > "$ctl/postinst"
	chmod 0644 "$ctl/control"
	chmod 0755 "$ctl/postinst"
	ipk "$data" "$ctl" "$out/${name}_${version}-$(mk_value "$luci_mk" PKG_RELEASE)_$(mk_value "$luci_mk" LUCI_PKGARCH).ipk"
	echo "$out/${name}_${version}-$(mk_value "$luci_mk" PKG_RELEASE)_$(mk_value "$luci_mk" LUCI_PKGARCH).ipk"
}

case "${1:-build}" in
	build) build ;;
	stage-data) [ $# -eq 3 ] || die "usage: $0 stage-data SRC DEST"; stage_data "$2" "$3" ;;
	stage-luci) [ $# -eq 3 ] || die "usage: $0 stage-luci SRC DEST"; stage_luci "$2" "$3" ;;
	*) die "usage: $0 [build | stage-data SRC DEST | stage-luci SRC DEST]" ;;
esac
