'use strict';
'require view';
'require dom';
'require poll';
'require ui';
'require nymvpn.common as nymvpn';

/*
 * NymVPN status: the tunnel state (with why it failed), both gateways, the tunnel's addresses,
 * since when it is up, handshake ages, traffic, reconnects; refreshed every 2 s. Connect uses the
 * gateways saved on the Gateways tab. A live graph draws received/sent bytes per second over the last
 * five minutes from the status counters, as LuCI's realtime graphs do (an SVG redrawn on every poll).
 */

var GRAPH_SECONDS = 300, GRAPH_W = 600, GRAPH_H = 140;
var SVG_NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
	var n = document.createElementNS(SVG_NS, tag);
	for (var k in attrs) n.setAttribute(k, attrs[k]);
	return n;
}

/* Rates (bytes/s) between successive counter samples; a counter that went down (a new tunnel) starts over. */
function rates(samples) {
	var out = [];
	for (var i = 1; i < samples.length; i++) {
		var a = samples[i - 1], b = samples[i], dt = b.t - a.t;
		if (dt <= 0 || b.rx < a.rx || b.tx < a.tx) continue;
		out.push({ t: b.t, rx: (b.rx - a.rx) / dt, tx: (b.tx - a.tx) / dt });
	}
	return out;
}

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
			return E('div', { 'class': 'alert-message error' }, [ _('The NymVPN service did not answer:'), ' ', nymvpn.errorNode(st) ]);

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
		[ 'entry', 'exit' ].forEach(function(role) {
			var b = st.bandwidth && st.bandwidth[role];
			if (!b)
				return;
			var text = (typeof b.remaining_bytes == 'number')
				? _('%s left at the %s gateway, checked %s').format(nymvpn.bytes(Math.max(0, b.remaining_bytes)), role, nymvpn.ago(Math.round(Date.now() / 1000 - b.checked_at)))
				: _('not known yet at the %s gateway').format(role);
			if (b.upgrade_mode)
				text += ' ' + _('(upgrade mode: not metered)');
			if (b.top_ups > 0)
				text += '; ' + _('%d tickets paid since connecting').format(b.top_ups);
			if (b.problem)
				text += ' ' + _('(last query failed: %s)').format(b.problem);
			rows.push(row(_('Bandwidth'), text, 'nym-vpn-row-bandwidth-' + role));
		});
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
			return E('em', {}, [ nymvpn.errorSummary(info) ]);
		return E('table', { 'class': 'table' }, [
			row(_('Version'), info.version),
			row(_('Network'), info.network),
			row(_('Directory'), info.api_url),
			row(_('Running for'), '%t'.format(info.uptime)),
			row(_('Runtime'), 'Node %s, %s/%s'.format(info.node, info.platform, info.arch))
		]);
	},

	/* Adds a counter sample (time in seconds) and redraws the graph. */
	sample: function(st) {
		if (st instanceof Error || !st || !st.stats || st.state != 'connected') {
			this.samples = [];
		}
		else {
			var now = Date.now() / 1000;
			this.samples.push({ t: now, rx: +st.stats.rx_bytes || 0, tx: +st.stats.tx_bytes || 0 });
			while (this.samples.length > 2 && this.samples[0].t < now - GRAPH_SECONDS - 5) this.samples.shift();
		}
		this.drawGraph();
	},

	drawGraph: function() {
		var r = rates(this.samples), now = Date.now() / 1000;
		var peak = r.reduce(function(m, x) { return Math.max(m, x.rx, x.tx); }, 0);
		var top = Math.max(1024, peak * 1.1);
		var box = this.graphNode.querySelector('svg');
		var points = function(key) {
			return r.map(function(x) {
				return '%.1f,%.1f'.format(GRAPH_W - (now - x.t) * GRAPH_W / GRAPH_SECONDS, GRAPH_H - x[key] * GRAPH_H / top);
			}).join(' ');
		};
		box.querySelector('#nym-vpn-graph-rx').setAttribute('points', points('rx'));
		box.querySelector('#nym-vpn-graph-tx').setAttribute('points', points('tx'));
		box.querySelector('#nym-vpn-graph-top').textContent = '%1024.1mB/s'.format(top);
		var last = r.length ? r[r.length - 1] : null;
		dom.content(this.graphLegend, this.samples.length == 0 ? [ E('em', {}, [ _('The graph runs while the tunnel is connected.') ]) ] : [
			E('span', { 'style': 'color:#1976d2', 'id': 'nym-vpn-graph-rx-now' }, [ '▬ ', _('received %s/s').format(nymvpn.bytes(last ? last.rx : 0)) ]), ' · ',
			E('span', { 'style': 'color:#00ac59', 'id': 'nym-vpn-graph-tx-now' }, [ '▬ ', _('sent %s/s').format(nymvpn.bytes(last ? last.tx : 0)) ]), ' · ',
			E('span', {}, [ _('peak %s/s over the last %d minutes').format(nymvpn.bytes(peak), GRAPH_SECONDS / 60) ])
		]);
	},

	renderGraph: function() {
		var box = svg('svg', { 'viewBox': '0 0 %d %d'.format(GRAPH_W, GRAPH_H), 'preserveAspectRatio': 'none', 'width': '100%', 'height': GRAPH_H,
			'role': 'img', 'aria-label': _('Traffic through the tunnel') });
		box.style.border = '1px solid var(--border-color-medium, #ccc)';
		for (var i = 1; i < 4; i++)
			box.appendChild(svg('line', { 'x1': 0, 'x2': GRAPH_W, 'y1': i * GRAPH_H / 4, 'y2': i * GRAPH_H / 4, 'stroke': '#ccc', 'stroke-dasharray': '3,3', 'stroke-width': 0.5 }));
		box.appendChild(svg('polyline', { 'id': 'nym-vpn-graph-rx', 'fill': 'none', 'stroke': '#1976d2', 'stroke-width': 1.5, 'points': '' }));
		box.appendChild(svg('polyline', { 'id': 'nym-vpn-graph-tx', 'fill': 'none', 'stroke': '#00ac59', 'stroke-width': 1.5, 'points': '' }));
		var top = svg('text', { 'id': 'nym-vpn-graph-top', 'x': 4, 'y': 12, 'font-size': 10, 'fill': '#888' });
		box.appendChild(top);
		this.graphLegend = E('div', { 'id': 'nym-vpn-graph-legend', 'class': 'cbi-value-description' });
		this.graphNode = E('div', { 'id': 'nym-vpn-graph' }, [ box, this.graphLegend ]);
		return this.graphNode;
	},

	update: function(st, info) {
		dom.content(this.tunnelNode, this.renderTunnel(st));
		if (info !== undefined) dom.content(this.infoNode, this.renderInfo(info));
		this.sample(st);
		var state = (st instanceof Error) ? null : st.state;
		this.connectButton.disabled = (state == 'connected' || state == 'connecting' || this.busy);
		this.disconnectButton.disabled = (state == null || state == 'disconnected' || this.busy);
	},

	/* While a dialog follows the tunnel, the table behind it follows too. */
	handleConnect: function() {
		this.busy = true;
		return nymvpn.connect(undefined, L.bind(function(st) { this.update(st); }, this)).finally(L.bind(this.refresh, this));
	},

	handleDisconnect: function() {
		this.busy = true;
		return nymvpn.disconnect(L.bind(function(st) { this.update(st); }, this)).finally(L.bind(this.refresh, this));
	},

	refresh: function() {
		this.busy = false;
		return this.load().then(L.bind(function(d) { this.update(d[0], d[1]); }, this));
	},

	render: function(data) {
		this.samples = [];
		this.renderGraph();
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
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, [ _('Traffic') ]), this.graphNode ]),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, [ _('Service') ]), this.infoNode ])
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
