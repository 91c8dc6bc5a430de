/*
 * Worker pool: inline mode runs work and done at once; threaded mode runs
 * work off the loop thread and done on it; a full queue refuses; freeing
 * with jobs in flight cancels them so nothing leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/workers.h"

struct job {
	pthread_t loop_thread;
	pthread_t work_thread;
	bool work_on_other_thread;
	bool done_on_loop_thread;
	int status;
	int done_calls;
	int *ndone;
	unsigned value, result;
	atomic_int *gate;		/* work spins until *gate != 0 */
};

static void job_work(void *arg)
{
	struct job *j = arg;

	while (j->gate && !atomic_load(j->gate))
		usleep(1000);
	j->work_thread = pthread_self();
	j->work_on_other_thread = !pthread_equal(j->work_thread, j->loop_thread);
	j->result = j->value * j->value;	/* stands in for a DH */
}

static void job_done(void *arg, int status)
{
	struct job *j = arg;

	j->done_on_loop_thread = pthread_equal(pthread_self(), j->loop_thread);
	j->status = status;
	j->done_calls++;
	if (j->ndone)
		(*j->ndone)++;
}

static void test_inline_mode(void **state)
{
	struct workers *w = workers_new(NULL, 0);
	struct job j = { .loop_thread = pthread_self(), .value = 7 };

	(void)state;
	assert_non_null(w);
	assert_int_equal(workers_threads(w), 0);
	assert_int_equal(workers_submit(w, job_work, job_done, &j), 0);
	/* both already ran, on this thread */
	assert_int_equal(j.done_calls, 1);
	assert_int_equal(j.result, 49);
	assert_false(j.work_on_other_thread);
	assert_true(j.done_on_loop_thread);
	assert_int_equal(workers_pending(w), 0);
	workers_free(w);
}

static void test_threaded_mode(void **state)
{
	enum { N = 500 };
	struct loop *l = loop_new();
	struct workers *w = workers_new(l, 2);
	struct job *jobs = calloc(N, sizeof(*jobs));
	int ndone = 0;

	(void)state;
	assert_non_null(w);
	assert_null(workers_new(NULL, 2));	/* threads need a loop */
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct job){ .loop_thread = pthread_self(), .value = (unsigned)i,
					.ndone = &ndone };
		assert_int_equal(workers_submit(w, job_work, job_done, &jobs[i]), 0);
	}
	for (int i = 0; i < 2000 && ndone < N; i++)
		loop_once(l, 100);
	assert_int_equal(ndone, N);
	assert_int_equal(workers_pending(w), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].status, 0);
		assert_int_equal(jobs[i].done_calls, 1);
		assert_int_equal(jobs[i].result, (unsigned)i * (unsigned)i);
		assert_true(jobs[i].work_on_other_thread);
		assert_true(jobs[i].done_on_loop_thread);
	}
	workers_free(w);
	loop_free(l);
	free(jobs);
}

static void test_queue_bound(void **state)
{
	struct loop *l = loop_new();
	struct workers *w = workers_new(l, 1);
	struct job *jobs = calloc(WORKERS_QUEUE_MAX + 1, sizeof(*jobs));
	atomic_int gate = 0;
	int ndone = 0;

	(void)state;
	for (int i = 0; i <= WORKERS_QUEUE_MAX; i++)
		jobs[i] = (struct job){ .loop_thread = pthread_self(), .gate = &gate,
					.ndone = &ndone };
	for (int i = 0; i < WORKERS_QUEUE_MAX; i++)
		assert_int_equal(workers_submit(w, job_work, job_done, &jobs[i]), 0);
	assert_int_equal(workers_submit(w, job_work, job_done, &jobs[WORKERS_QUEUE_MAX]),
			 -EAGAIN);
	assert_int_equal(jobs[WORKERS_QUEUE_MAX].done_calls, 0);
	assert_int_equal(workers_pending(w), WORKERS_QUEUE_MAX);
	atomic_store(&gate, 1);
	for (int i = 0; i < 5000 && ndone < WORKERS_QUEUE_MAX; i++)
		loop_once(l, 100);
	assert_int_equal(ndone, WORKERS_QUEUE_MAX);
	workers_free(w);
	loop_free(l);
	free(jobs);
}

/* Shutdown with jobs queued, running and finished-but-undelivered: every
 * job gets exactly one done(), the undelivered ones with -ECANCELED. */
static void test_free_cancels(void **state)
{
	enum { N = 50 };
	struct loop *l = loop_new();
	struct workers *w = workers_new(l, 2);
	struct job jobs[N];
	atomic_int gate = 0;
	int ndone = 0, ncancel = 0;

	(void)state;
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct job){ .loop_thread = pthread_self(), .ndone = &ndone,
					.gate = i < 10 ? NULL : &gate };
		assert_int_equal(workers_submit(w, job_work, job_done, &jobs[i]), 0);
	}
	usleep(20000);		/* let the first ones finish (undelivered) */
	atomic_store(&gate, 1);
	workers_free(w);
	for (int i = 0; i < N; i++) {
		assert_int_equal(jobs[i].done_calls, 1);
		ncancel += jobs[i].status == -ECANCELED;
	}
	assert_int_equal(ndone, N);
	assert_true(ncancel > 0);
	/* the post the pool had queued was withdrawn: nothing runs now */
	loop_once(l, 10);
	assert_int_equal(ndone, N);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_mode),
		cmocka_unit_test(test_threaded_mode),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_free_cancels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
