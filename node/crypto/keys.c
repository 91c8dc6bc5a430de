/* IKE SA and Child SA key material (RFC 7296 2.14, 2.17, 2.18). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hike/ikev2.h"
#include "crypto/cipher.h"
#include "crypto/keys.h"

/* prf+ output for the seven IKE keys: 3 * 64 + 2 * 64 + 2 * 36 fits. */
#define IKE_KEYMAT_MAX (7 * KEY_MAX)

/* RFC 5282 7.1 (GCM) and RFC 7634 2 (ChaCha20-Poly1305): the last 4
 * octets of each SK_e / ESP key are the salt of the nonce (AEAD_SALT_LEN). */

size_t encr_key_len(uint16_t encr, uint16_t keylen_bits)
{
	switch (encr) {
	case IKE_ENCR_AES_CBC:
	case IKE_ENCR_AES_GCM_16:
		if (keylen_bits != 128 && keylen_bits != 192 &&
		    keylen_bits != 256)
			return 0;
		return keylen_bits / 8 +
		       (encr == IKE_ENCR_AES_GCM_16 ? AEAD_SALT_LEN : 0);
	case IKE_ENCR_CHACHA20_POLY1305:
		/* RFC 7634 2: no Key Length attribute, the key is 256 bits */
		if (keylen_bits != 0 && keylen_bits != 256)
			return 0;
		return 32 + AEAD_SALT_LEN;
	default:
		return 0;
	}
}

bool encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 ||
	       encr == IKE_ENCR_CHACHA20_POLY1305;
}

size_t integ_key_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 20;
	case IKE_INTEG_HMAC_SHA2_256_128: return 32;
	case IKE_INTEG_HMAC_SHA2_384_192: return 48;
	case IKE_INTEG_HMAC_SHA2_512_256: return 64;
	default: return 0;
	}
}

size_t integ_icv_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 12;
	case IKE_INTEG_HMAC_SHA2_256_128: return 16;
	case IKE_INTEG_HMAC_SHA2_384_192: return 24;
	case IKE_INTEG_HMAC_SHA2_512_256: return 32;
	default: return 0;
	}
}

const char *integ_digest(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return "SHA1";
	case IKE_INTEG_HMAC_SHA2_256_128: return "SHA2-256";
	case IKE_INTEG_HMAC_SHA2_384_192: return "SHA2-384";
	case IKE_INTEG_HMAC_SHA2_512_256: return "SHA2-512";
	default: return NULL;
	}
}

/* Lengths of the keys of a suite; false if unsupported. */
static bool ike_suite_lens(const struct ike_suite *s, size_t *d, size_t *a,
			   size_t *e)
{
	*d = prf_key_len(s->prf);
	*e = encr_key_len(s->encr, s->encr_keylen);
	*a = integ_key_len(s->integ);
	if (!*d || !*e || *d > KEY_MAX || *e > KEY_MAX)
		return false;
	/* AEAD carries no integrity transform; CBC needs one. */
	if (encr_is_aead(s->encr))
		return s->integ == IKE_INTEG_NONE;
	return *a != 0;
}

size_t ike_keys_len(const struct ike_suite *s)
{
	size_t d, a, e;

	if (!ike_suite_lens(s, &d, &a, &e))
		return 0;
	return 3 * d + 2 * a + 2 * e;	/* SK_d, SK_pi, SK_pr are prf-sized */
}

int ike_skeyseed(uint16_t prf_id, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	/* RFC 7296 2.14: SKEYSEED = prf(Ni | Nr, g^ir).  The key is the
	 * nonces themselves, since only HMAC PRFs are supported (no
	 * fixed-size-key PRF halving). */
	uint8_t key[2 * 256];
	struct crypto_span in = { gir, gir_len };
	int rc;

	if (ni_len > 256 || nr_len > 256)
		return -EINVAL;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	rc = prf_spans(prf_id, key, ni_len + nr_len, &in, 1, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int ike_rekey_skeyseed(uint16_t old_prf, const uint8_t *old_sk_d,
		       size_t old_d_len, const uint8_t *gir, size_t gir_len,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
	 * with the old IKE SA's PRF. */
	struct crypto_span in[3] = {
		{ gir, gir_len }, { ni, ni_len }, { nr, nr_len },
	};

	return prf_spans(old_prf, old_sk_d, old_d_len, in, 3, out);
}

static void put_be64(uint8_t b[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

/* Copy the next len bytes of a key stream into dst. */
static const uint8_t *take(uint8_t *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	return src + len;
}

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *     = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)		(RFC 7296 2.14) */
static int ike_keys_expand(const struct ike_suite *s, const uint8_t *seed,
			   size_t seed_len, const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len,
			   uint64_t spi_i, uint64_t spi_r, struct ike_keys *out)
{
	uint8_t km[IKE_KEYMAT_MAX], spis[16];
	const uint8_t *p = km;
	size_t d, a, e, total = ike_keys_len(s);
	struct crypto_span in[3] = {
		{ ni, ni_len }, { nr, nr_len }, { spis, sizeof(spis) },
	};
	int rc;

	if (!total || !ike_suite_lens(s, &d, &a, &e))
		return -ENOTSUP;
	put_be64(spis, spi_i);
	put_be64(spis + 8, spi_r);
	rc = prf_plus_spans(s->prf, seed, seed_len, in, 3, km, total);
	if (rc == 0) {
		out->d_len = (uint8_t)d;
		out->a_len = (uint8_t)a;
		out->e_len = (uint8_t)e;
		out->p_len = (uint8_t)d;
		p = take(out->sk_d, p, d);
		p = take(out->sk_ai, p, a);
		p = take(out->sk_ar, p, a);
		p = take(out->sk_ei, p, e);
		p = take(out->sk_er, p, e);
		p = take(out->sk_pi, p, d);
		take(out->sk_pr, p, d);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

int ike_keys_derive(const struct ike_suite *s,
		    const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len,
		    const uint8_t *gir, size_t gir_len,
		    uint64_t spi_i, uint64_t spi_r,
		    struct ike_keys *out)
{
	uint8_t seed[PRF_MAX_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!ike_keys_len(s))
		return -ENOTSUP;
	rc = ike_skeyseed(s->prf, ni, ni_len, nr, nr_len, gir, gir_len, seed);
	if (rc == 0)
		rc = ike_keys_expand(s, seed, prf_len(s->prf), ni, ni_len,
				     nr, nr_len, spi_i, spi_r, out);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (rc)
		ike_keys_wipe(out);
	return rc;
}

int ike_keys_rekey(const struct ike_suite *s, uint16_t old_prf,
		   const uint8_t *old_sk_d, size_t old_d_len,
		   const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len,
		   const uint8_t *gir, size_t gir_len,
		   uint64_t spi_i, uint64_t spi_r,
		   struct ike_keys *out)
{
	uint8_t seed[PRF_MAX_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!ike_keys_len(s) || !prf_len(old_prf))
		return -ENOTSUP;
	rc = ike_rekey_skeyseed(old_prf, old_sk_d, old_d_len, gir, gir_len,
				ni, ni_len, nr, nr_len, seed);
	/* The new keys come from the new SA's PRF (2.18: "computed as
	 * specified in Section 2.14" with the new SPIs). */
	if (rc == 0)
		rc = ike_keys_expand(s, seed, prf_len(old_prf), ni, ni_len,
				     nr, nr_len, spi_i, spi_r, out);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (rc)
		ike_keys_wipe(out);
	return rc;
}

int child_keymat(uint16_t prf_id, const uint8_t *sk_d, size_t d_len,
		 const uint8_t *gir, size_t gir_len,
		 const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 uint8_t *out, size_t outlen)
{
	/* RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
	struct crypto_span in[3] = {
		{ gir, gir ? gir_len : 0 }, { ni, ni_len }, { nr, nr_len },
	};

	return prf_plus_spans(prf_id, sk_d, d_len, in, 3, out, outlen);
}

size_t child_keymat_len(const struct esp_suite *s)
{
	size_t e = encr_key_len(s->encr, s->encr_keylen);
	size_t a = integ_key_len(s->integ);

	if (!e || e > KEY_MAX)
		return 0;
	if (encr_is_aead(s->encr) ? s->integ != IKE_INTEG_NONE : !a)
		return 0;
	return 2 * (e + a);
}

int child_keys_derive(uint16_t prf_id, const struct esp_suite *s,
		      const uint8_t *sk_d, size_t d_len,
		      const uint8_t *gir, size_t gir_len,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      struct child_keys *out)
{
	uint8_t km[4 * KEY_MAX];
	const uint8_t *p = km;
	size_t total = child_keymat_len(s);
	size_t e = encr_key_len(s->encr, s->encr_keylen);
	size_t a = integ_key_len(s->integ);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!total)
		return -ENOTSUP;
	rc = child_keymat(prf_id, sk_d, d_len, gir, gir_len, ni, ni_len,
			  nr, nr_len, km, total);
	if (rc == 0) {
		/* 2.17: encr_i | integ_i | encr_r | integ_r */
		out->e_len = (uint8_t)e;
		out->a_len = (uint8_t)a;
		p = take(out->ei, p, e);
		p = take(out->ai, p, a);
		p = take(out->er, p, e);
		take(out->ar, p, a);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

void ike_keys_wipe(struct ike_keys *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

void child_keys_wipe(struct child_keys *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}
