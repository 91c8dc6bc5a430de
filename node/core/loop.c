/*
 * Event loop: epoll + one timerfd (timer heap) + signalfd + eventfd (posts).
 */
#include "core/loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#define LOOP_NSIG	65
#define LOOP_BATCH	64
#define TIMER_IDLE	SIZE_MAX	/* heap index of a timer that is not armed */

struct loop_timer {
	struct loop *lt_loop;
	uint64_t lt_due;		/* loop clock, ms */
	uint64_t lt_seq;		/* arm order: ties fire first-armed first */
	size_t lt_idx;			/* position in the heap or TIMER_IDLE */
	loop_timer_cb lt_cb;
	void *lt_arg;
};

struct loop_fdent {
	loop_fd_cb cb;			/* NULL: slot free */
	void *arg;
};

struct loop_post_ent {
	struct loop_post_ent *next;
	loop_post_cb cb;
	void *arg;
};

struct loop {
	int epfd, tfd, sfd, efd;
	bool stop;
	/* fds, indexed by fd number: callbacks look their slot up at dispatch,
	 * so a deletion inside the same epoll batch is seen. */
	struct loop_fdent *fds;
	size_t nfds;
	/* timers */
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	size_t ntimers;			/* live timers: the heap has room for all */
	uint64_t timer_seq;
	uint64_t tfd_due;		/* what the timerfd is set to, 0 = disarmed */
	loop_clock_fn clock;
	void *clock_ctx;
	loop_pace_fn pace;
	void *pace_ctx;
	/* signals */
	sigset_t sigmask;
	struct { loop_signal_cb cb; void *arg; } sig[LOOP_NSIG];
	/* posts from other threads */
	pthread_mutex_t post_mu;
	struct loop_post_ent *post_head, **post_tail;
};

static uint64_t loop_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t loop_now_ms(const struct loop *l)
{
	if (l && l->clock)
		return l->clock(l->clock_ctx);
	return loop_mono_ms();
}

void loop_set_clock(struct loop *l, loop_clock_fn now_ms, void *ctx)
{
	l->clock = now_ms;
	l->clock_ctx = ctx;
	l->tfd_due = UINT64_MAX;	/* force the timerfd to be re-programmed */
}

void loop_set_pace(struct loop *l, loop_pace_fn pace, void *ctx)
{
	l->pace = pace;
	l->pace_ctx = ctx;
}

/* --- timer heap ------------------------------------------------------ */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->lt_due < b->lt_due || (a->lt_due == b->lt_due && a->lt_seq < b->lt_seq);
}

static void heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->lt_idx = i;
}

static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(t, l->heap[parent]))
			break;
		heap_place(l, i, l->heap[parent]);
		i = parent;
	}
	heap_place(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_place(l, i, l->heap[c]);
		i = c;
	}
	heap_place(l, i, t);
}

static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->lt_idx;
	struct loop_timer *last = l->heap[--l->heap_len];

	t->lt_idx = TIMER_IDLE;
	if (last == t)
		return;
	heap_place(l, i, last);
	if (i > 0 && timer_before(last, l->heap[(i - 1) / 2]))
		heap_up(l, i);
	else
		heap_down(l, i);
}

/* Grow the heap so arming never fails: a slot is reserved per timer at
 * loop_timer_new, so arm/stop need no allocation and cannot fail. */
static int heap_reserve(struct loop *l, size_t ntimers)
{
	struct loop_timer **nh;
	size_t cap;

	if (ntimers <= l->heap_cap)
		return 0;
	cap = l->heap_cap ? l->heap_cap * 2 : 64;
	while (cap < ntimers)
		cap *= 2;
	nh = realloc(l->heap, cap * sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	l->heap = nh;
	l->heap_cap = cap;
	return 0;
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t;

	if (heap_reserve(l, l->ntimers + 1) < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	l->ntimers++;
	t->lt_loop = l;
	t->lt_idx = TIMER_IDLE;
	t->lt_cb = cb;
	t->lt_arg = arg;
	return t;
}

void loop_timer_arm(struct loop_timer *t, uint64_t after_ms)
{
	struct loop *l = t->lt_loop;

	if (t->lt_idx != TIMER_IDLE)
		heap_remove(l, t);
	t->lt_due = loop_now_ms(l) + after_ms;
	t->lt_seq = l->timer_seq++;
	/* room is guaranteed: loop_timer_new reserved a slot per timer */
	heap_place(l, l->heap_len++, t);
	heap_up(l, t->lt_idx);
}

void loop_timer_stop(struct loop_timer *t)
{
	if (t && t->lt_idx != TIMER_IDLE)
		heap_remove(t->lt_loop, t);
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t && t->lt_idx != TIMER_IDLE;
}

uint64_t loop_timer_remaining(const struct loop_timer *t)
{
	uint64_t now;

	if (!loop_timer_armed(t))
		return 0;
	now = loop_now_ms(t->lt_loop);
	return t->lt_due > now ? t->lt_due - now : 0;
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	loop_timer_stop(t);
	t->lt_loop->ntimers--;
	free(t);
}

size_t loop_timers_armed(const struct loop *l)
{
	return l->heap_len;
}

/* Fire what is due now.  Timers armed from a callback with a zero delay
 * wait for the next iteration (seq limit), so a callback that re-arms
 * itself cannot starve the loop. */
static int loop_fire_timers(struct loop *l)
{
	uint64_t now = loop_now_ms(l), seq_limit = l->timer_seq;
	int n = 0;

	while (l->heap_len > 0) {
		struct loop_timer *t = l->heap[0];

		if (t->lt_due > now || t->lt_seq >= seq_limit)
			break;
		heap_remove(l, t);
		t->lt_cb(t->lt_arg);
		n++;
	}
	return n;
}

/* Program the timerfd for the earliest timer; skipped when unchanged so a
 * burst of arms costs one syscall per iteration, not one per arm. */
static void loop_program_timerfd(struct loop *l)
{
	struct itimerspec its = { 0 };
	uint64_t due = l->heap_len ? l->heap[0]->lt_due : 0;

	if (l->clock)
		due = 0;	/* fake clock: loop_once's timeout paces us */
	if (due == l->tfd_due)
		return;
	if (due) {
		/* a timerfd value of 0 disarms: due times are >= 1 ms */
		its.it_value.tv_sec = (time_t)(due / 1000);
		its.it_value.tv_nsec = (long)(due % 1000) * 1000000L;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		l->tfd_due = due;
}

/* --- file descriptors ------------------------------------------------ */

static int loop_fd_slot(struct loop *l, int fd)
{
	struct loop_fdent *nf;
	size_t n;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd < l->nfds)
		return 0;
	n = l->nfds ? l->nfds : 64;
	while (n <= (size_t)fd)
		n *= 2;
	nf = realloc(l->fds, n * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	memset(nf + l->nfds, 0, (n - l->nfds) * sizeof(*nf));
	l->fds = nf;
	l->nfds = n;
	return 0;
}

int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	int rc = loop_fd_slot(l, fd);

	if (rc < 0)
		return rc;
	if (l->fds[fd].cb)
		return -EEXIST;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->fds[fd].cb = cb;
	l->fds[fd].arg = arg;
	return 0;
}

int loop_fd_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].cb)
		return -ENOENT;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].cb)
		return -ENOENT;
	l->fds[fd].cb = NULL;
	l->fds[fd].arg = NULL;
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

/* --- signals --------------------------------------------------------- */

int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg)
{
	if (signo <= 0 || signo >= LOOP_NSIG)
		return -EINVAL;
	sigaddset(&l->sigmask, signo);
	if (pthread_sigmask(SIG_BLOCK, &l->sigmask, NULL) != 0)
		return -EINVAL;
	if (signalfd(l->sfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC) < 0)
		return -errno;
	l->sig[signo].cb = cb;
	l->sig[signo].arg = arg;
	return 0;
}

static void loop_on_signal(void *arg, int fd, uint32_t events)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo < LOOP_NSIG && l->sig[si.ssi_signo].cb)
			l->sig[si.ssi_signo].cb(l->sig[si.ssi_signo].arg, (int)si.ssi_signo);
	}
}

/* --- posts from other threads ---------------------------------------- */

int loop_post(struct loop *l, loop_post_cb cb, void *arg)
{
	struct loop_post_ent *e = malloc(sizeof(*e));
	uint64_t one = 1;
	bool was_empty;

	if (!e)
		return -ENOMEM;
	e->next = NULL;
	e->cb = cb;
	e->arg = arg;
	pthread_mutex_lock(&l->post_mu);
	was_empty = l->post_head == NULL;
	*l->post_tail = e;
	l->post_tail = &e->next;
	pthread_mutex_unlock(&l->post_mu);
	/* one wakeup per batch: the reader drains the whole list */
	if (was_empty && write(l->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int loop_post_cancel(struct loop *l, loop_post_cb cb, void *arg)
{
	struct loop_post_ent **pp, *e;
	int n = 0;

	pthread_mutex_lock(&l->post_mu);
	for (pp = &l->post_head; (e = *pp) != NULL;) {
		if (e->cb == cb && e->arg == arg) {
			*pp = e->next;
			free(e);
			n++;
		} else {
			pp = &e->next;
		}
	}
	l->post_tail = pp;
	pthread_mutex_unlock(&l->post_mu);
	return n;
}

static struct loop_post_ent *loop_take_posts(struct loop *l)
{
	struct loop_post_ent *list;

	pthread_mutex_lock(&l->post_mu);
	list = l->post_head;
	l->post_head = NULL;
	l->post_tail = &l->post_head;
	pthread_mutex_unlock(&l->post_mu);
	return list;
}

static void loop_on_post(void *arg, int fd, uint32_t events)
{
	struct loop *l = arg;
	struct loop_post_ent *e, *next;
	uint64_t v;

	(void)events;
	/* read first: a post racing with us re-signals and is seen next time */
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	for (e = loop_take_posts(l); e; e = next) {
		next = e->next;
		e->cb(e->arg);
		free(e);
	}
}

static void loop_on_timerfd(void *arg, int fd, uint32_t events)
{
	uint64_t expirations;

	(void)arg;
	(void)events;
	/* the heap is checked after every epoll batch anyway */
	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
}

/* --- lifecycle ------------------------------------------------------- */

static int loop_open_fds(struct loop *l)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->sfd = signalfd(-1, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd < 0 || l->tfd < 0 || l->sfd < 0 || l->efd < 0)
		return -errno;
	if (loop_fd_add(l, l->tfd, EPOLLIN, loop_on_timerfd, l) < 0 ||
	    loop_fd_add(l, l->sfd, EPOLLIN, loop_on_signal, l) < 0 ||
	    loop_fd_add(l, l->efd, EPOLLIN, loop_on_post, l) < 0)
		return -ENOMEM;
	return 0;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = l->tfd = l->sfd = l->efd = -1;
	sigemptyset(&l->sigmask);
	pthread_mutex_init(&l->post_mu, NULL);
	l->post_tail = &l->post_head;
	if (loop_open_fds(l) < 0) {
		loop_free(l);
		return NULL;
	}
	return l;
}

static void loop_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

void loop_free(struct loop *l)
{
	struct loop_post_ent *e, *next;

	if (!l)
		return;
	for (e = loop_take_posts(l); e; e = next) {
		next = e->next;
		free(e);
	}
	loop_close(l->epfd);
	loop_close(l->tfd);
	loop_close(l->sfd);
	loop_close(l->efd);
	pthread_mutex_destroy(&l->post_mu);
	free(l->fds);
	free(l->heap);
	free(l);
}

int loop_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n, ran = 0;

	loop_program_timerfd(l);
	n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		/* looked up now: an earlier callback may have deleted it */
		if ((size_t)fd >= l->nfds || !l->fds[fd].cb)
			continue;
		l->fds[fd].cb(l->fds[fd].arg, fd, evs[i].events);
		ran += fd != l->tfd;	/* count the caller's callbacks only */
	}
	return ran + loop_fire_timers(l);
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int rc = loop_once(l, -1);
		uint32_t us;

		if (rc < 0)
			return rc;
		us = l->pace && !l->stop ? l->pace(l->pace_ctx) : 0;
		if (us) {	/* signals wait in the signalfd meanwhile */
			struct timespec ts = { (time_t)(us / 1000000),
					       (long)(us % 1000000) * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
