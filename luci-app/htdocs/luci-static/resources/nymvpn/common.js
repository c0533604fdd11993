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

/* [ badge text, badge class, the state inside a sentence ]. The bootstrap theme has no red label class
 * (.label.important is its primary blue, themes/luci-theme-bootstrap cascade.css), so Error is coloured
 * with the theme's own error colour variable. */
var STATES = {
	disconnected: [ _('Disconnected'), '', _('disconnected') ],
	connecting: [ _('Connecting…'), 'notice', _('connecting') ],
	connected: [ _('Connected'), 'success', _('connected') ],
	disconnecting: [ _('Disconnecting…'), 'notice', _('disconnecting') ],
	error: [ _('Error'), 'nym-vpn-label-error', _('failed') ],
	offline: [ _('Offline'), 'warning', _('offline') ]
};
var BADGE_STYLE = { 'nym-vpn-label-error': 'background-color:var(--error-color-high,#d00);color:var(--on-error-color,#fff)' };

/* The notices this app shows; a new one replaces them, so they never pile up. */
var notices = [];

function clearNotices() {
	notices.splice(0).forEach(function(n) { if (n && n.parentNode) n.parentNode.removeChild(n); });
}

/* LuCI's RPC errors say "RPC call to O/M failed with ubus code N: …" (rpc.js); the status number, if any. */
function ubusStatus(e) {
	if (typeof e == 'number') return e;
	var m = /\bubus code (\d+)\b/.exec((e && e.message) || '');
	return m ? +m[1] : null;
}

/* LuCI's L.raise() appends the JavaScript stack to an error's message ("\n  at f (url:l:c)", or
 * "f@url:l:c" in Firefox): the lines a user should read, and the whole text for "Details". */
var FRAME = /^\s*(at\s|\S*@\S+:\d+:\d+\s*$)/;
function errorText(e) {
	var full = (e && e.message != null) ? String(e.message) : String(e);
	var lines = full.split('\n').filter(function(l) { return !FRAME.test(l); });
	return { summary: lines.join(' ').trim() || full, details: (full != lines.join('\n')) ? full : null };
}

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

	ubusStatus: ubusStatus,

	/* The state as a word inside a sentence ("The tunnel is %s."). */
	stateWord: function(state) { return STATES[state] ? STATES[state][2] : String(state); },

	stateBadge: function(state) {
		var s = STATES[state] || [ state, '' ];
		return E('span', { 'class': 'label ' + s[1], 'style': BADGE_STYLE[s[1]] || null, 'id': 'nym-vpn-state', 'data-state': state }, [ s[0] ]);
	},

	/* An error for a user: its message without stack frames, the full text on demand. */
	errorNode: function(e) {
		var t = errorText(e);
		return E('span', { 'class': 'nym-vpn-error' }, [ t.summary, t.details ? E('details', { 'class': 'nym-vpn-error-details' }, [
			E('summary', {}, [ _('Details') ]), E('pre', { 'style': 'white-space:pre-wrap;font-size:90%' }, [ t.details ]) ]) : '' ]);
	},

	errorSummary: function(e) { return errorText(e).summary; },

	/* A notice that goes away by itself (ui.addTimeLimitedNotification where the runtime has it: LuCI
	 * releases before its 2025 addition do not), replacing this app's earlier notices. */
	notice: function(children, timeout, type) {
		clearNotices();
		var n;
		if (typeof ui.addTimeLimitedNotification == 'function')
			n = ui.addTimeLimitedNotification(null, children, timeout, type);
		else {
			n = ui.addNotification(null, children, type);
			window.setTimeout(function() { if (n && n.parentNode) n.parentNode.removeChild(n); }, timeout);
		}
		notices.push(n);
		return n;
	},

	/* A notice that stays until dismissed, replacing this app's earlier notices. */
	alert: function(title, children, type) {
		clearNotices();
		var n = ui.addNotification(title, children, type);
		notices.push(n);
		return n;
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

	/* LuCI's %m leaves values under 1024 unrounded ("54.590574336788094 B"): whole bytes there. */
	bytes: function(n) { n = +n || 0; return (n < 1024) ? '%d B'.format(Math.round(n)) : '%1024.2mB'.format(n); },

	ago: function(seconds) {
		return (seconds == null) ? null : _('%s ago').format('%t'.format(Math.max(0, +seconds)));
	},

	/* An RPC failure as a notification; a refused call says so in words too. */
	notifyError: function(title, e) {
		var lines = [ E('p', {}, [ this.errorNode(e) ]) ];
		if (/error -32002/.test(errorText(e).summary))
			lines.push(E('p', {}, [ _('Access denied: this login may view NymVPN but not change it.') ]));
		return this.alert(title, lines, 'danger');
	},

	/* Connects (args: ubus connect's parameters in declaration order; none = the choice saved in UCI),
	 * shows a dialog while the tunnel comes up and tells how it ended. onStatus(st), if given, sees every
	 * status read meanwhile (so a view's table does not keep showing the state from before). */
	connect: function(args, onStatus) {
		var self = this;
		clearNotices();  /* the last connect's or disconnect's notice no longer holds */
		return call(callConnect, args).then(function(st) { return self.follow(st, _('Connecting'), [ 'connected', 'error', 'disconnected' ], onStatus); })
			.then(function(st) {
				if (st.state == 'connected')
					self.notice(E('p', {}, [ _('Connected: entry %s, exit %s.').format(self.countryName(st.entry && st.entry.country) || '?', self.countryName(st.exit && st.exit.country) || '?') ]), 8000, 'success');
				else if (st.state == 'error')
					self.alert(_('Could not connect'), E('p', {}, [ st.error ? '%s: %s'.format(st.error.reason, st.error.message) : self.stateWord(st.state) ]), 'danger');
				else if (st.state == 'connecting')
					/* The service keeps retrying on its own: not a failure yet. */
					self.notice(E('p', {}, [ st.retry_attempt
						? _('Still connecting (attempt %d): the service keeps trying; the status page shows when the tunnel is up.').format(st.retry_attempt)
						: _('Still connecting: the service keeps trying; the status page shows when the tunnel is up.') ]), 10000, 'info');
				else
					self.alert(_('Could not connect'), E('p', {}, [ _('The tunnel is %s.').format(self.stateWord(st.state)) ]), 'warning');
				return st;
			}, function(e) { ui.hideModal(); self.notifyError(_('Could not connect'), e); });
	},

	disconnect: function(onStatus) {
		var self = this;
		clearNotices();
		return call(callDisconnect).then(function(st) { return self.follow(st, _('Disconnecting'), [ 'disconnected', 'error' ], onStatus); })
			.then(function(st) { self.notice(E('p', {}, [ _('Disconnected.') ]), 5000, 'info'); return st; },
				function(e) { ui.hideModal(); self.notifyError(_('Could not disconnect'), e); });
	},

	/* Watches status until one of `until` (or 90 s), with a dialog showing the state meanwhile. */
	follow: function(st, title, until, onStatus) {
		var self = this, line = E('p', { 'class': 'spinning', 'id': 'nym-vpn-progress' }, [ (STATES[st.state] || [ st.state ])[0] ]);
		if (onStatus) onStatus(st);
		if (until.indexOf(st.state) >= 0) return Promise.resolve(st);
		ui.showModal(title, [ line, E('p', { 'class': 'cbi-value-description' }, [ _('This takes a few seconds: both hops must complete their handshakes.') ]) ]);
		var deadline = Date.now() + 90000;
		var step = function() {
			return new Promise(function(r) { window.setTimeout(r, 1000); }).then(function() { return self.status(); }).then(function(s) {
				line.textContent = (STATES[s.state] || [ s.state ])[0] + (s.retry_attempt ? ' ' + _('(attempt %d)').format(s.retry_attempt) : '');
				if (onStatus) onStatus(s);
				if (until.indexOf(s.state) >= 0 || Date.now() > deadline) return s;
				return step();
			});
		};
		return step().finally(function() { ui.hideModal(); });
	}
});
