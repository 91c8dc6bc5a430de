/*
 * node/esp/esp_prov.c: the provider's dispatch table for an algorithm,
 * found by its first name and, failing that, by any alias; and
 * esp_cipher.c built on it, checked against EVP's own AES-256-GCM,
 * ChaCha20-Poly1305 and AES-256-CBC.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "esp/esp_cipher.h"
#include "esp/esp_prov.h"

static bool is_cipher(const void *c, const char *name)
{
	return EVP_CIPHER_is_a(c, name);
}

static void take(void *arg, const OSSL_DISPATCH *d)
{
	*(const OSSL_DISPATCH **)arg = d;
}

static bool never(const void *c, const char *name)
{
	(void)c; (void)name;
	return false;
}

static void test_find_by_name_and_alias(void **state)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "id-aes256-GCM", NULL);
	const OSSL_DISPATCH *d = NULL;
	const OSSL_PROVIDER *p;

	(void)state;
	assert_non_null(c);
	p = EVP_CIPHER_get0_provider(c);
	/* canonical first name: found without asking is() */
	assert_int_equal(esp_prov_find(p, OSSL_OP_CIPHER, "aes-256-gcm",
				       never, c, take, &d), 0);
	assert_non_null(d);
	/* an alias is no first name: found through is() */
	d = NULL;
	assert_int_equal(esp_prov_find(p, OSSL_OP_CIPHER, "id-aes256-GCM",
				       is_cipher, c, take, &d), 0);
	assert_non_null(d);
	/* nothing by either way */
	d = NULL;
	assert_int_equal(esp_prov_find(p, OSSL_OP_CIPHER, "no-such-cipher",
				       never, c, take, &d), -ENOSYS);
	assert_null(d);
	assert_int_equal(esp_prov_find(NULL, OSSL_OP_CIPHER, "AES-256-GCM",
				       is_cipher, c, take, &d), -ENOSYS);
	EVP_CIPHER_free(c);
}

/* The same ciphertext and tag as EVP's own path, for each AEAD the
 * datapath carries, by name or alias. */
struct aead_case { const char *name; const EVP_CIPHER *(*evp)(void); };

static void aead_matches_evp(const struct aead_case *k)
{
	uint8_t key[32], iv[12], aad[12], pt[100], ct[100], tag[16];
	uint8_t ref[100], rtag[16];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	struct esp_cipher *e, *d;
	int n;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	memset(iv, 0x42, sizeof(iv));
	memset(aad, 0x17, sizeof(aad));
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)i;
	assert_int_equal(EVP_EncryptInit_ex(x, k->evp(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(x, NULL, &n, aad, sizeof(aad)), 1);
	assert_int_equal(EVP_EncryptUpdate(x, ref, &n, pt, sizeof(pt)), 1);
	assert_int_equal(EVP_EncryptFinal_ex(x, ref + n, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, rtag), 1);
	EVP_CIPHER_CTX_free(x);

	assert_int_equal(esp_cipher_new(k->name, true, key, sizeof(key), &e), 0);
	assert_int_equal(esp_cipher_start(e, iv, sizeof(iv)), 0);
	assert_int_equal(esp_cipher_aad(e, aad, sizeof(aad)), 0);
	assert_int_equal(esp_cipher_update(e, ct, pt, sizeof(pt)), 0);
	assert_int_equal(esp_cipher_seal_tag(e, tag), 0);
	assert_memory_equal(ct, ref, sizeof(ct));
	assert_memory_equal(tag, rtag, sizeof(tag));
	/* and back, with the tag checked */
	assert_int_equal(esp_cipher_new(k->name, false, key, sizeof(key), &d), 0);
	assert_int_equal(esp_cipher_start(d, iv, sizeof(iv)), 0);
	assert_int_equal(esp_cipher_aad(d, aad, sizeof(aad)), 0);
	assert_int_equal(esp_cipher_update(d, ct, ct, sizeof(ct)), 0);
	assert_int_equal(esp_cipher_open_tag(d, tag), 0);
	assert_memory_equal(ct, pt, sizeof(pt));
	tag[0] ^= 1;
	assert_int_equal(esp_cipher_start(d, iv, sizeof(iv)), 0);
	assert_int_equal(esp_cipher_aad(d, aad, sizeof(aad)), 0);
	assert_int_equal(esp_cipher_update(d, ct, ref, sizeof(ct)), 0);
	assert_int_equal(esp_cipher_open_tag(d, tag), -EBADMSG);
	esp_cipher_free(e);
	esp_cipher_free(d);
}

static void test_aead_matches_evp(void **state)
{
	static const struct aead_case cases[] = {
		{ "AES-256-GCM", EVP_aes_256_gcm },
		{ "id-aes256-GCM", EVP_aes_256_gcm },
		{ "ChaCha20-Poly1305", EVP_chacha20_poly1305 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		aead_matches_evp(&cases[i]);
}

/* CBC without padding, IV per message, in place, both ways. */
static void test_cbc_matches_evp(void **state)
{
	uint8_t key[32], iv[16], pt[96], ct[96], ref[96];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	struct esp_cipher *e, *d;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(255 - i);
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 3);
	assert_int_equal(esp_cipher_new("AES-256-CBC", true, key, sizeof(key), &e), 0);
	assert_int_equal(esp_cipher_new("AES-256-CBC", false, key, sizeof(key), &d), 0);
	for (int m = 0; m < 3; m++) {	/* a fresh IV each message */
		memset(iv, 0x30 + m, sizeof(iv));
		assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_256_cbc(), NULL, key, iv), 1);
		EVP_CIPHER_CTX_set_padding(x, 0);
		assert_int_equal(EVP_EncryptUpdate(x, ref, &n, pt, sizeof(pt)), 1);
		assert_int_equal(n, (int)sizeof(pt));
		memcpy(ct, pt, sizeof(pt));
		assert_int_equal(esp_cipher_start(e, iv, sizeof(iv)), 0);
		assert_int_equal(esp_cipher_update(e, ct, ct, sizeof(ct)), 0);
		assert_memory_equal(ct, ref, sizeof(ct));
		/* decryption keeps no block back (no padding) */
		assert_int_equal(esp_cipher_start(d, iv, sizeof(iv)), 0);
		assert_int_equal(esp_cipher_update(d, ct, ct, sizeof(ct)), 0);
		assert_memory_equal(ct, pt, sizeof(pt));
	}
	EVP_CIPHER_CTX_free(x);
	esp_cipher_free(e);
	esp_cipher_free(d);
}

static void test_refused(void **state)
{
	uint8_t key[32] = { 0 };
	struct esp_cipher *z;

	(void)state;
	assert_int_equal(esp_cipher_new("no-such-cipher", true, key, 32, &z), -ENOSYS);
	assert_int_equal(esp_cipher_new(NULL, true, key, 32, &z), -ENOSYS);
	assert_int_equal(esp_cipher_new("AES-256-GCM", true, key, 16, &z), -EINVAL);
	assert_null(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_by_name_and_alias),
		cmocka_unit_test(test_aead_matches_evp),
		cmocka_unit_test(test_cbc_matches_evp),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
