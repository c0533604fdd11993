#!/bin/sh
# What `sysupgrade` (and `sysupgrade -l`) saves, run inside a router root: the logic of OpenWrt's
# package/base-files/files/sbin/sysupgrade (add_conffiles = list_static_conffiles +
# list_changed_conffiles), written for this test. Static: every file and symlink under the paths
# listed in /etc/sysupgrade.conf and /lib/upgrade/keep.d/*. Changed: each package conffile whose
# sha256 differs from the one recorded at install, from opkg's status file ("Conffiles:" lines) or
# apk's /lib/apk/packages/*.conffiles_static ("path sha256" lines).
static() {
	find $(sed -ne '/^[[:space:]]*$/d; /^#/d; p' /etc/sysupgrade.conf /lib/upgrade/keep.d/* 2>/dev/null) \
		\( -type f -o -type l \) 2>/dev/null
}
recorded() {
	awk '/^Conffiles:/ { on = 1; next } !/^ / { on = 0; next } on { print $1, $2 }' /usr/lib/opkg/status 2>/dev/null
	cat /lib/apk/packages/*.conffiles_static 2>/dev/null
}
changed() {
	recorded | while read -r file sum; do
		[ -r "$file" ] || continue
		echo "$sum  $file" | sha256sum -c -s - || echo "$file"
	done
}
( static; changed ) | sort -u
