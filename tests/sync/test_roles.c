/*
 * Role election over the in-memory bus: every member computes the same
 * active from delivered events only; priorities, lowest node id on ties,
 * stickiness of the active, failover, split brain and its healing,
 * quorum, graceful switchover.
 */
#include <errno.h>

#include "sync_test.h"

struct cluster {
	struct sync_membus *bus;
	struct tnode n[3];
	struct tnode *p[3];
	size_t count;
};

static void c_init(struct cluster *c)
{
	memset(c, 0, sizeof(*c));
	c->bus = sync_membus_new();
	assert_non_null(c->bus);
}

static struct tnode *c_add(struct cluster *c, uint32_t id, uint32_t prio)
{
	struct tnode *n = &c->n[c->count];

	t_node_start(c->bus, n, id, prio);
	c->p[c->count++] = n;
	return n;
}

static void c_pump(struct cluster *c)
{
	t_pump(c->bus, c->p, c->count);
}

static void c_free(struct cluster *c)
{
	for (size_t i = 0; i < c->count; i++)
		sync_free(c->n[i].s);
	sync_membus_free(c->bus);
}

/* Every member still joined agrees on the active. */
static void assert_agree(struct cluster *c, uint32_t active)
{
	for (size_t i = 0; i < c->count; i++) {
		if (!c->p[i] || !c->p[i]->s)
			continue;
		assert_int_equal(sync_active(c->p[i]->s), active);
		assert_int_equal(sync_is_active(c->p[i]->s), c->p[i]->id == active);
	}
}

/* Cold start of three fresh nodes together: highest priority wins; the
 * others get a snapshot and end in sync. */
static void test_priority_cold_start(void **state)
{
	struct cluster c;

	(void)state;
	c_init(&c);
	c_add(&c, 1, 10);
	c_add(&c, 2, 50);
	c_add(&c, 3, 20);
	c_pump(&c);
	assert_agree(&c, 2);
	assert_int_equal(c.n[1].became_active, 1);
	for (int i = 0; i < 3; i++)
		assert_true(sync_in_sync(c.n[i].s));
	assert_int_equal(c.n[0].became_standby, 1);
	c_free(&c);
}

/* Equal priorities: the lowest node id. */
static void test_tie_lowest_id(void **state)
{
	struct cluster c;

	(void)state;
	c_init(&c);
	c_add(&c, 9, 5);
	c_add(&c, 4, 5);
	c_pump(&c);
	assert_agree(&c, 4);
	c_free(&c);
}

/* A node of higher priority joining later does not take over (no
 * flapping); it syncs and becomes the standby.  When the active dies,
 * it takes over. */
static void test_sticky_then_failover(void **state)
{
	struct cluster c;
	struct tnode *a, *b;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 10);
	c_pump(&c);
	assert_agree(&c, 1);
	b = c_add(&c, 2, 100);
	c_pump(&c);
	assert_agree(&c, 1);
	assert_true(sync_in_sync(b->s));
	assert_int_equal(sync_member_state(a->s, 2), SYNC_MEMBER_IN_SYNC);
	assert_int_equal(b->became_active, 0);
	assert_int_equal(sync_membus_crash(c.bus, 1), 0);
	c.p[0] = NULL;
	c_pump(&c);
	assert_int_equal(sync_active(b->s), 2);
	assert_true(sync_is_active(b->s));
	assert_int_equal(b->became_active, 1);
	c_free(&c);
}

/* A joiner that has not finished its snapshot cannot be elected: the
 * active dies right after the joiner arrived, before any snapshot. */
static void test_syncing_never_elected(void **state)
{
	struct cluster c;
	struct tnode *b;

	(void)state;
	c_init(&c);
	c_add(&c, 1, 10);
	b = c_add(&c, 2, 100);
	c_pump(&c);
	assert_agree(&c, 1 + 1);	/* cold start: 2 has the priority */
	c_free(&c);

	c_init(&c);
	c_add(&c, 1, 10);
	c_add(&c, 2, 10);
	c_pump(&c);
	assert_agree(&c, 1);
	b = c_add(&c, 3, 100);
	/* deliver only the join and the announces, not the snapshot */
	for (int i = 0; i < 4; i++)
		sync_membus_step(c.bus);
	assert_false(sync_in_sync(b->s));
	assert_int_equal(sync_membus_crash(c.bus, 1), 0);
	c.p[0] = NULL;
	c_pump(&c);
	assert_int_equal(sync_active(b->s), 2);	/* in-sync 2, not 3 */
	assert_true(sync_in_sync(b->s));	/* and 2 resynced it */
	c_free(&c);
}

/* two_node split brain: each half elects itself; on merge the better
 * active stays, the other side is demoted, resynced and gets the
 * winner's data. */
static void test_split_and_rejoin(void **state)
{
	struct cluster c;
	struct tnode *a, *b;
	struct tcommit k1, k2, k3;
	uint32_t side[] = { 2 };

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 50);
	b = c_add(&c, 2, 10);
	c_pump(&c);
	assert_agree(&c, 1);
	t_put(a, &k1, "x", "1");
	c_pump(&c);
	assert_string_equal(tstore_get(&b->store, "x"), "1");

	assert_int_equal(sync_membus_split(c.bus, side, 1), 0);
	c_pump(&c);
	assert_true(sync_is_active(a->s));
	assert_true(sync_is_active(b->s));	/* both halves quorate */
	t_put(a, &k2, "x", "2");
	t_put(b, &k3, "y", "b-only");
	c_pump(&c);
	assert_int_equal(k3.status, 0);

	assert_int_equal(sync_membus_merge(c.bus), 0);
	c_pump(&c);
	assert_agree(&c, 1);
	assert_true(b->became_standby >= 1);
	assert_true(b->resets >= 1);
	assert_true(sync_in_sync(b->s));
	assert_true(tstore_equal(&a->store, &b->store));
	assert_null(tstore_get(&b->store, "y"));
	c_free(&c);
}

/* No quorum, never active: the active that loses quorum steps down at
 * once and the other in-sync node takes over. */
static void test_quorum(void **state)
{
	struct cluster c;
	struct tnode *a, *b;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 50);
	b = c_add(&c, 2, 10);
	c_pump(&c);
	assert_agree(&c, 1);
	sync_membus_set_quorum(c.bus, 1, false);
	sync_membus_step(c.bus);
	assert_false(sync_is_active(a->s));	/* before any message */
	c_pump(&c);
	assert_agree(&c, 2);
	assert_int_equal(b->became_active, 1);
	sync_membus_set_quorum(c.bus, 2, false);
	c_pump(&c);
	assert_false(sync_is_active(a->s));
	assert_false(sync_is_active(b->s));
	c_free(&c);
}

/* hikectl switchover: the active hands over to the in-sync standby. */
static void test_switchover(void **state)
{
	struct cluster c;
	struct tnode *a, *b;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 50);
	b = c_add(&c, 2, 10);
	c_pump(&c);
	assert_int_equal(sync_switchover(b->s, 0), -EPERM);
	assert_int_equal(sync_switchover(a->s, 0), 0);
	c_pump(&c);
	assert_agree(&c, 2);
	assert_true(sync_in_sync(a->s));
	assert_int_equal(a->became_standby, 1);
	c_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_cold_start),
		cmocka_unit_test(test_tie_lowest_id),
		cmocka_unit_test(test_sticky_then_failover),
		cmocka_unit_test(test_syncing_never_elected),
		cmocka_unit_test(test_split_and_rejoin),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_switchover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
