/*
 * The event loop: epoll for file descriptors, one timerfd driving a timer
 * heap, signalfd for signals.  Single-threaded; every callback runs on the
 * loop's thread.  Heavy work (Diffie-Hellman) goes to a worker pool whose
 * completions come back through loop_post() (an eventfd), so the loop
 * itself never blocks.
 */
#ifndef HIKE_CORE_LOOP_H
#define HIKE_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);
typedef void (*loop_signal_cb)(void *arg, int signo);
typedef void (*loop_post_cb)(void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Monotonic time in milliseconds. */
uint64_t loop_now_ms(const struct loop *l);

/* events: EPOLLIN / EPOLLOUT.  0 or -errno. */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_fd_mod(struct loop *l, int fd, uint32_t events);
int loop_fd_del(struct loop *l, int fd);

/* One-shot timers; a timer may be re-armed from its own callback. */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *arg);
void loop_timer_arm(struct loop_timer *t, uint64_t after_ms);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

int loop_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg);

/* Thread-safe: run cb(arg) on the loop thread soon. */
int loop_post(struct loop *l, loop_post_cb cb, void *arg);

/* Run until loop_stop(); returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Run one iteration, waiting at most timeout_ms (tests drive loops by hand). */
int loop_once(struct loop *l, int timeout_ms);

#endif
