/*
 * peerCred(fd) -> { pid, uid, gid }: the credentials the kernel recorded for the peer of a connected
 * unix socket (SO_PEERCRED). The ubus broker needs them for ubusd's ACLs; Node has no API for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int err, const char *what)
{
	char msg[160];
	napi_value code, text, error;

	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err));
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
	napi_create_int32(env, err, &code);
	napi_create_error(env, NULL, text, &error);
	napi_set_named_property(env, error, "errno", code);
	napi_throw(env, error);
	return NULL;
}

static napi_value set_u32(napi_env env, napi_value obj, const char *name, uint32_t v)
{
	napi_value n;

	napi_create_uint32(env, v, &n);
	napi_set_named_property(env, obj, name, n);
	return obj;
}

static napi_value peer_cred(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], out;
	int32_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
	    napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
		napi_throw_type_error(env, NULL, "peerCred(fd): fd must be a non-negative integer");
		return NULL;
	}

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return throw_errno(env, errno, "getsockopt(SO_PEERCRED)");

	napi_create_object(env, &out);
	set_u32(env, out, "pid", (uint32_t) cred.pid);
	set_u32(env, out, "uid", cred.uid);
	set_u32(env, out, "gid", cred.gid);
	return out;
}

NAPI_MODULE_INIT()
{
	napi_value fn;

	napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn);
	napi_set_named_property(env, exports, "peerCred", fn);
	return exports;
}
