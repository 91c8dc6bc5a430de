/* Counters: names come from the table, lookups by name, iteration order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/counters.h"

static void test_inc_get(void **state)
{
	struct counters *c = counters_new();

	(void)state;
	assert_non_null(c);
	counters_inc(c, CNT_DROP_ESP_REPLAY);
	counters_inc(c, CNT_DROP_ESP_REPLAY);
	counters_add(c, CNT_IKE_SA_ESTABLISHED, 40);
	assert_int_equal(counters_get(c, CNT_DROP_ESP_REPLAY), 2);
	assert_int_equal(counters_get(c, CNT_IKE_SA_ESTABLISHED), 40);
	assert_int_equal(counters_get(c, CNT_DROP_ESP_ICV), 0);
	counters_inc(NULL, CNT_DROP_ESP_ICV);		/* no-op, no crash */
	counters_inc(c, CNT__MAX);			/* out of range: ignored */
	counters_reset(c);
	assert_int_equal(counters_get(c, CNT_DROP_ESP_REPLAY), 0);
	counters_free(c);
}

static void test_names_unique(void **state)
{
	(void)state;
	for (unsigned i = 0; i < CNT__MAX; i++) {
		const char *n = counters_name((enum counter_id)i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_int_equal(counters_by_name(n), i);
	}
	assert_string_equal(counters_name(CNT_DROP_IKE_MALFORMED), "drop.ike.malformed");
	assert_int_equal(counters_by_name("no.such"), CNT__MAX);
	assert_string_equal(counters_name(CNT__MAX), "?");
}

struct seen { unsigned n; uint64_t replay; };

static int each_cb(void *ctx, const char *name, uint64_t v)
{
	struct seen *s = ctx;

	s->n++;
	if (strcmp(name, "drop.esp.replay") == 0)
		s->replay = v;
	return 0;
}

static void test_each(void **state)
{
	struct counters *c = counters_new();
	struct seen s = { 0 };

	(void)state;
	counters_add(c, CNT_DROP_ESP_REPLAY, 5);
	assert_int_equal(counters_each(c, each_cb, &s), 0);
	assert_int_equal(s.n, CNT__MAX);
	assert_int_equal(s.replay, 5);
	counters_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inc_get),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_each),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
