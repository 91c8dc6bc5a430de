/*
 * An in-memory stand-in for corosync CPG, shared by 2-3 nodes in one
 * test process.
 *
 * One global FIFO of events gives the agreed total order: a multicast
 * is queued once with the list of its recipients (the sender's partition
 * at send time, the sender included) and a configuration change is
 * queued at the point where it happens, so every member sees messages and
 * configuration changes in the same order.  Nothing is delivered until
 * the test calls sync_membus_step() or sync_membus_pump().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

enum mem_ev_kind { MEM_EV_MSG, MEM_EV_CONFCHG, MEM_EV_QUORUM, MEM_EV_READY };

struct mem_ev {
	struct mem_ev *next;
	enum mem_ev_kind kind;
	uint32_t to[SYNC_MAX_MEMBERS];
	size_t nto;
	uint32_t from;		/* MSG */
	bool quorate;		/* QUORUM */
	uint32_t members[SYNC_MAX_MEMBERS], joined[SYNC_MAX_MEMBERS],
		 left[SYNC_MAX_MEMBERS];
	size_t nmembers, njoined, nleft;
	size_t len;
	uint8_t buf[];		/* MSG payload */
};

struct mem_node {
	struct sync_transport t;
	struct sync_membus *bus;
	uint32_t nodeid;
	bool joined;
	int part;		/* partition number while joined */
	unsigned eagain;	/* mcasts still to refuse */
};

struct sync_membus {
	struct mem_node *nodes[SYNC_MAX_MEMBERS];
	size_t nnodes;
	struct mem_ev *head, *tail;
	int next_part;
	uint64_t mcasts;
};

static struct mem_node *mem_node_of(struct sync_transport *t)
{
	return (struct mem_node *)t;	/* t is the first member */
}

static struct mem_node *mem_find(struct sync_membus *b, uint32_t nodeid)
{
	for (size_t i = 0; i < b->nnodes; i++)
		if (b->nodes[i]->nodeid == nodeid)
			return b->nodes[i];
	return NULL;
}

static void mem_enqueue(struct sync_membus *b, struct mem_ev *ev)
{
	ev->next = NULL;
	if (b->tail)
		b->tail->next = ev;
	else
		b->head = ev;
	b->tail = ev;
}

static struct mem_ev *mem_ev_new(enum mem_ev_kind kind, size_t len)
{
	struct mem_ev *ev = calloc(1, sizeof(*ev) + len);

	if (ev)
		ev->kind = kind;
	return ev;
}

/* Joined members of partition part, in node id order. */
static size_t mem_part_members(struct sync_membus *b, int part, uint32_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nnodes; i++) {
		struct mem_node *m = b->nodes[i];
		size_t j;

		if (!m->joined || m->part != part)
			continue;
		for (j = n; j > 0 && out[j - 1] > m->nodeid; j--)
			out[j] = out[j - 1];
		out[j] = m->nodeid;
		n++;
	}
	return n;
}

static bool mem_in(const uint32_t *set, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == id)
			return true;
	return false;
}

/* Queue a configuration change to partition part: old is the member
 * list that partition's members had before. */
static int mem_confchg(struct sync_membus *b, int part, const uint32_t *old,
		       size_t nold)
{
	struct mem_ev *ev = mem_ev_new(MEM_EV_CONFCHG, 0);

	if (!ev)
		return -ENOMEM;
	ev->nmembers = mem_part_members(b, part, ev->members);
	for (size_t i = 0; i < ev->nmembers; i++)
		if (!mem_in(old, nold, ev->members[i]))
			ev->joined[ev->njoined++] = ev->members[i];
	for (size_t i = 0; i < nold; i++)
		if (!mem_in(ev->members, ev->nmembers, old[i]))
			ev->left[ev->nleft++] = old[i];
	memcpy(ev->to, ev->members, sizeof(ev->members));
	ev->nto = ev->nmembers;
	mem_enqueue(b, ev);
	return 0;
}

static int mem_join(struct sync_transport *t, const char *group)
{
	struct mem_node *m = mem_node_of(t);
	uint32_t old[SYNC_MAX_MEMBERS];
	size_t nold;

	(void)group;
	if (m->joined)
		return -EALREADY;
	nold = mem_part_members(m->bus, 0, old);
	m->joined = true;
	m->part = 0;
	return mem_confchg(m->bus, 0, old, nold);
}

/* Forget queued messages from a crashed node (never delivered anywhere)
 * and every event still queued for it. */
static void mem_purge(struct sync_membus *b, uint32_t nodeid)
{
	struct mem_ev **pp = &b->head, *ev;

	b->tail = NULL;
	while ((ev = *pp)) {
		size_t k = 0;

		for (size_t i = 0; i < ev->nto; i++)
			if (ev->to[i] != nodeid)
				ev->to[k++] = ev->to[i];
		ev->nto = k;
		if ((ev->kind == MEM_EV_MSG && ev->from == nodeid) || !k) {
			*pp = ev->next;
			free(ev);
			continue;
		}
		b->tail = ev;
		pp = &ev->next;
	}
}

static int mem_remove(struct mem_node *m, bool crash)
{
	uint32_t old[SYNC_MAX_MEMBERS];
	size_t nold;

	if (!m->joined)
		return -ENOTCONN;
	nold = mem_part_members(m->bus, m->part, old);
	m->joined = false;
	if (crash)
		mem_purge(m->bus, m->nodeid);
	return mem_confchg(m->bus, m->part, old, nold);
}

static int mem_leave(struct sync_transport *t)
{
	return mem_remove(mem_node_of(t), false);
}

static int mem_mcast(struct sync_transport *t, const void *buf, size_t len)
{
	struct mem_node *m = mem_node_of(t);
	struct mem_ev *ev;

	if (!m->joined)
		return -ENOTCONN;
	if (m->eagain) {
		if (--m->eagain == 0) {
			ev = mem_ev_new(MEM_EV_READY, 0);
			if (!ev)
				return -ENOMEM;
			ev->to[ev->nto++] = m->nodeid;
			mem_enqueue(m->bus, ev);
		}
		return -EAGAIN;
	}
	ev = mem_ev_new(MEM_EV_MSG, len);
	if (!ev)
		return -ENOMEM;
	ev->from = m->nodeid;
	ev->len = len;
	memcpy(ev->buf, buf, len);
	ev->nto = mem_part_members(m->bus, m->part, ev->to);
	mem_enqueue(m->bus, ev);
	m->bus->mcasts++;
	return 0;
}

static int mem_fd(struct sync_transport *t)
{
	(void)t;
	return -1;
}

static int mem_dispatch(struct sync_transport *t)
{
	(void)t;
	return 0;
}

static uint32_t mem_nodeid(struct sync_transport *t)
{
	return mem_node_of(t)->nodeid;
}

static void mem_free(struct sync_transport *t)
{
	struct mem_node *m = mem_node_of(t);
	struct sync_membus *b = m->bus;
	size_t k = 0;

	if (m->joined)
		mem_remove(m, true);
	mem_purge(b, m->nodeid);
	for (size_t i = 0; i < b->nnodes; i++)
		if (b->nodes[i] != m)
			b->nodes[k++] = b->nodes[i];
	b->nnodes = k;
	free(m);
}

static const struct sync_transport_ops mem_ops = {
	.join = mem_join,
	.leave = mem_leave,
	.mcast = mem_mcast,
	.fd = mem_fd,
	.dispatch = mem_dispatch,
	.nodeid = mem_nodeid,
	.free = mem_free,
};

struct sync_membus *sync_membus_new(void)
{
	return calloc(1, sizeof(struct sync_membus));
}

void sync_membus_free(struct sync_membus *b)
{
	struct mem_ev *ev;

	if (!b)
		return;
	while ((ev = b->head)) {
		b->head = ev->next;
		free(ev);
	}
	free(b);
}

struct sync_transport *sync_transport_mem_new(struct sync_membus *b,
					      uint32_t nodeid)
{
	struct mem_node *m;

	if (!nodeid || b->nnodes == SYNC_MAX_MEMBERS || mem_find(b, nodeid)) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->t.ops = &mem_ops;
	m->bus = b;
	m->nodeid = nodeid;
	b->nodes[b->nnodes++] = m;
	return &m->t;
}

static void mem_deliver(struct mem_ev *ev, struct mem_node *m)
{
	const struct sync_transport_upcalls *up = &m->t.up;

	switch (ev->kind) {
	case MEM_EV_MSG:
		if (up->deliver)
			up->deliver(up->ctx, ev->from, 1000 + ev->from,
				    ev->buf, ev->len);
		break;
	case MEM_EV_CONFCHG:
		if (up->confchg)
			up->confchg(up->ctx, ev->members, ev->nmembers,
				    ev->joined, ev->njoined, ev->left, ev->nleft);
		break;
	case MEM_EV_QUORUM:
		if (up->quorum)
			up->quorum(up->ctx, ev->quorate);
		break;
	case MEM_EV_READY:
		if (up->ready)
			up->ready(up->ctx);
		break;
	}
}

int sync_membus_step(struct sync_membus *b)
{
	struct mem_ev *ev = b->head;

	if (!ev)
		return 0;
	b->head = ev->next;
	if (!b->head)
		b->tail = NULL;
	for (size_t i = 0; i < ev->nto; i++) {
		struct mem_node *m = mem_find(b, ev->to[i]);

		/* a node that left gets nothing more (but a quorum or ready
		 * event reaches it whether joined or not) */
		if (m && (m->joined || ev->kind == MEM_EV_QUORUM ||
			  ev->kind == MEM_EV_READY))
			mem_deliver(ev, m);
	}
	free(ev);
	return 1;
}

int sync_membus_pump(struct sync_membus *b, int max_events)
{
	int n = 0;

	while (sync_membus_step(b))
		if (++n >= max_events)
			return -ELOOP;
	return n;
}

int sync_membus_split(struct sync_membus *b, const uint32_t *nodes, size_t n)
{
	uint32_t old[SYNC_MAX_MEMBERS];
	size_t nold;
	int part, newpart = ++b->next_part, rc;
	struct mem_node *first = n ? mem_find(b, nodes[0]) : NULL;

	if (!first || !first->joined)
		return -EINVAL;
	part = first->part;
	for (size_t i = 0; i < n; i++) {
		struct mem_node *m = mem_find(b, nodes[i]);

		if (!m || !m->joined || m->part != part)
			return -EINVAL;
	}
	nold = mem_part_members(b, part, old);
	for (size_t i = 0; i < n; i++)
		mem_find(b, nodes[i])->part = newpart;
	rc = mem_confchg(b, part, old, nold);
	if (rc == 0)
		rc = mem_confchg(b, newpart, old, nold);
	return rc;
}

int sync_membus_merge(struct sync_membus *b)
{
	uint32_t old[SYNC_MAX_MEMBERS][SYNC_MAX_MEMBERS];
	size_t nold[SYNC_MAX_MEMBERS];
	int parts[SYNC_MAX_MEMBERS];
	size_t nparts = 0;

	for (size_t i = 0; i < b->nnodes; i++) {
		struct mem_node *m = b->nodes[i];
		size_t p;

		if (!m->joined)
			continue;
		for (p = 0; p < nparts && parts[p] != m->part; p++)
			;
		if (p == nparts) {
			parts[nparts] = m->part;
			nold[nparts] = mem_part_members(b, m->part, old[nparts]);
			nparts++;
		}
	}
	if (nparts < 2)
		return 0;
	for (size_t i = 0; i < b->nnodes; i++)
		b->nodes[i]->part = 0;
	for (size_t p = 0; p < nparts; p++) {
		int rc = mem_confchg(b, 0, old[p], nold[p]);

		if (rc)
			return rc;
		/* this change is for the members of old partition p only */
		b->tail->nto = nold[p];
		memcpy(b->tail->to, old[p], sizeof(old[p]));
	}
	return 0;
}

int sync_membus_crash(struct sync_membus *b, uint32_t nodeid)
{
	struct mem_node *m = mem_find(b, nodeid);

	return m ? mem_remove(m, true) : -ENOENT;
}

void sync_membus_set_eagain(struct sync_membus *b, uint32_t nodeid, unsigned n)
{
	struct mem_node *m = mem_find(b, nodeid);

	if (m)
		m->eagain = n;
}

void sync_membus_set_quorum(struct sync_membus *b, uint32_t nodeid, bool quorate)
{
	struct mem_ev *ev = mem_ev_new(MEM_EV_QUORUM, 0);

	if (!ev)
		return;
	ev->quorate = quorate;
	ev->to[ev->nto++] = nodeid;
	mem_enqueue(b, ev);
}

int sync_membus_inject(struct sync_membus *b, uint32_t to, uint32_t from,
		       const void *buf, size_t len)
{
	struct mem_ev *ev = mem_ev_new(MEM_EV_MSG, len);

	if (!ev)
		return -ENOMEM;
	ev->from = from;
	ev->len = len;
	if (len)
		memcpy(ev->buf, buf, len);
	ev->to[ev->nto++] = to;
	mem_enqueue(b, ev);
	return 0;
}

uint64_t sync_membus_mcasts(const struct sync_membus *b)
{
	return b->mcasts;
}
