/*
 * RFC 7383 fragments, the pure part: split an inner chain, write SKF
 * messages, decode them, reassemble in any order, and refuse what 2.6
 * says to refuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ike/msg.h"

static uint8_t chain[1000];

static void fill_chain(void)
{
	for (size_t i = 0; i < sizeof(chain); i++)
		chain[i] = (uint8_t)(i * 7 + 3);
}

static void test_count_and_slices(void **state)
{
	struct ike_blob s;
	size_t sum = 0;

	(void)state;
	fill_chain();
	assert_int_equal(ike_frag_count(1000, 300), 4);
	assert_int_equal(ike_frag_count(900, 300), 3);
	assert_int_equal(ike_frag_count(0, 300), 1);
	assert_int_equal(ike_frag_count(1000, 0), 0);
	assert_int_equal(ike_frag_count(IKE_FRAG_MAX * 10 + 1, 10), 0);
	for (uint16_t i = 1; i <= 4; i++) {
		assert_int_equal(ike_frag_slice(chain, 1000, 300, i, &s), 0);
		assert_memory_equal(s.data, chain + sum, s.len);
		sum += s.len;
	}
	assert_int_equal(sum, 1000);
	assert_int_equal(s.len, 100);
	assert_int_equal(ike_frag_slice(chain, 1000, 300, 0, &s), -EINVAL);
	assert_int_equal(ike_frag_slice(chain, 1000, 300, 5, &s), -EINVAL);
}

/* Split, write each SKF, decode it, reassemble backwards: the chain
 * comes back whole with fragment 1's first payload type. */
static void test_split_encode_decode_reassemble(void **state)
{
	static uint8_t msg[2048], store[2048], out[2048];
	static struct ike_msg d;
	struct ike_hdr h = { .ispi = 1, .rspi = 2, .version = IKE_VERSION,
			     .exchange = IKE_AUTH, .flags = IKE_FLAG_RESPONSE,
			     .msgid = 1 };
	struct ike_frag_asm a;
	uint16_t total = ike_frag_count(sizeof(chain), 256);
	size_t len;
	uint8_t first;

	(void)state;
	fill_chain();
	ike_frag_asm_init(&a, 1, store, sizeof(store));
	for (uint16_t num = total; num >= 1; num--) {
		struct ike_blob s;
		struct ike_sk sk;

		assert_int_equal(ike_frag_slice(chain, sizeof(chain), 256, num,
						&s), 0);
		assert_int_equal(ike_encode_skf(&h, num, total, IKE_PL_IDR,
						s.data, s.len, msg, sizeof(msg),
						&sk, &len), IKE_OK);
		assert_int_equal(ike_decode(msg, len, &d), IKE_OK);
		assert_true(d.sk.fragment);
		assert_int_equal(d.sk.frag_num, num);
		assert_int_equal(d.sk.frag_total, total);
		assert_int_equal(d.sk.iv_off, sk.iv_off);
		assert_int_equal(d.sk.iv_off, IKE_HDR_LEN + 8);
		/* RFC 7383 2.5: only fragment 1 names the inner first */
		assert_int_equal(d.sk.first, num == 1 ? IKE_PL_IDR : 0);
		assert_false(ike_frag_asm_done(&a));
		assert_int_equal(ike_frag_asm_add(&a, d.sk.frag_num,
			d.sk.frag_total, d.sk.first, msg + d.sk.iv_off,
			len - d.sk.iv_off), 0);
	}
	assert_true(ike_frag_asm_done(&a));
	assert_int_equal(ike_frag_asm_finish(&a, out, sizeof(out), &len,
					     &first), 0);
	assert_int_equal(len, sizeof(chain));
	assert_memory_equal(out, chain, sizeof(chain));
	assert_int_equal(first, IKE_PL_IDR);
	assert_int_equal(ike_frag_asm_finish(&a, out, 999, &len, &first),
			 -ENOSPC);
	ike_frag_asm_clear(&a);
	assert_false(ike_frag_asm_done(&a));
	for (size_t i = 0; i < sizeof(chain); i++)
		assert_int_equal(store[i], 0);	/* plaintext wiped */
}

static void test_asm_refusals(void **state)
{
	static uint8_t store[64], out[64];
	struct ike_frag_asm a;
	size_t len;
	uint8_t first;

	(void)state;
	ike_frag_asm_init(&a, 5, store, sizeof(store));
	assert_int_equal(ike_frag_asm_add(&a, 0, 3, 0, (uint8_t *)"a", 1),
			 -EINVAL);
	assert_int_equal(ike_frag_asm_add(&a, 4, 3, 0, (uint8_t *)"a", 1),
			 -EINVAL);
	assert_int_equal(ike_frag_asm_add(&a, 1, IKE_FRAG_MAX + 1, 0,
					  (uint8_t *)"a", 1), -EINVAL);
	assert_int_equal(ike_frag_asm_add(&a, 2, 3, 0, (uint8_t *)"bb", 2), 0);
	assert_int_equal(ike_frag_asm_add(&a, 2, 3, 0, (uint8_t *)"bb", 2),
			 -EEXIST);
	/* a smaller total than the one in use is stale */
	assert_int_equal(ike_frag_asm_add(&a, 1, 2, 0, (uint8_t *)"a", 1),
			 -EINVAL);
	assert_int_equal(ike_frag_asm_finish(&a, out, sizeof(out), &len,
					     &first), -EAGAIN);
	/* a larger one restarts (RFC 7383 2.6.2): fragment 2 is gone */
	assert_int_equal(ike_frag_asm_add(&a, 1, 4, 41, (uint8_t *)"A", 1), 0);
	assert_int_equal(a.have, 1);
	assert_int_equal(ike_frag_asm_add(&a, 2, 4, 0, (uint8_t *)"B", 1), 0);
	assert_int_equal(ike_frag_asm_add(&a, 3, 4, 0, (uint8_t *)"C", 1), 0);
	/* storage is bounded by the caller's buffer */
	uint8_t big[64] = { 0 };
	assert_int_equal(ike_frag_asm_add(&a, 4, 4, 0, big, sizeof(big)),
			 -ENOSPC);
	assert_int_equal(ike_frag_asm_add(&a, 4, 4, 0, (uint8_t *)"D", 1), 0);
	assert_true(ike_frag_asm_done(&a));
	assert_int_equal(ike_frag_asm_finish(&a, out, sizeof(out), &len,
					     &first), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "ABCD", 4);
	assert_int_equal(first, 41);
}

static void test_encode_skf_errors(void **state)
{
	static uint8_t msg[64];
	struct ike_hdr h = { .version = IKE_VERSION, .exchange = IKE_AUTH };
	struct ike_sk sk;
	size_t len;

	(void)state;
	assert_int_equal(ike_encode_skf(&h, 0, 1, 35, chain, 4, msg,
					sizeof(msg), &sk, &len),
			 IKE_ERR_INVALID);
	assert_int_equal(ike_encode_skf(&h, 2, 1, 35, chain, 4, msg,
					sizeof(msg), &sk, &len),
			 IKE_ERR_INVALID);
	assert_int_equal(ike_encode_skf(&h, 1, 1, 35, chain, 64, msg,
					sizeof(msg), &sk, &len),
			 IKE_ERR_NOSPACE);
	assert_int_equal(ike_encode_skf(&h, 1, 1, 35, chain, 28, msg,
					sizeof(msg), &sk, &len), IKE_OK);
	assert_int_equal(len, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_and_slices),
		cmocka_unit_test(test_split_encode_decode_reassemble),
		cmocka_unit_test(test_asm_refusals),
		cmocka_unit_test(test_encode_skf_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
