# Test stand-in for OpenWrt's /lib/functions.sh (base-files), inside the router roots of
# router-root.ts: the parts the generated maintainer scripts call. default_postinst / default_prerm
# follow openwrt/openwrt package/base-files/files/lib/functions.sh (commit 01fa063a) step by step:
#   postinst: the package's file list is /lib/apk/packages/NAME.list (apk) or
#     /usr/lib/opkg/info/NAME.list (opkg); on a running router (no IPKG_INSTROOT) every
#     /etc/uci-defaults/ file of the list is sourced from its folder in a subshell and deleted when it
#     returned 0, then `uci commit`; opkg's NAME.postinst-pkg is sourced; every /etc/init.d/ script of
#     the list is enabled (not on an upgrade) and started; in an image it is only enabled.
#   prerm: opkg's NAME.prerm-pkg is sourced; every init script is disabled (not on an upgrade) and
#     stopped on a running router, disabled in an image.
# Written for these tests, not copied; users, groups and alternatives are left out (none are shipped).

add_group_and_user() {
	return 0
}

default_postinst() {
	local root="${IPKG_INSTROOT}"
	[ -z "$pkgname" ] && local pkgname="$(basename ${1%.*})"
	local filelist="${root}/usr/lib/opkg/info/${pkgname}.list"
	[ -f "$root/lib/apk/packages/${pkgname}.list" ] && filelist="$root/lib/apk/packages/${pkgname}.list"
	local ret=0 i

	if [ -z "$root" ]; then
		if grep -m1 -q -s "^/etc/uci-defaults/" "$filelist"; then
			[ -d /tmp/.uci ] || mkdir -p /tmp/.uci
			for i in $(grep -s "^/etc/uci-defaults/" "$filelist"); do
				( [ -f "$i" ] && cd "$(dirname $i)" && . "$i" ) && rm -f "$i"
			done
			uci commit
		fi
		rm -f /tmp/luci-indexcache.*
	fi

	if [ -f "$root/usr/lib/opkg/info/${pkgname}.postinst-pkg" ]; then
		( . "$root/usr/lib/opkg/info/${pkgname}.postinst-pkg" )
		ret=$?
	fi

	for i in $(grep -s "^/etc/init.d/" "$filelist"); do
		if [ -n "$root" ]; then
			/bin/sh "$root/etc/rc.common" "$root$i" enable
		else
			[ "$PKG_UPGRADE" != "1" ] && "$i" enable
			"$i" start
		fi
	done
	return $ret
}

default_prerm() {
	local root="${IPKG_INSTROOT}"
	[ -z "$pkgname" ] && local pkgname="$(basename ${1%.*})"
	local filelist="${root}/usr/lib/opkg/info/${pkgname}.list"
	[ -f "$root/lib/apk/packages/${pkgname}.list" ] && filelist="$root/lib/apk/packages/${pkgname}.list"
	local ret=0 i

	if [ -f "$root/usr/lib/opkg/info/${pkgname}.prerm-pkg" ]; then
		( . "$root/usr/lib/opkg/info/${pkgname}.prerm-pkg" )
		ret=$?
	fi

	for i in $(grep -s "^/etc/init.d/" "$filelist"); do
		if [ -n "$root" ]; then
			/bin/sh "$root/etc/rc.common" "$root$i" disable
		else
			[ "$PKG_UPGRADE" != "1" ] && "$i" disable
			"$i" stop
		fi
	done
	return $ret
}
