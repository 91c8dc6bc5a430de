/* A cipher context on its provider's dispatch table; see esp_cipher.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "esp/esp_cipher.h"
#include "esp/esp_prov.h"

struct esp_cipher {
	EVP_CIPHER *ciph;	/* holds the provider while we use it */
	void *vctx;		/* the provider's own context */
	bool encrypt;
	OSSL_FUNC_cipher_newctx_fn *newctx;
	OSSL_FUNC_cipher_freectx_fn *freectx;
	OSSL_FUNC_cipher_encrypt_init_fn *init;	/* encrypt or decrypt */
	OSSL_FUNC_cipher_update_fn *update;
	OSSL_FUNC_cipher_final_fn *final;
	OSSL_FUNC_cipher_get_ctx_params_fn *get_params;
	OSSL_FUNC_cipher_set_ctx_params_fn *set_params;
	uint8_t tag[ESP_CIPHER_TAG_LEN];
	OSSL_PARAM tag_params[2];	/* built once, point at tag[] */
};

static bool ec_is(const void *ciph, const char *name)
{
	return EVP_CIPHER_is_a(ciph, name);
}

static void ec_take(void *arg, const OSSL_DISPATCH *d)
{
	struct esp_cipher *c = arg;

	for (; d->function_id != 0; d++) {
		switch (d->function_id) {
		case OSSL_FUNC_CIPHER_NEWCTX:
			c->newctx = OSSL_FUNC_cipher_newctx(d);
			break;
		case OSSL_FUNC_CIPHER_FREECTX:
			c->freectx = OSSL_FUNC_cipher_freectx(d);
			break;
		case OSSL_FUNC_CIPHER_ENCRYPT_INIT:
			if (c->encrypt)
				c->init = OSSL_FUNC_cipher_encrypt_init(d);
			break;
		case OSSL_FUNC_CIPHER_DECRYPT_INIT:
			if (!c->encrypt)
				c->init = OSSL_FUNC_cipher_decrypt_init(d);
			break;
		case OSSL_FUNC_CIPHER_UPDATE:
			c->update = OSSL_FUNC_cipher_update(d);
			break;
		case OSSL_FUNC_CIPHER_FINAL:
			c->final = OSSL_FUNC_cipher_final(d);
			break;
		case OSSL_FUNC_CIPHER_GET_CTX_PARAMS:
			c->get_params = OSSL_FUNC_cipher_get_ctx_params(d);
			break;
		case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
			c->set_params = OSSL_FUNC_cipher_set_ctx_params(d);
			break;
		default:
			break;
		}
	}
}

/* The dispatch table of the implementation EVP fetched. */
static int ec_resolve(struct esp_cipher *c, const char *name)
{
	const OSSL_PROVIDER *prov = EVP_CIPHER_get0_provider(c->ciph);

	esp_prov_find(prov, OSSL_OP_CIPHER, name, ec_is, c->ciph, ec_take, c);
	if (!c->newctx || !c->freectx || !c->init || !c->update ||
	    !c->final || !c->get_params || !c->set_params)
		return -ENOSYS;
	c->vctx = c->newctx(OSSL_PROVIDER_get0_provider_ctx(prov));
	return c->vctx ? 0 : -ENOMEM;
}

int esp_cipher_new(const char *name, bool encrypt, const uint8_t *key,
		   size_t key_len, struct esp_cipher **out)
{
	unsigned int pad = 0;
	OSSL_PARAM nopad[] = {
		OSSL_PARAM_construct_uint(OSSL_CIPHER_PARAM_PADDING, &pad),
		OSSL_PARAM_END,
	};
	struct esp_cipher *c = calloc(1, sizeof(*c));
	int rc = -ENOSYS;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->encrypt = encrypt;
	c->ciph = name ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
	if (c->ciph)
		rc = ec_resolve(c, name);
	if (rc == 0 && (size_t)EVP_CIPHER_get_key_length(c->ciph) != key_len)
		rc = -EINVAL;
	if (rc == 0 && (!c->init(c->vctx, key, key_len, NULL, 0, NULL) ||
			(EVP_CIPHER_get_mode(c->ciph) == EVP_CIPH_CBC_MODE &&
			 !c->set_params(c->vctx, nopad))))
		rc = -EIO;
	if (rc) {
		esp_cipher_free(c);
		return rc;
	}
	c->tag_params[0] = OSSL_PARAM_construct_octet_string(
		OSSL_CIPHER_PARAM_AEAD_TAG, c->tag, sizeof(c->tag));
	c->tag_params[1] = OSSL_PARAM_construct_end();
	*out = c;
	return 0;
}

void esp_cipher_free(struct esp_cipher *c)
{
	if (!c)
		return;
	if (c->vctx)
		c->freectx(c->vctx);	/* cleanses the key schedule */
	EVP_CIPHER_free(c->ciph);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int esp_cipher_start(struct esp_cipher *c, const uint8_t *iv, size_t iv_len)
{
	return c->init(c->vctx, NULL, 0, iv, iv_len, NULL) ? 0 : -EIO;
}

int esp_cipher_aad(struct esp_cipher *c, const uint8_t *aad, size_t len)
{
	size_t n;

	return c->update(c->vctx, NULL, &n, len, aad, len) ? 0 : -EIO;
}

int esp_cipher_update(struct esp_cipher *c, uint8_t *out, const uint8_t *in,
		      size_t len)
{
	size_t n;

	if (!c->update(c->vctx, out, &n, len, in, len) || n != len)
		return -EIO;
	return 0;
}

/* AEAD final writes no bytes; out is given for form's sake */
int esp_cipher_seal_tag(struct esp_cipher *c, uint8_t *tag)
{
	uint8_t none[ESP_CIPHER_TAG_LEN];
	size_t n;

	if (!c->encrypt || !c->final(c->vctx, none, &n, sizeof(none)) ||
	    !c->get_params(c->vctx, c->tag_params))
		return -EIO;
	memcpy(tag, c->tag, sizeof(c->tag));
	return 0;
}

int esp_cipher_open_tag(struct esp_cipher *c, const uint8_t *tag)
{
	uint8_t none[ESP_CIPHER_TAG_LEN];
	size_t n;

	memcpy(c->tag, tag, sizeof(c->tag));
	if (c->encrypt || !c->set_params(c->vctx, c->tag_params))
		return -EIO;
	/* the provider compares in constant time (CRYPTO_memcmp) */
	return c->final(c->vctx, none, &n, sizeof(none)) ? 0 : -EBADMSG;
}
