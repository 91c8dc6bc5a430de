/*
 * The SK payload (RFC 7296 3.14, RFC 5282, RFC 7634) and the AEAD/CBC
 * helpers under it.
 *
 * Known answers: ChaCha20-Poly1305 AEAD from RFC 8439 2.8.2 (the nonce
 * 07000000 | 4041424344454647 is exactly the RFC 7634 salt | IV split);
 * AES-GCM test cases 4 (AES-128) and 16 (AES-256) of McGrew and Viega,
 * "The Galois/Counter Mode of Operation" (the NIST GCM submission).
 * Then seal/open round trips for every suite, cross-checked against an
 * independent computation of the nonce/AAD (AEAD) and ICV (CBC), and
 * rejection of tampered ciphertext, ICV, IV and AAD, and of bad padding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "hike/ikev2.h"
#include "crypto/cipher.h"
#include "crypto/keys.h"
#include "crypto/sk.h"
#include "vec.h"

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only "
	"one tip for the future, sunscreen would be it.";

static void test_rfc8439_aead(void **state)
{
	uint8_t key[32], nonce[12], aad[12], ct[114], want[114], tag[16];
	uint8_t wtag[16], pt[114];
	struct crypto_span a = { aad, sizeof(aad) };

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	assert_int_equal(VEC_HEX(nonce, "070000004041424344454647"), 12);
	assert_int_equal(VEC_HEX(aad, "50515253c0c1c2c3c4c5c6c7"), 12);
	assert_int_equal(VEC_HEX(want,
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		"3ff4def08e4b7a9de576d26586cec64b6116"), 114);
	assert_int_equal(VEC_HEX(wtag, "1ae10b594f09e26a7e902ecbd0600691"), 16);
	assert_int_equal(strlen(sunscreen), 114);
	assert_int_equal(crypto_aead_seal(IKE_ENCR_CHACHA20_POLY1305, key, 32,
					  nonce, &a, 1,
					  (const uint8_t *)sunscreen, 114, ct,
					  tag), 0);
	assert_memory_equal(ct, want, 114);
	assert_memory_equal(tag, wtag, 16);
	assert_int_equal(crypto_aead_open(IKE_ENCR_CHACHA20_POLY1305, key, 32,
					  nonce, &a, 1, ct, 114, pt, tag), 0);
	assert_memory_equal(pt, sunscreen, 114);
	tag[15] ^= 1;
	assert_int_equal(crypto_aead_open(IKE_ENCR_CHACHA20_POLY1305, key, 32,
					  nonce, &a, 1, ct, 114, pt, tag),
			 -EBADMSG);
}

#define GCM_P "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"

static void gcm_kat(const char *key_hex, const char *ct_hex,
		    const char *tag_hex)
{
	uint8_t key[32], nonce[12], aad[20], p[60], want[60], wtag[16];
	uint8_t ct[60], tag[16], back[60];
	size_t kl = VEC_HEX(key, key_hex);
	struct crypto_span a = { aad, sizeof(aad) };

	assert_int_equal(VEC_HEX(nonce, "cafebabefacedbaddecaf888"), 12);
	assert_int_equal(VEC_HEX(aad, "feedfacedeadbeeffeedfacedeadbeefabaddad2"),
			 20);
	assert_int_equal(VEC_HEX(p, GCM_P), 60);
	assert_int_equal(VEC_HEX(want, ct_hex), 60);
	assert_int_equal(VEC_HEX(wtag, tag_hex), 16);
	assert_int_equal(crypto_aead_seal(IKE_ENCR_AES_GCM_16, key, kl, nonce,
					  &a, 1, p, 60, ct, tag), 0);
	assert_memory_equal(ct, want, 60);
	assert_memory_equal(tag, wtag, 16);
	assert_int_equal(crypto_aead_open(IKE_ENCR_AES_GCM_16, key, kl, nonce,
					  &a, 1, ct, 60, back, tag), 0);
	assert_memory_equal(back, p, 60);
	aad[0] ^= 0x80;
	assert_int_equal(crypto_aead_open(IKE_ENCR_AES_GCM_16, key, kl, nonce,
					  &a, 1, ct, 60, back, tag), -EBADMSG);
}

static void test_gcm_vectors(void **state)
{
	(void)state;
	/* test case 4 */
	gcm_kat("feffe9928665731c6d6a8f9467308308",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		"5bc94fbc3221a5db94fae95ae7121a47");
	/* test case 16 */
	gcm_kat("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		"76fc6ece0f4e1768cddf8853bb2d551b");
}

/* A test suite with fixed key material. */
struct suite {
	uint16_t encr, keylen, integ;
};

static const struct suite suites[] = {
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128 },
	{ IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_384_192 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256 },
	{ IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE },
	{ IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE },
};

struct keybuf {
	uint8_t e[KEY_MAX], a[KEY_MAX];
	struct sk_keys k;
};

static void keys_for(const struct suite *s, struct keybuf *kb)
{
	for (int i = 0; i < KEY_MAX; i++) {
		kb->e[i] = (uint8_t)(0x11 * i + 3);
		kb->a[i] = (uint8_t)(0x35 + 7 * i);
	}
	kb->k = (struct sk_keys){
		.encr = s->encr, .encr_keylen = s->keylen, .integ = s->integ,
		.ekey = kb->e, .ekey_len = encr_key_len(s->encr, s->keylen),
		.akey = s->integ ? kb->a : NULL,
		.akey_len = integ_key_len(s->integ),
	};
}

#define SK_OFF	28
#define IV_OFF	32
#define INNER	37

/* IKE header (IKE_AUTH request, msgid 1) | SK generic header | inner. */
static void build_msg(uint8_t *msg, const uint8_t *inner, size_t len)
{
	memset(msg, 0, IV_OFF);
	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)(0xa0 + i);		/* SPIi | SPIr */
	msg[16] = IKE_PL_SK;
	msg[17] = IKE_VERSION;
	msg[18] = IKE_AUTH;
	msg[19] = IKE_FLAG_INITIATOR;
	msg[23] = 1;
	msg[SK_OFF] = IKE_PL_IDI;
	memcpy(msg + IV_OFF, inner, len);
}

static void fill_inner(uint8_t *inner, size_t len)
{
	for (size_t i = 0; i < len; i++)
		inner[i] = (uint8_t)(i * 13 + 1);
}

static size_t seal_one(const struct sk_keys *k, uint8_t *msg, size_t cap,
		       const uint8_t *inner, size_t len, uint64_t seq)
{
	size_t mlen = 0;

	build_msg(msg, inner, len);
	assert_int_equal(sk_seal(k, msg, cap, SK_OFF, IV_OFF, len, seq, &mlen),
			 0);
	assert_int_equal(mlen, IV_OFF + len + sk_overhead(k, len));
	/* RFC 7296 3.1 / 3.2: both length fields cover what follows */
	assert_int_equal((size_t)(msg[24] << 24 | msg[25] << 16 |
				  msg[26] << 8 | msg[27]), mlen);
	assert_int_equal((size_t)(msg[SK_OFF + 2] << 8 | msg[SK_OFF + 3]),
			 mlen - SK_OFF);
	return mlen;
}

static void test_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		for (size_t len = 0; len < 70; len += 23) {
			struct keybuf kb;
			uint8_t inner[128], msg[512], pt[512];
			size_t mlen, ptlen;

			keys_for(&suites[i], &kb);
			fill_inner(inner, len);
			mlen = seal_one(&kb.k, msg, sizeof(msg), inner, len, 7);
			if (len >= 8)	/* the inner chain is not in clear */
				assert_memory_not_equal(msg + IV_OFF +
					(encr_is_aead(kb.k.encr) ? 8 : 16),
					inner, 8);
			assert_int_equal(sk_open(&kb.k, msg, mlen, IV_OFF, pt,
						 sizeof(pt), &ptlen), 0);
			assert_int_equal(ptlen, len);
			assert_memory_equal(pt, inner, len);
		}
	}
}

/* AEAD: IV = the counter, nonce = salt | IV, AAD = header .. SK header,
 * checked with the one-shot AEAD rather than sk_open. */
static void test_aead_layout(void **state)
{
	(void)state;
	for (size_t i = 4; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct keybuf kb;
		uint8_t inner[INNER], msg[256], nonce[12], pt[64];
		struct crypto_span aad = { msg, IV_OFF };
		size_t mlen, ekl;

		keys_for(&suites[i], &kb);
		ekl = kb.k.ekey_len - AEAD_SALT_LEN;
		fill_inner(inner, INNER);
		mlen = seal_one(&kb.k, msg, sizeof(msg), inner, INNER,
				0x4041424344454647ULL);
		assert_int_equal(mlen, IV_OFF + 8 + INNER + 1 + 16);
		memcpy(nonce, kb.e + ekl, 4);
		memcpy(nonce + 4, msg + IV_OFF, 8);
		assert_int_equal(nonce[4], 0x40);
		assert_int_equal(nonce[11], 0x47);
		assert_int_equal(crypto_aead_open(kb.k.encr, kb.e, ekl, nonce,
						  &aad, 1, msg + IV_OFF + 8,
						  INNER + 1, pt,
						  msg + mlen - 16), 0);
		assert_memory_equal(pt, inner, INNER);
		assert_int_equal(pt[INNER], 0);		/* pad length */
	}
}

/* CBC: ICV = truncated HMAC of everything before it; the plaintext is
 * padded to the block size. */
static void test_cbc_layout(void **state)
{
	const struct suite *s = &suites[1];	/* aes256-sha256 */
	struct keybuf kb;
	uint8_t inner[INNER], msg[256], pt[64], mac[HMAC_MAX_LEN];
	struct crypto_span in = { msg, 0 };
	size_t mlen, maclen, ctlen = 48;	/* 37 + 10 + 1 */

	(void)state;
	keys_for(s, &kb);
	fill_inner(inner, INNER);
	mlen = seal_one(&kb.k, msg, sizeof(msg), inner, INNER, 0);
	assert_int_equal(mlen, IV_OFF + 16 + ctlen + 16);
	in.n = mlen - 16;
	assert_int_equal(crypto_hmac("SHA2-256", kb.a, 32, &in, 1, mac,
				     &maclen), 0);
	assert_memory_equal(mac, msg + mlen - 16, 16);
	assert_int_equal(crypto_cbc(false, kb.e, 32, msg + IV_OFF,
				    msg + IV_OFF + 16, ctlen, pt), 0);
	assert_memory_equal(pt, inner, INNER);
	assert_int_equal(pt[ctlen - 1], ctlen - 1 - INNER);
}

static void expect_open(const struct sk_keys *k, const uint8_t *msg,
			size_t mlen, int want)
{
	uint8_t pt[512];
	size_t ptlen = 99;

	assert_int_equal(sk_open(k, msg, mlen, IV_OFF, pt, sizeof(pt), &ptlen),
			 want);
	assert_int_equal(ptlen, 0);
}

/* Any changed bit of header, SK header, IV, ciphertext or ICV fails. */
static void test_tamper(void **state)
{
	static const size_t where[] = { 0, 20, SK_OFF, IV_OFF, IV_OFF + 9 };

	(void)state;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct keybuf kb;
		uint8_t inner[INNER], msg[256];
		size_t mlen;

		keys_for(&suites[i], &kb);
		fill_inner(inner, INNER);
		mlen = seal_one(&kb.k, msg, sizeof(msg), inner, INNER, 1);
		for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
			msg[where[w]] ^= 0x04;
			expect_open(&kb.k, msg, mlen, -EBADMSG);
			msg[where[w]] ^= 0x04;
		}
		msg[mlen - 1] ^= 0x80;			/* ICV */
		expect_open(&kb.k, msg, mlen, -EBADMSG);
		msg[mlen - 1] ^= 0x80;
		msg[mlen - 20] ^= 0x01;			/* last ciphertext */
		expect_open(&kb.k, msg, mlen, -EBADMSG);
		msg[mlen - 20] ^= 0x01;
		/* cut: CBC sees a partial block, AEAD a wrong tag */
		expect_open(&kb.k, msg, mlen - 1,
			    encr_is_aead(kb.k.encr) ? -EBADMSG : -EINVAL);
		expect_open(&kb.k, msg, IV_OFF + 8, -EINVAL);	/* no room */
		/* wrong key: the one that authenticates */
		if (encr_is_aead(kb.k.encr))
			kb.e[0] ^= 1;
		else
			kb.a[0] ^= 1;
		expect_open(&kb.k, msg, mlen, -EBADMSG);
	}
}

/* A pad length longer than the decrypted data is refused, after a valid
 * ICV (CBC) or tag (AEAD). */
static void test_bad_padding(void **state)
{
	struct keybuf cbc, gcm;
	uint8_t msg[256], nonce[12], mac[HMAC_MAX_LEN], body[32];
	struct crypto_span aad = { msg, IV_OFF }, in = { msg, 0 };
	size_t maclen;

	(void)state;
	keys_for(&suites[1], &cbc);
	keys_for(&suites[5], &gcm);
	memset(body, 0x20, sizeof(body));	/* pad length 32 > 31 */
	/* CBC: IV | 2 blocks | HMAC-SHA-256-128 */
	build_msg(msg, body, 0);
	memset(msg + IV_OFF, 0x5a, 16);
	assert_int_equal(crypto_cbc(true, cbc.e, 32, msg + IV_OFF, body, 32,
				    msg + IV_OFF + 16), 0);
	in.n = IV_OFF + 16 + 32;
	assert_int_equal(crypto_hmac("SHA2-256", cbc.a, 32, &in, 1, mac,
				     &maclen), 0);
	memcpy(msg + in.n, mac, 16);
	expect_open(&cbc.k, msg, in.n + 16, -EINVAL);
	/* ciphertext not a whole number of blocks */
	expect_open(&cbc.k, msg, in.n + 16 - 1, -EINVAL);
	/* AEAD: IV | 32 | tag */
	build_msg(msg, body, 0);
	memcpy(nonce, gcm.e + 32, 4);
	memset(nonce + 4, 0x01, 8);
	memset(msg + IV_OFF, 0x01, 8);
	assert_int_equal(crypto_aead_seal(IKE_ENCR_AES_GCM_16, gcm.e, 32, nonce,
					  &aad, 1, body, 32, msg + IV_OFF + 8,
					  msg + IV_OFF + 40), 0);
	expect_open(&gcm.k, msg, IV_OFF + 56, -EINVAL);
	body[31] = 31;				/* all of it padding: empty */
	assert_int_equal(crypto_aead_seal(IKE_ENCR_AES_GCM_16, gcm.e, 32, nonce,
					  &aad, 1, body, 32, msg + IV_OFF + 8,
					  msg + IV_OFF + 40), 0);
	expect_open(&gcm.k, msg, IV_OFF + 56, 0);
}

static void test_misuse(void **state)
{
	struct keybuf kb;
	uint8_t msg[64] = { 0 }, pt[16];
	size_t mlen, ptlen;

	(void)state;
	keys_for(&suites[1], &kb);
	/* too small a buffer */
	assert_int_equal(sk_seal(&kb.k, msg, sizeof(msg), SK_OFF, IV_OFF, 20,
				 0, &mlen), -EMSGSIZE);
	/* inconsistent suites */
	kb.k.ekey_len = 16;
	assert_int_equal(sk_overhead(&kb.k, 10), 0);
	assert_int_equal(sk_open(&kb.k, msg, 64, IV_OFF, pt, 16, &ptlen),
			 -ENOTSUP);
	keys_for(&suites[4], &kb);
	kb.k.integ = IKE_INTEG_HMAC_SHA1_96;
	assert_int_equal(sk_seal(&kb.k, msg, sizeof(msg), SK_OFF, IV_OFF, 1, 0,
				 &mlen), -ENOTSUP);
	/* the overhead the builder budgets for */
	keys_for(&suites[0], &kb);
	assert_int_equal(sk_overhead(&kb.k, 15), 16 + 0 + 1 + 12);
	assert_int_equal(sk_overhead(&kb.k, 16), 16 + 15 + 1 + 12);
	keys_for(&suites[6], &kb);
	assert_int_equal(sk_overhead(&kb.k, 16), 8 + 1 + 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8439_aead),
		cmocka_unit_test(test_gcm_vectors),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_aead_layout),
		cmocka_unit_test(test_cbc_layout),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
