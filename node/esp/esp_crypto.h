/*
 * The per-direction crypto of an ESP SA (internal to node/esp/).  One
 * context per direction, keyed once; per packet only the IV changes.
 *
 * Packet layout both functions work on (RFC 4303 2):
 *   [ SPI 4 | seq 4 | IV iv_len | ciphertext ct_len | ICV icv_len ]
 */
#ifndef HIKE_ESP_CRYPTO_H
#define HIKE_ESP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct esp_alg {
	bool aead;
	uint8_t iv_len;		/* explicit IV on the wire */
	uint8_t align;		/* ciphertext length must be a multiple */
	uint8_t icv_len;
	uint8_t ekey_len;	/* including the AEAD salt */
	uint8_t akey_len;	/* 0 for AEAD */
};

/* 0 or -ENOTSUP. */
int esp_alg_get(uint16_t encr, uint16_t keylen_bits, uint16_t integ,
		struct esp_alg *alg);

struct esp_crypto;

/* encrypt: true for the outbound direction.  0 or -errno. */
int esp_crypto_new(uint16_t encr, uint16_t keylen_bits, uint16_t integ,
		   bool encrypt, const uint8_t *ekey, size_t ekey_len,
		   const uint8_t *akey, size_t akey_len,
		   struct esp_crypto **out);
void esp_crypto_free(struct esp_crypto *c);
const struct esp_alg *esp_crypto_alg(const struct esp_crypto *c);

/* pkt holds SPI and seq; the plaintext (ct_len bytes, already padded)
 * sits at pkt + 8 + iv_len.  Writes the IV (the 64-bit seq for AEAD, a
 * random one for CBC), encrypts in place and appends the ICV.  seq is the
 * full 64-bit number (its high half enters the ICV with esn).  0 or -EIO. */
int esp_crypto_seal(struct esp_crypto *c, uint8_t *pkt, size_t ct_len,
		    uint64_t seq, bool esn);

/* Verifies the ICV (constant time) and decrypts the ct_len bytes into
 * pt.  0, -EBADMSG when the ICV does not verify, -EIO. */
int esp_crypto_open(struct esp_crypto *c, const uint8_t *pkt, size_t ct_len,
		    uint64_t seq, bool esn, uint8_t *pt);

#endif
