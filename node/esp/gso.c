/* Splitting TUN super-packets (virtio_net_hdr GSO) and checksums; see
 * offload.h. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "hike/cursor.h"
#include "esp/offload.h"

#define TCP_FIN	0x01
#define TCP_PSH	0x08
#define TCP_CWR	0x80

/*
 * RFC 1071 1.2: the sum does not depend on byte order, so words are
 * added as they lie in memory and swapped once at the end.  Bulk: 64
 * bytes a step in four 16-byte vectors (SSE2 on any x86-64, NEON, or
 * plain words where there is no SIMD), each 32-bit lane taking both
 * 16-bit halves of its word, at most 2 * 0xffff a step: a lane holds
 * CSUM_RUN steps before it is emptied into the 64-bit total.  (A
 * target_clones("avx2") build of this loop is no faster; a separate
 * 32-byte AVX2 loop sums L1-resident data ~35% faster but copies no
 * faster, and only the copy is on the hot path.)
 */
typedef uint32_t csum_v __attribute__((vector_size(16)));

#define CSUM_RUN	32768	/* 2^15 * 2 * 0xffff < 2^32 */

static inline csum_v csum_lane(csum_v acc, csum_v w)
{
	return acc + (w & 0xffff) + (w >> 16);
}

/* The native-order sum of nblk 64-byte blocks of src, copied to dst
 * on the way if copy (a constant: the branch folds away).  Four named
 * vectors, not an array: gcc keeps those in registers. */
static inline __attribute__((always_inline)) uint64_t
csum_blocks(uint8_t *restrict dst, const uint8_t *restrict src, size_t nblk,
	    bool copy)
{
	uint64_t t = 0;

	while (nblk) {
		size_t k = nblk < CSUM_RUN ? nblk : CSUM_RUN;
		csum_v a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, w, x, y, z;

		for (nblk -= k; k; k--, src += 64) {
			memcpy(&w, src, 16);
			memcpy(&x, src + 16, 16);
			memcpy(&y, src + 32, 16);
			memcpy(&z, src + 48, 16);
			if (copy) {
				memcpy(dst, &w, 16);
				memcpy(dst + 16, &x, 16);
				memcpy(dst + 32, &y, 16);
				memcpy(dst + 48, &z, 16);
				dst += 64;
			}
			a = csum_lane(a, w);
			b = csum_lane(b, x);
			c = csum_lane(c, y);
			d = csum_lane(d, z);
		}
		a = csum_lane(csum_lane(csum_lane(csum_lane((csum_v){ 0 },
							    a), b), c), d);
		t += (uint64_t)a[0] + a[1] + a[2] + a[3];
	}
	return t;
}

/* The native-order sum of the last n < 64 bytes (any n works): 32-bit
 * words into 64-bit sums, no carry to handle, two chains. */
static inline uint64_t csum_words(const uint8_t *b, size_t n)
{
	uint64_t s0 = 0, s1 = 0;
	uint32_t w[4];
	uint16_t t = 0;

	for (; n >= 16; b += 16, n -= 16) {
		memcpy(w, b, 16);
		s0 += (uint64_t)w[0] + w[2];
		s1 += (uint64_t)w[1] + w[3];
	}
	for (; n >= 4; b += 4, n -= 4) {
		memcpy(w, b, 4);
		s0 += w[0];
	}
	if (n >= 2) {
		memcpy(&t, b, 2);
		s1 += t;
		b += 2;
		n -= 2;
	}
	if (n) {		/* odd tail: padded with a zero byte */
		t = 0;
		memcpy(&t, b, 1);
		s1 += t;
	}
	return (s0 & 0xffffffffu) + (s0 >> 32) + (s1 & 0xffffffffu) + (s1 >> 32);
}

/* A native-order sum folded to 16 bits, in network order, plus sum. */
static inline uint16_t csum_fold(uint64_t s, uint32_t sum)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	sum += ntohs((uint16_t)s);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t esp_csum_add(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	size_t bulk = n & ~(size_t)63;

	return csum_fold(csum_blocks(NULL, b, bulk / 64, false) +
			 csum_words(b + bulk, n - bulk), sum);
}

uint16_t esp_csum_copy(void *restrict dst, const void *restrict src,
		       size_t n, uint32_t sum)
{
	const uint8_t *b = src;
	uint8_t *d = dst;
	size_t bulk = n & ~(size_t)63;
	uint64_t s = csum_blocks(d, b, bulk / 64, true);

	memcpy(d + bulk, b + bulk, n - bulk);
	return csum_fold(s + csum_words(b + bulk, n - bulk), sum);
}

uint16_t esp_csum_pseudo(const uint8_t *pkt, uint8_t proto, size_t l4len)
{
	bool v4 = pkt[0] >> 4 == 4;
	/* v4: source and destination at 12..19; v6: at 8..39 */
	return esp_csum_add(pkt + (v4 ? 12 : 8), v4 ? 8 : 32,
			    (uint32_t)proto + (uint32_t)(l4len >> 16) +
			    (uint32_t)(l4len & 0xffff));
}

static void gso_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The IP header: family, protocol, header length and where the packet
 * ends (its total length, which may be shorter than what was read). */
static int gso_ip(struct esp_gso *g, const uint8_t *pkt, size_t len)
{
	struct rd r = rd_init(pkt, len);
	uint8_t vihl, nh;
	uint16_t tot, frag, plen;

	if (!rd_u8(&r, &vihl))
		return -EINVAL;
	g->gs_family = vihl >> 4;
	if (g->gs_family == 4) {
		g->gs_l4 = (size_t)(vihl & 0x0f) * 4;
		if (!rd_skip(&r, 1) || !rd_u16(&r, &tot) || !rd_u16(&r, &g->gs_id) ||
		    !rd_u16(&r, &frag) || !rd_skip(&r, 1) || !rd_u8(&r, &nh))
			return -EINVAL;
		/* later fragments and MF have no L4 header to repeat */
		if (g->gs_l4 < 20 || tot < g->gs_l4 || tot > len || (frag & 0x3fff))
			return -EINVAL;
		g->gs_end = tot;
	} else if (g->gs_family == 6) {
		if (!rd_skip(&r, 3) || !rd_u16(&r, &plen) || !rd_u8(&r, &nh) ||
		    (size_t)plen + 40 > len)
			return -EINVAL;
		/* extension headers are not split (the kernel's TSO from a
		 * TUN never has them in practice): refused */
		g->gs_l4 = 40;
		g->gs_end = (size_t)plen + 40;
	} else {
		return -EINVAL;
	}
	g->gs_proto = nh;
	return 0;
}

/* The L4 header after the IP header: its length and, for TCP, the
 * sequence number. */
static int gso_l4(struct esp_gso *g, const uint8_t *pkt)
{
	struct rd r = rd_init(pkt + g->gs_l4, g->gs_end - g->gs_l4);
	uint32_t seq;
	uint8_t off;

	if (g->gs_proto == IPPROTO_UDP) {
		if (!rd_skip(&r, 8))
			return -EINVAL;
		g->gs_hlen = g->gs_l4 + 8;
		return 0;
	}
	if (!rd_skip(&r, 4) || !rd_u32(&r, &seq) || !rd_skip(&r, 4) ||
	    !rd_u8(&r, &off) || (off >> 4) < 5 ||
	    (size_t)(off >> 4) * 4 > g->gs_end - g->gs_l4)
		return -EINVAL;
	g->gs_seq = seq;
	g->gs_hlen = g->gs_l4 + (size_t)(off >> 4) * 4;
	return 0;
}

/* VIRTIO_NET_HDR_F_NEEDS_CSUM on a packet the kernel did not split:
 * the field holds the pseudo-header sum, the rest is to be added. */
static int gso_complete(const struct virtio_net_hdr *vh, uint8_t *pkt,
			size_t len)
{
	size_t start = vh->csum_start, at = start + vh->csum_offset;

	if (start >= len || at + 2 > len)
		return -EINVAL;
	uint16_t c = (uint16_t)~esp_csum_add(pkt + start, len - start, 0);

	/* as skb_checksum_help(): 0 goes out as all ones (RFC 768) */
	gso_put16(pkt + at, c ? c : 0xffff);
	return 0;
}

static int gso_check(struct esp_gso *g, const struct virtio_net_hdr *vh,
		     uint8_t *pkt, size_t len)
{
	uint8_t type = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	int rc = gso_ip(g, pkt, len);

	if (rc)
		return rc;
	if (type == VIRTIO_NET_HDR_GSO_TCPV4 ?
	    g->gs_family != 4 || g->gs_proto != IPPROTO_TCP :
	    type == VIRTIO_NET_HDR_GSO_TCPV6 ?
	    g->gs_family != 6 || g->gs_proto != IPPROTO_TCP :
	    type != VIRTIO_NET_HDR_GSO_UDP_L4 || g->gs_proto != IPPROTO_UDP)
		return -EINVAL;	/* includes UFO, which we never ask for */
	rc = gso_l4(g, pkt);
	if (rc)
		return rc;
	/* the kernel hands GSO packets over with a partial checksum at the
	 * L4 header; anything else is not a header it wrote */
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	    vh->csum_start != g->gs_l4 ||
	    vh->csum_offset != (g->gs_proto == IPPROTO_TCP ? 16 : 6))
		return -EINVAL;
	return 0;
}

/* A sum of a few 16-bit words (< 2^20) folded, not complemented. */
static uint16_t gso_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* The sums of the headers every segment repeats, the fields gso_fix()
 * rewrites counted as zero, so that a segment's checksums are these
 * plus its own fields and payload (RFC 1624 3: a header sum updated by
 * the words that change). */
static void gso_sums(struct esp_gso *g)
{
	const uint8_t *pkt = g->gs_pkt;
	size_t l4 = g->gs_l4, thlen = g->gs_hlen - l4;
	uint8_t h[60];		/* IHL and TCP data offset: at most 15 * 4 */

	if (g->gs_family == 4) {
		memcpy(h, pkt, l4);
		memset(h + 2, 0, 4);		/* total length, id */
		memset(h + 10, 0, 2);		/* checksum */
		g->gs_ipsum = esp_csum_add(h, l4, 0);
	}
	memcpy(h, pkt + l4, thlen);
	if (g->gs_proto == IPPROTO_TCP) {
		memset(h + 4, 0, 4);		/* sequence number */
		memset(h + 12, 0, 2);		/* data offset, flags (one word) */
		memset(h + 16, 0, 2);		/* checksum */
	} else {
		memset(h + 4, 0, 4);		/* length, checksum */
	}
	/* with the pseudo header's addresses and protocol */
	g->gs_l4sum = esp_csum_add(h, thlen,
				   esp_csum_pseudo(pkt, g->gs_proto, 0));
}

int esp_gso_start(struct esp_gso *g, const struct virtio_net_hdr *vh,
		  uint8_t *pkt, size_t len, size_t cap)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->gs_pkt = pkt;
	g->gs_first = true;
	if (vh->hdr_len > len)
		return -EINVAL;
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (len > cap)
			return -EMSGSIZE;
		if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    (rc = gso_complete(vh, pkt, len)))
			return rc;
		g->gs_end = len;
		return 0;
	}
	if (vh->gso_size == 0)
		return -EINVAL;
	rc = gso_check(g, vh, pkt, len);
	if (rc)
		return rc;
	g->gs_mss = vh->gso_size;
	g->gs_off = g->gs_hlen;
	if (g->gs_hlen + g->gs_mss > cap)
		return -EMSGSIZE;
	gso_sums(g);
	return 0;
}

/* Lengths, id, sequence number, flags and checksums of one segment;
 * psum is the sum of its payload, taken while copying it. */
static void gso_fix(struct esp_gso *g, uint8_t *out, size_t seg,
		    uint16_t psum, bool last)
{
	size_t l4 = g->gs_l4, thlen = g->gs_hlen - l4, l4len = thlen + seg;
	uint8_t *th = out + l4, *ck;
	uint32_t sum;

	if (g->gs_family == 4) {
		gso_put16(out + 2, (uint16_t)(l4 + l4len));
		gso_put16(out + 4, g->gs_id);
		sum = g->gs_ipsum + (uint32_t)(l4 + l4len) + g->gs_id++;
		gso_put16(out + 10, (uint16_t)~gso_fold(sum));
	} else {
		gso_put16(out + 4, (uint16_t)l4len);
	}
	/* the pseudo header's length, the payload (at an even offset
	 * unless a header were odd) and the L4 header's own fields */
	sum = g->gs_l4sum + (uint32_t)l4len + esp_csum_at(psum, thlen);
	if (g->gs_proto == IPPROTO_TCP) {
		th[4] = (uint8_t)(g->gs_seq >> 24);
		th[5] = (uint8_t)(g->gs_seq >> 16);
		th[6] = (uint8_t)(g->gs_seq >> 8);
		th[7] = (uint8_t)g->gs_seq;
		sum += (g->gs_seq >> 16) + (g->gs_seq & 0xffff);
		g->gs_seq += (uint32_t)seg;
		if (!last)
			th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (!g->gs_first)
			th[13] &= (uint8_t)~TCP_CWR;
		sum += (uint32_t)th[12] << 8 | th[13];
		ck = th + 16;
	} else {
		gso_put16(th + 4, (uint16_t)l4len);
		sum += (uint32_t)l4len;
		ck = th + 6;
	}
	uint16_t c = (uint16_t)~gso_fold(sum);
	/* RFC 768: a computed UDP checksum of 0 goes out as all ones
	 * (for TCP the two are the same number) */
	gso_put16(ck, c ? c : 0xffff);
	g->gs_first = false;
}

size_t esp_gso_next(struct esp_gso *g, uint8_t *out)
{
	uint16_t psum;
	size_t seg;

	if (g->gs_done)
		return 0;
	if (g->gs_proto == 0) {		/* no GSO: the packet as it is */
		g->gs_done = true;
		memcpy(out, g->gs_pkt, g->gs_end);
		return g->gs_end;
	}
	seg = g->gs_end - g->gs_off;
	if (seg > g->gs_mss)
		seg = g->gs_mss;
	memcpy(out, g->gs_pkt, g->gs_hlen);
	/* one pass over the payload: copied and summed together */
	psum = esp_csum_copy(out + g->gs_hlen, g->gs_pkt + g->gs_off, seg, 0);
	g->gs_off += seg;
	g->gs_done = g->gs_off >= g->gs_end;
	gso_fix(g, out, seg, psum, g->gs_done);
	return g->gs_hlen + seg;
}
