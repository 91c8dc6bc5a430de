/*
 * Key exchange known answers and RFC 6989 public value checks.
 *
 * ECP: RFC 5903 section 8 (8.1 group 19, 8.2 group 20, 8.3 group 21): our
 * KE data for the private key i must be gix | giy, and with the peer's
 * grx | gry the secret must be girx.
 * X25519/X448: RFC 7748 section 5.2 (scalar multiplication) and 6.1/6.2
 * (Diffie-Hellman), the groups of RFC 8031.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>

#include "hike/ikev2.h"
#include "crypto/kex.h"
#include "vec.h"

struct ecdh_kat {
	uint16_t group;
	const char *i, *gix, *giy, *r, *grx, *gry, *girx;
};

static const struct ecdh_kat ecp_kats[] = {
	{ IKE_DH_ECP256,
	  "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
	  "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
	  "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
	  "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
	  "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
	  "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
	  "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE" },
	{ IKE_DH_ECP384,
	  "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655 E35B5380 41E649EE 3FAEF896 783AB194",
	  "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4 C88732AE E95F41AA",
	  "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
	  "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942 E0308312 916B8ED2 960E4BD5 5A7448FC",
	  "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D 0D1AC43A 0336DEF9 6FDA41D0 774A3571",
	  "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
	  "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0 9CF5D4A2 70F59746" },
	{ IKE_DH_ECP521,
	  "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0 95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
	  "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E",
	  "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F 9582",
	  "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E 9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
	  "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21 9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
	  "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87 220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F C56A",
	  "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04 D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA" },
};

/* Our side holds private key `priv`; its KE data must be `pub_x | pub_y`
 * and the secret with `peer_x | peer_y` must be `girx`. */
static void ecdh_side(uint16_t group, const char *priv, const char *pub_x,
		      const char *pub_y, const char *peer_x,
		      const char *peer_y, const char *girx)
{
	uint8_t d[66], want[132], peer[132], gir[66], got[132], sec[66];
	size_t dl = VEC_HEX(d, priv), cl = kex_public_len(group) / 2;
	size_t gl = VEC_HEX(gir, girx), len = sizeof(got), slen = sizeof(sec);
	struct kex *k;

	assert_int_equal(vec_hex(pub_x, want, cl), cl);
	assert_int_equal(vec_hex(pub_y, want + cl, cl), cl);
	assert_int_equal(vec_hex(peer_x, peer, cl), cl);
	assert_int_equal(vec_hex(peer_y, peer + cl, cl), cl);
	assert_int_equal(gl, cl);
	k = kex_new_private(group, d, dl);
	assert_non_null(k);
	assert_int_equal(kex_group(k), group);
	assert_int_equal(kex_public(k, got, &len), 0);
	assert_int_equal(len, 2 * cl);
	assert_memory_equal(got, want, 2 * cl);
	assert_int_equal(kex_derive(k, peer, 2 * cl, sec, &slen), 0);
	assert_int_equal(slen, cl);
	assert_memory_equal(sec, gir, cl);
	kex_free(k);
}

static void test_rfc5903(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ecp_kats) / sizeof(ecp_kats[0]); i++) {
		const struct ecdh_kat *t = &ecp_kats[i];

		ecdh_side(t->group, t->i, t->gix, t->giy, t->grx, t->gry,
			  t->girx);
		ecdh_side(t->group, t->r, t->grx, t->gry, t->gix, t->giy,
			  t->girx);
	}
}

/* scalar * u = out with our private value as the scalar. */
static void xdh_check(uint16_t group, const char *scalar, const char *u,
		      const char *out)
{
	uint8_t k[56], pu[56], want[56], sec[56];
	size_t kl = VEC_HEX(k, scalar), ul = VEC_HEX(pu, u);
	size_t wl = VEC_HEX(want, out), sl = sizeof(sec);
	struct kex *x = kex_new_private(group, k, kl);

	assert_non_null(x);
	assert_int_equal(kl, kex_public_len(group));
	assert_int_equal(ul, kl);
	assert_int_equal(kex_derive(x, pu, ul, sec, &sl), 0);
	assert_int_equal(sl, wl);
	assert_memory_equal(sec, want, wl);
	kex_free(x);
}

/* A private key's public value. */
static void xdh_public(uint16_t group, const char *priv, const char *pub)
{
	uint8_t k[56], want[56], got[56];
	size_t kl = VEC_HEX(k, priv), wl = VEC_HEX(want, pub), gl = sizeof(got);
	struct kex *x = kex_new_private(group, k, kl);

	assert_non_null(x);
	assert_int_equal(kex_public(x, got, &gl), 0);
	assert_int_equal(gl, wl);
	assert_memory_equal(got, want, wl);
	kex_free(x);
}

static void test_rfc7748_x25519(void **state)
{
	(void)state;
	/* 5.2, first test vector */
	xdh_check(IKE_DH_CURVE25519,
		  "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	/* 5.2, iterated: after one iteration k = u = 9 gives */
	xdh_check(IKE_DH_CURVE25519,
		  "0900000000000000000000000000000000000000000000000000000000000000",
		  "0900000000000000000000000000000000000000000000000000000000000000",
		  "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	/* 6.1: Alice and Bob */
	xdh_public(IKE_DH_CURVE25519,
		   "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		   "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	xdh_public(IKE_DH_CURVE25519,
		   "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		   "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	xdh_check(IKE_DH_CURVE25519,
		  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	xdh_check(IKE_DH_CURVE25519,
		  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

static void test_rfc7748_x448(void **state)
{
	(void)state;
	/* 5.2, first test vector */
	xdh_check(IKE_DH_CURVE448,
		  "3d262fddf9ec8e88495266fea19a34d28882acef045104d0d1aae121700a779c984c24f8cdd78fbff44943eba368f54b29259a4f1c600ad3",
		  "06fce640fa3487bfda5f6cf2d5263f8aad88334cbd07437f020f08f9814dc031ddbdc38c19c6da2583fa5429db94ada18aa7a7fb4ef8a086",
		  "ce3e4ff95a60dc6697da1db1d85e6afbdf79b50a2412d7546d5f239fe14fbaadeb445fc66a01b0779d98223961111e21766282f73dd96b6f");
	/* 6.2: Alice and Bob */
	xdh_public(IKE_DH_CURVE448,
		   "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
		   "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0");
	xdh_check(IKE_DH_CURVE448,
		  "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
		  "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
		  "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d");
}

/* Two fresh key pairs agree, for every group. */
static void test_round_trips(void **state)
{
	static const uint16_t groups[] = {
		IKE_DH_MODP1536, IKE_DH_MODP2048, IKE_DH_MODP3072,
		IKE_DH_ECP256, IKE_DH_ECP384, IKE_DH_ECP521,
		IKE_DH_CURVE25519, IKE_DH_CURVE448,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct kex *a = kex_new(groups[i]), *b = kex_new(groups[i]);
		uint8_t pa[KEX_MAX_PUB], pb[KEX_MAX_PUB];
		uint8_t sa[KEX_MAX_SECRET], sb[KEX_MAX_SECRET];
		size_t la = sizeof(pa), lb = sizeof(pb);
		size_t na = sizeof(sa), nb = sizeof(sb);

		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(kex_public(a, pa, &la), 0);
		assert_int_equal(kex_public(b, pb, &lb), 0);
		assert_int_equal(la, kex_public_len(groups[i]));
		assert_memory_not_equal(pa, pb, la);
		assert_int_equal(kex_derive(a, pb, lb, sa, &na), 0);
		assert_int_equal(kex_derive(b, pa, la, sb, &nb), 0);
		assert_int_equal(na, kex_secret_len(groups[i]));
		assert_int_equal(na, nb);
		assert_memory_equal(sa, sb, na);
		kex_free(a);
		kex_free(b);
	}
}

/* MODP from a fixed private value: y = 2^x mod p, padded to 256 bytes. */
static void test_modp_private(void **state)
{
	uint8_t x[1] = { 3 }, pub[256];
	size_t len = sizeof(pub);
	struct kex *k = kex_new_private(IKE_DH_MODP2048, x, 1);

	(void)state;
	assert_non_null(k);
	assert_int_equal(kex_public(k, pub, &len), 0);
	assert_int_equal(len, 256);
	for (size_t i = 0; i < 255; i++)
		assert_int_equal(pub[i], 0);
	assert_int_equal(pub[255], 8);
	kex_free(k);
}

/* Value p + delta, as 256 bytes. */
static void modp2048_p_plus(long delta, uint8_t out[256])
{
	BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);

	assert_non_null(p);
	if (delta < 0)
		assert_true(BN_sub_word(p, (BN_ULONG)-delta));
	else
		assert_true(BN_add_word(p, (BN_ULONG)delta));
	assert_int_equal(BN_bn2binpad(p, out, 256), 256);
	BN_free(p);
}

static void expect_reject(struct kex *k, const uint8_t *v, size_t len)
{
	uint8_t sec[KEX_MAX_SECRET];
	size_t sl = sizeof(sec);

	assert_int_equal(kex_derive(k, v, len, sec, &sl), -EINVAL);
	assert_int_equal(sl, 0);
}

/* RFC 6989 2.1: 1 < y < p-1 and the exact length. */
static void test_modp_rejects(void **state)
{
	struct kex *k = kex_new(IKE_DH_MODP2048);
	uint8_t v[257];

	(void)state;
	assert_non_null(k);
	memset(v, 0, sizeof(v));
	expect_reject(k, v, 256);		/* 0 */
	v[255] = 1;
	expect_reject(k, v, 256);		/* 1 */
	modp2048_p_plus(-1, v);
	expect_reject(k, v, 256);		/* p - 1 */
	modp2048_p_plus(0, v);
	expect_reject(k, v, 256);		/* p */
	memset(v, 0xff, sizeof(v));
	expect_reject(k, v, 256);		/* > p */
	memset(v, 0, sizeof(v));
	v[254] = 2;
	expect_reject(k, v, 255);		/* short */
	expect_reject(k, v, 257);		/* long */
	kex_free(k);
}

/* RFC 6989 2.3: points must be on the curve; lengths exact. */
static void test_ecp_rejects(void **state)
{
	const struct ecdh_kat *t = &ecp_kats[0];
	struct kex *k = kex_new(IKE_DH_ECP256);
	uint8_t v[65];

	(void)state;
	assert_non_null(k);
	assert_int_equal(vec_hex(t->grx, v, 32), 32);
	assert_int_equal(vec_hex(t->gry, v + 32, 32), 32);
	v[63] ^= 1;
	expect_reject(k, v, 64);		/* off the curve */
	memset(v, 0, sizeof(v));
	expect_reject(k, v, 64);		/* (0, 0) */
	v[0] = 0x04;
	assert_int_equal(vec_hex(t->grx, v + 1, 32), 32);
	assert_int_equal(vec_hex(t->gry, v + 33, 32), 32);
	expect_reject(k, v, 65);		/* SEC 1 prefix is not wire form */
	expect_reject(k, v + 1, 63);		/* short */
	kex_free(k);
}

/* RFC 7748 6 / RFC 8031 2.3: a low-order point gives an all-zero secret,
 * which must be refused. */
static void test_x25519_rejects(void **state)
{
	struct kex *k = kex_new(IKE_DH_CURVE25519);
	struct kex *k448 = kex_new(IKE_DH_CURVE448);
	uint8_t v[56] = { 0 };

	(void)state;
	assert_non_null(k);
	assert_non_null(k448);
	expect_reject(k, v, 32);		/* u = 0 */
	v[0] = 1;
	expect_reject(k, v, 32);		/* u = 1 */
	expect_reject(k, v, 31);
	memset(v, 0, sizeof(v));
	expect_reject(k448, v, 56);
	kex_free(k);
	kex_free(k448);
}

/* Workers run kex_new()/kex_derive() concurrently (the responder's DH
 * pool): each thread does whole exchanges and checks agreement. */
static void *kex_worker(void *arg)
{
	static const uint16_t groups[] = { IKE_DH_CURVE25519, IKE_DH_ECP256,
					   IKE_DH_MODP2048 };
	uintptr_t bad = 0;

	(void)arg;
	for (int i = 0; i < 30; i++) {
		uint16_t g = groups[i % 3];
		struct kex *a = kex_new(g), *b = kex_new(g);
		uint8_t pa[KEX_MAX_PUB], pb[KEX_MAX_PUB], sa[512], sb[512];
		size_t la = sizeof(pa), lb = sizeof(pb);
		size_t na = sizeof(sa), nb = sizeof(sb);

		if (!a || !b || kex_public(a, pa, &la) || kex_public(b, pb, &lb) ||
		    kex_derive(a, pb, lb, sa, &na) ||
		    kex_derive(b, pa, la, sb, &nb) || na != nb ||
		    memcmp(sa, sb, na))
			bad++;
		kex_free(a);
		kex_free(b);
	}
	return (void *)bad;
}

static void test_threads(void **state)
{
	pthread_t th[4];
	void *bad;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, kex_worker, NULL),
				 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_null(bad);
	}
}

static void test_groups(void **state)
{
	(void)state;
	assert_true(kex_supported(IKE_DH_MODP1536));
	assert_true(kex_is_weak(IKE_DH_MODP1536));
	assert_false(kex_is_weak(IKE_DH_MODP2048));
	assert_false(kex_supported(IKE_DH_MODP1024));
	assert_null(kex_new(IKE_DH_MODP1024));
	assert_int_equal(kex_public_len(IKE_DH_MODP4096), 512);
	assert_int_equal(kex_public_len(IKE_DH_ECP521), 132);
	assert_int_equal(kex_secret_len(IKE_DH_ECP521), 66);
	assert_int_equal(kex_public_len(IKE_DH_CURVE448), 56);
	kex_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5903),
		cmocka_unit_test(test_rfc7748_x25519),
		cmocka_unit_test(test_rfc7748_x448),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_modp_private),
		cmocka_unit_test(test_modp_rejects),
		cmocka_unit_test(test_ecp_rejects),
		cmocka_unit_test(test_x25519_rejects),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
