'use strict';
'require view';
'require dom';
'require poll';
'require ui';
'require nymvpn.common as nymvpn';

/*
 * NymVPN status: the tunnel state (with why it failed), both gateways, the tunnel's addresses,
 * since when it is up, handshake ages, traffic, reconnects; refreshed every 2 s. Connect uses the
 * gateways saved on the Gateways tab.
 */

function row(label, value, id) {
	return E('tr', { 'class': 'tr', 'id': id || null }, [
		E('td', { 'class': 'td left' }, [ label ]),
		E('td', { 'class': 'td left' }, Array.isArray(value) ? value : [ value ])
	]);
}

function since(ts) {
	if (!ts) return null;
	var d = new Date(ts * 1000);
	return '%s (%s)'.format(d.toLocaleString(), _('up %s').format('%t'.format(Math.max(0, Date.now() / 1000 - ts))));
}

return view.extend({
	load: function() {
		return Promise.all([ nymvpn.settle(nymvpn.status()), nymvpn.settle(nymvpn.info()) ]);
	},

	renderTunnel: function(st) {
		if (st instanceof Error)
			return E('div', { 'class': 'alert-message error' }, [ _('The NymVPN service did not answer: %s').format(st.message) ]);

		var rows = [ row(_('State'), nymvpn.stateBadge(st.state), 'nym-vpn-row-state') ];
		if (st.error)
			rows.push(row(_('Error'), E('span', { 'class': 'alert-message error', 'style': 'display:inline-block; margin:0' }, [
				E('strong', {}, [ st.error.reason ]), ': ', st.error.message ]), 'nym-vpn-row-error'));
		if (st.state == 'connecting' && st.retry_attempt)
			rows.push(row(_('Attempt'), String(st.retry_attempt)));
		if (st.entry || st.exit) {
			rows.push(row(_('Entry gateway'), nymvpn.gateway(st.entry), 'nym-vpn-row-entry'));
			rows.push(row(_('Exit gateway'), nymvpn.gateway(st.exit), 'nym-vpn-row-exit'));
		}
		if (st.addresses)
			rows.push(row(_('Tunnel addresses'), [ st.addresses.ipv4 || '', st.addresses.ipv4 && st.addresses.ipv6 ? E('br') : '', st.addresses.ipv6 || '' ], 'nym-vpn-row-addresses'));
		if (st.connected_since)
			rows.push(row(_('Connected since'), since(st.connected_since), 'nym-vpn-row-since'));
		if (st.handshake_age)
			rows.push(row(_('Last handshake'), [
				_('entry: %s').format(nymvpn.ago(st.handshake_age.entry) || _('never')), E('br'),
				_('exit: %s').format(nymvpn.ago(st.handshake_age.exit) || _('never'))
			], 'nym-vpn-row-handshake'));
		if (st.stats)
			rows.push(row(_('Traffic'), [
				_('received %s (%d packets)').format(nymvpn.bytes(st.stats.rx_bytes), st.stats.rx_packets), E('br'),
				_('sent %s (%d packets)').format(nymvpn.bytes(st.stats.tx_bytes), st.stats.tx_packets)
			], 'nym-vpn-row-traffic'));
		rows.push(row(_('Reconnects'), st.last_reconnect_reason
			? _('%d (last: %s)').format(st.reconnects, st.last_reconnect_reason) : String(st.reconnects || 0), 'nym-vpn-row-reconnects'));
		rows.push(row(_('Interface'), st['interface'] || ''));
		rows.push(row(_('Kill switch'), st.kill_switch ? _('on: nothing leaves outside the tunnel') : _('off')));
		if (Array.isArray(st.dns) && st.dns.length)
			rows.push(row(_('DNS servers'), st.dns.join(', ')));

		var out = [ E('table', { 'class': 'table' }, rows) ];
		if (st.config_error)
			out.unshift(E('div', { 'class': 'alert-message warning' }, [
				E('strong', {}, [ _('The configuration was not applied:') ]), ' ', st.config_error, ' ', _('(the service keeps its last good configuration)') ]));
		return E([], out);
	},

	renderInfo: function(info) {
		if (info instanceof Error)
			return E('em', {}, [ info.message ]);
		return E('table', { 'class': 'table' }, [
			row(_('Version'), info.version),
			row(_('Network'), info.network),
			row(_('Directory'), info.api_url),
			row(_('Running for'), '%t'.format(info.uptime)),
			row(_('Runtime'), 'Node %s, %s/%s'.format(info.node, info.platform, info.arch))
		]);
	},

	update: function(st, info) {
		dom.content(this.tunnelNode, this.renderTunnel(st));
		dom.content(this.infoNode, this.renderInfo(info));
		var state = (st instanceof Error) ? null : st.state;
		this.connectButton.disabled = (state == 'connected' || state == 'connecting' || this.busy);
		this.disconnectButton.disabled = (state == null || state == 'disconnected' || this.busy);
	},

	handleConnect: function() {
		this.busy = true;
		return nymvpn.connect().finally(L.bind(this.refresh, this));
	},

	handleDisconnect: function() {
		this.busy = true;
		return nymvpn.disconnect().finally(L.bind(this.refresh, this));
	},

	refresh: function() {
		this.busy = false;
		return this.load().then(L.bind(function(d) { this.update(d[0], d[1]); }, this));
	},

	render: function(data) {
		this.tunnelNode = E('div', { 'id': 'nym-vpn-tunnel' });
		this.infoNode = E('div', { 'id': 'nym-vpn-info' });
		this.connectButton = E('button', { 'class': 'btn cbi-button cbi-button-positive', 'id': 'nym-vpn-connect',
			'click': ui.createHandlerFn(this, 'handleConnect') }, [ _('Connect') ]);
		this.disconnectButton = E('button', { 'class': 'btn cbi-button cbi-button-negative', 'id': 'nym-vpn-disconnect',
			'click': ui.createHandlerFn(this, 'handleDisconnect') }, [ _('Disconnect') ]);
		this.update(data[0], data[1]);

		poll.add(L.bind(function() {
			if (this.busy) return;
			return this.load().then(L.bind(function(d) { if (!this.busy) this.update(d[0], d[1]); }, this));
		}, this), 2);

		return E('div', { 'class': 'cbi-map', 'id': 'cbi-nym-vpn-status' }, [
			E('h2', {}, [ _('NymVPN') ]),
			E('div', { 'class': 'cbi-map-descr' }, [ _('Traffic from the LAN goes through two WireGuard hops of the Nym network: an entry gateway, then an exit gateway.') ]),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, [ _('Tunnel') ]),
				this.tunnelNode,
				E('div', { 'class': 'right', 'style': 'margin-top:12px' }, [ this.connectButton, ' ', this.disconnectButton ])
			]),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, [ _('Service') ]), this.infoNode ])
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
