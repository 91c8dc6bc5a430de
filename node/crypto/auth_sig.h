/*
 * Signatures in the AUTH payload, through EVP_PKEY:
 *   method 1  (RFC 7296 3.8): RSA, EMSA-PKCS1-v1_5 with SHA-1;
 *   methods 9, 10, 11 (RFC 4754): ECDSA P-256/SHA-256, P-384/SHA-384,
 *             P-521/SHA-512, signature r | s;
 *   method 14 (RFC 7427): AUTH data = length (1) | AlgorithmIdentifier |
 *             signature, for RSA PKCS#1 v1.5, RSASSA-PSS (MGF1 with the
 *             same hash, salt = hash length) and ECDSA (DER signature),
 *             with SHA-256/384/512.
 * What is signed is the signed octets of RFC 7296 2.15 (RealMessage |
 * Nonce | prf(SK_p, ID')), given as spans.  Thread-safe.
 */
#ifndef HIKE_CRYPTO_AUTH_SIG_H
#define HIKE_CRYPTO_AUTH_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/hmac.h"

#define AUTH_SIG_MAX 1100	/* RSA-8192 signature + AlgorithmIdentifier */

enum auth_sig_kind {
	AUTH_SIG_RSA_PKCS1 = 1,
	AUTH_SIG_RSA_PSS,
	AUTH_SIG_ECDSA,
};

/* The DER AlgorithmIdentifier of RFC 7427 for a kind and hash
 * (IKE_HASH_SHA2_*); 0 if none.  *der points into a const table. */
size_t auth_sig_algid(enum auth_sig_kind kind, uint16_t hash,
		      const uint8_t **der);

/*
 * Sign for AUTH method `method`.  For method 14, kind and hash choose the
 * algorithm (the hash from the peer's SIGNATURE_HASH_ALGORITHMS); for
 * other methods they are ignored.  out gets the AUTH data.  0, -ENOTSUP
 * (method/hash/key combination), -ENOSPC, -EIO.
 */
int auth_sig_sign(EVP_PKEY *key, uint8_t method, enum auth_sig_kind kind,
		  uint16_t hash, const struct crypto_span *in, size_t nin,
		  uint8_t *out, size_t *outlen);

/*
 * Verify AUTH data of method `method` with the peer's public key.
 * 0 when it verifies; -EBADMSG when the signature does not; -ENOTSUP for
 * an AlgorithmIdentifier or method we do not implement; -EINVAL for
 * malformed data or a key of the wrong type or curve.  All of these mean
 * AUTHENTICATION_FAILED to the caller.
 */
int auth_sig_verify(EVP_PKEY *key, uint8_t method, const uint8_t *data,
		    size_t len, const struct crypto_span *in, size_t nin);

#endif
