# Test stand-in for the parts of OpenWrt's /lib/functions.sh that init scripts use to read UCI.
#
# Like the real config_load it runs `uci export` and evaluates the output, whose `config`, `option`
# and `list` lines call the functions below; the uci here is ours (node dist/tools/uci/cli.js), which
# quotes values the way `uci export` does ('…', with ' written as '\''), so eval is safe.
# Environment: UCI_CONFIG_DIR (default /etc/config), NYM_SHIM_NODE (node), NYM_SHIM_UCI (the CLI).

NYM_SHIM_NODE=${NYM_SHIM_NODE:-node}

list_contains() {
	local _list _item="$2"
	eval "_list=\" \${$1} \""
	case "$_list" in
		*" $_item "*) return 0 ;;
	esac
	return 1
}

append() {
	local _var="$1" _value="$2" _sep="${3:- }" _old
	eval "_old=\${$_var}"
	if [ -n "$_old" ]; then
		eval "$_var=\$_old\$_sep\$_value"
	else
		eval "$_var=\$_value"
	fi
}

config_set() {
	eval "CONFIG_${1}_${2}=\$3"
}

package() {
	return 0
}

config() {
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	CONFIG_SECTION="${2:-cfg$CONFIG_NUM_SECTIONS}"
	append CONFIG_SECTIONS "$CONFIG_SECTION"
	config_set "$CONFIG_SECTION" TYPE "$1"
}

option() {
	local _name="$1"
	shift
	config_set "$CONFIG_SECTION" "$_name" "$*"
}

list() {
	local _name="$1" _len
	shift
	eval "_len=\${CONFIG_${CONFIG_SECTION}_${_name}_LENGTH:-0}"
	_len=$((_len + 1))
	config_set "$CONFIG_SECTION" "${_name}_ITEM$_len" "$*"
	config_set "$CONFIG_SECTION" "${_name}_LENGTH" "$_len"
	local _joined
	eval "_joined=\${CONFIG_${CONFIG_SECTION}_${_name}}"
	config_set "$CONFIG_SECTION" "$_name" "${_joined:+$_joined }$*"
}

config_load() {
	local _data
	CONFIG_SECTIONS=
	CONFIG_NUM_SECTIONS=0
	CONFIG_SECTION=
	_data=$("$NYM_SHIM_NODE" "$NYM_SHIM_UCI" ${UCI_CONFIG_DIR:+-c "$UCI_CONFIG_DIR"} -n export "$1" 2>/dev/null) || return 1
	eval "$_data"
}

# config_get VAR SECTION OPTION [DEFAULT]  or  config_get SECTION OPTION (prints)
config_get() {
	case "$2${3:-$1}" in
		*[!A-Za-z0-9_]*) return 0 ;;
	esac
	if [ -z "$3" ]; then
		eval "echo \"\${CONFIG_${1}_${2}:-}\""
	else
		eval "$1=\${CONFIG_${2}_${3}:-\$4}"
	fi
}

get_bool() {
	case "$1" in
		1|on|true|yes|enabled) echo 1 ;;
		0|off|false|no|disabled) echo 0 ;;
		*) echo "$2" ;;
	esac
}

config_get_bool() {
	local _raw
	config_get _raw "$2" "$3" "$4"
	eval "$1=\$(get_bool \"\$_raw\" \"\$4\")"
}

config_foreach() {
	local _fn="$1" _type="$2" _section _t
	[ "$#" -ge 2 ] && shift 2 || shift "$#"
	for _section in $CONFIG_SECTIONS; do
		config_get _t "$_section" TYPE
		[ -n "$_type" ] && [ "$_t" != "$_type" ] && continue
		"$_fn" "$_section" "$@"
	done
}
