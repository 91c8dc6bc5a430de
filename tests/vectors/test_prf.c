/*
 * Known answers for the PRFs, prf+ and the IKEv2 key derivation.
 *
 * HMAC: RFC 4231 section 4 (SHA-2) and RFC 2202 section 3 (SHA-1).
 * IKEv2 KDF: the NIST ACVP "kdf-components / ikev2" known answer for
 * SHA2-256 as shipped in usnistgov/ACVP-Server (IkeV2Tests.cs, test
 * "IKEv2 SHA2-256", SP 800-135 section 5.2: SKEYSEED, DKM = prf+ (SKEYSEED,
 * Ni | Nr | SPIi | SPIr), DKM(Child SA) = prf+ (SK_d, Ni | Nr),
 * DKM(Child SA D-H) = prf+ (SK_d, g^ir (new) | Ni | Nr), SKEYSEED(Rekey) =
 * prf (SK_d, g^ir (new) | Ni | Nr), SK_d being the first prf-length bytes
 * of DKM); and a SHA-1 case in the CAVS format from libreswan's IKEv2 KDF
 * CAVS driver (programs/ikev2_kdf_cavs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "hike/ikev2.h"
#include "crypto/keys.h"
#include "crypto/prf.h"
#include "vec.h"

struct hmac_kat {
	uint16_t prf;
	const char *key;	/* hex */
	const char *data;	/* ASCII, or hex when data_hex */
	int data_hex;
	const char *mac;
};

#define AA131 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DD50 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define CD50 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
#define KEY25 "0102030405060708090a0b0c0d0e0f10111213141516171819"
#define TC6 "Test Using Larger Than Block-Size Key - Hash Key First"
#define TC7 "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."

static const struct hmac_kat hmac_kats[] = {
	/* RFC 2202 3, test cases 1 and 2 */
	{ IKE_PRF_HMAC_SHA1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "Hi There", 0, "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ IKE_PRF_HMAC_SHA1, "4a656665", "what do ya want for nothing?", 0,
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	/* RFC 4231 4.2, 4.3, 4.4, 4.7, 4.8 */
	{ IKE_PRF_HMAC_SHA2_256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "Hi There", 0,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ IKE_PRF_HMAC_SHA2_256, "4a656665", "what do ya want for nothing?", 0,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ IKE_PRF_HMAC_SHA2_256, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  DD50, 1,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ IKE_PRF_HMAC_SHA2_256, AA131, TC6, 0,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ IKE_PRF_HMAC_SHA2_256, AA131, TC7, 0,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	{ IKE_PRF_HMAC_SHA2_384, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "Hi There", 0,
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	  "faea9ea9076ede7f4af152e8b2fa9cb6" },
	{ IKE_PRF_HMAC_SHA2_384, "4a656665", "what do ya want for nothing?", 0,
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	  "8e2240ca5e69e2c78b3239ecfab21649" },
	{ IKE_PRF_HMAC_SHA2_384, AA131, TC7, 0,
	  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	  "a678cc31e799176d3860e6110c46523e" },
	{ IKE_PRF_HMAC_SHA2_512, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "Hi There", 0,
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	{ IKE_PRF_HMAC_SHA2_512, "4a656665", "what do ya want for nothing?", 0,
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	{ IKE_PRF_HMAC_SHA2_512, KEY25, CD50, 1,
	  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
	{ IKE_PRF_HMAC_SHA2_512, AA131, TC6, 0,
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	{ IKE_PRF_HMAC_SHA2_512, AA131, TC7, 0,
	  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
};

static void test_hmac_kats(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hmac_kats) / sizeof(hmac_kats[0]); i++) {
		const struct hmac_kat *t = &hmac_kats[i];
		uint8_t key[256], data[256], want[64], got[64];
		size_t kl = VEC_HEX(key, t->key), dl, wl = VEC_HEX(want, t->mac);

		if (t->data_hex) {
			dl = VEC_HEX(data, t->data);
		} else {
			dl = strlen(t->data);
			memcpy(data, t->data, dl);
		}
		assert_int_equal(wl, prf_len(t->prf));
		assert_int_equal(prf(t->prf, key, kl, data, dl, got), 0);
		assert_memory_equal(got, want, wl);
	}
}

static void test_prf_unsupported(void **state)
{
	uint8_t out[64];

	(void)state;
	assert_int_equal(prf_len(IKE_PRF_AES128_XCBC), 0);
	assert_int_equal(prf(IKE_PRF_HMAC_MD5, out, 4, out, 4, out), -ENOTSUP);
	/* prf+ stops at 255 blocks (RFC 7296 2.13) */
	assert_int_equal(prf_plus(IKE_PRF_HMAC_SHA1, out, 4, out, 4, out,
				  255 * 20 + 1), -EINVAL);
}

/* prf+ against its definition: T1 = prf(K, S | 0x01),
 * T2 = prf(K, T1 | S | 0x02). */
static void test_prf_plus_blocks(void **state)
{
	uint8_t key[] = "key", seed[] = "seed", out[40], t[2][32];
	uint8_t buf[32 + 4 + 1];

	(void)state;
	assert_int_equal(prf_plus(IKE_PRF_HMAC_SHA2_256, key, 3, seed, 4,
				  out, sizeof(out)), 0);
	memcpy(buf, seed, 4);
	buf[4] = 1;
	assert_int_equal(prf(IKE_PRF_HMAC_SHA2_256, key, 3, buf, 5, t[0]), 0);
	memcpy(buf, t[0], 32);
	memcpy(buf + 32, seed, 4);
	buf[36] = 2;
	assert_int_equal(prf(IKE_PRF_HMAC_SHA2_256, key, 3, buf, 37, t[1]), 0);
	assert_memory_equal(out, t[0], 32);
	assert_memory_equal(out + 32, t[1], 8);
}

/* One IKEv2 KDF known answer (SP 800-135 5.2 / CAVS / ACVP layout). */
struct kdf_kat {
	uint16_t prf;
	const char *ni, *nr, *gir, *gir_new;
	uint64_t spi_i, spi_r;
	size_t dkm_len;
	const char *skeyseed, *dkm, *dkm_child, *dkm_child_dh, *skeyseed_rekey;
};

static const struct kdf_kat kdf_sha256 = {
	.prf = IKE_PRF_HMAC_SHA2_256,
	.ni = "0a58fea9c1d4fee2e74e1aad6fb02dd5f318eb127465a112be8dc3c04d5dba62eae708f9dc1b2362afd6ba4bda3cf5000f4979fbcbadbcfda9291593829c4e905c21db0c2ee15175ce77a8a0dadf25c7f175bc53fd91b636a9b3c50b203de9b9d6dc463dcb4048f101e26498ceaed3afbcd931394a7e099392dfff82e5d6fa85c2e8a8ab90ad363a66795dc32798847e405acd87988140f973058917273a6b0bafb962c75e2b1a21e79c08beeb82168bf8b4b57f3dce867bf7862a7b8acbc21be838021913daf64340c055ed17aaf7b6e1d0ca33ae890ddbdb83f4e615aad5e3bff58c3db70bac81a0dfbabe5391fc62bca4659e22a0741e01d8d06e67d9bb41",
	.nr = "e4fdfa68df6171d9eaff8b7b5ad31e7c6098d259f3397c9854cbefe7449b0864c1df16ddece8b26567560f8d59182a44c19149c2d0d72606a160021ade3d23c7c6936c91a4b6bec37adf38cfc84b851c68dcee06f81306f63abbefc07e231e3058c49437a557df617eac01663593d2a3e594699284c0a35eae6931492ccb2a43db72a600a3899205d681d2b76b1280e456339bb10e0c584aecfdae31c77a4c40dbcb345f782ac32835d4c220c1e97254ded6a40075dd717b00b69c86a49e801773026536ae02d58a649827f1ba67610ee936dffd11c9d5a9156631916a0a0046ec0ba42f56f2a18de83d5d71a985b0cc9eec2c06b3d907ca58454419f374069d",
	.gir = "9d469de41b4739c7dd01f19aa94f17e48150ae9dbede94832142db19",
	.gir_new = "c2987b0767006c3b9aea491bfed1646a3d7194639492b8d45b23b383",
	.spi_i = 0xc8de93111750e409ULL,
	.spi_r = 0x32d51b33508997faULL,
	.dkm_len = 3072 / 8,
	.skeyseed = "eec13ac67c2e072abb684ab4e7b6ce3e7f400af8b96bed48e113497ed337f8d4",
	.dkm = "bc83518f63b762874ac57947cdfae33a8d9724df0b83ee4b6df38c23fc2ad829f4d70b5a68dd1f5a52416f09758638aedf919c09a17c5298cdb703bb75b1005cba0109739aaa4efd2fe7534c95ad05e546e4419931270eddcab68ac1589d7fde47f5b9e8d5b614cb24ec3caf515497a9e99ee6f1b318ff153b539ef071dcaff9b41945dcb780700d69e5dc888a91de195c52825badfd0ab4c33cec71ab5c2b4badefe5455455ce5d8ae91721a2091bcccc1514e69482c9c8da1d9f0f187eedda916393570a8c0a8dfabc26d8ed31e8ea47662515972a22d11d692bc1fac6395aecd82a01ab78daafcd6f3070b1201f158a19331b5d21ceee66fccd2ea37bc07648b9539a52dbf797af53e31a0e8706dd86cf5081ebabd095f281d23c222dd3bc5abf06869017ca8f751cafcc85abea6ba88c139d1f32a12f7f486cf57eae5d85551b97f3963616d8f597c70efa98c1e1fa369fb77a80b1ec5fe533890672c4551172eab1b7fd68ad08c4d4c69f2a867302065ca730aa6915bc2cfb6d93820977",
	.dkm_child = "c725012285d56e53244a9baaaf95abfca543708d333a3f3a86ba660e00edd4d489bcd631819fda0413382edd9f53d1ed718e056c2ad91d38de90f06cd434de70141d051c021e7ddd6e4137946b4770dca59a4decabdd866852eb557fdd995646613ff2923f5f23aa58c8fbd5ad52cf2eac9bda97faad5596695f4a747a0f1cc6a1f78b2181138fb19ac24574d2e6b3a40d6e688abb919a27d793b76568ec66bd099f6f476b705c1472d774a1516a11311b887688f36649e24227640ea8d8666b9f452217e7103b6f0a92b6adb8fbda650ba58d6ac13ac6f6b6361a5d1c44f1e9f22196c96295115c5d01a120e7265962d20353a049286908da776c2165f706a16f43d85fcd319f89c4386340bcb8ed10df38345cb68af719abaf997e9789a5f19a392dcecd78168ba282f0b30555c7a47031a3156d12d7158aa41b863b8394d30fec63120e89cbc5750eed7786f7d5961b1f2e6faca641ed776d2211bee757b68b77f94056172553715da9fbd1c9a8728f28a2f3c9714a4917490132562484cd",
	.dkm_child_dh = "140a1f2a3c94318ece6edfa8c63f37d8d45982de8b6cbfe34011150db0253e34de3796d4aa579954a0bbf234794eb6e7ece2a8f91100f5507df4ee8e66c7813d4c0ff64d484a3494c54b0d9c605ea24234a49a010ce5c352feb9e1060c8c787229466296cdc9d11bb9d221ed2bb39544572464254ec02a0fbe777b07402c775eb6d3e53cd16214c707f851942cc7da92a811b6c5c82f29d9fc3751b0ebff9898fb14372402a6989ffb9cc32dfe7e2cea32fd882e09804d7fea34ce3b5eb6f303e095c48a452b0a3eccada81af22195ebbaad289aeabdab074c94e751496bde39d868ebf1d693f36d1c3c672bbb59c9f77aeb68de57d77da231b7f13d6d277f600c3d3086c4de7b3a59127f4cb9c118935574f30e1b7c88b52c8c3531fdbd38ee3d14c69e81803ced6e7501fa0180f6d110b648272002dc1ad5bf09dc83188011da1d48632e0d2453c8abdd8e9fd32a576aeb9ddfb0a024f674441c20a950d9bd8cd7b30933cc0d8e87b55e8aa9d913579b410417b3acc13c14bf73c457327873",
	.skeyseed_rekey = "05f796c8df322a7e33283ae5fa2f376d8d5efa0ac3745fc548e430031424c121",
};

static const struct kdf_kat kdf_sha1 = {
	.prf = IKE_PRF_HMAC_SHA1,
	.ni = "32b50d5f4a3763f3",
	.nr = "9206a04b26564cb1",
	.gir = "4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52",
	.gir_new = "863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330",
	.spi_i = 0x34c9e7c188868785ULL,
	.spi_r = 0x3ff77d760d2b2199ULL,
	.dkm_len = 132,
	.skeyseed = "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7",
	.dkm = "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd11198af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4",
	.dkm_child = "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4",
	.dkm_child_dh = "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a5197dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c",
	.skeyseed_rekey = "63e81194946ebd05df7df5ebf5d8750056bf1f1d",
};

/* Decoded inputs and expected outputs of one kdf_kat. */
struct kdf_vec {
	uint8_t ni[256], nr[256], gir[512], gir_new[512], spis[16];
	size_t ni_len, nr_len, gir_len, gir_new_len;
	uint8_t skeyseed[64], dkm[512], child[512], child_dh[512], rekey[64];
};

static void kdf_decode(const struct kdf_kat *t, struct kdf_vec *v)
{
	size_t hl = prf_len(t->prf);

	v->ni_len = VEC_HEX(v->ni, t->ni);
	v->nr_len = VEC_HEX(v->nr, t->nr);
	v->gir_len = VEC_HEX(v->gir, t->gir);
	v->gir_new_len = VEC_HEX(v->gir_new, t->gir_new);
	assert_true(v->ni_len <= 256 && v->nr_len <= 256);
	assert_true(v->gir_len <= 512 && v->gir_new_len <= 512);
	assert_int_equal(VEC_HEX(v->skeyseed, t->skeyseed), hl);
	assert_int_equal(VEC_HEX(v->dkm, t->dkm), t->dkm_len);
	assert_int_equal(VEC_HEX(v->child, t->dkm_child), t->dkm_len);
	assert_int_equal(VEC_HEX(v->child_dh, t->dkm_child_dh), t->dkm_len);
	assert_int_equal(VEC_HEX(v->rekey, t->skeyseed_rekey), hl);
	for (int i = 0; i < 8; i++) {
		v->spis[i] = (uint8_t)(t->spi_i >> (56 - 8 * i));
		v->spis[8 + i] = (uint8_t)(t->spi_r >> (56 - 8 * i));
	}
}

static void kdf_check(const struct kdf_kat *t)
{
	struct kdf_vec v;
	uint8_t seed[64], out[512], s[512 + 16];
	size_t hl = prf_len(t->prf), sl;

	kdf_decode(t, &v);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	assert_int_equal(ike_skeyseed(t->prf, v.ni, v.ni_len, v.nr, v.nr_len,
				      v.gir, v.gir_len, seed), 0);
	assert_memory_equal(seed, v.skeyseed, hl);
	/* DKM = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) */
	memcpy(s, v.ni, v.ni_len);
	memcpy(s + v.ni_len, v.nr, v.nr_len);
	memcpy(s + v.ni_len + v.nr_len, v.spis, 16);
	sl = v.ni_len + v.nr_len + 16;
	assert_int_equal(prf_plus(t->prf, seed, hl, s, sl, out, t->dkm_len), 0);
	assert_memory_equal(out, v.dkm, t->dkm_len);
	/* DKM(Child SA) = prf+ (SK_d, Ni | Nr) */
	assert_int_equal(child_keymat(t->prf, v.dkm, hl, NULL, 0, v.ni,
				      v.ni_len, v.nr, v.nr_len, out,
				      t->dkm_len), 0);
	assert_memory_equal(out, v.child, t->dkm_len);
	/* DKM(Child SA D-H) = prf+ (SK_d, g^ir (new) | Ni | Nr) */
	assert_int_equal(child_keymat(t->prf, v.dkm, hl, v.gir_new,
				      v.gir_new_len, v.ni, v.ni_len, v.nr,
				      v.nr_len, out, t->dkm_len), 0);
	assert_memory_equal(out, v.child_dh, t->dkm_len);
	/* SKEYSEED(Rekey) = prf (SK_d, g^ir (new) | Ni | Nr) */
	assert_int_equal(ike_rekey_skeyseed(t->prf, v.dkm, hl, v.gir_new,
					    v.gir_new_len, v.ni, v.ni_len,
					    v.nr, v.nr_len, seed), 0);
	assert_memory_equal(seed, v.rekey, hl);
}

static void test_ikev2_kdf_sha256(void **state)
{
	(void)state;
	kdf_check(&kdf_sha256);
}

static void test_ikev2_kdf_sha1(void **state)
{
	(void)state;
	kdf_check(&kdf_sha1);
}

/* ike_keys_derive() must cut the ACVP DKM in RFC 7296 2.14 order:
 * SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr. */
static void test_ike_keys_split_cbc(void **state)
{
	struct ike_suite s = { IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_256,
			       IKE_INTEG_HMAC_SHA2_256_128, IKE_DH_ECP256 };
	struct kdf_vec v;
	struct ike_keys k;
	const uint8_t *p;

	(void)state;
	kdf_decode(&kdf_sha256, &v);
	assert_int_equal(ike_keys_len(&s), 7 * 32);
	assert_int_equal(ike_keys_derive(&s, v.ni, v.ni_len, v.nr, v.nr_len,
					 v.gir, v.gir_len, kdf_sha256.spi_i,
					 kdf_sha256.spi_r, &k), 0);
	assert_int_equal(k.d_len, 32);
	assert_int_equal(k.a_len, 32);
	assert_int_equal(k.e_len, 32);
	assert_int_equal(k.p_len, 32);
	p = v.dkm;
	assert_memory_equal(k.sk_d, p, 32);
	assert_memory_equal(k.sk_ai, p + 32, 32);
	assert_memory_equal(k.sk_ar, p + 64, 32);
	assert_memory_equal(k.sk_ei, p + 96, 32);
	assert_memory_equal(k.sk_er, p + 128, 32);
	assert_memory_equal(k.sk_pi, p + 160, 32);
	assert_memory_equal(k.sk_pr, p + 192, 32);
	ike_keys_wipe(&k);
}

/* AEAD: no SK_a, and SK_e carries the 4-byte salt (RFC 5282 7.1). */
static void test_ike_keys_split_gcm(void **state)
{
	struct ike_suite s = { IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256,
			       IKE_INTEG_NONE, IKE_DH_CURVE25519 };
	struct kdf_vec v;
	struct ike_keys k;
	const uint8_t *p;

	(void)state;
	kdf_decode(&kdf_sha256, &v);
	assert_int_equal(ike_keys_derive(&s, v.ni, v.ni_len, v.nr, v.nr_len,
					 v.gir, v.gir_len, kdf_sha256.spi_i,
					 kdf_sha256.spi_r, &k), 0);
	assert_int_equal(k.a_len, 0);
	assert_int_equal(k.e_len, 36);
	p = v.dkm;
	assert_memory_equal(k.sk_d, p, 32);
	assert_memory_equal(k.sk_ei, p + 32, 36);
	assert_memory_equal(k.sk_er, p + 68, 36);
	assert_memory_equal(k.sk_pi, p + 104, 32);
	assert_memory_equal(k.sk_pr, p + 136, 32);
	/* an AEAD suite with an integrity transform is refused */
	s.integ = IKE_INTEG_HMAC_SHA2_256_128;
	assert_int_equal(ike_keys_derive(&s, v.ni, v.ni_len, v.nr, v.nr_len,
					 v.gir, v.gir_len, 1, 2, &k), -ENOTSUP);
}

/* Rekey (2.18): SKEYSEED from the old SK_d, then 2.14 with new SPIs. */
static void test_ike_keys_rekey(void **state)
{
	struct ike_suite s = { IKE_ENCR_CHACHA20_POLY1305, 256,
			       IKE_PRF_HMAC_SHA2_256, IKE_INTEG_NONE,
			       IKE_DH_CURVE25519 };
	struct kdf_vec v;
	struct ike_keys k;
	uint8_t want[2 * 32 + 2 * 36 + 32], seed[256 + 256 + 16];
	size_t sl;

	(void)state;
	kdf_decode(&kdf_sha256, &v);
	assert_int_equal(ike_keys_rekey(&s, IKE_PRF_HMAC_SHA2_256, v.dkm, 32,
					v.ni, v.ni_len, v.nr, v.nr_len,
					v.gir_new, v.gir_new_len,
					kdf_sha256.spi_i, kdf_sha256.spi_r,
					&k), 0);
	memcpy(seed, v.ni, v.ni_len);
	memcpy(seed + v.ni_len, v.nr, v.nr_len);
	memcpy(seed + v.ni_len + v.nr_len, v.spis, 16);
	sl = v.ni_len + v.nr_len + 16;
	/* from the ACVP SKEYSEED(Rekey) */
	assert_int_equal(prf_plus(IKE_PRF_HMAC_SHA2_256, v.rekey, 32, seed, sl,
				  want, 32 + 36), 0);
	assert_memory_equal(k.sk_d, want, 32);
	assert_memory_equal(k.sk_ei, want + 32, 36);
	assert_int_equal(k.e_len, 36);
}

/* Child SA keys: encr_i | integ_i | encr_r | integ_r (2.17). */
static void test_child_keys(void **state)
{
	struct esp_suite cbc = { IKE_ENCR_AES_CBC, 128,
				 IKE_INTEG_HMAC_SHA1_96, IKE_DH_NONE, 0 };
	struct esp_suite gcm = { IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE,
				 IKE_DH_NONE, 0 };
	struct kdf_vec v;
	struct child_keys k;

	(void)state;
	kdf_decode(&kdf_sha256, &v);
	assert_int_equal(child_keymat_len(&cbc), 2 * (16 + 20));
	assert_int_equal(child_keys_derive(IKE_PRF_HMAC_SHA2_256, &cbc, v.dkm,
					   32, NULL, 0, v.ni, v.ni_len, v.nr,
					   v.nr_len, &k), 0);
	assert_memory_equal(k.ei, v.child, 16);
	assert_memory_equal(k.ai, v.child + 16, 20);
	assert_memory_equal(k.er, v.child + 36, 16);
	assert_memory_equal(k.ar, v.child + 52, 20);
	/* with PFS: the D-H keying material */
	assert_int_equal(child_keys_derive(IKE_PRF_HMAC_SHA2_256, &gcm, v.dkm,
					   32, v.gir_new, v.gir_new_len, v.ni,
					   v.ni_len, v.nr, v.nr_len, &k), 0);
	assert_int_equal(k.e_len, 20);
	assert_int_equal(k.a_len, 0);
	assert_memory_equal(k.ei, v.child_dh, 20);
	assert_memory_equal(k.er, v.child_dh + 20, 20);
	child_keys_wipe(&k);
}

static void test_lengths(void **state)
{
	(void)state;
	assert_int_equal(encr_key_len(IKE_ENCR_AES_CBC, 192), 24);
	assert_int_equal(encr_key_len(IKE_ENCR_AES_CBC, 100), 0);
	assert_int_equal(encr_key_len(IKE_ENCR_AES_GCM_16, 256), 36);
	assert_int_equal(encr_key_len(IKE_ENCR_CHACHA20_POLY1305, 0), 36);
	assert_int_equal(encr_key_len(IKE_ENCR_CHACHA20_POLY1305, 128), 0);
	assert_int_equal(encr_key_len(IKE_ENCR_3DES, 0), 0);
	assert_int_equal(integ_key_len(IKE_INTEG_HMAC_SHA2_384_192), 48);
	assert_int_equal(integ_icv_len(IKE_INTEG_HMAC_SHA2_384_192), 24);
	assert_int_equal(integ_icv_len(IKE_INTEG_HMAC_SHA2_512_256), 32);
	assert_int_equal(integ_icv_len(IKE_INTEG_HMAC_SHA1_96), 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_kats),
		cmocka_unit_test(test_prf_unsupported),
		cmocka_unit_test(test_prf_plus_blocks),
		cmocka_unit_test(test_ikev2_kdf_sha256),
		cmocka_unit_test(test_ikev2_kdf_sha1),
		cmocka_unit_test(test_ike_keys_split_cbc),
		cmocka_unit_test(test_ike_keys_split_gcm),
		cmocka_unit_test(test_ike_keys_rekey),
		cmocka_unit_test(test_child_keys),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
