/* One-shot AEAD and CBC through EVP_CIPHER; see cipher.h. */
#include <errno.h>
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hike/ikev2.h"
#include "crypto/cipher.h"

static const EVP_CIPHER *aead_cipher(uint16_t encr, size_t klen)
{
	if (encr == IKE_ENCR_CHACHA20_POLY1305)
		return klen == 32 ? EVP_chacha20_poly1305() : NULL;
	if (encr != IKE_ENCR_AES_GCM_16)
		return NULL;
	switch (klen) {
	case 16: return EVP_aes_128_gcm();
	case 24: return EVP_aes_192_gcm();
	case 32: return EVP_aes_256_gcm();
	default: return NULL;
	}
}

static const EVP_CIPHER *cbc_cipher(size_t klen)
{
	switch (klen) {
	case 16: return EVP_aes_128_cbc();
	case 24: return EVP_aes_192_cbc();
	case 32: return EVP_aes_256_cbc();
	default: return NULL;
	}
}

/* Key, nonce and AAD into a fresh context (12-octet nonce is the EVP
 * default for both GCM and ChaCha20-Poly1305). */
static EVP_CIPHER_CTX *aead_start(bool enc, uint16_t encr,
				  const uint8_t *key, size_t klen,
				  const uint8_t *nonce,
				  const struct crypto_span *aad, size_t naad)
{
	const EVP_CIPHER *c = aead_cipher(encr, klen);
	EVP_CIPHER_CTX *ctx;
	int n;

	if (!c || !(ctx = EVP_CIPHER_CTX_new()))
		return NULL;
	if (!EVP_CipherInit_ex2(ctx, c, key, nonce, enc ? 1 : 0, NULL))
		goto fail;
	for (size_t i = 0; i < naad; i++) {
		if (aad[i].n > INT_MAX ||
		    (aad[i].n && !EVP_CipherUpdate(ctx, NULL, &n, aad[i].p,
						   (int)aad[i].n)))
			goto fail;
	}
	return ctx;
fail:
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

int crypto_aead_seal(uint16_t encr, const uint8_t *key, size_t klen,
		     const uint8_t nonce[AEAD_NONCE_LEN],
		     const struct crypto_span *aad, size_t naad,
		     const uint8_t *pt, size_t len, uint8_t *ct,
		     uint8_t tag[AEAD_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, f = 0, rc = -EIO;

	if (len > INT_MAX)
		return -EMSGSIZE;
	ctx = aead_start(true, encr, key, klen, nonce, aad, naad);
	if (!ctx)
		return aead_cipher(encr, klen) ? -EIO : -ENOTSUP;
	if ((len == 0 || EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len)) &&
	    EVP_EncryptFinal_ex(ctx, ct + n, &f) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag))
		rc = (size_t)(n + f) == len ? 0 : -EIO;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int crypto_aead_open(uint16_t encr, const uint8_t *key, size_t klen,
		     const uint8_t nonce[AEAD_NONCE_LEN],
		     const struct crypto_span *aad, size_t naad,
		     const uint8_t *ct, size_t len, uint8_t *pt,
		     const uint8_t tag[AEAD_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, f = 0, rc = -EIO;

	if (len > INT_MAX)
		return -EMSGSIZE;
	ctx = aead_start(false, encr, key, klen, nonce, aad, naad);
	if (!ctx)
		return aead_cipher(encr, klen) ? -EIO : -ENOTSUP;
	/* The tag is set before Final, which compares it in constant time. */
	if ((len == 0 || EVP_DecryptUpdate(ctx, pt, &n, ct, (int)len)) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN,
				(void *)tag))
		rc = EVP_DecryptFinal_ex(ctx, pt + n, &f) > 0 ? 0 : -EBADMSG;
	EVP_CIPHER_CTX_free(ctx);
	if (rc && len)
		OPENSSL_cleanse(pt, len);
	return rc;
}

int crypto_cbc(bool encrypt, const uint8_t *key, size_t klen,
	       const uint8_t iv[CBC_BLOCK], const uint8_t *in, size_t len,
	       uint8_t *out)
{
	const EVP_CIPHER *c = cbc_cipher(klen);
	EVP_CIPHER_CTX *ctx;
	int n = 0, f = 0, rc = -EIO;

	if (!c)
		return -ENOTSUP;
	if (len % CBC_BLOCK || len > INT_MAX)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* IKE and ESP pad themselves (RFC 7296 3.14, RFC 4303 2.4). */
	if (EVP_CipherInit_ex2(ctx, c, key, iv, encrypt ? 1 : 0, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len)) &&
	    EVP_CipherFinal_ex(ctx, out + n, &f))
		rc = (size_t)(n + f) == len ? 0 : -EIO;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}
