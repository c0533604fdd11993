'use strict';
'require baseclass';
'require request';

/*
 * The lab's LuCI.rpc: rpc.declare() builds a function that posts one JSON-RPC "call"
 * [sid, object, method, {params}] to uhttpd's /ubus and resolves with result[1] (or the status
 * number when no data came), shaped by `expect` and `filter`; `reject: true` turns a non-zero
 * status into a rejection. JSON-RPC errors (access denied, object not found…) always reject.
 * Interceptors see every raw reply first. No request batching.
 */

var requestId = 1,
    interceptors = [];

return baseclass.extend({
	__init__: function() {
		this.sid = L.env.sessionid || '00000000000000000000000000000000';
		this.baseURL = L.env.ubuspath || '/ubus/';
	},

	post: function(msg, req) {
		var self = this;
		return request.post(this.baseURL, msg, { timeout: (L.env.rpctimeout || 20) * 1000 }).then(function(res) {
			if (!res.ok)
				L.raise('RPCError', 'RPC call to %s/%s failed with HTTP error %d: %s', req.object, req.method, res.status, res.statusText || '?');
			var reply = res.json();
			return Promise.all(interceptors.map(function(fn) { return fn(reply, req); })).then(function() { return self.handleReply(req, reply); });
		});
	},

	handleReply: function(req, msg) {
		if (!L.isObject(msg) || msg.jsonrpc != '2.0')
			L.raise('RPCError', 'RPC call to %s/%s returned invalid message frame', req.object, req.method);
		if (L.isObject(msg.error) && msg.error.code && msg.error.message)
			L.raise('RPCError', 'RPC call to %s/%s failed with error %d: %s', req.object, req.method, msg.error.code, msg.error.message);

		var ret = msg.result;
		if (req.object != null && Array.isArray(msg.result)) {
			if (req.raise && msg.result[0] !== 0)
				L.raise('RPCError', 'RPC call to %s/%s failed with ubus code %d: %s', req.object, req.method, msg.result[0], this.getStatusText(msg.result[0]));
			ret = (msg.result.length > 1) ? msg.result[1] : msg.result[0];
		}
		for (var key in (req.expect || {})) {
			if (ret != null && key != '') ret = ret[key];
			var want = req.expect[key];
			if (ret == null || Object.prototype.toString.call(ret) != Object.prototype.toString.call(want)) ret = want;
			break;
		}
		if (typeof req.filter == 'function')
			ret = req.filter.apply(this, [ ret, req.params ].concat(req.priv));
		return ret;
	},

	list: function() {
		var msg = { jsonrpc: '2.0', id: requestId++, method: 'list', params: arguments.length ? Array.prototype.slice.call(arguments) : undefined };
		return this.post(msg, {});
	},

	declare: function(options) {
		var self = this;
		return function() {
			var args = Array.prototype.slice.call(arguments), params = {}, names = options.params || [];
			for (var i = 0; i < names.length; i++)
				if (args[i] !== undefined) params[names[i]] = args[i];
			var req = { object: options.object, method: options.method, params: params, expect: options.expect,
				filter: options.filter, priv: args.slice(names.length), raise: options.reject };
			var msg = { jsonrpc: '2.0', id: requestId++, method: 'call', params: [ self.sid, options.object, options.method, params ] };
			return self.post(msg, req);
		};
	},

	getSessionID: function() { return this.sid; },
	setSessionID: function(sid) { this.sid = sid; },
	getBaseURL: function() { return this.baseURL; },
	setBaseURL: function(url) { this.baseURL = url; },

	getStatusText: function(code) {
		return [ _('Command OK'), _('Invalid command'), _('Invalid argument'), _('Method not found'), _('Resource not found'),
			_('No data received'), _('Permission denied'), _('Request timeout'), _('Not supported'), _('Unspecified error'),
			_('Connection lost') ][code] || _('Unknown error code');
	},

	addInterceptor: function(fn) {
		if (typeof fn == 'function') interceptors.push(fn);
		return fn;
	},

	removeInterceptor: function(fn) {
		var n = interceptors.length;
		interceptors = interceptors.filter(function(f) { return f !== fn; });
		return interceptors.length < n;
	}
});
