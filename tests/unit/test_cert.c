/*
 * X.509 for IKEv2 AUTH (crypto/cert.h) against the test PKI of
 * tests/fixtures/certs/ (make.sh there says what each file is).
 *
 * The peer side is played with the fixtures' own credentials: a peer's
 * CERT payloads are exactly what cert_chain_der() of its chain file gives,
 * so every successful verification is also a round trip of our CERT
 * encoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hike/ikev2.h"
#include "crypto/auth_sig.h"
#include "crypto/cert.h"
#include "../common/fixture.h"

/*
 * RFC 7296 3.7 CERTREQ entries, printed by make.sh when it generated the
 * PKI, independently of our code:
 *   openssl x509 -in ca.crt -noout -pubkey | openssl pkey -pubin \
 *     -outform DER | openssl dgst -sha1
 * (also in tests/fixtures/certs/certreq-sha1.txt).
 */
static const char *const hash_hex[] = {
	"a727ac8ae9fe74f99e3f4a2f4372c40c55867080",	/* ca */
	"78cde49e449e97cbad9352029c2f4620a4946091",	/* int */
	"72b9bfaa25c5c251984dbb520ac4ac0c616b951e",	/* long1 */
	"61c698e0a1f5a542fe4c2d15697eaab49dee7908",	/* long2 */
	"573f334718e244014aa3f2b36d9295be4a52a236",	/* long3 */
};

/* `openssl x509 -in gw-rsa.crt -outform DER | wc -c`, from make.sh */
#define GW_RSA_DER_LEN 881

/* DER of the DN "CN=gw.hike.test" (a UTF8String, as `openssl req` writes
 * it): SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String } } } */
static const uint8_t gw_dn[] = {
	0x30, 0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x0c, 0x0c, 'g', 'w', '.', 'h', 'i', 'k', 'e', '.', 't', 'e', 's', 't',
};
static const uint8_t peer_ip4[] = { 192, 0, 2, 50 };
static const uint8_t gw_ip4[] = { 192, 0, 2, 10 };

static void unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i]; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static const char *fx(const char *name)
{
	static _Thread_local char path[512];

	snprintf(path, sizeof(path), "%s/certs/%s", fx_root(), name);
	return path;
}

static struct cert_store *store(const char *a, const char *b)
{
	char pa[512], pb[512], err[256];
	const char *paths[2] = { pa, pb };
	struct cert_store *s;

	snprintf(pa, sizeof(pa), "%s", fx(a));
	if (b)
		snprintf(pb, sizeof(pb), "%s", fx(b));
	if (cert_store_load(paths, b ? 2 : 1, &s, err, sizeof(err)) != 0)
		fail_msg("store %s: %s", a, err);
	return s;
}

/* name-chain.pem + name.key */
static struct cert_cred *cred(const char *name)
{
	char cp[512], err[256], base[64];
	struct cert_cred *c;

	snprintf(base, sizeof(base), "%s-chain.pem", name);
	snprintf(cp, sizeof(cp), "%s", fx(base));
	snprintf(base, sizeof(base), "%s.key", name);
	if (cert_cred_load(cp, fx(base), &c, err, sizeof(err)) != 0)
		fail_msg("cred %s: %s", name, err);
	return c;
}

/* The CERT payloads a peer holding c sends: its whole chain, or only
 * the first n. */
static size_t payloads(const struct cert_cred *c, struct ike_cert_pl *pl,
		       size_t n)
{
	size_t k = cert_chain_count(c);

	if (n && n < k)
		k = n;
	for (size_t i = 0; i < k; i++) {
		pl[i].encoding = IKE_CERT_X509_SIG;
		assert_int_equal(cert_chain_der(c, i, &pl[i].data, &pl[i].len), 0);
	}
	return k;
}

static struct ike_id_pl id(uint8_t type, const void *data, size_t len)
{
	struct ike_id_pl i = { .type = type, .data = data, .len = len };

	return i;
}

static struct ike_id_pl fqdn(const char *s)
{
	return id(IKE_ID_FQDN, s, strlen(s));
}

/* Verify the peer `name` against s with its first `n` certificates (0 =
 * all); returns the result, err in err. */
static int verify(const struct cert_store *s, const char *name, size_t n,
		  const struct conf_id *expected, const struct ike_id_pl *idi,
		  char *err, size_t errlen)
{
	struct cert_cred *c = cred(name);
	struct ike_cert_pl pl[CERT_MAX_CHAIN];
	EVP_PKEY *key = (EVP_PKEY *)1;
	int rc;

	n = payloads(c, pl, n);
	rc = cert_verify_peer(s, pl, n, expected, idi, &key, err, errlen);
	if (rc == 0) {
		assert_non_null(key);
		EVP_PKEY_free(key);
	} else {
		assert_null(key);
	}
	cert_cred_free(c);
	return rc;
}

static void expect_fail(int rc, int want, const char *err, const char *part)
{
	assert_int_equal(rc, want);
	if (!strstr(err, part))
		fail_msg("error '%s' lacks '%s'", err, part);
}

static void test_store_load(void **state)
{
	char err[256], p[512];
	const char *paths[1] = { p };
	struct cert_store *s;

	(void)state;
	s = store("cas.pem", NULL);	/* five CAs in one file */
	assert_int_equal(cert_store_count(s), 5);
	cert_store_free(s);
	s = store("ca.crt", "int.crt");
	assert_int_equal(cert_store_count(s), 2);
	cert_store_free(s);
	cert_store_free(NULL);

	snprintf(p, sizeof(p), "%s", fx("gw-rsa.crt"));
	expect_fail(cert_store_load(paths, 1, &s, err, sizeof(err)), -EINVAL,
		    err, "not a CA");
	assert_null(s);
	snprintf(p, sizeof(p), "%s", fx("ca.key"));
	expect_fail(cert_store_load(paths, 1, &s, err, sizeof(err)), -EINVAL,
		    err, "no PEM certificate");
	snprintf(p, sizeof(p), "%s", fx("nonexistent.crt"));
	expect_fail(cert_store_load(paths, 1, &s, err, sizeof(err)), -ENOENT,
		    err, "nonexistent.crt");
	expect_fail(cert_store_load(paths, 0, &s, err, sizeof(err)), -EINVAL,
		    err, "no CA");
}

/* RFC 7296 3.7: CERTREQ data = SHA-1(SubjectPublicKeyInfo) per CA. */
static void test_certreq_hashes(void **state)
{
	struct cert_store *s = store("cas.pem", NULL);
	uint8_t want[5 * CERT_HASH_LEN], got[5 * CERT_HASH_LEN + 7];
	size_t len;

	(void)state;
	for (size_t i = 0; i < 5; i++)
		unhex(hash_hex[i], want + i * CERT_HASH_LEN);
	assert_int_equal(cert_certreq_hashes(s, got, sizeof(got), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(cert_certreq_hashes(s, got, sizeof(want) - 1, &len),
			 -ENOSPC);
	assert_int_equal(len, 0);
	cert_store_free(s);
}

static void test_cred_load(void **state)
{
	struct cert_cred *c = cred("gw-big");
	char err[256], cp[512];
	const uint8_t *der;
	size_t len;

	(void)state;
	assert_int_equal(cert_chain_count(c), 4);	/* leaf + 3 CAs */
	assert_non_null(cert_cred_key(c));
	assert_int_equal(cert_chain_der(c, 4, &der, &len), -ENOENT);
	cert_cred_free(c);
	cert_cred_free(NULL);

	snprintf(cp, sizeof(cp), "%s", fx("gw-rsa-chain.pem"));
	expect_fail(cert_cred_load(cp, fx("gw-ecdsa.key"), &c, err,
				   sizeof(err)), -EINVAL, err, "does not match");
	assert_null(c);
	expect_fail(cert_cred_load(cp, fx("nope.key"), &c, err, sizeof(err)),
		    -ENOENT, err, "nope.key");
	snprintf(cp, sizeof(cp), "%s", fx("gw-rsa.key"));
	expect_fail(cert_cred_load(cp, cp, &c, err, sizeof(err)), -EINVAL,
		    err, "no PEM certificate");
}

/* An encrypted key must fail at once, never prompt on a terminal. */
static void test_cred_encrypted_key(void **state)
{
	char tmpl[] = "/tmp/hike-test-cert-XXXXXX", cp[512], err[256];
	struct cert_cred *c = cred("gw-ecdsa");
	int fd = mkstemp(tmpl);
	FILE *f = fdopen(fd, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, cert_cred_key(c),
					      EVP_aes_128_cbc(),
					      (unsigned char *)"pw", 2, NULL,
					      NULL), 1);
	fclose(f);
	cert_cred_free(c);
	snprintf(cp, sizeof(cp), "%s", fx("gw-ecdsa-chain.pem"));
	expect_fail(cert_cred_load(cp, tmpl, &c, err, sizeof(err)), -EINVAL,
		    err, "no unencrypted PEM private key");
	unlink(tmpl);
}

/* Our CERT payloads are the certificates' DER, leaf first (RFC 7296 3.6),
 * byte for byte what the PEM holds. */
static void test_chain_der(void **state)
{
	struct cert_cred *c = cred("gw-rsa");
	const char *files[] = { "gw-rsa.crt", "int.crt" };
	const unsigned char *p;
	const uint8_t *der;
	unsigned char *re;
	size_t len;
	X509 *x;

	(void)state;
	assert_int_equal(cert_chain_count(c), 2);
	assert_int_equal(cert_chain_der(c, 0, &der, &len), 0);
	assert_int_equal(len, GW_RSA_DER_LEN);
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(fx(files[i]), "r");
		int n;

		assert_non_null(f);
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		assert_non_null(x);
		re = NULL;
		n = i2d_X509(x, &re);
		assert_int_equal(cert_chain_der(c, i, &der, &len), 0);
		assert_int_equal(len, (size_t)n);
		assert_memory_equal(der, re, len);
		p = der;	/* and it parses back to the same certificate */
		X509 *y = d2i_X509(NULL, &p, (long)len);
		assert_non_null(y);
		assert_int_equal(X509_cmp(x, y), 0);
		X509_free(y);
		X509_free(x);
		OPENSSL_free(re);
	}
	cert_cred_free(c);
}

/* IKE_AUTH { IDi, CERT(leaf), CERT(int), AUTH, ... } --> with each of
 * the initiator's identities. */
static void test_verify_ok(void **state)
{
	struct cert_store *s = store("ca.crt", NULL);
	uint8_t dn[128];
	struct ike_id_pl idi;
	char err[256];
	size_t dnlen;
	struct cert_cred *c = cred("peer-rsa");

	(void)state;
	assert_int_equal(cert_id_of(c, IKE_ID_DER_ASN1_DN, dn, sizeof(dn),
				    &dnlen, NULL), 0);
	cert_cred_free(c);
	idi = id(IKE_ID_DER_ASN1_DN, dn, dnlen);
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), 0);
	assert_string_equal(err, "CN = peer.hike.test");
	idi = fqdn("peer.hike.test");
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), 0);
	idi = fqdn("PEER.Hike.Test");	/* DNS names ignore case */
	assert_int_equal(verify(s, "peer-ecdsa", 0, NULL, &idi, err, sizeof(err)), 0);
	idi = id(IKE_ID_IPV4_ADDR, peer_ip4, 4);
	assert_int_equal(verify(s, "peer-ecdsa", 0, NULL, &idi, err, sizeof(err)), 0);
	idi = id(IKE_ID_RFC822_ADDR, "peer@hike.test", 14);
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), 0);
	/* three intermediates, all from CERT payloads */
	idi = fqdn("peer.hike.test");
	assert_int_equal(verify(s, "peer-big", 0, NULL, &idi, err, sizeof(err)), 0);
	cert_store_free(s);
}

/* strongSwan omits intermediates our CERTREQ names: the store has them. */
static void test_verify_intermediate_omitted(void **state)
{
	struct cert_store *all = store("cas.pem", NULL);
	struct cert_store *root = store("ca.crt", NULL);
	struct cert_store *inter = store("int.crt", NULL);
	struct ike_id_pl idi = fqdn("peer.hike.test");
	char err[256];

	(void)state;
	assert_int_equal(verify(all, "peer-rsa", 1, NULL, &idi, err, sizeof(err)), 0);
	assert_int_equal(verify(all, "peer-big", 1, NULL, &idi, err, sizeof(err)), 0);
	expect_fail(verify(root, "peer-rsa", 1, NULL, &idi, err, sizeof(err)),
		    -EKEYREJECTED, err, "unable to get local issuer");
	expect_fail(verify(root, "peer-big", 3, NULL, &idi, err, sizeof(err)),
		    -EKEYREJECTED, err, "hike Long Chain CA 2");
	/* an intermediate alone is a trust anchor too */
	assert_int_equal(verify(inter, "peer-rsa", 1, NULL, &idi, err, sizeof(err)), 0);
	cert_store_free(all);
	cert_store_free(root);
	cert_store_free(inter);
}

static void test_verify_wrong_ca(void **state)
{
	struct cert_store *s = store("cas.pem", NULL);
	struct cert_store *other = store("other-ca.crt", NULL);
	struct ike_id_pl idi = fqdn("peer.hike.test");
	char err[256];

	(void)state;
	expect_fail(verify(s, "other-peer", 0, NULL, &idi, err, sizeof(err)),
		    -EKEYREJECTED, err, "unable to get local issuer");
	expect_fail(verify(other, "peer-rsa", 0, NULL, &idi, err, sizeof(err)),
		    -EKEYREJECTED, err, "depth");
	assert_int_equal(verify(other, "other-peer", 0, NULL, &idi, err, sizeof(err)), 0);
	cert_store_free(s);
	cert_store_free(other);
}

static void test_verify_validity(void **state)
{
	struct cert_store *s = store("cas.pem", NULL);
	struct ike_id_pl idi = fqdn("peer.hike.test");
	char err[256];

	(void)state;
	expect_fail(verify(s, "expired", 0, NULL, &idi, err, sizeof(err)),
		    -EKEYREJECTED, err, "certificate has expired");
	expect_fail(verify(s, "future", 0, NULL, &idi, err, sizeof(err)),
		    -EKEYREJECTED, err, "certificate is not yet valid");
	cert_store_free(s);
}

/* RFC 4945 3.1: the ID must be one the certificate vouches for. */
static void test_verify_id_mismatch(void **state)
{
	static const uint8_t keyid[] = { 1, 2, 3 };
	struct cert_store *s = store("cas.pem", NULL);
	uint8_t dn_trailing[sizeof(gw_dn) + 1];
	struct ike_id_pl idi;
	char err[256];

	(void)state;
	idi = fqdn("gw.hike.test");
	expect_fail(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)),
		    -EPERM, err, "peer.hike.test");
	idi = fqdn("hike.test");
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	idi = fqdn("peer.hike.test.evil");
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	idi = id(IKE_ID_FQDN, "peer.hike.test\0x", 16);	/* embedded NUL */
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	idi = id(IKE_ID_IPV4_ADDR, gw_ip4, 4);
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	idi = id(IKE_ID_IPV6_ADDR, gw_ip4, 4);			/* bad length */
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	idi = id(IKE_ID_DER_ASN1_DN, gw_dn, sizeof(gw_dn));	/* gw's DN */
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	memcpy(dn_trailing, gw_dn, sizeof(gw_dn));
	dn_trailing[sizeof(gw_dn)] = 0;
	idi = id(IKE_ID_DER_ASN1_DN, dn_trailing, sizeof(dn_trailing));
	assert_int_equal(verify(s, "gw-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	idi = id(IKE_ID_DER_ASN1_DN, gw_dn, sizeof(gw_dn));	/* but exact: ok */
	assert_int_equal(verify(s, "gw-rsa", 0, NULL, &idi, err, sizeof(err)), 0);
	idi = id(IKE_ID_KEY_ID, keyid, sizeof(keyid));
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, &idi, err, sizeof(err)), -EPERM);
	assert_int_equal(verify(s, "peer-rsa", 0, NULL, NULL, err, sizeof(err)), -EPERM);
	cert_store_free(s);
}

/* The connection's remote_id must also match what IDi says. */
static void test_verify_expected_id(void **state)
{
	struct cert_store *s = store("cas.pem", NULL);
	struct conf_id e = { .type = IKE_ID_FQDN, .len = 14 };
	struct ike_id_pl idi = fqdn("peer.hike.test");
	char err[256];

	(void)state;
	memcpy(e.data, "Peer.hike.test", 14);
	assert_int_equal(verify(s, "peer-rsa", 0, &e, &idi, err, sizeof(err)), 0);
	idi = id(IKE_ID_IPV4_ADDR, peer_ip4, 4);	/* bound, but not configured */
	expect_fail(verify(s, "peer-rsa", 0, &e, &idi, err, sizeof(err)),
		    -EPERM, err, "configured remote ID");
	e = (struct conf_id){ .any = true };
	assert_int_equal(verify(s, "peer-rsa", 0, &e, &idi, err, sizeof(err)), 0);
	e = (struct conf_id){ .type = IKE_ID_DER_ASN1_DN, .len = sizeof(gw_dn) };
	memcpy(e.data, gw_dn, sizeof(gw_dn));
	idi = id(IKE_ID_DER_ASN1_DN, gw_dn, sizeof(gw_dn));
	assert_int_equal(verify(s, "gw-ecdsa", 0, &e, &idi, err, sizeof(err)), 0);
	cert_store_free(s);
}

static void test_verify_malformed(void **state)
{
	struct cert_store *s = store("cas.pem", NULL);
	struct cert_cred *c = cred("peer-rsa");
	struct ike_id_pl idi = fqdn("peer.hike.test");
	struct ike_cert_pl pl[3];
	uint8_t buf[4096];
	EVP_PKEY *key;
	char err[256];

	(void)state;
	payloads(c, pl, 0);
	expect_fail(cert_verify_peer(s, pl, 0, NULL, &idi, &key, err,
				     sizeof(err)), -EINVAL, err, "no CERT");
	pl[0].encoding = IKE_CERT_CRL;
	expect_fail(cert_verify_peer(s, pl, 2, NULL, &idi, &key, err,
				     sizeof(err)), -EINVAL, err, "encoding 7");
	pl[0].encoding = IKE_CERT_X509_SIG;
	pl[0].len--;				/* truncated */
	assert_int_equal(cert_verify_peer(s, pl, 2, NULL, &idi, &key, err,
					  sizeof(err)), -EINVAL);
	pl[0].len++;
	memcpy(buf, pl[0].data, pl[0].len);	/* trailing garbage */
	buf[pl[0].len] = 0;
	pl[2] = pl[0];
	pl[2].data = buf;
	pl[2].len++;
	expect_fail(cert_verify_peer(s, pl, 3, NULL, &idi, &key, err,
				     sizeof(err)), -EINVAL, err, "CERT 3");
	pl[2].encoding = IKE_CERT_HASH_URL_X509;	/* ignored */
	assert_int_equal(cert_verify_peer(s, pl, 3, NULL, &idi, &key, err,
					  sizeof(err)), 0);
	EVP_PKEY_free(key);
	memcpy(buf, pl[0].data, pl[0].len);	/* a flipped signature bit */
	buf[pl[0].len - 1] ^= 1;
	pl[0].data = buf;
	expect_fail(cert_verify_peer(s, pl, 2, NULL, &idi, &key, err,
				     sizeof(err)), -EKEYREJECTED, err,
		    "signature failure");
	cert_cred_free(c);
	cert_store_free(s);
}

static void test_id_of(void **state)
{
	struct cert_cred *c = cred("gw-rsa");
	uint8_t out[256], type;
	size_t len;

	(void)state;
	assert_int_equal(cert_id_of(c, 0, out, sizeof(out), &len, &type), 0);
	assert_int_equal(type, IKE_ID_DER_ASN1_DN);
	assert_int_equal(len, sizeof(gw_dn));
	assert_memory_equal(out, gw_dn, len);
	assert_int_equal(cert_id_of(c, IKE_ID_FQDN, out, sizeof(out), &len,
				    &type), 0);
	assert_int_equal(type, IKE_ID_FQDN);
	assert_int_equal(len, 12);
	assert_memory_equal(out, "gw.hike.test", 12);
	assert_int_equal(cert_id_of(c, IKE_ID_IPV4_ADDR, out, sizeof(out),
				    &len, NULL), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, gw_ip4, 4);
	assert_int_equal(cert_id_of(c, IKE_ID_IPV6_ADDR, out, sizeof(out),
				    &len, NULL), -ENOENT);
	assert_int_equal(cert_id_of(c, IKE_ID_RFC822_ADDR, out, sizeof(out),
				    &len, NULL), -ENOENT);
	assert_int_equal(cert_id_of(c, IKE_ID_KEY_ID, out, sizeof(out), &len,
				    NULL), -ENOTSUP);
	assert_int_equal(cert_id_of(c, 0, out, sizeof(gw_dn) - 1, &len, NULL),
			 -ENOSPC);
	assert_int_equal(cert_id_of(c, IKE_ID_FQDN, out, 11, &len, NULL),
			 -ENOSPC);

	assert_true(cert_cred_has_id(c, IKE_ID_DER_ASN1_DN, gw_dn, sizeof(gw_dn)));
	assert_true(cert_cred_has_id(c, IKE_ID_FQDN, (const uint8_t *)"gw.hike.test", 12));
	assert_true(cert_cred_has_id(c, IKE_ID_IPV4_ADDR, gw_ip4, 4));
	assert_false(cert_cred_has_id(c, IKE_ID_IPV4_ADDR, peer_ip4, 4));
	assert_false(cert_cred_has_id(c, IKE_ID_FQDN, (const uint8_t *)"gw", 2));
	cert_cred_free(c);
}

/* RFC 7296 3.7: skip intermediates the peer's CERTREQ names (as
 * strongSwan does), never the leaf. */
static void test_chain_skip(void **state)
{
	struct cert_cred *c = cred("gw-big");	/* leaf, long3, long2, long1 */
	uint8_t req[3 * CERT_HASH_LEN];
	struct ike_cert_pl cr[2] = {
		{ .encoding = IKE_CERT_X509_SIG, .data = req, .len = 2 * CERT_HASH_LEN },
		{ .encoding = IKE_CERT_X509_SIG, .data = req + 2 * CERT_HASH_LEN,
		  .len = CERT_HASH_LEN },
	};

	(void)state;
	unhex(hash_hex[0], req);			/* ca */
	unhex(hash_hex[3], req + CERT_HASH_LEN);	/* long2 */
	unhex(hash_hex[2], req + 2 * CERT_HASH_LEN);	/* long1 */
	assert_false(cert_chain_skip(c, 0, cr, 2));
	assert_false(cert_chain_skip(c, 1, cr, 2));	/* long3: not named */
	assert_true(cert_chain_skip(c, 2, cr, 2));
	assert_true(cert_chain_skip(c, 3, cr, 2));
	assert_false(cert_chain_skip(c, 4, cr, 2));
	assert_false(cert_chain_skip(c, 3, cr, 1));
	cr[1].len--;					/* not whole hashes */
	assert_false(cert_chain_skip(c, 3, cr, 2));
	cr[0].encoding = IKE_CERT_HASH_URL_X509;
	assert_false(cert_chain_skip(c, 2, cr, 2));
	cert_cred_free(c);
}

/* Sign AUTH with our credential, verify with the key cert_verify_peer()
 * returns: the path of IKE_AUTH with certificates. */
static void sign_verify(const char *name, const char *host, uint8_t method,
			enum auth_sig_kind kind)
{
	static const uint8_t msg[] = "RealMessage | Nonce | prf(SK_p, ID')";
	const struct crypto_span in[2] = { { msg, 20 }, { msg + 20, sizeof(msg) - 20 } };
	struct cert_store *s = store("cas.pem", NULL);
	struct cert_cred *c = cred(name);
	struct ike_id_pl idi = fqdn(host);
	struct ike_cert_pl pl[CERT_MAX_CHAIN];
	uint8_t sig[AUTH_SIG_MAX], m;
	enum auth_sig_kind k;
	EVP_PKEY *peer;
	size_t siglen, n = payloads(c, pl, 0);
	char err[256];

	assert_int_equal(cert_key_auth(cert_cred_key(c), &m, &k), 0);
	assert_int_equal(m, method);
	assert_int_equal(k, kind);
	assert_int_equal(cert_verify_peer(s, pl, n, NULL, &idi, &peer, err,
					  sizeof(err)), 0);
	for (int rfc7427 = 0; rfc7427 < 2; rfc7427++) {
		uint8_t meth = rfc7427 ? IKE_AUTH_DIGITAL_SIG : m;

		siglen = sizeof(sig);
		assert_int_equal(auth_sig_sign(cert_cred_key(c), meth, k,
					       IKE_HASH_SHA2_256, in, 2, sig,
					       &siglen), 0);
		assert_int_equal(auth_sig_verify(peer, meth, sig, siglen, in, 2), 0);
		sig[siglen - 1] ^= 0x40;
		assert_int_not_equal(auth_sig_verify(peer, meth, sig, siglen, in, 2), 0);
	}
	EVP_PKEY_free(peer);
	cert_cred_free(c);
	cert_store_free(s);
}

static void test_sign_verify_rsa(void **state)
{
	(void)state;
	sign_verify("gw-rsa", "gw.hike.test", IKE_AUTH_RSA_SIG, AUTH_SIG_RSA_PKCS1);
	sign_verify("peer-big", "peer.hike.test", IKE_AUTH_RSA_SIG, AUTH_SIG_RSA_PKCS1);
}

static void test_sign_verify_ecdsa(void **state)
{
	(void)state;
	sign_verify("gw-ecdsa", "gw.hike.test", IKE_AUTH_ECDSA_256, AUTH_SIG_ECDSA);
	sign_verify("peer-ecdsa", "peer.hike.test", IKE_AUTH_ECDSA_256, AUTH_SIG_ECDSA);
}

/*
 * Interop: strongSwan 5.9.8's own CERTREQ (tests/fixtures/cert-*, its
 * IKE_SA_INIT response) names the lab CA with exactly our hash, and that
 * lab's certificates verify here.
 */
static void test_strongswan_fixtures(void **state)
{
	static const char *const dirs[] = {
		"cert-rsa2048-aes256gcm16-x25519",
		"cert-ecdsa256-aes128-sha256-ecp256",
	};
	uint8_t want[1 + CERT_HASH_LEN], *msg;
	char p[3][512], err[256];
	const char *paths[1] = { p[0] };
	struct ike_cert_pl pl[CERT_MAX_CHAIN];
	struct ike_id_pl idi = fqdn("vpn.example.com");
	struct cert_store *s;
	struct cert_cred *c;
	EVP_PKEY *key;
	size_t len, n;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		snprintf(p[0], sizeof(p[0]), "%s/%s/ca.crt", fx_root(), dirs[i]);
		snprintf(p[1], sizeof(p[1]), "%s/%s/r.crt", fx_root(), dirs[i]);
		snprintf(p[2], sizeof(p[2]), "%s/%s/r.key", fx_root(), dirs[i]);
		if (cert_store_load(paths, 1, &s, err, sizeof(err)))
			fail_msg("%s: %s", dirs[i], err);
		want[0] = IKE_CERT_X509_SIG;
		assert_int_equal(cert_certreq_hashes(s, want + 1, CERT_HASH_LEN,
						     &len), 0);
		snprintf(p[1], sizeof(p[1]), "%s/%s/02-ike_sa_init-r.bin",
			 fx_root(), dirs[i]);
		msg = fx_read(p[1], &len);
		assert_non_null(msg);
		if (!memmem(msg, len, want, sizeof(want)))
			fail_msg("%s: strongSwan's CERTREQ differs", dirs[i]);
		free(msg);

		snprintf(p[1], sizeof(p[1]), "%s/%s/r.crt", fx_root(), dirs[i]);
		if (cert_cred_load(p[1], p[2], &c, err, sizeof(err)))
			fail_msg("%s: %s", dirs[i], err);
		n = payloads(c, pl, 0);
		assert_int_equal(cert_verify_peer(s, pl, n, NULL, &idi, &key, err,
						  sizeof(err)), 0);
		EVP_PKEY_free(key);
		cert_cred_free(c);
		cert_store_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_load),
		cmocka_unit_test(test_certreq_hashes),
		cmocka_unit_test(test_cred_load),
		cmocka_unit_test(test_cred_encrypted_key),
		cmocka_unit_test(test_chain_der),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_intermediate_omitted),
		cmocka_unit_test(test_verify_wrong_ca),
		cmocka_unit_test(test_verify_validity),
		cmocka_unit_test(test_verify_id_mismatch),
		cmocka_unit_test(test_verify_expected_id),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_id_of),
		cmocka_unit_test(test_chain_skip),
		cmocka_unit_test(test_sign_verify_rsa),
		cmocka_unit_test(test_sign_verify_ecdsa),
		cmocka_unit_test(test_strongswan_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
