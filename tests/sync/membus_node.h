/*
 * One hiked node on the in-memory CPG bus (sync/transport_mem.c), as the
 * cluster tests and fuzz_sync build it: a world of ../exchange/harness.h
 * with fake datapath ops, sa_sync's replicator and sync_ops, and sync on
 * the bus.  Header-only, like harness.h; include it after harness.h.
 */
#ifndef HIKE_TESTS_MEMBUS_NODE_H
#define HIKE_TESTS_MEMBUS_NODE_H

#include "esp_counters.h"
#include "sa/sa_sync.h"
#include "sync.h"
#include "takeover.h"

struct mb_spec {
	const char *yaml;
	const struct child_sa_ops *dp;
	void *ctx;			/* the caller's node: dp's, net's */
	struct takeover_net net;
	const struct esp_counters_hooks *hooks;		/* NULL: none */
	struct sync_conf sc;		/* cluster, group, priority, chunks */
	/* replaces sa_sync's switchover upcall when set */
	void (*switchover)(void *ctx, uint32_t from, uint32_t to);
};

/* takeover_net callbacks for nodes whose VIPs nobody looks at. */
static inline int mb_vip_noop(void *ctx, const char *dev, int family,
			      const void *a, uint8_t plen)
{
	(void)ctx; (void)dev; (void)family; (void)a; (void)plen;
	return 0;
}

static inline int mb_announce_noop(void *ctx, const char *dev, int family,
				   const void *a)
{
	(void)ctx; (void)dev; (void)family; (void)a;
	return 0;
}

/* Start node id on bus: *w, *ss and the transport (NULL on failure,
 * whatever was made is freed by mb_node_stop). */
static inline struct sync_transport *mb_node_start(struct world **w,
						   struct sa_sync **ss,
						   struct sync_membus *bus,
						   uint32_t id,
						   const struct mb_spec *sp)
{
	struct sync_conf sc = sp->sc;
	struct sync_transport *t;

	*ss = NULL;
	*w = world_new(sp->yaml);
	if (!*w)
		return NULL;
	(*w)->rnd = 42 + id;
	sa_set_child_ops(&(*w)->h, sp->dp, sp->ctx);
	*ss = sa_sync_new(&(*w)->h, &sp->net, sp->hooks);
	if (!*ss)
		return NULL;
	sa_sync_fill_ops(*ss, &sc.ops);
	if (sp->switchover)
		sc.ops.switchover = sp->switchover;
	t = sync_transport_mem_new(bus, id);
	if (!t)
		return NULL;
	(*w)->h.sync = sync_new(&(*w)->h, t, &sc);
	if (!(*w)->h.sync) {
		sync_transport_free(t);	/* sync_free would have */
		return NULL;
	}
	return t;
}

static inline void mb_node_stop(struct world *w, struct sa_sync *ss)
{
	if (w) {
		sync_free(w->h.sync);
		w->h.sync = NULL;
	}
	sa_sync_free(ss);
	world_free(w);
}

#endif
