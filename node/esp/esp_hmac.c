/* HMAC on a digest provider's dispatch table; see esp_hmac.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "esp/esp_hmac.h"
#include "esp/esp_prov.h"

struct esp_hmac {
	EVP_MD *md;		/* holds the provider while we use it */
	size_t block;		/* digest block length B (RFC 2104 2) */
	size_t size;		/* digest output length L */
	/* provider contexts: the hash states after the K ^ ipad and the
	 * K ^ opad block (secret, as good as the key), and the message's
	 * copy of one of them while a MAC is under way */
	void *ipre, *opre, *work;
	OSSL_FUNC_digest_newctx_fn *newctx;
	OSSL_FUNC_digest_freectx_fn *freectx;
	OSSL_FUNC_digest_dupctx_fn *dupctx;
	OSSL_FUNC_digest_init_fn *init;
	OSSL_FUNC_digest_update_fn *update;
	OSSL_FUNC_digest_final_fn *final;
};

static bool eh_is(const void *md, const char *name)
{
	return EVP_MD_is_a(md, name);
}

static void eh_take(void *arg, const OSSL_DISPATCH *d)
{
	struct esp_hmac *h = arg;

	for (; d->function_id != 0; d++) {
		switch (d->function_id) {
		case OSSL_FUNC_DIGEST_NEWCTX:
			h->newctx = OSSL_FUNC_digest_newctx(d);
			break;
		case OSSL_FUNC_DIGEST_FREECTX:
			h->freectx = OSSL_FUNC_digest_freectx(d);
			break;
		case OSSL_FUNC_DIGEST_DUPCTX:
			h->dupctx = OSSL_FUNC_digest_dupctx(d);
			break;
		case OSSL_FUNC_DIGEST_INIT:
			h->init = OSSL_FUNC_digest_init(d);
			break;
		case OSSL_FUNC_DIGEST_UPDATE:
			h->update = OSSL_FUNC_digest_update(d);
			break;
		case OSSL_FUNC_DIGEST_FINAL:
			h->final = OSSL_FUNC_digest_final(d);
			break;
		default:
			break;
		}
	}
}

/* The dispatch table of the implementation EVP fetched, and the two
 * contexts that will hold the pad states. */
static int eh_resolve(struct esp_hmac *h, const char *name)
{
	const OSSL_PROVIDER *prov = EVP_MD_get0_provider(h->md);

	esp_prov_find(prov, OSSL_OP_DIGEST, name, eh_is, h->md, eh_take, h);
	if (!h->newctx || !h->freectx || !h->dupctx || !h->init ||
	    !h->update || !h->final)
		return -ENOSYS;
	h->ipre = h->newctx(OSSL_PROVIDER_get0_provider_ctx(prov));
	h->opre = h->newctx(OSSL_PROVIDER_get0_provider_ctx(prov));
	return h->ipre && h->opre ? 0 : -ENOMEM;
}

/* RFC 2104 2: K padded with zeros to B bytes (hashed first when longer
 * than B), XORed with ipad 0x36 and opad 0x5c.  Each pad is a whole
 * block, so its hash state is the same for every message: absorbed
 * here once, not per packet. */
static int eh_key(struct esp_hmac *h, const uint8_t *key, size_t key_len)
{
	uint8_t k[ESP_HMAC_MAX_BLOCK] = { 0 };
	uint8_t ipad[ESP_HMAC_MAX_BLOCK], opad[ESP_HMAC_MAX_BLOCK];
	size_t n;
	int rc = -EIO;

	if (key_len > h->block) {
		if (!h->init(h->ipre, NULL) ||
		    !h->update(h->ipre, key, key_len) ||
		    !h->final(h->ipre, k, &n, sizeof(k)) || n != h->size)
			goto out;
	} else if (key_len) {
		memcpy(k, key, key_len);
	}
	for (size_t i = 0; i < h->block; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	if (h->init(h->ipre, NULL) && h->update(h->ipre, ipad, h->block) &&
	    h->init(h->opre, NULL) && h->update(h->opre, opad, h->block))
		rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	return rc;
}

int esp_hmac_new(const char *digest, const uint8_t *key, size_t key_len,
		 struct esp_hmac **out)
{
	struct esp_hmac *h = calloc(1, sizeof(*h));
	int rc = -ENOSYS;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->md = digest ? EVP_MD_fetch(NULL, digest, NULL) : NULL;
	if (h->md) {
		h->block = (size_t)EVP_MD_get_block_size(h->md);
		h->size = (size_t)EVP_MD_get_size(h->md);
		/* HMAC wants a block hash whose output fits a block */
		if (h->block > 0 && h->block <= ESP_HMAC_MAX_BLOCK &&
		    h->size > 0 && h->size <= ESP_HMAC_MAX_SIZE &&
		    h->size <= h->block)
			rc = eh_resolve(h, digest);
	}
	if (rc == 0)
		rc = eh_key(h, key, key_len);
	if (rc) {
		esp_hmac_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

/* the provider's freectx cleanses a context before freeing it */
static void eh_drop(struct esp_hmac *h, void **vctx)
{
	if (*vctx)
		h->freectx(*vctx);
	*vctx = NULL;
}

void esp_hmac_free(struct esp_hmac *h)
{
	if (!h)
		return;
	eh_drop(h, &h->work);
	eh_drop(h, &h->ipre);
	eh_drop(h, &h->opre);
	EVP_MD_free(h->md);
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

size_t esp_hmac_size(const struct esp_hmac *h)
{
	return h->size;
}

/* inner hash: H(K ^ ipad | text ... */
int esp_hmac_start(struct esp_hmac *h)
{
	eh_drop(h, &h->work);	/* a message left unfinished */
	h->work = h->dupctx(h->ipre);
	return h->work ? 0 : -ENOMEM;
}

int esp_hmac_update(struct esp_hmac *h, const uint8_t *data, size_t len)
{
	return h->work && h->update(h->work, data, len) ? 0 : -EIO;
}

/* ... then the outer hash: H(K ^ opad | inner) */
int esp_hmac_final(struct esp_hmac *h, uint8_t mac[ESP_HMAC_MAX_SIZE])
{
	uint8_t inner[ESP_HMAC_MAX_SIZE];
	size_t n;
	int rc = -EIO;

	if (!h->work || !h->final(h->work, inner, &n, sizeof(inner)) ||
	    n != h->size)
		goto out;
	eh_drop(h, &h->work);
	h->work = h->dupctx(h->opre);
	if (h->work && h->update(h->work, inner, h->size) &&
	    h->final(h->work, mac, &n, ESP_HMAC_MAX_SIZE) && n == h->size)
		rc = 0;
out:
	eh_drop(h, &h->work);
	OPENSSL_cleanse(inner, sizeof(inner));
	return rc;
}
