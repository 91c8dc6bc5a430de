/*
 * Wiring the replicator to the event loop: "batch until the loop turns"
 * is a loop_post() of sync_flush(), queued once per turn by the kick.
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

void sync_attach_loop(struct sync *s, struct loop *l)
{
	s->kick_loop = l;
	sync_set_kick(s, sync_loop_kick, s);
}

void sync_detach_loop(struct sync *s)
{
	if (!s->kick_loop)
		return;
	loop_post_cancel(s->kick_loop, sync_loop_flush, s);
	sync_set_kick(s, NULL, NULL);
	s->kick_loop = NULL;
}
