/* ESP per-direction crypto; see esp_crypto.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hike/ikev2.h"
#include "esp/esp.h"
#include "esp/esp_cipher.h"
#include "esp/esp_crypto.h"
#include "esp/esp_hmac.h"

#define ESP_SALT_LEN 4	/* RFC 4106 4, RFC 7634 2 */
#define ESP_IV_POOL 512	/* bytes of CBC IVs drawn at once */

struct esp_crypto {
	struct esp_alg alg;
	bool encrypt;
	struct esp_cipher *cipher;
	struct esp_hmac *hmac;	/* CBC suites only */
	uint8_t salt[ESP_SALT_LEN];
	/* outbound CBC only: IVs drawn from the DRBG in blocks
	 * (RAND_bytes() costs ~0.8 us a call here, ~30 ns per IV so) */
	uint16_t ivpos;
	uint8_t *ivpool;	/* ESP_IV_POOL bytes */
};

/* OpenSSL's name of the cipher, NULL when not carried. */
static const char *ec_cipher(uint16_t encr, uint16_t bits)
{
	switch (encr) {
	case IKE_ENCR_AES_GCM_16:
		return bits == 128 ? "AES-128-GCM" :
		       bits == 192 ? "AES-192-GCM" :
		       bits == 256 ? "AES-256-GCM" : NULL;
	case IKE_ENCR_AES_CBC:
		return bits == 128 ? "AES-128-CBC" :
		       bits == 192 ? "AES-192-CBC" :
		       bits == 256 ? "AES-256-CBC" : NULL;
	case IKE_ENCR_CHACHA20_POLY1305:
		return bits == 256 || bits == 0 ? "ChaCha20-Poly1305" : NULL;
	default:
		return NULL;
	}
}

/* RFC 2404, RFC 4868 2.3: key = full digest length, ICV = half. */
static const char *ec_digest(uint16_t integ, uint8_t *klen, uint8_t *icv)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		*klen = 20, *icv = 12;
		return "SHA1";
	case IKE_INTEG_HMAC_SHA2_256_128:
		*klen = 32, *icv = 16;
		return "SHA2-256";
	case IKE_INTEG_HMAC_SHA2_384_192:
		*klen = 48, *icv = 24;
		return "SHA2-384";
	case IKE_INTEG_HMAC_SHA2_512_256:
		*klen = 64, *icv = 32;
		return "SHA2-512";
	default:
		return NULL;
	}
}

int esp_alg_get(uint16_t encr, uint16_t bits, uint16_t integ,
		struct esp_alg *alg)
{
	memset(alg, 0, sizeof(*alg));
	if (encr == IKE_ENCR_CHACHA20_POLY1305 && bits == 0)
		bits = 256;
	if (!ec_cipher(encr, bits))
		return -ENOTSUP;
	if (encr == IKE_ENCR_AES_CBC) {
		if (!ec_digest(integ, &alg->akey_len, &alg->icv_len))
			return -ENOTSUP;
		alg->iv_len = 16;
		alg->align = 16;
		alg->ekey_len = (uint8_t)(bits / 8);
		return 0;
	}
	if (integ != IKE_INTEG_NONE)
		return -ENOTSUP;	/* RFC 4106 8.4: AEAD has no integ */
	alg->aead = true;
	alg->iv_len = 8;
	alg->align = 4;			/* RFC 4303 2.4: 4-byte alignment */
	alg->icv_len = 16;
	alg->ekey_len = (uint8_t)(bits / 8 + ESP_SALT_LEN);
	return 0;
}

int esp_crypto_new(uint16_t encr, uint16_t bits, uint16_t integ,
		   bool encrypt, const uint8_t *ekey, size_t ekey_len,
		   const uint8_t *akey, size_t akey_len,
		   struct esp_crypto **out)
{
	struct esp_crypto *c;
	size_t klen;
	int rc;

	*out = NULL;
	if (encr == IKE_ENCR_CHACHA20_POLY1305 && bits == 0)
		bits = 256;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	rc = esp_alg_get(encr, bits, integ, &c->alg);
	if (rc == 0 && (ekey_len != c->alg.ekey_len || akey_len != c->alg.akey_len))
		rc = -EINVAL;
	if (rc)
		goto fail;
	c->encrypt = encrypt;
	c->ivpos = ESP_IV_POOL;		/* drawn at the first packet */
	klen = c->alg.aead ? ekey_len - ESP_SALT_LEN : ekey_len;
	if (c->alg.aead)
		memcpy(c->salt, ekey + klen, ESP_SALT_LEN);
	rc = esp_cipher_new(ec_cipher(encr, bits), encrypt, ekey, klen,
			    &c->cipher);
	if (rc)
		goto fail;
	if (!c->alg.aead && encrypt && !(c->ivpool = malloc(ESP_IV_POOL))) {
		rc = -ENOMEM;
		goto fail;
	}
	if (!c->alg.aead) {
		uint8_t klen, icv;

		rc = esp_hmac_new(ec_digest(integ, &klen, &icv), akey,
				  akey_len, &c->hmac);
		if (rc == 0 && esp_hmac_size(c->hmac) < c->alg.icv_len)
			rc = -ENOSYS;	/* the ICV is a prefix of the MAC */
		if (rc)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	esp_crypto_free(c);
	return rc;
}

void esp_crypto_free(struct esp_crypto *c)
{
	if (!c)
		return;
	esp_cipher_free(c->cipher);	/* both cleanse their keys */
	esp_hmac_free(c->hmac);
	if (c->ivpool) {
		OPENSSL_cleanse(c->ivpool, ESP_IV_POOL);
		free(c->ivpool);
	}
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

const struct esp_alg *esp_crypto_alg(const struct esp_crypto *c)
{
	return &c->alg;
}

/* RFC 4106 5 / RFC 7634 2.1: AAD = SPI | seq, or SPI | seq_hi | seq_lo
 * with ESN.  Returns its length. */
static size_t ec_aad(const uint8_t *pkt, uint64_t seq, bool esn,
		     uint8_t aad[12])
{
	memcpy(aad, pkt, 4);
	if (!esn) {
		memcpy(aad + 4, pkt + 4, 4);
		return 8;
	}
	for (int i = 0; i < 8; i++)
		aad[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
	return 12;
}

static int ec_aead(struct esp_crypto *c, const uint8_t *pkt, size_t ct_len,
		   uint64_t seq, bool esn, const uint8_t *in, uint8_t *outp,
		   uint8_t *tag)
{
	uint8_t nonce[12], aad[12];
	size_t aadlen = ec_aad(pkt, seq, esn, aad);

	/* RFC 4106 4 / RFC 7634 2: nonce = salt | explicit IV */
	memcpy(nonce, c->salt, ESP_SALT_LEN);
	memcpy(nonce + ESP_SALT_LEN, pkt + ESP_HDR_LEN, 8);
	if (esp_cipher_start(c->cipher, nonce, sizeof(nonce)) ||
	    esp_cipher_aad(c->cipher, aad, aadlen) ||
	    esp_cipher_update(c->cipher, outp, in, ct_len))
		return -EIO;
	if (c->encrypt)
		return esp_cipher_seal_tag(c->cipher, tag);
	/* the tag is checked in constant time */
	return esp_cipher_open_tag(c->cipher, tag);
}

/* RFC 4303 2.2.1: the ICV covers header, IV and ciphertext, then the
 * implicit high half of an ESN. */
static int ec_hmac(struct esp_crypto *c, const uint8_t *pkt, size_t len,
		   uint64_t seq, bool esn, uint8_t mac[ESP_HMAC_MAX_SIZE])
{
	uint8_t hi[4] = { (uint8_t)(seq >> 56), (uint8_t)(seq >> 48),
			  (uint8_t)(seq >> 40), (uint8_t)(seq >> 32) };

	if (esp_hmac_start(c->hmac) || esp_hmac_update(c->hmac, pkt, len) ||
	    (esn && esp_hmac_update(c->hmac, hi, 4)) ||
	    esp_hmac_final(c->hmac, mac))
		return -EIO;
	return 0;
}

static int ec_cbc(struct esp_crypto *c, const uint8_t *iv, const uint8_t *in,
		  size_t len, uint8_t *outp)
{
	if (esp_cipher_start(c->cipher, iv, c->alg.iv_len) ||
	    esp_cipher_update(c->cipher, outp, in, len))
		return -EIO;
	return 0;
}

int esp_crypto_seal(struct esp_crypto *c, uint8_t *pkt, size_t ct_len,
		    uint64_t seq, bool esn)
{
	uint8_t *iv = pkt + ESP_HDR_LEN, *ct = iv + c->alg.iv_len;
	uint8_t mac[ESP_HMAC_MAX_SIZE];
	int rc;

	if (!c->encrypt || ct_len % c->alg.align || ct_len > INT32_MAX)
		return -EINVAL;
	if (c->alg.aead) {
		/* seqiv: the IV is the sequence number, unique per key */
		for (int i = 0; i < 8; i++)
			iv[i] = (uint8_t)(seq >> (56 - 8 * i));
		return ec_aead(c, pkt, ct_len, seq, esn, ct, ct, ct + ct_len);
	}
	/* RFC 3602 3: CBC needs an unpredictable IV */
	if (c->ivpos + c->alg.iv_len > ESP_IV_POOL) {
		if (RAND_bytes(c->ivpool, ESP_IV_POOL) != 1)
			return -EIO;
		c->ivpos = 0;
	}
	memcpy(iv, c->ivpool + c->ivpos, c->alg.iv_len);	/* public now */
	c->ivpos += c->alg.iv_len;
	rc = ec_cbc(c, iv, ct, ct_len, ct);
	if (rc == 0)
		rc = ec_hmac(c, pkt, ESP_HDR_LEN + c->alg.iv_len + ct_len, seq,
			     esn, mac);
	if (rc == 0)
		memcpy(ct + ct_len, mac, c->alg.icv_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int esp_crypto_open(struct esp_crypto *c, const uint8_t *pkt, size_t ct_len,
		    uint64_t seq, bool esn, uint8_t *pt)
{
	const uint8_t *iv = pkt + ESP_HDR_LEN, *ct = iv + c->alg.iv_len;
	uint8_t mac[ESP_HMAC_MAX_SIZE], tag[16];
	int rc;

	if (c->encrypt || ct_len % c->alg.align || ct_len > INT32_MAX)
		return -EINVAL;
	if (c->alg.aead) {
		memcpy(tag, ct + ct_len, sizeof(tag));
		return ec_aead(c, pkt, ct_len, seq, esn, ct, pt, tag);
	}
	/* authenticate before decrypting (RFC 4303 3.4.4) */
	rc = ec_hmac(c, pkt, ESP_HDR_LEN + c->alg.iv_len + ct_len, seq, esn, mac);
	if (rc == 0 && CRYPTO_memcmp(mac, ct + ct_len, c->alg.icv_len) != 0)
		rc = -EBADMSG;
	if (rc == 0)
		rc = ec_cbc(c, iv, ct, ct_len, pt);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}
