/* HMAC through EVP_MAC; see hmac.h. */
#include <errno.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/hmac.h"

static int hmac_run(EVP_MAC_CTX *ctx, const char *digest,
		    const uint8_t *key, size_t klen,
		    const struct crypto_span *in, size_t nin,
		    uint8_t *out, size_t *outlen)
{
	/* OSSL_PARAM wants a mutable pointer; the digest name is only read. */
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_END,
	};
	static const uint8_t empty[1];

	/* EVP_MAC_init treats a NULL key as "keep the previous one"; an
	 * empty HMAC key is legal, so pass a real pointer. */
	if (!EVP_MAC_init(ctx, klen ? key : empty, klen, params))
		return -EINVAL;
	for (size_t i = 0; i < nin; i++) {
		if (in[i].n && !EVP_MAC_update(ctx, in[i].p, in[i].n))
			return -EIO;
	}
	if (!EVP_MAC_final(ctx, out, outlen, HMAC_MAX_LEN))
		return -EIO;
	return 0;
}

int crypto_hmac(const char *digest, const uint8_t *key, size_t klen,
		const struct crypto_span *in, size_t nin,
		uint8_t out[HMAC_MAX_LEN], size_t *outlen)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	int rc = -ENOMEM;

	*outlen = 0;
	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!mac)
		return -ENOSYS;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx)
		rc = hmac_run(ctx, digest, key, klen, in, nin, out, outlen);
	EVP_MAC_CTX_free(ctx);	/* HMAC contexts cleanse their key */
	EVP_MAC_free(mac);
	return rc;
}
