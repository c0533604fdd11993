# Test stand-in for OpenWrt's /lib/functions/procd.sh.
#
# The real functions build a JSON message with jshn and send it with `ubus call service set|add|delete`.
# These write one JSON line per call to $PROCD_SHIM_LOG instead ({"fn": NAME, "args": [...]}), in the
# order the init script made them; test/packaging/procd-model.ts folds the lines into the message procd
# would have received (instances, command, respawn defaults, triggers), following procd.sh's rules.

PROCD_RELOAD_DELAY=1000

# A JSON string: backslash, quote and the usual control characters escaped.
# Character by character, since awks disagree on backslashes in gsub replacements.
_shim_json_str() {
	printf '%s' "$1" | awk 'BEGIN { RS = "\001"; out = "" }
		{ for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (c == "\\") out = out "\\\\"
			else if (c == "\"") out = out "\\\""
			else if (c == "\n") out = out "\\n"
			else if (c == "\t") out = out "\\t"
			else if (c == "\r") out = out "\\r"
			else out = out c
		} }
		END { printf "\"%s\"", out }'
}

_shim_record() {
	local _fn="$1" _line _sep=""
	shift
	_line="{\"fn\":$(_shim_json_str "$_fn"),\"args\":["
	for _a in "$@"; do
		_line="$_line$_sep$(_shim_json_str "$_a")"
		_sep=","
	done
	printf '%s]}\n' "$_line" >> "${PROCD_SHIM_LOG:-/dev/null}"
}

procd_lock() {
	return 0
}

procd_open_service() {
	_shim_record procd_open_service "$@"
}

# Like the real one: the triggers (and service data) go into the same message as the instances.
procd_close_service() {
	procd_open_trigger
	service_triggers
	procd_close_trigger
	if type service_data >/dev/null 2>&1; then
		service_data
	fi
	_shim_record procd_close_service "${1:-set}"
}

for _shim_fn in procd_open_instance procd_close_instance procd_set_param procd_append_param \
	procd_add_instance procd_open_trigger procd_close_trigger procd_add_raw_trigger \
	procd_add_config_trigger procd_add_interface_trigger procd_add_reload_trigger \
	procd_add_reload_data_trigger procd_add_reload_interface_trigger procd_add_reload_mount_trigger \
	procd_add_restart_mount_trigger procd_add_validation procd_open_validate procd_close_validate \
	procd_add_jail procd_add_jail_mount procd_add_jail_mount_rw procd_set_config_changed \
	procd_open_data procd_close_data procd_add_mdns procd_kill procd_send_signal; do
	eval "$_shim_fn() { _shim_record $_shim_fn \"\$@\"; }"
done
unset _shim_fn

# The script asked whether its instance runs: the test says, through PROCD_SHIM_RUNNING (0 or 1).
procd_running() {
	_shim_record procd_running "$@"
	[ "${PROCD_SHIM_RUNNING:-0}" = 1 ]
}
