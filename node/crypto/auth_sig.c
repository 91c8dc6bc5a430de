/* AUTH payload signatures (RFC 7296 3.8, RFC 4754, RFC 7427); see
 * auth_sig.h. */
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "hike/cursor.h"
#include "hike/ikev2.h"
#include "crypto/auth_sig.h"

#define ALGID_MAX 72

struct sig_alg {
	uint8_t kind;		/* enum auth_sig_kind */
	uint16_t hash;		/* IKE_HASH_* */
	const char *md;
	uint8_t len;
	uint8_t der[ALGID_MAX];
};

#define OID_RSA(x) 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, \
		   0x0d, 0x01, 0x01, (x), 0x05, 0x00
#define OID_ECDSA(x) 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, \
		     0x04, 0x03, (x)
#define HASH_ALGID(h) 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, \
		      0x65, 0x03, 0x04, 0x02, (h), 0x05, 0x00
/* RFC 4055 RSASSA-PSS-params: hash, MGF1 with the same hash, salt
 * length = hash length, default trailer (DER omits it). */
#define PSS(h, salt) 0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, \
		     0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, \
		     HASH_ALGID(h), 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, \
		     0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, \
		     HASH_ALGID(h), 0xa2, 0x03, 0x02, 0x01, (salt)

/* RFC 7427 appendix A; the PSS forms as in RFC 4055 section 3.1. */
static const struct sig_alg sig_algs[] = {
	{ AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_256, "SHA2-256", 15, { OID_RSA(0x0b) } },
	{ AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_384, "SHA2-384", 15, { OID_RSA(0x0c) } },
	{ AUTH_SIG_RSA_PKCS1, IKE_HASH_SHA2_512, "SHA2-512", 15, { OID_RSA(0x0d) } },
	{ AUTH_SIG_RSA_PSS, IKE_HASH_SHA2_256, "SHA2-256", 67, { PSS(0x01, 32) } },
	{ AUTH_SIG_RSA_PSS, IKE_HASH_SHA2_384, "SHA2-384", 67, { PSS(0x02, 48) } },
	{ AUTH_SIG_RSA_PSS, IKE_HASH_SHA2_512, "SHA2-512", 67, { PSS(0x03, 64) } },
	{ AUTH_SIG_ECDSA, IKE_HASH_SHA2_256, "SHA2-256", 12, { OID_ECDSA(0x02) } },
	{ AUTH_SIG_ECDSA, IKE_HASH_SHA2_384, "SHA2-384", 12, { OID_ECDSA(0x03) } },
	{ AUTH_SIG_ECDSA, IKE_HASH_SHA2_512, "SHA2-512", 12, { OID_ECDSA(0x04) } },
};

#define NSIG_ALGS (sizeof(sig_algs) / sizeof(sig_algs[0]))

/* RFC 4754 3: the ECDSA methods fix curve and hash. */
struct ecdsa_method {
	uint8_t method;
	const char *curve, *md;
	uint8_t half;		/* octets of r (and of s) */
};

static const struct ecdsa_method ecdsa_methods[] = {
	{ IKE_AUTH_ECDSA_256, "prime256v1", "SHA2-256", 32 },
	{ IKE_AUTH_ECDSA_384, "secp384r1", "SHA2-384", 48 },
	{ IKE_AUTH_ECDSA_521, "secp521r1", "SHA2-512", 66 },
};

static const struct sig_alg *sig_alg_find(uint8_t kind, uint16_t hash)
{
	for (size_t i = 0; i < NSIG_ALGS; i++)
		if (sig_algs[i].kind == kind && sig_algs[i].hash == hash)
			return &sig_algs[i];
	return NULL;
}

static const struct sig_alg *sig_alg_by_der(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < NSIG_ALGS; i++)
		if (sig_algs[i].len == len && !memcmp(sig_algs[i].der, der, len))
			return &sig_algs[i];
	return NULL;
}

static const struct ecdsa_method *ecdsa_find(uint8_t method)
{
	for (size_t i = 0; i < 3; i++)
		if (ecdsa_methods[i].method == method)
			return &ecdsa_methods[i];
	return NULL;
}

size_t auth_sig_algid(enum auth_sig_kind kind, uint16_t hash,
		      const uint8_t **der)
{
	const struct sig_alg *a = sig_alg_find((uint8_t)kind, hash);

	*der = a ? a->der : NULL;
	return a ? a->len : 0;
}

/* The key fits: RSA kinds need RSA, ECDSA needs EC (on `curve`). */
static bool key_fits(EVP_PKEY *key, uint8_t kind, const char *curve)
{
	char name[32];
	size_t nl;

	if (kind != AUTH_SIG_ECDSA)
		return EVP_PKEY_is_a(key, "RSA");
	if (!EVP_PKEY_is_a(key, "EC"))
		return false;
	if (!curve)
		return true;
	return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
					      name, sizeof(name), &nl) &&
	       !strcmp(name, curve);
}

/* A digest-sign or digest-verify context with the padding of `kind`. */
static EVP_MD_CTX *sig_start(bool sign, EVP_PKEY *key, const char *md,
			     uint8_t kind)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *p = NULL;
	int ok;

	if (!m)
		return NULL;
	ok = sign ? EVP_DigestSignInit_ex(m, &p, md, NULL, NULL, key, NULL)
		  : EVP_DigestVerifyInit_ex(m, &p, md, NULL, NULL, key, NULL);
	if (ok > 0 && kind == AUTH_SIG_RSA_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) > 0
		     && EVP_PKEY_CTX_set_rsa_pss_saltlen(p,
				RSA_PSS_SALTLEN_DIGEST) > 0;
	else if (ok > 0 && kind == AUTH_SIG_RSA_PKCS1)
		ok = EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PADDING) > 0;
	if (ok <= 0) {
		EVP_MD_CTX_free(m);
		return NULL;
	}
	return m;
}

static int sig_sign(EVP_PKEY *key, const char *md, uint8_t kind,
		    const struct crypto_span *in, size_t nin,
		    uint8_t *out, size_t *len)
{
	EVP_MD_CTX *m = sig_start(true, key, md, kind);
	size_t need = 0;
	int rc = -EIO;

	if (!m)
		return -EIO;
	for (size_t i = 0; i < nin; i++)
		if (in[i].n && EVP_DigestSignUpdate(m, in[i].p, in[i].n) <= 0)
			goto out;
	if (EVP_DigestSignFinal(m, NULL, &need) <= 0)
		goto out;
	rc = -ENOSPC;
	if (need > *len)
		goto out;
	rc = EVP_DigestSignFinal(m, out, len) > 0 ? 0 : -EIO;
out:
	EVP_MD_CTX_free(m);
	return rc;
}

static int sig_verify(EVP_PKEY *key, const char *md, uint8_t kind,
		      const struct crypto_span *in, size_t nin,
		      const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *m = sig_start(false, key, md, kind);
	int rc = -EBADMSG;

	if (!m)
		return -EINVAL;
	for (size_t i = 0; i < nin; i++)
		if (in[i].n && EVP_DigestVerifyUpdate(m, in[i].p, in[i].n) <= 0)
			rc = -EIO;
	/* 0 is a bad signature, < 0 an unparsable one: both fail AUTH */
	if (rc == -EBADMSG && EVP_DigestVerifyFinal(m, sig, siglen) == 1)
		rc = 0;
	EVP_MD_CTX_free(m);
	return rc;
}

/* RFC 4754 7: r | s, each left-padded to the curve's octet length. */
static int ecdsa_der_to_rs(const uint8_t *der, size_t len, size_t half,
			   uint8_t *out, size_t *outlen)
{
	const uint8_t *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r = NULL, *sv = NULL;
	int rc = -EIO;

	if (!s)
		return -EIO;
	ECDSA_SIG_get0(s, &r, &sv);
	if (*outlen >= 2 * half &&
	    BN_bn2binpad(r, out, (int)half) == (int)half &&
	    BN_bn2binpad(sv, out + half, (int)half) == (int)half) {
		*outlen = 2 * half;
		rc = 0;
	}
	ECDSA_SIG_free(s);
	return rc;
}

static int ecdsa_rs_to_der(const uint8_t *rs, size_t len, size_t half,
			   uint8_t *der, size_t *derlen)
{
	ECDSA_SIG *s;
	BIGNUM *r, *sv;
	uint8_t *p = der;
	int n = -1;

	if (len != 2 * half)
		return -EINVAL;
	s = ECDSA_SIG_new();
	r = BN_bin2bn(rs, (int)half, NULL);
	sv = BN_bin2bn(rs + half, (int)half, NULL);
	if (s && r && sv && ECDSA_SIG_set0(s, r, sv)) {
		r = sv = NULL;	/* owned by s now */
		if (i2d_ECDSA_SIG(s, NULL) <= (int)*derlen)
			n = i2d_ECDSA_SIG(s, &p);
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return -EINVAL;
	*derlen = (size_t)n;
	return 0;
}

static int sign_ecdsa_method(EVP_PKEY *key, const struct ecdsa_method *e,
			     const struct crypto_span *in, size_t nin,
			     uint8_t *out, size_t *outlen)
{
	uint8_t der[160];
	size_t dl = sizeof(der);
	int rc;

	if (!key_fits(key, AUTH_SIG_ECDSA, e->curve))
		return -ENOTSUP;
	rc = sig_sign(key, e->md, AUTH_SIG_ECDSA, in, nin, der, &dl);
	return rc ? rc : ecdsa_der_to_rs(der, dl, e->half, out, outlen);
}

/* RFC 7427 3: one octet of AlgorithmIdentifier length, the DER, then the
 * signature. */
static int sign_digital(EVP_PKEY *key, uint8_t kind, uint16_t hash,
			const struct crypto_span *in, size_t nin,
			uint8_t *out, size_t *outlen)
{
	const struct sig_alg *a = sig_alg_find(kind, hash);
	struct wr w = wr_init(out, *outlen);
	size_t off, sl;
	int rc;

	if (!a || !key_fits(key, kind, NULL))
		return -ENOTSUP;
	wr_u8(&w, a->len);
	wr_bytes(&w, a->der, a->len);
	off = w.len;
	if (!wr_ok(&w))
		return -ENOSPC;
	sl = *outlen - off;
	rc = sig_sign(key, a->md, kind, in, nin, out + off, &sl);
	if (rc == 0)
		*outlen = off + sl;
	return rc;
}

int auth_sig_sign(EVP_PKEY *key, uint8_t method, enum auth_sig_kind kind,
		  uint16_t hash, const struct crypto_span *in, size_t nin,
		  uint8_t *out, size_t *outlen)
{
	const struct ecdsa_method *e = ecdsa_find(method);

	switch (method) {
	case IKE_AUTH_RSA_SIG:
		/* RFC 7296 3.8: PKCS #1 v1.5; SHA-1 is what peers use */
		if (!key_fits(key, AUTH_SIG_RSA_PKCS1, NULL))
			return -ENOTSUP;
		return sig_sign(key, "SHA1", AUTH_SIG_RSA_PKCS1, in, nin, out,
				outlen);
	case IKE_AUTH_DIGITAL_SIG:
		return sign_digital(key, (uint8_t)kind, hash, in, nin, out,
				    outlen);
	default:
		if (!e)
			return -ENOTSUP;
		return sign_ecdsa_method(key, e, in, nin, out, outlen);
	}
}

static int verify_digital(EVP_PKEY *key, const uint8_t *data, size_t len,
			  const struct crypto_span *in, size_t nin)
{
	struct rd r = rd_init(data, len);
	const uint8_t *der, *sig;
	const struct sig_alg *a;
	uint8_t alen;

	if (!rd_u8(&r, &alen) || !rd_ptr(&r, &der, alen) || !rd_left(&r))
		return -EINVAL;
	a = sig_alg_by_der(der, alen);
	if (!a)
		return -ENOTSUP;
	if (!key_fits(key, a->kind, NULL))
		return -EINVAL;
	if (!rd_ptr(&r, &sig, rd_left(&r)))
		return -EINVAL;
	return sig_verify(key, a->md, a->kind, in, nin, sig, len - 1 - alen);
}

int auth_sig_verify(EVP_PKEY *key, uint8_t method, const uint8_t *data,
		    size_t len, const struct crypto_span *in, size_t nin)
{
	const struct ecdsa_method *e = ecdsa_find(method);
	uint8_t der[160];
	size_t dl = sizeof(der);

	switch (method) {
	case IKE_AUTH_RSA_SIG:
		if (!key_fits(key, AUTH_SIG_RSA_PKCS1, NULL))
			return -EINVAL;
		return sig_verify(key, "SHA1", AUTH_SIG_RSA_PKCS1, in, nin,
				  data, len);
	case IKE_AUTH_DIGITAL_SIG:
		return verify_digital(key, data, len, in, nin);
	default:
		if (!e)
			return -ENOTSUP;
		if (!key_fits(key, AUTH_SIG_ECDSA, e->curve))
			return -EINVAL;
		if (ecdsa_rs_to_der(data, len, e->half, der, &dl))
			return -EBADMSG;
		return sig_verify(key, e->md, AUTH_SIG_ECDSA, in, nin, der, dl);
	}
}
