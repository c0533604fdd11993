#!/usr/bin/env bash
# nym-vpn's packages, .ipk (opkg) and .apk (apk-tools 3), for `make package`; and the file layout the
# OpenWrt SDK build installs.
#
#   scripts/package.sh [build]              from this built checkout (make build first):
#       dist/packages/nym-vpn_<version>-<release>_<arch>.ipk       daemon, CLI, init script, config (opkg, 24.10)
#       dist/packages/nym-vpn-<version>-r<release>.apk             the same for apk-tools 3 (25.12 and later)
#       dist/packages/luci-app-nym-vpn_<version>-<release>_all.ipk luci-app/htdocs -> /www, root -> /
#       dist/packages/luci-app-nym-vpn-<version>-r<release>.apk
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
# last commit's time), NYM_PACKAGE_OUT (default: dist/packages), APK (apk-tools 3; default: built
# once from ../shared/apk-tools into build/apk-tools), NYM_PACKAGE_APK=0 (the .ipk files only, where no
# apk-tools 3 is at hand), NYM_PACKAGE_RELEASE (see build).
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

# The maintainer scripts OpenWrt's include/package-pack.mk generates (openwrt/openwrt 004b949): a
# generic part that calls base-files' default_postinst / default_prerm (/lib/functions.sh on every
# OpenWrt: uci-defaults, enable + start on a running router, enable in an image; stop, and disable
# unless upgrading), plus the package's own Package/NAME/postinst and prerm from openwrt/Makefile.
# Written here the same way for both formats, so that `make package` and the SDK ship the same scripts.

# The body of `define Package/NAME/SCRIPT` with make's `$$` turned back into `$` (what the SDK writes).
mk_script() {
	mk_define "$1" "Package/$2/$3" | sed 's/\$\$/$/g'
}

# .ipk (opkg): CONTROL/postinst and prerm call the defaults; postinst-pkg / prerm-pkg, installed by
# opkg beside them in /usr/lib/opkg/info/, are sourced by the defaults.
ipk_scripts() {
	local mk=$1 name=$2 ctl=$3 s
	printf '%s\n' '#!/bin/sh' '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0' '[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0' \
		'. ${IPKG_INSTROOT}/lib/functions.sh' 'default_postinst $0 $@' > "$ctl/postinst"
	printf '%s\n' '#!/bin/sh' '[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0' \
		'. ${IPKG_INSTROOT}/lib/functions.sh' 'default_prerm $0 $@' > "$ctl/prerm"
	chmod 0755 "$ctl/postinst" "$ctl/prerm"
	for s in postinst prerm; do
		if [ -n "$(mk_script "$mk" "$name" "$s")" ]; then
			mk_script "$mk" "$name" "$s" > "$ctl/$s-pkg"
			chmod 0755 "$ctl/$s-pkg"
		fi
	done
	if [ -n "$(mk_script "$mk" "$name" postrm)" ]; then
		mk_script "$mk" "$name" postrm > "$ctl/postrm"
		chmod 0755 "$ctl/postrm"
	fi
}

# .apk (apk-tools 3): the package's own script is appended to the generic one (its #! line dropped);
# post-upgrade is post-install with PKG_UPGRADE=1. apk runs no pre-deinstall on an upgrade, only on
# removal, so pre-deinstall (default_prerm: stop, disable) is removal only.
apk_scripts() {
	local mk=$1 name=$2 dir=$3
	{
		printf '%s\n' '#!/bin/sh' '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0' '[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0' \
			'. ${IPKG_INSTROOT}/lib/functions.sh' 'export root="${IPKG_INSTROOT}"' "export pkgname=\"$name\"" \
			add_group_and_user default_postinst
		mk_script "$mk" "$name" postinst | sed '/^[[:space:]]*#!/d'
	} > "$dir/post-install"
	{
		printf '%s\n' '#!/bin/sh' 'export PKG_UPGRADE=1'
		sed '/^[[:space:]]*#!/d' "$dir/post-install"
	} > "$dir/post-upgrade"
	{
		printf '%s\n' '#!/bin/sh' '[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0' '. ${IPKG_INSTROOT}/lib/functions.sh' \
			'export root="${IPKG_INSTROOT}"' "export pkgname=\"$name\"" default_prerm
		mk_script "$mk" "$name" prerm | sed '/^[[:space:]]*#!/d'
	} > "$dir/pre-deinstall"
	if [ -n "$(mk_script "$mk" "$name" postrm)" ]; then
		mk_script "$mk" "$name" postrm > "$dir/postrm"
	fi
}

# What package-pack.mk adds to an apk's files: /lib/apk/packages/NAME.list (every file and symlink,
# which default_postinst reads to find uci-defaults and init scripts), NAME.conffiles and
# NAME.conffiles_static (each conffile with its sha256, how OpenWrt's sysupgrade tells a changed
# conffile from the packaged one).
apk_metadata() {
	local data=$1 name=$2 conffiles=$3 dir f
	dir=$data/lib/apk/packages
	install -d -m 0755 "$data/lib" "$data/lib/apk" "$dir"
	(cd "$data" && find . \( -type f -o -type l \) -printf '/%P\n' | sort) > "$tmp/$name.list"
	mv "$tmp/$name.list" "$dir/$name.list"
	if [ -n "$conffiles" ]; then
		printf '%s\n' "$conffiles" > "$dir/$name.conffiles"
		: > "$dir/$name.conffiles_static"
		for f in $conffiles; do
			[ -f "$data/$f" ] || continue
			echo "$f $(sha256sum "$data/$f" | cut -d' ' -f1)" >> "$dir/$name.conffiles_static"
		done
	fi
	find "$dir" -type f -exec chmod 0644 {} +
}

# The apk-tools 3 that `apk mkpkg`s: APK if set, else the one built from ../shared/apk-tools into
# build/apk-tools (once; later runs find it there).
apk_tool() {
	if [ -n "${APK:-}" ]; then
		echo "$APK"
		return
	fi
	if [ ! -x "$repo/build/apk-tools/bin/apk" ]; then
		[ -f "$repo/../shared/apk-tools/build.sh" ] || die "no apk-tools 3: set APK, or put ../shared/apk-tools beside the checkout"
		bash "$repo/../shared/apk-tools/build.sh" "$repo/build/apk-tools" >&2 || die "building apk-tools failed"
	fi
	echo "$repo/build/apk-tools/bin/apk"
}

# apk DATA SCRIPTS_DIR OUT NAME VERSION ARCH DESCRIPTION LICENSE MAINTAINER DEPENDS
# As package-pack.mk calls it; files owned by root (run as root, or under fakeroot when not).
apk_pack() {
	local data=$1 dir=$2 out=$3 apk s
	local -a scripts=() run=()
	apk=$(apk_tool)
	for s in post-install post-upgrade pre-deinstall; do
		[ -f "$dir/$s" ] && scripts+=(--script "$s:$dir/$s")
	done
	[ -f "$dir/postrm" ] && scripts+=(--script "post-deinstall:$dir/postrm")
	if [ "$(id -u)" != 0 ]; then
		command -v fakeroot > /dev/null || die "apk mkpkg records file owners: run as root or install fakeroot"
		run=(fakeroot)
	fi
	rm -f "$out"
	"${run[@]}" "$apk" mkpkg --info "name:$4" --info "version:$5" --info "description:$7" --info "arch:$6" \
		--info "license:$8" --info "origin:$4" --info "url:" --info "maintainer:$9" \
		"${scripts[@]}" --info "depends:${10}" --files "$data" --output "$out" >&2 || die "apk mkpkg $4 failed"
}

# `+node +kmod-tun` -> `libc node kmod-tun`: as for the .ipk, the SDK adds libc to every package
# that is not a kmod.
apk_depends() {
	local out=libc dep
	for dep in $1; do
		case "$dep" in
			@*) continue ;;
			*:*) die "conditional dependency '$dep' cannot go into a hand-built package" ;;
		esac
		out="$out ${dep#+}"
	done
	echo "$out"
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

# luci.mk's own postinst for every LuCI app (luci feed, luci.mk): on a running router drop LuCI's
# caches and have rpcd re-read the ACLs. The app's uci-defaults run in default_postinst before it.
luci_postinst_pkg() {
	cat <<'EOF'
#!/bin/sh
[ -n "${IPKG_INSTROOT}" ] || {
	rm -f /tmp/luci-indexcache.*
	rm -rf /tmp/luci-modulecache/
	killall -HUP rpcd 2>/dev/null
	exit 0
}
EOF
}

# control FILE lines for the .ipk, as package-pack.mk's Package/NAME/CONTROL.
ipk_control() {
	local name=$1 version=$2 depends=$3 license=$4 section=$5 maintainer=$6 arch=$7
	echo "Package: $name"
	echo "Version: $version"
	echo "Depends: $depends"
	echo "SourceName: $name"
	echo "License: $license"
	echo "Section: $section"
	echo "SourceDateEpoch: $SOURCE_DATE_EPOCH"
	echo "Maintainer: $maintainer"
	echo "Architecture: $arch"
	echo "Installed-Size: 0"
}

# One package in both formats. DATA is the staged file tree (IDIR); MKFILE holds the package's
# `define Package/NAME/postinst|prerm` (package-pack.mk's postinst-pkg, prerm-pkg).
# Prints the two file names (the .ipk's alone with NYM_PACKAGE_APK=0).
both_formats() {
	local name=$1 version=$2 release=$3 arch=$4 data=$5 mkfile=$6 license=$7 section=$8 maintainer=$9 deps=${10} description=${11} keep=${12}
	local ctl=$tmp/control-$name adata=$tmp/apk-data-$name adir=$tmp/apk-scripts-$name ipk_file apk_file apk_arch
	conffiles "$data" "$name" "$keep"

	# .ipk
	install -d -m 0755 "$ctl"
	{
		ipk_control "$name" "$version-$release" "$(control_depends "$deps")" "$license" "$section" "$maintainer" "$arch"
		printf '%s\n' "$description" | control_description
	} > "$ctl/control"
	chmod 0644 "$ctl/control"
	[ -s "$tmp/conffiles.$name" ] && install -m 0644 "$tmp/conffiles.$name" "$ctl/conffiles"
	ipk_scripts "$mkfile" "$name" "$ctl"
	ipk_file=$out/${name}_${version}-${release}_${arch}.ipk
	ipk "$data" "$ctl" "$ipk_file"

	echo "$ipk_file"
	[ "${NYM_PACKAGE_APK:-1}" = 0 ] && return 0

	# .apk: the same files plus /lib/apk/packages/NAME.*; OpenWrt's apk version is VERSION-rRELEASE.
	cp -a "$data" "$adata"
	apk_metadata "$adata" "$name" "$(cat "$tmp/conffiles.$name")"
	install -d "$adir"
	apk_scripts "$mkfile" "$name" "$adir"
	apk_arch=$arch
	[ "$arch" = all ] && apk_arch=noarch
	apk_file=$out/${name}-${version}-r${release}.apk
	apk_pack "$adata" "$adir" "$apk_file" "$name" "$version-r$release" "$apk_arch" \
		"$(printf '%s' "$description" | tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//')" "$license" "$maintainer" \
		"$(apk_depends "$deps")"
	echo "$apk_file"
}

build() {
	local version release arch name mk luci_mk data luci_mkfile
	mk=$repo/openwrt/Makefile
	luci_mk=$repo/openwrt/luci-app-nym-vpn/Makefile
	version=$("$NODE" -p 'require(process.argv[1]).version' "$repo/package.json")
	[ "$(mk_value "$mk" PKG_VERSION)" = "$version" ] || die "openwrt/Makefile PKG_VERSION is not package.json's $version"
	[ "$(mk_value "$luci_mk" PKG_VERSION)" = "$version" ] || die "openwrt/luci-app-nym-vpn/Makefile PKG_VERSION is not package.json's $version"
	# NYM_PACKAGE_RELEASE: another release number, for a newer build of the same version (the tests'
	# upgrade); the Makefiles' PKG_RELEASE otherwise.
	release=${NYM_PACKAGE_RELEASE:-$(mk_value "$mk" PKG_RELEASE)}
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

	name=nym-vpn
	data=$tmp/data-$name
	stage_data "$repo" "$data"
	both_formats "$name" "$version" "$release" "$arch" "$data" "$mk" "$(mk_value "$mk" PKG_LICENSE)" \
		"$(mk_value "$mk" SECTION)" "$(mk_value "$mk" PKG_MAINTAINER)" \
		"$(mk_define "$mk" "Package/$name" | sed -n 's/^[[:space:]]*DEPENDS:=//p')" \
		"$(mk_define "$mk" "Package/$name/description")" "$(mk_define "$mk" "Package/$name/conffiles")"

	# luci-app-nym-vpn: luci.mk supplies its postinst; written here as a Makefile define would be.
	name=luci-app-nym-vpn
	data=$tmp/data-$name
	stage_luci "$repo" "$data"
	luci_mkfile=$tmp/luci.mk
	{
		echo "define Package/$name/postinst"
		luci_postinst_pkg | sed 's/\$/$$/g'
		echo endef
	} > "$luci_mkfile"
	both_formats "$name" "$version" "${NYM_PACKAGE_RELEASE:-$(mk_value "$luci_mk" PKG_RELEASE)}" "$(mk_value "$luci_mk" LUCI_PKGARCH)" "$data" "$luci_mkfile" \
		"$(mk_value "$luci_mk" PKG_LICENSE)" luci "$(mk_value "$luci_mk" PKG_MAINTAINER)" "$(mk_value "$luci_mk" LUCI_DEPENDS)" \
		"$(mk_value "$luci_mk" LUCI_TITLE)" ""
}

case "${1:-build}" in
	build) build ;;
	stage-data) [ $# -eq 3 ] || die "usage: $0 stage-data SRC DEST"; stage_data "$2" "$3" ;;
	stage-luci) [ $# -eq 3 ] || die "usage: $0 stage-luci SRC DEST"; stage_luci "$2" "$3" ;;
	*) die "usage: $0 [build | stage-data SRC DEST | stage-luci SRC DEST]" ;;
esac
