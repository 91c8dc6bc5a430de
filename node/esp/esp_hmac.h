/*
 * HMAC (RFC 2104) on a digest provider's dispatch table (internal to
 * node/esp/).
 *
 * OpenSSL 3.0's EVP_MAC HMAC costs ~100 ns per message over the hashing
 * itself: its init and final copy EVP_MD_CTXs (reset, digest refcounts,
 * provider dupctx) and walk OSSL_PARAM arrays.  esp_hmac fetches the
 * digest once through EVP (the provider and properties EVP would
 * choose), hashes the K ^ ipad and K ^ opad blocks once per key into two
 * provider contexts, and per message calls that provider's own dupctx /
 * update / final on a copy of each: H(K ^ opad | H(K ^ ipad | text)).
 * The two copies are the provider's allocations; hashing the pad blocks
 * again instead would avoid them but costs more (two extra compressions,
 * +40 % for SHA2-512 on short packets), and 3.0 providers cannot copy
 * into an existing context.
 */
#ifndef HIKE_ESP_HMAC_H
#define HIKE_ESP_HMAC_H

#include <stddef.h>
#include <stdint.h>

#define ESP_HMAC_MAX_BLOCK 128	/* SHA2-512 */
#define ESP_HMAC_MAX_SIZE 64

struct esp_hmac;

/* digest: an OpenSSL digest name ("SHA1", "SHA2-256", ...); any key
 * length (RFC 2104 2: longer than a block is hashed first).
 * 0, -ENOSYS (no such digest or provider entry), -ENOMEM or -EIO. */
int esp_hmac_new(const char *digest, const uint8_t *key, size_t key_len,
		 struct esp_hmac **out);
/* Wipes the key blocks and the provider context. */
void esp_hmac_free(struct esp_hmac *h);
/* Length of the full MAC (the digest length). */
size_t esp_hmac_size(const struct esp_hmac *h);

/* Per message: start, update as often as needed, final writes the full
 * esp_hmac_size() bytes.  Each returns 0 or -EIO. */
int esp_hmac_start(struct esp_hmac *h);
int esp_hmac_update(struct esp_hmac *h, const uint8_t *data, size_t len);
int esp_hmac_final(struct esp_hmac *h, uint8_t mac[ESP_HMAC_MAX_SIZE]);

#endif
