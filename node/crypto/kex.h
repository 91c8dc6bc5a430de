/* Key exchange groups: MODP (RFC 3526; group 5 only when named), ECP
 * (RFC 5903), Curve25519/448 (RFC 8031), with the public-value checks of
 * RFC 6989. */
#ifndef HIKE_CRYPTO_KEX_H
#define HIKE_CRYPTO_KEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEX_MAX_PUB	1024	/* MODP 8192 would be 1024; we stop at 4096 (512) */
#define KEX_MAX_SECRET	1024

struct kex;

/* Groups implemented here: MODP 5 (1536), 14, 15, 16; ECP 19, 20, 21;
 * Curve25519 (31), Curve448 (32). */
bool kex_supported(uint16_t group);
/* Group 5 (MODP 1536) is below 112-bit strength: the config layer allows
 * it only where a proposal names it explicitly. */
bool kex_is_weak(uint16_t group);
/* Length of the KE payload data for a group (RFC 7296 3.4, RFC 5903 7). */
size_t kex_public_len(uint16_t group);
/* Length of g^ir for a group (the x coordinate alone for ECP). */
size_t kex_secret_len(uint16_t group);

/* A fresh key pair.  NULL on failure or unsupported group.  Thread-safe:
 * no shared state, a struct kex belongs to its caller. */
struct kex *kex_new(uint16_t group);
/* A key pair from a fixed private value (tests, vectors). */
struct kex *kex_new_private(uint16_t group, const uint8_t *priv, size_t len);

/* Our public value in wire form; *len in/out. */
int kex_public(const struct kex *k, uint8_t *out, size_t *len);

/* The shared secret g^ir from the peer's wire-form public value, after
 * the RFC 6989 checks (length, range, point on curve, not identity).
 * MODP secrets are left-padded to the prime length.  0 or -errno
 * (-EINVAL for a bad public value: the caller answers INVALID_SYNTAX or
 * drops). */
int kex_derive(struct kex *k, const uint8_t *peer, size_t peer_len,
	       uint8_t *secret, size_t *secret_len);

uint16_t kex_group(const struct kex *k);
void kex_free(struct kex *k);

#endif
