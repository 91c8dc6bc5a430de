/* Coalescing decrypted TCP segments into one TUN write; see offload.h. */
#include <string.h>
#include <netinet/in.h>

#include "hike/cursor.h"
#include "esp/offload.h"

#define TCP_ACK	0x10
#define TCP_PSH	0x08

/* The parts of a TCP segment coalescing looks at. */
struct gro_seg {
	size_t l4, hlen, plen;	/* TCP offset, IP + TCP headers, payload */
	uint32_t seq, ack;
	uint8_t flags;
};

/* A TCP segment with nothing in the way of coalescing: IPv4 without
 * options (not a fragment) or IPv6 without extension headers, len its
 * exact length. */
static bool gro_parse(const uint8_t *pkt, size_t len, struct gro_seg *s)
{
	struct rd r = rd_init(pkt, len), t;
	uint8_t vihl, off;
	uint16_t tot, frag;

	if (!rd_u8(&r, &vihl))
		return false;
	if (vihl == 0x45) {
		if (len < 20 || !rd_skip(&r, 1) || !rd_u16(&r, &tot) ||
		    !rd_skip(&r, 2) || !rd_u16(&r, &frag) || tot != len ||
		    (frag & 0x3fff) || pkt[9] != IPPROTO_TCP)
			return false;
		s->l4 = 20;
	} else if (vihl >> 4 == 6) {
		if (len < 40 || pkt[6] != IPPROTO_TCP ||
		    (size_t)(pkt[4] << 8 | pkt[5]) + 40 != len)
			return false;
		s->l4 = 40;
	} else {
		return false;
	}
	t = rd_init(pkt + s->l4, len - s->l4);
	if (!rd_skip(&t, 4) || !rd_u32(&t, &s->seq) || !rd_u32(&t, &s->ack) ||
	    !rd_u8(&t, &off) || !rd_u8(&t, &s->flags) || (off >> 4) < 5 ||
	    (size_t)(off >> 4) * 4 > len - s->l4)
		return false;
	s->hlen = s->l4 + (size_t)(off >> 4) * 4;
	s->plen = len - s->hlen;
	return true;
}

bool esp_gro_candidate(const uint8_t *pkt, size_t len)
{
	struct gro_seg s;

	/* SYN, FIN, RST, URG, ECE, CWR each end coalescing (as Linux GRO);
	 * so does a bad TCP checksum: the coalesced write asks the kernel
	 * to compute a fresh one, which would hide it from the receiver
	 * (Linux GRO verifies before merging too) */
	return gro_parse(pkt, len, &s) && s.plen > 0 &&
	       (s.flags & TCP_ACK) && !(s.flags & ~(TCP_ACK | TCP_PSH)) &&
	       s.hlen + s.plen <= ESP_GSO_MAX &&
	       esp_csum_add(pkt + s.l4, len - s.l4,
			    esp_csum_pseudo(pkt, IPPROTO_TCP, len - s.l4)) == 0xffff;
}

static const uint8_t *gro_head(const struct esp_gro *it)
{
	return it->gr_buf + ESP_VNET_LEN;
}

bool esp_gro_same_flow(const struct esp_gro *it, const uint8_t *pkt,
		       size_t len)
{
	const uint8_t *h = gro_head(it);
	size_t alen = it->gr_l4 == 20 ? 8 : 32, aoff = it->gr_l4 == 20 ? 12 : 8;

	if (!it->gr_used || len < it->gr_l4 + 4 || (pkt[0] >> 4) != (h[0] >> 4))
		return false;
	if ((h[0] >> 4) == 4 ? pkt[9] != IPPROTO_TCP || (pkt[0] & 0x0f) != 5 :
	    pkt[6] != IPPROTO_TCP)
		return false;	/* IPv4 options: another offset, not coalesced */
	return !memcmp(pkt + aoff, h + aoff, alen) &&
	       !memcmp(pkt + it->gr_l4, h + it->gr_l4, 4);
}

void esp_gro_start(struct esp_gro *it, const uint8_t *pkt, size_t len)
{
	struct gro_seg s;

	gro_parse(pkt, len, &s);
	memcpy(it->gr_buf + ESP_VNET_LEN, pkt, len);
	it->gr_len = len;
	it->gr_l4 = s.l4;
	it->gr_hlen = s.hlen;
	it->gr_mss = (uint16_t)s.plen;
	it->gr_nseg = 1;
	it->gr_next_seq = s.seq + (uint32_t)s.plen;
	it->gr_used = true;
	it->gr_closed = (s.flags & TCP_PSH) != 0;
}

/* IP fields that must agree: v4 TOS, DF, TTL; v6 class, flow label,
 * hop limit. */
static bool gro_ip_same(const uint8_t *a, const uint8_t *b, bool v4)
{
	if (v4)
		return a[1] == b[1] && (a[6] & 0x40) == (b[6] & 0x40) &&
		       a[8] == b[8];
	return !memcmp(a, b, 4) && a[7] == b[7];
}

bool esp_gro_append(struct esp_gro *it, const uint8_t *pkt, size_t len)
{
	uint8_t *h = it->gr_buf + ESP_VNET_LEN;
	struct gro_seg s;

	if (!it->gr_used || it->gr_closed || !esp_gro_candidate(pkt, len) ||
	    !esp_gro_same_flow(it, pkt, len) || !gro_parse(pkt, len, &s))
		return false;
	/* the segment must be the next one, carry the same ACK, options
	 * (timestamps included, as Linux GRO) and flags but PSH */
	if (s.hlen != it->gr_hlen || s.seq != it->gr_next_seq ||
	    s.plen > it->gr_mss || it->gr_len + s.plen > ESP_GSO_MAX ||
	    memcmp(pkt + s.l4 + 8, h + s.l4 + 8, 4) ||
	    ((pkt[s.l4 + 13] ^ h[s.l4 + 13]) & ~TCP_PSH) ||
	    memcmp(pkt + s.l4 + 20, h + s.l4 + 20, s.hlen - s.l4 - 20) ||
	    !gro_ip_same(pkt, h, s.l4 == 20))
		return false;
	memcpy(h + it->gr_len, pkt + s.hlen, s.plen);
	it->gr_len += s.plen;
	it->gr_nseg++;
	it->gr_next_seq += (uint32_t)s.plen;
	/* a shorter segment is the last one: GSO splits at gr_mss */
	if (s.plen < it->gr_mss || (pkt[s.l4 + 13] & TCP_PSH)) {
		h[s.l4 + 13] |= pkt[s.l4 + 13] & TCP_PSH;
		it->gr_closed = true;
	}
	return true;
}

size_t esp_gro_finish(struct esp_gro *it)
{
	struct virtio_net_hdr vh = { 0 };
	uint8_t *h = it->gr_buf + ESP_VNET_LEN;
	size_t l4len = it->gr_len - it->gr_l4, n = ESP_VNET_LEN + it->gr_len;
	uint16_t c;

	if (it->gr_nseg > 1) {
		if (it->gr_l4 == 20) {
			h[2] = (uint8_t)(it->gr_len >> 8);
			h[3] = (uint8_t)it->gr_len;
			h[10] = h[11] = 0;
			c = (uint16_t)~esp_csum_add(h, 20, 0);
			h[10] = (uint8_t)(c >> 8);
			h[11] = (uint8_t)c;
		} else {
			h[4] = (uint8_t)(l4len >> 8);
			h[5] = (uint8_t)l4len;
		}
		/* CHECKSUM_PARTIAL: the pseudo-header sum, not complemented;
		 * the kernel (or the NIC) adds the rest per segment */
		c = esp_csum_pseudo(h, IPPROTO_TCP, l4len);
		h[it->gr_l4 + 16] = (uint8_t)(c >> 8);
		h[it->gr_l4 + 17] = (uint8_t)c;
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = it->gr_l4 == 20 ? VIRTIO_NET_HDR_GSO_TCPV4 :
						VIRTIO_NET_HDR_GSO_TCPV6;
		vh.hdr_len = (uint16_t)it->gr_hlen;
		vh.gso_size = it->gr_mss;
		vh.csum_start = (uint16_t)it->gr_l4;
		vh.csum_offset = 16;
	}
	memcpy(it->gr_buf, &vh, sizeof(vh));
	it->gr_used = false;
	it->gr_closed = false;
	return n;
}
