/* Module entry, argument validation and the handle life cycle shared by tun.c and udp.c.
 *
 * Life cycle: a handle is freed only when both (a) its JS wrapper was finalized and (b) libuv has finished
 * closing its poll handle (or the poll was never initialised). close() may run first, the finalizer may run
 * first, or env teardown may run first; whichever is last frees. */
#include "nv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const napi_type_tag nv_tag = { 0x6e796d76706e7475ULL, 0x9a3c51e2b7d40f18ULL };

/* ---- errors and argument validation ---- */

napi_value nv_type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

napi_value nv_errno_error(napi_env env, const char *what, int err) {
  char code[32], msg[256];
  uv_err_name_r(-err, code, sizeof code);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value jcode, jmsg, jerr, jerrno;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg) != napi_ok ||
      napi_create_error(env, jcode, jmsg, &jerr) != napi_ok) {
    napi_throw_error(env, code, msg);
    return NULL;
  }
  if (napi_create_int32(env, -err, &jerrno) == napi_ok) napi_set_named_property(env, jerr, "errno", jerrno);
  napi_throw(env, jerr);
  return NULL;
}

int nv_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, argc);
    nv_type_error(env, msg);
    return 0;
  }
  return 1;
}

int nv_is_undefined(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

int nv_get_u32(napi_env env, napi_value v, const char *name, uint32_t min, uint32_t max, uint32_t *out) {
  napi_valuetype t;
  double d;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok ||
      d != d || d < (double)min || d > (double)max || d != (double)(uint32_t)d) {
    snprintf(msg, sizeof msg, "%s must be an integer from %u to %u", name, min, max);
    nv_type_error(env, msg);
    return 0;
  }
  *out = (uint32_t)d;
  return 1;
}

int nv_get_string(napi_env env, napi_value v, const char *name, char *buf, size_t bufsize) {
  napi_valuetype t;
  size_t len = 0;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= bufsize ||
      napi_get_value_string_utf8(env, v, buf, bufsize, &len) != napi_ok || strlen(buf) != len) {
    snprintf(msg, sizeof msg, "%s must be a non-empty string of at most %zu bytes", name, bufsize - 1);
    nv_type_error(env, msg);
    return 0;
  }
  return 1;
}

int nv_get_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void *p = NULL;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &p, NULL, &offset) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    snprintf(msg, sizeof msg, "%s must be a Buffer or Uint8Array", name);
    nv_type_error(env, msg);
    return 0;
  }
  *data = p;
  *len = length;
  return 1;
}

int nv_get_function(napi_env env, napi_value v, const char *name) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_function) {
    snprintf(msg, sizeof msg, "%s must be a function", name);
    nv_type_error(env, msg);
    return 0;
  }
  return 1;
}

int nv_get_prop(napi_env env, napi_value obj, const char *key, napi_value *out) {
  return napi_get_named_property(env, obj, key, out) == napi_ok;
}

/* ---- handle life cycle ---- */

static void nv_free(nv_handle *h) {
  free(h->kind_data);
  free(h);
}

static void nv_release_js(nv_handle *h) {
  if (h->cb) napi_delete_reference(h->env, h->cb);
  if (h->slab) napi_delete_reference(h->env, h->slab);
  if (h->meta) napi_delete_reference(h->env, h->meta);
  if (h->actx) napi_async_destroy(h->env, h->actx);
  h->cb = h->slab = h->meta = NULL;
  h->actx = NULL;
}

static void nv_on_closed(uv_handle_t *p) {
  nv_handle *h = p->data;
  h->poll_closed = 1;
  if (h->wrapper_gone) nv_free(h);
}

static void nv_cleanup_hook(void *arg);

static void nv_close(nv_handle *h, int from_hook) {
  if (h->fd < 0) return;
  if (h->poll_inited) {
    uv_poll_stop(&h->poll);
    uv_close((uv_handle_t *)&h->poll, nv_on_closed);
  }
  h->polling = 0;
  close(h->fd);
  h->fd = -1;
  if (h->hook_added && !from_hook) napi_remove_env_cleanup_hook(h->env, nv_cleanup_hook, h);
  h->hook_added = 0;
  if (!h->in_callback) nv_release_js(h);  /* else nv_invoke releases after the callback returns */
}

/* Env teardown (process exit, worker end): close the fd and the poll so no handle dangles. */
static void nv_cleanup_hook(void *arg) { nv_close(arg, 1); }

static void nv_finalize(napi_env env, void *data, void *hint) {
  nv_handle *h = data;
  (void)env;
  (void)hint;
  h->wrapper_gone = 1;
  nv_close(h, 0);
  if (!h->poll_inited || h->poll_closed) nv_free(h);
}

/* The current data pointers of the JS-owned slab and meta (looked up per batch, so a detached buffer is
 * noticed instead of written through). */
static int nv_buffers(nv_handle *h, uint8_t **slab, size_t *slab_len, uint32_t **meta, size_t *meta_len) {
  napi_value s, m;
  napi_typedarray_type type;
  void *sp = NULL, *mp = NULL;
  if (napi_get_reference_value(h->env, h->slab, &s) != napi_ok || s == NULL ||
      napi_get_reference_value(h->env, h->meta, &m) != napi_ok || m == NULL ||
      napi_get_arraybuffer_info(h->env, s, &sp, slab_len) != napi_ok ||
      napi_get_typedarray_info(h->env, m, &type, meta_len, &mp, NULL, NULL) != napi_ok)
    return 0;
  if (sp == NULL || mp == NULL || type != napi_uint32_array || *meta_len < (size_t)h->batch * h->meta_stride)
    return 0;
  *slab = sp;
  *meta = mp;
  return 1;
}

/* Calls onBatch(count, errno): errno is 0, or the error that stopped reading. */
static void nv_invoke(nv_handle *h, uint32_t n, int err) {
  napi_env env = h->env;
  napi_value cb, global, argv[2], result;
  if (h->cb == NULL || napi_get_reference_value(env, h->cb, &cb) != napi_ok || cb == NULL ||
      napi_get_global(env, &global) != napi_ok || napi_create_uint32(env, n, &argv[0]) != napi_ok ||
      napi_create_int32(env, err, &argv[1]) != napi_ok)
    return;
  h->in_callback = 1;
  napi_status st = napi_make_callback(env, h->actx, global, cb, 2, argv, &result);
  h->in_callback = 0;
  if (st == napi_pending_exception) {
    /* Nothing JS-side is on the stack to catch it: report it like any other uncaught exception. */
    napi_value e;
    if (napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e);
  }
  if (h->fd < 0) nv_release_js(h);  /* closed during the callback */
}

/* Polls for what the handle needs now: readable, and writable as well while the read function holds more. */
static void nv_on_poll(uv_poll_t *p, int status, int events);
static int nv_poll_events(nv_handle *h) { return UV_READABLE | (h->more ? UV_WRITABLE : 0); }
static void nv_poll_update(nv_handle *h) {
  int want = nv_poll_events(h);
  if (h->fd >= 0 && h->polling && want != h->poll_events && uv_poll_start(&h->poll, want, nv_on_poll) == 0)
    h->poll_events = want;
}

static void nv_on_poll(uv_poll_t *p, int status, int events) {
  nv_handle *h = p->data;
  (void)events;
  if (h->fd < 0 || !h->polling) return;
  napi_env env = h->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  uint32_t n = 0;
  int err = 0;
  if (status < 0) {
    /* libuv reports POLLERR as UV_EBADF and stops the poll. On a socket that is a queued error (SO_ERROR
     * reads and clears it): count it and poll on. Anything else ends reading. */
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (h->kind == NV_UDP && getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr != 0 &&
        uv_poll_start(&h->poll, nv_poll_events(h), nv_on_poll) == 0) {
      h->poll_events = nv_poll_events(h);
      h->stats[NV_RX_ERRORS]++;
      h->last_error = soerr;
    } else {
      err = status == UV_EBADF ? EIO : -status;
    }
  } else {
    uint8_t *slab;
    uint32_t *meta;
    size_t slab_len, meta_len;
    if (nv_buffers(h, &slab, &slab_len, &meta, &meta_len))
      n = h->read_batch(h, slab, slab_len, meta, meta_len, &err);
    else
      err = EFAULT;  /* JS detached the slab or meta */
    if (n > 0) h->stats[NV_RX_BATCHES]++;
  }
  if (err != 0) {
    uv_poll_stop(&h->poll);
    h->polling = 0;
    h->stats[NV_RX_ERRORS]++;
    h->last_error = err;
  }
  if (n > 0 || err != 0) nv_invoke(h, n, err);
  nv_poll_update(h);
  napi_close_handle_scope(env, scope);
}

napi_value nv_handle_create(napi_env env, int kind, int fd, napi_value cb, napi_value slab, napi_value meta,
                            uint32_t batch, uint32_t max_packet, uint32_t meta_stride, nv_read_fn read_batch,
                            void *kind_data, nv_handle **out) {
  nv_handle *h = calloc(1, sizeof *h);
  napi_value obj, name;
  uv_loop_t *loop;
  if (h == NULL) {
    close(fd);
    free(kind_data);
    return nv_errno_error(env, "handle", ENOMEM);
  }
  h->env = env;
  h->kind = kind;
  h->fd = fd;
  h->batch = batch;
  h->max_packet = max_packet;
  h->meta_stride = meta_stride;
  h->read_batch = read_batch;
  h->kind_data = kind_data;
  if (napi_create_reference(env, cb, 1, &h->cb) != napi_ok ||
      napi_create_reference(env, slab, 1, &h->slab) != napi_ok ||
      napi_create_reference(env, meta, 1, &h->meta) != napi_ok ||
      napi_create_string_utf8(env, kind == NV_TUN ? "NymTun" : "NymUdpBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &h->actx) != napi_ok || napi_create_object(env, &obj) != napi_ok ||
      napi_type_tag_object(env, obj, &nv_tag) != napi_ok) {
    nv_close(h, 0);
    nv_free(h);
    return nv_errno_error(env, "handle", ENOMEM);
  }
  if (napi_wrap(env, obj, h, nv_finalize, NULL, NULL) != napi_ok) {
    nv_close(h, 0);
    nv_free(h);
    return nv_errno_error(env, "handle", ENOMEM);
  }
  /* From here on the finalizer owns h. */
  int rc = napi_get_uv_event_loop(env, &loop) == napi_ok ? uv_poll_init(loop, &h->poll, fd) : UV_EINVAL;
  if (rc != 0) {
    nv_close(h, 0);
    return nv_errno_error(env, "uv_poll_init", -rc);
  }
  h->poll.data = h;
  h->poll_inited = 1;
  if (napi_add_env_cleanup_hook(env, nv_cleanup_hook, h) == napi_ok) h->hook_added = 1;
  *out = h;
  return obj;
}

int nv_unwrap(napi_env env, napi_value v, int kind, int allow_closed, nv_handle **out) {
  napi_valuetype t;
  bool tagged = false;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object ||
      napi_check_object_type_tag(env, v, &nv_tag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, v, &p) != napi_ok || p == NULL || (kind != 0 && ((nv_handle *)p)->kind != kind)) {
    nv_type_error(env, kind == NV_TUN ? "handle must be a TUN handle"
                       : kind == NV_UDP ? "handle must be a UDP handle" : "handle must be a nym-vpn handle");
    return 0;
  }
  *out = p;
  if (!allow_closed && ((nv_handle *)p)->fd < 0) {
    nv_errno_error(env, "handle is closed", EBADF);
    return 0;
  }
  return 1;
}

/* ---- functions common to both kinds ---- */

/* start(handle): begin delivering batches to the callback. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  nv_handle *h;
  if (!nv_get_args(env, info, 1, argv) || !nv_unwrap(env, argv[0], 0, 0, &h)) return NULL;
  if (!h->polling) {
    int rc = uv_poll_start(&h->poll, nv_poll_events(h), nv_on_poll);
    if (rc != 0) return nv_errno_error(env, "uv_poll_start", -rc);
    h->poll_events = nv_poll_events(h);
    h->polling = 1;
  }
  return NULL;
}

/* stop(handle): stop reading; packets wait in the kernel queue (and are dropped there when it is full). */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  nv_handle *h;
  if (!nv_get_args(env, info, 1, argv) || !nv_unwrap(env, argv[0], 0, 0, &h)) return NULL;
  uv_poll_stop(&h->poll);
  h->polling = 0;
  return NULL;
}

/* ref(handle, bool): whether an active poll keeps the event loop (the process) alive. */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nv_handle *h;
  bool on;
  if (!nv_get_args(env, info, 2, argv) || !nv_unwrap(env, argv[0], 0, 1, &h)) return NULL;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok) return nv_type_error(env, "ref must be a boolean");
  if (h->fd >= 0) {
    if (on) uv_ref((uv_handle_t *)&h->poll);
    else uv_unref((uv_handle_t *)&h->poll);
  }
  return NULL;
}

/* close(handle): idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  nv_handle *h;
  if (!nv_get_args(env, info, 1, argv) || !nv_unwrap(env, argv[0], 0, 1, &h)) return NULL;
  nv_close(h, 0);
  return NULL;
}

static const char *const nv_stat_names[NV_STAT_COUNT] = {
  "rxPackets", "rxBytes", "rxBatches", "rxDropped", "rxErrors",
  "txPackets", "txBytes", "txDropped", "txErrors", "rxCoalesced",
};

/* stats(handle) -> { rxPackets, ..., txErrors, lastError: "EAGAIN" | "" } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj, v;
  nv_handle *h;
  char code[32] = "";
  if (!nv_get_args(env, info, 1, argv) || !nv_unwrap(env, argv[0], 0, 1, &h)) return NULL;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  for (int i = 0; i < NV_STAT_COUNT; i++) {
    if (napi_create_double(env, (double)h->stats[i], &v) != napi_ok ||
        napi_set_named_property(env, obj, nv_stat_names[i], v) != napi_ok)
      return NULL;
  }
  if (h->last_error != 0) uv_err_name_r(-h->last_error, code, sizeof code);
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v) != napi_ok ||
      napi_set_named_property(env, obj, "lastError", v) != napi_ok)
    return NULL;
  return obj;
}

int nv_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) == napi_ok &&
         napi_set_named_property(env, exports, name, f) == napi_ok;
}


NAPI_MODULE_INIT() {
  if (!nv_export(env, exports, "start", js_start) || !nv_export(env, exports, "stop", js_stop) ||
      !nv_export(env, exports, "ref", js_ref) || !nv_export(env, exports, "close", js_close) ||
      !nv_export(env, exports, "stats", js_stats) || nv_tun_init(env, exports) == NULL ||
      nv_udp_init(env, exports) == NULL || nv_marked_init(env, exports) == NULL || nv_aead_init(env, exports) == NULL ||
      nv_malloc_policy_init(env, exports) == NULL || nv_program_pages_init(env, exports) == NULL)
    return NULL;
  return exports;
}
