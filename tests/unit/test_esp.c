/*
 * ESP encap/decap (RFC 4303) for every suite the datapath carries:
 * a published known-answer packet, round trips, and each drop reason.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "hike/ikev2.h"
#include "esp/esp.h"
#include "esp/esp_crypto.h"

struct suite { uint16_t encr, bits, integ; const char *name; };

static const struct suite suites[] = {
	{ IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, "aes128gcm16" },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, "aes256gcm16" },
	{ IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE, "chacha20poly1305" },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, "aes128-sha1" },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA1_96, "aes256-sha1" },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, "aes128-sha256" },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, "aes256-sha384" },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, "aes256-sha512" },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static void ts4(struct esp_ts *ts, const char *lo, const char *hi)
{
	memset(ts, 0, sizeof(*ts));
	ts->ts_family = AF_INET;
	ts->ts_port_hi = 0xffff;
	inet_pton(AF_INET, lo, ts->ts_start);
	inet_pton(AF_INET, hi, ts->ts_end);
}

static void addr4(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, a, &sin->sin_addr);
}

/* Keys: ours ("i" direction in 0x11.., "r" in 0x22..); the peer gets the
 * mirror image, so a packet from one decaps on the other. */
static uint8_t ek_i[ESP_KEY_MAX], ek_r[ESP_KEY_MAX];
static uint8_t ak_i[ESP_KEY_MAX], ak_r[ESP_KEY_MAX];

static void params(struct esp_sa_params *p, const struct suite *s, bool esn,
		   bool peer)
{
	struct esp_alg a;

	assert_int_equal(esp_alg_get(s->encr, s->bits, s->integ, &a), 0);
	memset(ek_i, 0x11, sizeof(ek_i));
	memset(ek_r, 0x22, sizeof(ek_r));
	memset(ak_i, 0x33, sizeof(ak_i));
	memset(ak_r, 0x44, sizeof(ak_r));
	memset(p, 0, sizeof(*p));
	p->spi_in = peer ? 0xc0000002 : 0xc0000001;
	p->spi_out = peer ? 0xc0000001 : 0xc0000002;
	p->encr = s->encr;
	p->encr_keylen = s->bits;
	p->integ = s->integ;
	p->esn = esn;
	p->encap = true;
	p->ekey_in = peer ? ek_r : ek_i;
	p->ekey_out = peer ? ek_i : ek_r;
	p->akey_in = peer ? ak_r : ak_i;
	p->akey_out = peer ? ak_i : ak_r;
	p->ekey_len = a.ekey_len;
	p->akey_len = a.akey_len;
	p->nlocal_ts = p->nremote_ts = 1;
	/* gateway side protects 203.0.113.0/25, the peer 203.0.113.128/25 */
	ts4(&p->local_ts[0], peer ? "203.0.113.128" : "203.0.113.0",
	    peer ? "203.0.113.255" : "203.0.113.127");
	ts4(&p->remote_ts[0], peer ? "203.0.113.0" : "203.0.113.128",
	    peer ? "203.0.113.127" : "203.0.113.255");
	addr4(&p->local, peer ? "192.0.2.50" : "192.0.2.10", 4500);
	addr4(&p->remote, peer ? "192.0.2.10" : "192.0.2.50", 4500);
	p->replay_window = 64;
}

static struct esp_sa *mk(const struct suite *s, bool esn, bool peer)
{
	struct esp_sa_params p;
	struct esp_sa *sa;

	params(&p, s, esn, peer);
	assert_int_equal(esp_sa_new(&p, &sa), 0);
	return sa;
}

/* An IPv4/UDP packet of len bytes from src to dst (checksums zero: the
 * datapath does not look at them). */
static size_t ip4_udp(uint8_t *b, size_t len, const char *src,
		      const char *dst, uint16_t dport)
{
	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	b[20] = 0x30, b[21] = 0x39;
	b[22] = (uint8_t)(dport >> 8), b[23] = (uint8_t)dport;
	b[24] = (uint8_t)((len - 20) >> 8), b[25] = (uint8_t)(len - 20);
	for (size_t i = 28; i < len; i++)
		b[i] = (uint8_t)(i * 7);
	return len;
}

static void test_suite_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSUITES; i++)
		assert_int_equal(esp_suite_check(suites[i].encr, suites[i].bits,
						 suites[i].integ), 0);
	assert_int_equal(esp_suite_check(IKE_ENCR_AES_GCM_16, 128,
					 IKE_INTEG_HMAC_SHA1_96), -ENOTSUP);
	assert_int_equal(esp_suite_check(IKE_ENCR_AES_CBC, 128,
					 IKE_INTEG_NONE), -ENOTSUP);
	assert_int_equal(esp_suite_check(IKE_ENCR_3DES, 192,
					 IKE_INTEG_HMAC_SHA1_96), -ENOTSUP);
	assert_int_equal(esp_suite_check(IKE_ENCR_AES_GCM_16, 100,
					 IKE_INTEG_NONE), -ENOTSUP);
}

/*
 * draft-mcgrew-gcm-test-01 (Test Cases for GCM and GMAC in IPsec ESP),
 * test case 2: AES-128-GCM, 64-bit ESN 0x87654321_00000000, SPI 0x4321,
 * IV 4956ed7e3b244cfe.  Its plaintext ends "01 02 | 02 | 01": two bytes
 * of padding and next header 1 (ICMP), so we take it as a transport
 * mode packet; decap rebuilds an IPv4 header in front of the 68 payload
 * bytes.  This checks nonce = salt | IV, the ESN AAD of RFC 4106 5 and
 * the high-half inference of RFC 4303 A2 on a real packet.
 */
static const uint8_t kat2_key[20] = {
	0x4c, 0x80, 0xcd, 0xef, 0xbb, 0x5d, 0x10, 0xda,
	0x90, 0x6a, 0xc7, 0x3c, 0x36, 0x13, 0xa6, 0x34,
	0x2e, 0x44, 0x3b, 0x68,
};
static const uint8_t kat2_pt[72] = {
	0x45, 0x00, 0x00, 0x48, 0x69, 0x9a, 0x00, 0x00,
	0x80, 0x11, 0x4d, 0xb7, 0xc0, 0xa8, 0x01, 0x02,
	0xc0, 0xa8, 0x01, 0x01, 0x0a, 0x9b, 0xf1, 0x56,
	0x38, 0xd3, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x5f, 0x73, 0x69,
	0x70, 0x04, 0x5f, 0x75, 0x64, 0x70, 0x03, 0x73,
	0x69, 0x70, 0x09, 0x63, 0x79, 0x62, 0x65, 0x72,
	0x63, 0x69, 0x74, 0x79, 0x02, 0x64, 0x6b, 0x00,
	0x00, 0x21, 0x00, 0x01, 0x01, 0x02, 0x02, 0x01,
};
static const uint8_t kat2_pkt[8 + 8 + 88] = {
	0x00, 0x00, 0x43, 0x21, 0x00, 0x00, 0x00, 0x00,	/* SPI, seq lo */
	0x49, 0x56, 0xed, 0x7e, 0x3b, 0x24, 0x4c, 0xfe,	/* IV */
	0xfe, 0xcf, 0x53, 0x7e, 0x72, 0x9d, 0x5b, 0x07,
	0xdc, 0x30, 0xdf, 0x52, 0x8d, 0xd2, 0x2b, 0x76,
	0x8d, 0x1b, 0x98, 0x73, 0x66, 0x96, 0xa6, 0xfd,
	0x34, 0x85, 0x09, 0xfa, 0x13, 0xce, 0xac, 0x34,
	0xcf, 0xa2, 0x43, 0x6f, 0x14, 0xa3, 0xf3, 0xcf,
	0x65, 0x92, 0x5b, 0xf1, 0xf4, 0xa1, 0x3c, 0x5d,
	0x15, 0xb2, 0x1e, 0x18, 0x84, 0xf5, 0xff, 0x62,
	0x47, 0xae, 0xab, 0xb7, 0x86, 0xb9, 0x3b, 0xce,
	0x61, 0xbc, 0x17, 0xd7, 0x68, 0xfd, 0x97, 0x32,
	0x45, 0x90, 0x18, 0x14, 0x8f, 0x6c, 0xbe, 0x72,	/* ICV */
	0x2f, 0xd0, 0x47, 0x96, 0x56, 0x2d, 0xfd, 0xb4,
};

static void kat2_params(struct esp_sa_params *p)
{
	static const struct suite s = { IKE_ENCR_AES_GCM_16, 128, 0, "" };

	params(p, &s, true, false);
	p->spi_in = 0x4321;
	p->ekey_in = kat2_key;
	p->mode = ESP_MODE_TRANSPORT;
	ts4(&p->local_ts[0], "192.0.2.10", "192.0.2.10");
	ts4(&p->remote_ts[0], "192.0.2.50", "192.0.2.50");
	/* the window sits just below 0x87654321_00000000 */
	p->seq_in = (UINT64_C(0x87654321) << 32) - 1;
}

static void test_kat_gcm_esn(void **state)
{
	struct esp_sa_params p;
	struct esp_sa *sa;
	uint8_t out[256];
	size_t olen = 0;
	enum esp_drop why;
	uint64_t o, in;

	(void)state;
	kat2_params(&p);
	assert_int_equal(esp_sa_new(&p, &sa), 0);
	assert_int_equal(esp_decap(sa, kat2_pkt, sizeof(kat2_pkt), out,
				   sizeof(out), &olen, &why), 0);
	assert_int_equal(why, ESP_DROP_NONE);
	assert_int_equal(olen, 20 + 68);
	assert_int_equal(out[9], 1);			/* next header */
	assert_memory_equal(out + 20, kat2_pt, 68);
	esp_sa_counters(sa, &o, &in);
	assert_int_equal(in, UINT64_C(0x87654321) << 32);
	/* the same packet again is a replay */
	assert_int_equal(esp_decap(sa, kat2_pkt, sizeof(kat2_pkt), out,
				   sizeof(out), &olen, &why), -EALREADY);
	assert_int_equal(why, ESP_DROP_REPLAY);
	esp_sa_free(sa);

	/* with the window elsewhere the inferred high half differs, the
	 * AAD differs, and the ICV fails */
	kat2_params(&p);
	p.seq_in = (UINT64_C(0x87654322) << 32) + 1000;
	assert_int_equal(esp_sa_new(&p, &sa), 0);
	assert_int_equal(esp_decap(sa, kat2_pkt, sizeof(kat2_pkt), out,
				   sizeof(out), &olen, &why), -EBADMSG);
	assert_int_equal(why, ESP_DROP_ICV);
	assert_int_equal(sa->sa_st.drops[ESP_DROP_ICV], 1);
	/* and a failed ICV did not move the window */
	esp_sa_counters(sa, &o, &in);
	assert_int_equal(in, (UINT64_C(0x87654322) << 32) + 1000);
	esp_sa_free(sa);
}

/* The outbound construction, checked against EVP directly: explicit IV
 * = 64-bit seq, nonce = salt | IV, AAD = SPI | seq (RFC 4106 3-5). */
static void test_gcm_seqiv_construction(void **state)
{
	static const struct suite s = { IKE_ENCR_AES_GCM_16, 128, 0, "" };
	struct esp_sa *sa = mk(&s, false, false);
	uint8_t in[100], pkt[256], nonce[12], pt[256], aad[8];
	size_t plen = ip4_udp(in, sizeof(in), "203.0.113.5", "203.0.113.200", 53);
	size_t olen;
	enum esp_drop why;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	(void)state;
	sa->sa_seq_out = 0x1233;
	assert_int_equal(esp_encap(sa, in, plen, pkt, sizeof(pkt), &olen, &why), 0);
	/* 100 + 2 -> padded to 104 */
	assert_int_equal(olen, 8 + 8 + 104 + 16);
	assert_memory_equal(pkt, "\xc0\x00\x00\x02\x00\x00\x12\x34", 8);
	assert_memory_equal(pkt + 8, "\x00\x00\x00\x00\x00\x00\x12\x34", 8);
	memcpy(nonce, ek_r + 16, 4);
	memcpy(nonce + 4, pkt + 8, 8);
	memcpy(aad, pkt, 8);
	assert_true(EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, ek_r, nonce));
	assert_true(EVP_DecryptUpdate(c, NULL, &n, aad, 8));
	assert_true(EVP_DecryptUpdate(c, pt, &n, pkt + 16, 104));
	assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, pkt + 120));
	assert_true(EVP_DecryptFinal_ex(c, pt + 104, &n) > 0);
	EVP_CIPHER_CTX_free(c);
	assert_memory_equal(pt, in, 100);
	assert_memory_equal(pt + 100, "\x01\x02\x02\x04", 4);
	esp_sa_free(sa);
}

static void roundtrip(const struct suite *s, bool esn)
{
	struct esp_sa *gw = mk(s, esn, false), *peer = mk(s, esn, true);
	uint8_t in[1500], pkt[1600], out[1600];
	size_t lens[] = { 28, 29, 30, 31, 60, 61, 1400, 1500 };
	size_t olen, dlen;
	enum esp_drop why;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = ip4_udp(in, lens[i], "203.0.113.5", "203.0.113.200", 53);

		assert_int_equal(esp_encap(gw, in, n, pkt, sizeof(pkt), &olen, &why), 0);
		assert_true(olen <= n + ESP_MAX_OVERHEAD);
		assert_int_equal(esp_decap(peer, pkt, olen, out, sizeof(out), &dlen, &why), 0);
		assert_int_equal(dlen, n);
		assert_memory_equal(out, in, n);
		/* and back */
		n = ip4_udp(in, lens[i], "203.0.113.201", "203.0.113.6", 80);
		assert_int_equal(esp_encap(peer, in, n, pkt, sizeof(pkt), &olen, &why), 0);
		assert_int_equal(esp_decap(gw, pkt, olen, out, sizeof(out), &dlen, &why), 0);
		assert_int_equal(dlen, n);
		assert_memory_equal(out, in, n);
	}
	assert_int_equal(gw->sa_st.out_packets, 8);
	assert_int_equal(gw->sa_st.in_packets, 8);
	assert_int_equal(peer->sa_seq_out, 8);
	esp_sa_free(gw);
	esp_sa_free(peer);
}

static void test_roundtrip_all_suites(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSUITES; i++) {
		roundtrip(&suites[i], false);
		roundtrip(&suites[i], true);
	}
}

/* Encap one packet from the side sa protects to the other side. */
static size_t one(struct esp_sa *sa, uint8_t *pkt, size_t cap)
{
	bool peer = sa->sa_spi_in == 0xc0000002;
	uint8_t in[200];
	size_t n = ip4_udp(in, sizeof(in), peer ? "203.0.113.200" : "203.0.113.5",
			   peer ? "203.0.113.5" : "203.0.113.200", 53);
	size_t olen = 0;
	enum esp_drop why;

	assert_int_equal(esp_encap(sa, in, n, pkt, cap, &olen, &why), 0);
	return olen;
}

/* RFC 3602 3: every CBC packet gets a fresh unpredictable IV, also
 * across the refills of the IV pool (32 IVs of 16 bytes each). */
static void test_cbc_ivs_distinct(void **state)
{
	static uint8_t ivs[100][16];

	(void)state;
	for (size_t k = 0; k < NSUITES; k++) {
		struct esp_sa *gw;
		uint8_t pkt[400];

		if (suites[k].encr != IKE_ENCR_AES_CBC)
			continue;
		gw = mk(&suites[k], false, false);
		for (size_t i = 0; i < 100; i++) {
			assert_true(one(gw, pkt, sizeof(pkt)) > ESP_HDR_LEN + 16);
			memcpy(ivs[i], pkt + ESP_HDR_LEN, 16);
			for (size_t j = 0; j < i; j++)
				assert_memory_not_equal(ivs[i], ivs[j], 16);
		}
		esp_sa_free(gw);
	}
}

static void test_tamper_every_byte(void **state)
{
	(void)state;
	for (size_t k = 0; k < NSUITES; k++) {
		struct esp_sa *gw = mk(&suites[k], false, false);
		struct esp_sa *peer = mk(&suites[k], false, true);
		uint8_t pkt[400], out[400];
		size_t n = one(gw, pkt, sizeof(pkt)), dlen;
		enum esp_drop why;

		/* past the SPI and seq, any flipped bit fails the ICV;
		 * the window never moves */
		for (size_t i = 8; i < n; i++) {
			pkt[i] ^= 0x40;
			assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out),
						   &dlen, &why), -EBADMSG);
			assert_int_equal(why, ESP_DROP_ICV);
			pkt[i] ^= 0x40;
		}
		pkt[7] ^= 1;	/* seq 1 -> 0: refused before any crypto */
		assert_int_not_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), 0);
		assert_int_equal(why, ESP_DROP_SEQ);
		pkt[7] ^= 1;
		pkt[3] ^= 1;
		assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), -ENOENT);
		assert_int_equal(why, ESP_DROP_SPI);
		pkt[3] ^= 1;
		assert_int_equal(esp_decap(peer, pkt, n - 1, out, sizeof(out), &dlen, &why), -EINVAL);
		assert_int_equal(why, ESP_DROP_SHORT);
		assert_int_equal(esp_decap(peer, pkt, 12, out, sizeof(out), &dlen, &why), -EINVAL);
		assert_int_equal(why, ESP_DROP_SHORT);
		assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), 0);
		assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), -EALREADY);
		assert_int_equal(why, ESP_DROP_REPLAY);
		assert_int_equal(peer->sa_st.drops[ESP_DROP_REPLAY], 1);
		esp_sa_free(gw);
		esp_sa_free(peer);
	}
}

static void test_replay_and_stale(void **state)
{
	struct esp_sa *gw = mk(&suites[0], false, false);
	struct esp_sa *peer = mk(&suites[0], false, true);
	uint8_t first[400], pkt[400], out[400];
	size_t n1 = one(gw, first, sizeof(first)), n, dlen;
	enum esp_drop why;

	(void)state;
	for (int i = 0; i < 100; i++) {
		n = one(gw, pkt, sizeof(pkt));
		assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), 0);
	}
	/* seq 1 is now 100 behind a 64-packet window */
	assert_int_equal(esp_decap(peer, first, n1, out, sizeof(out), &dlen, &why), -ESTALE);
	assert_int_equal(why, ESP_DROP_STALE);
	assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), -EALREADY);
	esp_sa_free(gw);
	esp_sa_free(peer);
}

/* A correctly authenticated packet whose inner source lies outside the
 * SA's selectors is dropped after decryption (RFC 4301 5.2). */
static void test_ts_mismatch(void **state)
{
	struct esp_sa *gw = mk(&suites[1], false, false);
	struct esp_sa *peer = mk(&suites[1], false, true);
	uint8_t in[100], pkt[300], out[300];
	size_t n, olen, dlen;
	enum esp_drop why;

	(void)state;
	n = ip4_udp(in, sizeof(in), "198.51.100.7", "203.0.113.6", 80);
	assert_int_equal(esp_encap(peer, in, n, pkt, sizeof(pkt), &olen, &why), 0);
	assert_int_equal(esp_decap(gw, pkt, olen, out, sizeof(out), &dlen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_TS);
	/* wrong destination side too */
	n = ip4_udp(in, sizeof(in), "203.0.113.201", "203.0.113.129", 80);
	assert_int_equal(esp_encap(peer, in, n, pkt, sizeof(pkt), &olen, &why), 0);
	assert_int_equal(esp_decap(gw, pkt, olen, out, sizeof(out), &dlen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_TS);
	assert_int_equal(gw->sa_st.drops[ESP_DROP_TS], 2);
	assert_int_equal(gw->sa_st.in_packets, 0);
	/* an inner packet that is not IP at all */
	memset(in, 0, sizeof(in));
	assert_int_equal(esp_encap(peer, in, 40, pkt, sizeof(pkt), &olen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_PROTO);
	esp_sa_free(gw);
	esp_sa_free(peer);
}

/* Hand-built payloads with a bad trailer, sealed with the peer's keys. */
static int seal_raw(struct esp_sa *peer, const uint8_t *ptx, size_t ptlen,
		    uint8_t *pkt)
{
	const struct esp_alg *a = esp_crypto_alg(peer->sa_out);
	uint64_t seq = ++peer->sa_seq_out;

	memcpy(pkt, "\xc0\x00\x00\x01", 4);
	pkt[4] = (uint8_t)(seq >> 24), pkt[5] = (uint8_t)(seq >> 16);
	pkt[6] = (uint8_t)(seq >> 8), pkt[7] = (uint8_t)seq;
	memcpy(pkt + 8 + a->iv_len, ptx, ptlen);
	assert_int_equal(esp_crypto_seal(peer->sa_out, pkt, ptlen, seq, false), 0);
	return (int)(8 + a->iv_len + ptlen + a->icv_len);
}

static void test_bad_trailer(void **state)
{
	struct esp_sa *gw = mk(&suites[3], false, false);	/* CBC: 16 */
	struct esp_sa *peer = mk(&suites[3], false, true);
	uint8_t ptx[64], pkt[200], out[200];
	size_t dlen;
	enum esp_drop why;
	int n;

	(void)state;
	ip4_udp(ptx, 28, "203.0.113.201", "203.0.113.6", 80);
	/* 28 + 2 pad + 2 = 32; pad bytes must be 1, 2 */
	memcpy(ptx + 28, "\x01\x03\x02\x04", 4);
	n = seal_raw(peer, ptx, 32, pkt);
	assert_int_equal(esp_decap(gw, pkt, (size_t)n, out, sizeof(out), &dlen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_PAD);
	/* pad length beyond the payload */
	memcpy(ptx + 28, "\x01\x02\x40\x04", 4);
	n = seal_raw(peer, ptx, 32, pkt);
	assert_int_equal(esp_decap(gw, pkt, (size_t)n, out, sizeof(out), &dlen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_PAD);
	/* next header 59: a dummy packet (RFC 4303 2.6) */
	memcpy(ptx + 28, "\x01\x02\x02\x3b", 4);
	n = seal_raw(peer, ptx, 32, pkt);
	assert_int_equal(esp_decap(gw, pkt, (size_t)n, out, sizeof(out), &dlen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_DUMMY);
	/* tunnel mode carrying next header 6 (TCP) */
	memcpy(ptx + 28, "\x01\x02\x02\x06", 4);
	n = seal_raw(peer, ptx, 32, pkt);
	assert_int_equal(esp_decap(gw, pkt, (size_t)n, out, sizeof(out), &dlen, &why), -EINVAL);
	assert_int_equal(why, ESP_DROP_PROTO);
	/* the good one, with TFC padding after the inner packet (2.7) */
	memset(ptx + 28, 0xee, 16);
	memcpy(ptx + 44, "\x01\x02\x02\x04", 4);
	n = seal_raw(peer, ptx, 48, pkt);
	assert_int_equal(esp_decap(gw, pkt, (size_t)n, out, sizeof(out), &dlen, &why), 0);
	assert_int_equal(dlen, 28);
	esp_sa_free(gw);
	esp_sa_free(peer);
}

/* ESN: the sequence number crosses 2^32 on the wire as a low half of 0;
 * the receiver infers the high half and the ICV covers it. */
static void test_esn_crossing(void **state)
{
	(void)state;
	for (size_t k = 0; k < NSUITES; k++) {
		struct esp_sa *gw = mk(&suites[k], true, false);
		struct esp_sa *peer = mk(&suites[k], true, true);
		uint8_t pkt[400], out[400];
		size_t n, dlen;
		enum esp_drop why;
		uint64_t o, in;

		assert_int_equal(esp_sa_jump(gw, UINT32_MAX - 2, 0), 0);
		assert_int_equal(esp_sa_jump(peer, 0, UINT32_MAX - 2), 0);
		for (int i = 0; i < 5; i++) {
			n = one(gw, pkt, sizeof(pkt));
			assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), 0);
		}
		esp_sa_counters(peer, &o, &in);
		assert_int_equal(in, (UINT64_C(1) << 32) + 2);
		/* the last packet carried only the low half 2 */
		assert_memory_equal(pkt + 4, "\x00\x00\x00\x02", 4);
		/* a receiver that believes the high half is 0 (no ESN
		 * inference) cannot verify it */
		esp_sa_free(peer);
		peer = mk(&suites[k], false, true);
		assert_int_equal(esp_decap(peer, pkt, n, out, sizeof(out), &dlen, &why), -EBADMSG);
		esp_sa_free(gw);
		esp_sa_free(peer);
	}
}

struct evlog { int soft, hard, sync; };

static void on_event(void *arg, struct esp_sa *sa, enum esp_event ev)
{
	struct evlog *l = arg;

	(void)sa;
	if (ev == ESP_EV_SOFT)
		l->soft++;
	else if (ev == ESP_EV_HARD)
		l->hard++;
	else
		l->sync++;
}

static void test_limits_and_events(void **state)
{
	struct esp_sa_params p;
	struct esp_sa *gw;
	struct evlog ev = { 0 };
	uint8_t pkt[400];
	uint8_t in[200];
	size_t n, olen;
	enum esp_drop why;

	(void)state;
	params(&p, &suites[0], false, false);
	p.soft.packets = 3;
	p.hard.packets = 5;
	p.sync_every = 2;
	p.cb = on_event;
	p.cb_arg = &ev;
	assert_int_equal(esp_sa_new(&p, &gw), 0);
	for (int i = 0; i < 5; i++)
		one(gw, pkt, sizeof(pkt));
	assert_int_equal(ev.soft, 1);
	assert_int_equal(ev.hard, 1);
	assert_int_equal(ev.sync, 2);
	n = ip4_udp(in, sizeof(in), "203.0.113.5", "203.0.113.200", 53);
	assert_int_equal(esp_encap(gw, in, n, pkt, sizeof(pkt), &olen, &why), -EKEYEXPIRED);
	assert_int_equal(why, ESP_DROP_EXPIRED);
	esp_sa_free(gw);

	/* the counter: soft near the end, then a refusal instead of a wrap */
	params(&p, &suites[2], false, false);
	p.seq_out = UINT32_MAX - 2;
	p.cb = on_event;
	p.cb_arg = &ev;
	ev = (struct evlog){ 0 };
	assert_int_equal(esp_sa_new(&p, &gw), 0);
	one(gw, pkt, sizeof(pkt));
	assert_int_equal(ev.soft, 1);
	one(gw, pkt, sizeof(pkt));
	assert_memory_equal(pkt + 4, "\xff\xff\xff\xff", 4);
	assert_int_equal(esp_encap(gw, in, n, pkt, sizeof(pkt), &olen, &why), -EOVERFLOW);
	assert_int_equal(why, ESP_DROP_SEQ_EXHAUSTED);
	assert_int_equal(gw->sa_seq_out, UINT32_MAX);
	/* too small an output buffer */
	esp_sa_free(gw);
	gw = mk(&suites[0], false, false);
	assert_int_equal(esp_encap(gw, in, n, pkt, n, &olen, &why), -ENOSPC);
	assert_int_equal(why, ESP_DROP_NOSPACE);
	esp_sa_free(gw);
}

/* Cluster takeover: counters read on the old active, jumped on the new
 * one; outbound never goes backwards, inbound refuses what the old
 * active may have accepted. */
static void test_takeover_jump(void **state)
{
	struct esp_sa *old = mk(&suites[1], true, false);
	struct esp_sa *peer = mk(&suites[1], true, true);
	struct esp_sa *neu = mk(&suites[1], true, false);
	uint8_t pkt[400], out[400], held[400];
	size_t n, nh, dlen;
	enum esp_drop why;
	uint64_t o, in;

	(void)state;
	for (int i = 0; i < 10; i++) {
		n = one(peer, pkt, sizeof(pkt));
		assert_int_equal(esp_decap(old, pkt, n, out, sizeof(out), &dlen, &why), 0);
		one(old, out, sizeof(out));
	}
	nh = one(peer, held, sizeof(held));	/* seq 11, arrives late */
	esp_sa_counters(old, &o, &in);
	assert_int_equal(o, 10);
	assert_int_equal(in, 10);
	assert_int_equal(esp_sa_jump(neu, o + 1000, in), 0);
	assert_int_equal(esp_decap(neu, pkt, n, out, sizeof(out), &dlen, &why), -EALREADY);
	assert_int_equal(esp_decap(neu, held, nh, out, sizeof(out), &dlen, &why), 0);
	one(neu, pkt, sizeof(pkt));
	assert_memory_equal(pkt + 4, "\x00\x00\x03\xf3", 4);	/* 1011 */
	assert_int_equal(esp_sa_jump(neu, 5, 3), 0);		/* never back */
	esp_sa_counters(neu, &o, &in);
	assert_int_equal(o, 1011);
	assert_int_equal(in, 11);
	assert_int_equal(esp_sa_jump(neu, UINT64_MAX, 0), 0);	/* clamp */
	assert_int_equal(esp_encap(neu, out, 28, pkt, sizeof(pkt), &n, &why), -EOVERFLOW);
	esp_sa_free(old);
	esp_sa_free(peer);
	esp_sa_free(neu);
}

/* Cluster: the datapath never sends past the replicated reservation
 * (sync/esp_counters.h); raising the limit lets it go on. */
static void test_send_limit(void **state)
{
	struct esp_sa *sa = mk(&suites[0], false, false);
	uint8_t pkt[400], in[64];
	size_t n = ip4_udp(in, sizeof(in), "203.0.113.5", "203.0.113.200", 53), olen;
	enum esp_drop why;

	(void)state;
	esp_sa_set_limit(sa, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(esp_encap(sa, in, n, pkt, sizeof(pkt), &olen, &why), 0);
	assert_int_equal(esp_encap(sa, in, n, pkt, sizeof(pkt), &olen, &why), -EAGAIN);
	assert_int_equal(why, ESP_DROP_SEQ_LIMIT);
	assert_int_equal(sa->sa_seq_out, 3);		/* the refused one took no number */
	esp_sa_set_limit(sa, 1);			/* never below what was sent */
	assert_int_equal(sa->sa_seq_limit, 3);
	esp_sa_set_limit(sa, 5);
	assert_int_equal(esp_encap(sa, in, n, pkt, sizeof(pkt), &olen, &why), 0);
	assert_memory_equal(pkt + 4, "\x00\x00\x00\x04", 4);
	esp_sa_free(sa);
}

static void test_bad_params(void **state)
{
	struct esp_sa_params p;
	struct esp_sa *sa;

	(void)state;
	params(&p, &suites[0], false, false);
	p.ekey_len = 16;	/* salt missing */
	assert_int_equal(esp_sa_new(&p, &sa), -EINVAL);
	params(&p, &suites[0], false, false);
	p.spi_in = 0;
	assert_int_equal(esp_sa_new(&p, &sa), -EINVAL);
	params(&p, &suites[0], false, false);
	p.nremote_ts = 0;
	assert_int_equal(esp_sa_new(&p, &sa), -EINVAL);
	params(&p, &suites[0], false, false);
	p.integ = IKE_INTEG_HMAC_SHA1_96;
	assert_int_equal(esp_sa_new(&p, &sa), -ENOTSUP);
	assert_null(sa);
	esp_sa_free(NULL);
	assert_string_equal(esp_drop_name(ESP_DROP_ICV), "icv");
	assert_string_equal(esp_drop_name(999), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite_table),
		cmocka_unit_test(test_kat_gcm_esn),
		cmocka_unit_test(test_gcm_seqiv_construction),
		cmocka_unit_test(test_roundtrip_all_suites),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_replay_and_stale),
		cmocka_unit_test(test_ts_mismatch),
		cmocka_unit_test(test_bad_trailer),
		cmocka_unit_test(test_esn_crossing),
		cmocka_unit_test(test_limits_and_events),
		cmocka_unit_test(test_takeover_jump),
		cmocka_unit_test(test_send_limit),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_cbc_ivs_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
