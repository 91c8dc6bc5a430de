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

uint16_t esp_csum_add(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	uint64_t s0 = 0, s1 = 0, s;
	uint32_t w[4];
	uint16_t t = 0;

	/* RFC 1071 1.2: the sum does not depend on byte order, so add
	 * native 32-bit words into 64-bit sums (no carry to handle below
	 * 2^32 words: no branch, two chains) and swap once at the end */
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
	s = (s0 & 0xffffffffu) + (s0 >> 32) + (s1 & 0xffffffffu) + (s1 >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	sum += ntohs((uint16_t)s);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
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
	return 0;
}

/* Lengths, id, sequence number, flags and checksums of one segment. */
static void gso_fix(struct esp_gso *g, uint8_t *out, size_t seg, bool last)
{
	size_t l4 = g->gs_l4, l4len = g->gs_hlen - l4 + seg;
	uint8_t *th = out + l4, *ck;

	if (g->gs_family == 4) {
		gso_put16(out + 2, (uint16_t)(l4 + l4len));
		gso_put16(out + 4, g->gs_id++);
		gso_put16(out + 10, 0);
		gso_put16(out + 10, (uint16_t)~esp_csum_add(out, l4, 0));
	} else {
		gso_put16(out + 4, (uint16_t)l4len);
	}
	if (g->gs_proto == IPPROTO_TCP) {
		th[4] = (uint8_t)(g->gs_seq >> 24);
		th[5] = (uint8_t)(g->gs_seq >> 16);
		th[6] = (uint8_t)(g->gs_seq >> 8);
		th[7] = (uint8_t)g->gs_seq;
		g->gs_seq += (uint32_t)seg;
		if (!last)
			th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (!g->gs_first)
			th[13] &= (uint8_t)~TCP_CWR;
		ck = th + 16;
	} else {
		gso_put16(th + 4, (uint16_t)l4len);
		ck = th + 6;
	}
	gso_put16(ck, 0);
	uint16_t c = (uint16_t)~esp_csum_add(th, l4len,
					     esp_csum_pseudo(out, g->gs_proto, l4len));
	/* RFC 768: a computed UDP checksum of 0 goes out as all ones
	 * (for TCP the two are the same number) */
	gso_put16(ck, c ? c : 0xffff);
	g->gs_first = false;
}

size_t esp_gso_next(struct esp_gso *g, uint8_t *out)
{
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
	memcpy(out + g->gs_hlen, g->gs_pkt + g->gs_off, seg);
	g->gs_off += seg;
	g->gs_done = g->gs_off >= g->gs_end;
	gso_fix(g, out, seg, g->gs_done);
	return g->gs_hlen + seg;
}
