/*
 * Event loop: timer order and re-arming, 10k timers, fd readiness, posts
 * from another thread, signals through the signalfd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "core/loop.h"

/* A fake clock the tests move by hand. */
struct fake_clock { uint64_t now; };

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

struct fired {
	int order[64];
	int n;
};

struct tctx {
	struct fired *log;
	int id;
	struct loop_timer *t;
	int rearm_left;
	uint64_t rearm_ms;
};

static void on_timer(void *arg)
{
	struct tctx *c = arg;

	if (c->log->n < 64)
		c->log->order[c->log->n++] = c->id;
	if (c->rearm_left > 0) {
		c->rearm_left--;
		loop_timer_arm(c->t, c->rearm_ms);
	}
}

static void test_timers_fire_in_order(void **state)
{
	struct fake_clock clk = { .now = 1000 };
	struct loop *l = loop_new();
	struct fired log = { 0 };
	struct tctx c[5];
	/* due times (ms) armed out of order; 3 and 4 tie and keep arm order */
	const uint64_t after[5] = { 50, 10, 30, 20, 20 };

	(void)state;
	assert_non_null(l);
	loop_set_clock(l, fake_now, &clk);
	for (int i = 0; i < 5; i++) {
		c[i] = (struct tctx){ .log = &log, .id = i };
		c[i].t = loop_timer_new(l, on_timer, &c[i]);
		loop_timer_arm(c[i].t, after[i]);
	}
	assert_int_equal(loop_timers_armed(l), 5);
	assert_int_equal(loop_once(l, 0), 0);		/* nothing due yet */
	clk.now += 20;
	assert_int_equal(loop_once(l, 0), 3);
	assert_int_equal(log.order[0], 1);
	assert_int_equal(log.order[1], 3);
	assert_int_equal(log.order[2], 4);
	assert_true(loop_timer_armed(c[2].t));
	assert_int_equal(loop_timer_remaining(c[2].t), 10);
	clk.now += 100;
	assert_int_equal(loop_once(l, 0), 2);
	assert_int_equal(log.order[3], 2);
	assert_int_equal(log.order[4], 0);
	assert_int_equal(loop_timers_armed(l), 0);
	for (int i = 0; i < 5; i++)
		loop_timer_free(c[i].t);
	loop_free(l);
}

static void test_timer_rearm_and_stop(void **state)
{
	struct fake_clock clk = { .now = 1 };
	struct loop *l = loop_new();
	struct fired log = { 0 };
	struct tctx a = { .log = &log, .id = 7, .rearm_left = 2, .rearm_ms = 0 };
	struct tctx b = { .log = &log, .id = 8 };

	(void)state;
	loop_set_clock(l, fake_now, &clk);
	a.t = loop_timer_new(l, on_timer, &a);
	b.t = loop_timer_new(l, on_timer, &b);
	loop_timer_arm(a.t, 5);
	loop_timer_arm(b.t, 5);
	loop_timer_stop(b.t);
	assert_false(loop_timer_armed(b.t));
	clk.now += 5;
	/* re-armed with 0 ms from its callback: fires again next iteration,
	 * not in the same one (no starvation) */
	assert_int_equal(loop_once(l, 0), 1);
	assert_int_equal(loop_once(l, 0), 1);
	assert_int_equal(loop_once(l, 0), 1);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(log.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(log.order[i], 7);
	/* re-arming an armed timer moves it */
	loop_timer_arm(b.t, 100);
	loop_timer_arm(b.t, 1);
	clk.now += 1;
	assert_int_equal(loop_once(l, 0), 1);
	loop_timer_free(a.t);
	loop_timer_free(b.t);
	loop_free(l);
}

struct many {
	uint64_t last_due;
	int fired;
	int out_of_order;
	struct fake_clock *clk;
};

struct many_t {
	struct many *m;
	uint64_t due;
};

static void on_many(void *arg)
{
	struct many_t *t = arg;

	if (t->due < t->m->last_due)
		t->m->out_of_order++;
	t->m->last_due = t->due;
	t->m->fired++;
}

static void test_ten_thousand_timers(void **state)
{
	enum { N = 10000 };
	struct fake_clock clk = { .now = 10 };
	struct loop *l = loop_new();
	struct many m = { .clk = &clk };
	struct many_t *ctx = calloc(N, sizeof(*ctx));
	struct loop_timer **t = calloc(N, sizeof(*t));

	(void)state;
	loop_set_clock(l, fake_now, &clk);
	srand(42);
	for (int i = 0; i < N; i++) {
		ctx[i].m = &m;
		ctx[i].due = 10 + (uint64_t)(rand() % 5000);
		t[i] = loop_timer_new(l, on_many, &ctx[i]);
		assert_non_null(t[i]);
		loop_timer_arm(t[i], ctx[i].due - 10);
	}
	/* stop every third one: they must never fire */
	for (int i = 0; i < N; i += 3)
		loop_timer_stop(t[i]);
	while (clk.now < 6000) {
		clk.now += 7;
		loop_once(l, 0);
	}
	assert_int_equal(m.fired, N - (N + 2) / 3);
	assert_int_equal(m.out_of_order, 0);
	assert_int_equal(loop_timers_armed(l), 0);
	for (int i = 0; i < N; i++)
		loop_timer_free(t[i]);
	free(t);
	free(ctx);
	loop_free(l);
}

/* Real clock: a 20 ms timer wakes a blocking loop_once through the timerfd. */
static void test_timer_real_clock(void **state)
{
	struct loop *l = loop_new();
	struct fired log = { 0 };
	struct tctx c = { .log = &log, .id = 1 };
	uint64_t t0 = loop_now_ms(l);
	int n = 0;

	(void)state;
	c.t = loop_timer_new(l, on_timer, &c);
	loop_timer_arm(c.t, 20);
	while (n == 0 && loop_now_ms(l) - t0 < 2000)
		n = loop_once(l, 1000);
	assert_int_equal(n, 1);
	assert_true(loop_now_ms(l) - t0 >= 20);
	loop_timer_free(c.t);
	loop_free(l);
}

struct fdctx { int calls; uint32_t events; char buf[8]; };

static void on_fd(void *arg, int fd, uint32_t events)
{
	struct fdctx *c = arg;

	c->calls++;
	c->events = events;
	if (read(fd, c->buf, sizeof(c->buf)) < 0)
		c->buf[0] = 0;
}

static void test_fd_readiness(void **state)
{
	struct loop *l = loop_new();
	struct fdctx c = { 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], EPOLLIN, on_fd, &c), 0);
	assert_int_equal(loop_fd_add(l, p[0], EPOLLIN, on_fd, &c), -EEXIST);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_once(l, 100), 1);
	assert_int_equal(c.calls, 1);
	assert_true(c.events & EPOLLIN);
	assert_int_equal(c.buf[0], 'x');
	assert_int_equal(loop_fd_del(l, p[0]), 0);
	assert_int_equal(loop_fd_del(l, p[0]), -ENOENT);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(loop_once(l, 10), 0);
	assert_int_equal(c.calls, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

struct postctx {
	struct loop *l;
	int got[1000];
	int n;
	pthread_t thr;
};

struct postarg { struct postctx *c; int v; };

static void on_post(void *arg)
{
	struct postarg *a = arg;

	a->c->got[a->c->n++] = a->v;
	free(a);
}

static void *poster(void *arg)
{
	struct postctx *c = arg;

	for (int i = 0; i < 1000; i++) {
		struct postarg *a = malloc(sizeof(*a));

		a->c = c;
		a->v = i;
		if (loop_post(c->l, on_post, a) < 0)
			free(a);
	}
	return NULL;
}

static void test_post_from_thread(void **state)
{
	struct postctx c = { .l = loop_new() };

	(void)state;
	assert_int_equal(pthread_create(&c.thr, NULL, poster, &c), 0);
	for (int i = 0; i < 10000 && c.n < 1000; i++)
		loop_once(c.l, 100);
	pthread_join(c.thr, NULL);
	assert_int_equal(c.n, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(c.got[i], i);	/* posting order kept */
	loop_free(c.l);
}

static void on_never(void *arg)
{
	(*(int *)arg)++;
}

static void test_post_cancel(void **state)
{
	struct loop *l = loop_new();
	int a = 0, b = 0;

	(void)state;
	assert_int_equal(loop_post(l, on_never, &a), 0);
	assert_int_equal(loop_post(l, on_never, &b), 0);
	assert_int_equal(loop_post(l, on_never, &a), 0);
	assert_int_equal(loop_post_cancel(l, on_never, &a), 2);
	assert_int_equal(loop_once(l, 100), 1);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(loop_post(l, on_never, &a), 0);	/* tail still sane */
	loop_once(l, 100);
	assert_int_equal(a, 1);
	loop_free(l);
}

static void on_sig(void *arg, int signo)
{
	*(int *)arg = signo;
	(void)signo;
}

static void test_signal(void **state)
{
	struct loop *l = loop_new();
	int got = 0;

	(void)state;
	assert_int_equal(loop_signal(l, SIGUSR1, on_sig, &got), 0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	for (int i = 0; i < 10 && !got; i++)
		loop_once(l, 100);
	assert_int_equal(got, SIGUSR1);
	loop_free(l);
}

static void on_stop(void *arg)
{
	loop_stop(arg);
}

static void test_run_stop(void **state)
{
	struct loop *l = loop_new();
	struct loop_timer *t = loop_timer_new(l, on_stop, l);

	(void)state;
	loop_timer_arm(t, 5);
	assert_int_equal(loop_run(l), 0);
	loop_timer_free(t);
	loop_free(l);
}

/* loop_run() pauses as long as pace() says after each round, and asks
 * after every round until stopped. */
struct pace_seen { int calls, fired; struct loop *l; struct loop_timer *t; };

static uint32_t on_pace(void *arg)
{
	struct pace_seen *p = arg;

	return p->calls++ == 0 ? 30000 : 0;	/* 30 ms once */
}

static void on_pace_timer(void *arg)
{
	struct pace_seen *p = arg;

	if (++p->fired == 3)
		loop_stop(p->l);
	else
		loop_timer_arm(p->t, 1);
}

static void test_run_pace(void **state)
{
	struct pace_seen p = { .l = loop_new() };
	struct timespec a, b;
	double ms;

	(void)state;
	p.t = loop_timer_new(p.l, on_pace_timer, &p);
	loop_set_pace(p.l, on_pace, &p);
	loop_timer_arm(p.t, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(loop_run(p.l), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	assert_int_equal(p.fired, 3);
	assert_true(p.calls >= 2);	/* every round but the stopping one */
	assert_true(ms >= 30.0);	/* the pause happened (a lower bound) */
	/* removed: rounds go on without asking */
	loop_set_pace(p.l, NULL, NULL);
	p.calls = 0;
	p.fired = 0;
	loop_timer_arm(p.t, 1);
	assert_int_equal(loop_run(p.l), 0);
	assert_int_equal(p.calls, 0);
	loop_timer_free(p.t);
	loop_free(p.l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_timer_rearm_and_stop),
		cmocka_unit_test(test_ten_thousand_timers),
		cmocka_unit_test(test_timer_real_clock),
		cmocka_unit_test(test_fd_readiness),
		cmocka_unit_test(test_post_from_thread),
		cmocka_unit_test(test_post_cancel),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_run_pace),
		cmocka_unit_test(test_run_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
