'use strict';
'require baseclass';
'require rpc';
'require ui';

/*
 * Shared by the NymVPN views: the nym-vpn ubus methods (as ubus-schema/nym-vpn.json describes
 * them), how their replies and errors read, and connect/disconnect with a progress dialog.
 *
 * A failed call comes back as a bare ubus status number, or as {error: "<text>"} when the daemon
 * said why; both become rejected Errors here, so views only handle one shape.
 */

var callStatus = rpc.declare({ object: 'nym-vpn', method: 'status' });
var callInfo = rpc.declare({ object: 'nym-vpn', method: 'info' });
var callGateways = rpc.declare({ object: 'nym-vpn', method: 'gateways', params: [ 'role', 'country', 'min_performance' ] });
var callCountries = rpc.declare({ object: 'nym-vpn', method: 'countries', params: [ 'role' ] });
var callAccount = rpc.declare({ object: 'nym-vpn', method: 'account' });
var callConnect = rpc.declare({
	object: 'nym-vpn', method: 'connect',
	params: [ 'entry_id', 'entry_country', 'entry_random', 'entry_low_latency', 'exit_id', 'exit_country', 'exit_random' ]
});
var callDisconnect = rpc.declare({ object: 'nym-vpn', method: 'disconnect' });
var callReload = rpc.declare({ object: 'nym-vpn', method: 'reload' });
var callAccountSet = rpc.declare({ object: 'nym-vpn', method: 'account_set', params: [ 'mnemonic' ] });
var callAccountForget = rpc.declare({ object: 'nym-vpn', method: 'account_forget' });
var callAccountSync = rpc.declare({ object: 'nym-vpn', method: 'account_sync' });

var STATES = {
	disconnected: [ _('Disconnected'), '' ],
	connecting: [ _('Connecting…'), 'notice' ],
	connected: [ _('Connected'), 'success' ],
	disconnecting: [ _('Disconnecting…'), 'notice' ],
	error: [ _('Error'), 'important' ],
	offline: [ _('Offline'), 'warning' ]
};

function checked(res) {
	if (typeof res == 'number') {
		if (res === 0) return {};
		throw new Error(rpc.getStatusText(res));
	}
	if (L.isObject(res) && typeof res.error == 'string')
		throw new Error(res.error);
	return res;
}

function call(fn, args) {
	return fn.apply(null, args || []).then(checked);
}

return baseclass.extend({
	status: function() { return call(callStatus); },
	info: function() { return call(callInfo); },
	gateways: function(role, country) { return call(callGateways, [ role, country ]); },
	countries: function(role) { return call(callCountries, [ role ]); },
	account: function() { return call(callAccount); },
	reload: function() { return call(callReload); },
	accountSet: function(mnemonic) { return call(callAccountSet, [ mnemonic ]); },
	accountForget: function() { return call(callAccountForget); },
	accountSync: function() { return call(callAccountSync); },

	/* A promise's value, or the Error it failed with (for load() of views that show failures inline). */
	settle: function(p) { return Promise.resolve(p).catch(function(e) { return (e instanceof Error) ? e : new Error(String(e)); }); },

	statusText: function(code) { return rpc.getStatusText(code); },

	stateBadge: function(state) {
		var s = STATES[state] || [ state, '' ];
		return E('span', { 'class': 'label ' + s[1], 'id': 'nym-vpn-state', 'data-state': state }, [ s[0] ]);
	},

	countryName: function(cc) {
		if (!cc) return '';
		var name = cc;
		try { name = new Intl.DisplayNames([ navigator.language || 'en' ], { type: 'region' }).of(String(cc).toUpperCase()) || cc; }
		catch (e) { /* no Intl.DisplayNames: the code alone */ }
		return (name == cc) ? String(cc).toUpperCase() : '%s (%s)'.format(name, String(cc).toUpperCase());
	},

	gateway: function(gw) {
		if (!L.isObject(gw)) return E('em', {}, [ _('none') ]);
		return E('span', {}, [
			gw.country ? E('strong', {}, [ this.countryName(gw.country) ]) : '', gw.country ? ' · ' : '',
			gw.name ? gw.name + ' · ' : '',
			E('code', { 'title': gw.endpoint || '' }, [ gw.id ])
		]);
	},

	bytes: function(n) { return '%1024.2mB'.format(+n || 0); },

	ago: function(seconds) {
		return (seconds == null) ? null : _('%s ago').format('%t'.format(Math.max(0, +seconds)));
	},

	/* An RPC failure as a notification; a refused call says so in words too. */
	notifyError: function(title, e) {
		var msg = (e && e.message) ? e.message : String(e), lines = [ E('p', {}, [ msg ]) ];
		if (/error -32002/.test(msg))
			lines.push(E('p', {}, [ _('Access denied: this login may view NymVPN but not change it.') ]));
		return ui.addNotification(title, lines, 'danger');
	},

	/* Connects (args: ubus connect's parameters in declaration order; none = the choice saved in UCI),
	 * shows a dialog while the tunnel comes up, and tells how it ended. */
	connect: function(args) {
		var self = this;
		return call(callConnect, args).then(function(st) { return self.follow(st, _('Connecting'), [ 'connected', 'error', 'disconnected' ]); })
			.then(function(st) {
				if (st.state == 'connected')
					ui.addTimeLimitedNotification(null, E('p', {}, [ _('Connected: entry %s, exit %s.').format(self.countryName(st.entry && st.entry.country) || '?', self.countryName(st.exit && st.exit.country) || '?') ]), 8000, 'success');
				else if (st.state == 'error')
					ui.addNotification(_('Could not connect'), E('p', {}, [ '%s: %s'.format(st.error.reason, st.error.message) ]), 'danger');
				else if (st.state != 'connected')
					ui.addNotification(_('Could not connect'), E('p', {}, [ _('The tunnel is %s.').format(STATES[st.state] ? STATES[st.state][0] : st.state) ]), 'warning');
				return st;
			}, function(e) { ui.hideModal(); self.notifyError(_('Could not connect'), e); });
	},

	disconnect: function() {
		var self = this;
		return call(callDisconnect).then(function(st) { return self.follow(st, _('Disconnecting'), [ 'disconnected', 'error' ]); })
			.then(function(st) { ui.addTimeLimitedNotification(null, E('p', {}, [ _('Disconnected.') ]), 5000, 'info'); return st; },
				function(e) { ui.hideModal(); self.notifyError(_('Could not disconnect'), e); });
	},

	/* Watches status until one of `until` (or 90 s), with a dialog showing the state meanwhile. */
	follow: function(st, title, until) {
		var self = this, line = E('p', { 'class': 'spinning', 'id': 'nym-vpn-progress' }, [ (STATES[st.state] || [ st.state ])[0] ]);
		if (until.indexOf(st.state) >= 0) return Promise.resolve(st);
		ui.showModal(title, [ line, E('p', { 'class': 'cbi-value-description' }, [ _('This takes a few seconds: both hops must complete their handshakes.') ]) ]);
		var deadline = Date.now() + 90000;
		var step = function() {
			return new Promise(function(r) { window.setTimeout(r, 1000); }).then(function() { return self.status(); }).then(function(s) {
				line.textContent = (STATES[s.state] || [ s.state ])[0] + (s.retry_attempt ? ' ' + _('(attempt %d)').format(s.retry_attempt) : '');
				if (until.indexOf(s.state) >= 0 || Date.now() > deadline) return s;
				return step();
			});
		};
		return step().finally(function() { ui.hideModal(); });
	}
});
