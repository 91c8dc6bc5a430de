/*
 * Worker threads for CPU-heavy jobs (Diffie-Hellman, signatures) so the
 * loop thread never stalls on them.  work() runs on a worker thread and
 * must touch only its own arg; done() runs later on the loop thread and
 * may touch daemon state.
 *
 * With nthreads == 0 the pool is inline: workers_submit() runs work() and
 * then done() before it returns.  Exchange tests use this to stay
 * deterministic and single-threaded.
 */
#ifndef HIKE_CORE_WORKERS_H
#define HIKE_CORE_WORKERS_H

#include <stddef.h>

struct loop;
struct workers;

typedef void (*workers_work_fn)(void *arg);
/* status: 0 after work() ran; -ECANCELED when the pool was freed first
 * (work() may or may not have run): then only release arg. */
typedef void (*workers_done_fn)(void *arg, int status);

/* Jobs queued or running beyond this are refused with -EAGAIN: under a
 * flood the responder sheds load (cookies) instead of queueing forever. */
#define WORKERS_QUEUE_MAX 8192

/* loop may be NULL only when nthreads == 0. */
struct workers *workers_new(struct loop *l, unsigned nthreads);
/* Threads finish the job they hold and exit; every job whose done() has
 * not run gets done(arg, -ECANCELED) on the calling thread.  NULL ok. */
void workers_free(struct workers *w);

/* 0, -EAGAIN (queue full) or -ENOMEM.  On error nothing is called. */
int workers_submit(struct workers *w, workers_work_fn work,
		   workers_done_fn done, void *arg);

/* Jobs submitted whose done() has not run yet. */
size_t workers_pending(const struct workers *w);
unsigned workers_threads(const struct workers *w);

#endif
