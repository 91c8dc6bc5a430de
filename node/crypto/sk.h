/*
 * The Encrypted payload (RFC 7296 3.14) and its AEAD variant (RFC 5282,
 * RFC 7634), also for SKF fragments (RFC 7383).
 *
 * Layout of msg: [ IKE header | clear payloads | SK/SKF generic header
 * (4 or 8 bytes) | IV | ciphertext | ICV ]; iv_off is where the IV starts.
 * For AEAD the associated data is msg[0 .. iv_off); for cipher + MAC the
 * ICV covers msg[0 .. end - icv_len).
 */
#ifndef HIKE_CRYPTO_SK_H
#define HIKE_CRYPTO_SK_H

#include <stddef.h>
#include <stdint.h>

/* One direction's keys: the encryption key (with AEAD salt appended, as
 * prf+ delivers it) and, for non-AEAD, the integrity key. */
struct sk_keys {
	uint16_t encr, encr_keylen;	/* transform id, key bits */
	uint16_t integ;			/* IKE_INTEG_NONE for AEAD */
	const uint8_t *ekey;
	size_t ekey_len;
	const uint8_t *akey;
	size_t akey_len;
};

/* Bytes SK adds around a plaintext of ptlen: IV + padding + pad length
 * byte + ICV. */
size_t sk_overhead(const struct sk_keys *k, size_t ptlen);

/*
 * Encrypt in place.  On entry msg[0 .. iv_off) holds the header, clear
 * payloads and SK generic header, and the plaintext inner chain starts at
 * msg + iv_off (ptlen bytes).  sk_seal() moves it, adds IV, padding and
 * ICV, and sets the IKE header length and the SK payload length (at
 * sk_off + 2) to their final values.  cap is the buffer size.  *msglen
 * gets the total.  The IV comes from RAND_bytes (cipher modes) or is the
 * 64-bit counter iv_seq (AEAD: never repeat under one key).
 */
int sk_seal(const struct sk_keys *k, uint8_t *msg, size_t cap,
	    size_t sk_off, size_t iv_off, size_t ptlen, uint64_t iv_seq,
	    size_t *msglen);

/*
 * Verify and decrypt.  msg is the whole message (msglen == header length).
 * Writes the inner chain (padding removed) to pt (cap ptcap).  Returns 0,
 * -EBADMSG when the ICV does not verify (constant-time compare), -EINVAL
 * on bad padding or lengths.
 */
int sk_open(const struct sk_keys *k, const uint8_t *msg, size_t msglen,
	    size_t iv_off, uint8_t *pt, size_t ptcap, size_t *ptlen);

#endif
