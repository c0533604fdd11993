/* See tcp-offload.h. Byte offsets are the IPv4 (RFC 791), IPv6 (RFC 8200) and TCP (RFC 9293) headers'. */
#include "tcp-offload.h"

#include <netinet/in.h>
#include <string.h>

static uint32_t be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* The one's-complement sum of data (RFC 1071), not yet folded. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n) {
  for (; n >= 2; p += 2, n -= 2) sum += (uint32_t)((p[0] << 8) | p[1]);
  if (n) sum += (uint32_t)(p[0] << 8);
  return sum;
}
static uint16_t csum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}
/* The pseudo-header sum of a TCP segment of tcp_total bytes in the IP packet at ip. */
static uint64_t tcp_pseudo_at(const uint8_t *ip, int v6, size_t tcp_total) {
  uint64_t sum = 0;
  if (v6) {
    sum = csum_add(sum, ip + 8, 32);
    sum += (uint32_t)(tcp_total >> 16) + (uint32_t)(tcp_total & 0xffff) + IPPROTO_TCP;
  } else {
    sum = csum_add(sum, ip + 12, 8);
    sum += (uint32_t)tcp_total + IPPROTO_TCP;
  }
  return sum;
}
static uint64_t tcp_pseudo(const tcp_seg *s, size_t tcp_total) { return tcp_pseudo_at(s->ip, s->v6, tcp_total); }

/* Parses a plain (unfragmented, option-free IPv4, extension-free IPv6) TCP packet; 0 for anything else. */
int tcp_seg_parse(const uint8_t *p, size_t len, tcp_seg *s) {
  if (len < 20) return 0;
  if ((p[0] >> 4) == 4) {
    if ((p[0] & 0x0f) != 5 || p[9] != IPPROTO_TCP || be16(p + 2) != len) return 0;
    if ((be16(p + 6) & 0x3fff) != 0) return 0;  /* MF or a fragment offset */
    s->v6 = 0;
    s->ip_len = 20;
  } else if ((p[0] >> 4) == 6) {
    if (len < 40 || p[6] != IPPROTO_TCP || (size_t)be16(p + 4) + 40 != len) return 0;
    s->v6 = 1;
    s->ip_len = 40;
  } else {
    return 0;
  }
  if (len < s->ip_len + 20) return 0;
  s->ip = p;
  s->tcp = p + s->ip_len;
  s->tcp_len = (size_t)(s->tcp[12] >> 4) * 4;
  if (s->tcp_len < 20 || s->ip_len + s->tcp_len > len) return 0;
  s->payload_len = len - s->ip_len - s->tcp_len;
  s->seq = be32(s->tcp + 4);
  s->flags = s->tcp[13];
  return 1;
}

/* Whether the segment's checksums hold (a segment that fails is never merged: merging would hide it). */
int tcp_seg_valid(const tcp_seg *s) {
  if (!s->v6 && csum_fold(csum_add(0, s->ip, 20)) != 0xffff) return 0;
  size_t total = s->tcp_len + s->payload_len;
  return csum_fold(csum_add(tcp_pseudo(s, total), s->tcp, total)) == 0xffff;
}

/* Only a plain ACK (PSH allowed) segment with data may be merged. */
int tcp_seg_mergeable(const tcp_seg *s) {
  return s->payload_len > 0 && (s->flags & ~TCP_PSH) == TCP_ACK;
}

/* Whether cur may follow prev in a run that began with first (Linux tcp_gro_receive's conditions). */
int tcp_seg_follows(const tcp_seg *first, const tcp_seg *prev, const tcp_seg *cur) {
  if (cur->v6 != first->v6 || cur->tcp_len != first->tcp_len || !tcp_seg_mergeable(cur)) return 0;
  if (cur->payload_len > first->payload_len || prev->payload_len != first->payload_len) return 0;
  if (cur->seq != prev->seq + (uint32_t)prev->payload_len) return 0;
  if (first->v6) {
    /* version, traffic class, flow label; addresses; hop limit */
    if (memcmp(cur->ip, first->ip, 4) != 0 || memcmp(cur->ip + 8, first->ip + 8, 32) != 0 || cur->ip[7] != first->ip[7])
      return 0;
  } else {
    /* TOS (ECN included), DF, TTL, addresses; without DF the IDs must count up by one */
    if (cur->ip[1] != first->ip[1] || cur->ip[6] != first->ip[6] || cur->ip[8] != first->ip[8] ||
        memcmp(cur->ip + 12, first->ip + 12, 8) != 0)
      return 0;
    if (!(first->ip[6] & 0x40) && be16(cur->ip + 4) != (uint16_t)(be16(prev->ip + 4) + 1)) return 0;
  }
  /* ports, ack, window, urgent pointer, options: all equal */
  if (memcmp(cur->tcp, first->tcp, 4) != 0 || memcmp(cur->tcp + 8, first->tcp + 8, 4) != 0 ||
      memcmp(cur->tcp + 14, first->tcp + 14, 2) != 0 || memcmp(cur->tcp + 18, first->tcp + 18, 2) != 0 ||
      memcmp(cur->tcp + 20, first->tcp + 20, first->tcp_len - 20) != 0)
    return 0;
  return 1;
}

void tcp_run_headers(const tcp_seg *first, const tcp_seg *last, size_t total, uint8_t *hd) {
  size_t hlen = first->ip_len + first->tcp_len;
  memcpy(hd, first->ip, hlen);
  if (first->v6) {
    size_t pl = total - 40;
    hd[4] = (uint8_t)(pl >> 8);
    hd[5] = (uint8_t)pl;
  } else {
    hd[2] = (uint8_t)(total >> 8);
    hd[3] = (uint8_t)total;
    hd[10] = hd[11] = 0;
    uint16_t c = (uint16_t)~csum_fold(csum_add(0, hd, 20));
    hd[10] = (uint8_t)(c >> 8);
    hd[11] = (uint8_t)c;
  }
  uint8_t *th = hd + first->ip_len;
  th[13] = (uint8_t)(first->flags | (last->flags & TCP_PSH));
  uint16_t pseudo = csum_fold(tcp_pseudo_at(hd, first->v6, total - first->ip_len));
  th[16] = (uint8_t)(pseudo >> 8);
  th[17] = (uint8_t)pseudo;
}

size_t tcp_cut_segment(const uint8_t *p, size_t hlen, size_t iplen, size_t off, size_t pay, uint32_t idx, int last,
                       uint8_t *o) {
  size_t len = hlen + pay;
  int v6 = (p[0] >> 4) == 6;
  memcpy(o, p, hlen);
  memcpy(o + hlen, p + off, pay);
  if (v6) {
    o[4] = (uint8_t)((len - 40) >> 8);
    o[5] = (uint8_t)(len - 40);
  } else {
    uint16_t id = (uint16_t)(be16(p + 4) + idx);
    o[2] = (uint8_t)(len >> 8);
    o[3] = (uint8_t)len;
    o[4] = (uint8_t)(id >> 8);
    o[5] = (uint8_t)id;
    o[10] = o[11] = 0;
    uint16_t c = (uint16_t)~csum_fold(csum_add(0, o, iplen));
    o[10] = (uint8_t)(c >> 8);
    o[11] = (uint8_t)c;
  }
  uint8_t *th = o + iplen;
  uint32_t seq = be32(p + iplen + 4) + (uint32_t)(off - hlen);
  th[4] = (uint8_t)(seq >> 24);
  th[5] = (uint8_t)(seq >> 16);
  th[6] = (uint8_t)(seq >> 8);
  th[7] = (uint8_t)seq;
  if (!last) th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
  if (idx > 0) th[13] &= (uint8_t)~TCP_CWR;
  th[16] = th[17] = 0;
  uint16_t c = (uint16_t)~csum_fold(csum_add(tcp_pseudo_at(o, v6, len - iplen), th, len - iplen));
  th[16] = (uint8_t)(c >> 8);
  th[17] = (uint8_t)c;
  return len;
}

int csum_complete(uint8_t *p, size_t len, size_t start, size_t offset) {
  size_t at = start + offset;
  if (start >= len || at + 2 > len) return 0;
  /* The field holds the pseudo-header sum, so the sum from start on is the whole checksum. */
  uint16_t c = (uint16_t)~csum_fold(csum_add(0, p + start, len - start));
  if (c == 0) c = 0xffff;
  p[at] = (uint8_t)(c >> 8);
  p[at + 1] = (uint8_t)c;
  return 1;
}
