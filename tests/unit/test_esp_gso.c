/*
 * TUN offloads in userspace (node/esp/gso.c, gro.c): splitting TSO/USO
 * super-packets read with a virtio_net_hdr, completing NEEDS_CSUM,
 * coalescing TCP segments into one GSO write, and refusing malformed
 * headers.  Checksums are verified with a plain byte-pair RFC 1071 sum
 * written here, independent of esp_csum_add().
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "core/loop.h"
#include "esp/dp.h"
#include "esp/offload.h"
#include "net/nl.h"

#define CAP 9216

/* ---- an independent checksum ---- */

static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A packet's L4 checksum is right when the sum over pseudo-header and
 * segment folds to 0xffff. */
static bool l4_ok(const uint8_t *pkt, size_t l4, uint8_t proto)
{
	bool v4 = pkt[0] >> 4 == 4;
	size_t len = v4 ? (size_t)(pkt[2] << 8 | pkt[3]) :
			  40 + (size_t)(pkt[4] << 8 | pkt[5]);
	uint32_t s = ref_sum(pkt + (v4 ? 12 : 8), v4 ? 8 : 32, 0);

	s += proto + (uint32_t)(len - l4);
	return ref_fold(ref_sum(pkt + l4, len - l4, s)) == 0xffff;
}

static bool ip4_ok(const uint8_t *pkt)
{
	return ref_fold(ref_sum(pkt, 20, 0)) == 0xffff;
}

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
static void p16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void p32(uint8_t *p, uint32_t v)
{
	p16(p, (uint16_t)(v >> 16));
	p16(p + 2, (uint16_t)v);
}

/* ---- packets ---- */

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
       TCP_ACK = 0x10, TCP_URG = 0x20, TCP_CWR = 0x80 };

static size_t ip_hdr(uint8_t *b, int v, uint8_t proto, size_t l4len)
{
	if (v == 4) {
		memset(b, 0, 20);
		b[0] = 0x45;
		p16(b + 2, (uint16_t)(20 + l4len));
		p16(b + 4, 0x1234);
		b[6] = 0x40;		/* DF */
		b[8] = 64;
		b[9] = proto;
		p32(b + 12, 0xcb007182);	/* 203.0.113.130 */
		p32(b + 16, 0xcb007102);	/* 203.0.113.2 */
		p16(b + 10, (uint16_t)~ref_fold(ref_sum(b, 20, 0)));
		return 20;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	p16(b + 4, (uint16_t)l4len);
	b[6] = proto;
	b[7] = 64;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 1;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 2;
	return 40;
}

/* IP + TCP (12 bytes of options: NOP NOP timestamps) + payload. */
static size_t mk_tcp(uint8_t *b, int v, uint32_t seq, uint8_t flags,
		     size_t plen, uint8_t fill)
{
	size_t l4 = ip_hdr(b, v, IPPROTO_TCP, 32 + plen);
	uint8_t *t = b + l4;

	memset(t, 0, 32);
	p16(t, 40000);
	p16(t + 2, 5201);
	p32(t + 4, seq);
	p32(t + 8, 0xa0b0c0d0);
	t[12] = 8 << 4;
	t[13] = flags;
	p16(t + 14, 512);
	t[20] = 1; t[21] = 1; t[22] = 8; t[23] = 10;
	p32(t + 24, 1000);
	p32(t + 28, 2000);
	for (size_t i = 0; i < plen; i++)
		t[32 + i] = (uint8_t)(fill + i * 7);
	p16(t + 16, 0);
	p16(t + 16, (uint16_t)~ref_fold(ref_sum(t, 32 + plen,
		ref_sum(b + (v == 4 ? 12 : 8), v == 4 ? 8 : 32, 0) +
		IPPROTO_TCP + (uint32_t)(32 + plen))));
	return l4 + 32 + plen;
}

static size_t mk_udp(uint8_t *b, int v, size_t plen)
{
	size_t l4 = ip_hdr(b, v, IPPROTO_UDP, 8 + plen);
	uint8_t *u = b + l4;

	p16(u, 5000);
	p16(u + 2, 5001);
	p16(u + 4, (uint16_t)(8 + plen));
	p16(u + 6, 0);
	for (size_t i = 0; i < plen; i++)
		u[8 + i] = (uint8_t)(i * 13 + 1);
	return l4 + 8 + plen;
}

/* The vnet header the kernel would put on a super-packet. */
static struct virtio_net_hdr vh_gso(uint8_t type, size_t l4, size_t hlen,
				    uint16_t mss, bool tcp)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = type,
		.hdr_len = (uint16_t)hlen, .gso_size = mss,
		.csum_start = (uint16_t)l4, .csum_offset = tcp ? 16 : 6,
	};
	return vh;
}

static uint8_t sp[ESP_GSO_MAX], seg[64][CAP];
static size_t seglen[64];

/* Split sp; the number of segments. */
static size_t split(const struct virtio_net_hdr *vh, size_t len)
{
	struct esp_gso g;
	size_t n = 0, l;

	assert_int_equal(esp_gso_start(&g, vh, sp, len, CAP), 0);
	while ((l = esp_gso_next(&g, seg[n])) > 0) {
		seglen[n++] = l;
		assert_true(n < 64);
	}
	return n;
}

/* ---- tests ---- */

static void test_csum_reference(void **state)
{
	uint8_t buf[3000];

	(void)state;
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	/* every length up to 80 (each tail), and some long ones, with and
	 * without an initial sum, also at odd addresses */
	for (size_t n = 0; n < 3000; n = n < 80 ? n + 1 : n * 2 + 3) {
		for (size_t off = 0; off < 2; off++) {
			uint32_t init = (uint32_t)(n * 2654435761u) & 0x3ffff;

			assert_int_equal(esp_csum_add(buf + off, n, init),
					 ref_fold(ref_sum(buf + off, n, init)));
		}
	}
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(esp_csum_add(buf, 2999, 0xffff),
			 ref_fold(ref_sum(buf, 2999, 0xffff)));
}

/* ref_sum over any length: folded every 64 KB, so it cannot wrap. */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t k; n; p += k, n -= k) {
		k = n < 65536 ? n : 65536;
		s = ref_fold(ref_sum(p, k, s));
	}
	return ref_fold(s);
}

static uint8_t csrc[(2u << 20) + 4096], cdst[(2u << 20) + 4096];

/* One esp_csum_copy() against the reference and memcpy(): the sum, the
 * copy, and not a byte written outside dst[0..n). */
static void copy_one(size_t soff, size_t doff, size_t n, uint32_t init)
{
	uint16_t want = ref_csum(csrc + soff, n, init);

	memset(cdst, 0xa5, doff + n + 64);
	assert_int_equal(esp_csum_copy(cdst + doff, csrc + soff, n, init), want);
	assert_memory_equal(cdst + doff, csrc + soff, n);
	for (size_t i = 0; i < doff; i++)
		assert_int_equal(cdst[i], 0xa5);
	for (size_t i = doff + n; i < doff + n + 64; i++)
		assert_int_equal(cdst[i], 0xa5);
	assert_int_equal(esp_csum_add(csrc + soff, n, init), want);
}

/* The fused copy: every length to 200 (each tail of the 64-byte step
 * and of the 16-byte one), tails 0..17 after long runs, odd and even
 * source and destination addresses, with and without an initial sum. */
static void test_csum_copy(void **state)
{
	static const size_t bases[] = { 256, 1344, 1408, 4096, 65472 };

	(void)state;
	srand(11);
	for (size_t i = 0; i < sizeof(csrc); i++)
		csrc[i] = (uint8_t)rand();
	for (size_t n = 0; n <= 200; n++)
		for (size_t soff = 0; soff < 4; soff++)
			for (size_t doff = 0; doff < 4; doff++)
				copy_one(soff, doff, n, (uint32_t)(n * 40503u) & 0x3ffff);
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
		for (size_t t = 0; t <= 17; t++)
			for (size_t off = 0; off < 2; off++)
				copy_one(off, 1 - off, bases[b] + t, (uint32_t)t);
	/* beyond 2 MB: the vector lanes are emptied on the way (all ones
	 * fills them fastest) */
	copy_one(1, 2, (2u << 20) + 100, 0xffff);
	memset(csrc, 0xff, sizeof(csrc));
	copy_one(0, 0, (2u << 20) + 1001, 0xffff);
	copy_one(3, 1, (2u << 20) + 64, 0);
}

/* A sum taken on its own joins one of the bytes in front of it: at an
 * odd offset byte-swapped (esp_csum_at), as gso_fix() adds a segment's
 * payload to its header. */
static void test_csum_at(void **state)
{
	uint8_t all[1600];

	(void)state;
	srand(13);
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)rand();
	for (size_t h = 0; h < 12; h++) {
		for (size_t n = 0; n < 1400; n = n * 3 + 1 + h) {
			uint16_t tail = esp_csum_copy(cdst, all + h, n, 0);
			uint32_t init = (uint32_t)(h * 977);

			assert_int_equal(esp_csum_add(all, h, init + esp_csum_at(tail, h)),
					 ref_csum(all, h + n, init));
		}
	}
}

/* Random payloads split at odd and tiny MSS values (segments start at
 * odd addresses in the super-packet), odd totals: every segment's
 * checksums against the reference, every payload byte. */
static void test_split_random(void **state)
{
	static const uint16_t mss[] = { 1, 7, 63, 64, 65, 999, 1399, 1400, 1449 };

	(void)state;
	srand(17);
	for (int v = 4; v <= 6; v += 2) {
		for (size_t m = 0; m < sizeof(mss) / sizeof(mss[0]); m++) {
			size_t l4 = v == 4 ? 20 : 40, hlen = l4 + 32;
			size_t plen = 40u * mss[m] + 3;	/* 41 segments */
			size_t len = mk_tcp(sp, v, (uint32_t)rand(),
					    TCP_ACK | TCP_PSH, plen, 0);
			struct virtio_net_hdr vh = vh_gso(v == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
							  VIRTIO_NET_HDR_GSO_TCPV6, l4, hlen,
							  mss[m], true);
			size_t n, off = hlen;

			for (size_t i = hlen; i < len; i++)
				sp[i] = (uint8_t)rand();
			n = split(&vh, len);
			assert_int_equal(n, (plen + mss[m] - 1) / mss[m]);
			for (size_t i = 0; i < n; i++) {
				size_t pl = seglen[i] - hlen;

				assert_true(pl == mss[m] || i == n - 1);
				assert_memory_equal(seg[i] + hlen, sp + off, pl);
				assert_true(l4_ok(seg[i], l4, IPPROTO_TCP));
				if (v == 4)
					assert_true(ip4_ok(seg[i]));
				off += pl;
			}
			assert_int_equal(off, len);
			/* and UDP */
			len = mk_udp(sp, v, plen);
			for (size_t i = l4 + 8; i < len; i++)
				sp[i] = (uint8_t)rand();
			vh = vh_gso(VIRTIO_NET_HDR_GSO_UDP_L4, l4, l4 + 8, mss[m], false);
			n = split(&vh, len);
			for (size_t i = 0; i < n; i++) {
				assert_true(l4_ok(seg[i], l4, IPPROTO_UDP));
				if (v == 4)
					assert_true(ip4_ok(seg[i]));
			}
		}
	}
}

/* 5000 bytes at MSS 1400: 1400, 1400, 1400 and an 800-byte tail. */
static void tcp_split(int v)
{
	size_t l4 = v == 4 ? 20 : 40, hlen = l4 + 32;
	size_t len = mk_tcp(sp, v, 0xfffff000u, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR,
			    5000, 3);
	struct virtio_net_hdr vh = vh_gso(v == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					  VIRTIO_NET_HDR_GSO_TCPV6, l4, hlen, 1400, true);
	size_t n = split(&vh, len), off = 0;

	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = seg[i], *t = s + l4;
		size_t pl = i < 3 ? 1400 : 800;

		assert_int_equal(seglen[i], hlen + pl);
		if (v == 4) {
			assert_int_equal(g16(s + 2), hlen + pl);
			assert_int_equal(g16(s + 4), 0x1234 + i);
			assert_true(ip4_ok(s));
		} else {
			assert_int_equal(g16(s + 4), 32 + pl);
		}
		assert_int_equal(g32(t + 4), 0xfffff000u + (uint32_t)off);
		assert_int_equal(!!(t[13] & TCP_PSH), i == n - 1);
		assert_int_equal(!!(t[13] & TCP_FIN), i == n - 1);
		assert_int_equal(!!(t[13] & TCP_CWR), i == 0);
		assert_true(t[13] & TCP_ACK);
		assert_memory_equal(t + 20, sp + l4 + 20, 12);	/* options */
		assert_memory_equal(t + 32, sp + hlen + off, pl);
		assert_true(l4_ok(s, l4, IPPROTO_TCP));
		off += pl;
	}
}

static void test_tcp4_split(void **state)
{
	(void)state;
	tcp_split(4);
}

static void test_tcp6_split(void **state)
{
	(void)state;
	tcp_split(6);
}

static void udp_split(int v)
{
	size_t l4 = v == 4 ? 20 : 40;
	size_t len = mk_udp(sp, v, 3333);
	struct virtio_net_hdr vh = vh_gso(VIRTIO_NET_HDR_GSO_UDP_L4, l4, l4 + 8,
					  1200, false);
	size_t n = split(&vh, len);

	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		size_t pl = i < 2 ? 1200 : 933;

		assert_int_equal(seglen[i], l4 + 8 + pl);
		assert_int_equal(g16(seg[i] + l4 + 4), 8 + pl);
		assert_memory_equal(seg[i] + l4 + 8, sp + l4 + 8 + i * 1200, pl);
		assert_true(l4_ok(seg[i], l4, IPPROTO_UDP));
		if (v == 4)
			assert_true(ip4_ok(seg[i]));
	}
}

static void test_udp_split(void **state)
{
	(void)state;
	udp_split(4);
	udp_split(6);
}

/* A single packet: no GSO, the kernel left the checksum to us. */
static void test_needs_csum_plain(void **state)
{
	size_t len = mk_udp(sp, 4, 101);
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .csum_start = 20, .csum_offset = 6 };
	uint32_t ps = ref_sum(sp + 12, 8, 0) + IPPROTO_UDP + 8 + 101;

	(void)state;
	/* the field holds the pseudo-header sum, as CHECKSUM_PARTIAL */
	p16(sp + 26, ref_fold(ps));
	assert_false(l4_ok(sp, 20, IPPROTO_UDP));
	assert_int_equal(split(&vh, len), 1);
	assert_int_equal(seglen[0], len);
	assert_true(l4_ok(seg[0], 20, IPPROTO_UDP));
	/* and one without NEEDS_CSUM is passed on as it is */
	memset(&vh, 0, sizeof(vh));
	len = mk_tcp(sp, 6, 1, TCP_ACK, 77, 9);
	assert_int_equal(split(&vh, len), 1);
	assert_memory_equal(seg[0], sp, len);
}

static void expect_bad(const struct virtio_net_hdr *vh, size_t len, int err)
{
	struct esp_gso g;

	assert_int_equal(esp_gso_start(&g, vh, sp, len, CAP), err);
}

static void test_malformed(void **state)
{
	size_t len = mk_tcp(sp, 4, 1, TCP_ACK, 3000, 0);
	struct virtio_net_hdr ok = vh_gso(VIRTIO_NET_HDR_GSO_TCPV4, 20, 52, 1400, true);
	struct virtio_net_hdr vh;

	(void)state;
	vh = ok; vh.gso_size = 0;
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.hdr_len = (uint16_t)(len + 1);	/* beyond the packet */
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.hdr_len = 20;	/* a short hint: headers parsed anyway */
	assert_int_equal(split(&vh, len), 3);
	vh = ok; vh.csum_start = 24;
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.csum_offset = 6;
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.flags = 0;
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;	/* UFO */
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;	/* v4 packet */
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.gso_type = 9;
	expect_bad(&vh, len, -EINVAL);
	vh = ok; vh.gso_size = CAP;	/* a segment would not fit */
	expect_bad(&vh, len, -EMSGSIZE);
	expect_bad(&ok, len - 1, -EINVAL);	/* IP length > what was read */
	expect_bad(&ok, 30, -EINVAL);
	expect_bad(&ok, 0, -EINVAL);
	len = mk_tcp(sp, 4, 1, TCP_ACK, 8, 0);
	sp[32] = 0xf0;			/* TCP header of 60 bytes in 40 */
	expect_bad(&ok, len, -EINVAL);
	len = mk_tcp(sp, 4, 1, TCP_ACK, 3000, 0);
	sp[32] = 4 << 4;		/* data offset below 5 */
	expect_bad(&ok, len, -EINVAL);
	len = mk_tcp(sp, 4, 1, TCP_ACK, 3000, 0);
	sp[6] = 0x20;			/* MF: a fragment */
	expect_bad(&ok, len, -EINVAL);
	/* IPv6 with an extension header in front of TCP */
	len = mk_tcp(sp, 6, 1, TCP_ACK, 3000, 0);
	sp[6] = 0;
	vh = vh_gso(VIRTIO_NET_HDR_GSO_TCPV6, 40, 72, 1400, true);
	expect_bad(&vh, len, -EINVAL);
	/* no GSO: csum_start or the field beyond the packet */
	len = mk_udp(sp, 4, 10);
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = (uint16_t)len;
	expect_bad(&vh, len, -EINVAL);
	vh.csum_start = 20;
	vh.csum_offset = (uint16_t)(len - 21);
	expect_bad(&vh, len, -EINVAL);
	memset(&vh, 0, sizeof(vh));
	expect_bad(&vh, CAP + 1, -EMSGSIZE);
}

/* ---- coalescing ---- */

static uint8_t gbuf[ESP_VNET_LEN + ESP_GSO_MAX];

static void gro_init(struct esp_gro *it)
{
	memset(it, 0, sizeof(*it));
	it->gr_buf = gbuf;
}

/* Segments of a super-packet coalesce back into it, and its vnet header
 * splits it again into the same segments. */
static void gro_roundtrip(int v)
{
	size_t l4 = v == 4 ? 20 : 40, hlen = l4 + 32;
	size_t len = mk_tcp(sp, v, 77, TCP_ACK | TCP_PSH, 4100, 5), n, w, n2;
	struct virtio_net_hdr vh = vh_gso(v == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					  VIRTIO_NET_HDR_GSO_TCPV6, l4, hlen, 1300, true);
	static uint8_t first[4][CAP];
	size_t firstlen[4];
	struct esp_gro it;

	n = split(&vh, len);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		memcpy(first[i], seg[i], seglen[i]);
		firstlen[i] = seglen[i];
	}
	gro_init(&it);
	for (size_t i = 0; i < n; i++)
		assert_true(esp_gro_candidate(seg[i], seglen[i]));
	esp_gro_start(&it, seg[0], seglen[0]);
	for (size_t i = 1; i < n; i++)
		assert_true(esp_gro_append(&it, seg[i], seglen[i]));
	assert_true(it.gr_closed);	/* the PSH (and short) tail ends it */
	assert_false(esp_gro_append(&it, seg[1], seglen[1]));
	w = esp_gro_finish(&it);
	assert_int_equal(w, ESP_VNET_LEN + len);
	memcpy(&vh, gbuf, sizeof(vh));
	assert_int_equal(vh.gso_type, v == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					      VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_size, 1300);
	assert_int_equal(vh.csum_start, l4);
	assert_int_equal(vh.csum_offset, 16);
	assert_int_equal(vh.hdr_len, hlen);
	/* the payload and the flags of the original, PSH from the tail */
	assert_memory_equal(gbuf + ESP_VNET_LEN + hlen, sp + hlen, 4100);
	assert_int_equal(gbuf[ESP_VNET_LEN + l4 + 13], TCP_ACK | TCP_PSH);
	if (v == 4)
		assert_true(ip4_ok(gbuf + ESP_VNET_LEN));
	/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum */
	assert_int_equal(g16(gbuf + ESP_VNET_LEN + l4 + 16),
			 ref_fold(ref_sum(sp + (v == 4 ? 12 : 8), v == 4 ? 8 : 32, 0) +
				  IPPROTO_TCP + (uint32_t)(len - l4)));
	memcpy(sp, gbuf + ESP_VNET_LEN, len);
	n2 = split(&vh, len);
	assert_int_equal(n2, n);
	for (size_t i = 0; i < n; i++) {	/* byte for byte */
		assert_int_equal(seglen[i], firstlen[i]);
		assert_memory_equal(seg[i], first[i], seglen[i]);
	}
}

static void test_gro_roundtrip(void **state)
{
	(void)state;
	gro_roundtrip(4);
	gro_roundtrip(6);
}

static void test_gro_single_is_plain(void **state)
{
	size_t len = mk_tcp(sp, 4, 5, TCP_ACK, 100, 0);
	struct virtio_net_hdr vh;
	struct esp_gro it;

	(void)state;
	gro_init(&it);
	esp_gro_start(&it, sp, len);
	assert_int_equal(esp_gro_finish(&it), ESP_VNET_LEN + len);
	memcpy(&vh, gbuf, sizeof(vh));
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vh.flags, 0);
	assert_memory_equal(gbuf + ESP_VNET_LEN, sp, len);	/* untouched */
	assert_false(it.gr_used);
}

static void test_gro_refuses(void **state)
{
	static uint8_t a[CAP], b[CAP];
	size_t la = mk_tcp(a, 4, 1000, TCP_ACK, 1000, 0), lb;
	struct esp_gro it;
	const uint8_t bad_flags[] = { TCP_SYN | TCP_ACK, TCP_FIN | TCP_ACK,
				      TCP_RST | TCP_ACK, TCP_URG | TCP_ACK,
				      TCP_CWR | TCP_ACK, 0 };

	(void)state;
	gro_init(&it);
	esp_gro_start(&it, a, la);
	/* a gap */
	lb = mk_tcp(b, 4, 2001, TCP_ACK, 1000, 0);
	assert_false(esp_gro_append(&it, b, lb));
	/* another flow: source port, then address */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	p16(b + 20, 40001);
	assert_false(esp_gro_same_flow(&it, b, lb));
	assert_false(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	b[19] = 9;
	assert_false(esp_gro_same_flow(&it, b, lb));
	assert_false(esp_gro_append(&it, b, lb));
	/* another ACK, other options (timestamp), other TTL, TOS */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	b[20 + 11] ^= 1;
	assert_true(esp_gro_same_flow(&it, b, lb));
	assert_false(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	b[20 + 31] ^= 1;
	assert_false(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	b[8] = 63;
	assert_false(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	b[1] = 3;			/* ECN CE */
	assert_false(esp_gro_append(&it, b, lb));
	/* flags that end coalescing, and a pure ACK */
	for (size_t i = 0; i < sizeof(bad_flags); i++) {
		lb = mk_tcp(b, 4, 2000, bad_flags[i], 1000, 0);
		assert_false(esp_gro_candidate(b, lb));
		assert_false(esp_gro_append(&it, b, lb));
	}
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 0, 0);
	assert_false(esp_gro_candidate(b, lb));
	assert_true(esp_gro_same_flow(&it, b, lb));	/* flushes it first */
	/* a bad TCP checksum (v4 and v6): written on its own, as it came */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	assert_true(esp_gro_candidate(b, lb));
	b[lb - 1] ^= 0x40;
	assert_false(esp_gro_candidate(b, lb));
	assert_false(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 6, 2000, TCP_ACK, 1000, 0);
	assert_true(esp_gro_candidate(b, lb));
	b[60] ^= 1;
	assert_false(esp_gro_candidate(b, lb));
	/* larger than the first segment */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1001, 0);
	assert_false(esp_gro_append(&it, b, lb));
	/* IPv4 options are not coalesced */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	b[0] = 0x46;
	assert_false(esp_gro_candidate(b, lb));
	/* a trailing byte beyond the IP length (not exact) */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	assert_false(esp_gro_append(&it, b, lb + 1));
	/* the next one joins; a shorter one closes it */
	lb = mk_tcp(b, 4, 2000, TCP_ACK, 1000, 0);
	assert_true(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 4, 3000, TCP_ACK, 10, 0);
	assert_true(esp_gro_append(&it, b, lb));
	lb = mk_tcp(b, 4, 3010, TCP_ACK, 10, 0);
	assert_false(esp_gro_append(&it, b, lb));
	assert_int_equal(it.gr_nseg, 3);
	/* at most 64 KB */
	gro_init(&it);
	la = mk_tcp(a, 4, 0, TCP_ACK, 8000, 0);
	esp_gro_start(&it, a, la);
	for (uint32_t i = 1; i < 8; i++) {
		lb = mk_tcp(b, 4, i * 8000, TCP_ACK, 8000, 0);
		assert_true(esp_gro_append(&it, b, lb));
	}
	lb = mk_tcp(b, 4, 64000, TCP_ACK, 8000, 0);
	assert_false(esp_gro_append(&it, b, lb));
	assert_int_equal(it.gr_nseg, 8);
	assert_int_equal(esp_gro_finish(&it), ESP_VNET_LEN + 52 + 64000);
}

/* The datapath counts a malformed read as an "offload" drop. */
static void test_dp_counts_bad_vnet(void **state)
{
	struct esp_dp_conf c = { .natt_port = ESP_DP_EPHEMERAL, .tun_vnet = true };
	struct virtio_net_hdr vh = vh_gso(VIRTIO_NET_HDR_GSO_TCPV4, 20, 52, 0, true);
	struct esp_dp_stats st;
	struct esp_dp *dp;
	uint8_t pkt[ESP_VNET_LEN + 1500];
	size_t len = mk_tcp(sp, 4, 1, TCP_ACK, 1000, 0);
	int tun[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tun), 0);
	c.tun_fd = tun[0];
	assert_int_equal(esp_dp_new(NULL, &c, &dp), 0);
	memcpy(pkt, &vh, sizeof(vh));			/* gso_size 0 */
	memcpy(pkt + ESP_VNET_LEN, sp, len);
	assert_int_equal(write(tun[1], pkt, ESP_VNET_LEN + len), (ssize_t)(ESP_VNET_LEN + len));
	assert_int_equal(write(tun[1], pkt, 4), 4);	/* shorter than a header */
	vh.gso_size = 500;				/* fine, but no SA */
	memcpy(pkt, &vh, sizeof(vh));
	assert_int_equal(write(tun[1], pkt, ESP_VNET_LEN + len), (ssize_t)(ESP_VNET_LEN + len));
	assert_int_equal(esp_dp_poll_tun(dp), 3);
	esp_dp_stats(dp, &st);
	assert_int_equal(st.drops[ESP_DROP_OFFLOAD], 2);
	assert_int_equal(st.tun_gso, 1);
	assert_int_equal(st.drops[ESP_DROP_NOPOLICY], 2);	/* per segment */
	assert_string_equal(esp_drop_name(ESP_DROP_OFFLOAD), "offload");
	esp_dp_free(dp);
	close(tun[0]);
	close(tun[1]);
}

static void on_ike(void *arg, const struct sockaddr_storage *local,
		   const struct sockaddr_storage *remote,
		   const uint8_t *buf, size_t len)
{
	size_t *seen = arg;

	(void)local;
	(void)remote;
	(void)buf;
	*seen = len;
}

/*
 * UDP GRO: one read holding an IKE message (non-ESP marker), an ESP
 * packet and a keepalive of the same flow, as the kernel coalesces them
 * for a UDP_GRO socket (here: a UDP_SEGMENT send over loopback, which a
 * UDP_GRO socket receives unsplit).  Each goes its own way.
 */
static void test_udp_gro_demux(void **state)
{
	struct loop *l = loop_new();
	size_t ike_len = 0;
	struct esp_dp_conf c = { .natt_port = ESP_DP_EPHEMERAL, .tun_vnet = true,
				 .offload = true, .ike_rx = on_ike,
				 .ike_arg = &ike_len };
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t buf[201] = { 0 }, cb[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	uint16_t gso = 100;
	struct esp_dp_stats st;
	struct esp_dp *dp;
	int tun[2], fd;

	(void)state;
	assert_non_null(l);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tun), 0);
	c.tun_fd = tun[0];
	assert_int_equal(esp_dp_new(l, &c, &dp), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	to.sin_port = htons(esp_dp_natt_port(dp));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(buf + 4, 'i', 96);		/* [0, 100): marker + IKE */
	p32(buf + 100, 0x01020304);		/* [100, 200): ESP, no SA */
	buf[200] = 0xff;			/* [200]: keepalive */
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(gso));
	memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
	assert_int_equal(sendmsg(fd, &m, 0), (ssize_t)sizeof(buf));
	for (int i = 0; i < 50; i++) {
		esp_dp_stats(dp, &st);
		if (st.keepalives)
			break;
		loop_once(l, 100);
	}
	assert_int_equal(st.udp_gro, 1);
	assert_int_equal(st.keepalives, 1);
	assert_int_equal(st.drops[ESP_DROP_SPI], 1);
	assert_int_equal(st.ike_rx, 1);
	assert_int_equal(ike_len, 96);
	assert_int_equal(st.truncated, 0);
	close(fd);
	esp_dp_free(dp);
	loop_free(l);
	close(tun[0]);
	close(tun[1]);
}

/* Everything that opens a socket runs in a private network namespace. */
static int setup(void **state)
{
	struct nl *nl;

	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare: %s (needs root)\n", strerror(errno));
		return -1;
	}
	if (nl_open(&nl) || nl_link_up(nl, "lo", 0))
		return -1;
	nl_close(nl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_reference),
		cmocka_unit_test(test_csum_copy),
		cmocka_unit_test(test_csum_at),
		cmocka_unit_test(test_tcp4_split),
		cmocka_unit_test(test_tcp6_split),
		cmocka_unit_test(test_udp_split),
		cmocka_unit_test(test_split_random),
		cmocka_unit_test(test_needs_csum_plain),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_gro_roundtrip),
		cmocka_unit_test(test_gro_single_is_plain),
		cmocka_unit_test(test_gro_refuses),
		cmocka_unit_test(test_dp_counts_bad_vnet),
		cmocka_unit_test(test_udp_gro_demux),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
