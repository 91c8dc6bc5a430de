/*
 * Proposal strings in the syntax strongSwan users write
 * ("aes256gcm16-prfsha256-x25519", "aes256-sha256-modp2048", ESP
 * "aes256gcm16", "aes256-sha256", "chacha20poly1305"), parsed into
 * transforms and printed back; and proposal selection.
 */
#ifndef HIKE_CRYPTO_PROPOSAL_H
#define HIKE_CRYPTO_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/msg.h"
#include "crypto/keys.h"

/* A configured proposal: per transform type the acceptable ids in
 * preference order (keylen in bits for ENCR). */
#define PROP_MAX_ALG 8
struct prop_alg { uint16_t id, keylen; };
struct prop_conf {
	uint8_t proto;			/* IKE_PROTO_IKE or IKE_PROTO_ESP */
	uint8_t n[6];			/* count per transform type 1..5 */
	struct prop_alg alg[6][PROP_MAX_ALG];	/* [transform type][i] */
};

/* Parse one proposal string.  proto says IKE or ESP (for ESP a missing
 * DH means no PFS, a missing ESN means ESN no).  On error returns -EINVAL
 * and writes a message naming the bad token into err. */
int prop_parse(const char *s, uint8_t proto, struct prop_conf *out,
	       char *err, size_t errlen);

/* Print back in the same syntax. */
int prop_format(const struct prop_conf *p, char *buf, size_t len);

/* Responder selection: the first of ours (in our preference order) that
 * any of the peer's proposals contains.  On success fills *chosen (one
 * transform of each type, proposal number and SPI of the peer's
 * proposal) and returns 0; -ENOENT = NO_PROPOSAL_CHOSEN. */
int prop_select(const struct prop_conf *ours, size_t nours,
		const struct ike_sa_pl *peer, struct ike_proposal *chosen);

/* prop_select() with options.  PROP_SEL_NO_DH: leave DH out of the
 * match on both sides, for the Child SA set up inside IKE_AUTH, which
 * has no KE payload of its own (RFC 7296 1.2): its SAi2 may still list
 * the groups the peer wants at rekey time. */
#define PROP_SEL_NO_DH	0x1
int prop_select_flags(const struct prop_conf *ours, size_t nours,
		      const struct ike_sa_pl *peer, unsigned flags,
		      struct ike_proposal *chosen);

/* Fill a suite from a chosen proposal (ChaCha20-Poly1305 gets keylen
 * 256; absent types are 0 = NONE / no ESN). */
void prop_to_ike_suite(const struct ike_proposal *p, struct ike_suite *s);
void prop_to_esp_suite(const struct ike_proposal *p, struct esp_suite *s);

#endif
