/* HMAC over a list of byte spans, through OpenSSL EVP_MAC (no global
 * state: every call has its own context, so workers can call it
 * concurrently).  Used by the PRFs (prf.c) and the integrity transforms
 * (sk.c, ESP). */
#ifndef HIKE_CRYPTO_HMAC_H
#define HIKE_CRYPTO_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define HMAC_MAX_LEN 64

/* One input span; NULL/0 spans are skipped. */
struct crypto_span {
	const uint8_t *p;
	size_t n;
};

/* HMAC-<digest>(key, span[0] | span[1] | ...).  digest is an OpenSSL name
 * ("SHA1", "SHA2-256", ...).  Writes the full MAC (*outlen gets its
 * length, at most HMAC_MAX_LEN).  0 or -errno. */
int crypto_hmac(const char *digest, const uint8_t *key, size_t klen,
		const struct crypto_span *in, size_t nin,
		uint8_t out[HMAC_MAX_LEN], size_t *outlen);

#endif
