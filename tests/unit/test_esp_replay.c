/* ESP anti-replay window with ESN (RFC 4303 3.4.3, appendix A2). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "esp/replay.h"

/* check + update as a receiver does once the ICV verified. */
static int rx(struct esp_replay *rp, uint32_t lo, uint64_t *seq)
{
	uint64_t s = 0;
	int rc = esp_replay_check(rp, lo, &s);

	if (seq)
		*seq = s;
	if (rc == 0)
		esp_replay_update(rp, s);
	return rc;
}

static void test_init_bounds(void **state)
{
	struct esp_replay rp;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 0, false, 0), -EINVAL);
	assert_int_equal(esp_replay_init(&rp, ESP_REPLAY_MAX + 1, false, 0), -EINVAL);
	assert_int_equal(esp_replay_init(&rp, 64, false, UINT64_C(1) << 32), -EINVAL);
	assert_int_equal(esp_replay_init(&rp, ESP_REPLAY_MAX, true, 0), 0);
	assert_int_equal(esp_replay_init(&rp, 1, false, 0), 0);
}

static void test_in_order_and_duplicates(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, false, 0), 0);
	assert_int_equal(rx(&rp, 0, NULL), -EINVAL);	/* never sent */
	for (uint32_t i = 1; i <= 200; i++)
		assert_int_equal(rx(&rp, i, &s), 0);
	assert_int_equal(s, 200);
	assert_int_equal(esp_replay_top(&rp), 200);
	assert_int_equal(rx(&rp, 200, NULL), -EALREADY);
	assert_int_equal(rx(&rp, 150, NULL), -EALREADY);
}

/* A check that passed but whose ICV failed must not mark anything. */
static void test_check_does_not_commit(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, false, 0), 0);
	assert_int_equal(esp_replay_check(&rp, 1000, &s), 0);
	assert_int_equal(esp_replay_top(&rp), 0);
	assert_int_equal(rx(&rp, 5, NULL), 0);
	assert_int_equal(rx(&rp, 1000, NULL), 0);
}

static void test_window_edges(void **state)
{
	struct esp_replay rp;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, false, 0), 0);
	assert_int_equal(rx(&rp, 100, NULL), 0);
	/* W = 64: 37..100 are inside, 36 is the first one left out */
	assert_int_equal(rx(&rp, 36, NULL), -ESTALE);
	assert_int_equal(rx(&rp, 37, NULL), 0);
	assert_int_equal(rx(&rp, 37, NULL), -EALREADY);
	assert_int_equal(rx(&rp, 99, NULL), 0);
	/* out of order but inside: each once */
	for (uint32_t i = 38; i < 99; i++)
		assert_int_equal(rx(&rp, i, NULL), 0);
	for (uint32_t i = 37; i <= 100; i++)
		assert_int_equal(rx(&rp, i, NULL), -EALREADY);
	/* a big jump clears everything in between */
	assert_int_equal(rx(&rp, 100000, NULL), 0);
	assert_int_equal(rx(&rp, 100000 - 63, NULL), 0);
	assert_int_equal(rx(&rp, 100000 - 64, NULL), -ESTALE);
	assert_int_equal(rx(&rp, 100, NULL), -ESTALE);
}

/* Window sizes that are not a multiple of 64, and the largest one. */
static void test_odd_and_max_windows(void **state)
{
	static const uint32_t sizes[] = { 1, 32, 100, 1024, ESP_REPLAY_MAX };
	struct esp_replay rp;

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t w = sizes[k];
		uint32_t top = 3 * w + 77;

		assert_int_equal(esp_replay_init(&rp, w, false, 0), 0);
		assert_int_equal(rx(&rp, top, NULL), 0);
		assert_int_equal(rx(&rp, top - w, NULL), -ESTALE);
		for (uint32_t i = top - w + 1; i < top; i++)
			assert_int_equal(rx(&rp, i, NULL), 0);
		for (uint32_t i = top - w + 1; i <= top; i++)
			assert_int_equal(rx(&rp, i, NULL), -EALREADY);
		/* slide by one block at a time: old bits must not leak into
		 * the reused ring blocks */
		for (uint32_t i = top + 1; i <= top + 3 * w; i += 7) {
			assert_int_equal(rx(&rp, i, NULL), 0);
			if (i + 1 <= top + 3 * w)
				assert_int_equal(esp_replay_check(&rp, i + 1, &(uint64_t){0}), 0);
		}
	}
}

/* Without ESN the number never leaves 32 bits: after 2^32 - 1, nothing. */
static void test_no_esn_wrap(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, false, UINT32_MAX - 10), 0);
	assert_int_equal(rx(&rp, UINT32_MAX, &s), 0);
	assert_int_equal(s, UINT32_MAX);
	assert_int_equal(rx(&rp, 0, NULL), -EINVAL);
	assert_int_equal(rx(&rp, 1, NULL), -ESTALE);
}

/* ESN, case A of A2.1: the window sits inside one subspace; a small
 * low half means the next subspace. */
static void test_esn_cross_2_32(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, true, UINT32_MAX - 100), 0);
	assert_int_equal(rx(&rp, UINT32_MAX - 1, &s), 0);
	assert_int_equal(s, UINT32_MAX - 1);
	assert_int_equal(rx(&rp, 0, &s), 0);	/* 2^32: low half 0 is legal */
	assert_int_equal(s, UINT64_C(1) << 32);
	assert_int_equal(rx(&rp, 2, &s), 0);
	assert_int_equal(s, (UINT64_C(1) << 32) + 2);
	/* case B: the window now straddles 2^32: high low halves are the
	 * previous subspace */
	assert_int_equal(rx(&rp, UINT32_MAX, &s), 0);
	assert_int_equal(s, UINT32_MAX);
	assert_int_equal(rx(&rp, UINT32_MAX, NULL), -EALREADY);
	assert_int_equal(rx(&rp, UINT32_MAX - 1, NULL), -EALREADY);
	assert_int_equal(rx(&rp, 1, &s), 0);
	assert_int_equal(s, (UINT64_C(1) << 32) + 1);
	/* 2^32 + 2 - 64 + 1 = bottom: (2^32 - 61) is in, (2^32 - 62) out */
	assert_int_equal(esp_replay_check(&rp, UINT32_MAX - 60, &s), 0);
	assert_int_equal(s, UINT32_MAX - 60);
	/* one below the window: with ESN that is read as the *next*
	 * subspace (A2.1), so the check passes and the ICV, computed with
	 * the wrong high half, is what rejects it */
	assert_int_equal(esp_replay_check(&rp, UINT32_MAX - 61, &s), 0);
	assert_int_equal(s, (UINT64_C(1) << 32) + UINT32_MAX - 61);
	/* far ahead in the new subspace */
	assert_int_equal(rx(&rp, 0x80000000u, &s), 0);
	assert_int_equal(s, (UINT64_C(1) << 32) + 0x80000000u);
}

/* The exact boundary of case A vs B: Tl == W - 1. */
static void test_esn_case_boundary(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, true, (UINT64_C(5) << 32) | 63), 0);
	/* case A, bottom = 0: every low half is this subspace */
	assert_int_equal(esp_replay_check(&rp, 0, &s), -EALREADY);
	assert_int_equal(s, UINT64_C(5) << 32);
	assert_int_equal(esp_replay_check(&rp, UINT32_MAX, &s), 0);
	assert_int_equal(s, (UINT64_C(5) << 32) | UINT32_MAX);
	/* Tl = 62 < W - 1: case B, bottom = 2^32 - 1 */
	assert_int_equal(esp_replay_init(&rp, 64, true, (UINT64_C(5) << 32) | 62), 0);
	assert_int_equal(esp_replay_check(&rp, UINT32_MAX, &s), -EALREADY);
	assert_int_equal(s, (UINT64_C(4) << 32) | UINT32_MAX);
	assert_int_equal(esp_replay_check(&rp, UINT32_MAX - 1, &s), 0);
	assert_int_equal(s, (UINT64_C(5) << 32) | (UINT32_MAX - 1));
}

/* In the first subspace, case B's "previous subspace" does not exist. */
static void test_esn_first_subspace(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, true, 0), 0);
	assert_int_equal(rx(&rp, 5, NULL), 0);
	assert_int_equal(esp_replay_check(&rp, UINT32_MAX - 3, &s), -ESTALE);
}

/* The very end of the 64-bit space. */
static void test_esn_top_of_space(void **state)
{
	struct esp_replay rp;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, true, UINT64_MAX - 1), 0);
	assert_int_equal(rx(&rp, UINT32_MAX, &s), 0);
	assert_int_equal(s, UINT64_MAX);
	assert_int_equal(esp_replay_check(&rp, 3, &s), -EINVAL);
}

/* Cluster takeover: the new active starts at the synced highest number;
 * everything at or below it is refused, everything above accepted. */
static void test_restart_at_synced_value(void **state)
{
	struct esp_replay rp;
	uint64_t synced = (UINT64_C(2) << 32) + 1000;
	uint64_t s;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 128, true, synced), 0);
	assert_int_equal(esp_replay_top(&rp), synced);
	assert_int_equal(rx(&rp, 1000, NULL), -EALREADY);
	assert_int_equal(rx(&rp, 999, NULL), -EALREADY);
	assert_int_equal(rx(&rp, 1000 - 127, NULL), -EALREADY);
	/* below the window: the next subspace for ESN (A2.1), left to the
	 * ICV to refuse */
	assert_int_equal(esp_replay_check(&rp, 1000 - 128, &s), 0);
	assert_int_equal(s, (UINT64_C(3) << 32) + 1000 - 128);
	/* numbers above in the same 64-block as the synced one are new */
	assert_int_equal(rx(&rp, 1001, &s), 0);
	assert_int_equal(s, synced + 1);
	assert_int_equal(rx(&rp, 1003, NULL), 0);
	assert_int_equal(rx(&rp, 1002, NULL), 0);
	assert_int_equal(rx(&rp, 1002, NULL), -EALREADY);
	/* a synced value at the end of a block */
	assert_int_equal(esp_replay_init(&rp, 64, false, 127), 0);
	assert_int_equal(rx(&rp, 127, NULL), -EALREADY);
	assert_int_equal(rx(&rp, 128, NULL), 0);
}

/* Two packets of one batch pass the check, the later one slides the
 * window past the earlier: the late update must not set a bit in a
 * reused block. */
static void test_stale_update_ignored(void **state)
{
	struct esp_replay rp;
	uint64_t a, b;

	(void)state;
	assert_int_equal(esp_replay_init(&rp, 64, false, 0), 0);
	assert_int_equal(esp_replay_check(&rp, 10, &a), 0);
	assert_int_equal(esp_replay_check(&rp, 10 + 128, &b), 0);
	esp_replay_update(&rp, b);
	esp_replay_update(&rp, a);	/* 10 maps to the block of 138 */
	assert_int_equal(esp_replay_check(&rp, 138 - 0, &a), -EALREADY);
	assert_int_equal(esp_replay_check(&rp, 137, &a), 0);
	assert_int_equal(esp_replay_check(&rp, 10 + 192 - 64, &a), -EALREADY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_in_order_and_duplicates),
		cmocka_unit_test(test_check_does_not_commit),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_odd_and_max_windows),
		cmocka_unit_test(test_no_esn_wrap),
		cmocka_unit_test(test_esn_cross_2_32),
		cmocka_unit_test(test_esn_case_boundary),
		cmocka_unit_test(test_esn_first_subspace),
		cmocka_unit_test(test_esn_top_of_space),
		cmocka_unit_test(test_restart_at_synced_value),
		cmocka_unit_test(test_stale_update_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
