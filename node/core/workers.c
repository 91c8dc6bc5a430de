/*
 * Worker pool: a mutex-protected FIFO of jobs feeds the threads; finished
 * jobs go to a second FIFO that the loop thread drains through one
 * loop_post() per batch.
 */
#include "core/workers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/loop.h"

struct workers_job {
	struct workers_job *next;
	workers_work_fn work;
	workers_done_fn done;
	void *arg;
};

struct workers_fifo {
	struct workers_job *head, **tail;
};

struct workers {
	struct loop *w_loop;
	unsigned w_nthreads;
	pthread_t *w_threads;
	pthread_mutex_t w_mu;
	pthread_cond_t w_cond;
	struct workers_fifo w_todo, w_done;
	size_t w_pending;		/* submitted, done() not yet run */
	bool w_stopping;
	bool w_post_queued;		/* a loop_post for w_done is in flight */
};

static void fifo_init(struct workers_fifo *f)
{
	f->head = NULL;
	f->tail = &f->head;
}

static void fifo_push(struct workers_fifo *f, struct workers_job *j)
{
	j->next = NULL;
	*f->tail = j;
	f->tail = &j->next;
}

static struct workers_job *fifo_pop(struct workers_fifo *f)
{
	struct workers_job *j = f->head;

	if (j) {
		f->head = j->next;
		if (!f->head)
			f->tail = &f->head;
	}
	return j;
}

static struct workers_job *fifo_take_all(struct workers_fifo *f)
{
	struct workers_job *j = f->head;

	fifo_init(f);
	return j;
}

/* Loop thread: run done() for everything finished so far. */
static void workers_deliver(void *arg)
{
	struct workers *w = arg;
	struct workers_job *j, *next;
	size_t n = 0;

	pthread_mutex_lock(&w->w_mu);
	j = fifo_take_all(&w->w_done);
	w->w_post_queued = false;
	pthread_mutex_unlock(&w->w_mu);
	for (; j; j = next, n++) {
		next = j->next;
		j->done(j->arg, 0);
		free(j);
	}
	pthread_mutex_lock(&w->w_mu);
	w->w_pending -= n;
	pthread_mutex_unlock(&w->w_mu);
}

static void *workers_thread(void *arg)
{
	struct workers *w = arg;
	struct workers_job *j;
	bool post;

	pthread_mutex_lock(&w->w_mu);
	for (;;) {
		while (!w->w_stopping && !w->w_todo.head)
			pthread_cond_wait(&w->w_cond, &w->w_mu);
		if (w->w_stopping)
			break;
		j = fifo_pop(&w->w_todo);
		pthread_mutex_unlock(&w->w_mu);
		j->work(j->arg);
		pthread_mutex_lock(&w->w_mu);
		fifo_push(&w->w_done, j);
		post = !w->w_post_queued;
		w->w_post_queued = true;
		/* one post per batch; a failed post is retried by the next job */
		if (post && loop_post(w->w_loop, workers_deliver, w) < 0)
			w->w_post_queued = false;
	}
	pthread_mutex_unlock(&w->w_mu);
	return NULL;
}

static int workers_start(struct workers *w)
{
	sigset_t all, old;
	int rc = 0;

	w->w_threads = calloc(w->w_nthreads, sizeof(*w->w_threads));
	if (!w->w_threads)
		return -ENOMEM;
	/* signals belong to the loop's signalfd, never to a worker */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < w->w_nthreads; i++) {
		rc = -pthread_create(&w->w_threads[i], NULL, workers_thread, w);
		if (rc < 0) {
			w->w_nthreads = i;	/* join only those that started */
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct workers *workers_new(struct loop *l, unsigned nthreads)
{
	struct workers *w;

	if (!l && nthreads > 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->w_loop = l;
	w->w_nthreads = nthreads;
	pthread_mutex_init(&w->w_mu, NULL);
	pthread_cond_init(&w->w_cond, NULL);
	fifo_init(&w->w_todo);
	fifo_init(&w->w_done);
	if (nthreads > 0 && workers_start(w) < 0) {
		workers_free(w);
		return NULL;
	}
	return w;
}

static void workers_cancel_list(struct workers_job *j)
{
	struct workers_job *next;

	for (; j; j = next) {
		next = j->next;
		j->done(j->arg, -ECANCELED);
		free(j);
	}
}

void workers_free(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->w_mu);
	w->w_stopping = true;
	pthread_cond_broadcast(&w->w_cond);
	pthread_mutex_unlock(&w->w_mu);
	for (unsigned i = 0; i < w->w_nthreads; i++)
		pthread_join(w->w_threads[i], NULL);
	/* threads are gone: no lock needed, and no post may outlive w */
	if (w->w_post_queued)
		loop_post_cancel(w->w_loop, workers_deliver, w);
	workers_cancel_list(fifo_take_all(&w->w_todo));
	workers_cancel_list(fifo_take_all(&w->w_done));
	pthread_cond_destroy(&w->w_cond);
	pthread_mutex_destroy(&w->w_mu);
	free(w->w_threads);
	free(w);
}

int workers_submit(struct workers *w, workers_work_fn work,
		   workers_done_fn done, void *arg)
{
	struct workers_job *j;

	if (w->w_nthreads == 0) {
		work(arg);
		done(arg, 0);
		return 0;
	}
	j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->w_mu);
	if (w->w_pending >= WORKERS_QUEUE_MAX || w->w_stopping) {
		pthread_mutex_unlock(&w->w_mu);
		free(j);
		return -EAGAIN;
	}
	w->w_pending++;
	fifo_push(&w->w_todo, j);
	pthread_cond_signal(&w->w_cond);
	pthread_mutex_unlock(&w->w_mu);
	return 0;
}

size_t workers_pending(const struct workers *w)
{
	struct workers *mw = (struct workers *)w;	/* lock only */
	size_t n;

	pthread_mutex_lock(&mw->w_mu);
	n = w->w_pending;
	pthread_mutex_unlock(&mw->w_mu);
	return n;
}

unsigned workers_threads(const struct workers *w)
{
	return w->w_nthreads;
}
