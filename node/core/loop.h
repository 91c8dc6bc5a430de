/*
 * The event loop: epoll for file descriptors, one timerfd driving a timer
 * heap, signalfd for signals.  Single-threaded; every callback runs on the
 * loop's thread.  Heavy work (Diffie-Hellman) goes to a worker pool whose
 * completions come back through loop_post() (an eventfd), so the loop
 * itself never blocks.
 *
 * Timers live in a binary min-heap and carry their heap index, so arming,
 * re-arming and stopping are O(log n): hundreds of thousands of SAs can each
 * keep a DPD and a rekey timer armed.  Timers with the same due time fire
 * in the order they were armed.
 *
 * Ownership: the caller owns fds and timers; free every timer before the
 * loop.  Posts still queued when the loop is freed are dropped.
 */
#ifndef HIKE_CORE_LOOP_H
#define HIKE_CORE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(void *arg, int signo);
typedef void (*loop_post_cb)(void *arg);
typedef uint64_t (*loop_clock_fn)(void *ctx);
typedef uint32_t (*loop_pace_fn)(void *ctx);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Monotonic time in milliseconds. */
uint64_t loop_now_ms(const struct loop *l);

/* Tests: replace the monotonic clock (NULL restores it).  With a fake
 * clock, loop_once() fires the timers that are due by that clock and never
 * sleeps longer than timeout_ms waiting for them. */
void loop_set_clock(struct loop *l, loop_clock_fn now_ms, void *ctx);

/* Interrupt moderation: after each round of callbacks, loop_run() asks
 * pace() how long to pause (microseconds, 0 = not at all) before it
 * waits for events again, so that a busy datapath finds a larger batch
 * queued at its next wake-up.  NULL removes it.  loop_once() never
 * pauses. */
void loop_set_pace(struct loop *l, loop_pace_fn pace, void *ctx);

/* events: EPOLLIN / EPOLLOUT.  0 or -errno.  An fd may be deleted from
 * any callback, including its own. */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_fd_mod(struct loop *l, int fd, uint32_t events);
int loop_fd_del(struct loop *l, int fd);

/* One-shot timers; a timer may be re-armed, stopped or freed from its own
 * callback.  loop_timer_new returns NULL when out of memory. */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *arg);
void loop_timer_arm(struct loop_timer *t, uint64_t after_ms);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
/* Milliseconds until it fires (0 when due or not armed). */
uint64_t loop_timer_remaining(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);		/* NULL is a no-op */
/* Number of armed timers (hikectl status, tests). */
size_t loop_timers_armed(const struct loop *l);

/* Route signo to cb through the signalfd; blocks it for this thread (call
 * before starting other threads so they inherit the mask). */
int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg);

/* Thread-safe: run cb(arg) on the loop thread soon, in posting order.
 * 0 or -ENOMEM. */
int loop_post(struct loop *l, loop_post_cb cb, void *arg);
/* Loop thread only: drop queued posts matching (cb, arg); returns how
 * many were dropped.  For owners that go away with a post in flight. */
int loop_post_cancel(struct loop *l, loop_post_cb cb, void *arg);

/* Run until loop_stop(); returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Run one iteration, waiting at most timeout_ms (-1 = until something
 * happens); returns the number of callbacks run or -errno. */
int loop_once(struct loop *l, int timeout_ms);

#endif
