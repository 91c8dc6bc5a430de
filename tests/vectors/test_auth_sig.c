/*
 * AUTH signatures: sign/verify round trips for every method and
 * algorithm, rejection of changed octets, signatures and keys, and the
 * RFC 7427 AlgorithmIdentifier encodings checked against the RFC text
 * (appendix A: sha*WithRSAEncryption, ecdsa-with-SHA*) and, for PKCS#1
 * and ECDSA, against OpenSSL's own DER encoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "hike/ikev2.h"
#include "crypto/auth_sig.h"
#include "vec.h"

struct keys {
	EVP_PKEY *rsa, *p256, *p384, *p521;
};

static int setup(void **state)
{
	static struct keys k;

	k.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k.p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	k.p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
	k.p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp521r1");
	*state = &k;
	return k.rsa && k.p256 && k.p384 && k.p521 ? 0 : -1;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->rsa);
	EVP_PKEY_free(k->p256);
	EVP_PKEY_free(k->p384);
	EVP_PKEY_free(k->p521);
	return 0;
}

/* Signed octets in three spans, like RealMessage | Nonce | prf(SK_p, ID'). */
static uint8_t msg[300], nonce[32], macid[32];
static const struct crypto_span octets[3] = {
	{ msg, sizeof(msg) }, { nonce, sizeof(nonce) }, { macid, sizeof(macid) },
};

static void round_trip(EVP_PKEY *key, uint8_t method,
		       enum auth_sig_kind kind, uint16_t hash, size_t want_len)
{
	uint8_t sig[AUTH_SIG_MAX];
	size_t len = sizeof(sig);

	memset(msg, 0x42, sizeof(msg));
	memset(nonce, 0x17, sizeof(nonce));
	memset(macid, 0x99, sizeof(macid));
	assert_int_equal(auth_sig_sign(key, method, kind, hash, octets, 3, sig,
				       &len), 0);
	if (want_len)
		assert_int_equal(len, want_len);
	assert_int_equal(auth_sig_verify(key, method, sig, len, octets, 3), 0);
	/* a changed octet anywhere in what is signed */
	nonce[5] ^= 1;
	assert_int_equal(auth_sig_verify(key, method, sig, len, octets, 3),
			 -EBADMSG);
	nonce[5] ^= 1;
	/* a changed signature */
	sig[len - 1] ^= 0x40;
	assert_int_equal(auth_sig_verify(key, method, sig, len, octets, 3),
			 -EBADMSG);
	sig[len - 1] ^= 0x40;
	/* truncated */
	assert_int_not_equal(auth_sig_verify(key, method, sig, len - 1,
					     octets, 3), 0);
}

static void test_rsa(void **state)
{
	struct keys *k = *state;
	static const uint16_t hashes[] = {
		IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512,
	};

	round_trip(k->rsa, IKE_AUTH_RSA_SIG, 0, 0, 256);
	for (size_t i = 0; i < 3; i++) {
		round_trip(k->rsa, IKE_AUTH_DIGITAL_SIG, AUTH_SIG_RSA_PKCS1,
			   hashes[i], 1 + 15 + 256);
		round_trip(k->rsa, IKE_AUTH_DIGITAL_SIG, AUTH_SIG_RSA_PSS,
			   hashes[i], 1 + 67 + 256);
	}
}

static void test_ecdsa(void **state)
{
	struct keys *k = *state;

	/* RFC 4754: r | s of the curve's size */
	round_trip(k->p256, IKE_AUTH_ECDSA_256, 0, 0, 64);
	round_trip(k->p384, IKE_AUTH_ECDSA_384, 0, 0, 96);
	round_trip(k->p521, IKE_AUTH_ECDSA_521, 0, 0, 132);
	/* RFC 7427: any hash with any curve, DER signature */
	round_trip(k->p256, IKE_AUTH_DIGITAL_SIG, AUTH_SIG_ECDSA,
		   IKE_HASH_SHA2_256, 0);
	round_trip(k->p384, IKE_AUTH_DIGITAL_SIG, AUTH_SIG_ECDSA,
		   IKE_HASH_SHA2_512, 0);
	round_trip(k->p521, IKE_AUTH_DIGITAL_SIG, AUTH_SIG_ECDSA,
		   IKE_HASH_SHA2_384, 0);
}

/* Keys of the wrong type or curve, and unknown algorithms. */
static void test_mismatch(void **state)
{
	struct keys *k = *state;
	uint8_t sig[AUTH_SIG_MAX];
	size_t len = sizeof(sig);

	assert_int_equal(auth_sig_sign(k->p256, IKE_AUTH_RSA_SIG, 0, 0, octets,
				       3, sig, &len), -ENOTSUP);
	assert_int_equal(auth_sig_sign(k->p384, IKE_AUTH_ECDSA_256, 0, 0,
				       octets, 3, sig, &len), -ENOTSUP);
	assert_int_equal(auth_sig_sign(k->rsa, IKE_AUTH_DIGITAL_SIG,
				       AUTH_SIG_RSA_PSS, IKE_HASH_SHA1, octets,
				       3, sig, &len), -ENOTSUP);
	assert_int_equal(auth_sig_sign(k->rsa, IKE_AUTH_PSK, 0, 0, octets, 3,
				       sig, &len), -ENOTSUP);
	/* an RSA signature presented with an ECDSA key */
	assert_int_equal(auth_sig_sign(k->rsa, IKE_AUTH_DIGITAL_SIG,
				       AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_256,
				       octets, 3, sig, &len), 0);
	assert_int_equal(auth_sig_verify(k->p256, IKE_AUTH_DIGITAL_SIG, sig,
					 len, octets, 3), -EINVAL);
	/* an AlgorithmIdentifier we do not know (sha1WithRSAEncryption) */
	sig[13] = 0x05;
	assert_int_equal(auth_sig_verify(k->rsa, IKE_AUTH_DIGITAL_SIG, sig,
					 len, octets, 3), -ENOTSUP);
	/* a length octet running past the data */
	sig[0] = 0xff;
	assert_int_equal(auth_sig_verify(k->rsa, IKE_AUTH_DIGITAL_SIG, sig,
					 20, octets, 3), -EINVAL);
	/* ECDSA r | s of the wrong size */
	assert_int_equal(auth_sig_verify(k->p256, IKE_AUTH_ECDSA_256, sig, 63,
					 octets, 3), -EBADMSG);
	/* too small a buffer */
	len = 100;
	assert_int_equal(auth_sig_sign(k->rsa, IKE_AUTH_RSA_SIG, 0, 0, octets,
				       3, sig, &len), -ENOSPC);
}

static void algid_is(enum auth_sig_kind kind, uint16_t hash, const char *hex)
{
	uint8_t want[80];
	size_t wl = VEC_HEX(want, hex);
	const uint8_t *der;

	assert_int_equal(auth_sig_algid(kind, hash, &der), wl);
	assert_memory_equal(der, want, wl);
}

/* OpenSSL's DER of { algorithm, [NULL] } for a signature NID. */
static void algid_matches_openssl(enum auth_sig_kind kind, uint16_t hash,
				  int nid, int ptype)
{
	X509_ALGOR *a = X509_ALGOR_new();
	uint8_t *der = NULL;
	const uint8_t *ours;
	size_t n = auth_sig_algid(kind, hash, &ours);
	int len;

	assert_non_null(a);
	assert_true(X509_ALGOR_set0(a, OBJ_nid2obj(nid), ptype, NULL));
	len = i2d_X509_ALGOR(a, &der);
	assert_int_equal((size_t)len, n);
	assert_memory_equal(der, ours, n);
	OPENSSL_free(der);
	X509_ALGOR_free(a);
}

static void test_algids(void **state)
{
	(void)state;
	/* RFC 7427 A.1.2 (sha256WithRSAEncryption), A.3.1 (ecdsa-with-sha256) */
	algid_is(AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_256,
		 "30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00");
	algid_is(AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_384,
		 "30 0d 06 09 2a 86 48 86 f7 0d 01 01 0c 05 00");
	algid_is(AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_512,
		 "30 0d 06 09 2a 86 48 86 f7 0d 01 01 0d 05 00");
	algid_is(AUTH_SIG_ECDSA, IKE_HASH_SHA2_256,
		 "30 0a 06 08 2a 86 48 ce 3d 04 03 02");
	algid_is(AUTH_SIG_ECDSA, IKE_HASH_SHA2_512,
		 "30 0a 06 08 2a 86 48 ce 3d 04 03 04");
	/* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 3.1 DER) */
	algid_is(AUTH_SIG_RSA_PSS, IKE_HASH_SHA2_256,
		 "30 41 06 09 2A 86 48 86 F7 0D 01 01 0A 30 34 A0 0F 30 0D 06 09"
		 "60 86 48 01 65 03 04 02 01 05 00 A1 1C 30 1A 06 09 2A 86 48 86"
		 "F7 0D 01 01 08 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 A2"
		 "03 02 01 20");
	algid_matches_openssl(AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_384,
			      NID_sha384WithRSAEncryption, V_ASN1_NULL);
	algid_matches_openssl(AUTH_SIG_ECDSA, IKE_HASH_SHA2_384,
			      NID_ecdsa_with_SHA384, V_ASN1_UNDEF);
	assert_int_equal(auth_sig_algid(AUTH_SIG_ECDSA, IKE_HASH_SHA1,
					&(const uint8_t *){ NULL }), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_algids),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
