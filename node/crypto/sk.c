/*
 * The Encrypted payload (RFC 7296 3.14) with AES-CBC + HMAC, and its
 * AEAD form (RFC 5282 for AES-GCM, RFC 7634 for ChaCha20-Poly1305):
 *
 *   cipher + MAC: IV (16, random) | E(inner | padding | pad length) | ICV
 *                 ICV = HMAC over the whole message up to the ICV
 *   AEAD:         IV (8)          | E(inner | padding | pad length) | tag
 *                 nonce = salt (last 4 octets of SK_e) | IV,
 *                 AAD = IKE header .. end of the SK generic header
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hike/cursor.h"
#include "hike/ikev2.h"
#include "crypto/cipher.h"
#include "crypto/keys.h"
#include "crypto/sk.h"

#define SK_HDR_LEN_OFF	24	/* IKE header: Length field */
#define SK_IKE_HDR	28
#define SK_MSG_MAX	65535

/* Per-suite sizes; false for an unsupported or inconsistent suite. */
struct sk_geom {
	bool aead;
	size_t iv, icv, block, ekey;	/* ekey without the AEAD salt */
};

static bool sk_geom(const struct sk_keys *k, struct sk_geom *g)
{
	size_t want = encr_key_len(k->encr, k->encr_keylen);

	g->aead = encr_is_aead(k->encr);
	if (!want || k->ekey_len != want || !k->ekey)
		return false;
	if (g->aead) {
		if (k->integ != IKE_INTEG_NONE)
			return false;
		g->iv = AEAD_IV_LEN;
		g->icv = AEAD_TAG_LEN;
		g->block = 1;	/* stream modes: no padding needed */
		g->ekey = want - AEAD_SALT_LEN;
		return true;
	}
	g->iv = CBC_BLOCK;
	g->icv = integ_icv_len(k->integ);
	g->block = CBC_BLOCK;
	g->ekey = want;
	return g->icv && k->akey && k->akey_len == integ_key_len(k->integ);
}

static size_t sk_pad_len(const struct sk_geom *g, size_t ptlen)
{
	return (g->block - (ptlen + 1) % g->block) % g->block;
}

size_t sk_overhead(const struct sk_keys *k, size_t ptlen)
{
	struct sk_geom g;

	if (!sk_geom(k, &g))
		return 0;
	return g.iv + sk_pad_len(&g, ptlen) + 1 + g.icv;
}

/* salt | IV: the salt is the tail of the key material (RFC 5282 7.1). */
static void sk_nonce(const struct sk_keys *k, const struct sk_geom *g,
		     const uint8_t *iv, uint8_t nonce[AEAD_NONCE_LEN])
{
	memcpy(nonce, k->ekey + g->ekey, AEAD_SALT_LEN);
	memcpy(nonce + AEAD_SALT_LEN, iv, AEAD_IV_LEN);
}

/* The truncated HMAC of msg[0 .. len). */
static int sk_icv(const struct sk_keys *k, const struct sk_geom *g,
		  const uint8_t *msg, size_t len, uint8_t icv[HMAC_MAX_LEN])
{
	struct crypto_span in = { msg, len };
	size_t mlen;
	int rc = crypto_hmac(integ_digest(k->integ), k->akey, k->akey_len,
			     &in, 1, icv, &mlen);

	return rc ? rc : (mlen >= g->icv ? 0 : -EIO);
}

/* Lay out IV | plaintext | padding | pad length | room for ICV and set
 * both length fields.  Returns the offset of the ICV, or SIZE_MAX. */
static size_t sk_layout(const struct sk_geom *g, struct wr *w, size_t sk_off,
			size_t iv_off, size_t ptlen, const uint8_t *iv)
{
	static const uint8_t zeros[CBC_BLOCK];
	size_t pad = sk_pad_len(g, ptlen), icv_off;

	wr_reserve(w, iv_off);
	wr_bytes(w, iv, g->iv);
	wr_reserve(w, ptlen);
	wr_bytes(w, zeros, pad);	/* RFC 7296 3.14: any value */
	wr_u8(w, (uint8_t)pad);
	icv_off = wr_reserve(w, g->icv);
	if (!wr_ok(w) || w->len > SK_MSG_MAX)
		return SIZE_MAX;
	wr_patch_u32(w, SK_HDR_LEN_OFF, (uint32_t)w->len);
	wr_patch_u16(w, sk_off + 2, (uint16_t)(w->len - sk_off));
	return icv_off;
}

int sk_seal(const struct sk_keys *k, uint8_t *msg, size_t cap,
	    size_t sk_off, size_t iv_off, size_t ptlen, uint64_t iv_seq,
	    size_t *msglen)
{
	uint8_t iv[CBC_BLOCK], nonce[AEAD_NONCE_LEN], icv[HMAC_MAX_LEN];
	struct wr w = wr_init(msg, cap);
	struct crypto_span aad = { msg, iv_off };
	struct sk_geom g;
	size_t icv_off, ct_off, ct_len;
	int rc;

	*msglen = 0;
	if (!sk_geom(k, &g))
		return -ENOTSUP;
	if (sk_off < SK_IKE_HDR || iv_off < sk_off + 4 || iv_off > cap ||
	    ptlen > cap - iv_off)
		return -EINVAL;
	if (g.aead) {	/* 64-bit counter: unique per key by construction */
		for (int i = 7; i >= 0; i--, iv_seq >>= 8)
			iv[i] = (uint8_t)iv_seq;
	} else if (RAND_bytes(iv, (int)g.iv) != 1) {
		return -EIO;
	}
	if (cap - iv_off - ptlen < g.iv)
		return -EMSGSIZE;
	memmove(msg + iv_off + g.iv, msg + iv_off, ptlen);
	icv_off = sk_layout(&g, &w, sk_off, iv_off, ptlen, iv);
	if (icv_off == SIZE_MAX)
		return -EMSGSIZE;
	ct_off = iv_off + g.iv;
	ct_len = icv_off - ct_off;
	if (g.aead) {
		sk_nonce(k, &g, iv, nonce);
		rc = crypto_aead_seal(k->encr, k->ekey, g.ekey, nonce, &aad, 1,
				      msg + ct_off, ct_len, msg + ct_off,
				      msg + icv_off);
	} else {
		rc = crypto_cbc(true, k->ekey, g.ekey, iv, msg + ct_off, ct_len,
				msg + ct_off);
		if (rc == 0)
			rc = sk_icv(k, &g, msg, icv_off, icv);
		if (rc == 0)
			memcpy(msg + icv_off, icv, g.icv);
	}
	if (rc == 0)
		*msglen = w.len;
	return rc;
}

/* Strip padding: the last octet says how many padding octets precede it. */
static int sk_unpad(uint8_t *pt, size_t len, size_t *ptlen)
{
	size_t pad;

	if (len == 0)
		return -EINVAL;
	pad = pt[len - 1];
	if (pad + 1 > len)
		return -EINVAL;
	*ptlen = len - pad - 1;
	return 0;
}

int sk_open(const struct sk_keys *k, const uint8_t *msg, size_t msglen,
	    size_t iv_off, uint8_t *pt, size_t ptcap, size_t *ptlen)
{
	struct rd r = rd_init(msg, msglen);
	const uint8_t *iv, *ct, *icv;
	uint8_t nonce[AEAD_NONCE_LEN], mac[HMAC_MAX_LEN];
	struct crypto_span aad = { msg, iv_off };
	struct sk_geom g;
	size_t ct_len;
	int rc;

	*ptlen = 0;
	if (!sk_geom(k, &g))
		return -ENOTSUP;
	if (iv_off < SK_IKE_HDR + 4 || !rd_skip(&r, iv_off) ||
	    !rd_ptr(&r, &iv, g.iv) || rd_left(&r) < g.icv + 1)
		return -EINVAL;
	ct_len = rd_left(&r) - g.icv;
	if (!rd_ptr(&r, &ct, ct_len) || !rd_ptr(&r, &icv, g.icv))
		return -EINVAL;
	if (ct_len % g.block)
		return -EINVAL;
	if (ptcap < ct_len)
		return -ENOSPC;
	if (g.aead) {
		sk_nonce(k, &g, iv, nonce);
		rc = crypto_aead_open(k->encr, k->ekey, g.ekey, nonce, &aad, 1,
				      ct, ct_len, pt, icv);
	} else {
		/* Encrypt-then-MAC: authenticate before touching the CBC. */
		rc = sk_icv(k, &g, msg, msglen - g.icv, mac);
		if (rc == 0 && CRYPTO_memcmp(mac, icv, g.icv) != 0)
			rc = -EBADMSG;
		if (rc == 0)
			rc = crypto_cbc(false, k->ekey, g.ekey, iv, ct, ct_len,
					pt);
	}
	if (rc == 0)
		rc = sk_unpad(pt, ct_len, ptlen);
	if (rc)
		OPENSSL_cleanse(pt, ct_len);
	return rc;
}
