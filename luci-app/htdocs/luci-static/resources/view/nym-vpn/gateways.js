'use strict';
'require view';
'require form';
'require uci';
'require ui';
'require nymvpn.common as nymvpn';

/*
 * Entry and exit gateway choice, saved in UCI (nym-vpn.entry / nym-vpn.exit: select, country, id):
 * by country (from the `countries` list), a specific gateway (from `gateways`), random, or the
 * lowest latency (entry only). "Save & Connect" saves, applies, has the service re-read its
 * configuration and connects with the same choice. When the gateway directory cannot be read the
 * lists become text fields and a warning says why. Below, each role's gateways by quality: the
 * directory's performance score, the latency the service last measured (it never probes for this page)
 * and the country.
 */

var ROLES = [ 'entry', 'exit' ];

/* A measured round trip in whole ms as shown: a gateway on the same network answers within 1 ms. */
function latencyText(ms) {
	return (ms < 1) ? _('< 1 ms') : _('%d ms').format(ms);
}

function isLatency(ms) {
	return typeof ms == 'number' && isFinite(ms) && ms >= 0;
}

return view.extend({
	load: function() {
		return Promise.all(ROLES.map(function(role) {
			return Promise.all([ nymvpn.settle(nymvpn.countries(role)), nymvpn.settle(nymvpn.gateways(role)) ]);
		}));
	},

	/* A list the directory could not give (an Error), or gave empty, becomes a text field. */
	addChoice: function(m, role, countries, gateways) {
		var s = m.section(form.NamedSection, role, 'gateway', role == 'entry' ? _('Entry gateway') : _('Exit gateway'),
			role == 'entry' ? _('Where traffic enters the Nym network; every packet crosses it first.') : _('Where traffic leaves the Nym network for the internet.'));

		var o = s.option(form.ListValue, 'select', _('Choose by'));
		o.value('country', _('Country'));
		o.value('id', _('A specific gateway'));
		o.value('random', _('Random'));
		if (role == 'entry')
			o.value('low_latency', _('Lowest latency'));
		o.default = (role == 'entry') ? 'low_latency' : 'random';
		o.rmempty = false;

		if (countries instanceof Error || !(countries.countries || []).length) {
			o = s.option(form.Value, 'country', _('Country'), _('Two-letter country code, e.g. DE.'));
			o.placeholder = 'DE';
			o.validate = function(sid, v) { return /^[A-Za-z]{2}$/.test(v) ? true : _('Expecting: a two-letter country code'); };
		}
		else {
			o = s.option(form.ListValue, 'country', _('Country'));
			(countries.countries || []).slice().sort().forEach(function(cc) { o.value(cc, nymvpn.countryName(cc)); });
		}
		o.depends('select', 'country');
		o.rmempty = false;

		if (gateways instanceof Error || !(gateways.gateways || []).length) {
			o = s.option(form.Value, 'id', _('Gateway'), _('The gateway\'s identity key.'));
		}
		else {
			o = s.option(form.ListValue, 'id', _('Gateway'));
			(gateways.gateways || []).forEach(function(g) {
				var label = '%s · %s · %d%%'.format(g.name || g.id, nymvpn.countryName(g.country), g.performance);
				if (isLatency(g.latency_ms))
					label += ' · ' + latencyText(g.latency_ms);
				o.value(g.id, label);
			});
		}
		o.depends('select', 'id');
		o.rmempty = false;
	},

	render: function(data) {
		var m = new form.Map('nym-vpn', _('Gateways'),
			_('NymVPN sends traffic through two gateways. Choose how each is picked; the choice is stored in /etc/config/nym-vpn and used by Connect and at boot.'));
		var problems = [];
		ROLES.forEach(function(role, i) {
			this.addChoice(m, role, data[i][0], data[i][1]);
			[ data[i][0], data[i][1] ].forEach(function(r) { if (r instanceof Error && problems.indexOf(nymvpn.errorSummary(r)) < 0) problems.push(nymvpn.errorSummary(r)); });
			if (!(data[i][0] instanceof Error) && !(data[i][0].countries || []).length)
				problems.push(role == 'entry' ? _('the directory lists no entry gateways') : _('the directory lists no exit gateways'));
		}, this);
		this.map = m;

		var quality = this.renderQuality(data);
		return m.render().then(function(node) {
			/* Gateway names are long: let the selects grow to their text instead of the theme's fixed width. */
			node.querySelectorAll('select').forEach(function(sel) { sel.style.width = 'auto'; sel.style.maxWidth = '100%'; });
			node.appendChild(quality);
			if (!problems.length) return node;
			return E([], [
				E('div', { 'class': 'alert-message warning', 'id': 'nym-vpn-directory-error' }, [
					E('strong', {}, [ _('Gateways could not be listed:') ]), ' ', problems.join('; '), E('br'),
					_('Countries and gateway ids can still be typed in.')
				]),
				node
			]);
		});
	},

	/* The round trip the service last measured to a gateway (when connecting with the lowest latency), what
	 * there is instead when its probe got no answer, or "not measured" when no probe is recent (nym-vpnd
	 * tells measurements under an hour old). The title says when the probe ran. */
	latencyCell: function(g) {
		var ms = g.latency_ms, at = g.measured_at;
		var measured = (typeof at == 'number' && isFinite(at)) ? _('Measured %s').format(new Date(at * 1000).toLocaleString()) : null;
		var text, state;
		if (isLatency(ms)) {
			text = latencyText(ms);
			state = 'measured';
		}
		else if (measured) {
			text = _('no answer');
			state = 'silent';
		}
		else {
			text = _('not measured');
			state = 'none';
		}
		return E('td', { 'class': 'td nym-vpn-latency', 'data-latency': state, 'title': measured || _('The latency is measured when connecting with the lowest latency.') }, [ text ]);
	},

	/* Each role's gateways by quality: the directory's performance score as a bar, the measured latency
	 * beside it, and the country. */
	renderQuality: function(data) {
		var sections = ROLES.map(function(role, i) {
			var gws = data[i][1];
			if (gws instanceof Error || !(gws.gateways || []).length) return '';
			var list = gws.gateways.slice().sort(function(a, b) { return (b.performance - a.performance) || String(a.name || a.id).localeCompare(String(b.name || b.id)); });
			return E('div', { 'class': 'cbi-section', 'id': 'nym-vpn-quality-' + role }, [
				E('h3', {}, [ role == 'entry' ? _('Entry gateways by quality') : _('Exit gateways by quality') ]),
				E('table', { 'class': 'table' }, [
					E('tr', { 'class': 'tr table-titles' }, [
						E('th', { 'class': 'th' }, [ _('Gateway') ]), E('th', { 'class': 'th' }, [ _('Country') ]), E('th', { 'class': 'th' }, [ _('Performance') ]),
						E('th', { 'class': 'th' }, [ _('Latency') ]) ])
				].concat(list.map(function(g) {
					var p = Math.max(0, Math.min(100, +g.performance || 0));
					var colour = p >= 80 ? 'var(--success-color-high,#00ac59)' : p >= 50 ? 'var(--warn-color-high,#efbd0b)' : 'var(--error-color-high,#d00)';
					return E('tr', { 'class': 'tr', 'data-gateway': g.id }, [
						E('td', { 'class': 'td', 'title': g.id }, [ g.name || g.id ]),
						E('td', { 'class': 'td' }, [ nymvpn.countryName(g.country) ]),
						E('td', { 'class': 'td' }, [
							E('div', { 'class': 'nym-vpn-performance', 'title': '%d%%'.format(p), 'style': 'display:inline-block;vertical-align:middle;width:120px;height:10px;border:1px solid #ccc;border-radius:2px;margin-right:6px' }, [
								E('div', { 'style': 'height:100%%;width:%d%%;background:%s'.format(p, colour) }) ]),
							'%d%%'.format(p) ]),
						this.latencyCell(g)
					]);
				}, this)))
			]);
		}, this);
		return E('div', { 'id': 'nym-vpn-quality' }, sections);
	},

	/* The connect arguments for what UCI now says (parameter order of nymvpn.connect). */
	connectArgs: function() {
		var args = [];
		ROLES.forEach(function(role) {
			var sel = uci.get('nym-vpn', role, 'select');
			args.push(sel == 'id' ? uci.get('nym-vpn', role, 'id') : undefined);
			args.push(sel == 'country' ? uci.get('nym-vpn', role, 'country') : undefined);
			args.push(sel == 'random' ? true : undefined);
			if (role == 'entry') args.push(sel == 'low_latency' ? true : undefined);
		});
		return args;
	},

	handleSaveConnect: function() {
		var self = this;
		return this.map.save().then(function() {
			/* rpcd answers `uci apply` with 5 (no data) when nothing was changed; LuCI's uci.js rejects with
			 * that status as a number (older) or as an RPCError saying "ubus code 5" (callApply has reject: true). */
			return uci.apply(90).catch(function(e) {
				if (nymvpn.ubusStatus(e) === 5) return;
				throw new Error(_('Applying the configuration failed: %s').format(typeof e == 'number' ? nymvpn.statusText(e) : nymvpn.errorSummary(e)));
			});
		}).then(function() {
			return nymvpn.reload();
		}).then(function(r) {
			if (r && r.reloaded === false)
				throw new Error(_('The service kept its previous configuration: %s').format(r.error || '?'));
			return nymvpn.connect(self.connectArgs());
		}).catch(function(e) {
			if (e && e.name != 'TypeError') nymvpn.notifyError(_('Could not save and connect'), e);
		});
	},

	addFooter: function() {
		var footer = this.super('addFooter', []);
		var btn = E('button', { 'class': 'btn cbi-button cbi-button-positive important', 'id': 'nym-vpn-save-connect',
			'disabled': this.map.readonly ? '' : null, 'click': ui.createHandlerFn(this, 'handleSaveConnect') }, [ _('Save & Connect') ]);
		/* LuCI's footer is a fragment holding div.cbi-page-actions (absent when no handler is set). */
		var actions = footer.querySelector('.cbi-page-actions');
		if (!actions) footer.appendChild(actions = E('div', { 'class': 'cbi-page-actions' }));
		actions.insertBefore(E([], [ btn, ' ' ]), actions.firstChild);
		return footer;
	}
});
