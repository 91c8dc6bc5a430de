/*
 * The batch window (sync.h, sync.batch_delay_us) and record groups
 * (sync_submitv) over the in-memory bus, on a fake clock and a fake
 * timer: nothing here depends on real time.
 *
 *  - idle (no batch frame left within the window): a record goes at once;
 *  - under load: the next frame leaves one window after the previous
 *    one, carrying everything submitted meanwhile, and never later;
 *  - the commit callback (the reply) still waits for self-delivery;
 *  - batch_max records go at once; without a timer there is no window;
 *  - a group rides whole in one envelope, even past batch_max.
 */
#include <errno.h>

#include "sync_test.h"

#define D 1000		/* the window, us */

struct fake {
	uint64_t now;		/* us */
	int arms;
	uint64_t asked;		/* the delay of the last request */
};

static uint64_t f_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void f_arm(void *ctx, uint64_t us)
{
	struct fake *f = ctx;

	f->arms++;
	f->asked = us;
}

struct pair {
	struct sync_membus *bus;
	struct tnode n[2];
	struct tnode *p[2];
	struct fake clk;
};

/* Node 1 active with the window on the fake clock, node 2 standby. */
static void w_init(struct pair *c, int64_t delay)
{
	memset(c, 0, sizeof(*c));
	c->bus = sync_membus_new();
	assert_non_null(c->bus);
	t_node_start(c->bus, &c->n[0], 1, 50);
	t_node_start(c->bus, &c->n[1], 2, 10);
	c->p[0] = &c->n[0];
	c->p[1] = &c->n[1];
	t_pump(c->bus, c->p, 2);
	assert_true(sync_is_active(c->n[0].s));
	assert_true(sync_in_sync(c->n[1].s));
	c->clk.now = 1000000;
	sync_set_clock(c->n[0].s, f_now, &c->clk);
	sync_set_timer(c->n[0].s, f_arm, &c->clk);
	sync_set_batch_delay(c->n[0].s, delay);
}

static void w_free(struct pair *c)
{
	sync_free(c->n[0].s);
	sync_free(c->n[1].s);
	sync_membus_free(c->bus);
}

static uint64_t mcasts(struct pair *c)
{
	return sync_membus_mcasts(c->bus);
}

/* The timer the active asked for expires. */
static void w_fire(struct pair *c)
{
	c->clk.now += c->clk.asked;
	sync_timer_fired(c->n[0].s);
}

/* Idle: the record leaves at the first flush, no timer is asked for. */
static void test_idle_at_once(void **state)
{
	struct pair c;
	struct tcommit k;
	uint64_t m;

	(void)state;
	w_init(&c, D);
	m = mcasts(&c);
	t_put(&c.n[0], &k, "a", "1");
	sync_flush(c.n[0].s);
	assert_int_equal(mcasts(&c) - m, 1);
	assert_int_equal(c.clk.arms, 0);
	assert_int_equal(k.calls, 0);		/* not delivered yet */
	t_pump(c.bus, c.p, 2);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.status, 0);
	w_free(&c);
}

/* Under load: what is submitted while a frame is in flight, or within
 * the window after it left, leaves one window after it -- together, in
 * one envelope -- and its callback runs only on self-delivery. */
static void test_window_holds_under_load(void **state)
{
	struct pair c;
	struct tcommit a, b, x;
	uint64_t m;

	(void)state;
	w_init(&c, D);
	m = mcasts(&c);
	t_put(&c.n[0], &a, "a", "1");
	sync_flush(c.n[0].s);			/* idle: a leaves at t0 */
	assert_int_equal(mcasts(&c) - m, 1);
	c.clk.now += 100;
	t_put(&c.n[0], &b, "b", "2");		/* a in flight */
	sync_flush(c.n[0].s);
	assert_int_equal(mcasts(&c) - m, 1);
	assert_int_equal(c.clk.arms, 0);	/* waits for a's return */
	c.clk.now += 100;
	assert_int_equal(sync_membus_step(c.bus), 1);	/* a is back */
	assert_int_equal(a.calls, 1);
	t_put(&c.n[0], &x, "x", "3");
	t_pump(c.bus, c.p, 2);			/* flushes: held by the window */
	assert_int_equal(mcasts(&c) - m, 1);
	assert_int_equal(b.calls, 0);		/* the reply waits */
	assert_int_equal(x.calls, 0);
	assert_null(tstore_get(&c.n[1].store, "b"));
	assert_int_equal(c.clk.arms, 1);
	assert_int_equal(c.clk.asked, D - 200);	/* t0 + D, not later */
	assert_int_equal(sync_get_stats(c.n[0].s)->tx_held, 1);
	w_fire(&c);
	assert_int_equal(mcasts(&c) - m, 2);	/* b and x in one frame */
	assert_int_equal(b.calls, 0);		/* sent is not delivered */
	t_pump(c.bus, c.p, 2);
	assert_int_equal(b.calls, 1);
	assert_int_equal(x.calls, 1);
	assert_string_equal(tstore_get(&c.n[1].store, "b"), "2");
	assert_string_equal(tstore_get(&c.n[1].store, "x"), "3");
	assert_int_equal(sync_get_stats(c.n[0].s)->tx_batches, 2);
	assert_int_equal(sync_get_stats(c.n[0].s)->tx_records, 3);
	w_free(&c);
}

/* Whenever the window holds a record, the timer asked for expires no
 * later than one window after the previous frame left -- hence no later
 * than one window after the record came; once a window has passed since
 * the last frame, a record leaves at once (idle again). */
static void test_window_bounded(void **state)
{
	struct pair c;
	struct tcommit k[40];
	uint64_t left = 0, m;
	char key[16];

	(void)state;
	w_init(&c, D);
	for (int i = 0; i < 40; i++) {
		uint64_t sent = sync_get_stats(c.n[0].s)->tx_batches;
		int arms = c.clk.arms;

		/* arrivals 0, 150, 300, ... us apart, mixed */
		c.clk.now += (uint64_t)(i % 8) * 150;
		snprintf(key, sizeof(key), "k%d", i);
		t_put(&c.n[0], &k[i], key, "v");
		t_pump(c.bus, c.p, 2);
		if (sync_get_stats(c.n[0].s)->tx_batches > sent) {
			/* left at once: only when the window had passed */
			assert_true(c.clk.now - left >= D || sent == 0);
			left = c.clk.now;
		} else {
			assert_int_equal(c.clk.arms, arms + 1);
			assert_true(c.clk.asked > 0 && c.clk.asked <= D);
			assert_int_equal(c.clk.now + c.clk.asked, left + D);
			w_fire(&c);
			left = c.clk.now;
			t_pump(c.bus, c.p, 2);
		}
		assert_int_equal(k[i].calls, 1);
		assert_int_equal(sync_pending(c.n[0].s), 0);
	}
	assert_true(sync_get_stats(c.n[0].s)->tx_held > 0);	/* both ways */
	assert_true(sync_get_stats(c.n[0].s)->tx_held < 40);
	/* long idle: at once, no timer */
	c.clk.now += 10 * D;
	m = mcasts(&c);
	t_put(&c.n[0], &k[0], "late", "v");
	sync_flush(c.n[0].s);
	assert_int_equal(mcasts(&c) - m, 1);
	t_pump(c.bus, c.p, 2);
	assert_int_equal(k[0].calls, 1);
	w_free(&c);
}

/* batch_max records waiting leave at once, window or not. */
static void test_window_batch_max(void **state)
{
	struct pair c;
	struct tcommit k[64 + 1];
	uint64_t m;
	char key[16];

	(void)state;
	w_init(&c, D);
	t_put(&c.n[0], &k[64], "first", "v");
	t_pump(c.bus, c.p, 2);			/* a frame left just now */
	m = mcasts(&c);
	for (int i = 0; i < 64; i++) {		/* batch_max = 64 */
		snprintf(key, sizeof(key), "k%d", i);
		t_put(&c.n[0], &k[i], key, "v");
	}
	assert_int_equal(mcasts(&c) - m, 1);
	t_pump(c.bus, c.p, 2);
	for (int i = 0; i < 64; i++)
		assert_int_equal(k[i].calls, 1);
	w_free(&c);
}

/* Without a timer to come back, the window is off: records wait only for
 * the frame in flight. */
static void test_no_timer_no_window(void **state)
{
	struct pair c;
	struct tcommit a, b;
	uint64_t m;

	(void)state;
	w_init(&c, D);
	sync_set_timer(c.n[0].s, NULL, NULL);
	m = mcasts(&c);
	t_put(&c.n[0], &a, "a", "1");
	t_pump(c.bus, c.p, 2);
	t_put(&c.n[0], &b, "b", "2");
	t_pump(c.bus, c.p, 2);
	assert_int_equal(mcasts(&c) - m, 2);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.clk.arms, 0);
	w_free(&c);
}

/* A timer firing with nothing waiting does not open the window for the
 * next record early, nor does it send anything. */
static void test_stale_timer(void **state)
{
	struct pair c;
	struct tcommit a, b;
	uint64_t m;

	(void)state;
	w_init(&c, D);
	t_put(&c.n[0], &a, "a", "1");
	t_pump(c.bus, c.p, 2);
	m = mcasts(&c);
	sync_timer_fired(c.n[0].s);
	assert_int_equal(mcasts(&c), m);
	c.clk.now += 10;
	t_put(&c.n[0], &b, "b", "2");
	t_pump(c.bus, c.p, 2);
	assert_int_equal(mcasts(&c), m);	/* held */
	assert_int_equal(c.clk.asked, D - 10);
	w_fire(&c);
	t_pump(c.bus, c.p, 2);
	assert_int_equal(b.calls, 1);
	w_free(&c);
}

static void group_cb(void *arg, int status)
{
	int *calls = arg;

	assert_int_equal(status, 0);
	(*calls)++;
}

/* A group is never split over envelopes, even past batch_max; its
 * callback runs once, after the whole group came back. */
static void test_group_whole(void **state)
{
	struct sync_membus *bus = sync_membus_new();
	struct tnode a = { 0 }, b = { 0 };
	struct tnode *p[2] = { &a, &b };
	struct sync_conf conf = t_conf(&a, 50);
	struct tcommit k[3];
	struct sync_buf v[6];
	uint8_t buf[6][64];
	char key[16];
	int calls = 0;
	uint64_t m;

	(void)state;
	conf.batch_max = 4;
	a.id = 1;
	a.s = sync_new(NULL, sync_transport_mem_new(bus, 1), &conf);
	assert_non_null(a.s);
	t_node_start(bus, &b, 2, 10);
	t_pump(bus, p, 2);
	assert_true(sync_is_active(a.s));
	for (int i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "g%d", i);
		v[i].buf = buf[i];
		v[i].len = t_pack_opaque(key, "v", buf[i], sizeof(buf[i]));
	}
	m = sync_membus_mcasts(bus);
	/* 3 singles + a group of 3: the group does not fit in the first
	 * frame (batch_max 4) and goes whole into the second */
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		t_put(&a, &k[i], key, "v");
	}
	assert_int_equal(sync_submitv(a.s, v, 3, group_cb, &calls), 0);
	t_pump(bus, p, 2);
	assert_int_equal(sync_membus_mcasts(bus) - m, 2);
	assert_int_equal(calls, 1);
	assert_int_equal(sync_get_stats(a.s)->tx_records, 6);
	/* a group of 6 > batch_max: one envelope */
	m = sync_membus_mcasts(bus);
	assert_int_equal(sync_submitv(a.s, v, 6, group_cb, &calls), 0);
	t_pump(bus, p, 2);
	assert_int_equal(sync_membus_mcasts(bus) - m, 1);
	assert_int_equal(calls, 2);
	for (int i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "g%d", i);
		assert_string_equal(tstore_get(&b.store, key), "v");
	}
	/* limits: nothing queued, no callback */
	assert_int_equal(sync_submitv(a.s, v, 0, group_cb, &calls), -EMSGSIZE);
	v[1].len = 0;
	assert_int_equal(sync_submitv(a.s, v, 2, group_cb, &calls), -EMSGSIZE);
	assert_int_equal(sync_pending(a.s), 0);
	sync_free(a.s);
	sync_free(b.s);
	sync_membus_free(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_at_once),
		cmocka_unit_test(test_window_holds_under_load),
		cmocka_unit_test(test_window_bounded),
		cmocka_unit_test(test_window_batch_max),
		cmocka_unit_test(test_no_timer_no_window),
		cmocka_unit_test(test_stale_timer),
		cmocka_unit_test(test_group_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
