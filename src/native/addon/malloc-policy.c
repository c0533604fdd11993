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
  napi_value argv[1];
  double bytes = 0;
  napi_valuetype t;
  if (!nv_get_args(env, info, 1, argv)) return NULL;
  /* A double, so that 2^32 + 128 KiB is refused rather than wrapped to 128 KiB. */
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, argv[0], &bytes) != napi_ok || !(bytes >= 4096 && bytes <= (32 << 20)) || bytes != (int)bytes)
    return nv_type_error(env, "pinMmapThreshold(bytes): an integer from 4096 to 32 MiB expected");
  int took = 0;
#ifdef __GLIBC__
  took = mallopt(M_MMAP_THRESHOLD, (int)bytes) == 1;
#endif
  napi_value out;
  if (napi_get_boolean(env, took, &out) != napi_ok) return NULL;
  return out;
}

/* A thread that ends leaves what it freed in its own glibc arena (each thread that mallocs gets one), kept
 * there for the next thread, and an arena gives memory back only from its top, so one block that outlives
 * the thread holds everything below it. The daemon's zk-nym workers (WASM, a few MB each) left 2.6 MB resident
 * that way for good. malloc_trim walks every arena and hands their free pages back (madvise), wherever
 * they lie. musl has one allocator for all threads and returns freed memory itself: nothing to do there.
 * trimMalloc() -> true when the allocator was asked (glibc), false where there is no such call. */
static napi_value js_trim_malloc(napi_env env, napi_callback_info info) {
  (void)info;
  int asked = 0;
#ifdef __GLIBC__
  (void)malloc_trim(0);
  asked = 1;
#endif
  napi_value out;
  if (napi_get_boolean(env, asked, &out) != napi_ok) return NULL;
  return out;
}

napi_value nv_malloc_policy_init(napi_env env, napi_value exports) {
  return nv_export(env, exports, "pinMmapThreshold", js_pin_mmap_threshold) &&
    nv_export(env, exports, "trimMalloc", js_trim_malloc) ? exports : NULL;
}
