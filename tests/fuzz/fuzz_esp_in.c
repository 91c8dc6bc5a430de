/*
 * libFuzzer target for inbound ESP after the SPI lookup: esp_decap()
 * (node/esp/esp_pkt.c: replay check, ICV and decryption, padding, next
 * header, inner packet, traffic selectors), structure-aware; and the TUN
 * offload helpers (node/esp/gso.c, gro.c).
 *
 * Input: [cfg u8] then packets [op u8][seq u64 BE][len u16 BE][body].
 * cfg picks one Child SA, fresh per input (keys fixed here):
 *   bits 0-1 suite: AES-256-GCM-16, AES-256-CBC + HMAC-SHA2-256-128,
 *            ChaCha20-Poly1305, AES-128-CBC + HMAC-SHA1-96
 *   bit 2 ESN, bit 3 transport mode, bit 4 a 32-packet replay window,
 *   bit 5 the inbound counter starts at 2^32 - 16 (ESN wrap)
 * op & 3 says what body is:
 *   0  the plaintext, trailer included (zero-extended to the cipher's
 *      alignment), sealed with the SA's inbound keys at seq
 *   1  an inner packet: correct padding (op >> 4 extra blocks), pad
 *      length and next header (4/41 from the IP version; with op bit 2
 *      the byte body[0] instead) are appended, then sealed
 *   2  a raw ESP packet, unencrypted (the SA's SPI written over its
 *      first bytes): the ICV must fail, never anything after it
 *   3  [virtio_net_hdr 10][packet]: esp_gso_start/next into segments of
 *      at most (seq & 0xffff) + 68 bytes, then the TCP segments through
 *      esp_gro_start/append/finish
 * Oracles: a drop has exactly one reason and its counter; a correctly
 * sealed packet never fails its ICV (without ESN, where the receiver
 * cannot guess another high half); no sequence number is accepted twice,
 * and REPLAY only for one that was authenticated before; what comes out
 * is the sealed inner packet (tunnel) or it behind the rebuilt header
 * (transport).  GSO segments fit the cap, carry valid IPv4 header and
 * L4 checksums and, in order, the super-packet's payload; when GRO takes
 * every TCP segment back, it rebuilds that payload and a vnet header
 * esp_gso_start() accepts.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "hike/cursor.h"
#include "hike/ikev2.h"
#include "esp/esp.h"
#include "esp/esp_crypto.h"
#include "esp/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(x) do { if (!(x)) { \
	fprintf(stderr, "fuzz_esp_in: %s:%d: %s\n", __FILE__, __LINE__, #x); \
	abort(); } } while (0)

#define FE_MAX_PKTS	32
#define FE_BUF		(ESP_GSO_MAX + 512)
#define FE_SPI_IN	0xc0ffee01u
#define FE_SEQ_IN	0xfffffff0u	/* cfg bit 5: a synced window */

struct suite {
	uint16_t encr, bits, integ;
};

static const struct suite suites[4] = {
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128 },
	{ IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96 },
};

static const uint8_t ekey_in[36] = "inbound encryption key and a salt!!";
static const uint8_t ekey_out[36] = "outbound encryption key + its salt!";
static const uint8_t akey_in[64] = "inbound integrity key, as long as SHA2-512 would need.........";
static const uint8_t akey_out[64] = "outbound integrity key, as long as SHA2-512 would need........";

/* The peer's outbound crypto for our inbound SA, one per suite. */
static struct esp_crypto *sealer[4];

static void ts4(struct esp_ts *t, const char *lo, const char *hi,
		uint8_t proto, uint16_t plo, uint16_t phi)
{
	memset(t, 0, sizeof(*t));
	t->ts_family = AF_INET;
	t->ts_proto = proto;
	t->ts_port_lo = plo;
	t->ts_port_hi = phi;
	inet_pton(AF_INET, lo, t->ts_start);
	inet_pton(AF_INET, hi, t->ts_end);
}

static void ts6(struct esp_ts *t, const char *lo, const char *hi)
{
	memset(t, 0, sizeof(*t));
	t->ts_family = AF_INET6;
	t->ts_port_hi = 0xffff;
	inet_pton(AF_INET6, lo, t->ts_start);
	inet_pton(AF_INET6, hi, t->ts_end);
}

static void addr4(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(4500);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static void alg_of(const struct suite *s, struct esp_alg *a)
{
	FZ_CHECK(esp_alg_get(s->encr, s->bits, s->integ, a) == 0);
}

static struct esp_sa *sa_new(uint8_t cfg)
{
	const struct suite *s = &suites[cfg & 3];
	struct esp_sa_params p = { 0 };
	struct esp_alg a;
	struct esp_sa *sa;

	alg_of(s, &a);
	p.spi_in = FE_SPI_IN;
	p.spi_out = 0xc0ffee02u;
	p.encr = s->encr;
	p.encr_keylen = s->bits;
	p.integ = s->integ;
	p.esn = cfg & 4;
	p.mode = cfg & 8 ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
	p.encap = true;
	addr4(&p.local, "192.0.2.10");
	addr4(&p.remote, "192.0.2.50");
	p.ekey_in = ekey_in;
	p.ekey_out = ekey_out;
	p.akey_in = akey_in;
	p.akey_out = akey_out;
	p.ekey_len = a.ekey_len;
	p.akey_len = a.akey_len;
	/* inbound: src in remote, dst in local (transport: the outer pair) */
	ts4(&p.local_ts[0], "203.0.113.0", "203.0.113.127", 0, 0, 0xffff);
	ts4(&p.local_ts[1], "192.0.2.10", "192.0.2.10", 0, 0, 0xffff);
	ts6(&p.local_ts[2], "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff");
	p.nlocal_ts = 3;
	ts4(&p.remote_ts[0], "203.0.113.128", "203.0.113.255", 0, 0, 0xffff);
	ts4(&p.remote_ts[1], "192.0.2.50", "192.0.2.50", 0, 0, 0xffff);
	ts4(&p.remote_ts[2], "198.51.100.0", "198.51.100.255", IPPROTO_UDP, 53, 53);
	ts6(&p.remote_ts[3], "2001:db8:2::", "2001:db8:2:ffff:ffff:ffff:ffff:ffff");
	p.nremote_ts = 4;
	p.replay_window = cfg & 16 ? 32 : 0;
	p.seq_in = cfg & 32 ? FE_SEQ_IN : 0;
	FZ_CHECK(esp_sa_new(&p, &sa) == 0);
	return sa;
}

/* ------------------------------------------------------ inbound ESP */

struct seen {
	uint64_t seq[FE_MAX_PKTS];
	size_t n;
};

static bool seen_has(const struct seen *s, uint64_t seq)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->seq[i] == seq)
			return true;
	return false;
}

/* Did the packet get past its ICV? */
static bool authenticated(int rc, enum esp_drop why)
{
	return rc == 0 || why == ESP_DROP_PAD || why == ESP_DROP_PROTO ||
	       why == ESP_DROP_DUMMY || why == ESP_DROP_TS;
}

/* One esp_decap with the checks every outcome must pass. */
static int decap(struct esp_sa *sa, const uint8_t *pkt, size_t len,
		 uint8_t *out, size_t cap, size_t *olen, enum esp_drop *why)
{
	struct esp_stats before = sa->sa_st;
	int rc = esp_decap(sa, pkt, len, out, cap, olen, why);

	FZ_CHECK((rc == 0) == (*why == ESP_DROP_NONE));
	FZ_CHECK(*why < ESP_DROP_MAX);
	if (rc) {
		FZ_CHECK(sa->sa_st.drops[*why] == before.drops[*why] + 1);
		FZ_CHECK(sa->sa_st.in_packets == before.in_packets);
	} else {
		FZ_CHECK(*olen <= cap);
		FZ_CHECK(sa->sa_st.in_packets == before.in_packets + 1);
	}
	return rc;
}

/* The plaintext for op: body as is (op 0) or with a trailer (op 1). */
static size_t plaintext(uint8_t op, const uint8_t *body, size_t len,
			const struct esp_alg *a, uint8_t *pt)
{
	size_t n = len, pad;
	uint8_t nh;

	memcpy(pt, body, len);
	if ((op & 3) == 0) {
		while (n % a->align)
			pt[n++] = 0;
		return n;
	}
	nh = (op & 4) && len ? body[0] : len && body[0] >> 4 == 6 ?
	     ESP_NH_IPV6 : ESP_NH_IPV4;
	/* at most 15 + 15 * 16 = 255 */
	pad = (a->align - (len + 2) % a->align) % a->align +
	      (size_t)(op >> 4) * a->align;
	for (size_t i = 1; i <= pad; i++)
		pt[n++] = (uint8_t)i;
	pt[n++] = (uint8_t)pad;
	pt[n++] = nh;
	return n;
}

static void sealed(struct esp_sa *sa, uint8_t cfg, uint8_t op, uint64_t seq,
		   const uint8_t *body, size_t len, struct seen *acc)
{
	static uint8_t pkt[FE_BUF], out[FE_BUF], pt[FE_BUF];
	const struct suite *s = &suites[cfg & 3];
	bool esn = cfg & 4, transport = cfg & 8;
	struct esp_alg a;
	size_t ct_len, total, olen = 0, hl = transport ? 20 : 0;
	uint64_t full = esn ? seq : (uint32_t)seq;
	enum esp_drop why;
	int rc;

	alg_of(s, &a);
	ct_len = plaintext(op, body, len, &a, pt);
	total = ESP_HDR_LEN + a.iv_len + ct_len + a.icv_len;
	if (ct_len == 0 || total > sizeof(pkt))
		return;
	pkt[0] = FE_SPI_IN >> 24;
	pkt[1] = (uint8_t)(FE_SPI_IN >> 16);
	pkt[2] = (uint8_t)(FE_SPI_IN >> 8);
	pkt[3] = (uint8_t)FE_SPI_IN;
	for (int i = 0; i < 4; i++)
		pkt[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	memcpy(pkt + ESP_HDR_LEN + a.iv_len, pt, ct_len);
	FZ_CHECK(esp_crypto_seal(sealer[cfg & 3], pkt, ct_len, seq, esn) == 0);
	rc = decap(sa, pkt, total, out, sizeof(out), &olen, &why);
	if (!esn) {
		/* nothing for the receiver to guess: the ICV is good */
		FZ_CHECK(why != ESP_DROP_ICV && why != ESP_DROP_CRYPTO);
		/* a window synced at start counts all below as received */
		FZ_CHECK(why != ESP_DROP_REPLAY || seen_has(acc, full) ||
			 ((cfg & 32) && full <= FE_SEQ_IN));
	}
	if (!authenticated(rc, why))
		return;
	/* authenticated, so the receiver saw this very number */
	FZ_CHECK(!seen_has(acc, full));
	FZ_CHECK(acc->n < FE_MAX_PKTS);
	acc->seq[acc->n++] = full;
	if (rc)
		return;
	FZ_CHECK(olen >= hl && olen - hl <= ct_len - 2);
	FZ_CHECK(!memcmp(out + hl, pt, olen - hl));
}

static void raw(struct esp_sa *sa, const uint8_t *body, size_t len)
{
	static uint8_t pkt[FE_BUF], out[FE_BUF];
	enum esp_drop why;
	size_t olen;

	memcpy(pkt, body, len);
	for (size_t i = 0; i < 4 && i < len; i++)
		pkt[i] = (uint8_t)(FE_SPI_IN >> (24 - 8 * i));
	FZ_CHECK(decap(sa, pkt, len, out, sizeof(out), &olen, &why) != 0);
	FZ_CHECK(!authenticated(-1, why));
}

/* ------------------------------------------------------- offloads */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Every segment: an IP packet of its own length with good checksums. */
static void check_segment(const uint8_t *p, size_t n, uint8_t proto)
{
	size_t l4;

	FZ_CHECK(n >= 20);
	if (p[0] >> 4 == 4) {
		l4 = (size_t)(p[0] & 15) * 4;
		FZ_CHECK(get16(p + 2) == n);
		FZ_CHECK(esp_csum_add(p, l4, 0) == 0xffff);
	} else {
		l4 = 40;
		FZ_CHECK(get16(p + 4) + 40u == n);
	}
	FZ_CHECK(esp_csum_add(p + l4, n - l4,
			      esp_csum_pseudo(p, proto, n - l4)) == 0xffff);
}

static void offload(uint64_t seq, const uint8_t *body, size_t len)
{
	static uint8_t pkt[FE_BUF], orig[FE_BUF], seg[FE_BUF], payload[FE_BUF];
	static uint8_t gro_buf[ESP_VNET_LEN + ESP_GSO_MAX];
	struct esp_gro gro = { .gr_buf = gro_buf };
	struct virtio_net_hdr vh, vh2;
	struct esp_gso g, g2;
	size_t cap = (seq & 0xffff) + 68, n, plen = 0, nseg = 0, ntaken = 0;
	bool gso;

	if (len < ESP_VNET_LEN || len - ESP_VNET_LEN > ESP_GSO_MAX + 40)
		return;
	memcpy(&vh, body, sizeof(vh));
	len -= ESP_VNET_LEN;
	memcpy(pkt, body + ESP_VNET_LEN, len);
	if (esp_gso_start(&g, &vh, pkt, len, cap))
		return;
	memcpy(orig, pkt, len);		/* after a completed checksum */
	gso = g.gs_proto != 0;
	while ((n = esp_gso_next(&g, seg)) > 0) {
		FZ_CHECK(n <= cap && ++nseg <= ESP_GSO_MAX);
		if (!gso) {
			FZ_CHECK(n == len && !memcmp(seg, orig, n));
			continue;
		}
		FZ_CHECK(n >= g.gs_hlen);
		check_segment(seg, n, g.gs_proto);
		memcpy(payload + plen, seg + g.gs_hlen, n - g.gs_hlen);
		plen += n - g.gs_hlen;
		/* decrypted segments of one flow, in order: coalesce */
		if (!esp_gro_candidate(seg, n))
			continue;
		if (gro.gr_used && esp_gro_append(&gro, seg, n)) {
			ntaken++;
		} else if (!gro.gr_used) {
			esp_gro_start(&gro, seg, n);
			ntaken++;
		}
	}
	if (!gso)
		return;
	FZ_CHECK(plen == g.gs_end - g.gs_hlen);
	FZ_CHECK(!memcmp(payload, orig + g.gs_hlen, plen));
	if (!gro.gr_used)
		return;
	if (ntaken == nseg) {
		/* all of it back: the same payload */
		FZ_CHECK(gro.gr_len == gro.gr_hlen + plen);
		FZ_CHECK(!memcmp(gro_buf + ESP_VNET_LEN + gro.gr_hlen, payload,
				 plen));
	}
	n = esp_gro_finish(&gro);
	FZ_CHECK(n <= sizeof(gro_buf) && !gro.gr_used);
	memcpy(&vh2, gro_buf, sizeof(vh2));
	if (vh2.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		FZ_CHECK(esp_gso_start(&g2, &vh2, gro_buf + ESP_VNET_LEN,
				       n - ESP_VNET_LEN, ESP_GSO_MAX) == 0);
}

/* ------------------------------------------------- the fuzz target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = rd_init(data, size);
	struct seen acc = { .n = 0 };
	struct esp_sa *sa;
	const uint8_t *body;
	uint8_t cfg, op;
	uint64_t seq;
	uint16_t len;
	int n = 0;

	if (!sealer[0]) {
		for (int i = 0; i < 4; i++) {
			struct esp_alg a;

			alg_of(&suites[i], &a);
			FZ_CHECK(esp_crypto_new(suites[i].encr, suites[i].bits,
						suites[i].integ, true, ekey_in,
						a.ekey_len, akey_in, a.akey_len,
						&sealer[i]) == 0);
		}
	}
	if (!rd_u8(&r, &cfg))
		return 0;
	sa = sa_new(cfg);
	while (n++ < FE_MAX_PKTS && rd_u8(&r, &op) && rd_u64(&r, &seq) &&
	       rd_u16(&r, &len) && rd_ptr(&r, &body, len)) {
		switch (op & 3) {
		case 0:
		case 1:
			sealed(sa, cfg, op, seq, body, len, &acc);
			break;
		case 2:
			raw(sa, body, len);
			break;
		default:
			offload(seq, body, len);
			break;
		}
	}
	esp_sa_free(sa);
	return 0;
}
