'use strict';
'require view';
'require dom';
'require ui';
'require nymvpn.common as nymvpn';

/* upstream's ReadyToConnect, in a router owner's words. */
var READINESS = {
	ready: _('Ready to connect'),
	no_mnemonic_stored: _('No account stored'),
	account_not_synced: _('Not yet synced with the NymVPN API'),
	account_not_active: _('The account is not active'),
	no_active_subscription: _('No active subscription'),
	device_not_registered: _('This router is not registered as a device yet'),
	device_not_active: _('This router is registered but not active'),
	max_devices_reached: _('The account has no device left for this router')
};

/*
 * The NymVPN account: its id, this router's device, the subscription and the tickets left as the
 * last sync with the NymVPN API found them (and why a sync failed); storing one from its mnemonic (typed
 * once into a password field, sent with account_set and cleared at once; the router never shows
 * it again) and forgetting it after a confirmation.
 */

return view.extend({
	load: function() {
		return nymvpn.settle(nymvpn.account());
	},

	renderAccount: function(acct) {
		if (acct instanceof Error)
			return E('div', { 'class': 'alert-message error', 'id': 'nym-vpn-account-error' }, [
				_('The account could not be read:'), ' ', nymvpn.errorNode(acct) ]);
		var rows = [ [ _('Account stored'), acct.stored ? _('yes') : _('no') ] ];
		if (acct.id) rows.push([ _('Account id'), E('code', {}, [ acct.id ]) ]);
		if (acct.device_id) rows.push([ _('Device id'), E('code', {}, [ acct.device_id ]) ]);
		if (acct.stored) {
			if (acct.device_registered !== undefined)
				rows.push([ _('Device registered'), acct.device_registered ? (acct.device_status === 'active' ? _('yes') : _('yes (%s)').format(acct.device_status || '?')) : _('no') ]);
			if (acct.account_status !== undefined)
				rows.push([ _('Subscription'), acct.subscription_active
					? (acct.subscription_until ? _('active until %s').format(acct.subscription_until) : _('active'))
					: _('none (account %s)').format(acct.account_status) ]);
			if (acct.devices)
				rows.push([ _('Devices'), _('%d of %d in use, %d left').format(acct.devices.active, acct.devices.max, acct.devices.remaining) ]);
			if (acct.tickets)
				rows.push([ _('Tickets left'), Object.keys(acct.tickets).map(function(k) { return '%s: %d'.format(k.replace(/^v1-/, ''), acct.tickets[k]); }).join(', ') ]);
			rows.push([ _('Ready'), E('span', { 'id': 'nym-vpn-account-ready' }, [ READINESS[acct.ready_to_connect] || acct.ready_to_connect ]) ]);
			rows.push([ _('Last sync'), acct.last_sync === undefined ? _('never')
				: E('span', { 'id': 'nym-vpn-account-sync' }, [ new Date(acct.last_sync * 1000).toLocaleString(),
					acct.last_sync_error ? E('span', { 'class': 'label warning', 'style': 'margin-left:.5em' }, [ _('failed: %s').format(acct.last_sync_error) ]) : '' ]) ]);
		}
		return E('table', { 'class': 'table' }, rows.map(function(r) {
			return E('tr', { 'class': 'tr' }, [ E('td', { 'class': 'td left' }, [ r[0] ]), E('td', { 'class': 'td left' }, [ r[1] ]) ]);
		}));
	},

	update: function(acct) {
		this.account = acct;
		dom.content(this.accountNode, this.renderAccount(acct));
		this.forgetButton.disabled = this.readonly || !(acct && acct.stored);
		this.syncButton.disabled = this.readonly || !(acct && acct.stored);
	},

	refresh: function() {
		return this.load().then(L.bind(this.update, this));
	},

	handleStore: function() {
		var input = this.mnemonicInput, words = input.value.trim().split(/\s+/).filter(Boolean);
		/* The secret leaves the page before anything else happens. */
		input.value = '';
		if (!words.length) {
			nymvpn.notice(E('p', {}, [ _('Enter the account\'s recovery phrase (12 or 24 words) first.') ]), 5000, 'warning');
			return Promise.resolve();
		}
		return nymvpn.accountSet(words.join(' ')).then(function(r) {
			nymvpn.notice(E('p', {}, [ _('Account stored. Account id: %s').format(r.id) ]), 8000, 'success');
		}, function(e) {
			nymvpn.notifyError(_('The account was not stored'), e);
		}).then(L.bind(this.refresh, this));
	},

	handleSync: function() {
		return nymvpn.accountSync().then(L.bind(this.update, this), function(e) {
			nymvpn.notifyError(_('The account could not be synced'), e);
		});
	},

	handleForget: function() {
		var self = this;
		ui.showModal(_('Forget the account?'), [
			E('p', {}, [ _('The router forgets the account and its device keys. NymVPN cannot connect through the Nym network until an account is stored again.') ]),
			E('div', { 'class': 'right' }, [
				E('button', { 'class': 'btn cbi-button', 'click': ui.hideModal }, [ _('Cancel') ]), ' ',
				E('button', { 'class': 'btn cbi-button cbi-button-negative', 'id': 'nym-vpn-account-forget-confirm',
					'click': ui.createHandlerFn(this, function() {
						return nymvpn.accountForget().then(function() {
							ui.hideModal();
							nymvpn.notice(E('p', {}, [ _('The account was forgotten.') ]), 8000, 'info');
						}, function(e) {
							ui.hideModal();
							nymvpn.notifyError(_('The account was not forgotten'), e);
						}).then(L.bind(self.refresh, self));
					}) }, [ _('Forget') ])
			])
		]);
	},

	render: function(acct) {
		/* A login that may only read (LuCI's view permission, from the menu's ACL dependency) cannot store or forget. */
		this.readonly = (L.hasViewPermission && L.hasViewPermission() === false);
		this.accountNode = E('div', { 'id': 'nym-vpn-account' });
		this.mnemonicInput = E('input', { 'type': 'password', 'id': 'nym-vpn-mnemonic', 'class': 'cbi-input-text', 'autocomplete': 'off',
			'spellcheck': 'false', 'disabled': this.readonly ? '' : null, 'placeholder': _('twelve or twenty-four words'), 'style': 'min-width:360px' });
		this.forgetButton = E('button', { 'class': 'btn cbi-button cbi-button-negative', 'id': 'nym-vpn-account-forget',
			'click': ui.createHandlerFn(this, 'handleForget') }, [ _('Forget account…') ]);
		this.syncButton = E('button', { 'class': 'btn cbi-button cbi-button-action', 'id': 'nym-vpn-account-sync-now',
			'click': ui.createHandlerFn(this, 'handleSync') }, [ _('Sync now') ]);
		this.update(acct);

		return E('div', { 'class': 'cbi-map', 'id': 'cbi-nym-vpn-account' }, [
			E('h2', {}, [ _('NymVPN account') ]),
			E('div', { 'class': 'cbi-map-descr' }, [ _('The account pays for NymVPN. Its recovery phrase is stored on the router, readable by root only.') ]),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, [ _('Account') ]), this.accountNode, E('div', { 'class': 'right' }, [ this.syncButton ]) ]),
			E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, [ _('Store an account') ]),
				E('div', { 'class': 'cbi-value' }, [
					E('label', { 'class': 'cbi-value-title', 'for': 'nym-vpn-mnemonic' }, [ _('Recovery phrase') ]),
					E('div', { 'class': 'cbi-value-field' }, [
						this.mnemonicInput, ' ',
						E('button', { 'class': 'btn cbi-button cbi-button-apply', 'id': 'nym-vpn-account-store', 'disabled': this.readonly ? '' : null,
							'click': ui.createHandlerFn(this, 'handleStore') }, [ _('Store') ]),
						E('div', { 'class': 'cbi-value-description' }, [ _('Replaces a stored account. The phrase is never shown again.') ])
					])
				])
			]),
			E('div', { 'class': 'cbi-section' }, [ E('h3', {}, [ _('Forget the account') ]), this.forgetButton ])
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
