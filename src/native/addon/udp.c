/* The batched UDP socket: recvmmsg/sendmmsg on a non-blocking socket.
 *
 * Receive: slot i of the batch is slab[i * maxPacket, +maxPacket) (with UDP GRO on, slab[i * 64 KB, +64 KB),
 * and a merged message there is cut into its datagrams); meta gets 8 uint32 per packet:
 *   [offset, length, family (4|6), port, w0, w1, w2, w3]
 * where for family 4, w0 is the IPv4 address as a host-order number (10.0.0.1 = 0x0a000001) and w1..w3
 * are 0 (IPv4-mapped IPv6 sources are reported as family 4); for family 6, w0..w3 are the four 32-bit
 * words of the address, host order, most significant first. Datagrams longer than maxPacket are dropped
 * (counted as rxDropped), never delivered cut short.
 * Send: the destinations are 6 uint32 per packet, [family, port, w0, w1, w2, w3], the same layout as
 * meta[2..8), so a received source can be copied straight into a reply. */
#include "nv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_META_STRIDE 8
#define UDP_DEST_STRIDE 6
#define UDP_MAX_PAYLOAD 65507

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
/* One GSO send carries at most this many datagrams (UDP_MAX_SEGMENTS is 64 on the kernels before 6.x) and
 * this many bytes (the whole must fit one IP packet's length field, headers included). */
#define UDP_GSO_MAX_SEGMENTS 64
#define UDP_GSO_MAX_BYTES 65000

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
/* UDP GRO (receive): the kernel may hand over up to this many datagrams of one flow as one message (its
 * UDP_GRO_CNT_MAX), so each receive slot must hold a whole IP packet's worth, or the message is cut. */
#define UDP_GRO_MAX_SEGMENTS 64
#define UDP_GRO_SLOT 65536

typedef union {
  struct sockaddr sa;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} udp_addr;

/* The control message of one GSO send: the segment size. */
typedef union {
  char buf[CMSG_SPACE(sizeof(uint16_t))];
  struct cmsghdr align;
} udp_gso_cmsg;

/* The control message a GRO receive may carry: the size of the datagrams it holds. */
typedef union {
  char buf[CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
} udp_gro_cmsg;

/* Per-socket scratch arrays for recvmmsg and sendmmsg, sized by the batch. */
typedef struct {
  int family;  /* AF_INET or AF_INET6 (dual-stack) */
  /* UDP GSO (UDP_SEGMENT): runs of datagrams of one size to one destination leave as one send, so the
   * stack and the firewall see one packet where there were dozens. Off when asked, when the kernel lacks
   * it, and for good once a GSO send is refused (then every datagram goes alone, as before). */
  int gso;
  /* UDP GRO (UDP_GRO): a run of datagrams of one flow that the NIC's GRO (or a sender's GSO on a veth)
   * merged comes up as one message, cut here by the size in its control message. The receive slots are
   * then UDP_GRO_SLOT bytes each, so fewer per recvmmsg; off when asked, when the kernel lacks it, or when
   * the slab or meta cannot hold one such message. */
  int gro;
  struct mmsghdr *rmsg, *smsg;
  struct iovec *riov, *siov;
  udp_addr *raddr, *saddr;
  socklen_t *salen;
  udp_gso_cmsg *scmsg;
  udp_gro_cmsg *rcmsg;
} udp_data;

static udp_data *udp_data_new(int family, uint32_t batch) {
  size_t head = (sizeof(udp_data) + 15) & ~(size_t)15;
  size_t per = 2 * (sizeof(struct mmsghdr) + sizeof(struct iovec) + sizeof(udp_addr)) + sizeof(socklen_t) +
               sizeof(udp_gso_cmsg) + sizeof(udp_gro_cmsg) + 16;
  uint8_t *p = calloc(1, head + per * batch);
  if (p == NULL) return NULL;
  udp_data *u = (udp_data *)p;
  u->family = family;
  u->rmsg = (struct mmsghdr *)(p + head);
  u->smsg = u->rmsg + batch;
  u->riov = (struct iovec *)(u->smsg + batch);
  u->siov = u->riov + batch;
  u->raddr = (udp_addr *)(u->siov + batch);
  u->saddr = u->raddr + batch;
  u->scmsg = (udp_gso_cmsg *)(((uintptr_t)(u->saddr + batch) + 15) & ~(uintptr_t)15);
  u->rcmsg = (udp_gro_cmsg *)(u->scmsg + batch);
  u->salen = (socklen_t *)(u->rcmsg + batch);
  return u;
}

/* Errors a socket may report that say nothing about the socket itself (ICMP news, memory pressure). */
static int udp_transient(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENETDOWN ||
         e == ENOBUFS || e == ENOMEM || e == EPERM || e == EMSGSIZE;
}

static void udp_put_source(const udp_addr *a, uint32_t *m) {
  if (a->sa.sa_family == AF_INET) {
    m[0] = 4;
    m[1] = ntohs(a->v4.sin_port);
    m[2] = ntohl(a->v4.sin_addr.s_addr);
    m[3] = m[4] = m[5] = 0;
    return;
  }
  uint32_t w[4];
  memcpy(w, a->v6.sin6_addr.s6_addr, 16);
  m[1] = ntohs(a->v6.sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr)) {
    m[0] = 4;
    m[2] = ntohl(w[3]);
    m[3] = m[4] = m[5] = 0;
  } else {
    m[0] = 6;
    for (int k = 0; k < 4; k++) m[2 + k] = ntohl(w[k]);
  }
}

/* Fills a destination from [family, port, w0..w3]; 0 when the socket cannot reach that family. */
static int udp_get_dest(int sock_family, const uint32_t *d, udp_addr *a, socklen_t *alen) {
  memset(a, 0, sizeof *a);
  if (sock_family == AF_INET) {
    if (d[0] != 4) return 0;
    a->v4.sin_family = AF_INET;
    a->v4.sin_port = htons((uint16_t)d[1]);
    a->v4.sin_addr.s_addr = htonl(d[2]);
    *alen = sizeof a->v4;
    return 1;
  }
  uint32_t w[4];
  if (d[0] == 4) {
    w[0] = w[1] = 0;
    w[2] = htonl(0xffff);
    w[3] = htonl(d[2]);
  } else {
    for (int k = 0; k < 4; k++) w[k] = htonl(d[2 + k]);
  }
  a->v6.sin6_family = AF_INET6;
  a->v6.sin6_port = htons((uint16_t)d[1]);
  memcpy(a->v6.sin6_addr.s6_addr, w, 16);
  *alen = sizeof a->v6;
  return 1;
}

/* The datagram size a GRO message was merged at (its UDP_GRO control message), or 0 for a lone datagram. */
static size_t udp_gro_size(const struct msghdr *mh) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? (size_t)size : 0;
    }
  }
  return 0;
}

static uint32_t udp_read(nv_handle *h, uint8_t *slab, size_t slab_len, uint32_t *meta, size_t meta_len,
                         int *fatal_err) {
  udp_data *u = h->kind_data;
  size_t slot_len = u->gro ? UDP_GRO_SLOT : h->max_packet;
  size_t meta_room = meta_len / UDP_META_STRIDE;
  size_t per_slot = u->gro ? UDP_GRO_MAX_SEGMENTS : 1;  /* most datagrams one slot can yield */
  uint32_t slots = h->batch, n = 0;
  if (slab_len / slot_len < slots) slots = (uint32_t)(slab_len / slot_len);
  if (meta_room / per_slot < slots) slots = (uint32_t)(meta_room / per_slot);
  if (slots == 0) {
    *fatal_err = EFAULT;
    return 0;
  }
  for (uint32_t i = 0; i < slots; i++) {
    u->riov[i].iov_base = slab + (size_t)i * slot_len;
    u->riov[i].iov_len = slot_len;
    memset(&u->rmsg[i].msg_hdr, 0, sizeof u->rmsg[i].msg_hdr);
    u->rmsg[i].msg_hdr.msg_name = &u->raddr[i];
    u->rmsg[i].msg_hdr.msg_namelen = sizeof u->raddr[i];
    u->rmsg[i].msg_hdr.msg_iov = &u->riov[i];
    u->rmsg[i].msg_hdr.msg_iovlen = 1;
    if (u->gro) {
      u->rmsg[i].msg_hdr.msg_control = u->rcmsg[i].buf;
      u->rmsg[i].msg_hdr.msg_controllen = sizeof u->rcmsg[i].buf;
    }
  }
  int r;
  do r = recvmmsg(h->fd, u->rmsg, slots, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (udp_transient(errno)) {
      h->stats[NV_RX_ERRORS]++;
      h->last_error = errno;
    } else {
      *fatal_err = errno;
    }
    return 0;
  }
  for (int i = 0; i < r; i++) {
    const struct msghdr *mh = &u->rmsg[i].msg_hdr;
    size_t len = u->rmsg[i].msg_len;
    size_t seg = u->gro ? udp_gro_size(mh) : 0;
    if (seg == 0 || seg >= len) seg = len;  /* a lone datagram (an empty one too) */
    /* Cut short (longer than its slot), or datagrams longer than we deliver: dropped, never cut. */
    if ((mh->msg_flags & MSG_TRUNC) || seg > h->max_packet) {
      h->stats[NV_RX_DROPPED] += (mh->msg_flags & MSG_TRUNC) ? 1 : (len + seg - 1) / seg;
      continue;
    }
    uint32_t source[UDP_META_STRIDE - 2];
    udp_put_source(&u->raddr[i], source);
    size_t off = 0;
    do {  /* once for a lone datagram, an empty one too */
      if (n >= meta_room) {  /* cannot happen within UDP_GRO_CNT_MAX; a kernel that merges more loses the rest */
        h->stats[NV_RX_DROPPED]++;
      } else {
        size_t one = len - off < seg ? len - off : seg;
        uint32_t *m = meta + (size_t)n * UDP_META_STRIDE;
        m[0] = (uint32_t)((size_t)i * slot_len + off);
        m[1] = (uint32_t)one;
        memcpy(m + 2, source, sizeof source);
        h->stats[NV_RX_PACKETS]++;
        h->stats[NV_RX_BYTES] += one;
        if (seg < len) h->stats[NV_RX_COALESCED]++;
        n++;
      }
      off += seg;
    } while (off < len);
  }
  return n;
}

static size_t udp_msg_bytes(const struct msghdr *mh) {
  size_t n = 0;
  for (size_t k = 0; k < mh->msg_iovlen; k++) n += mh->msg_iov[k].iov_len;
  return n;
}

/* A refused GSO send is a kernel or a path that cannot segment (EIO: an xfrm route; EINVAL: a segment
 * beyond the path MTU, or too many; ENOPROTOOPT/EOPNOTSUPP: no UDP_SEGMENT at all). */
static int udp_gso_refused(int e) {
  return e == EIO || e == EINVAL || e == ENOPROTOOPT || e == EOPNOTSUPP || e == EMSGSIZE;
}

/* Sends the datagrams of one (refused) GSO message one by one. Returns how many went out; *full is set
 * when the socket buffer filled up, *untried to how many were then not tried. */
static uint32_t udp_send_alone(nv_handle *h, const struct msghdr *gso, int *full, uint32_t *untried) {
  uint32_t sent = 0;
  for (size_t k = 0; k < gso->msg_iovlen; k++) {
    struct msghdr one;
    memset(&one, 0, sizeof one);
    one.msg_name = gso->msg_name;
    one.msg_namelen = gso->msg_namelen;
    one.msg_iov = &gso->msg_iov[k];
    one.msg_iovlen = 1;
    ssize_t r;
    do r = sendmsg(h->fd, &one, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r >= 0) {
      h->stats[NV_TX_PACKETS]++;
      h->stats[NV_TX_BYTES] += gso->msg_iov[k].iov_len;
      sent++;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      h->last_error = errno;
      *full = 1;
      *untried = (uint32_t)(gso->msg_iovlen - k);
      return sent;
    } else {
      h->stats[NV_TX_ERRORS]++;
      h->last_error = errno;
    }
  }
  return sent;
}

/* Sends msgs[0, m) (each one datagram, or a GSO run of several) and returns how many datagrams went out.
 * *left is how many datagrams were not tried because the socket buffer was full (the caller drops them,
 * as a full NIC queue would). */
static uint32_t udp_flush(nv_handle *h, udp_data *u, struct mmsghdr *msgs, uint32_t m, uint32_t *left) {
  uint32_t j = 0, sent = 0;
  *left = 0;
  while (j < m) {
    int r = sendmmsg(h->fd, msgs + j, m - j, MSG_DONTWAIT);
    if (r > 0) {
      for (int k = 0; k < r; k++) {
        const struct msghdr *mh = &msgs[j + k].msg_hdr;
        h->stats[NV_TX_BYTES] += udp_msg_bytes(mh);
        h->stats[NV_TX_PACKETS] += mh->msg_iovlen;
        sent += (uint32_t)mh->msg_iovlen;
      }
      j += (uint32_t)r;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      h->last_error = errno;
      break;
    } else if (r < 0 && msgs[j].msg_hdr.msg_iovlen > 1 && udp_gso_refused(errno)) {
      /* GSO does not work here: never again on this socket; this run goes datagram by datagram. The
       * runs after it in msgs keep their control message, so each is split the same way. */
      u->gso = 0;
      int full = 0;
      uint32_t untried = 0;
      sent += udp_send_alone(h, &msgs[j].msg_hdr, &full, &untried);
      j++;
      if (full) {
        *left += untried;
        break;
      }
    } else {
      /* This message failed (no route, EPERM from a firewall, ...): count it and go on with the next. */
      h->stats[NV_TX_ERRORS] += msgs[j].msg_hdr.msg_iovlen;
      h->last_error = r < 0 ? errno : EIO;
      j++;
    }
  }
  for (uint32_t k = j; k < m; k++) *left += (uint32_t)msgs[k].msg_hdr.msg_iovlen;
  return sent;
}

/* Groups siov/saddr[0, n) into messages: with GSO on, a run of datagrams to one destination, all of one
 * size but the last (which may be shorter), becomes one message with a UDP_SEGMENT control message.
 * Returns the message count. */
static uint32_t udp_group(udp_data *u, uint32_t n) {
  uint32_t m = 0, k = 0;
  while (k < n) {
    uint32_t start = k;
    size_t seg = u->siov[k].iov_len, total = seg;
    k++;
    if (u->gso && seg > 0) {
      while (k < n && k - start < UDP_GSO_MAX_SEGMENTS && u->salen[k] == u->salen[start] &&
             memcmp(&u->saddr[k], &u->saddr[start], u->salen[start]) == 0 && u->siov[k].iov_len > 0 &&
             u->siov[k].iov_len <= seg && total + u->siov[k].iov_len <= UDP_GSO_MAX_BYTES) {
        total += u->siov[k].iov_len;
        k++;
        if (u->siov[k - 1].iov_len < seg) break;  /* only the last of a run may be shorter */
      }
    }
    struct msghdr *mh = &u->smsg[m].msg_hdr;
    memset(mh, 0, sizeof *mh);
    mh->msg_name = &u->saddr[start];
    mh->msg_namelen = u->salen[start];
    mh->msg_iov = &u->siov[start];
    mh->msg_iovlen = k - start;
    if (k - start > 1) {
      memset(&u->scmsg[m], 0, sizeof u->scmsg[m]);
      mh->msg_control = u->scmsg[m].buf;
      mh->msg_controllen = sizeof u->scmsg[m].buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(mh);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t size = (uint16_t)seg;
      memcpy(CMSG_DATA(c), &size, sizeof size);
    }
    m++;
  }
  return m;
}

/* udpSend(handle, packets: Uint8Array[], dests: Uint32Array) -> number sent. All arguments are
 * validated before anything is sent. A full socket buffer drops what is left (txDropped); a datagram
 * the kernel refuses is counted (txErrors). Neither throws. */
static napi_value js_udp_send(napi_env env, napi_callback_info info) {
  napi_value argv[3], item, result;
  nv_handle *h;
  bool is_array = false, is_ta = false;
  uint32_t count, sent = 0;
  napi_typedarray_type dtype;
  size_t dlen = 0;
  void *dp = NULL;
  char what[64];

  if (!nv_get_args(env, info, 3, argv) || !nv_unwrap(env, argv[0], NV_UDP, 0, &h)) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &count) != napi_ok)
    return nv_type_error(env, "packets must be an array of Buffers or Uint8Arrays");
  if (napi_is_typedarray(env, argv[2], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[2], &dtype, &dlen, &dp, NULL, NULL) != napi_ok ||
      dtype != napi_uint32_array || dlen / UDP_DEST_STRIDE < count)
    return nv_type_error(env, "dests must be a Uint32Array of 6 entries per packet");
  if (count == 0) return napi_create_uint32(env, 0, &result) == napi_ok ? result : NULL;
  const uint32_t *dests = dp;
  uint8_t **data = malloc(count * sizeof *data);
  size_t *len = malloc(count * sizeof *len);
  if (data == NULL || len == NULL) {
    free(data);
    free(len);
    return nv_errno_error(env, "udpSend", ENOMEM);
  }
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *d = dests + (size_t)i * UDP_DEST_STRIDE;
    snprintf(what, sizeof what, "packets[%u]", i);
    if (napi_get_element(env, argv[1], i, &item) != napi_ok || !nv_get_bytes(env, item, what, &data[i], &len[i]))
      goto fail;
    if (len[i] > UDP_MAX_PAYLOAD) {
      snprintf(what, sizeof what, "packets[%u] must be at most %d bytes", i, UDP_MAX_PAYLOAD);
      nv_type_error(env, what);
      goto fail;
    }
    if ((d[0] != 4 && d[0] != 6) || d[1] == 0 || d[1] > 65535) {
      snprintf(what, sizeof what, "dests[%u] must have family 4 or 6 and a port 1-65535", i);
      nv_type_error(env, what);
      goto fail;
    }
  }
  udp_data *u = h->kind_data;
  uint32_t i = 0;
  while (i < count) {
    /* One chunk: at most batch datagrams, laid out in siov/saddr, then grouped into messages. */
    uint32_t n = 0;
    for (; i < count && n < h->batch; i++) {
      if (!udp_get_dest(u->family, dests + (size_t)i * UDP_DEST_STRIDE, &u->saddr[n], &u->salen[n])) {
        h->stats[NV_TX_ERRORS]++;  /* an IPv6 destination on an IPv4 socket */
        h->last_error = EAFNOSUPPORT;
        continue;
      }
      u->siov[n].iov_base = data[i];
      u->siov[n].iov_len = len[i];
      n++;
    }
    if (n == 0) continue;
    uint32_t left = 0;
    sent += udp_flush(h, u, u->smsg, udp_group(u, n), &left);
    if (left > 0) {
      h->stats[NV_TX_DROPPED] += left + (count - i);
      break;
    }
  }
  free(data);
  free(len);
  return napi_create_uint32(env, sent, &result) == napi_ok ? result : NULL;
fail:
  free(data);
  free(len);
  return NULL;
}

/* Asks for n bytes, beyond net.core.*mem_max with the FORCE option where we may (root). */
static int udp_set_buffer(int fd, int force_opt, int opt, uint32_t n) {
  int v = (int)n;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

/* udpOpen({ address, port, fwmark?, device?, bufferBytes, batch, maxPacket, slab, meta, onBatch, gso?, gro? })
 * -> handle with .localAddress, .localPort, .family (4, or 6 for a dual-stack socket) and .gro (merged
 * receives are on: asked for, room for them, and the kernel took the option). */
static napi_value js_udp_open(napi_env env, napi_callback_info info) {
  napi_value argv[1], v, slab, meta, cb, obj;
  char address[INET6_ADDRSTRLEN], device[IFNAMSIZ];
  uint32_t port, fwmark = 0, buf_bytes, batch, max_packet;
  int has_mark = 0, has_dev = 0;
  bool is_ab = false, is_ta = false;
  void *sp;
  size_t slab_len, meta_len;
  napi_typedarray_type mtype;
  napi_valuetype t;
  udp_addr local;
  socklen_t llen;
  nv_handle *h;

  if (!nv_get_args(env, info, 1, argv)) return NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object) return nv_type_error(env, "options must be an object");
  if (!nv_get_prop(env, argv[0], "address", &v) || !nv_get_string(env, v, "address", address, sizeof address) ||
      !nv_get_prop(env, argv[0], "port", &v) || !nv_get_u32(env, v, "port", 0, 65535, &port) ||
      !nv_get_prop(env, argv[0], "bufferBytes", &v) || !nv_get_u32(env, v, "bufferBytes", 0, 1u << 30, &buf_bytes) ||
      !nv_get_prop(env, argv[0], "batch", &v) || !nv_get_u32(env, v, "batch", 1, NV_MAX_BATCH, &batch) ||
      !nv_get_prop(env, argv[0], "maxPacket", &v) || !nv_get_u32(env, v, "maxPacket", 576, NV_MAX_PACKET, &max_packet) ||
      !nv_get_prop(env, argv[0], "onBatch", &cb) || !nv_get_function(env, cb, "onBatch") ||
      !nv_get_prop(env, argv[0], "fwmark", &v))
    return NULL;
  if (!nv_is_undefined(env, v)) {
    if (!nv_get_u32(env, v, "fwmark", 0, UINT32_MAX, &fwmark)) return NULL;
    has_mark = 1;
  }
  bool want_gso = true;
  if (!nv_get_prop(env, argv[0], "gso", &v)) return NULL;
  if (!nv_is_undefined(env, v) && napi_get_value_bool(env, v, &want_gso) != napi_ok)
    return nv_type_error(env, "gso must be a boolean");
  bool want_gro = true;
  if (!nv_get_prop(env, argv[0], "gro", &v)) return NULL;
  if (!nv_is_undefined(env, v) && napi_get_value_bool(env, v, &want_gro) != napi_ok)
    return nv_type_error(env, "gro must be a boolean");
  if (!nv_get_prop(env, argv[0], "device", &v)) return NULL;
  if (!nv_is_undefined(env, v)) {
    if (!nv_get_string(env, v, "device", device, sizeof device)) return NULL;
    has_dev = 1;
  }
  if (!nv_get_prop(env, argv[0], "slab", &slab) || napi_is_arraybuffer(env, slab, &is_ab) != napi_ok || !is_ab ||
      napi_get_arraybuffer_info(env, slab, &sp, &slab_len) != napi_ok || slab_len / max_packet < batch)
    return nv_type_error(env, "slab must be an ArrayBuffer of at least batch * maxPacket bytes");
  if (!nv_get_prop(env, argv[0], "meta", &meta) || napi_is_typedarray(env, meta, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, meta, &mtype, &meta_len, NULL, NULL, NULL) != napi_ok ||
      mtype != napi_uint32_array || meta_len / UDP_META_STRIDE < batch)
    return nv_type_error(env, "meta must be a Uint32Array of at least 8 * batch entries");

  memset(&local, 0, sizeof local);
  if (inet_pton(AF_INET, address, &local.v4.sin_addr) == 1) {
    local.v4.sin_family = AF_INET;
    local.v4.sin_port = htons((uint16_t)port);
    llen = sizeof local.v4;
  } else if (inet_pton(AF_INET6, address, &local.v6.sin6_addr) == 1) {
    local.v6.sin6_family = AF_INET6;
    local.v6.sin6_port = htons((uint16_t)port);
    llen = sizeof local.v6;
  } else {
    return nv_type_error(env, "address must be an IPv4 or IPv6 address");
  }

  int fd = socket(local.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nv_errno_error(env, "socket", errno);
  const char *step = NULL;
  int off = 0;
  if (local.sa.sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
    step = "IPV6_V6ONLY";
  else if (buf_bytes > 0 && udp_set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, buf_bytes) < 0)
    step = "SO_RCVBUF";
  else if (buf_bytes > 0 && udp_set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, buf_bytes) < 0)
    step = "SO_SNDBUF";
  else if (has_mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) < 0)
    step = "SO_MARK";
  else if (has_dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device) + 1) < 0)
    step = "SO_BINDTODEVICE";
  else if (bind(fd, &local.sa, llen) < 0)
    step = "bind";
  else if ((llen = sizeof local, getsockname(fd, &local.sa, &llen)) < 0)
    step = "getsockname";
  if (step != NULL) {
    int e = errno;
    close(fd);
    return nv_errno_error(env, step, e);
  }
  udp_data *u = udp_data_new(local.sa.sa_family, batch);
  if (u == NULL) {
    close(fd);
    return nv_errno_error(env, "udpOpen", ENOMEM);
  }
  /* A kernel without UDP GSO (before 4.18) refuses the option: every datagram then goes alone. Setting
   * the socket's default segment size to 0 changes nothing else; the size travels with each send. */
  int zero = 0;
  u->gso = want_gso && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
  /* GRO needs room for one merged message (a slot of UDP_GRO_SLOT bytes, meta for its datagrams); a kernel
   * without it (before 5.0) refuses the option, and then every datagram comes alone, as before. */
  int on = 1;
  u->gro = want_gro && slab_len / UDP_GRO_SLOT >= 1 && meta_len / UDP_META_STRIDE >= UDP_GRO_MAX_SEGMENTS &&
           setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
  obj = nv_handle_create(env, NV_UDP, fd, cb, slab, meta, batch, max_packet, UDP_META_STRIDE, udp_read, u, &h);
  if (obj == NULL) return NULL;

  char text[INET6_ADDRSTRLEN];
  const void *src = local.sa.sa_family == AF_INET ? (const void *)&local.v4.sin_addr : (const void *)&local.v6.sin6_addr;
  uint16_t lport = ntohs(local.sa.sa_family == AF_INET ? local.v4.sin_port : local.v6.sin6_port);
  if (inet_ntop(local.sa.sa_family, src, text, sizeof text) == NULL) text[0] = 0;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) != napi_ok ||
      napi_set_named_property(env, obj, "localAddress", v) != napi_ok ||
      napi_create_uint32(env, lport, &v) != napi_ok || napi_set_named_property(env, obj, "localPort", v) != napi_ok ||
      napi_create_uint32(env, local.sa.sa_family == AF_INET ? 4 : 6, &v) != napi_ok ||
      napi_set_named_property(env, obj, "family", v) != napi_ok ||
      napi_get_boolean(env, u->gro != 0, &v) != napi_ok || napi_set_named_property(env, obj, "gro", v) != napi_ok)
    return NULL;
  return obj;
}

/* udpGsoActive(handle) -> whether sends still use UDP GSO (false once refused, or never offered). */
static napi_value js_udp_gso_active(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  nv_handle *h;
  if (!nv_get_args(env, info, 1, argv) || !nv_unwrap(env, argv[0], NV_UDP, 0, &h)) return NULL;
  udp_data *u = h->kind_data;
  return napi_get_boolean(env, u->gso != 0, &result) == napi_ok ? result : NULL;
}

napi_value nv_udp_init(napi_env env, napi_value exports) {
  napi_value f;
  if (napi_create_function(env, "udpGsoActive", NAPI_AUTO_LENGTH, js_udp_gso_active, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "udpGsoActive", f) != napi_ok)
    return NULL;
  if (napi_create_function(env, "udpOpen", NAPI_AUTO_LENGTH, js_udp_open, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "udpOpen", f) != napi_ok ||
      napi_create_function(env, "udpSend", NAPI_AUTO_LENGTH, js_udp_send, NULL, &f) != napi_ok ||
      napi_set_named_property(env, exports, "udpSend", f) != napi_ok)
    return NULL;
  return exports;
}
