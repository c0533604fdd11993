'use strict';
'require baseclass';
'require dom';
'require ui';
'require uci';

/*
 * The lab's LuCI.form: Map over one UCI config, NamedSection/TypedSection with tabs, and the
 * options Value (text/password), ListValue, Flag, DynamicList and DummyValue with depends(),
 * datatype checks, rmempty/optional/default/placeholder/readonly and LuCI's element ids
 * (cbi-<config>-<section>-<option>, widget.cbid.<config>.<section>.<option>). Widgets are plain
 * inputs instead of LuCI.ui's widget classes.
 */

/* Datatypes: name(args) expressions with and()/or(); each test returns true or what it expects. */
var ip4 = function(v) { var m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v); return !!m && m.slice(1).every(function(x) { return +x < 256; }); };
var ip6 = function(v) {
	if (!/^[0-9A-Fa-f:.]+$/.test(v) || v.indexOf(':') < 0 || (v.match(/::/g) || []).length > 1) return false;
	var parts = v.split(':'), tail = parts[parts.length - 1];
	if (tail.indexOf('.') >= 0 && !ip4(tail)) return false;
	var groups = parts.filter(function(p) { return p !== ''; }).length + (tail.indexOf('.') >= 0 ? 1 : 0);
	return parts.every(function(p) { return p === '' || p.indexOf('.') >= 0 || /^[0-9A-Fa-f]{1,4}$/.test(p); }) && (v.indexOf('::') >= 0 ? groups < 8 : groups == 8);
};
var hostname = function(v) { return v.length <= 253 && /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/.test(v); };
var types = {
	integer: [ function(v) { return /^-?\d+$/.test(v); }, _('integer value') ],
	uinteger: [ function(v) { return /^\d+$/.test(v); }, _('positive integer value') ],
	range: [ function(v, a, b) { return /^-?\d+(\.\d+)?$/.test(v) && +v >= +a && +v <= +b; }, _('value between %s and %s') ],
	min: [ function(v, a) { return /^-?\d+(\.\d+)?$/.test(v) && +v >= +a; }, _('value greater or equal to %s') ],
	max: [ function(v, a) { return /^-?\d+(\.\d+)?$/.test(v) && +v <= +a; }, _('value smaller or equal to %s') ],
	maxlength: [ function(v, n) { return v.length <= +n; }, _('value with at most %s characters') ],
	minlength: [ function(v, n) { return v.length >= +n; }, _('value with at least %s characters') ],
	ip4addr: [ ip4, _('valid IPv4 address') ],
	ip6addr: [ ip6, _('valid IPv6 address') ],
	ipaddr: [ function(v) { return ip4(v) || ip6(v); }, _('valid IP address') ],
	cidr: [ function(v) { var m = /^(.+)\/(\d{1,3})$/.exec(v); return !!m && ((ip4(m[1]) && +m[2] <= 32) || (ip6(m[1]) && +m[2] <= 128)); }, _('valid IPv4 or IPv6 CIDR') ],
	hostname: [ hostname, _('valid hostname') ],
	host: [ function(v) { return ip4(v) || ip6(v) || hostname(v); }, _('valid hostname or IP address') ],
	network: [ function(v) { return /^[A-Za-z0-9_]+$/.test(v); }, _('valid UCI identifier') ],
	string: [ function() { return true; }, _('string') ]
};

function splitArgs(s) {
	var out = [], depth = 0, cur = '';
	for (var i = 0; i < s.length; i++) {
		var c = s.charAt(i);
		if (c == ',' && !depth) { out.push(cur.trim()); cur = ''; continue; }
		if (c == '(') depth++;
		if (c == ')') depth--;
		cur += c;
	}
	if (cur.trim() !== '') out.push(cur.trim());
	return out;
}

/* true, or a description of what `expr` expects of `value`. */
function checkType(expr, value) {
	var m = /^(\w+)(?:\((.*)\))?$/.exec(expr.trim());
	if (!m) return _('valid datatype expression');
	var args = m[2] != null ? splitArgs(m[2]) : [];
	if (m[1] == 'and' || m[1] == 'or') {
		var results = args.map(function(a) { return checkType(a, value); });
		var ok = (m[1] == 'and') ? results.every(function(r) { return r === true; }) : results.some(function(r) { return r === true; });
		return ok ? true : results.filter(function(r) { return r !== true; }).join(m[1] == 'and' ? _(' and ') : _(' or '));
	}
	var t = types[m[1]];
	if (!t) return true;
	return t[0].apply(null, [ String(value) ].concat(args)) ? true : String.prototype.format.apply(t[1], args);
}

var CBIAbstractElement = baseclass.extend({
	__init__: function(title, description) {
		this.title = title || '';
		this.description = description || '';
		this.children = [];
	},
	append: function(obj) { this.children.push(obj); },
	stripTags: function(s) { var d = document.createElement('div'); d.innerHTML = String(s); return d.textContent; },
	titleFn: function(attr) {
		var v = this[attr];
		return (typeof v == 'function') ? v.apply(this, Array.prototype.slice.call(arguments, 1)) : v;
	}
});

var CBIMap = CBIAbstractElement.extend({
	__init__: function(config, title, description) {
		this.super('__init__', [ title, description ]);
		this.config = config;
		this.data = uci;
	},
	section: function(cbiClass /*, ...args */) {
		var obj = cbiClass.instantiate([ this ].concat(Array.prototype.slice.call(arguments, 1)));
		this.append(obj);
		return obj;
	},
	load: function() { return this.data.load(this.config); },
	parse: function() { return Promise.all(this.children.map(function(s) { return s.parse(); })); },
	save: function(cb, silent) {
		var self = this;
		this.checkDepends();
		return this.parse().then(cb).then(function() { return self.data.save(); }).then(function() { return self.load(); })
			.catch(function(e) {
				if (!silent)
					ui.showModal(_('Save error'), [
						E('p', {}, [ _('An error occurred while saving the form:') ]),
						E('p', {}, [ E('em', { 'style': 'white-space:pre-wrap' }, [ e.message ]) ]),
						E('div', { 'class': 'right' }, [ E('button', { 'class': 'btn cbi-button', 'click': ui.hideModal }, [ _('Dismiss') ]) ])
					]);
				return Promise.reject(e);
			}).then(function() { return self.renderContents(); });
	},
	reset: function() { return this.renderContents(); },
	render: function() { var self = this; return this.load().then(function() { return self.renderContents(); }); },
	renderContents: function() {
		var self = this;
		if (this.readonly == null) this.readonly = (L.hasViewPermission() === false);
		var node = this.node || (this.node = E('div', { 'class': 'cbi-map', 'id': 'cbi-' + this.config }));
		dom.bindClassInstance(node, this);
		if (!node.dataset.listening) {
			node.dataset.listening = '1';
			var changed = function(ev) { self.checkDepends(ev); };
			node.addEventListener('change', changed);
			node.addEventListener('input', changed);
		}
		return Promise.all(this.children.map(function(s) { return s.render(); })).then(function(sections) {
			dom.content(node, [
				self.title ? E('h2', { 'name': 'content' }, [ self.title ]) : '',
				self.description ? E('div', { 'class': 'cbi-map-descr' }, [ self.description ]) : ''
			].concat(sections));
			self.checkDepends();
			return node;
		});
	},
	/* Shows the options whose depends hold, hides the rest, and marks invalid input. */
	checkDepends: function() {
		var node = this.node;
		if (!node) return;
		this.children.forEach(function(s) {
			s.cfgsections().forEach(function(sid) {
				s.children.forEach(function(o) {
					var row = node.querySelector('[id="' + ('cbi-' + s.config + '-' + sid + '-' + o.option).replace(/"/g, '\\"') + '"]');
					if (!row) return;
					row.classList.toggle('hidden', !o.isActive(sid));
					var w = o.widgets && o.widgets[sid], v = w ? w.getValue() : null;
					if (w) w.node.classList.toggle('cbi-input-invalid', o.checkValid(sid, v) !== true);
				});
			});
		});
	}
});

var CBIAbstractSection = CBIAbstractElement.extend({
	__init__: function(map, sectionType, title, description) {
		this.super('__init__', [ title, description ]);
		this.map = map;
		this.config = map.config;
		this.sectiontype = sectionType;
		this.tabs = null;
		this.tab_names = [];
	},
	cfgsections: function() { return []; },
	tab: function(name, title, description) {
		this.tabs = this.tabs || {};
		this.tabs[name] = { name: name, title: title, description: description };
		this.tab_names.push(name);
	},
	option: function(cbiClass /*, ...args */) {
		var obj = cbiClass.instantiate([ this ].concat(Array.prototype.slice.call(arguments, 1)));
		this.append(obj);
		return obj;
	},
	taboption: function(tabName /*, cbiClass, ...args */) {
		if (!this.tabs || !this.tabs[tabName]) throw new Error('No such tab: ' + tabName);
		var obj = this.option.apply(this, Array.prototype.slice.call(arguments, 1));
		obj.tab = tabName;
		return obj;
	},
	parse: function() {
		var self = this;
		return Promise.all(this.cfgsections().map(function(sid) {
			return Promise.all(self.children.map(function(o) { return o.parse(sid); }));
		}));
	},
	renderOptions: function(sid, tab) {
		return this.children.filter(function(o) { return tab == null || o.tab == tab; })
			.map(function(o, i) { return o.render(i, sid); });
	},
	renderUCISection: function(sid) {
		var self = this;
		if (!this.tabs) return E('div', { 'class': 'cbi-section-node', 'id': 'cbi-' + this.config + '-' + sid }, this.renderOptions(sid));
		var menu = E('ul', { 'class': 'cbi-tabmenu' }), panes = [];
		this.tab_names.forEach(function(name, i) {
			var pane = E('div', { 'class': 'cbi-tabcontainer', 'data-tab': name, 'data-tab-title': self.tabs[name].title,
				'style': i ? 'display:none' : null }, self.renderOptions(sid, name));
			panes.push(pane);
			menu.appendChild(E('li', { 'class': i ? 'cbi-tab-disabled' : 'cbi-tab', 'data-tab': name }, [
				E('a', { 'href': '#', 'click': function(ev) {
					ev.preventDefault();
					panes.forEach(function(p) { p.style.display = (p === pane) ? '' : 'none'; });
					Array.prototype.forEach.call(menu.children, function(li) { li.className = (li.dataset.tab == name) ? 'cbi-tab' : 'cbi-tab-disabled'; });
				} }, [ self.tabs[name].title ])
			]));
		});
		return E('div', { 'class': 'cbi-section-node cbi-section-node-tabbed', 'id': 'cbi-' + this.config + '-' + sid }, [ menu ].concat(panes));
	},
	renderHead: function() {
		return [ this.title ? E('h3', {}, [ this.title ]) : '', this.description ? E('div', { 'class': 'cbi-section-descr' }, [ this.description ]) : '' ];
	}
});

var CBINamedSection = CBIAbstractSection.extend({
	__init__: function(map, section, sectionType, title, description) {
		this.super('__init__', [ map, sectionType, title, description ]);
		this.section = section;
	},
	cfgsections: function() { return [ this.section ]; },
	render: function() {
		var exists = uci.get(this.config, this.section) != null;
		return E('div', { 'class': 'cbi-section', 'id': 'cbi-' + this.config + '-' + this.section }, this.renderHead().concat([
			exists ? this.renderUCISection(this.section) : E('em', {}, [ _('This section contains no values yet') ])
		]));
	}
});

var CBITypedSection = CBIAbstractSection.extend({
	__init__: function(map, sectionType, title, description) {
		this.super('__init__', [ map, sectionType, title, description ]);
		this.anonymous = false;
	},
	filter: function() { return true; },
	cfgsections: function() {
		return uci.sections(this.config, this.sectiontype).map(function(s) { return s['.name']; }).filter(this.filter, this);
	},
	render: function() {
		var self = this, ids = this.cfgsections();
		return E('div', { 'class': 'cbi-section', 'id': 'cbi-' + this.config + '-' + this.sectiontype }, this.renderHead().concat(
			ids.length ? ids.map(function(sid) {
				return E([], [ self.anonymous ? '' : E('h3', {}, [ sid ]), self.renderUCISection(sid) ]);
			}) : [ E('em', {}, [ _('This section contains no values yet') ]) ]));
	}
});

var CBIAbstractValue = CBIAbstractElement.extend({
	__init__: function(section, option, title, description) {
		this.super('__init__', [ title, description ]);
		this.section = section;
		this.option = option;
		this.map = section.map;
		this.config = section.config;
		this.deps = [];
		this.rmempty = true;
		this.optional = false;
		this.retain = false;
		this.default = null;
		this.widgets = {};
	},
	depends: function(field, value) {
		var d = field;
		if (typeof field == 'string') { d = {}; d[field] = value; }
		this.deps.push(d);
	},
	cbid: function(sid) { return 'cbid.' + this.config + '.' + sid + '.' + this.option; },
	cfgvalue: function(sid) { return uci.get(this.config, sid, this.ucioption || this.option); },
	textvalue: function(sid) { var v = this.cfgvalue(sid); if (v == null) v = this.default; return Array.isArray(v) ? v.join(' ') : v; },
	formvalue: function(sid) { var w = this.widgets[sid]; return w ? w.getValue() : null; },
	getUIElement: function(sid) { return this.widgets[sid] || null; },
	isActive: function(sid) {
		var self = this;
		if (!this.deps.length) return true;
		return this.deps.some(function(d) {
			return Object.keys(d).every(function(k) {
				var o = self.section.children.filter(function(c) { return c.option == k; })[0];
				var v = o ? (o.isActive(sid) ? o.formvalue(sid) : null) : uci.get(self.config, sid, k);
				return (d[k] instanceof RegExp) ? d[k].test(v == null ? '' : v) : String(v == null ? '' : v) == String(d[k]);
			});
		});
	},
	validate: function(sid, value) { return true; },
	/* true, or the message LuCI's validation would show. */
	checkValid: function(sid, value) {
		var values = Array.isArray(value) ? value : [ value ];
		for (var i = 0; i < values.length; i++) {
			if (values[i] == null || values[i] === '') continue;
			if (this.datatype) { var r = checkType(this.datatype, values[i]); if (r !== true) return _('Expecting: %s').format(r); }
		}
		var c = this.validate(sid, value);
		return (c === true || c == null) ? true : String(c);
	},
	isValid: function(sid) { return this.checkValid(sid, this.formvalue(sid)) === true; },
	write: function(sid, value) { return uci.set(this.config, sid, this.ucioption || this.option, value); },
	remove: function(sid) { return uci.unset(this.config, sid, this.ucioption || this.option); },
	parse: function(sid) {
		if (!this.isActive(sid)) return Promise.resolve(this.retain ? null : this.remove(sid));
		var fval = this.formvalue(sid), cval = this.cfgvalue(sid), valid = this.checkValid(sid, fval);
		if (valid !== true)
			return Promise.reject(new TypeError(_('Option "%s" contains an invalid input value: %s').format(this.stripTags(this.title || this.option), valid)));
		var empty = (fval == null || fval === '' || (Array.isArray(fval) && !fval.length));
		if (!empty)
			return Promise.resolve(JSON.stringify(fval) == JSON.stringify(cval) ? null : this.write(sid, fval));
		if (this.rmempty || this.optional)
			return Promise.resolve(cval != null ? this.remove(sid) : null);
		return Promise.reject(new TypeError(_('Option "%s" must not be empty.').format(this.stripTags(this.title || this.option))));
	},
	render: function(index, sid) {
		var value = this.cfgvalue(sid);
		if (value == null) value = this.default;
		var w = this.renderWidget(sid, index, value);
		var disabled = this.readonly || this.map.readonly;
		w.node.setAttribute('data-widget', this.widgetName || 'ui.Textfield');
		w.node.id = this.cbid(sid);
		if (disabled) Array.prototype.forEach.call(w.node.querySelectorAll('input,select,button'), function(i) { i.disabled = true; });
		this.widgets[sid] = w;
		return E('div', { 'class': 'cbi-value', 'id': 'cbi-' + this.config + '-' + sid + '-' + this.option, 'data-name': this.option, 'data-index': index }, [
			E('label', { 'class': 'cbi-value-title', 'for': 'widget.' + this.cbid(sid) }, [ this.titleFn('title', sid) ]),
			E('div', { 'class': 'cbi-value-field' }, [ w.node,
				this.description ? E('div', { 'class': 'cbi-value-description' }, [ this.titleFn('description', sid) ]) : '' ])
		]);
	}
});

var CBIValue = CBIAbstractValue.extend({
	renderWidget: function(sid, index, value) {
		var input = E('input', { 'id': 'widget.' + this.cbid(sid), 'name': this.cbid(sid), 'class': 'cbi-input-text',
			'type': this.password ? 'password' : 'text', 'placeholder': this.placeholder || null, 'autocomplete': this.password ? 'new-password' : null });
		input.value = (value == null) ? '' : (Array.isArray(value) ? value.join(' ') : value);
		return { node: E('div', {}, [ input ]), getValue: function() { return input.value.trim(); }, setValue: function(v) { input.value = v == null ? '' : v; } };
	}
});

var CBIListValue = CBIValue.extend({
	__init__: function() { this.super('__init__', arguments); this.keylist = []; this.vallist = []; this.widgetName = 'ui.Select'; },
	value: function(key, label) { this.keylist.push(String(key)); this.vallist.push(label != null ? label : key); },
	renderWidget: function(sid, index, value) {
		var keys = this.keylist.slice(), labels = this.vallist.slice();
		if (value != null && value !== '' && keys.indexOf(String(value)) < 0) { keys.push(String(value)); labels.push(String(value)); }
		var select = E('select', { 'id': 'widget.' + this.cbid(sid), 'name': this.cbid(sid), 'class': 'cbi-input-select' },
			keys.map(function(k, i) { return E('option', { 'value': k, 'selected': (String(value) == k) ? '' : null }, [ labels[i] ]); }));
		if (value == null && keys.length) select.value = keys[0];
		return { node: E('div', {}, [ select ]), getValue: function() { return select.value; }, setValue: function(v) { select.value = v; } };
	}
});

var CBIFlag = CBIValue.extend({
	__init__: function() { this.super('__init__', arguments); this.enabled = '1'; this.disabled = '0'; this.default = this.disabled; this.widgetName = 'ui.Checkbox'; },
	renderWidget: function(sid, index, value) {
		var self = this, id = 'widget.' + this.cbid(sid);
		var box = E('input', { 'id': id, 'name': this.cbid(sid), 'type': 'checkbox', 'value': this.enabled });
		box.checked = (String(value) == this.enabled);
		return { node: E('div', { 'class': 'cbi-checkbox' }, [ box, E('label', { 'for': id }) ]),
			getValue: function() { return box.checked ? self.enabled : self.disabled; }, setValue: function(v) { box.checked = (v == self.enabled); } };
	},
	parse: function(sid) {
		if (!this.isActive(sid)) return Promise.resolve(this.retain ? null : this.remove(sid));
		var fval = this.formvalue(sid);
		if (fval == this.default && (this.optional || this.rmempty)) return Promise.resolve(this.remove(sid));
		return Promise.resolve(fval === this.cfgvalue(sid) ? null : this.write(sid, fval));
	}
});

var CBIDynamicList = CBIValue.extend({
	__init__: function() { this.super('__init__', arguments); this.widgetName = 'ui.DynamicList'; },
	cfgvalue: function(sid) { var v = this.super('cfgvalue', [ sid ]); return v == null ? null : L.toArray(v); },
	renderWidget: function(sid, index, value) {
		var self = this, items = L.toArray(value).slice(), list = E('div', { 'class': 'cbi-dynlist' });
		var input = E('input', { 'id': 'widget.' + this.cbid(sid), 'class': 'cbi-input-text', 'type': 'text', 'placeholder': this.placeholder || null });
		var redraw = function() {
			dom.content(list, items.map(function(v, i) {
				return E('div', { 'class': 'item', 'data-value': v }, [ E('span', {}, [ v ]),
					E('button', { 'class': 'btn cbi-button cbi-button-remove', 'title': _('Remove'), 'type': 'button',
						'disabled': (self.readonly || self.map.readonly) ? '' : null,
						'click': function() { items.splice(i, 1); redraw(); list.dispatchEvent(new Event('change', { bubbles: true })); } }, [ '×' ]) ]);
			}).concat([ E('div', { 'class': 'add-item' }, [ input, E('button', { 'class': 'btn cbi-button cbi-button-add', 'type': 'button',
				'disabled': (self.readonly || self.map.readonly) ? '' : null, 'click': add }, [ '+' ]) ]) ]));
		};
		var add = function() {
			var v = input.value.trim();
			if (v === '') return;
			var ok = self.checkValid(sid, [ v ]);
			input.classList.toggle('cbi-input-invalid', ok !== true);
			if (ok !== true) { input.title = ok; return; }
			items.push(v); input.value = ''; redraw();
			list.dispatchEvent(new Event('change', { bubbles: true }));
		};
		input.addEventListener('keydown', function(ev) { if (ev.key == 'Enter') { ev.preventDefault(); add(); } });
		redraw();
		return { node: list, getValue: function() { return items.slice(); }, setValue: function(v) { items = L.toArray(v).slice(); redraw(); } };
	}
});

var CBIDummyValue = CBIAbstractValue.extend({
	renderWidget: function(sid, index, value) {
		var v = (typeof this.cfgvalue == 'function') ? this.cfgvalue(sid) : value;
		return { node: E('div', {}, [ v == null ? '' : String(v) ]), getValue: function() { return null; }, setValue: function() {} };
	},
	parse: function() { return Promise.resolve(); }
});

return baseclass.extend({
	Map: CBIMap,
	AbstractSection: CBIAbstractSection,
	NamedSection: CBINamedSection,
	TypedSection: CBITypedSection,
	AbstractValue: CBIAbstractValue,
	Value: CBIValue,
	ListValue: CBIListValue,
	Flag: CBIFlag,
	DynamicList: CBIDynamicList,
	DummyValue: CBIDummyValue,
	/* Exposed for tests of the datatype checks. */
	checkType: checkType
});
