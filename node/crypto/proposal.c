/*
 * Proposal strings (strongSwan syntax) and responder proposal selection
 * (RFC 7296 2.7, 3.3).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hike/ikev2.h"
#include "crypto/proposal.h"

#define PROP_STR_MAX 512

struct prop_token {
	const char *name;	/* the first name of an algorithm prints back */
	uint8_t type;		/* IKE_TRANSFORM_* */
	uint16_t id, keylen;
};

static const struct prop_token prop_tokens[] = {
	{ "aes128", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ "aes192", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 192 },
	{ "aes256", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 256 },
	{ "aes128gcm16", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm16", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm16", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes128gcm", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	/* RFC 7634 2: no Key Length attribute */
	{ "chacha20poly1305", IKE_TRANSFORM_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0 },
	{ "sha1", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA1_96, 0 },
	{ "sha256", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "sha2_256", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha2_384", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha2_512", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "prfsha1", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA1, 0 },
	{ "prfsha256", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_512, 0 },
	{ "modp1536", IKE_TRANSFORM_DH, IKE_DH_MODP1536, 0 },
	{ "modp2048", IKE_TRANSFORM_DH, IKE_DH_MODP2048, 0 },
	{ "modp3072", IKE_TRANSFORM_DH, IKE_DH_MODP3072, 0 },
	{ "modp4096", IKE_TRANSFORM_DH, IKE_DH_MODP4096, 0 },
	{ "ecp256", IKE_TRANSFORM_DH, IKE_DH_ECP256, 0 },
	{ "ecp384", IKE_TRANSFORM_DH, IKE_DH_ECP384, 0 },
	{ "ecp521", IKE_TRANSFORM_DH, IKE_DH_ECP521, 0 },
	{ "x25519", IKE_TRANSFORM_DH, IKE_DH_CURVE25519, 0 },
	{ "curve25519", IKE_TRANSFORM_DH, IKE_DH_CURVE25519, 0 },
	{ "x448", IKE_TRANSFORM_DH, IKE_DH_CURVE448, 0 },
	{ "curve448", IKE_TRANSFORM_DH, IKE_DH_CURVE448, 0 },
	{ "esn", IKE_TRANSFORM_ESN, IKE_ESN_YES, 0 },
	{ "noesn", IKE_TRANSFORM_ESN, IKE_ESN_NO, 0 },
};

#define PROP_NTOKENS (sizeof(prop_tokens) / sizeof(prop_tokens[0]))

static const struct prop_token *prop_token_find(const char *name)
{
	for (size_t i = 0; i < PROP_NTOKENS; i++)
		if (!strcasecmp(prop_tokens[i].name, name))
			return &prop_tokens[i];
	return NULL;
}

/* The name an algorithm prints as (the first table entry for it). */
static const char *prop_token_name(uint8_t type, uint16_t id, uint16_t kl)
{
	for (size_t i = 0; i < PROP_NTOKENS; i++)
		if (prop_tokens[i].type == type && prop_tokens[i].id == id &&
		    prop_tokens[i].keylen == kl)
			return prop_tokens[i].name;
	return NULL;
}

/* Add an algorithm unless already listed; false when the list is full. */
static bool prop_add(struct prop_conf *p, uint8_t type, uint16_t id,
		     uint16_t keylen)
{
	for (uint8_t i = 0; i < p->n[type]; i++)
		if (p->alg[type][i].id == id && p->alg[type][i].keylen == keylen)
			return true;
	if (p->n[type] >= PROP_MAX_ALG)
		return false;
	p->alg[type][p->n[type]++] = (struct prop_alg){ id, keylen };
	return true;
}

static int prop_err(char *err, size_t errlen, const char *fmt,
		    const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, what);
	return -EINVAL;
}

/* The PRF matching an integrity algorithm (strongSwan derives IKE PRFs
 * from the integrity algorithms when no prf token is given). */
static uint16_t prop_integ_prf(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return IKE_PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128: return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192: return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256: return IKE_PRF_HMAC_SHA2_512;
	default: return 0;
	}
}

/* Count the AEAD ciphers; false when AEAD and non-AEAD are mixed (they
 * need different transform sets, so one proposal cannot hold both). */
static bool prop_aead(const struct prop_conf *p, bool *aead)
{
	uint8_t n = 0;

	for (uint8_t i = 0; i < p->n[IKE_TRANSFORM_ENCR]; i++)
		n += encr_is_aead(p->alg[IKE_TRANSFORM_ENCR][i].id);
	*aead = n > 0;
	return n == 0 || n == p->n[IKE_TRANSFORM_ENCR];
}

static int prop_check_ike(struct prop_conf *p, bool aead, char *err,
			  size_t errlen)
{
	const uint8_t I = IKE_TRANSFORM_INTEG, P = IKE_TRANSFORM_PRF;

	if (p->n[IKE_TRANSFORM_ESN])
		return prop_err(err, errlen, "'%s' is for ESP proposals only",
				"esn/noesn");
	if (!p->n[P])
		for (uint8_t i = 0; i < p->n[I]; i++)
			prop_add(p, P, prop_integ_prf(p->alg[I][i].id), 0);
	if (aead) {	/* integrity tokens only named PRFs */
		p->n[I] = 0;
		memset(p->alg[I], 0, sizeof(p->alg[I]));
	}
	if (!p->n[P])
		return prop_err(err, errlen, "%s",
				"IKE proposal has no PRF (add e.g. prfsha256)");
	if (!aead && !p->n[I])
		return prop_err(err, errlen, "%s",
				"IKE proposal has no integrity algorithm");
	if (!p->n[IKE_TRANSFORM_DH])
		return prop_err(err, errlen, "%s",
				"IKE proposal has no key exchange group");
	return 0;
}

static int prop_check_esp(struct prop_conf *p, bool aead, char *err,
			  size_t errlen)
{
	if (p->n[IKE_TRANSFORM_PRF])
		return prop_err(err, errlen, "%s",
				"a prf is not allowed in an ESP proposal");
	if (aead && p->n[IKE_TRANSFORM_INTEG])
		return prop_err(err, errlen, "%s",
				"AEAD cipher with an integrity algorithm");
	if (!aead && !p->n[IKE_TRANSFORM_INTEG])
		return prop_err(err, errlen, "%s",
				"ESP proposal has no integrity algorithm");
	if (!p->n[IKE_TRANSFORM_ESN])
		prop_add(p, IKE_TRANSFORM_ESN, IKE_ESN_NO, 0);
	return 0;
}

static int prop_check(struct prop_conf *p, char *err, size_t errlen)
{
	bool aead;

	if (!p->n[IKE_TRANSFORM_ENCR])
		return prop_err(err, errlen, "%s",
				"proposal has no encryption algorithm");
	if (!prop_aead(p, &aead))
		return prop_err(err, errlen, "%s",
				"proposal mixes AEAD and non-AEAD ciphers");
	if (p->proto == IKE_PROTO_IKE)
		return prop_check_ike(p, aead, err, errlen);
	return prop_check_esp(p, aead, err, errlen);
}

int prop_parse(const char *s, uint8_t proto, struct prop_conf *out,
	       char *err, size_t errlen)
{
	char buf[PROP_STR_MAX], *save = NULL, *tok;
	const struct prop_token *t;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (proto != IKE_PROTO_IKE && proto != IKE_PROTO_ESP)
		return prop_err(err, errlen, "%s", "bad protocol");
	if (!s || !*s || strlen(s) >= sizeof(buf))
		return prop_err(err, errlen, "%s",
				"empty or overlong proposal");
	out->proto = proto;
	strcpy(buf, s);
	for (tok = strtok_r(buf, "-", &save); tok;
	     tok = strtok_r(NULL, "-", &save)) {
		t = prop_token_find(tok);
		if (!t)
			return prop_err(err, errlen,
					"unknown algorithm '%s'", tok);
		if (!prop_add(out, t->type, t->id, t->keylen))
			return prop_err(err, errlen,
					"too many algorithms at '%s'", tok);
	}
	return prop_check(out, err, errlen);
}

int prop_format(const struct prop_conf *p, char *buf, size_t len)
{
	static const uint8_t order[] = {
		IKE_TRANSFORM_ENCR, IKE_TRANSFORM_INTEG, IKE_TRANSFORM_PRF,
		IKE_TRANSFORM_DH, IKE_TRANSFORM_ESN,
	};
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t o = 0; o < sizeof(order); o++) {
		uint8_t t = order[o];

		/* ESN "no" alone is the ESP default: leave it implicit */
		if (t == IKE_TRANSFORM_ESN && p->n[t] == 1 &&
		    p->alg[t][0].id == IKE_ESN_NO)
			continue;
		for (uint8_t i = 0; i < p->n[t] && i < PROP_MAX_ALG; i++) {
			const char *name = prop_token_name(t, p->alg[t][i].id,
							   p->alg[t][i].keylen);
			int n;

			if (!name)
				return -EINVAL;
			n = snprintf(buf + used, len - used, "%s%s",
				     used ? "-" : "", name);
			if (n < 0 || (size_t)n >= len - used)
				return -ENOSPC;
			used += (size_t)n;
		}
	}
	return 0;
}

/* What a peer proposal offers for one transform type. */
static bool peer_has(const struct ike_proposal *pp, uint8_t type, uint16_t id,
		     uint16_t keylen)
{
	for (uint8_t i = 0; i < pp->ntr && i < IKE_MAX_TRANSFORMS; i++) {
		const struct ike_transform *t = &pp->tr[i];

		/* RFC 7296 3.3.6: a transform with an attribute we do not
		 * know is as if not offered */
		if (t->type == type && t->id == id && !t->unknown_attr &&
		    (type != IKE_TRANSFORM_ENCR || t->keylen == keylen))
			return true;
	}
	return false;
}

static bool peer_has_type(const struct ike_proposal *pp, uint8_t type)
{
	for (uint8_t i = 0; i < pp->ntr && i < IKE_MAX_TRANSFORMS; i++)
		if (pp->tr[i].type == type)
			return true;
	return false;
}

static bool prop_conf_has(const struct prop_conf *o, uint8_t type,
			  uint16_t id)
{
	for (uint8_t i = 0; i < o->n[type] && i < PROP_MAX_ALG; i++)
		if (o->alg[type][i].id == id)
			return true;
	return false;
}

/*
 * Pick one transform of a type, in our order.  Our empty list accepts a
 * peer that offers nothing of the type, or offers NONE (id 0, RFC 7296
 * 3.3.2: DH and INTEG may be NONE); an ESP peer without ESN is taken as
 * "no ESN".  *pick is NULL when nothing is to be put in the answer.
 */
static bool prop_pick(const struct prop_conf *o, const struct ike_proposal *pp,
		      uint8_t type, const struct prop_alg **pick)
{
	*pick = NULL;
	if (!o->n[type])
		return !peer_has_type(pp, type) || peer_has(pp, type, 0, 0);
	for (uint8_t i = 0; i < o->n[type] && i < PROP_MAX_ALG; i++) {
		if (peer_has(pp, type, o->alg[type][i].id,
			     o->alg[type][i].keylen)) {
			*pick = &o->alg[type][i];
			return true;
		}
	}
	return type == IKE_TRANSFORM_ESN && !peer_has_type(pp, type) &&
	       prop_conf_has(o, type, IKE_ESN_NO);
}

/* One of ours against one of the peer's; fills *chosen on a match. */
static bool prop_match(const struct prop_conf *o, const struct ike_proposal *pp,
		       unsigned flags, struct ike_proposal *chosen)
{
	const struct prop_alg *pick;

	if (pp->proto != o->proto)
		return false;
	memset(chosen, 0, sizeof(*chosen));
	for (uint8_t t = IKE_TRANSFORM_ENCR; t <= IKE_TRANSFORM_ESN; t++) {
		if (t == IKE_TRANSFORM_DH && (flags & PROP_SEL_NO_DH))
			continue;
		if (!prop_pick(o, pp, t, &pick))
			return false;
		if (pick)
			chosen->tr[chosen->ntr++] = (struct ike_transform){
				.type = t, .id = pick->id,
				.keylen = t == IKE_TRANSFORM_ENCR ?
					  pick->keylen : 0,
			};
	}
	chosen->num = pp->num;
	chosen->proto = pp->proto;
	chosen->spi_len = pp->spi_len <= IKE_MAX_SPI ? pp->spi_len : 0;
	memcpy(chosen->spi, pp->spi, chosen->spi_len);
	return true;
}

int prop_select_flags(const struct prop_conf *ours, size_t nours,
		      const struct ike_sa_pl *peer, unsigned flags,
		      struct ike_proposal *chosen)
{
	/* RFC 7296 2.7: the responder picks; we honour our own order
	 * (configuration is policy), then the peer's. */
	for (size_t i = 0; i < nours; i++)
		for (uint8_t j = 0; j < peer->nprop && j < IKE_MAX_PROPOSALS; j++)
			if (prop_match(&ours[i], &peer->prop[j], flags, chosen))
				return 0;
	memset(chosen, 0, sizeof(*chosen));
	return -ENOENT;
}

int prop_select(const struct prop_conf *ours, size_t nours,
		const struct ike_sa_pl *peer, struct ike_proposal *chosen)
{
	return prop_select_flags(ours, nours, peer, 0, chosen);
}

static void prop_fill(const struct ike_proposal *p, uint16_t *encr,
		      uint16_t *keylen, uint16_t *prf_id, uint16_t *integ,
		      uint16_t *dh, uint16_t *esn)
{
	for (uint8_t i = 0; i < p->ntr && i < IKE_MAX_TRANSFORMS; i++) {
		const struct ike_transform *t = &p->tr[i];

		switch (t->type) {
		case IKE_TRANSFORM_ENCR:
			*encr = t->id;
			/* RFC 7634: ChaCha20-Poly1305 keys are 256 bits */
			*keylen = t->keylen ? t->keylen :
				  t->id == IKE_ENCR_CHACHA20_POLY1305 ? 256 : 0;
			break;
		case IKE_TRANSFORM_PRF: if (prf_id) *prf_id = t->id; break;
		case IKE_TRANSFORM_INTEG: *integ = t->id; break;
		case IKE_TRANSFORM_DH: *dh = t->id; break;
		case IKE_TRANSFORM_ESN: if (esn) *esn = t->id; break;
		}
	}
}

void prop_to_ike_suite(const struct ike_proposal *p, struct ike_suite *s)
{
	memset(s, 0, sizeof(*s));
	prop_fill(p, &s->encr, &s->encr_keylen, &s->prf, &s->integ, &s->dh,
		  NULL);
}

void prop_to_esp_suite(const struct ike_proposal *p, struct esp_suite *s)
{
	memset(s, 0, sizeof(*s));
	prop_fill(p, &s->encr, &s->encr_keylen, NULL, &s->integ, &s->dh,
		  &s->esn);
}
