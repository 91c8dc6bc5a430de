/* PRFs and prf+ (RFC 7296 2.13).  Only the HMAC PRFs: AES-XCBC and
 * AES-CMAC PRFs are not offered by hike. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hike/ikev2.h"
#include "crypto/prf.h"

#define PRF_PLUS_MAX_SEED 8

struct prf_info {
	uint16_t id;
	uint8_t len;
	const char *digest;
};

static const struct prf_info prf_table[] = {
	{ IKE_PRF_HMAC_SHA1, 20, "SHA1" },
	{ IKE_PRF_HMAC_SHA2_256, 32, "SHA2-256" },
	{ IKE_PRF_HMAC_SHA2_384, 48, "SHA2-384" },
	{ IKE_PRF_HMAC_SHA2_512, 64, "SHA2-512" },
};

static const struct prf_info *prf_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(prf_table) / sizeof(prf_table[0]); i++)
		if (prf_table[i].id == id)
			return &prf_table[i];
	return NULL;
}

size_t prf_len(uint16_t prf_id)
{
	const struct prf_info *p = prf_find(prf_id);

	return p ? p->len : 0;
}

/* RFC 7296 2.13: for HMAC PRFs the preferred key size is the output size. */
size_t prf_key_len(uint16_t prf_id)
{
	return prf_len(prf_id);
}

const char *prf_digest(uint16_t prf_id)
{
	const struct prf_info *p = prf_find(prf_id);

	return p ? p->digest : NULL;
}

int prf_spans(uint16_t prf_id, const uint8_t *key, size_t klen,
	      const struct crypto_span *in, size_t nin, uint8_t *out)
{
	const struct prf_info *p = prf_find(prf_id);
	uint8_t mac[HMAC_MAX_LEN];
	size_t mlen;
	int rc;

	if (!p)
		return -ENOTSUP;
	rc = crypto_hmac(p->digest, key, klen, in, nin, mac, &mlen);
	if (rc == 0 && mlen != p->len)
		rc = -EIO;
	if (rc == 0)
		memcpy(out, mac, p->len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int prf(uint16_t prf_id, const uint8_t *key, size_t klen,
	const uint8_t *data, size_t dlen, uint8_t *out)
{
	struct crypto_span s = { data, dlen };

	return prf_spans(prf_id, key, klen, &s, 1, out);
}

/*
 * RFC 7296 2.13: T1 = prf (K, S | 0x01), Tn = prf (K, Tn-1 | S | n);
 * the counter is one octet, so at most 255 blocks.
 */
int prf_plus_spans(uint16_t prf_id, const uint8_t *key, size_t klen,
		   const struct crypto_span *seed, size_t nseed,
		   uint8_t *out, size_t outlen)
{
	size_t hl = prf_len(prf_id), done = 0;
	struct crypto_span in[PRF_PLUS_MAX_SEED + 2];
	uint8_t t[PRF_MAX_LEN], ctr;
	int rc = 0;

	if (!hl)
		return -ENOTSUP;
	if (nseed > PRF_PLUS_MAX_SEED || outlen > 255 * hl)
		return -EINVAL;
	for (ctr = 1; done < outlen; ctr++) {
		size_t n = 0, take = outlen - done < hl ? outlen - done : hl;

		if (ctr > 1)
			in[n++] = (struct crypto_span){ t, hl };
		for (size_t i = 0; i < nseed; i++)
			in[n++] = seed[i];
		in[n++] = (struct crypto_span){ &ctr, 1 };
		rc = prf_spans(prf_id, key, klen, in, n, t);
		if (rc)
			break;
		memcpy(out + done, t, take);
		done += take;
	}
	OPENSSL_cleanse(t, sizeof(t));
	if (rc)
		OPENSSL_cleanse(out, outlen);
	return rc;
}

int prf_plus(uint16_t prf_id, const uint8_t *key, size_t klen,
	     const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen)
{
	struct crypto_span s = { seed, slen };

	return prf_plus_spans(prf_id, key, klen, &s, 1, out, outlen);
}
