/* A TCP socket carrying SO_MARK from its first packet on: nym-vpnd's own connections (the directory
 * API, latency probes) must bypass the tunnel and the kill switch the way its WireGuard UDP does, and
 * the mark has to be set before connect() for policy routing to see it. Node wraps the returned fd in
 * a net.Socket and connects it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <node_api.h>

napi_value nv_marked_init(napi_env env, napi_value exports);

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* markedTcpSocket(family: 4 | 6, mark: uint32) -> fd */
static napi_value js_marked_tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t family = 0;
  uint32_t mark = 0;
  napi_valuetype t0, t1;
  if (argc < 2 || napi_typeof(env, argv[0], &t0) != napi_ok || napi_typeof(env, argv[1], &t1) != napi_ok ||
      t0 != napi_number || t1 != napi_number) {
    napi_throw_type_error(env, NULL, "markedTcpSocket(family, mark): two numbers expected");
    return NULL;
  }
  napi_get_value_int32(env, argv[0], &family);
  napi_get_value_uint32(env, argv[1], &mark);
  if (family != 4 && family != 6) {
    napi_throw_type_error(env, NULL, "family must be 4 or 6");
    return NULL;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_MARK)", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

napi_value nv_marked_init(napi_env env, napi_value exports) {
  napi_value f;
  if (napi_create_function(env, "markedTcpSocket", NAPI_AUTO_LENGTH, js_marked_tcp_socket, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "markedTcpSocket", f) != napi_ok)
    return NULL;
  return exports;
}
