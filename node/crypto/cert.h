/*
 * X.509 certificates for IKEv2 public-key authentication (RFC 7296 2.15,
 * 3.6, 3.7; RFC 4945 for the PKI profile), through OpenSSL.
 *
 *  - struct cert_store: the trust anchors (and intermediates we already
 *    hold) a connection accepts, from CA PEM files; it also yields the
 *    CERTREQ payload data that names them.
 *  - struct cert_cred: our own certificate chain and private key; it
 *    yields our CERT payloads and our ID payload data.
 *  - cert_verify_peer(): the peer's CERT payloads -> a verified chain and
 *    an ID bound to it -> the public key that auth_sig_verify() takes.
 *
 * Both structs are immutable after loading, so workers may use one
 * concurrently (OpenSSL's X509_STORE locks its own lookups).  Errors are
 * 0 or -errno, with a readable reason in err where there is an err.
 */
#ifndef HIKE_CRYPTO_CERT_H
#define HIKE_CRYPTO_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/auth_sig.h"
#include "conf/conf.h"
#include "ike/msg.h"

#define CERT_HASH_LEN		20	/* SHA-1 (RFC 7296 3.7) */
#define CERT_MAX_CHAIN		8	/* leaf + intermediates we send */
#define CERT_MAX_CAS		64	/* certificates in one store */

struct cert_store;
struct cert_cred;

/*
 * Load every certificate of the PEM files paths[0..n-1] (a file may hold
 * several) as trusted.  Each must be a CA certificate (RFC 5280
 * basicConstraints); put intermediates here too when peers may omit them
 * (strongSwan does, for CAs our CERTREQ names).  0, -ENOENT (a file),
 * -EINVAL (no or bad certificate, not a CA), -E2BIG, -ENOMEM.
 */
int cert_store_load(const char *const *paths, size_t n,
		    struct cert_store **out, char *err, size_t errlen);
void cert_store_free(struct cert_store *s);		/* NULL: no-op */
size_t cert_store_count(const struct cert_store *s);

/*
 * CERTREQ data for encoding 4 (X.509 signature): the SHA-1 hashes of each
 * store certificate's DER SubjectPublicKeyInfo, concatenated (RFC 7296
 * 3.7).  0 or -ENOSPC.
 */
int cert_certreq_hashes(const struct cert_store *s, uint8_t *out, size_t cap,
			size_t *len);

/*
 * Our credential: cert_path holds the end-entity certificate first, then
 * its intermediates (PEM); key_path its private key (PEM, PKCS#8 or
 * traditional, unencrypted: a daemon cannot prompt).  The key must match
 * the certificate.  0, -ENOENT, -EINVAL, -E2BIG, -ENOMEM.
 */
int cert_cred_load(const char *cert_path, const char *key_path,
		   struct cert_cred **out, char *err, size_t errlen);
void cert_cred_free(struct cert_cred *c);		/* NULL: no-op */

/* The private key for auth_sig_sign() (owned by c). */
EVP_PKEY *cert_cred_key(const struct cert_cred *c);

/* Certificates in our chain: 1 (leaf) + intermediates. */
size_t cert_chain_count(const struct cert_cred *c);

/* The DER of chain certificate i (0 = leaf): one CERT payload of encoding
 * IKE_CERT_X509_SIG each (RFC 7296 3.6).  Points into c.  0 or -ENOENT. */
int cert_chain_der(const struct cert_cred *c, size_t i, const uint8_t **der,
		   size_t *len);

/*
 * Whether chain certificate i need not be sent because the peer's
 * CERTREQ payloads (encoding 4) already name it as a CA it holds
 * (RFC 7296 3.7, RFC 4945 3.2.7.2; strongSwan does the same).  Never true
 * for the leaf.
 */
bool cert_chain_skip(const struct cert_cred *c, size_t i,
		     const struct ike_cert_pl *certreqs, size_t n);

/*
 * Our ID payload data from our certificate: IKE_ID_DER_ASN1_DN (or 0) for
 * the subject DN, IKE_ID_FQDN / IKE_ID_RFC822_ADDR / IKE_ID_IPV4_ADDR /
 * IKE_ID_IPV6_ADDR for the first subjectAltName of that kind.  *type_out
 * gets the type written.  0, -ENOENT (no such SAN), -ENOSPC, -ENOTSUP.
 */
int cert_id_of(const struct cert_cred *c, uint8_t type, uint8_t *out,
	       size_t cap, size_t *len, uint8_t *type_out);

/* Whether an ID (e.g. a configured local_id) is one of our certificate's
 * identities, so we may claim it (same rules as for the peer below). */
bool cert_cred_has_id(const struct cert_cred *c, uint8_t type,
		      const uint8_t *data, size_t len);

/*
 * Whether a received ID payload is the configured identity want (%any
 * matches all): same type; DNs compared as X.509 names (string types,
 * case and spacing canonicalised, so strongSwan's PrintableString equals
 * our UTF8String), FQDN and RFC822 ignoring case, others byte for byte.
 * Connection lookup and certificate binding use the same rule.
 */
bool cert_id_equal(const struct conf_id *want, const struct ike_id_pl *id);
/*
 * The signature AUTH method for our key without RFC 7427 (RSA: 1; ECDSA:
 * 9/10/11 by curve, RFC 4754) and the RFC 7427 kind (method 14).
 * -ENOTSUP for other keys.
 */
int cert_key_auth(EVP_PKEY *key, uint8_t *method, enum auth_sig_kind *kind);

/*
 * Verify the peer: certs[0..n-1] are its CERT payloads, the first one the
 * end entity (RFC 7296 3.6), the others untrusted intermediates; only
 * encoding 4 is accepted.  The chain must verify against s at the current
 * time, and the leaf's keyUsage (if any) must allow signatures (RFC 4945
 * 5.1.3.2).  idi (the peer's ID payload) must be bound to the
 * certificate: ID_DER_ASN1_DN equals the subject (X.509 name comparison),
 * FQDN / RFC822 / IPv4 / IPv6 equal a subjectAltName entry (no wildcards,
 * no fallback to the CN).  When expected is given and not %any, idi must
 * also equal it.
 *
 * On success *peer_key gets the leaf's public key (EVP_PKEY_free() it)
 * and err the leaf's subject, for the log.
 * Errors, all AUTHENTICATION_FAILED on the wire: -EINVAL (no or malformed
 * certificate, unsupported encoding), -EKEYREJECTED (chain does not
 * verify; err says why: expired, unknown CA, ...), -EPERM (ID not bound
 * to the certificate, or not the expected one), -ENOMEM.
 */
int cert_verify_peer(const struct cert_store *s,
		     const struct ike_cert_pl *certs, size_t n,
		     const struct conf_id *expected,
		     const struct ike_id_pl *idi, EVP_PKEY **peer_key,
		     char *err, size_t errlen);

#endif
