/* glibc's malloc serves a large allocation (128 KB and more) with its own mmap and gives it back on free,
 * until the first such block is freed: from then on it raises that threshold to the freed block's size
 * ("dynamic mmap threshold"), and blocks below it come from the heap, which returns memory to the system
 * only from its top. A daemon that opens and closes tunnels frees its receive slabs (2 MB) on every
 * disconnect, so afterwards every buffer of the next tunnel lands in the heap between long-lived small
 * blocks, and the heap grows with each reconnect (make bench: +4 MB over 8 reconnects). Setting the
 * threshold explicitly turns the dynamic one off. musl (OpenWrt) has no such threshold: its large
 * allocations are always mapped and unmapped; there this does nothing. */
#include "nv.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* pinMmapThreshold(bytes) -> true when the allocator took it (glibc), false where there is nothing to set. */
static napi_value js_pin_mmap_threshold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t bytes = 0;
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_number ||
      napi_get_value_uint32(env, argv[0], &bytes) != napi_ok || bytes < 4096 || bytes > (32u << 20)) {
    napi_throw_type_error(env, NULL, "pinMmapThreshold(bytes): a number from 4096 to 32 MiB expected");
    return NULL;
  }
  int took = 0;
#ifdef __GLIBC__
  took = mallopt(M_MMAP_THRESHOLD, (int)bytes) == 1;
#endif
  napi_value out;
  if (napi_get_boolean(env, took, &out) != napi_ok) return NULL;
  return out;
}

napi_value nv_malloc_policy_init(napi_env env, napi_value exports) {
  napi_value f;
  if (napi_create_function(env, "pinMmapThreshold", NAPI_AUTO_LENGTH, js_pin_mmap_threshold, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "pinMmapThreshold", f) != napi_ok)
    return NULL;
  return exports;
}
