'use strict';
'require baseclass';
'require dom';
'require rpc';

/*
 * The lab's LuCI.ui: modal dialogs, notifications, button handlers that spin while their promise
 * runs, item lists, view instantiation, applying UCI changes (ui.changes.apply: uci apply with
 * rollback, then confirm, then reload the page) and the "session expired" prompt LuCI shows when
 * an RPC call is denied because the login session is gone.
 */

var callApply = rpc.declare({ object: 'uci', method: 'apply', params: [ 'timeout', 'rollback' ] });
var callConfirm = rpc.declare({ object: 'uci', method: 'confirm' });
var callSessionAccess = rpc.declare({ object: 'session', method: 'access', params: [ 'scope', 'object', 'function' ], expect: { access: false } });

var UI = baseclass.extend({
	__init__: function() {
		var self = this;
		/* A denied call: if the session itself is gone, ask for a new login (LuCI's interceptor does the same). */
		rpc.addInterceptor(function(msg, req) {
			if (!L.isObject(msg) || !L.isObject(msg.error) || msg.error.code != -32002) return;
			if (req.object == 'session' && req.method == 'access') return;
			return callSessionAccess('uci', 'luci', 'read').catch(function(e) {
				if (/error -32002/.test(e.message)) self.showSessionExpired();
			});
		});
		this.changes = new Changes(this);
	},

	showModal: function(title, children /*, ...classes */) {
		var overlay = document.getElementById('modal_overlay');
		if (!overlay) {
			overlay = E('div', { 'id': 'modal_overlay' }, [ E('div', { 'class': 'modal', 'role': 'dialog', 'aria-modal': 'true' }) ]);
			document.body.appendChild(overlay);
		}
		var dlg = overlay.firstChild;
		dlg.className = [ 'modal' ].concat(Array.prototype.slice.call(arguments, 2)).join(' ');
		dom.content(dlg, []);
		if (title) dlg.appendChild(E('h4', {}, [ title ]));
		dom.append(dlg, children);
		document.body.classList.add('modal-overlay-active');
		return dlg;
	},

	hideModal: function() {
		document.body.classList.remove('modal-overlay-active');
	},

	addNotification: function(title, children /*, ...classes */) {
		var classes = Array.prototype.slice.call(arguments, 2);
		var msg = E('div', { 'class': 'alert-message fade-in' }, [
			E('div', { 'style': 'display:flex' }, [
				E('div', { 'style': 'flex:10' }),
				E('div', { 'style': 'flex:1 1 auto; display:flex' }, [
					E('button', { 'class': 'btn', 'style': 'margin-left:auto; margin-top:auto',
						'click': function(ev) { var n = ev.target.closest('.alert-message'); if (n) n.remove(); } }, [ _('Dismiss') ])
				])
			])
		]);
		if (title) msg.firstChild.firstChild.appendChild(E('h4', {}, [ title ]));
		dom.append(msg.firstChild.firstChild, children);
		classes.forEach(function(c) { if (c) msg.classList.add(c); });
		var mc = document.getElementById('maincontent') || document.body;
		mc.insertBefore(msg, mc.firstChild);
		return msg;
	},

	addTimeLimitedNotification: function(title, children, timeout /*, ...classes */) {
		var msg = this.addNotification.apply(this, [ title, children ].concat(Array.prototype.slice.call(arguments, 3)));
		window.setTimeout(function() { msg.remove(); }, timeout || 5000);
		return msg;
	},

	/* A click handler: the button spins and stays disabled until fn's promise settles. */
	createHandlerFn: function(ctx, fn /*, ...args */) {
		if (typeof fn == 'string') fn = ctx[fn];
		if (typeof fn != 'function') return null;
		var bound = Array.prototype.slice.call(arguments, 2);
		return function(ev) {
			var t = ev && ev.currentTarget;
			if (t && t.classList) { t.classList.add('spinning'); t.disabled = true; if (t.blur) t.blur(); }
			return Promise.resolve(fn.apply(ctx, bound.concat([ ev ]))).finally(function() {
				if (t && t.classList) { t.classList.remove('spinning'); t.disabled = false; }
			});
		};
	},

	itemlist: function(node, items, separators) {
		var children = [];
		for (var i = 0; i + 1 < items.length; i += 2) {
			if (items[i + 1] == null || items[i + 1] === '') continue;
			if (children.length) children.push(E('br'));
			children.push(E('span', { 'class': 'nowrap' }, [ E('strong', {}, [ items[i] + ': ' ]), items[i + 1] ]));
		}
		dom.append(node, children);
		return node;
	},

	instantiateView: function(path) {
		return L.require('view.' + path.replace(/\//g, '.')).catch(function(e) {
			dom.content(document.getElementById('view'), E('div', { 'class': 'alert-message error' }, [
				E('h4', {}, [ _('Failed to load view') ]), E('pre', {}, [ e.message ])
			]));
		});
	},

	showSessionExpired: function() {
		this.showModal(_('Session expired'), [
			E('div', { 'class': 'alert-message warning' }, [ _('A new login is required since the authentication session expired.') ]),
			E('div', { 'class': 'right' }, [
				E('button', { 'class': 'btn cbi-button cbi-button-positive', 'click': function() { window.location.reload(); } }, [ _('Log in…') ])
			])
		]);
	}
});

var Changes = baseclass.extend({
	__init__: function(ui) { this.ui = ui; },

	/* checked: with rollback (confirmed once the browser still reaches the router), like "Save & Apply". */
	apply: function(checked) {
		var ui = this.ui, rollback = !!checked;
		ui.showModal(_('Applying configuration changes'), [ E('p', { 'class': 'spinning' }, [ _('Applying configuration changes…') ]) ]);
		return callApply(L.env.apply_rollback || 90, rollback).then(function(status) {
			if (status === 5) return 'none';
			if (status !== 0) throw new Error(_('Apply request failed with status: %s').format(rpc.getStatusText(status)));
			return rollback ? callConfirm().then(function(s) {
				if (s !== 0) throw new Error(_('Could not confirm the changes: %s').format(rpc.getStatusText(s)));
				return 'applied';
			}) : 'applied';
		}).then(function(what) {
			ui.hideModal();
			if (what == 'none') {
				ui.addTimeLimitedNotification(null, E('p', {}, [ _('There are no changes to apply') ]), 5000, 'info');
				return;
			}
			ui.addNotification(null, E('p', {}, [ _('Configuration changes applied.') ]), 'info');
			window.setTimeout(function() { window.location.href = window.location.href.split('#')[0]; }, (L.env.apply_display || 1.5) * 1000);
		}).catch(function(e) {
			ui.hideModal();
			ui.addNotification(_('Apply failed'), E('p', {}, [ e.message ]), 'danger');
		});
	}
});

return UI;
