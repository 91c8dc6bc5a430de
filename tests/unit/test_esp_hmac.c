/*
 * The ESP HMAC (node/esp/esp_hmac.c) against the published vectors:
 * RFC 2202 3 (HMAC-SHA-1) and RFC 4231 4 (HMAC-SHA-256/384/512), cases 6
 * and 7 with keys longer than a block; then the CBC suites' ICV
 * (RFC 4303 2.2.1 with ESN, RFC 2404, RFC 4868) against OpenSSL's own
 * one-shot HMAC.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "hike/ikev2.h"
#include "esp/esp.h"
#include "esp/esp_crypto.h"
#include "esp/esp_hmac.h"

/* The inputs of test case n (1..7), common to both RFCs but for the
 * length of the long key (80 in RFC 2202, 131 in RFC 4231) and the data
 * of case 7. */
struct kat_in {
	uint8_t key[131];
	size_t key_len;
	uint8_t data[160];
	size_t data_len;
};

static const char rfc2202_data7[] =
	"Test Using Larger Than Block-Size Key and Larger Than One "
	"Block-Size Data";
static const char rfc4231_data7[] =
	"This is a test using a larger than block-size key and a larger "
	"than block-size data. The key needs to be hashed before being "
	"used by the HMAC algorithm.";

static void kat_fill(struct kat_in *in, uint8_t kbyte, size_t klen,
		     uint8_t dbyte, size_t dlen)
{
	memset(in->key, kbyte, klen);
	in->key_len = klen;
	memset(in->data, dbyte, dlen);
	in->data_len = dlen;
}

static void kat_str(struct kat_in *in, const char *s)
{
	in->data_len = strlen(s);
	assert_true(in->data_len <= sizeof(in->data));
	memcpy(in->data, s, in->data_len);
}

static void kat_input(int n, size_t long_key, const char *data7,
		      struct kat_in *in)
{
	memset(in, 0, sizeof(*in));
	switch (n) {
	case 1:
		kat_fill(in, 0x0b, 20, 0, 0);
		kat_str(in, "Hi There");
		break;
	case 2:
		memcpy(in->key, "Jefe", 4);
		in->key_len = 4;
		kat_str(in, "what do ya want for nothing?");
		break;
	case 3:
		kat_fill(in, 0xaa, 20, 0xdd, 50);
		break;
	case 4:
		kat_fill(in, 0, 25, 0xcd, 50);
		for (int i = 0; i < 25; i++)
			in->key[i] = (uint8_t)(i + 1);
		break;
	case 5:
		kat_fill(in, 0x0c, 20, 0, 0);
		kat_str(in, "Test With Truncation");
		break;
	case 6:
		kat_fill(in, 0xaa, long_key, 0, 0);
		kat_str(in, "Test Using Larger Than Block-Size Key - "
			    "Hash Key First");
		break;
	default:
		kat_fill(in, 0xaa, long_key, 0, 0);
		kat_str(in, data7);
		break;
	}
}

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2;
	unsigned int b;

	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

static void mac_of(const char *digest, const uint8_t *key, size_t key_len,
		   const uint8_t *data, size_t len, uint8_t *mac)
{
	struct esp_hmac *h;

	assert_int_equal(esp_hmac_new(digest, key, key_len, &h), 0);
	assert_int_equal(esp_hmac_start(h), 0);
	assert_int_equal(esp_hmac_update(h, data, len), 0);
	assert_int_equal(esp_hmac_final(h, mac), 0);
	esp_hmac_free(h);
}

/* Cases 1..7 of one digest; expected[4] (case 5) may be truncated, only
 * its given bytes are compared. */
static void run_kats(const char *digest, size_t size, size_t long_key,
		     const char *data7, const char *const expected[7])
{
	uint8_t want[ESP_HMAC_MAX_SIZE], mac[ESP_HMAC_MAX_SIZE];
	struct kat_in in;

	for (int n = 1; n <= 7; n++) {
		size_t len = unhex(expected[n - 1], want, sizeof(want));

		kat_input(n, long_key, data7, &in);
		assert_true(n == 5 || len == size);
		mac_of(digest, in.key, in.key_len, in.data, in.data_len, mac);
		assert_memory_equal(mac, want, len);
	}
}

/* RFC 2202 3 */
static void test_rfc2202_sha1(void **state)
{
	static const char *const mac[7] = {
		"b617318655057264e28bc0b6fb378c8ef146be00",
		"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		"125d7342b9ac11cd91a39af48aa17b4f63f175d3",
		"4c9007f4026250c6bc8414f9bf50c86c2d7235da",
		"4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
		"aa4ae5e15272d00e95705637ce8a3b55ed402112",
		"e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
	};

	(void)state;
	run_kats("SHA1", 20, 80, rfc2202_data7, mac);
}

/* RFC 4231 4.2 - 4.8 */
static void test_rfc4231_sha256(void **state)
{
	static const char *const mac[7] = {
		"b0344c61d8db38535ca8afceaf0bf12b"
		"881dc200c9833da726e9376c2e32cff7",
		"5bdcc146bf60754e6a042426089575c7"
		"5a003f089d2739839dec58b964ec3843",
		"773ea91e36800e46854db8ebd09181a7"
		"2959098b3ef8c122d9635514ced565fe",
		"82558a389a443c0ea4cc819899f2083a"
		"85f0faa3e578f8077a2e3ff46729665b",
		"a3b6167473100ee06e0c796c2955552b",
		"60e431591ee0b67f0d8a26aacbf5b77f"
		"8e0bc6213728c5140546040f0ee37f54",
		"9b09ffa71b942fcb27635fbcd5b0e944"
		"bfdc63644f0713938a7f51535c3a35e2",
	};

	(void)state;
	run_kats("SHA2-256", 32, 131, rfc4231_data7, mac);
}

static void test_rfc4231_sha384(void **state)
{
	static const char *const mac[7] = {
		"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec6"
		"82aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
		"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47"
		"e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
		"88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9feb"
		"e83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
		"3e8a69b7783c25851933ab6290af6ca77a9981480850009c"
		"c5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
		"3abf34c3503b2a23a46efc619baef897",
		"4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f"
		"3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
		"6617178e941f020d351e2f254e8fd32c602420feb0b8fb9a"
		"dccebb82461e99c5a678cc31e799176d3860e6110c46523e",
	};

	(void)state;
	run_kats("SHA2-384", 48, 131, rfc4231_data7, mac);
}

static void test_rfc4231_sha512(void **state)
{
	static const char *const mac[7] = {
		"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		"daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		"fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
		"bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
		"b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
		"a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
		"415fad6271580a531d4179bc891d87a6",
		"80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		"6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
		"e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		"b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
	};

	(void)state;
	run_kats("SHA2-512", 64, 131, rfc4231_data7, mac);
}

/* One key, many messages: each MAC starts from the same pad states,
 * however the text is split, and an unfinished message does not leak
 * into the next. */
static void test_reuse_and_split(void **state)
{
	static const char *const digests[] = {
		"SHA1", "SHA2-256", "SHA2-384", "SHA2-512",
	};
	uint8_t want[ESP_HMAC_MAX_SIZE], mac[ESP_HMAC_MAX_SIZE];
	uint8_t key[100], data[1500];
	struct esp_hmac *h;

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (size_t d = 0; d < sizeof(digests) / sizeof(digests[0]); d++) {
		size_t size;

		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, digests[d], NULL,
					  key, sizeof(key), data, sizeof(data),
					  want, sizeof(want), &size));
		assert_int_equal(esp_hmac_new(digests[d], key, sizeof(key), &h),
				 0);
		assert_int_equal(esp_hmac_size(h), size);
		for (size_t step = 1; step <= sizeof(data); step = step * 3 + 2) {
			assert_int_equal(esp_hmac_start(h), 0);
			assert_int_equal(esp_hmac_update(h, key, 9), 0);
			assert_int_equal(esp_hmac_start(h), 0); /* abandoned */
			for (size_t off = 0; off < sizeof(data); off += step) {
				size_t n = sizeof(data) - off < step ?
					   sizeof(data) - off : step;

				assert_int_equal(esp_hmac_update(h, data + off,
								 n), 0);
			}
			memset(mac, 0, sizeof(mac));
			assert_int_equal(esp_hmac_final(h, mac), 0);
			assert_memory_equal(mac, want, size);
		}
		/* final without start is refused, not a stale MAC */
		assert_int_equal(esp_hmac_final(h, mac), -EIO);
		esp_hmac_free(h);
	}
}

static void test_bad_digest(void **state)
{
	uint8_t key[16] = { 0 };
	struct esp_hmac *h = (struct esp_hmac *)&h;

	(void)state;
	assert_int_equal(esp_hmac_new("NO-SUCH-DIGEST", key, 16, &h), -ENOSYS);
	assert_null(h);
	assert_int_equal(esp_hmac_new(NULL, key, 16, &h), -ENOSYS);
	/* an XOF with a 136-byte block: not a suite ESP carries */
	assert_int_equal(esp_hmac_new("SHAKE256", key, 16, &h), -ENOSYS);
	assert_null(h);
	esp_hmac_free(NULL);
}

/* RFC 4303 2.2.1, 3.3.2.1: with ESN the ICV covers SPI | seq_lo | IV |
 * ciphertext | seq_hi, seq_hi not sent; without, the packet alone.  The
 * ICV is the MAC's first half (RFC 2404 2, RFC 4868 2.3). */
static void test_cbc_icv_esn(void **state)
{
	static const struct {
		uint16_t integ;
		const char *digest;
		uint8_t key_len, icv_len;
	} integs[] = {
		{ IKE_INTEG_HMAC_SHA1_96, "SHA1", 20, 12 },
		{ IKE_INTEG_HMAC_SHA2_256_128, "SHA2-256", 32, 16 },
		{ IKE_INTEG_HMAC_SHA2_384_192, "SHA2-384", 48, 24 },
		{ IKE_INTEG_HMAC_SHA2_512_256, "SHA2-512", 64, 32 },
	};
	const uint64_t seq = 0x0000000700000005ull;
	uint8_t ekey[32], akey[64], pkt[8 + 16 + 64 + 32], pt[64];
	uint8_t in[sizeof(pkt) + 4], want[ESP_HMAC_MAX_SIZE];

	(void)state;
	memset(ekey, 0x11, sizeof(ekey));
	for (size_t i = 0; i < sizeof(akey); i++)
		akey[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++) {
		for (int esn = 0; esn <= 1; esn++) {
			struct esp_crypto *tx, *rx;
			const struct esp_alg *a;
			size_t body, mlen;

			size_t klen = integs[i].key_len;

			assert_int_equal(esp_crypto_new(IKE_ENCR_AES_CBC, 256,
					 integs[i].integ, true, ekey, 32, akey,
					 klen, &tx), 0);
			assert_int_equal(esp_crypto_new(IKE_ENCR_AES_CBC, 256,
					 integs[i].integ, false, ekey, 32, akey,
					 klen, &rx), 0);
			a = esp_crypto_alg(tx);
			assert_int_equal(a->icv_len, integs[i].icv_len);
			memset(pkt, 0, sizeof(pkt));
			memcpy(pkt, "\x00\x00\x10\x01\x00\x00\x00\x05", 8);
			memset(pkt + 8 + 16, 0x5a, 64);
			assert_int_equal(esp_crypto_seal(tx, pkt, 64, seq, esn),
					 0);

			body = 8 + 16 + 64;
			memcpy(in, pkt, body);
			memcpy(in + body, "\x00\x00\x00\x07", 4);
			assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL,
				integs[i].digest, NULL, akey, klen, in,
				body + (esn ? 4 : 0), want, sizeof(want), &mlen));
			assert_memory_equal(pkt + body, want, a->icv_len);

			assert_int_equal(esp_crypto_open(rx, pkt, 64, seq, esn,
							 pt), 0);
			for (size_t k = 0; k < 64; k++)
				assert_int_equal(pt[k], 0x5a);
			/* another high half: the ICV must not verify */
			if (esn)
				assert_int_equal(esp_crypto_open(rx, pkt, 64,
					seq + (1ull << 32), esn, pt), -EBADMSG);
			esp_crypto_free(tx);
			esp_crypto_free(rx);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2202_sha1),
		cmocka_unit_test(test_rfc4231_sha256),
		cmocka_unit_test(test_rfc4231_sha384),
		cmocka_unit_test(test_rfc4231_sha512),
		cmocka_unit_test(test_reuse_and_split),
		cmocka_unit_test(test_bad_digest),
		cmocka_unit_test(test_cbc_icv_esn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
