/*
 * One-shot ciphers shared by the SK payload (sk.c) and usable by ESP:
 * AEAD (AES-GCM with a 16-octet ICV, ChaCha20-Poly1305) with a 12-octet
 * nonce, and AES-CBC without padding.  Each call has its own
 * EVP_CIPHER_CTX: thread-safe, no state kept.  Keys here are the cipher
 * keys proper, without the AEAD salt (the caller builds the nonce).
 * in and out may be the same buffer (not otherwise overlapping).
 */
#ifndef HIKE_CRYPTO_CIPHER_H
#define HIKE_CRYPTO_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/hmac.h"

#define AEAD_NONCE_LEN	12	/* salt (4) | explicit IV (8): RFC 4106 4, RFC 7634 2 */
#define AEAD_SALT_LEN	4
#define AEAD_IV_LEN	8
#define AEAD_TAG_LEN	16
#define CBC_BLOCK	16

/* encr: IKE_ENCR_AES_GCM_16 (key 16/24/32 bytes) or
 * IKE_ENCR_CHACHA20_POLY1305 (key 32).  aad spans may be empty. */
int crypto_aead_seal(uint16_t encr, const uint8_t *key, size_t klen,
		     const uint8_t nonce[AEAD_NONCE_LEN],
		     const struct crypto_span *aad, size_t naad,
		     const uint8_t *pt, size_t len, uint8_t *ct,
		     uint8_t tag[AEAD_TAG_LEN]);

/* -EBADMSG when the tag does not verify (out is then wiped). */
int crypto_aead_open(uint16_t encr, const uint8_t *key, size_t klen,
		     const uint8_t nonce[AEAD_NONCE_LEN],
		     const struct crypto_span *aad, size_t naad,
		     const uint8_t *ct, size_t len, uint8_t *pt,
		     const uint8_t tag[AEAD_TAG_LEN]);

/* AES-CBC (key 16/24/32), len a multiple of 16. */
int crypto_cbc(bool encrypt, const uint8_t *key, size_t klen,
	       const uint8_t iv[CBC_BLOCK], const uint8_t *in, size_t len,
	       uint8_t *out);

#endif
