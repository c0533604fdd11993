/*
 * The lab's stand-in for luci-base's luci.js: the global `LuCI` class (`L`), classes with
 * extend/super/__init__, E(), _(), N_(), String.prototype.format, the module loader behind
 * 'require …' directives, and the built-in modules baseclass, dom, poll, request and view.
 * Written for the nym-vpn lab from LuCI's documented API; only what luci-app-nym-vpn uses.
 */
(function(window, document) {
	'use strict';

	/* Classes ------------------------------------------------------------ */

	var Class = function() {};

	Class.extend = function(properties) {
		var Parent = this;
		var Sub = function() {
			if (!(this instanceof Sub))
				throw new TypeError('Class constructor called without "new"');
			if (typeof this.__init__ == 'function')
				this.__init__.apply(this, arguments);
		};
		Sub.prototype = Object.assign(Object.create(Parent.prototype), properties);
		Object.defineProperty(Sub.prototype, 'constructor', { value: Sub, writable: true, configurable: true });
		['extend', 'singleton', 'instantiate', 'isSubclass'].forEach(function(k) { Sub[k] = Class[k]; });
		return Sub;
	};

	Class.instantiate = function(args) {
		return new (Function.prototype.bind.apply(this, [ null ].concat(args || [])))();
	};

	Class.singleton = function(properties /*, ...args */) {
		return Class.instantiate.call(this.extend(properties), Array.prototype.slice.call(arguments, 1));
	};

	Class.isSubclass = function(C) {
		return typeof C == 'function' && C.prototype instanceof this;
	};

	/* The prototype a running method was found on, per instance and key, so nested super() calls climb. */
	var superStacks = new WeakMap();

	Class.prototype = {
		varargs: function(args, offset) {
			return Array.prototype.slice.call(args, offset || 0).concat(Array.prototype.slice.call(arguments, 2));
		},

		super: function(key, callArgs) {
			var stacks = superStacks.get(this) || {};
			superStacks.set(this, stacks);
			var stack = stacks[key] || (stacks[key] = []);
			var from = stack.length ? stack[stack.length - 1] : this;
			while (from && !Object.prototype.hasOwnProperty.call(from, key))
				from = Object.getPrototypeOf(from);
			var proto = from ? Object.getPrototypeOf(from) : null;
			while (proto && !Object.prototype.hasOwnProperty.call(proto, key))
				proto = Object.getPrototypeOf(proto);
			if (!proto)
				return null;
			var value = proto[key];
			if (arguments.length < 2)
				return value;
			if (typeof value != 'function')
				throw new ReferenceError(key + ' is not a function in the base class');
			stack.push(proto);
			try {
				return value.apply(this, Array.prototype.slice.call(callArgs || []));
			}
			finally {
				stack.pop();
			}
		}
	};

	/* Strings ------------------------------------------------------------ */

	var htmlEscape = function(s) {
		return String(s).replace(/[&<>"']/g, function(c) { return '&#' + c.charCodeAt(0) + ';'; });
	};

	/* %s %d %f %x %h (HTML-escaped) %q (quoted) %t (time span) %m (metric units, %1024m for binary) %% */
	String.prototype.format = function() {
		var args = arguments, n = 0;
		return this.replace(/%(\d*)(?:\.(\d+))?([sdufxXhqtm%])/g, function(all, width, prec, type) {
			if (type == '%')
				return '%';
			var v = args[n++], s;
			switch (type) {
			case 'd': s = String(Math.floor(+v || 0)); break;
			case 'u': s = String(Math.abs(Math.floor(+v || 0))); break;
			case 'f': s = (prec != null) ? (+v || 0).toFixed(+prec) : String(+v || 0); break;
			case 'x': s = Math.floor(+v || 0).toString(16); break;
			case 'X': s = Math.floor(+v || 0).toString(16).toUpperCase(); break;
			case 'h': s = htmlEscape(v == null ? '' : v); break;
			case 'q': s = '"' + String(v == null ? '' : v).replace(/["\\]/g, '\\$&') + '"'; break;
			case 't':
				var t = Math.floor(+v || 0), parts = [];
				[[86400, 'd'], [3600, 'h'], [60, 'm']].forEach(function(u) {
					if (t >= u[0]) { parts.push(Math.floor(t / u[0]) + u[1]); t %= u[0]; }
				});
				parts.push(t + 's');
				s = parts.join(' ');
				break;
			case 'm':
				var base = (width == '1024') ? 1024 : 1000, val = +v || 0, units = ['', 'K', 'M', 'G', 'T', 'P'], i = 0;
				while (Math.abs(val) >= base && i < units.length - 1) { val /= base; i++; }
				s = val.toFixed(prec != null ? +prec : 2) + ' ' + units[i] + (base == 1024 && i ? 'i' : '');
				width = '';
				break;
			default: s = (v == null) ? '' : String(v);
			}
			return (width && type != 'm' && s.length < +width) ? (' '.repeat(+width - s.length) + s) : s;
		});
	};

	window._ = function(s) { return s; };
	window.N_ = function(count, singular, plural) { return count == 1 ? singular : plural; };

	/* dom ------------------------------------------------------------------ */

	var instances = new WeakMap();

	var dom = Class.singleton({
		elem: function(e) { return e != null && typeof e == 'object' && typeof e.nodeType == 'number'; },

		parse: function(html) {
			var t = document.createElement('template');
			t.innerHTML = String(html).trim();
			return t.content.firstChild;
		},

		append: function(node, children) {
			if (Array.isArray(children)) {
				for (var i = 0; i < children.length; i++) {
					if (this.elem(children[i])) node.appendChild(children[i]);
					else if (children[i] != null) node.appendChild(document.createTextNode(String(children[i])));
				}
				return node.lastChild;
			}
			if (typeof children == 'function')
				return this.append(node, children(node));
			if (this.elem(children))
				return node.appendChild(children);
			if (children != null) {
				/* Like LuCI: a bare string is markup. Views pass text in arrays. */
				node.insertAdjacentHTML('beforeend', String(children));
				return node.lastChild;
			}
			return null;
		},

		content: function(node, children) {
			while (node.firstChild) node.removeChild(node.firstChild);
			return this.append(node, children);
		},

		create: function(html, attrs, children) {
			var elem;
			if (Array.isArray(html)) {
				elem = document.createDocumentFragment();
				this.append(elem, html);
			}
			else if (this.elem(html)) elem = html;
			else if (String(html).charAt(0) == '<') elem = this.parse(html);
			else elem = document.createElement(html);

			if (attrs != null && (typeof attrs != 'object' || Array.isArray(attrs) || this.elem(attrs))) {
				children = attrs;
				attrs = null;
			}
			for (var key in (attrs || {})) {
				var val = attrs[key];
				if (val == null) continue;
				if (typeof val == 'function') elem.addEventListener(key, val);
				else if (typeof val == 'object') elem.setAttribute(key, JSON.stringify(val));
				else elem.setAttribute(key, val);
			}
			if (children != null) this.append(elem, children);
			return elem;
		},

		bindClassInstance: function(node, inst) { instances.set(node, inst); },
		findClassInstance: function(node) {
			for (; node; node = node.parentNode) if (instances.has(node)) return instances.get(node);
			return null;
		},
		callClassMethod: function(node, method /*, ...args */) {
			var inst = this.findClassInstance(node);
			if (!inst || typeof inst[method] != 'function') return null;
			return inst[method].apply(inst, Array.prototype.slice.call(arguments, 2));
		},
		isEmpty: function(node) {
			return !node || !Array.prototype.some.call(node.childNodes, function(n) { return n.nodeType == 1 || /\S/.test(n.textContent); });
		}
	});

	window.E = function() { return dom.create.apply(dom, arguments); };

	/* request: fetch with XHR-like responses (json() is synchronous, as in LuCI) -------- */

	var Response = Class.extend({
		__init__: function(res, text) {
			this.ok = res.ok; this.status = res.status; this.statusText = res.statusText;
			this.headers = res.headers; this.url = res.url; this._text = text;
		},
		text: function() { return this._text; },
		json: function() { return JSON.parse(this._text); }
	});

	var request = Class.singleton({
		request: function(url, opts) {
			opts = opts || {};
			var ctrl = new AbortController();
			var timer = opts.timeout ? window.setTimeout(function() { ctrl.abort(); }, opts.timeout) : null;
			var init = { method: opts.method || 'GET', credentials: 'same-origin', signal: ctrl.signal, headers: {} };
			if (opts.content != null) {
				init.body = (typeof opts.content == 'string') ? opts.content : JSON.stringify(opts.content);
				init.headers['Content-Type'] = (typeof opts.content == 'string') ? 'application/x-www-form-urlencoded' : 'application/json';
			}
			return window.fetch(url, init).then(function(res) {
				return res.text().then(function(text) { return new Response(res, text); });
			}).catch(function(e) {
				throw (e && e.name == 'AbortError') ? new Error('XHR request timed out') : e;
			}).finally(function() { if (timer) window.clearTimeout(timer); });
		},
		get: function(url, opts) { return this.request(url, Object.assign({}, opts, { method: 'GET' })); },
		post: function(url, data, opts) { return this.request(url, Object.assign({}, opts, { method: 'POST', content: data })); }
	});

	/* poll: every function runs at once, then each `interval` seconds, never twice at a time ---- */

	var poll = Class.singleton({
		__init__: function() { this.queue = []; this.timer = null; this.tick = 0; },
		add: function(fn, interval) {
			if (typeof fn != 'function') throw new TypeError('Invalid poll function');
			this.queue.push({ fn: fn, i: Math.max(1, +interval || L.env.pollinterval || 5), r: true });
			this.start();
			return true;
		},
		remove: function(fn) {
			var n = this.queue.length;
			this.queue = this.queue.filter(function(e) { return e.fn !== fn; });
			if (!this.queue.length) this.stop();
			return this.queue.length != n;
		},
		start: function() {
			if (this.timer || !this.queue.length) return false;
			this.tick = 0;
			this.step();
			return true;
		},
		stop: function() {
			if (!this.timer) return false;
			window.clearTimeout(this.timer);
			this.timer = null;
			return true;
		},
		active: function() { return this.timer != null; },
		step: function() {
			var tick = this.tick;
			this.queue.forEach(function(e) {
				if (tick % e.i || !e.r) return;
				e.r = false;
				Promise.resolve().then(e.fn).catch(function(err) { window.console.warn('poll:', err); }).finally(function() { e.r = true; });
			});
			this.tick++;
			this.timer = window.setTimeout(this.step.bind(this), 1000);
		}
	});

	/* view: load() → render() → #view, then the page footer (Save & Apply, Save, Reset) ---- */

	var view = Class.extend({
		__init__: function() {
			var vp = document.getElementById('view');
			dom.content(vp, E('div', { 'class': 'spinning' }, [ _('Loading view…') ]));
			return Promise.resolve(this.load())
				.then(L.bind(this.render, this))
				.then(L.bind(function(nodes) {
					dom.content(vp, nodes);
					dom.append(vp, this.addFooter());
				}, this))
				.catch(L.error);
		},
		load: function() {},
		render: function() {},
		maps: function() {
			return Array.prototype.map.call(document.querySelectorAll('#maincontent .cbi-map'), dom.findClassInstance.bind(dom)).filter(Boolean);
		},
		handleSave: function(ev) {
			return Promise.all(this.maps().map(function(m) { return m.save(); }));
		},
		handleSaveApply: function(ev, mode) {
			return this.handleSave(ev).then(function() { return L.ui.changes.apply(mode == '0'); });
		},
		handleReset: function(ev) {
			return Promise.all(this.maps().map(function(m) { return m.reset(); }));
		},
		addFooter: function() {
			var maps = this.maps();
			var readonly = maps.length ? maps.every(function(m) { return m.readonly; }) : !L.hasViewPermission();
			var ui = L.ui, buttons = [];
			if (this.handleSaveApply)
				buttons.push(E('button', { 'class': 'btn cbi-button cbi-button-apply important', 'disabled': readonly ? '' : null,
					'click': ui.createHandlerFn(this, function(ev) { return this.handleSaveApply(ev, '0'); }) }, [ _('Save & Apply') ]), ' ');
			if (this.handleSave)
				buttons.push(E('button', { 'class': 'btn cbi-button cbi-button-save', 'disabled': readonly ? '' : null,
					'click': ui.createHandlerFn(this, 'handleSave') }, [ _('Save') ]), ' ');
			if (this.handleReset)
				buttons.push(E('button', { 'class': 'btn cbi-button cbi-button-reset', 'disabled': readonly ? '' : null,
					'click': ui.createHandlerFn(this, 'handleReset') }, [ _('Reset') ]));
			/* As in LuCI: a fragment, holding the actions row when there are buttons. */
			return E([], buttons.length ? [ E('div', { 'class': 'cbi-page-actions' }, buttons) ] : []);
		}
	});

	/* LuCI: the environment, helpers and the module loader ------------------------------- */

	var builtins = { baseclass: Class, dom: dom, poll: poll, request: request, view: view };
	var loaded = {}, loading = {};

	/* The string directives at the top of a module: 'use strict', 'require a.b [as c]'. */
	function directives(text) {
		var deps = [], lines = text.split('\n'), inComment = false;
		for (var i = 0; i < lines.length; i++) {
			var line = lines[i].trim();
			if (inComment) { if (line.indexOf('*/') >= 0) inComment = false; continue; }
			if (line == '' || line.indexOf('//') == 0) continue;
			if (line.indexOf('/*') == 0) { inComment = line.indexOf('*/') < 0; continue; }
			var m = /^(['"])(use strict|require\s+([\w.-]+)(?:\s+as\s+([A-Za-z_$][\w$]*))?)\1;?$/.exec(line);
			if (!m) break;
			if (m[3]) {
				var as = m[4] || m[3].replace(/.*\./, '');
				if (!/^[A-Za-z_$][\w$]*$/.test(as)) throw new SyntaxError('Cannot use "' + m[3] + '" as a variable name; add "as <name>"');
				deps.push({ name: m[3], as: as });
			}
		}
		return deps;
	}

	window.LuCI = Class.extend({
		__init__: function(env) {
			this.env = Object.assign({ pollinterval: 5, rpctimeout: 20, resource: '/luci-static/resources', scriptname: '/cgi-bin/luci' }, env);
			this.Class = Class;
			this.dom = dom;
			this.Poll = poll;
			this.Request = request;
			this.view = view;
			window.L = this;
		},

		bind: function(fn, self) {
			var args = Array.prototype.slice.call(arguments, 2);
			return function() { return fn.apply(self, args.concat(Array.prototype.slice.call(arguments))); };
		},
		isObject: function(v) { return v != null && typeof v == 'object' && !Array.isArray(v); },
		toArray: function(v) { return v == null ? [] : Array.isArray(v) ? v : (typeof v == 'object' ? [ v ] : String(v).split(/\s+/).filter(Boolean)); },
		sortedKeys: function(obj, key, type) {
			return Object.keys(obj || {}).sort(function(a, b) {
				var x = key ? obj[a][key] : a, y = key ? obj[b][key] : b;
				if (type == 'addr') { x = x.split('.').map(Number); y = y.split('.').map(Number); }
				return (x > y) - (x < y);
			});
		},
		resolveDefault: function(p, def) { return Promise.resolve(p).catch(function() { return def; }); },
		url: function() { return [ this.env.scriptname ].concat(Array.prototype.slice.call(arguments).filter(function(p) { return p != null && p !== ''; })).join('/'); },
		resource: function() { return [ this.env.resource ].concat(Array.prototype.slice.call(arguments)).join('/'); },
		media: function() { return [ this.env.media ].concat(Array.prototype.slice.call(arguments)).join('/'); },
		location: function() { return (this.env.requestpath || []).join('/'); },
		hasViewPermission: function() {
			var spec = this.env.nodespec;
			if (!this.isObject(spec) || !spec.satisfied) return null;
			return !spec.readonly;
		},

		raise: function(type, fmt /*, ...args */) {
			var msg = (fmt != null) ? String.prototype.format.apply(String(fmt), Array.prototype.slice.call(arguments, 2)) : null;
			var e = (type instanceof Error) ? type : new Error(msg || 'Unspecified error');
			if (!(type instanceof Error)) e.name = type || 'Error';
			throw e;
		},

		/* A view's load/render failure: shown as LuCI does (a notification, or in #view before ui exists). */
		error: function(e) {
			if (!(e instanceof Error)) e = new Error(String(e));
			if (!e.reported) {
				e.reported = true;
				if (L.ui) L.ui.addNotification(e.name == 'Error' ? _('Runtime error') : e.name, E('pre', {}, [ e.message ]), 'danger');
				else dom.content(document.getElementById('view') || document.body, E('pre', { 'class': 'alert-message error' }, [ e.message ]));
			}
			throw e;
		},

		require: function(name) {
			if (builtins[name]) return Promise.resolve(builtins[name]);
			if (loaded[name]) return Promise.resolve(loaded[name]);
			if (loading[name]) return loading[name];
			var url = this.resource(name.replace(/\./g, '/') + '.js');
			loading[name] = request.get(url).then(function(res) {
				if (!res.ok) throw new Error('HTTP error ' + res.status + ' while loading class "' + name + '"');
				var text = res.text(), deps = directives(text);
				return Promise.all(deps.map(function(d) { return L.require(d.name); })).then(function(instances) {
					var fn = new Function(deps.map(function(d) { return d.as; }).join(','), text + '\n//# sourceURL=' + window.location.origin + url);
					var res = fn.apply(window, instances);
					/* A module returns a class: its one instance is the module (for a view, this renders it). */
					var inst = Class.isSubclass(res) ? new res() : res;
					loaded[name] = inst;
					if (/^(ui|rpc|uci|form)$/.test(name)) L[name] = inst;
					return inst;
				});
			});
			return loading[name];
		}
	});
})(window, document);
