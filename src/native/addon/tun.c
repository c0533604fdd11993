/* The TUN device: IFF_TUN | IFF_NO_PI, so every read and write is exactly one IP packet.
 *
 * Batch delivery: packets are read back to back into the JS-owned slab (each at an 8-byte aligned offset)
 * and meta gets two uint32 per packet, [offset, length]; JS is then called once with the count. Nothing is
 * allocated per packet or per batch. */
#include "nv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TUN_META_STRIDE 2

static uint32_t tun_read(nv_handle *h, uint8_t *slab, size_t slab_len, uint32_t *meta, size_t meta_len,
                         int *fatal_err) {
  uint32_t n = 0;
  size_t off = 0;
  /* A read never gets less room than max_packet, so no packet is ever truncated. */
  while (n < h->batch && (size_t)(n + 1) * TUN_META_STRIDE <= meta_len && off <= slab_len &&
         slab_len - off >= h->max_packet) {
    ssize_t r = read(h->fd, slab + off, h->max_packet);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        *fatal_err = errno;  /* e.g. EBADFD once the interface was deleted under us */
      }
      break;
    }
    if (r == 0) break;
    meta[n * TUN_META_STRIDE] = (uint32_t)off;
    meta[n * TUN_META_STRIDE + 1] = (uint32_t)r;
    h->stats[NV_RX_PACKETS]++;
    h->stats[NV_RX_BYTES] += (uint64_t)r;
    n++;
    off += ((size_t)r + 7) & ~(size_t)7;
  }
  return n;
}

/* Rejects what the kernel's dev_valid_name() rejects, so a bad name is a TypeError and not EINVAL. */
static int tun_name_ok(const char *name) {
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  for (const char *c = name; *c; c++)
    if (*c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r')) return 0;
  return 1;
}

/* tunOpen(name, slab: ArrayBuffer, meta: Uint32Array, batch, maxPacket, onBatch(count, errno))
 * -> handle with .name (the kernel's name, which differs from name when that holds "%d"). */
static napi_value js_tun_open(napi_env env, napi_callback_info info) {
  napi_value argv[6], obj, jname;
  char name[IFNAMSIZ];
  uint32_t batch, max_packet;
  bool is_ab = false, is_ta = false;
  void *sp;
  size_t slab_len, meta_len;
  napi_typedarray_type mtype;
  nv_handle *h;

  if (!nv_get_args(env, info, 6, argv) || !nv_get_string(env, argv[0], "name", name, sizeof name)) return NULL;
  if (!tun_name_ok(name)) return nv_type_error(env, "name must not contain '/', ':' or white space");
  if (!nv_get_u32(env, argv[3], "batch", 1, NV_MAX_BATCH, &batch) ||
      !nv_get_u32(env, argv[4], "maxPacket", 576, NV_MAX_PACKET, &max_packet) ||
      !nv_get_function(env, argv[5], "onBatch"))
    return NULL;
  if (napi_is_arraybuffer(env, argv[1], &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, argv[1], &sp, &slab_len) != napi_ok || slab_len < max_packet)
    return nv_type_error(env, "slab must be an ArrayBuffer of at least maxPacket bytes");
  if (napi_is_typedarray(env, argv[2], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[2], &mtype, &meta_len, NULL, NULL, NULL) != napi_ok ||
      mtype != napi_uint32_array || meta_len < (size_t)batch * TUN_META_STRIDE)
    return nv_type_error(env, "meta must be a Uint32Array of at least 2 * batch entries");

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return nv_errno_error(env, "open /dev/net/tun", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));  /* strlen < IFNAMSIZ: checked above; ifr is zeroed */
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return nv_errno_error(env, "TUNSETIFF", e);
  }
  obj = nv_handle_create(env, NV_TUN, fd, argv[5], argv[1], argv[2], batch, max_packet, TUN_META_STRIDE,
                         tun_read, NULL, &h);
  if (obj == NULL) return NULL;
  ifr.ifr_name[IFNAMSIZ - 1] = 0;
  if (napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &jname) != napi_ok ||
      napi_set_named_property(env, obj, "name", jname) != napi_ok)
    return NULL;
  return obj;
}

/* tunWrite(handle, packets: Uint8Array[]) -> number written. Every element is validated before the
 * first write. A full queue (EAGAIN/ENOBUFS) drops the packet, as a NIC would; other errors (EINVAL for a
 * malformed packet, EIO when the link is down) are counted. Neither throws. */
static napi_value js_tun_write(napi_env env, napi_callback_info info) {
  napi_value argv[2], item, result;
  nv_handle *h;
  bool is_array = false;
  uint32_t count, written = 0;
  char what[48];

  if (!nv_get_args(env, info, 2, argv) || !nv_unwrap(env, argv[0], NV_TUN, 0, &h)) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &count) != napi_ok)
    return nv_type_error(env, "packets must be an array of Buffers or Uint8Arrays");
  if (count == 0) return napi_create_uint32(env, 0, &result) == napi_ok ? result : NULL;
  uint8_t **data = malloc(count * sizeof *data);
  size_t *len = malloc(count * sizeof *len);
  if (data == NULL || len == NULL) {
    free(data);
    free(len);
    return nv_errno_error(env, "tunWrite", ENOMEM);
  }
  for (uint32_t i = 0; i < count; i++) {
    snprintf(what, sizeof what, "packets[%u]", i);
    if (napi_get_element(env, argv[1], i, &item) != napi_ok || !nv_get_bytes(env, item, what, &data[i], &len[i]))
      goto fail;
    if (len[i] == 0 || len[i] > NV_MAX_PACKET) {
      snprintf(what, sizeof what, "packets[%u] must be 1 to 65535 bytes", i);
      nv_type_error(env, what);
      goto fail;
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    ssize_t r;
    do r = write(h->fd, data[i], len[i]);
    while (r < 0 && errno == EINTR);
    if (r == (ssize_t)len[i]) {
      written++;
      h->stats[NV_TX_PACKETS]++;
      h->stats[NV_TX_BYTES] += len[i];
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == ENOMEM)) {
      h->stats[NV_TX_DROPPED]++;
      h->last_error = errno;
    } else {
      h->stats[NV_TX_ERRORS]++;
      h->last_error = r < 0 ? errno : EIO;
    }
  }
  free(data);
  free(len);
  return napi_create_uint32(env, written, &result) == napi_ok ? result : NULL;
fail:
  free(data);
  free(len);
  return NULL;
}

napi_value nv_tun_init(napi_env env, napi_value exports) {
  napi_value f;
  if (napi_create_function(env, "tunOpen", NAPI_AUTO_LENGTH, js_tun_open, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "tunOpen", f) != napi_ok ||
      napi_create_function(env, "tunWrite", NAPI_AUTO_LENGTH, js_tun_write, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "tunWrite", f) != napi_ok)
    return NULL;
  return exports;
}
