/*
 * IKEv2 codec round trips (RFC 7296 section 3): messages holding every
 * payload type are built with the ike_msg builders, encoded, decoded and
 * re-encoded; the bytes must match exactly and the decoded fields must be
 * what was put in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ike/msg.h"

static const uint8_t nonce32[32] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
	0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};
static const uint8_t ke32[32] = { 0xde, 0xad, 0xbe, 0xef, [31] = 0x42 };
static const uint8_t natd[20] = { 0x55, [19] = 0xaa };
static const uint8_t vid[16] = { 0x88, 0x2f, 0xe5, 0x6d, [15] = 0x01 };
static const uint8_t certreq_hash[20] = { 0xc1, [19] = 0xc2 };
static const uint8_t cert_der[48] = { 0x30, 0x82, [47] = 0x99 };
static const uint8_t id_fqdn[] = "peer.example.org";
static const uint8_t id_ip4[] = { 192, 0, 2, 10 };
static const uint8_t auth_psk[32] = { 0xa5, [31] = 0x5a };
static const uint8_t esp_spis[8] = { 0xc0, 0, 0, 1, 0xc0, 0, 0, 2 };
static const uint8_t eap_identity[] = { 2, 7, 0, 9, 1, 'u', 's', 'e', 'r' };
static const uint8_t cp_ip4[4] = { 203, 0, 113, 130 };

static void hdr_set(struct ike_hdr *h, uint8_t exchange, uint8_t flags,
		    uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	h->ispi = 0x0102030405060708ull;
	h->rspi = flags & IKE_FLAG_RESPONSE ? 0x1112131415161718ull : 0;
	h->version = IKE_VERSION;
	h->exchange = exchange;
	h->flags = flags;
	h->msgid = msgid;
}

static void sa_ike_two_proposals(struct ike_sa_pl *sa)
{
	struct ike_proposal *p = &sa->prop[0];

	sa->nprop = 2;
	p->num = 1;
	p->proto = IKE_PROTO_IKE;
	p->ntr = 3;
	p->tr[0] = (struct ike_transform){ IKE_TRANSFORM_ENCR,
					   IKE_ENCR_AES_GCM_16, 256, false };
	p->tr[1] = (struct ike_transform){ IKE_TRANSFORM_PRF,
					   IKE_PRF_HMAC_SHA2_256, 0, false };
	p->tr[2] = (struct ike_transform){ IKE_TRANSFORM_DH,
					   IKE_DH_CURVE25519, 0, false };
	p = &sa->prop[1];
	p->num = 2;
	p->proto = IKE_PROTO_IKE;
	p->ntr = 4;
	p->tr[0] = (struct ike_transform){ IKE_TRANSFORM_ENCR,
					   IKE_ENCR_AES_CBC, 256, false };
	p->tr[1] = (struct ike_transform){ IKE_TRANSFORM_PRF,
					   IKE_PRF_HMAC_SHA2_256, 0, false };
	p->tr[2] = (struct ike_transform){ IKE_TRANSFORM_INTEG,
				IKE_INTEG_HMAC_SHA2_256_128, 0, false };
	p->tr[3] = (struct ike_transform){ IKE_TRANSFORM_DH,
					   IKE_DH_MODP1536, 0, false };
}

/* HDR, SAi1, KEi, Ni, N(NAT_D_SRC), N(NAT_D_DST), CERTREQ, V --> */
static void build_sa_init(struct ike_msg *m)
{
	struct ike_hdr h;

	hdr_set(&h, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	ike_msg_init(m, &h);
	assert_true(ike_msg_add(m, IKE_PL_SA, false));
	sa_ike_two_proposals(&m->sa);
	assert_true(ike_msg_add(m, IKE_PL_KE, false));
	m->ke = (struct ike_ke_pl){ IKE_DH_CURVE25519, ke32, sizeof(ke32) };
	assert_true(ike_msg_add(m, IKE_PL_NONCE, false));
	m->nonce = (struct ike_blob){ nonce32, sizeof(nonce32) };
	assert_non_null(ike_msg_add_notify(m, false,
		IKE_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd)));
	assert_non_null(ike_msg_add_notify(m, false,
		IKE_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd)));
	assert_true(ike_msg_add(m, IKE_PL_CERTREQ, false));
	m->certreq[0] = (struct ike_cert_pl){ IKE_CERT_X509_SIG, certreq_hash,
					      sizeof(certreq_hash) };
	assert_true(ike_msg_add(m, IKE_PL_VENDOR, false));
	m->vendor[0] = (struct ike_blob){ vid, sizeof(vid) };
}

static void ts_pair(struct ike_ts_pl *t, uint8_t last4)
{
	struct ike_ts *ts = &t->ts[0];

	t->nts = 2;
	ts->type = IKE_TS_IPV4_ADDR_RANGE;
	ts->ipproto = 0;
	ts->sport = 0;
	ts->eport = 65535;
	memcpy(ts->start, (uint8_t[]){ 203, 0, 113, last4 }, 4);
	memcpy(ts->end, (uint8_t[]){ 203, 0, 113, (uint8_t)(last4 + 127) }, 4);
	ts = &t->ts[1];
	ts->type = IKE_TS_IPV6_ADDR_RANGE;
	ts->ipproto = 17;
	ts->sport = 500;
	ts->eport = 4500;
	memcpy(ts->start, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8 }, 16);
	memcpy(ts->end, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff },
	       16);
}

/* HDR, SK { IDi, CERT, CERTREQ, IDr, AUTH, CP(CFG_REQUEST), SAi2, TSi,
 * TSr, N(INITIAL_CONTACT) } --> */
static void build_auth(struct ike_msg *m)
{
	struct ike_hdr h;
	struct ike_proposal *p;

	hdr_set(&h, IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	h.rspi = 0x1112131415161718ull;
	ike_msg_init(m, &h);
	assert_true(ike_msg_add(m, IKE_PL_IDI, true));
	m->idi = (struct ike_id_pl){ IKE_ID_FQDN, id_fqdn,
				     sizeof(id_fqdn) - 1, NULL, 0 };
	assert_true(ike_msg_add(m, IKE_PL_CERT, true));
	m->cert[0] = (struct ike_cert_pl){ IKE_CERT_X509_SIG, cert_der,
					   sizeof(cert_der) };
	assert_true(ike_msg_add(m, IKE_PL_CERTREQ, true));
	m->certreq[0] = (struct ike_cert_pl){ IKE_CERT_X509_SIG, certreq_hash,
					      sizeof(certreq_hash) };
	assert_true(ike_msg_add(m, IKE_PL_IDR, true));
	m->idr = (struct ike_id_pl){ IKE_ID_IPV4_ADDR, id_ip4,
				     sizeof(id_ip4), NULL, 0 };
	assert_true(ike_msg_add(m, IKE_PL_AUTH, true));
	m->auth = (struct ike_auth_pl){ IKE_AUTH_PSK, auth_psk,
					sizeof(auth_psk) };
	assert_true(ike_msg_add(m, IKE_PL_CP, true));
	m->cp.type = IKE_CFG_REQUEST;
	m->cp.nattr = 2;
	m->cp.attr[0] = (struct ike_cp_attr){ IKE_CP_INTERNAL_IP4_ADDRESS,
					      NULL, 0 };
	m->cp.attr[1] = (struct ike_cp_attr){ IKE_CP_INTERNAL_IP4_DNS,
					      cp_ip4, 4 };
	assert_true(ike_msg_add(m, IKE_PL_SA, true));
	m->sa.nprop = 1;
	p = &m->sa.prop[0];
	*p = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_ESP,
		.spi_len = 4, .spi = { 0xc0, 0xff, 0xee, 0x01 }, .ntr = 2 };
	p->tr[0] = (struct ike_transform){ IKE_TRANSFORM_ENCR,
					   IKE_ENCR_AES_GCM_16, 128, false };
	p->tr[1] = (struct ike_transform){ IKE_TRANSFORM_ESN, IKE_ESN_NO, 0,
					   false };
	assert_true(ike_msg_add(m, IKE_PL_TSI, true));
	ts_pair(&m->tsi, 128);
	assert_true(ike_msg_add(m, IKE_PL_TSR, true));
	ts_pair(&m->tsr, 0);
	assert_non_null(ike_msg_add_notify(m, true, IKE_N_INITIAL_CONTACT,
					   NULL, 0));
}

/* Encode m, decode it (both steps when encrypted), re-encode: equal. */
static void roundtrip(struct ike_msg *m, uint8_t *buf, size_t *len,
		      struct ike_msg *out)
{
	static uint8_t again[IKE_MSG_MAX];
	size_t len2;
	uint8_t bad = 0xff;

	assert_int_equal(ike_encode(m, buf, IKE_MSG_MAX, len), IKE_OK);
	assert_int_equal(m->hdr.length, *len);
	assert_int_equal(ike_decode(buf, *len, out), IKE_OK);
	if (out->sk.present) {
		assert_int_equal(out->sk.sk_off, m->sk.sk_off);
		assert_int_equal(out->sk.iv_off, m->sk.iv_off);
		assert_int_equal(out->sk.end, *len);
		assert_int_equal(ike_decode_inner(out, buf + out->sk.iv_off,
						  *len - out->sk.iv_off,
						  out->sk.first), IKE_OK);
	}
	assert_int_equal(ike_rules_check(out, &bad), IKE_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(out->norder, m->norder);
	assert_int_equal(ike_encode(out, again, sizeof(again), &len2), IKE_OK);
	assert_int_equal(len2, *len);
	assert_memory_equal(again, buf, *len);
}

static void test_sa_init_roundtrip(void **state)
{
	static struct ike_msg m, d;
	static uint8_t buf[IKE_MSG_MAX];
	size_t len;

	(void)state;
	build_sa_init(&m);
	roundtrip(&m, buf, &len, &d);
	assert_int_equal(d.hdr.ispi, 0x0102030405060708ull);
	assert_int_equal(d.hdr.exchange, IKE_SA_INIT);
	assert_int_equal(d.hdr.next, IKE_PL_SA);
	assert_false(d.sk.present);
	assert_int_equal(d.sa.nprop, 2);
	assert_int_equal(d.sa.prop[0].tr[0].keylen, 256);
	assert_int_equal(d.sa.prop[1].ntr, 4);
	assert_int_equal(d.sa.prop[1].tr[3].id, IKE_DH_MODP1536);
	assert_int_equal(d.ke.group, IKE_DH_CURVE25519);
	assert_memory_equal(d.ke.data, ke32, sizeof(ke32));
	assert_int_equal(d.nonce.len, 32);
	assert_int_equal(d.nnotify, 2);
	assert_non_null(ike_msg_notify(&d, IKE_N_NAT_DETECTION_DESTINATION_IP));
	assert_null(ike_msg_notify(&d, IKE_N_COOKIE));
	assert_int_equal(d.ncertreq, 1);
	assert_int_equal(d.nvendor, 1);
	assert_int_equal(d.count_clear[IKE_PL_NOTIFY], 2);
	/* hand-computed length: 28 hdr + SA(4 + 36 + 44) + KE(4+4+32) +
	 * Ni(4+32) + 2 * N(4+4+20) + CERTREQ(4+1+20) + V(4+16) */
	assert_int_equal(len, 28 + 84 + 40 + 36 + 56 + 25 + 20);
}

static void test_auth_encrypted_roundtrip(void **state)
{
	static struct ike_msg m, d;
	static uint8_t buf[IKE_MSG_MAX];
	size_t len;

	(void)state;
	build_auth(&m);
	roundtrip(&m, buf, &len, &d);
	assert_true(d.sk.present);
	assert_false(d.sk.fragment);
	assert_int_equal(d.hdr.next, IKE_PL_SK);
	assert_int_equal(d.sk.first, IKE_PL_IDI);
	assert_int_equal(d.sk.sk_off, IKE_HDR_LEN);
	assert_int_equal(d.sk.iv_off, IKE_HDR_LEN + 4);
	assert_int_equal(d.count_clear[IKE_PL_SK], 1);
	assert_int_equal(d.count_enc[IKE_PL_IDI], 1);
	assert_int_equal(d.count_clear[IKE_PL_IDI], 0);
	/* RFC 7296 2.15: the raw ID body is what AUTH signs */
	assert_int_equal(d.idi.raw_len, 4 + sizeof(id_fqdn) - 1);
	assert_int_equal(d.idi.raw[0], IKE_ID_FQDN);
	assert_memory_equal(d.idi.raw + 4, id_fqdn, sizeof(id_fqdn) - 1);
	assert_int_equal(d.idr.type, IKE_ID_IPV4_ADDR);
	assert_int_equal(d.auth.method, IKE_AUTH_PSK);
	assert_int_equal(d.cp.nattr, 2);
	assert_int_equal(d.cp.attr[0].len, 0);
	assert_memory_equal(d.cp.attr[1].data, cp_ip4, 4);
	assert_int_equal(d.sa.prop[0].spi_len, 4);
	assert_int_equal(d.sa.prop[0].spi[3], 0x01);
	assert_int_equal(d.tsi.nts, 2);
	assert_int_equal(d.tsi.ts[1].type, IKE_TS_IPV6_ADDR_RANGE);
	assert_int_equal(d.tsi.ts[1].eport, 4500);
	assert_int_equal(d.tsr.ts[0].end[3], 127);
	assert_int_equal(d.ncert, 1);
	assert_int_equal(d.cert[0].len, sizeof(cert_der));
	assert_non_null(ike_msg_notify(&d, IKE_N_INITIAL_CONTACT));
}

/* The inner chain alone, as sk_seal() would see it at iv_off. */
static void test_encode_inner_matches(void **state)
{
	static struct ike_msg m;
	static uint8_t buf[IKE_MSG_MAX], inner[IKE_MSG_MAX];
	struct wr w = wr_init(inner, sizeof(inner));
	size_t len;
	uint8_t first = 0;

	(void)state;
	build_auth(&m);
	assert_int_equal(ike_encode(&m, buf, sizeof(buf), &len), IKE_OK);
	assert_int_equal(ike_encode_inner(&m, &w, &first), IKE_OK);
	assert_int_equal(first, IKE_PL_IDI);
	assert_int_equal(w.len, len - m.sk.iv_off);
	assert_memory_equal(inner, buf + m.sk.iv_off, w.len);
}

/* HDR, SK { D(ESP, 2 SPIs), D(IKE), N(...) } <-- and the empty SK {} of
 * a liveness check (RFC 7296 1.4) */
static void test_informational_roundtrip(void **state)
{
	static struct ike_msg m, d;
	static uint8_t buf[IKE_MSG_MAX];
	struct ike_hdr h;
	size_t len;

	(void)state;
	hdr_set(&h, IKE_INFORMATIONAL, IKE_FLAG_RESPONSE, 7);
	ike_msg_init(&m, &h);
	assert_true(ike_msg_add(&m, IKE_PL_DELETE, true));
	m.del[0] = (struct ike_delete_pl){ IKE_PROTO_ESP, 4, 2, esp_spis };
	assert_true(ike_msg_add(&m, IKE_PL_DELETE, true));
	m.del[1] = (struct ike_delete_pl){ IKE_PROTO_IKE, 0, 0, NULL };
	struct ike_notify_pl *n = ike_msg_add_notify(&m, true,
		IKE_N_IKEV2_MESSAGE_ID_SYNC, nonce32, 12);
	assert_non_null(n);
	n->proto = IKE_PROTO_ESP;
	n->spi_len = 4;
	memcpy(n->spi, esp_spis, 4);
	roundtrip(&m, buf, &len, &d);
	assert_int_equal(d.ndelete, 2);
	assert_int_equal(d.del[0].nspi, 2);
	assert_memory_equal(d.del[0].spis, esp_spis, 8);
	assert_int_equal(d.del[1].proto, IKE_PROTO_IKE);
	assert_int_equal(d.notify[0].spi_len, 4);
	assert_int_equal(d.notify[0].len, 12);

	ike_msg_init(&m, &h);
	m.sk.present = true;	/* empty SK: a liveness check */
	roundtrip(&m, buf, &len, &d);
	assert_int_equal(len, IKE_HDR_LEN + 4);
	assert_true(d.sk.present);
	assert_int_equal(d.sk.first, IKE_PL_NONE);
	assert_int_equal(d.norder, 0);
}

/* HDR, SK { EAP } --> of a later EAP round (RFC 7296 2.16) */
static void test_eap_roundtrip(void **state)
{
	static struct ike_msg m, d;
	static uint8_t buf[IKE_MSG_MAX];
	struct ike_hdr h;
	size_t len;

	(void)state;
	hdr_set(&h, IKE_AUTH, IKE_FLAG_INITIATOR, 2);
	ike_msg_init(&m, &h);
	assert_true(ike_msg_add(&m, IKE_PL_EAP, true));
	m.eap = (struct ike_blob){ eap_identity, sizeof(eap_identity) };
	roundtrip(&m, buf, &len, &d);
	assert_int_equal(ike_rules_phase_of(&d), IKE_RULES_AUTH_EAP);
	assert_int_equal(d.eap.len, sizeof(eap_identity));
}

/* Critical bits survive a round trip (RFC 7296 2.5: ignored when the
 * payload is understood, but the sender's bytes stay the same). */
static void test_critical_bit_kept(void **state)
{
	static struct ike_msg m, d;
	static uint8_t buf[IKE_MSG_MAX];
	size_t len;

	(void)state;
	build_sa_init(&m);
	m.order[2].critical = true;	/* Ni */
	roundtrip(&m, buf, &len, &d);
	assert_true(d.order[2].critical);
	assert_false(d.order[1].critical);
}

/* An unknown payload is skipped unless critical (RFC 7296 2.5). */
static void test_unknown_payloads(void **state)
{
	/* IKE_SA_INIT header then payload type 200 (4+4 bytes), then
	 * Nonce (4+16) */
	uint8_t b[28 + 8 + 20] = {
		[16] = 200, [17] = IKE_VERSION, [18] = IKE_SA_INIT,
		[19] = IKE_FLAG_INITIATOR, [27] = sizeof(b),
		[28] = IKE_PL_NONCE, [29] = 0, [30] = 0, [31] = 8,
		[36] = IKE_PL_NONE, [37] = 0, [38] = 0, [39] = 20,
	};
	static struct ike_msg d;

	(void)state;
	assert_int_equal(ike_decode(b, sizeof(b), &d), IKE_OK);
	assert_int_equal(d.norder, 1);
	assert_int_equal(d.order[0].type, IKE_PL_NONCE);
	assert_int_equal(d.nonce.len, 16);
	b[29] = 0x80;
	assert_int_equal(ike_decode(b, sizeof(b), &d),
			 IKE_ERR_UNSUPPORTED_CRITICAL);
	assert_int_equal(d.unsupported_critical, 200);
}

/* Transforms with attributes other than Key Length are flagged, not
 * fatal (RFC 7296 3.3.6). */
static void test_unknown_transform_attr(void **state)
{
	static struct ike_msg m, d;
	static uint8_t buf[IKE_MSG_MAX];
	size_t len;

	(void)state;
	build_sa_init(&m);
	assert_int_equal(ike_encode(&m, buf, sizeof(buf), &len), IKE_OK);
	/* SA body starts at 32; proposal header 8; first transform 8:
	 * its attribute type is at 32 + 8 + 8 */
	assert_int_equal(buf[48], 0x80);
	assert_int_equal(buf[49], 14);
	buf[49] = 99;
	assert_int_equal(ike_decode(buf, len, &d), IKE_OK);
	assert_true(d.sa.prop[0].tr[0].unknown_attr);
	assert_false(d.sa.prop[0].tr[1].unknown_attr);
	assert_int_equal(d.sa.prop[0].tr[0].keylen, 0);
}

static void test_builder_bounds(void **state)
{
	static struct ike_msg m;
	unsigned i;

	(void)state;
	ike_msg_init(&m, NULL);
	assert_true(ike_msg_add(&m, IKE_PL_SA, false));
	assert_false(ike_msg_add(&m, IKE_PL_SA, true));	/* once only */
	assert_false(ike_msg_add(&m, IKE_PL_SK, true));
	assert_false(ike_msg_add(&m, 200, false));
	for (i = 0; i < IKE_MAX_NOTIFY; i++)
		assert_non_null(ike_msg_add_notify(&m, false, 16384, NULL, 0));
	assert_null(ike_msg_add_notify(&m, false, 16384, NULL, 0));
	assert_int_equal(m.nnotify, IKE_MAX_NOTIFY);
	for (i = 0; i < IKE_MAX_VENDOR; i++)
		assert_true(ike_msg_add(&m, IKE_PL_VENDOR, false));
	assert_false(ike_msg_add(&m, IKE_PL_VENDOR, false));
}

static void test_encode_errors(void **state)
{
	static struct ike_msg m;
	static uint8_t buf[IKE_MSG_MAX];
	size_t len, full;

	(void)state;
	build_sa_init(&m);
	assert_int_equal(ike_encode(&m, buf, sizeof(buf), &full), IKE_OK);
	for (size_t cap = 0; cap < full; cap++)
		assert_int_equal(ike_encode(&m, buf, cap, &len),
				 IKE_ERR_NOSPACE);
	m.sa.prop[0].spi_len = IKE_MAX_SPI + 1;
	assert_int_equal(ike_encode(&m, buf, sizeof(buf), &len),
			 IKE_ERR_INVALID);
	build_sa_init(&m);
	m.nonce.data = NULL;
	assert_int_equal(ike_encode(&m, buf, sizeof(buf), &len),
			 IKE_ERR_INVALID);
	build_sa_init(&m);
	m.order[5].index = 3;	/* a notify slot that was never filled */
	assert_int_equal(ike_encode(&m, buf, sizeof(buf), &len),
			 IKE_ERR_INVALID);
	/* a payload longer than its 16-bit length field */
	static uint8_t big_in[70000], big_out[80000];
	build_sa_init(&m);
	m.vendor[0].data = big_in;
	m.vendor[0].len = sizeof(big_in);
	assert_int_equal(ike_encode(&m, big_out, sizeof(big_out), &len),
			 IKE_ERR_INVALID);
}

/*
 * An IKE_SA_INIT request from an independent encoder: scapy's IKEv2
 * layer (scapy.contrib.ikev2, Debian bookworm's python3-scapy), built as
 * HDR, SA(ENCR_AES_CBC, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128,
 * MODP2048), KE(14, 256 bytes 00..ff), Ni(32 bytes 64..83),
 * N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
 * V("hike-scapy").  RFC 7296 itself has no hex examples.
 */
static const char scapy_sa_init_hex[] =
	"a1b2c3d4e5f6071800000000000000002120220800000000000001ba2200002c"
	"0000002801010004030000080100000c0300000802000005030000080300000c"
	"000000080400000e28000108000e0000000102030405060708090a0b0c0d0e0f"
	"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
	"303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f"
	"505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f"
	"707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f"
	"909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	"b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	"d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff290000246465666768696a6b6c6d6e6f"
	"707172737475767778797a7b7c7d7e7f808182832900001c0000400400000000"
	"000000000000000000000000000000002b00001c000040050001020304050607"
	"08090a0b0c0d0e0f101112130000000e68696b652d7363617079";

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < cap; s += 2) {
		unsigned v;

		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void test_scapy_sa_init(void **state)
{
	static uint8_t wire[1024], again[1024];
	static struct ike_msg d;
	size_t len = unhex(scapy_sa_init_hex, wire, sizeof(wire)), len2;
	uint8_t bad;

	(void)state;
	assert_int_equal(len, 442);
	assert_int_equal(ike_decode(wire, len, &d), IKE_OK);
	assert_int_equal(ike_rules_check(&d, &bad), IKE_OK);
	assert_true(d.hdr.ispi == 0xa1b2c3d4e5f60718ull);
	assert_int_equal(d.hdr.flags, IKE_FLAG_INITIATOR);
	assert_int_equal(d.sa.nprop, 1);
	assert_int_equal(d.sa.prop[0].proto, IKE_PROTO_IKE);
	assert_int_equal(d.sa.prop[0].ntr, 4);
	assert_int_equal(d.sa.prop[0].tr[0].id, IKE_ENCR_AES_CBC);
	assert_int_equal(d.sa.prop[0].tr[2].type, IKE_TRANSFORM_INTEG);
	assert_int_equal(d.sa.prop[0].tr[2].id, IKE_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(d.sa.prop[0].tr[3].id, IKE_DH_MODP2048);
	assert_int_equal(d.ke.group, IKE_DH_MODP2048);
	assert_int_equal(d.ke.len, 256);
	assert_int_equal(d.ke.data[255], 0xff);
	assert_int_equal(d.nonce.len, 32);
	assert_int_equal(d.nonce.data[0], 0x64);
	assert_int_equal(d.nnotify, 2);
	assert_int_equal(d.notify[1].type, IKE_N_NAT_DETECTION_DESTINATION_IP);
	assert_int_equal(d.notify[1].data[19], 0x13);
	assert_int_equal(d.vendor[0].len, 10);
	assert_memory_equal(d.vendor[0].data, "hike-scapy", 10);
	assert_int_equal(ike_encode(&d, again, sizeof(again), &len2), IKE_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, wire, len);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ike_exchange_name(IKE_SA_INIT), "IKE_SA_INIT");
	assert_string_equal(ike_payload_name(IKE_PL_SKF), "SKF");
	assert_string_equal(ike_notify_name(IKE_N_COOKIE), "COOKIE");
	assert_string_equal(ike_notify_name(9999), "NOTIFY_ERROR_UNKNOWN");
	assert_string_equal(ike_notify_name(40000), "NOTIFY_STATUS_UNKNOWN");
	assert_string_equal(ike_dh_name(IKE_DH_CURVE25519), "CURVE25519");
	assert_string_equal(ike_err_name(IKE_ERR_SK_NOT_LAST), "SK_NOT_LAST");
	assert_string_equal(ike_err_name(-22), "ERR_UNKNOWN");
	assert_int_equal(ike_err_notify(IKE_OK), 0);
	assert_int_equal(ike_err_notify(IKE_ERR_BAD_VERSION),
			 IKE_N_INVALID_MAJOR_VERSION);
	assert_int_equal(ike_err_notify(IKE_ERR_UNSUPPORTED_CRITICAL),
			 IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_int_equal(ike_err_notify(IKE_ERR_TRUNCATED),
			 IKE_N_INVALID_SYNTAX);
	assert_int_equal(ike_err_notify(IKE_ERR_RULES), IKE_N_INVALID_SYNTAX);
	for (unsigned v = 0; v < 70000; v += 7) {
		assert_non_null(ike_exchange_name(v));
		assert_non_null(ike_payload_name(v));
		assert_non_null(ike_notify_name(v));
		assert_non_null(ike_proto_name(v));
		assert_non_null(ike_transform_type_name(v));
		assert_non_null(ike_encr_name(v));
		assert_non_null(ike_prf_name(v));
		assert_non_null(ike_integ_name(v));
		assert_non_null(ike_dh_name(v));
		assert_non_null(ike_id_type_name(v));
		assert_non_null(ike_cert_encoding_name(v));
		assert_non_null(ike_auth_method_name(v));
		assert_non_null(ike_ts_type_name(v));
		assert_non_null(ike_cfg_type_name(v));
		assert_non_null(ike_cp_attr_name(v));
		assert_non_null(ike_err_name((int)v));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_init_roundtrip),
		cmocka_unit_test(test_auth_encrypted_roundtrip),
		cmocka_unit_test(test_encode_inner_matches),
		cmocka_unit_test(test_informational_roundtrip),
		cmocka_unit_test(test_eap_roundtrip),
		cmocka_unit_test(test_critical_bit_kept),
		cmocka_unit_test(test_unknown_payloads),
		cmocka_unit_test(test_unknown_transform_attr),
		cmocka_unit_test(test_builder_bounds),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_scapy_sa_init),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
