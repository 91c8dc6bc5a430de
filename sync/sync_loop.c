/*
 * Wiring the replicator to the event loop: "batch until the loop turns"
 * is a loop_post() of sync_flush(), queued once per turn by the kick; the
 * batch window (sync.h) runs on a loop timer.
 * Kept apart from sync.c so that the in-memory tests link without a loop.
 */
#include "core/loop.h"
#include "sync_int.h"

static void sync_loop_flush(void *arg)
{
	sync_flush(arg);
}

static void sync_loop_kick(void *ctx)
{
	struct sync *s = ctx;

	if (loop_post(s->kick_loop, sync_loop_flush, s))
		sync_flush(s);	/* no memory for the post: flush now */
}

static void sync_loop_window(void *arg)
{
	sync_timer_fired(arg);
}

/* Loop timers count milliseconds: round up (never early by more than
 * the clock's own tick). */
static void sync_loop_arm(void *ctx, uint64_t us)
{
	struct sync *s = ctx;

	loop_timer_arm(s->window_timer, (us + 999) / 1000);
}

void sync_attach_loop(struct sync *s, struct loop *l)
{
	s->kick_loop = l;
	sync_set_kick(s, sync_loop_kick, s);
	s->window_timer = loop_timer_new(l, sync_loop_window, s);
	/* no timer (out of memory): no batch window, batching still works */
	sync_set_timer(s, s->window_timer ? sync_loop_arm : NULL, s);
}

void sync_detach_loop(struct sync *s)
{
	if (!s->kick_loop)
		return;
	loop_post_cancel(s->kick_loop, sync_loop_flush, s);
	sync_set_kick(s, NULL, NULL);
	sync_set_timer(s, NULL, NULL);
	loop_timer_free(s->window_timer);
	s->window_timer = NULL;
	s->kick_loop = NULL;
}
