/*
 * Userspace segmentation and coalescing for a TUN opened with
 * IFF_VNET_HDR (internal to node/esp/), as wireguard-go does it:
 *
 *   TUN read  (virtio_net_hdr + up to 64 KB TCP/UDP super-packet)
 *       --> esp_gso_start / esp_gso_next: one MTU-sized packet at a time,
 *           each with its own headers and a complete checksum
 *   decrypted TCP segments of one flow, in order
 *       --> esp_gro_start / esp_gro_append / esp_gro_finish: one
 *           GSO_TCPV4/V6 TUN write with a partial (pseudo-header) checksum
 *
 * Pure: bytes in, bytes out, no datapath state; every length the kernel
 * (or a test) hands over is checked against the packet before use.
 */
#ifndef HIKE_ESP_OFFLOAD_H
#define HIKE_ESP_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5	/* USO (Linux 6.2 TUN_F_USO4/6) */
#endif

#define ESP_VNET_LEN	sizeof(struct virtio_net_hdr)	/* 10 */
#define ESP_GSO_MAX	65535	/* an IP packet's largest total length */

/* RFC 1071 ones' complement sum of p[0..n) added to sum (a sum of
 * big-endian 16-bit words), folded to 16 bits, not complemented. */
uint16_t esp_csum_add(const void *p, size_t n, uint32_t sum);
/* memcpy(dst, src, n) (no overlap) and esp_csum_add(src, n, sum) in one
 * pass over the bytes. */
uint16_t esp_csum_copy(void *restrict dst, const void *restrict src,
		       size_t n, uint32_t sum);
/* A sum of bytes that start at offset off of the span being summed:
 * RFC 1071 2(B), at an odd offset each byte sits in the other half of
 * its 16-bit word, so the sum is byte-swapped. */
static inline uint16_t esp_csum_at(uint16_t sum, size_t off)
{
	return off & 1 ? (uint16_t)(sum << 8 | sum >> 8) : sum;
}
/* The TCP/UDP pseudo-header sum (RFC 793 3.1, RFC 8200 8.1) of pkt's
 * addresses for an L4 length of l4len, folded, not complemented. */
uint16_t esp_csum_pseudo(const uint8_t *pkt, uint8_t proto, size_t l4len);

/* Splitting one TUN read. */
struct esp_gso {
	uint8_t *gs_pkt;
	size_t gs_l4;		/* IP header length: the L4 header's offset */
	size_t gs_hlen;		/* IP + L4 headers, copied to every segment */
	size_t gs_off, gs_end;	/* next payload byte, end of the IP packet */
	uint16_t gs_mss;	/* payload bytes per segment (gso_size) */
	uint16_t gs_id;		/* IPv4 id of the next segment */
	uint32_t gs_seq;	/* TCP sequence number of the next segment */
	uint16_t gs_ipsum;	/* IPv4 header sum, fields gso_fix sets as 0 */
	uint16_t gs_l4sum;	/* L4 header + pseudo-header addresses, same */
	uint8_t gs_family;	/* 4, 6 */
	uint8_t gs_proto;	/* IPPROTO_TCP / IPPROTO_UDP; 0: no GSO */
	bool gs_first, gs_done;
};

/*
 * Check vh against pkt[0..len) and prepare the split into packets of at
 * most cap bytes.  A packet without GSO is one "segment"; a NEEDS_CSUM
 * checksum is completed in pkt.  0, or -EINVAL (a malformed header or
 * packet: gso_size 0, csum_start or hdr_len beyond the packet, unknown
 * GSO type, lengths that disagree) or -EMSGSIZE (a segment > cap).
 * hdr_len is a hint (the kernel reports skb_headlen): the headers are
 * parsed from the packet itself.
 */
int esp_gso_start(struct esp_gso *g, const struct virtio_net_hdr *vh,
		  uint8_t *pkt, size_t len, size_t cap);
/* Write the next packet to out (cap as given to esp_gso_start): its
 * length, or 0 when the super-packet is used up. */
size_t esp_gso_next(struct esp_gso *g, uint8_t *out);

/* One coalesced TUN write being built from decrypted TCP segments. */
struct esp_gro {
	uint8_t *gr_buf;	/* ESP_VNET_LEN + ESP_GSO_MAX bytes */
	size_t gr_len;		/* packet bytes after the vnet header */
	size_t gr_l4, gr_hlen;	/* TCP header offset; IP + TCP headers */
	uint16_t gr_mss;	/* payload of the first segment */
	uint16_t gr_nseg;
	uint32_t gr_next_seq;
	bool gr_used;		/* holds a packet */
	bool gr_closed;		/* a shorter or PSH segment ended it */
};

/* May pkt (a whole IPv4/IPv6 packet, len its exact length) head or join
 * a coalesced write: TCP, no IP options or extension headers, not a
 * fragment, ACK set and no flag but ACK and PSH, some payload. */
bool esp_gro_candidate(const uint8_t *pkt, size_t len);
/* Is pkt TCP of the same flow (addresses and ports) as it's packet? */
bool esp_gro_same_flow(const struct esp_gro *it, const uint8_t *pkt,
		       size_t len);
/* Copy candidate pkt into it (empty) as the head. */
void esp_gro_start(struct esp_gro *it, const uint8_t *pkt, size_t len);
/* Append pkt's payload when it continues it: same flow, the next
 * sequence number, same ACK, TCP options, IP TOS/TTL/DF (v6: class,
 * flow label, hop limit), payload not larger than the first's, total
 * within 64 KB.  false: not appended (the caller writes it first). */
bool esp_gro_append(struct esp_gro *it, const uint8_t *pkt, size_t len);
/* Fill the vnet header (GSO_NONE for a single packet, else GSO_TCPV4/V6
 * with NEEDS_CSUM and the pseudo-header sum in the TCP checksum) and
 * the IP lengths; returns the bytes to write from it->gr_buf and empties
 * it. */
size_t esp_gro_finish(struct esp_gro *it);

#endif
