'use strict';
'require baseclass';
'require rpc';

/*
 * The lab's LuCI.uci: configs loaded through rpcd's `uci get`, read and changed locally
 * (get/set/unset/sections/add/remove), save() sends the changes to the session's pending set
 * (uci add/set/delete) and reloads, apply() commits them with rollback and confirms.
 */

var callLoad = rpc.declare({ object: 'uci', method: 'get', params: [ 'config' ], expect: { values: {} }, reject: true });
var callAdd = rpc.declare({ object: 'uci', method: 'add', params: [ 'config', 'type', 'name', 'values' ], expect: { section: '' }, reject: true });
var callSet = rpc.declare({ object: 'uci', method: 'set', params: [ 'config', 'section', 'values' ], reject: true });
var callDelete = rpc.declare({ object: 'uci', method: 'delete', params: [ 'config', 'section', 'options' ], reject: true });
var callApply = rpc.declare({ object: 'uci', method: 'apply', params: [ 'timeout', 'rollback' ] });
var callConfirm = rpc.declare({ object: 'uci', method: 'confirm' });
var callChanges = rpc.declare({ object: 'uci', method: 'changes', expect: { changes: {} } });

return baseclass.extend({
	__init__: function() {
		this.state = { values: {}, creates: {}, changes: {}, deletes: {} };
		this.loaded = {};
		this.newidx = 0;
	},

	load: function(packages) {
		var self = this;
		return Promise.all(L.toArray(packages).map(function(conf) {
			if (!self.loaded[conf])
				self.loaded[conf] = callLoad(conf).then(function(values) { self.state.values[conf] = values; return conf; });
			return self.loaded[conf];
		}));
	},

	unload: function(packages) {
		var self = this;
		L.toArray(packages).forEach(function(conf) {
			delete self.state.values[conf]; delete self.state.creates[conf];
			delete self.state.changes[conf]; delete self.state.deletes[conf];
			delete self.loaded[conf];
		});
	},

	createSID: function(conf) {
		var sid;
		do sid = 'new%06x'.format(Math.random() * 0xFFFFFF);
		while ((this.state.creates[conf] || {})[sid] || (this.state.values[conf] || {})[sid]);
		return sid;
	},

	add: function(conf, type, name) {
		var sid = name || this.createSID(conf);
		(this.state.creates[conf] = this.state.creates[conf] || {})[sid] =
			{ '.type': type, '.name': sid, '.create': name, '.anonymous': !name, '.index': 1000 + this.newidx++ };
		return sid;
	},

	remove: function(conf, sid) {
		if ((this.state.creates[conf] || {})[sid]) delete this.state.creates[conf][sid];
		else (this.state.deletes[conf] = this.state.deletes[conf] || {})[sid] = true;
	},

	sections: function(conf, type, cb) {
		var self = this, all = Object.assign({}, this.state.values[conf], this.state.creates[conf]);
		var list = Object.keys(all).filter(function(sid) {
			return !(self.state.deletes[conf] || {})[sid] && (type == null || all[sid]['.type'] == type);
		}).map(function(sid) { return Object.assign({}, all[sid], self.state.changes[conf] && self.state.changes[conf][sid]); });
		list.sort(function(a, b) { return (a['.index'] || 0) - (b['.index'] || 0); });
		if (typeof cb == 'function') list.forEach(function(s) { cb.call(self, s, s['.name']); });
		return list;
	},

	get: function(conf, sid, opt) {
		if (sid == null) return null;
		var dels = this.state.deletes[conf] || {}, chg = (this.state.changes[conf] || {})[sid] || {};
		if (dels[sid] === true) return null;
		var s = (this.state.creates[conf] || {})[sid] || (this.state.values[conf] || {})[sid];
		if (s == null) return null;
		if (opt == null) return Object.assign({}, s, chg);
		if (Object.prototype.hasOwnProperty.call(chg, opt)) return chg[opt];
		if (L.isObject(dels[sid]) && dels[sid][opt]) return null;
		return s[opt];
	},

	set: function(conf, sid, opt, val) {
		if (sid == null || opt == null || opt.charAt(0) == '.') return;
		if (val == null || val === '' || (Array.isArray(val) && !val.length)) return this.unset(conf, sid, opt);
		var chg = this.state.changes[conf] = this.state.changes[conf] || {};
		(chg[sid] = chg[sid] || {})[opt] = Array.isArray(val) ? val.slice() : String(val);
		var d = (this.state.deletes[conf] || {})[sid];
		if (L.isObject(d)) delete d[opt];
	},

	unset: function(conf, sid, opt) {
		var chg = (this.state.changes[conf] || {})[sid];
		if (chg) delete chg[opt];
		var c = (this.state.creates[conf] || {})[sid];
		if (c) { delete c[opt]; return; }
		var dels = this.state.deletes[conf] = this.state.deletes[conf] || {};
		if (dels[sid] !== true) (dels[sid] = L.isObject(dels[sid]) ? dels[sid] : {})[opt] = true;
	},

	get_first: function(conf, type, opt) {
		var s = this.sections(conf, type)[0];
		return s ? this.get(conf, s['.name'], opt) : null;
	},

	set_first: function(conf, type, opt, val) {
		var s = this.sections(conf, type)[0];
		if (s) this.set(conf, s['.name'], opt, val);
	},

	/* Sends every local change to the session's pending changes, then reloads those configs. */
	save: function() {
		var self = this, tasks = [], confs = {};
		Object.keys(this.state.deletes).forEach(function(conf) {
			Object.keys(self.state.deletes[conf]).forEach(function(sid) {
				var d = self.state.deletes[conf][sid];
				tasks.push(callDelete(conf, sid, d === true ? undefined : Object.keys(d)));
				confs[conf] = true;
			});
		});
		Object.keys(this.state.creates).forEach(function(conf) {
			Object.keys(self.state.creates[conf]).forEach(function(sid) {
				var c = self.state.creates[conf][sid], values = {};
				Object.keys(c).forEach(function(k) { if (k.charAt(0) != '.') values[k] = c[k]; });
				tasks.push(callAdd(conf, c['.type'], c['.create'], values));
				confs[conf] = true;
			});
		});
		Object.keys(this.state.changes).forEach(function(conf) {
			Object.keys(self.state.changes[conf]).forEach(function(sid) {
				if (Object.keys(self.state.changes[conf][sid]).length)
					tasks.push(callSet(conf, sid, self.state.changes[conf][sid]));
				confs[conf] = true;
			});
		});
		return Promise.all(tasks).then(function() {
			var names = Object.keys(confs);
			self.unload(names);
			return self.load(names);
		});
	},

	/* Commits the session's pending changes with rollback, confirmed a moment later (as LuCI's uci.apply). */
	apply: function(timeout) {
		return callApply(timeout || 90, true).then(function(status) {
			if (status !== 0) return Promise.reject(status);
			return new Promise(function(resolve) { window.setTimeout(resolve, 250); }).then(callConfirm).then(function(s) {
				return (s === 0) ? 0 : Promise.reject(s);
			});
		});
	},

	changes: function() {
		return callChanges();
	}
});
