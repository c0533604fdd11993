/* Shared plumbing of the nym-vpn addon: one "handle" type for both the TUN device and the batched UDP
 * socket. A handle owns a non-blocking fd, a libuv poll on it, and strong references to the JS callback
 * and to the JS-owned slab/meta buffers that each batch is read into. */
#ifndef NV_H
#define NV_H

#include <node_api.h>
#include <uv.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Hard upper bounds on what JS may ask for; they keep the per-handle arrays small. */
#define NV_MAX_BATCH 1024
#define NV_MAX_PACKET 65535

enum nv_kind { NV_TUN = 1, NV_UDP = 2 };

enum nv_stat {
  NV_RX_PACKETS, NV_RX_BYTES, NV_RX_BATCHES, NV_RX_DROPPED, NV_RX_ERRORS,
  NV_TX_PACKETS, NV_TX_BYTES, NV_TX_DROPPED, NV_TX_ERRORS,
  NV_RX_COALESCED, /* of rxPackets, those that came in a merged read: a UDP GRO message, a TUN TSO packet */
  NV_STAT_COUNT
};

typedef struct nv_handle nv_handle;

/* Reads at most one batch into slab/meta and returns the packet count. Errors after which reading cannot
 * go on set *fatal_err (an errno); passing ones are only counted in stats. */
typedef uint32_t (*nv_read_fn)(nv_handle *h, uint8_t *slab, size_t slab_len, uint32_t *meta, size_t meta_len,
                               int *fatal_err);

struct nv_handle {
  uv_poll_t poll;
  napi_env env;
  int kind;
  int fd;                 /* -1 once closed */
  int poll_inited;        /* uv_poll_init succeeded: the poll must be uv_close'd before freeing */
  int polling;            /* uv_poll_start is in effect */
  int poll_closed;        /* uv_close's callback has run: the poll no longer points at us */
  int wrapper_gone;       /* the JS object was finalized */
  int in_callback;        /* inside the JS batch callback: defer releasing JS references */
  int hook_added;
  uint32_t batch;         /* packets per batch */
  uint32_t max_packet;    /* bytes per read / per receive slot */
  uint32_t meta_stride;   /* uint32 entries per packet in meta */
  napi_ref cb, slab, meta;
  napi_async_context actx;
  nv_read_fn read_batch;
  int last_error;         /* errno of the last counted error, 0 if none */
  /* The read function still holds data the fd no longer signals (the rest of a TSO packet that did not fit
   * the batch): the poll then asks for writable too, which a TUN always is, so the next loop turn reads it. */
  int more;
  int poll_events;        /* what the poll was last started for */
  uint64_t stats[NV_STAT_COUNT];
  void *kind_data;        /* udp: preallocated mmsghdr arrays; freed with the handle */
};

/* Throws a TypeError (code ERR_INVALID_ARG_TYPE) and returns NULL, for one-line validation failures. */
napi_value nv_type_error(napi_env env, const char *msg);
/* Throws an Error whose code is the errno name (e.g. "EPERM") and returns NULL. */
napi_value nv_errno_error(napi_env env, const char *what, int err);

/* Argument helpers: each validates and throws a TypeError on failure (returning 0). */
int nv_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
int nv_get_u32(napi_env env, napi_value v, const char *name, uint32_t min, uint32_t max, uint32_t *out);
int nv_get_string(napi_env env, napi_value v, const char *name, char *buf, size_t bufsize);
int nv_get_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len);
int nv_get_function(napi_env env, napi_value v, const char *name);
/* The named property of an options object; *out is undefined when missing. */
int nv_get_prop(napi_env env, napi_value obj, const char *key, napi_value *out);
int nv_is_undefined(napi_env env, napi_value v);

/* Makes the JS handle object for an open fd. Takes ownership of fd (closed on failure too). */
napi_value nv_handle_create(napi_env env, int kind, int fd, napi_value cb, napi_value slab, napi_value meta,
                            uint32_t batch, uint32_t max_packet, uint32_t meta_stride, nv_read_fn read_batch,
                            void *kind_data, nv_handle **out);
/* The handle behind a JS value of the given kind (0: any); throws a TypeError for anything else, and an
 * EBADF Error for a closed handle unless allow_closed. */
int nv_unwrap(napi_env env, napi_value v, int kind, int allow_closed, nv_handle **out);

/* Sets exports[name] to a new function running fn; 0 on failure. */
int nv_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

napi_value nv_tun_init(napi_env env, napi_value exports);
napi_value nv_udp_init(napi_env env, napi_value exports);
napi_value nv_marked_init(napi_env env, napi_value exports);
napi_value nv_aead_init(napi_env env, napi_value exports);
napi_value nv_malloc_policy_init(napi_env env, napi_value exports);
napi_value nv_program_pages_init(napi_env env, napi_value exports);

#endif
