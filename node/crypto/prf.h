/* PRF and prf+ (RFC 7296 2.13), HMAC through OpenSSL EVP_MAC.
 * Thread-safe: no shared mutable state. */
#ifndef HIKE_CRYPTO_PRF_H
#define HIKE_CRYPTO_PRF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hmac.h"

#define PRF_MAX_LEN 64

/* Output length of a PRF (IKE_PRF_HMAC_*), 0 if unsupported. */
size_t prf_len(uint16_t prf_id);
/* Preferred key length (== output length for HMAC PRFs). */
size_t prf_key_len(uint16_t prf_id);
/* OpenSSL digest name behind a PRF, NULL if unsupported. */
const char *prf_digest(uint16_t prf_id);

/* out gets prf_len(prf_id) bytes.  0 or -errno. */
int prf(uint16_t prf_id, const uint8_t *key, size_t klen,
	const uint8_t *data, size_t dlen, uint8_t *out);

/* prf over the concatenation of spans (Ni | Nr | SPIi | SPIr ...)
 * without building it in a buffer. */
int prf_spans(uint16_t prf_id, const uint8_t *key, size_t klen,
	      const struct crypto_span *in, size_t nin, uint8_t *out);

/* prf+ (K, S) = T1 | T2 | ...; outlen up to 255 * prf_len. */
int prf_plus(uint16_t prf_id, const uint8_t *key, size_t klen,
	     const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen);

/* prf+ with S given as spans (at most 8). */
int prf_plus_spans(uint16_t prf_id, const uint8_t *key, size_t klen,
		   const struct crypto_span *seed, size_t nseed,
		   uint8_t *out, size_t outlen);

#endif
