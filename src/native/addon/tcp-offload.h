/* TCP segmentation offload work on whole IP packets, without I/O: what tun.c needs to coalesce a flow's
 * segments into one GSO packet (Linux GRO's rules) and to cut a TSO packet into segments (Linux
 * tcp_gso_segment's rules), and the RFC 1071 checksums both need. */
#ifndef TCP_OFFLOAD_H
#define TCP_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/* The TCP segment inside an IP packet, as GRO needs it (pointers into the packet). */
typedef struct {
  int v6;
  size_t ip_len, tcp_len, payload_len;
  const uint8_t *ip, *tcp;
  uint32_t seq;
  uint8_t flags;
} tcp_seg;

/* Parses a plain (unfragmented IPv4 without options, IPv6 without extension headers) TCP packet; 0 otherwise. */
int tcp_seg_parse(const uint8_t *p, size_t len, tcp_seg *s);
/* Whether the IPv4 header and TCP checksums hold. */
int tcp_seg_valid(const tcp_seg *s);
/* Whether the segment may be merged at all: data, and no flag but ACK (and PSH). */
int tcp_seg_mergeable(const tcp_seg *s);
/* Whether cur may follow prev in a run that began with first. */
int tcp_seg_follows(const tcp_seg *first, const tcp_seg *prev, const tcp_seg *cur);

/* Writes into out (ip_len + tcp_len bytes) the headers of the GSO packet a run makes: first's headers with the
 * run's total length (total bytes of IP packet), last's PSH, the IPv4 checksum redone and the TCP checksum
 * field holding the pseudo-header sum (the kernel finishes it: NEEDS_CSUM). */
void tcp_run_headers(const tcp_seg *first, const tcp_seg *last, size_t total, uint8_t *out);

/* Writes segment idx of the TSO packet p (headers hlen bytes, of which the IP header is ip_len) into out: the
 * headers, then pay payload bytes from payload offset off (from hlen on), with its lengths, IPv4 ID,
 * sequence number, flags (FIN/PSH on the last only, CWR on the first only) and checksums. Returns its length. */
size_t tcp_cut_segment(const uint8_t *p, size_t hlen, size_t ip_len, size_t off, size_t pay, uint32_t idx, int last,
                       uint8_t *out);

/* Completes a partial checksum (the field at start + offset holds the pseudo-header sum), as the kernel's
 * skb_checksum_help does, a zero result sent as 0xffff. 0 when start/offset do not fit the packet. */
int csum_complete(uint8_t *p, size_t len, size_t start, size_t offset);

#endif
