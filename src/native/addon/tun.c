/* The TUN device: IFF_TUN | IFF_NO_PI, so every read and write is exactly one IP packet.
 *
 * With offload (IFF_VNET_HDR), every read and write starts with a virtio_net_hdr.
 * - On read we take TSO (TUNSETOFFLOAD CSUM|TSO4|TSO6|TSO_ECN): the kernel hands us a TCP flow's data in
 *   packets of up to 64 KB, one read where there were dozens, and we cut them into segments of the size it
 *   asked for straight into the batch (tcp-offload.c). A packet that only needs its checksum gets it. Where
 *   the kernel refuses TSO, reads are whole packets, as without offload.
 * - On write we coalesce: consecutive TCP segments of one flow that follow each other (the conditions of
 *   Linux's own TCP GRO) become one GSO packet of up to 64 KB, written with one writev, the checksum left to
 *   the kernel (VIRTIO_NET_HDR_F_NEEDS_CSUM). The kernel then routes, filters and forwards one packet where
 *   there were dozens, as it does after a NIC's GRO. A segment whose checksum is wrong is never merged: it is
 *   written alone, for the kernel to drop.
 *
 * Batch delivery: packets are read back to back into the JS-owned slab (each at an 8-byte aligned offset)
 * and meta gets two uint32 per packet, [offset, length]; JS is then called once with the count. Nothing is
 * allocated per packet or per batch. */
#include "nv.h"
#include "tcp-offload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/uio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TUN_META_STRIDE 2
/* A coalesced write: at most this many segments (the kernel's GRO stops at 64 too) and 64 KB in all. */
#define TUN_GRO_MAX_SEGMENTS 64
#define TUN_GRO_MAX_BYTES 65535
/* Room for one TSO read: the kernel's legacy GSO limit (64 KB) and then some. A read that fills it may have
 * been cut short, and is dropped. */
#define TUN_READ_MAX (65536 + 1024)
/* IPv6 (40) + the longest TCP header (60). */
#define TUN_MAX_HEADERS 100

typedef struct {
  int vnet;  /* IFF_VNET_HDR is on: every read and write carries a virtio_net_hdr */
  int tso;   /* and reads may be TSO packets (or need their checksum) */
  struct iovec iov[TUN_GRO_MAX_SEGMENTS + 2];
  uint8_t headers[TUN_MAX_HEADERS];
  /* The TSO packet being cut: pend_len bytes in big, its payload done up to pend_off. */
  size_t pend_len, pend_off, pend_hlen, pend_iplen, pend_gso;
  uint32_t pend_idx;
  uint8_t big[TUN_READ_MAX];  /* one allocation with the rest: freed with the handle */
} tun_data;

/* Writes one iovec list; counts the n segments it carries as written, dropped or failed. */
static uint32_t tun_writev(nv_handle *h, const struct iovec *iov, int iovcnt, size_t bytes, uint32_t n) {
  ssize_t r;
  do r = writev(h->fd, iov, iovcnt);
  while (r < 0 && errno == EINTR);
  if (r == (ssize_t)bytes) {
    h->stats[NV_TX_PACKETS] += n;
    h->stats[NV_TX_BYTES] += bytes - (((tun_data *)h->kind_data)->vnet ? sizeof(struct virtio_net_hdr) : 0);
    return n;
  }
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == ENOMEM)) {
    h->stats[NV_TX_DROPPED] += n;
    h->last_error = errno;
  } else {
    h->stats[NV_TX_ERRORS] += n;
    h->last_error = r < 0 ? errno : EIO;
  }
  return 0;
}

/* Writes packets[i, ...) as one coalesced GSO packet when they form a run, else packets[i] alone.
 * Returns how many packets it consumed (>= 1); *written gets how many of them were written. */
static uint32_t tun_write_run(nv_handle *h, uint8_t **data, size_t *len, uint32_t i, uint32_t count, uint32_t *written) {
  tun_data *t = h->kind_data;
  static const struct virtio_net_hdr plain_hdr;
  struct virtio_net_hdr vh;
  tcp_seg first, prev, cur;
  uint32_t j = i + 1;
  size_t total = len[i];
  if (tcp_seg_parse(data[i], len[i], &first) && tcp_seg_mergeable(&first) && !(first.flags & TCP_PSH) &&
      tcp_seg_valid(&first)) {
    prev = first;
    while (j < count && j - i < TUN_GRO_MAX_SEGMENTS && tcp_seg_parse(data[j], len[j], &cur) &&
           tcp_seg_follows(&first, &prev, &cur) && total + cur.payload_len <= TUN_GRO_MAX_BYTES && tcp_seg_valid(&cur)) {
      total += cur.payload_len;
      prev = cur;
      j++;
      if (cur.payload_len < first.payload_len || (cur.flags & TCP_PSH)) break;  /* the run ends here */
    }
  }
  if (j == i + 1) {
    struct iovec iov[2] = {{(void *)&plain_hdr, sizeof plain_hdr}, {data[i], len[i]}};
    *written += tun_writev(h, iov, 2, sizeof plain_hdr + len[i], 1);
    return 1;
  }
  size_t hlen = first.ip_len + first.tcp_len;
  uint8_t *hd = t->headers;
  tcp_run_headers(&first, &prev, total, hd);
  memset(&vh, 0, sizeof vh);
  vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vh.gso_type = first.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  vh.hdr_len = (uint16_t)hlen;
  vh.gso_size = (uint16_t)first.payload_len;
  vh.csum_start = (uint16_t)first.ip_len;
  vh.csum_offset = 16;
  t->iov[0].iov_base = &vh;
  t->iov[0].iov_len = sizeof vh;
  t->iov[1].iov_base = hd;
  t->iov[1].iov_len = hlen;
  int n = 2;
  for (uint32_t k = i; k < j; k++, n++) {
    t->iov[n].iov_base = data[k] + hlen;
    t->iov[n].iov_len = len[k] - hlen;
  }
  *written += tun_writev(h, t->iov, n, sizeof vh + total, j - i);
  return j - i;
}

/* Cuts the pending TSO packet into the slab from *off, segment by segment, until it is done or the batch or
 * the slab is full. Returns the new packet count. */
static uint32_t tun_segment(nv_handle *h, tun_data *t, uint8_t *slab, size_t slab_len, uint32_t *meta,
                            size_t meta_len, uint32_t n, size_t *off) {
  while (t->pend_len > 0 && n < h->batch && (size_t)(n + 1) * TUN_META_STRIDE <= meta_len && *off <= slab_len &&
         slab_len - *off >= t->pend_hlen + t->pend_gso) {
    size_t pay = t->pend_len - t->pend_off < t->pend_gso ? t->pend_len - t->pend_off : t->pend_gso;
    int last = t->pend_off + pay == t->pend_len;
    size_t len = tcp_cut_segment(t->big, t->pend_hlen, t->pend_iplen, t->pend_off, pay, t->pend_idx, last, slab + *off);
    meta[n * TUN_META_STRIDE] = (uint32_t)*off;
    meta[n * TUN_META_STRIDE + 1] = (uint32_t)len;
    h->stats[NV_RX_PACKETS]++;
    h->stats[NV_RX_BYTES] += len;
    h->stats[NV_RX_COALESCED]++;
    n++;
    *off += (len + 7) & ~(size_t)7;
    t->pend_off += pay;
    t->pend_idx++;
    if (last) t->pend_len = 0;
  }
  return n;
}

/* Takes what a TSO read gave (vh, t->big[0, r)): a TCP packet to cut becomes pending; a packet that needs
 * only its checksum gets it and goes to the slab. 0 when it was dropped (counted). */
static int tun_take(nv_handle *h, tun_data *t, const struct virtio_net_hdr *vh, size_t r, uint8_t *slab, size_t off,
                    uint32_t *meta, uint32_t n) {
  uint8_t *p = t->big;
  if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
    if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !csum_complete(p, r, vh->csum_start, vh->csum_offset)) goto drop;
    if (r > h->max_packet) goto drop;
    memcpy(slab + off, p, r);
    meta[n * TUN_META_STRIDE] = (uint32_t)off;
    meta[n * TUN_META_STRIDE + 1] = (uint32_t)r;
    h->stats[NV_RX_PACKETS]++;
    h->stats[NV_RX_BYTES] += r;
    return 1;
  }
  uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  size_t iplen;
  if (type == VIRTIO_NET_HDR_GSO_TCPV4 && r >= 20 && (p[0] >> 4) == 4 && (p[0] & 0x0f) >= 5 && p[9] == IPPROTO_TCP)
    iplen = (size_t)(p[0] & 0x0f) * 4;
  else if (type == VIRTIO_NET_HDR_GSO_TCPV6 && r >= 40 && (p[0] >> 4) == 6 && p[6] == IPPROTO_TCP)
    iplen = 40;
  else
    goto drop;
  if (r < iplen + 20) goto drop;
  size_t hlen = iplen + (size_t)(p[iplen + 12] >> 4) * 4;
  if ((p[iplen + 12] >> 4) < 5 || hlen >= r || vh->gso_size == 0 || hlen + vh->gso_size > h->max_packet) goto drop;
  t->pend_len = r;
  t->pend_off = hlen;
  t->pend_hlen = hlen;
  t->pend_iplen = iplen;
  t->pend_gso = vh->gso_size;
  t->pend_idx = 0;
  return 0;
drop:
  h->stats[NV_RX_DROPPED]++;
  return 0;
}

static uint32_t tun_read(nv_handle *h, uint8_t *slab, size_t slab_len, uint32_t *meta, size_t meta_len,
                         int *fatal_err) {
  tun_data *t = h->kind_data;
  uint32_t n = 0;
  size_t off = 0;
  /* A read never gets less room than max_packet, so no packet is ever truncated. */
  while (n < h->batch && (size_t)(n + 1) * TUN_META_STRIDE <= meta_len && off <= slab_len) {
    if (t->pend_len > 0) {
      n = tun_segment(h, t, slab, slab_len, meta, meta_len, n, &off);
      if (t->pend_len > 0) break;  /* the batch is full: the rest comes next turn (h->more) */
      continue;
    }
    if (slab_len - off < h->max_packet) break;
    struct virtio_net_hdr vh;
    struct iovec iov[2] = {{&vh, sizeof vh}, {slab + off, h->max_packet}};
    if (t->tso) {
      iov[1].iov_base = t->big;
      iov[1].iov_len = TUN_READ_MAX;
    }
    ssize_t r = t->vnet ? readv(h->fd, iov, 2) : read(h->fd, slab + off, h->max_packet);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        *fatal_err = errno;  /* e.g. EBADFD once the interface was deleted under us */
      }
      break;
    }
    if (r == 0) break;
    if (t->vnet) {
      if ((size_t)r <= sizeof vh || (t->tso && (size_t)r >= sizeof vh + TUN_READ_MAX)) {
        h->stats[NV_RX_DROPPED]++;
        continue;
      }
      r -= (ssize_t)sizeof vh;
      if (t->tso) {
        if (tun_take(h, t, &vh, (size_t)r, slab, off, meta, n)) {
          n++;
          off += ((size_t)r + 7) & ~(size_t)7;
        }
        continue;
      }
      /* Without TSO we asked for no offloads: a packet that still claims to be GSO or to need its checksum
       * would reach JS unfinished, and is dropped. */
      if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE || (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        h->stats[NV_RX_DROPPED]++;
        continue;
      }
    }
    meta[n * TUN_META_STRIDE] = (uint32_t)off;
    meta[n * TUN_META_STRIDE + 1] = (uint32_t)r;
    h->stats[NV_RX_PACKETS]++;
    h->stats[NV_RX_BYTES] += (uint64_t)r;
    n++;
    off += ((size_t)r + 7) & ~(size_t)7;
  }
  h->more = t->pend_len > 0;
  return n;
}

/* Rejects what the kernel's dev_valid_name() rejects, so a bad name is a TypeError and not EINVAL. */
static int tun_name_ok(const char *name) {
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  for (const char *c = name; *c; c++)
    if (*c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r')) return 0;
  return 1;
}

/* tunOpen(name, slab: ArrayBuffer, meta: Uint32Array, batch, maxPacket, onBatch(count, errno), offload?, tso?)
 * -> handle with .name (the kernel's name, which differs from name when that holds "%d"), .offload (the
 * virtio header and coalesced writes are in effect: asked for, and the kernel took it) and .tso (reads take
 * TSO packets, cut here). */
static napi_value js_tun_open(napi_env env, napi_callback_info info) {
  napi_value argv[8], obj, jname, joff;
  char name[IFNAMSIZ];
  uint32_t batch, max_packet;
  bool is_ab = false, is_ta = false;
  void *sp;
  size_t slab_len, meta_len;
  napi_typedarray_type mtype;
  nv_handle *h;

  bool want_offload = false, want_tso = false;
  if (!nv_get_args(env, info, 8, argv) || !nv_get_string(env, argv[0], "name", name, sizeof name)) return NULL;
  if (!nv_is_undefined(env, argv[6]) && napi_get_value_bool(env, argv[6], &want_offload) != napi_ok)
    return nv_type_error(env, "offload must be a boolean");
  if (!nv_is_undefined(env, argv[7]) && napi_get_value_bool(env, argv[7], &want_tso) != napi_ok)
    return nv_type_error(env, "tso must be a boolean");
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

  tun_data *t = calloc(1, sizeof *t);
  if (t == NULL) return nv_errno_error(env, "tunOpen", ENOMEM);
  int fd = -1;
  struct ifreq ifr;
  /* With offload, first with the virtio header; a kernel (or an existing device) that refuses it gets the
   * plain device, as without offload. */
  for (int attempt = want_offload ? 0 : 1; attempt < 2; attempt++) {
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      free(t);
      return nv_errno_error(env, "open /dev/net/tun", e);
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (attempt == 0 ? IFF_VNET_HDR : 0);
    memcpy(ifr.ifr_name, name, strlen(name));  /* strlen < IFNAMSIZ: checked above; ifr is zeroed */
    if (ioctl(fd, TUNSETIFF, &ifr) == 0) {
      t->vnet = attempt == 0;
      /* TSO on read where asked for and taken; else no offloads: whole packets with their checksums. */
      if (t->vnet && want_tso && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) == 0) {
        t->tso = 1;
        break;
      }
      if (!t->vnet || ioctl(fd, TUNSETOFFLOAD, 0) == 0) break;
    }
    int e = errno;
    close(fd);
    fd = -1;
    if (attempt == 1) {
      free(t);
      return nv_errno_error(env, "TUNSETIFF", e);
    }
  }
  obj = nv_handle_create(env, NV_TUN, fd, argv[5], argv[1], argv[2], batch, max_packet, TUN_META_STRIDE,
                         tun_read, t, &h);
  if (obj == NULL) return NULL;
  if (napi_get_boolean(env, t->vnet != 0, &joff) != napi_ok || napi_set_named_property(env, obj, "offload", joff) != napi_ok ||
      napi_get_boolean(env, t->tso != 0, &joff) != napi_ok || napi_set_named_property(env, obj, "tso", joff) != napi_ok)
    return NULL;
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
  tun_data *t = h->kind_data;
  if (t->vnet) {
    for (uint32_t i = 0; i < count;) i += tun_write_run(h, data, len, i, count, &written);
  } else {
    for (uint32_t i = 0; i < count; i++) {
      struct iovec iov = {data[i], len[i]};
      written += tun_writev(h, &iov, 1, len[i], 1);
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
