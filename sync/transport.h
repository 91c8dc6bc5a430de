/*
 * The group-communication seam of sync/: what the replicator needs from
 * corosync CPG, and nothing more, so that tests can run 2-3 nodes in one
 * process over an in-memory bus (transport_mem.c) and the daemon runs
 * over libcpg (transport_cpg.c).
 *
 * Guarantees every implementation gives (those of CPG with agreed order):
 *  - every member, the sender included, receives every message multicast
 *    in the group, in the same total order;
 *  - configuration changes are delivered at the same point of that stream
 *    to every member that is in both the old and the new configuration;
 *  - a message sent in one configuration is delivered before the next
 *    configuration change (virtual synchrony).
 *
 * Upcalls run from dispatch (or, for the memory bus, from the pump), on
 * the loop thread.  An upcall may call mcast again.
 */
#ifndef HIKE_SYNC_TRANSPORT_H
#define HIKE_SYNC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNC_MAX_MEMBERS 32

struct sync_transport;

struct sync_transport_upcalls {
	/* One message, in agreed order. */
	void (*deliver)(void *ctx, uint32_t nodeid, uint32_t pid,
			const void *buf, size_t len);
	/* A configuration change: the new member list and who joined/left. */
	void (*confchg)(void *ctx, const uint32_t *members, size_t nmembers,
			const uint32_t *joined, size_t njoined,
			const uint32_t *left, size_t nleft);
	/* Quorum of this node changed (votequorum). */
	void (*quorum)(void *ctx, bool quorate);
	/* mcast returned -EAGAIN earlier; retrying may now succeed. */
	void (*ready)(void *ctx);
	void *ctx;
};

struct sync_transport_ops {
	int (*join)(struct sync_transport *t, const char *group);
	int (*leave)(struct sync_transport *t);
	/* 0, -EAGAIN under flow control (nothing sent: retry later, after
	 * the ready upcall), or another -errno. */
	int (*mcast)(struct sync_transport *t, const void *buf, size_t len);
	/* The fd to poll for dispatch, or -1 (memory bus: tests pump). */
	int (*fd)(struct sync_transport *t);
	/* Run pending upcalls.  0 or -errno. */
	int (*dispatch)(struct sync_transport *t);
	uint32_t (*nodeid)(struct sync_transport *t);
	void (*free)(struct sync_transport *t);
};

struct sync_transport {
	const struct sync_transport_ops *ops;
	struct sync_transport_upcalls up;
};

static inline void sync_transport_set_upcalls(struct sync_transport *t,
		const struct sync_transport_upcalls *up)
{
	t->up = *up;
}

static inline int sync_transport_join(struct sync_transport *t, const char *group)
{
	return t->ops->join(t, group);
}

static inline int sync_transport_leave(struct sync_transport *t)
{
	return t->ops->leave(t);
}

static inline int sync_transport_mcast(struct sync_transport *t,
				       const void *buf, size_t len)
{
	return t->ops->mcast(t, buf, len);
}

static inline uint32_t sync_transport_nodeid(struct sync_transport *t)
{
	return t->ops->nodeid(t);
}

static inline void sync_transport_free(struct sync_transport *t)
{
	if (t)
		t->ops->free(t);
}

/* ---- the in-memory bus (transport_mem.c), for tests ---- */

struct sync_membus;

struct sync_membus *sync_membus_new(void);
/* Frees the bus; its transports must have been freed first. */
void sync_membus_free(struct sync_membus *b);
/* A transport for node nodeid (unique on the bus, != 0). */
struct sync_transport *sync_transport_mem_new(struct sync_membus *b,
					      uint32_t nodeid);

/* Deliver one queued event; returns 1 if one was delivered, else 0. */
int sync_membus_step(struct sync_membus *b);
/* Deliver until the queue is empty (upcalls may queue more); returns the
 * number of events delivered, or -ELOOP after max_events. */
int sync_membus_pump(struct sync_membus *b, int max_events);

/* Partition: the listed (joined) nodes form a new partition, cut off from
 * the others; both sides get a configuration change. */
int sync_membus_split(struct sync_membus *b, const uint32_t *nodes, size_t n);
/* Heal every partition: one configuration change to all joined nodes. */
int sync_membus_merge(struct sync_membus *b);
/* The node dies (corosync kill -9): the others see it leave; it gets no
 * further upcalls.  Its messages not yet delivered are lost. */
int sync_membus_crash(struct sync_membus *b, uint32_t nodeid);
/* Flow control: the node's next n mcasts return -EAGAIN; when the count
 * runs out, a ready upcall is queued for it. */
void sync_membus_set_eagain(struct sync_membus *b, uint32_t nodeid, unsigned n);
/* The quorum upcall, queued for the node. */
void sync_membus_set_quorum(struct sync_membus *b, uint32_t nodeid, bool quorate);
/* Queue raw bytes for delivery to one node as if sent by `from`. */
int sync_membus_inject(struct sync_membus *b, uint32_t to, uint32_t from,
		       const void *buf, size_t len);
/* Messages multicast on the bus so far (to measure batching). */
uint64_t sync_membus_mcasts(const struct sync_membus *b);

/* ---- libcpg (transport_cpg.c) ---- */

struct loop;
/* Registers the CPG and votequorum fds with the loop; retries after
 * CS_ERR_TRY_AGAIN on a loop timer.  NULL on error (errno set). */
struct sync_transport *sync_transport_cpg_new(struct loop *l);

#endif
