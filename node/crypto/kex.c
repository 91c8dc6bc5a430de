/*
 * Key exchange groups through OpenSSL 3 EVP_PKEY: MODP (RFC 3526), ECP
 * (RFC 5903), Curve25519/448 (RFC 8031), with the RFC 6989 checks on the
 * peer's public value.  Every call builds its own EVP contexts and a
 * struct kex is owned by one caller, so workers may run kex_new() and
 * kex_derive() concurrently.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "hike/ikev2.h"
#include "crypto/kex.h"

enum kex_kind { KEX_MODP, KEX_ECP, KEX_ECX };

struct kex_info {
	uint16_t id;
	uint8_t kind;
	bool weak;		/* below 112-bit strength: config must name it */
	uint16_t pub_len;	/* KE payload data (RFC 7296 3.4, RFC 5903 7) */
	const char *name;	/* OpenSSL group / curve / key type name */
	int nid;		/* ECP: curve NID; ECX: EVP_PKEY type */
	BIGNUM *(*prime)(BIGNUM *);	/* MODP: RFC 3526 prime */
};

static const struct kex_info kex_table[] = {
	{ IKE_DH_MODP1536, KEX_MODP, true, 192, "modp_1536", 0,
	  BN_get_rfc3526_prime_1536 },
	{ IKE_DH_MODP2048, KEX_MODP, false, 256, "modp_2048", 0,
	  BN_get_rfc3526_prime_2048 },
	{ IKE_DH_MODP3072, KEX_MODP, false, 384, "modp_3072", 0,
	  BN_get_rfc3526_prime_3072 },
	{ IKE_DH_MODP4096, KEX_MODP, false, 512, "modp_4096", 0,
	  BN_get_rfc3526_prime_4096 },
	{ IKE_DH_ECP256, KEX_ECP, false, 64, "prime256v1",
	  NID_X9_62_prime256v1, NULL },
	{ IKE_DH_ECP384, KEX_ECP, false, 96, "secp384r1", NID_secp384r1, NULL },
	{ IKE_DH_ECP521, KEX_ECP, false, 132, "secp521r1", NID_secp521r1, NULL },
	{ IKE_DH_CURVE25519, KEX_ECX, false, 32, "X25519", EVP_PKEY_X25519,
	  NULL },
	{ IKE_DH_CURVE448, KEX_ECX, false, 56, "X448", EVP_PKEY_X448, NULL },
};

struct kex {
	const struct kex_info *info;
	EVP_PKEY *pkey;
	size_t pub_len;
	uint8_t pub[KEX_MAX_PUB];	/* our public value, wire form */
};

static const struct kex_info *kex_find(uint16_t group)
{
	for (size_t i = 0; i < sizeof(kex_table) / sizeof(kex_table[0]); i++)
		if (kex_table[i].id == group)
			return &kex_table[i];
	return NULL;
}

bool kex_supported(uint16_t group)
{
	return kex_find(group) != NULL;
}

bool kex_is_weak(uint16_t group)
{
	const struct kex_info *g = kex_find(group);

	return g && g->weak;
}

size_t kex_public_len(uint16_t group)
{
	const struct kex_info *g = kex_find(group);

	return g ? g->pub_len : 0;
}

size_t kex_secret_len(uint16_t group)
{
	const struct kex_info *g = kex_find(group);

	if (!g)
		return 0;
	/* RFC 5903 7: the shared secret is the x coordinate alone */
	return g->kind == KEX_ECP ? g->pub_len / 2U : g->pub_len;
}

uint16_t kex_group(const struct kex *k)
{
	return k->info->id;
}

/* Fill k->pub with the wire form of k->pkey's public value. */
static int kex_export_pub(struct kex *k)
{
	const struct kex_info *g = k->info;
	uint8_t buf[1 + KEX_MAX_PUB];
	size_t len = g->pub_len;
	BIGNUM *y = NULL;
	int ok = 0;

	switch (g->kind) {
	case KEX_MODP:
		/* RFC 7296 3.4: left-padded to the prime length */
		ok = EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y)
		     && BN_bn2binpad(y, k->pub, (int)len) == (int)len;
		BN_free(y);
		break;
	case KEX_ECP:
		/* RFC 5903 7: x | y without the SEC 1 0x04 prefix */
		ok = EVP_PKEY_get_octet_string_param(k->pkey,
				OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len)
		     && len == 1U + g->pub_len && buf[0] == 0x04;
		if (ok)
			memcpy(k->pub, buf + 1, g->pub_len);
		break;
	case KEX_ECX:
		ok = EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &len) &&
		     len == g->pub_len;
		break;
	}
	k->pub_len = g->pub_len;
	return ok ? 0 : -EIO;
}

static EVP_PKEY *kex_gen_modp(const struct kex_info *g)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
				       (char *)g->name, 0),
		OSSL_PARAM_END,
	};
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_params(ctx, params) > 0)
		EVP_PKEY_generate(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* Wrap a key in a struct kex and export its public value; takes pkey. */
static struct kex *kex_wrap(const struct kex_info *g, EVP_PKEY *pkey)
{
	struct kex *k;

	if (!pkey)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->info = g;
	k->pkey = pkey;
	if (kex_export_pub(k)) {
		kex_free(k);
		return NULL;
	}
	return k;
}

struct kex *kex_new(uint16_t group)
{
	const struct kex_info *g = kex_find(group);

	if (!g)
		return NULL;
	switch (g->kind) {
	case KEX_MODP:
		return kex_wrap(g, kex_gen_modp(g));
	case KEX_ECP:
		return kex_wrap(g, EVP_PKEY_Q_keygen(NULL, NULL, "EC", g->name));
	default:
		return kex_wrap(g, EVP_PKEY_Q_keygen(NULL, NULL, g->name));
	}
}

/* An EVP_PKEY from OSSL_PARAMs (a key pair or a peer public key). */
static EVP_PKEY *kex_fromdata(const char *type, OSSL_PARAM_BLD *bld,
			      int selection)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY *pkey = NULL;

	if (ctx && params && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, selection, params);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* MODP key pair from x: y = 2^x mod p (RFC 3526: generator 2). */
static EVP_PKEY *kex_modp_private(const struct kex_info *g,
				  const uint8_t *priv, size_t len)
{
	BN_CTX *bn = BN_CTX_secure_new();
	BIGNUM *p = g->prime(NULL), *x = BN_secure_new(), *y = BN_new();
	BIGNUM *two = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	if (bn && p && x && y && two && bld && BN_set_word(two, 2) &&
	    BN_bin2bn(priv, (int)len, x) && !BN_is_zero(x) &&
	    BN_mod_exp(y, two, x, p, bn) &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		pkey = kex_fromdata("DH", bld, EVP_PKEY_KEYPAIR);
	OSSL_PARAM_BLD_free(bld);
	BN_free(two);
	BN_free(y);
	BN_clear_free(x);
	BN_free(p);
	BN_CTX_free(bn);
	return pkey;
}

/* ECP key pair from d: Q = d * G computed here, since importing a bare
 * private key does not derive the public point. */
static EVP_PKEY *kex_ecp_private(const struct kex_info *g,
				 const uint8_t *priv, size_t len)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->nid);
	EC_POINT *q = grp ? EC_POINT_new(grp) : NULL;
	BIGNUM *d = BN_secure_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t pub[1 + KEX_MAX_PUB];
	size_t plen = 0;
	EVP_PKEY *pkey = NULL;

	if (q && d && bld && BN_bin2bn(priv, (int)len, d) &&
	    EC_POINT_mul(grp, q, d, NULL, NULL, NULL))
		plen = EC_POINT_point2oct(grp, q, POINT_CONVERSION_UNCOMPRESSED,
					  pub, sizeof(pub), NULL);
	if (plen == 1U + g->pub_len &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     pub, plen))
		pkey = kex_fromdata("EC", bld, EVP_PKEY_KEYPAIR);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	EC_POINT_free(q);
	EC_GROUP_free(grp);
	return pkey;
}

struct kex *kex_new_private(uint16_t group, const uint8_t *priv, size_t len)
{
	const struct kex_info *g = kex_find(group);

	if (!g || !priv || !len || len > KEX_MAX_SECRET)
		return NULL;
	switch (g->kind) {
	case KEX_MODP:
		return kex_wrap(g, kex_modp_private(g, priv, len));
	case KEX_ECP:
		return kex_wrap(g, kex_ecp_private(g, priv, len));
	default:
		return kex_wrap(g, EVP_PKEY_new_raw_private_key(g->nid, NULL,
								priv, len));
	}
}

int kex_public(const struct kex *k, uint8_t *out, size_t *len)
{
	if (*len < k->pub_len)
		return -ENOSPC;
	memcpy(out, k->pub, k->pub_len);
	*len = k->pub_len;
	return 0;
}

/* RFC 6989 2.1: a MODP public value must satisfy 1 < y < p-1.  The
 * subgroup check (y^q = 1) is done by OpenSSL when the peer is set. */
static EVP_PKEY *kex_modp_peer(const struct kex_info *g, const uint8_t *v,
			       size_t len)
{
	BIGNUM *p = g->prime(NULL), *y = BN_bin2bn(v, (int)len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	bool ok = p && y && bld && BN_sub_word(p, 1) &&
		  BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, p) < 0;

	if (ok &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		pkey = kex_fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	BN_free(p);
	return pkey;
}

/* RFC 6989 2.3 / RFC 5903 7: rebuild the SEC 1 point; OpenSSL refuses
 * points not on the curve when decoding, and the point at infinity has
 * no x | y form. */
static EVP_PKEY *kex_ecp_peer(const struct kex_info *g, const uint8_t *v,
			      size_t len)
{
	uint8_t pt[1 + KEX_MAX_PUB];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	pt[0] = 0x04;
	memcpy(pt + 1, v, len);
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    g->name, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     pt, len + 1))
		pkey = kex_fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static EVP_PKEY *kex_peer(const struct kex_info *g, const uint8_t *v,
			  size_t len)
{
	switch (g->kind) {
	case KEX_MODP:
		return kex_modp_peer(g, v, len);
	case KEX_ECP:
		return kex_ecp_peer(g, v, len);
	default:
		return EVP_PKEY_new_raw_public_key(g->nid, NULL, v, len);
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Run the derivation; -EINVAL when OpenSSL refuses the peer value. */
static int kex_run(struct kex *k, EVP_PKEY *peer, uint8_t *secret,
		   size_t *secret_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	size_t need = kex_secret_len(k->info->id);
	int rc = -EIO;

	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* RFC 7296 2.14: g^ir is as long as the prime, leading zeros kept */
	if (k->info->kind == KEX_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	rc = -EINVAL;	/* validate=1: OpenSSL's public key check */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) <= 0)
		goto out;
	rc = -ENOSPC;
	if (*secret_len < need)
		goto out;
	rc = -EINVAL;	/* X25519/X448 fail here on an all-zero result */
	if (EVP_PKEY_derive(ctx, secret, secret_len) <= 0 ||
	    *secret_len != need)
		goto out;
	/* RFC 8031 2.3 / RFC 7748 6: refuse the all-zero shared secret */
	rc = all_zero(secret, *secret_len) ? -EINVAL : 0;
out:
	EVP_PKEY_CTX_free(ctx);
	if (rc)
		OPENSSL_cleanse(secret, *secret_len < need ? *secret_len : need);
	return rc;
}

int kex_derive(struct kex *k, const uint8_t *peer, size_t peer_len,
	       uint8_t *secret, size_t *secret_len)
{
	EVP_PKEY *pk;
	int rc;

	/* RFC 6989 / RFC 7296 3.4: the length is fixed per group */
	if (!peer || peer_len != k->info->pub_len) {
		*secret_len = 0;
		return -EINVAL;
	}
	pk = kex_peer(k->info, peer, peer_len);
	if (!pk) {
		*secret_len = 0;
		return -EINVAL;
	}
	rc = kex_run(k, pk, secret, secret_len);
	EVP_PKEY_free(pk);
	if (rc)
		*secret_len = 0;
	return rc;
}

void kex_free(struct kex *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);	/* OpenSSL clears private key material */
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}
