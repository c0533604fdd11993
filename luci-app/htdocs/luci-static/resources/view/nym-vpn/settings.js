'use strict';
'require view';
'require form';

/*
 * NymVPN settings: /etc/config/nym-vpn's service options (section main), which LAN traffic goes
 * through the tunnel (policy lan) and the connection monitor (monitor). Save & Apply commits them
 * and the service re-reads its configuration.
 */

/* What the service accepts as an interface name (Linux's rule: 1-15 characters, no '/', ':' or blanks). */
function isInterfaceName(v) {
	return /^[^\s\/:]{1,15}$/.test(v) && v != '.' && v != '..';
}

/* An IPv4 or IPv6 address with an optional /prefix (the service checks it exactly). */
function isPrefix(v) {
	return /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(\/\d{1,3})?$/.test(v);
}

return view.extend({
	render: function() {
		var m, s, o;

		m = new form.Map('nym-vpn', _('NymVPN settings'),
			_('How the NymVPN service runs on this router. Gateways are chosen on the Gateways tab.'));

		s = m.section(form.NamedSection, 'main', 'nym-vpn', _('Service'));
		s.tab('general', _('General'));
		s.tab('network', _('Network'));
		s.tab('advanced', _('Advanced'));

		o = s.taboption('general', form.Flag, 'enabled', _('Enable'), _('Run the VPN service at all.'));
		o.default = '1';
		o.rmempty = false;

		o = s.taboption('general', form.Flag, 'autoconnect', _('Connect at boot'), _('Connect with the saved gateways when the router starts.'));
		o.rmempty = false;

		o = s.taboption('general', form.Flag, 'kill_switch', _('Kill switch'), _('Block traffic that would leave outside the tunnel, also while connecting.'));
		o.default = '1';
		o.rmempty = false;

		o = s.taboption('general', form.Flag, 'ipv6', _('IPv6 through the tunnel'), _('Off: IPv6 from the LAN is blocked instead.'));
		o.default = '1';
		o.rmempty = false;

		o = s.taboption('network', form.DynamicList, 'dns', _('DNS servers'), _('Used by the LAN while connected (IPv4 and IPv6 addresses).'));
		o.datatype = 'ipaddr';
		o.placeholder = '1.1.1.1';

		o = s.taboption('network', form.Value, 'interface', _('Tunnel interface'), _('Name of the tunnel network interface (at most 15 characters).'));
		o.placeholder = 'nym0';
		o.validate = function(sid, v) {
			return (v == '' || isInterfaceName(v)) ? true : _('Expecting: 1 to 15 characters without "/", ":" or blanks');
		};

		o = s.taboption('network', form.Value, 'mtu', _('MTU'), _('MTU of the tunnel, 1280 to 1500.'));
		o.datatype = 'range(1280,1500)';
		o.placeholder = '1340';

		o = s.taboption('advanced', form.ListValue, 'log_level', _('Log level'));
		o.value('error', _('Errors'));
		o.value('warn', _('Warnings'));
		o.value('info', _('Information'));
		o.value('debug', _('Debug'));
		o.default = 'info';

		o = s.taboption('advanced', form.Value, 'api_url', _('Directory API'), _('Leave empty for the Nym network\'s own.'));
		o.placeholder = 'https://nym-vpn-api.example.net/api/';
		o.validate = function(sid, v) {
			return (v == '' || /^https?:\/\/[^\s\/]+/.test(v)) ? true : _('Expecting: an http:// or https:// address');
		};

		o = s.taboption('advanced', form.Value, 'nym_api_url', _('Nym API'), _('Where the mixnet topology is read while registering with gateways. Leave empty for the Nym network\'s own.'));
		o.placeholder = 'https://validator.nymtech.net/api/';
		o.validate = function(sid, v) {
			return (v == '' || /^https?:\/\/[^\s\/]+/.test(v)) ? true : _('Expecting: an http:// or https:// address');
		};

		o = s.taboption('advanced', form.ListValue, 'registration', _('Gateway registration'), _('Static: only the self-hosted peers configured here; nothing is sent to the Nym network.'));
		o.value('auto', _('Nym network (and self-hosted peers)'));
		o.value('static', _('Self-hosted peers only'));
		o.default = 'auto';

		o = s.taboption('advanced', form.ListValue, 'firewall_backend', _('Firewall'), _('The firewall to hook the kill switch into.'));
		o.value('auto', _('Automatic'));
		o.value('fw4', _('fw4 (nftables)'));
		o.value('fw3', _('fw3 (iptables)'));
		o.default = 'auto';

		s = m.section(form.NamedSection, 'lan', 'policy', _('Traffic through the tunnel'));
		o = s.option(form.DynamicList, 'source', _('Sources'), _('Network names (e.g. lan) or address ranges (e.g. 192.168.1.0/24).'));
		o.placeholder = 'lan';
		o.validate = function(sid, v) {
			return L.toArray(v).every(function(x) { return isInterfaceName(x) || isPrefix(x); })
				? true : _('Expecting: a network name or an address range');
		};

		s = m.section(form.NamedSection, 'monitor', 'monitor', _('Connection monitor'),
			_('Addresses pinged through the tunnel; when every try of a probe fails the service reconnects.'));
		o = s.option(form.DynamicList, 'target', _('Targets'));
		o.datatype = 'ipaddr';
		o.placeholder = '8.8.8.8';

		o = s.option(form.Value, 'interval', _('Interval'), _('Seconds between probes.'));
		o.datatype = 'range(1,3600)';
		o.placeholder = '10';

		o = s.option(form.Value, 'timeout', _('Timeout'), _('Seconds a probe waits for its reply.'));
		o.datatype = 'range(1,60)';
		o.placeholder = '5';

		o = s.option(form.Value, 'tries', _('Tries'), _('Failed probes in a row before reconnecting.'));
		o.datatype = 'range(1,10)';
		o.placeholder = '3';

		return m.render();
	}
});
