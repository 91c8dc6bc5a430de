/*
 * The transport over corosync: libcpg (CPG_MODEL_V1, agreed order) for
 * membership and messages, libvotequorum for quorum.  Both handles are
 * dispatched from the event loop (their fds); nothing here blocks.
 *
 * Flow control: cpg_mcast_joined() says CS_ERR_TRY_AGAIN when corosync's
 * queue is full.  We return -EAGAIN (the caller keeps the message queued)
 * and arm a short timer whose expiry is the ready upcall: the caller is
 * never stalled and retries in order.
 *
 * If corosync goes away (dispatch fails), this node reports an empty
 * membership and no quorum, so it stops being active at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>

#include <corosync/cpg.h>
#include <corosync/votequorum.h>

#include "core/loop.h"
#include "transport.h"

#define CPG_RETRY_MS	5

struct cpg_tp {
	struct sync_transport t;
	struct loop *loop;
	cpg_handle_t cpg;
	votequorum_handle_t vq;
	bool has_vq, joined, dead;
	int cpg_fd, vq_fd;
	uint32_t nodeid;
	struct cpg_name group;
	struct loop_timer *retry;
};

static struct cpg_tp *cpg_tp_of(struct sync_transport *t)
{
	return (struct cpg_tp *)t;
}

static struct cpg_tp *cpg_tp_ctx(cpg_handle_t h)
{
	void *ctx = NULL;

	return cpg_context_get(h, &ctx) == CS_OK ? ctx : NULL;
}

static int cs_errno(cs_error_t e)
{
	switch (e) {
	case CS_OK: return 0;
	case CS_ERR_TRY_AGAIN: return -EAGAIN;
	case CS_ERR_NO_MEMORY: return -ENOMEM;
	case CS_ERR_NOT_EXIST: return -ENOENT;
	case CS_ERR_EXIST: return -EEXIST;
	case CS_ERR_TOO_BIG: return -EMSGSIZE;
	case CS_ERR_LIBRARY: return -ECONNREFUSED;
	default: return -EIO;
	}
}

static void cpg_on_deliver(cpg_handle_t h, const struct cpg_name *g,
			   uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	struct cpg_tp *c = cpg_tp_ctx(h);

	(void)g;
	if (c && c->t.up.deliver)
		c->t.up.deliver(c->t.up.ctx, nodeid, pid, msg, len);
}

static size_t cpg_ids(const struct cpg_address *a, size_t n, uint32_t *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < SYNC_MAX_MEMBERS; i++)
		out[k++] = a[i].nodeid;
	return k;
}

static void cpg_on_confchg(cpg_handle_t h, const struct cpg_name *g,
			   const struct cpg_address *m, size_t nm,
			   const struct cpg_address *l, size_t nl,
			   const struct cpg_address *j, size_t nj)
{
	struct cpg_tp *c = cpg_tp_ctx(h);
	uint32_t mem[SYNC_MAX_MEMBERS], left[SYNC_MAX_MEMBERS],
		 joined[SYNC_MAX_MEMBERS];

	(void)g;
	if (!c || !c->t.up.confchg)
		return;
	nm = cpg_ids(m, nm, mem);
	nl = cpg_ids(l, nl, left);
	nj = cpg_ids(j, nj, joined);
	c->t.up.confchg(c->t.up.ctx, mem, nm, joined, nj, left, nl);
}

/* Totem ring changes precede the CPG ones; CPG's are what we act on. */
static void cpg_on_totem(cpg_handle_t h, struct cpg_ring_id ring,
			 uint32_t n, const uint32_t *members)
{
	(void)h;
	(void)ring;
	(void)n;
	(void)members;
}

static void vq_on_quorum(votequorum_handle_t h, uint64_t ctx, uint32_t quorate,
			 uint32_t n, votequorum_node_t nodes[])
{
	void *p = NULL;
	struct cpg_tp *c;

	(void)ctx;
	(void)n;
	(void)nodes;
	if (votequorum_context_get(h, &p) != CS_OK || !(c = p))
		return;
	if (c->t.up.quorum)
		c->t.up.quorum(c->t.up.ctx, quorate != 0);
}

/* corosync is gone: no members, no quorum, no more fds. */
static void cpg_tp_lost(struct cpg_tp *c)
{
	if (c->dead)
		return;
	c->dead = true;
	loop_fd_del(c->loop, c->cpg_fd);
	if (c->has_vq)
		loop_fd_del(c->loop, c->vq_fd);
	if (c->t.up.confchg)
		c->t.up.confchg(c->t.up.ctx, NULL, 0, NULL, 0, NULL, 0);
	if (c->t.up.quorum)
		c->t.up.quorum(c->t.up.ctx, false);
}

static void cpg_fd_cb(void *arg, int fd, uint32_t events)
{
	struct cpg_tp *c = arg;
	cs_error_t e = cpg_dispatch(c->cpg, CS_DISPATCH_ALL);

	(void)fd;
	(void)events;
	if (e != CS_OK && e != CS_ERR_TRY_AGAIN)
		cpg_tp_lost(c);
}

static void vq_fd_cb(void *arg, int fd, uint32_t events)
{
	struct cpg_tp *c = arg;
	cs_error_t e = votequorum_dispatch(c->vq, CS_DISPATCH_ALL);

	(void)fd;
	(void)events;
	if (e != CS_OK && e != CS_ERR_TRY_AGAIN)
		cpg_tp_lost(c);
}

static void cpg_retry_cb(void *arg)
{
	struct cpg_tp *c = arg;

	if (c->t.up.ready)
		c->t.up.ready(c->t.up.ctx);
}

static int cpg_tp_join(struct sync_transport *t, const char *group)
{
	struct cpg_tp *c = cpg_tp_of(t);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	cs_error_t e = CS_ERR_TRY_AGAIN;
	size_t len = strlen(group);

	if (len >= sizeof(c->group.value))
		return -ENAMETOOLONG;
	memcpy(c->group.value, group, len);
	c->group.length = (uint32_t)len;
	/* only at start-up: a bounded wait for corosync's join queue */
	for (int i = 0; i < 50 && e == CS_ERR_TRY_AGAIN; i++) {
		e = cpg_join(c->cpg, &c->group);
		if (e == CS_ERR_TRY_AGAIN)
			nanosleep(&ts, NULL);
	}
	c->joined = e == CS_OK;
	return cs_errno(e);
}

static int cpg_tp_leave(struct sync_transport *t)
{
	struct cpg_tp *c = cpg_tp_of(t);

	if (!c->joined || c->dead)
		return 0;
	c->joined = false;
	return cs_errno(cpg_leave(c->cpg, &c->group));
}

static int cpg_tp_mcast(struct sync_transport *t, const void *buf, size_t len)
{
	struct cpg_tp *c = cpg_tp_of(t);
	struct iovec iov = { (void *)buf, len };
	cs_error_t e;

	if (c->dead || !c->joined)
		return -ENOTCONN;
	e = cpg_mcast_joined(c->cpg, CPG_TYPE_AGREED, &iov, 1);
	if (e == CS_ERR_TRY_AGAIN && !loop_timer_armed(c->retry))
		loop_timer_arm(c->retry, CPG_RETRY_MS);
	return cs_errno(e);
}

static int cpg_tp_fd(struct sync_transport *t)
{
	return cpg_tp_of(t)->cpg_fd;
}

static int cpg_tp_dispatch(struct sync_transport *t)
{
	struct cpg_tp *c = cpg_tp_of(t);

	return c->dead ? -ENOTCONN : cs_errno(cpg_dispatch(c->cpg, CS_DISPATCH_ALL));
}

static uint32_t cpg_tp_nodeid(struct sync_transport *t)
{
	return cpg_tp_of(t)->nodeid;
}

static void cpg_tp_free(struct sync_transport *t)
{
	struct cpg_tp *c = cpg_tp_of(t);

	if (!c->dead) {
		cpg_tp_leave(t);
		loop_fd_del(c->loop, c->cpg_fd);
		if (c->has_vq)
			loop_fd_del(c->loop, c->vq_fd);
	}
	if (c->has_vq)
		votequorum_finalize(c->vq);
	cpg_finalize(c->cpg);
	loop_timer_free(c->retry);
	free(c);
}

static const struct sync_transport_ops cpg_ops = {
	.join = cpg_tp_join,
	.leave = cpg_tp_leave,
	.mcast = cpg_tp_mcast,
	.fd = cpg_tp_fd,
	.dispatch = cpg_tp_dispatch,
	.nodeid = cpg_tp_nodeid,
	.free = cpg_tp_free,
};

/* votequorum is optional (a corosync without it): then always quorate. */
static void cpg_tp_quorum_init(struct cpg_tp *c)
{
	votequorum_callbacks_t cb = { .votequorum_quorum_notify_fn = vq_on_quorum };

	if (votequorum_initialize(&c->vq, &cb) != CS_OK)
		return;
	if (votequorum_context_set(c->vq, c) != CS_OK ||
	    votequorum_fd_get(c->vq, &c->vq_fd) != CS_OK ||
	    votequorum_trackstart(c->vq, 0, CS_TRACK_CURRENT | CS_TRACK_CHANGES) != CS_OK ||
	    loop_fd_add(c->loop, c->vq_fd, EPOLLIN, vq_fd_cb, c) != 0) {
		votequorum_finalize(c->vq);
		return;
	}
	c->has_vq = true;
}

static int cpg_tp_init(struct cpg_tp *c)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = cpg_on_deliver,
		.cpg_confchg_fn = cpg_on_confchg,
		.cpg_totem_confchg_fn = cpg_on_totem,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	unsigned int id = 0;
	cs_error_t e;

	e = cpg_model_initialize(&c->cpg, CPG_MODEL_V1,
				 (cpg_model_data_t *)&model, c);
	if (e != CS_OK)
		return cs_errno(e);
	if ((e = cpg_fd_get(c->cpg, &c->cpg_fd)) != CS_OK ||
	    (e = cpg_local_get(c->cpg, &id)) != CS_OK) {
		cpg_finalize(c->cpg);
		return cs_errno(e);
	}
	c->nodeid = id;
	if (loop_fd_add(c->loop, c->cpg_fd, EPOLLIN, cpg_fd_cb, c)) {
		cpg_finalize(c->cpg);
		return -EIO;
	}
	cpg_tp_quorum_init(c);
	return 0;
}

struct sync_transport *sync_transport_cpg_new(struct loop *l)
{
	struct cpg_tp *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return NULL;
	c->t.ops = &cpg_ops;
	c->loop = l;
	c->retry = loop_timer_new(l, cpg_retry_cb, c);
	rc = c->retry ? cpg_tp_init(c) : -ENOMEM;
	if (rc) {
		loop_timer_free(c->retry);
		free(c);
		errno = -rc;
		return NULL;
	}
	return &c->t;
}
