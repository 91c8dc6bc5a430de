/* Proposal strings (strongSwan syntax) and responder selection
 * (RFC 7296 2.7, 3.3). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "hike/ikev2.h"
#include "crypto/proposal.h"

#define TR(t, i, k) { .type = (t), .id = (i), .keylen = (k) }

static void parse_ok(const char *s, uint8_t proto, struct prop_conf *p)
{
	char err[128];

	assert_int_equal(prop_parse(s, proto, p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void parse_fails(const char *s, uint8_t proto, const char *msg_part)
{
	struct prop_conf p;
	char err[128];

	assert_int_equal(prop_parse(s, proto, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg_part))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, msg_part);
}

/* The DESIGN.md example: a Cisco IKEv2 proposal with group 5. */
static void test_parse_cisco(void **state)
{
	struct prop_conf p;

	(void)state;
	parse_ok("aes256-sha256-prfsha256-modp1536", IKE_PROTO_IKE, &p);
	assert_int_equal(p.proto, IKE_PROTO_IKE);
	assert_int_equal(p.n[IKE_TRANSFORM_ENCR], 1);
	assert_int_equal(p.alg[IKE_TRANSFORM_ENCR][0].id, IKE_ENCR_AES_CBC);
	assert_int_equal(p.alg[IKE_TRANSFORM_ENCR][0].keylen, 256);
	assert_int_equal(p.n[IKE_TRANSFORM_INTEG], 1);
	assert_int_equal(p.alg[IKE_TRANSFORM_INTEG][0].id,
			 IKE_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(p.n[IKE_TRANSFORM_PRF], 1);
	assert_int_equal(p.alg[IKE_TRANSFORM_PRF][0].id, IKE_PRF_HMAC_SHA2_256);
	assert_int_equal(p.n[IKE_TRANSFORM_DH], 1);
	assert_int_equal(p.alg[IKE_TRANSFORM_DH][0].id, IKE_DH_MODP1536);
	assert_int_equal(p.n[IKE_TRANSFORM_ESN], 0);
	parse_ok("aes128-sha1", IKE_PROTO_ESP, &p);
	assert_int_equal(p.alg[IKE_TRANSFORM_ENCR][0].keylen, 128);
	assert_int_equal(p.alg[IKE_TRANSFORM_INTEG][0].id,
			 IKE_INTEG_HMAC_SHA1_96);
	assert_int_equal(p.n[IKE_TRANSFORM_DH], 0);	/* no PFS */
	assert_int_equal(p.n[IKE_TRANSFORM_ESN], 1);	/* ESN no */
	assert_int_equal(p.alg[IKE_TRANSFORM_ESN][0].id, IKE_ESN_NO);
}

/* strongSwan: without a prf token, IKE takes the PRFs matching the
 * integrity algorithms; with AEAD the integrity tokens only name PRFs. */
static void test_parse_implied_prf(void **state)
{
	struct prop_conf p;

	(void)state;
	parse_ok("aes128-aes256-sha384-sha1-ecp256-x25519", IKE_PROTO_IKE, &p);
	assert_int_equal(p.n[IKE_TRANSFORM_ENCR], 2);
	assert_int_equal(p.n[IKE_TRANSFORM_PRF], 2);
	assert_int_equal(p.alg[IKE_TRANSFORM_PRF][0].id, IKE_PRF_HMAC_SHA2_384);
	assert_int_equal(p.alg[IKE_TRANSFORM_PRF][1].id, IKE_PRF_HMAC_SHA1);
	assert_int_equal(p.alg[IKE_TRANSFORM_DH][1].id, IKE_DH_CURVE25519);
	parse_ok("aes256gcm16-sha256-x448", IKE_PROTO_IKE, &p);
	assert_int_equal(p.n[IKE_TRANSFORM_INTEG], 0);
	assert_int_equal(p.alg[IKE_TRANSFORM_PRF][0].id, IKE_PRF_HMAC_SHA2_256);
	assert_int_equal(p.alg[IKE_TRANSFORM_ENCR][0].id, IKE_ENCR_AES_GCM_16);
	parse_ok("chacha20poly1305-prfsha512-curve25519", IKE_PROTO_IKE, &p);
	assert_int_equal(p.alg[IKE_TRANSFORM_ENCR][0].keylen, 0);
	parse_ok("AES256GCM16-ESN-NOESN", IKE_PROTO_ESP, &p);
	assert_int_equal(p.n[IKE_TRANSFORM_ESN], 2);
	assert_int_equal(p.alg[IKE_TRANSFORM_ESN][0].id, IKE_ESN_YES);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails("aes256-sha256-modp1024", IKE_PROTO_IKE, "'modp1024'");
	parse_fails("aes256-shaa256-modp2048", IKE_PROTO_IKE, "'shaa256'");
	parse_fails("aes128gcm8-prfsha256-x25519", IKE_PROTO_IKE,
		    "'aes128gcm8'");
	parse_fails("aes256gcm16-x25519", IKE_PROTO_IKE, "no PRF");
	parse_fails("aes256-prfsha256-x25519", IKE_PROTO_IKE, "integrity");
	parse_fails("aes256-sha256", IKE_PROTO_IKE, "key exchange");
	parse_fails("sha256-modp2048", IKE_PROTO_IKE, "encryption");
	parse_fails("aes256-aes256gcm16-sha256-x25519", IKE_PROTO_IKE,
		    "mixes AEAD");
	parse_fails("aes256-sha256-esn-x25519", IKE_PROTO_IKE, "ESP");
	parse_fails("aes256gcm16-sha256", IKE_PROTO_ESP, "AEAD cipher with");
	parse_fails("aes256", IKE_PROTO_ESP, "integrity");
	parse_fails("aes256-sha256-prfsha256", IKE_PROTO_ESP, "prf");
	parse_fails("", IKE_PROTO_ESP, "empty");
	parse_fails("aes128-aes192-aes256-aes128gcm16-aes192gcm16-sha1", IKE_PROTO_ESP,
		    "mixes");
}

static void roundtrip(const char *in, uint8_t proto, const char *want)
{
	struct prop_conf p, q;
	char buf[256];

	parse_ok(in, proto, &p);
	assert_int_equal(prop_format(&p, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	parse_ok(buf, proto, &q);
	assert_memory_equal(&p, &q, sizeof(p));
}

static void test_format(void **state)
{
	struct prop_conf p;
	char small[8];

	(void)state;
	roundtrip("aes256-sha256-prfsha256-modp1536", IKE_PROTO_IKE,
		  "aes256-sha256-prfsha256-modp1536");
	roundtrip("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE,
		  "aes256gcm16-prfsha256-x25519");
	roundtrip("aes128-sha1-modp2048-ecp384", IKE_PROTO_IKE,
		  "aes128-sha1-prfsha1-modp2048-ecp384");
	roundtrip("aes256gcm-sha512-curve448", IKE_PROTO_IKE,
		  "aes256gcm16-prfsha512-x448");
	roundtrip("aes128-sha1", IKE_PROTO_ESP, "aes128-sha1");
	roundtrip("aes256-sha2_256-modp3072-esn", IKE_PROTO_ESP,
		  "aes256-sha256-modp3072-esn");
	roundtrip("chacha20poly1305-noesn-esn", IKE_PROTO_ESP,
		  "chacha20poly1305-noesn-esn");
	parse_ok("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &p);
	assert_int_equal(prop_format(&p, small, sizeof(small)), -ENOSPC);
}

/* A peer proposal from a compact description. */
static void peer_prop(struct ike_proposal *pp, uint8_t num, uint8_t proto,
		      const struct ike_transform *tr, uint8_t ntr)
{
	memset(pp, 0, sizeof(*pp));
	pp->num = num;
	pp->proto = proto;
	if (proto == IKE_PROTO_ESP) {
		pp->spi_len = 4;
		memcpy(pp->spi, "\xc1\xc2\xc3\xc4", 4);
	}
	memcpy(pp->tr, tr, ntr * sizeof(*tr));
	pp->ntr = ntr;
}

static const struct ike_transform *find_tr(const struct ike_proposal *p,
					   uint8_t type)
{
	for (uint8_t i = 0; i < p->ntr; i++)
		if (p->tr[i].type == type)
			return &p->tr[i];
	return NULL;
}

/* Our order wins; one transform per type; the peer's number is kept. */
static void test_select_ike(void **state)
{
	static const struct ike_transform p1[] = {
		TR(IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 128),
		TR(IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 256),
		TR(IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA1, 0),
		TR(IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_256, 0),
		TR(IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA1_96, 0),
		TR(IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0),
		TR(IKE_TRANSFORM_DH, IKE_DH_MODP2048, 0),
		TR(IKE_TRANSFORM_DH, IKE_DH_ECP256, 0),
	};
	static const struct ike_transform p2[] = {
		TR(IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256),
		TR(IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_256, 0),
		TR(IKE_TRANSFORM_DH, IKE_DH_CURVE25519, 0),
	};
	struct prop_conf ours[2];
	struct ike_sa_pl peer = { .nprop = 2 };
	struct ike_proposal ch;
	struct ike_suite s;

	(void)state;
	parse_ok("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &ours[0]);
	parse_ok("aes256-aes128-sha256-ecp256-modp2048", IKE_PROTO_IKE,
		 &ours[1]);
	peer_prop(&peer.prop[0], 1, IKE_PROTO_IKE, p1, 8);
	peer_prop(&peer.prop[1], 2, IKE_PROTO_IKE, p2, 3);
	assert_int_equal(prop_select(ours, 2, &peer, &ch), 0);
	assert_int_equal(ch.num, 2);		/* our first choice: AEAD */
	assert_int_equal(ch.ntr, 3);
	assert_null(find_tr(&ch, IKE_TRANSFORM_INTEG));
	prop_to_ike_suite(&ch, &s);
	assert_int_equal(s.encr, IKE_ENCR_AES_GCM_16);
	assert_int_equal(s.encr_keylen, 256);
	assert_int_equal(s.integ, IKE_INTEG_NONE);
	assert_int_equal(s.dh, IKE_DH_CURVE25519);
	/* without our AEAD proposal: our order within types */
	assert_int_equal(prop_select(&ours[1], 1, &peer, &ch), 0);
	assert_int_equal(ch.num, 1);
	assert_int_equal(ch.ntr, 4);
	prop_to_ike_suite(&ch, &s);
	assert_int_equal(s.encr, IKE_ENCR_AES_CBC);
	assert_int_equal(s.encr_keylen, 256);
	assert_int_equal(s.prf, IKE_PRF_HMAC_SHA2_256);
	assert_int_equal(s.integ, IKE_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(s.dh, IKE_DH_ECP256);
	/* a key length we do not have does not match */
	peer.prop[0].tr[1].keylen = 192;
	peer.nprop = 1;
	assert_int_equal(prop_select(&ours[1], 1, &peer, &ch), 0);
	assert_int_equal(find_tr(&ch, IKE_TRANSFORM_ENCR)->keylen, 128);
	peer.prop[0].tr[0].keylen = 192;
	assert_int_equal(prop_select(&ours[1], 1, &peer, &ch), -ENOENT);
	assert_int_equal(prop_select(ours, 1, &peer, &ch), -ENOENT);
}

static void test_select_esp(void **state)
{
	static const struct ike_transform esp[] = {
		TR(IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 256),
		TR(IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA1_96, 0),
		TR(IKE_TRANSFORM_DH, IKE_DH_MODP2048, 0),
		TR(IKE_TRANSFORM_ESN, IKE_ESN_YES, 0),
		TR(IKE_TRANSFORM_ESN, IKE_ESN_NO, 0),
	};
	struct prop_conf nopfs, pfs, esn;
	struct ike_sa_pl peer = { .nprop = 1 };
	struct ike_proposal ch;
	struct esp_suite s;

	(void)state;
	parse_ok("aes256-sha1", IKE_PROTO_ESP, &nopfs);
	parse_ok("aes256-sha1-modp2048", IKE_PROTO_ESP, &pfs);
	parse_ok("aes256-sha1-esn", IKE_PROTO_ESP, &esn);
	peer_prop(&peer.prop[0], 3, IKE_PROTO_ESP, esp, 5);
	/* the peer insists on PFS: only a PFS proposal matches ... */
	assert_int_equal(prop_select(&nopfs, 1, &peer, &ch), -ENOENT);
	assert_int_equal(prop_select(&pfs, 1, &peer, &ch), 0);
	prop_to_esp_suite(&ch, &s);
	assert_int_equal(s.dh, IKE_DH_MODP2048);
	assert_int_equal(s.esn, IKE_ESN_NO);
	assert_int_equal(ch.num, 3);
	assert_int_equal(ch.spi_len, 4);
	assert_memory_equal(ch.spi, "\xc1\xc2\xc3\xc4", 4);
	/* ... except inside IKE_AUTH, where DH is not negotiated */
	assert_int_equal(prop_select_flags(&nopfs, 1, &peer, PROP_SEL_NO_DH,
					   &ch), 0);
	assert_null(find_tr(&ch, IKE_TRANSFORM_DH));
	assert_int_equal(prop_select_flags(&esn, 1, &peer, PROP_SEL_NO_DH,
					   &ch), 0);
	prop_to_esp_suite(&ch, &s);
	assert_int_equal(s.esn, IKE_ESN_YES);
	assert_int_equal(s.dh, IKE_DH_NONE);
	/* DH NONE offered: a no-PFS proposal matches */
	peer.prop[0].tr[2].id = IKE_DH_NONE;
	assert_int_equal(prop_select(&nopfs, 1, &peer, &ch), 0);
	assert_null(find_tr(&ch, IKE_TRANSFORM_DH));
	/* wrong protocol never matches */
	peer.prop[0].proto = IKE_PROTO_AH;
	assert_int_equal(prop_select(&nopfs, 1, &peer, &ch), -ENOENT);
}

/* RFC 7296 3.3.6: a transform with an unknown attribute is not offered. */
static void test_select_unknown_attr(void **state)
{
	static const struct ike_transform tr[] = {
		TR(IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128),
	};
	struct prop_conf gcm;
	struct ike_sa_pl peer = { .nprop = 1 };
	struct ike_proposal ch;

	(void)state;
	parse_ok("aes128gcm16", IKE_PROTO_ESP, &gcm);
	peer_prop(&peer.prop[0], 1, IKE_PROTO_ESP, tr, 1);
	assert_int_equal(prop_select(&gcm, 1, &peer, &ch), 0);
	peer.prop[0].tr[0].unknown_attr = true;
	assert_int_equal(prop_select(&gcm, 1, &peer, &ch), -ENOENT);
}

/* A peer proposal with a type we do not have (integrity next to AEAD)
 * does not match. */
static void test_select_extra_type(void **state)
{
	static const struct ike_transform tr[] = {
		TR(IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128),
		TR(IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA1_96, 0),
	};
	struct prop_conf gcm;
	struct ike_sa_pl peer = { .nprop = 1 };
	struct ike_proposal ch;

	(void)state;
	parse_ok("aes128gcm16", IKE_PROTO_ESP, &gcm);
	peer_prop(&peer.prop[0], 1, IKE_PROTO_ESP, tr, 2);
	assert_int_equal(prop_select(&gcm, 1, &peer, &ch), -ENOENT);
	peer.prop[0].tr[1].id = IKE_INTEG_NONE;
	assert_int_equal(prop_select(&gcm, 1, &peer, &ch), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cisco),
		cmocka_unit_test(test_parse_implied_prf),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_select_ike),
		cmocka_unit_test(test_select_esp),
		cmocka_unit_test(test_select_extra_type),
		cmocka_unit_test(test_select_unknown_attr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
