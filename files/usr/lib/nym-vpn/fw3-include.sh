#!/bin/sh
# nym-vpn: the fw3 (iptables) include. /etc/config/firewall names it:
#	config include 'nym_vpn'
#		option type 'script'
#		option path '/usr/lib/nym-vpn/fw3-include.sh'
#		option reload '1'
# fw3 runs it after building its own rules, at start and at every reload. It puts back what nym-vpnd
# decided last (its kill switch, or nothing); before nym-vpnd has decided since boot, the boot guard,
# if the owner has the kill switch on (nym-vpnd keeps the boot guard files only then).
# NYMVPN_ROOT, NYMVPN_IPTABLES and NYMVPN_IP6TABLES are for the tests; fw3 sets none of them.

nymvpn_guard="${NYMVPN_ROOT:-}/etc/nym-vpn/boot-guard"
nymvpn_run="${NYMVPN_ROOT:-}/var/run/nym-vpn/firewall"

# Deletes every rule `$3… -j $2` from chain $1's table ($ipt), however many there are.
nymvpn_delete_all() {
	local chain="$1" target="$2"
	shift 2
	while $nymvpn_ipt -w -D "$chain" "$@" -j "$target" 2>/dev/null; do :; done
}

# Makes `-j $2` the first rule of chain $1, exactly once, without a moment where it is not first: jumps
# carry the comment nym-vpn:a or nym-vpn:b; the kind not in use goes in at the top, then the other kind
# is deleted by its spec (never by number: fw3 may be changing the chain meanwhile). As apply-ipt.ts.
nymvpn_first() {
	local chain="$1" target="$2" rules first ja jb ju n_a n_b n_u
	ja="-A $chain -m comment --comment \"nym-vpn:a\" -j $target"
	jb="-A $chain -m comment --comment \"nym-vpn:b\" -j $target"
	ju="-A $chain -j $target"
	rules="$($nymvpn_ipt -w -S "$chain" | grep '^-A ')"
	first="$(echo "$rules" | head -n 1)"
	n_a=$(echo "$rules" | grep -c -x -F -- "$ja")
	n_b=$(echo "$rules" | grep -c -x -F -- "$jb")
	n_u=$(echo "$rules" | grep -c -x -F -- "$ju")
	if [ $((n_a + n_b + n_u)) -eq 1 ] && { [ "$first" = "$ja" ] || [ "$first" = "$jb" ] || [ "$first" = "$ju" ]; }; then
		return 0
	fi
	if [ "$n_a" -gt 0 ] && [ "$n_b" -gt 0 ]; then
		if [ "$first" = "$ja" ]; then
			nymvpn_delete_all "$chain" "$target" -m comment --comment nym-vpn:b; n_b=0
		else
			nymvpn_delete_all "$chain" "$target" -m comment --comment nym-vpn:a; n_a=0
		fi
	fi
	if [ "$n_a" -eq 0 ]; then
		$nymvpn_ipt -w -I "$chain" 1 -m comment --comment nym-vpn:a -j "$target" || return 1
		nymvpn_delete_all "$chain" "$target" -m comment --comment nym-vpn:b
	else
		$nymvpn_ipt -w -I "$chain" 1 -m comment --comment nym-vpn:b -j "$target" || return 1
		nymvpn_delete_all "$chain" "$target" -m comment --comment nym-vpn:a
	fi
	nymvpn_delete_all "$chain" "$target"
}

# Removes our chains given: their jumps first, then their rules (they jump to each other), then them.
nymvpn_remove() {
	local chain
	for chain in "$@"; do
		nymvpn_delete_all FORWARD "$chain" -m comment --comment nym-vpn:a
		nymvpn_delete_all FORWARD "$chain" -m comment --comment nym-vpn:b
		nymvpn_delete_all FORWARD "$chain"
		nymvpn_delete_all OUTPUT "$chain" -m comment --comment nym-vpn:a
		nymvpn_delete_all OUTPUT "$chain" -m comment --comment nym-vpn:b
		nymvpn_delete_all OUTPUT "$chain"
	done
	for chain in "$@"; do $nymvpn_ipt -w -F "$chain" 2>/dev/null; done
	for chain in "$@"; do $nymvpn_ipt -w -X "$chain" 2>/dev/null; done
	return 0
}

# One family: $1 is iptables or ip6tables (or a -legacy name), $2 is 4 or 6.
nymvpn_apply() {
	local state
	nymvpn_ipt="$1"
	command -v "$nymvpn_ipt" >/dev/null 2>&1 || return 0
	state="$(cat "$nymvpn_run/fw3.state" 2>/dev/null)"
	case "$state" in
	kill-switch)
		[ -f "$nymvpn_run/kill-switch.v$2.rules" ] || return 0
		"$nymvpn_ipt-restore" -w --noflush < "$nymvpn_run/kill-switch.v$2.rules" || return 1
		nymvpn_first FORWARD nym_forward && nymvpn_first OUTPUT nym_output || return 1
		nymvpn_remove nym_boot_forward nym_boot_output
		;;
	lifted)
		nymvpn_remove nym_forward nym_output nym_from_lan nym_to_lan nym_boot_forward nym_boot_output
		;;
	*)
		[ -f "$nymvpn_guard/boot-guard.v$2.rules" ] || return 0
		"$nymvpn_ipt-restore" -w --noflush < "$nymvpn_guard/boot-guard.v$2.rules" || return 1
		nymvpn_first FORWARD nym_boot_forward && nymvpn_first OUTPUT nym_boot_output
		;;
	esac
}

nymvpn_apply "${NYMVPN_IPTABLES:-iptables}" 4
nymvpn_v4=$?
nymvpn_apply "${NYMVPN_IP6TABLES:-ip6tables}" 6 && [ "$nymvpn_v4" -eq 0 ]
