/*
 * The in-memory CPG stand-in gives CPG's guarantees: one agreed order
 * for messages and configuration changes, self-delivery, partitions and
 * merges, crashes, flow control.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "transport.h"

/* Every upcall a node sees, as one line of text. */
struct tlog {
	uint32_t id;
	char ev[64][48];
	size_t n;
	int ready, quorum;
	struct sync_transport *t;
};

static void l_add(struct tlog *l, const char *s)
{
	assert_true(l->n < 64);
	snprintf(l->ev[l->n++], sizeof(l->ev[0]), "%s", s);
}

static void l_deliver(void *ctx, uint32_t from, uint32_t pid, const void *buf,
		      size_t len)
{
	char s[48];

	(void)pid;
	snprintf(s, sizeof(s), "msg %u %.*s", from, (int)len, (const char *)buf);
	l_add(ctx, s);
}

static void l_confchg(void *ctx, const uint32_t *m, size_t n, const uint32_t *j,
		      size_t nj, const uint32_t *lf, size_t nl)
{
	char s[48];
	int k = snprintf(s, sizeof(s), "conf");

	for (size_t i = 0; i < n; i++)
		k += snprintf(s + k, sizeof(s) - k, " %u", m[i]);
	k += snprintf(s + k, sizeof(s) - k, " +");
	for (size_t i = 0; i < nj; i++)
		k += snprintf(s + k, sizeof(s) - k, "%u", j[i]);
	k += snprintf(s + k, sizeof(s) - k, " -");
	for (size_t i = 0; i < nl; i++)
		k += snprintf(s + k, sizeof(s) - k, "%u", lf[i]);
	l_add(ctx, s);
}

static void l_quorum(void *ctx, bool q) { ((struct tlog *)ctx)->quorum = q ? 1 : -1; }
static void l_ready(void *ctx) { ((struct tlog *)ctx)->ready++; }

static void l_start(struct sync_membus *b, struct tlog *l, uint32_t id)
{
	struct sync_transport_upcalls up = {
		.deliver = l_deliver, .confchg = l_confchg,
		.quorum = l_quorum, .ready = l_ready, .ctx = l,
	};

	memset(l, 0, sizeof(*l));
	l->id = id;
	l->t = sync_transport_mem_new(b, id);
	assert_non_null(l->t);
	sync_transport_set_upcalls(l->t, &up);
	assert_int_equal(sync_transport_join(l->t, "g"), 0);
}

static void mc(struct tlog *l, const char *s)
{
	assert_int_equal(sync_transport_mcast(l->t, s, strlen(s)), 0);
}

/* Three senders interleaved: all three see one and the same order,
 * their own messages included. */
static void test_agreed_order(void **state)
{
	struct sync_membus *b = sync_membus_new();
	struct tlog l[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		l_start(b, &l[i], i + 1);
	mc(&l[2], "c1");
	mc(&l[0], "a1");
	mc(&l[1], "b1");
	mc(&l[0], "a2");
	assert_true(sync_membus_pump(b, 1000) > 0);
	/* node 3 joined last: it sees its join and then every message */
	assert_string_equal(l[2].ev[0], "conf 1 2 3 +3 -");
	assert_string_equal(l[2].ev[1], "msg 3 c1");
	assert_string_equal(l[2].ev[4], "msg 1 a2");
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < 5; k++)
			assert_string_equal(l[i].ev[l[i].n - 5 + k], l[2].ev[k]);
	assert_int_equal(sync_membus_mcasts(b), 4);
	for (int i = 0; i < 3; i++)
		sync_transport_free(l[i].t);
	sync_membus_free(b);
}

/* A message sent before a split reaches the old members before the
 * change; after it, each side hears only itself; a merge tells each
 * side who joined. */
static void test_split_merge(void **state)
{
	struct sync_membus *b = sync_membus_new();
	struct tlog l[3];
	uint32_t side[] = { 3 };

	(void)state;
	for (int i = 0; i < 3; i++)
		l_start(b, &l[i], i + 1);
	assert_true(sync_membus_pump(b, 1000) > 0);
	for (int i = 0; i < 3; i++)
		l[i].n = 0;
	mc(&l[0], "before");
	assert_int_equal(sync_membus_split(b, side, 1), 0);
	mc(&l[0], "left");
	mc(&l[2], "right");
	assert_true(sync_membus_pump(b, 1000) > 0);
	assert_int_equal(l[0].n, 3);
	assert_string_equal(l[0].ev[0], "msg 1 before");
	assert_string_equal(l[0].ev[1], "conf 1 2 + -3");
	assert_string_equal(l[0].ev[2], "msg 1 left");
	assert_string_equal(l[2].ev[0], "msg 1 before");
	assert_string_equal(l[2].ev[1], "conf 3 + -12");
	assert_string_equal(l[2].ev[2], "msg 3 right");
	assert_int_equal(sync_membus_merge(b), 0);
	assert_true(sync_membus_pump(b, 1000) > 0);
	assert_string_equal(l[0].ev[3], "conf 1 2 3 +3 -");
	assert_string_equal(l[1].ev[3], "conf 1 2 3 +3 -");
	assert_string_equal(l[2].ev[3], "conf 1 2 3 +12 -");
	for (int i = 0; i < 3; i++)
		sync_transport_free(l[i].t);
	sync_membus_free(b);
}

/* kill -9: undelivered messages of the dead node vanish everywhere; the
 * others see it leave; it gets nothing more. */
static void test_crash(void **state)
{
	struct sync_membus *b = sync_membus_new();
	struct tlog l[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		l_start(b, &l[i], i + 1);
	assert_true(sync_membus_pump(b, 1000) > 0);
	l[0].n = l[1].n = 0;
	mc(&l[1], "lost");
	mc(&l[0], "kept");
	assert_int_equal(sync_membus_crash(b, 2), 0);
	assert_true(sync_membus_pump(b, 1000) > 0);
	assert_int_equal(l[0].n, 2);
	assert_string_equal(l[0].ev[0], "msg 1 kept");
	assert_string_equal(l[0].ev[1], "conf 1 + -2");
	assert_int_equal(l[1].n, 0);
	assert_int_equal(sync_transport_mcast(l[1].t, "x", 1), -ENOTCONN);
	for (int i = 0; i < 2; i++)
		sync_transport_free(l[i].t);
	sync_membus_free(b);
}

/* CS_ERR_TRY_AGAIN: refused sends deliver nothing; then ready. */
static void test_flow_control(void **state)
{
	struct sync_membus *b = sync_membus_new();
	struct tlog l;

	(void)state;
	l_start(b, &l, 7);
	sync_membus_set_eagain(b, 7, 2);
	assert_int_equal(sync_transport_mcast(l.t, "a", 1), -EAGAIN);
	assert_int_equal(sync_transport_mcast(l.t, "a", 1), -EAGAIN);
	sync_membus_set_quorum(b, 7, false);
	assert_true(sync_membus_pump(b, 1000) > 0);
	assert_int_equal(l.ready, 1);
	assert_int_equal(l.quorum, -1);
	assert_int_equal(l.n, 1);		/* only the join */
	mc(&l, "b");
	assert_int_equal(sync_membus_pump(b, 1000), 1);
	assert_string_equal(l.ev[1], "msg 7 b");
	assert_null(sync_transport_mem_new(b, 7));	/* ids are unique */
	sync_transport_free(l.t);
	sync_membus_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agreed_order),
		cmocka_unit_test(test_split_merge),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_flow_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
