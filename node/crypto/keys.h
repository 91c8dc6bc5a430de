/* IKE SA and Child SA key material (RFC 7296 2.14, 2.17, 2.18). */
#ifndef HIKE_CRYPTO_KEYS_H
#define HIKE_CRYPTO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/prf.h"

/* The negotiated IKE SA transforms (IKEv2 transform IDs). */
struct ike_suite {
	uint16_t encr;		/* IKE_ENCR_* */
	uint16_t encr_keylen;	/* bits (128/192/256; 256 for chacha20) */
	uint16_t prf;		/* IKE_PRF_* */
	uint16_t integ;		/* IKE_INTEG_*, IKE_INTEG_NONE with AEAD */
	uint16_t dh;		/* IKE_DH_* */
};

/* The negotiated ESP transforms. */
struct esp_suite {
	uint16_t encr;
	uint16_t encr_keylen;	/* bits */
	uint16_t integ;
	uint16_t dh;		/* IKE_DH_NONE without PFS */
	uint16_t esn;		/* IKE_ESN_NO / IKE_ESN_YES */
};

#define KEY_MAX 64		/* enough for any key or salt+key here */

struct ike_keys {
	uint8_t sk_d[KEY_MAX], sk_ai[KEY_MAX], sk_ar[KEY_MAX];
	uint8_t sk_ei[KEY_MAX], sk_er[KEY_MAX], sk_pi[KEY_MAX], sk_pr[KEY_MAX];
	uint8_t d_len, a_len, e_len, p_len;	/* e_len includes AEAD salt */
};

/* Encryption key length in bytes *including* the AEAD salt/nonce part
 * (RFC 5282: 4 bytes for GCM; RFC 7634: 4 for ChaCha20-Poly1305). */
size_t encr_key_len(uint16_t encr, uint16_t keylen_bits);
size_t integ_key_len(uint16_t integ);
size_t integ_icv_len(uint16_t integ);
/* AES-GCM-16 and ChaCha20-Poly1305: no separate integrity transform. */
bool encr_is_aead(uint16_t encr);
/* OpenSSL digest name of an HMAC integrity transform, NULL otherwise. */
const char *integ_digest(uint16_t integ);

/* SKEYSEED = prf(Ni | Nr, g^ir); then the seven keys from
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296 2.14).  SPIs are the
 * values as carried in the IKE header (big-endian on the wire).
 * 0, -ENOTSUP (suite), -EINVAL, -EIO.  out is wiped on failure. */
int ike_keys_derive(const struct ike_suite *s,
		    const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len,
		    const uint8_t *gir, size_t gir_len,
		    uint64_t spi_i, uint64_t spi_r,
		    struct ike_keys *out);

/* IKE SA rekey (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
 * with the *new* SPIs; old_prf is the old SA's PRF. */
int ike_keys_rekey(const struct ike_suite *s, uint16_t old_prf,
		   const uint8_t *old_sk_d, size_t old_d_len,
		   const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len,
		   const uint8_t *gir, size_t gir_len,
		   uint64_t spi_i, uint64_t spi_r,
		   struct ike_keys *out);

/* Child SA KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); gir may be NULL.
 * Order of the output: encr_i | integ_i | encr_r | integ_r (2.17). */
int child_keymat(uint16_t prf_id, const uint8_t *sk_d, size_t d_len,
		 const uint8_t *gir, size_t gir_len,
		 const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 uint8_t *out, size_t outlen);

void ike_keys_wipe(struct ike_keys *k);

/* The SKEYSEED steps alone (known-answer tests, and logging keys for
 * tshark in debug builds).  out gets prf_len(prf_id) bytes. */
int ike_skeyseed(uint16_t prf_id, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *out);
int ike_rekey_skeyseed(uint16_t old_prf, const uint8_t *old_sk_d,
		       size_t old_d_len, const uint8_t *gir, size_t gir_len,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len, uint8_t *out);

/* Length of the whole IKE SA key material (SK_d .. SK_pr), 0 if the suite
 * is not supported. */
size_t ike_keys_len(const struct ike_suite *s);

/* One Child SA's keys, split out of KEYMAT (RFC 7296 2.17): "i" is the
 * direction initiator -> responder.  e_len includes the AEAD salt. */
struct child_keys {
	uint8_t ei[KEY_MAX], ai[KEY_MAX], er[KEY_MAX], ar[KEY_MAX];
	uint8_t e_len, a_len;
};

/* KEYMAT length for an ESP suite: 2 * (encr key + salt + integ key);
 * 0 if unsupported. */
size_t child_keymat_len(const struct esp_suite *s);

/* child_keymat() and the split in one call; gir NULL without PFS. */
int child_keys_derive(uint16_t prf_id, const struct esp_suite *s,
		      const uint8_t *sk_d, size_t d_len,
		      const uint8_t *gir, size_t gir_len,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len,
		      struct child_keys *out);
void child_keys_wipe(struct child_keys *k);

#endif
