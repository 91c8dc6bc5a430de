/*
 * The replicator's life cycle and the transport's upcalls: sync_new()
 * joins the CPG group, configuration changes go to the role election and
 * the snapshot code, deliveries to sync_rx.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hike.h"
#include "sync_int.h"

static const char *const drop_names[SYNC_DROP_NREASONS] = {
	[SYNC_DROP_TOO_BIG] = "too-big",
	[SYNC_DROP_MALFORMED] = "malformed",
	[SYNC_DROP_VERSION] = "version",
	[SYNC_DROP_CLUSTER] = "cluster",
	[SYNC_DROP_SENDER] = "sender",
	[SYNC_DROP_NOT_MEMBER] = "not-member",
	[SYNC_DROP_DUPLICATE] = "duplicate",
	[SYNC_DROP_BAD_BODY] = "bad-body",
	[SYNC_DROP_BAD_RECORD] = "bad-record",
	[SYNC_DROP_NOT_ACTIVE] = "not-active",
	[SYNC_DROP_STALE_SNAPSHOT] = "stale-snapshot",
};

const char *sync_drop_name(enum sync_drop d)
{
	return (unsigned)d < SYNC_DROP_NREASONS ? drop_names[d] : "?";
}

void sync_log(struct sync *s, int level, const char *fmt, ...)
{
	va_list ap;
	char line[256];

	if (!s->h)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(&s->h->log, level, "sync: %s", line);
}

void sync_drop(struct sync *s, enum sync_drop why, uint32_t from)
{
	s->stats.dropped[why]++;
	sync_log(s, LOG_DEBUG_, "drop from node %u: %s", from,
		 sync_drop_name(why));
}

struct sync_member *sync_member_find(struct sync *s, uint32_t nodeid)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (s->members[i].nodeid == nodeid)
			return &s->members[i];
	return NULL;
}

static void sync_on_confchg(void *ctx, const uint32_t *members, size_t n,
			    const uint32_t *joined, size_t njoined,
			    const uint32_t *left, size_t nleft)
{
	struct sync *s = ctx;

	(void)joined;
	(void)left;
	s->stats.confchgs++;
	sync_log(s, LOG_INFO_, "membership: %zu member(s), %zu joined, %zu left",
		 n, njoined, nleft);
	sync_roles_confchg(s, members, n);
	sync_snap_confchg(s, njoined);
}

static void sync_on_quorum(void *ctx, bool quorate)
{
	sync_roles_quorum(ctx, quorate);
}

static void sync_on_ready(void *ctx)
{
	sync_flush(ctx);
}

static int sync_conf_copy(struct sync *s, const struct sync_conf *c)
{
	if (!c->cluster || !c->group ||
	    strlen(c->cluster) >= sizeof(s->cluster) ||
	    strlen(c->group) >= sizeof(s->group))
		return -EINVAL;
	strcpy(s->cluster, c->cluster);
	strcpy(s->group, c->group);
	snprintf(s->name, sizeof(s->name), "%s", c->name ? c->name : "");
	s->conf = *c;
	s->conf.cluster = s->cluster;
	s->conf.group = s->group;
	s->conf.name = s->name;
	if (!s->conf.batch_max || s->conf.batch_max > SYNC_MAX_RECORDS)
		s->conf.batch_max = 64;
	if (!s->conf.batch_bytes || s->conf.batch_bytes > SYNC_MAX_MSG / 2)
		s->conf.batch_bytes = 60000;
	if (!s->conf.chunk_records || s->conf.chunk_records > SYNC_MAX_RECORDS)
		s->conf.chunk_records = 64;
	if (c->ops.snap_open && (!c->ops.snap_next || !c->ops.snap_close))
		return -EINVAL;
	return 0;
}

struct sync *sync_new(struct hike *h, struct sync_transport *t,
		      const struct sync_conf *c)
{
	struct sync_transport_upcalls up = {
		.deliver = sync_rx, .confchg = sync_on_confchg,
		.quorum = sync_on_quorum, .ready = sync_on_ready,
	};
	struct sync *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return NULL;
	rc = sync_conf_copy(s, c);
	if (rc) {
		free(s);
		errno = -rc;
		return NULL;
	}
	s->h = h;
	s->t = t;
	s->nodeid = sync_transport_nodeid(t);
	s->pend_tail = &s->pend;
	s->outq_tail = &s->outq;
	s->flight_tail = &s->flight;
	s->delay_us = -1;		/* the configuration's */
	sync_set_clock(s, NULL, NULL);
	s->state = SYNC_MEMBER_SYNCING;
	s->quorate = true;	/* until the quorum service says otherwise */
	up.ctx = s;
	sync_transport_set_upcalls(t, &up);
	rc = sync_transport_join(t, s->group);
	if (rc) {
		free(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

void sync_free(struct sync *s)
{
	if (!s)
		return;
	sync_snap_stop_tx(s);
	sync_transport_leave(s->t);
	sync_tx_cancel(s);
	sync_transport_free(s->t);
	free(s);
}

uint32_t sync_nodeid(const struct sync *s) { return s->nodeid; }
uint32_t sync_active(const struct sync *s) { return s->active; }
bool sync_is_active(const struct sync *s) { return s->is_active; }
bool sync_in_sync(const struct sync *s) { return s->state == SYNC_MEMBER_IN_SYNC; }
bool sync_quorate(const struct sync *s) { return s->quorate; }
uint64_t sync_generation(const struct sync *s) { return s->generation; }
const struct sync_stats *sync_get_stats(const struct sync *s) { return &s->stats; }

size_t sync_pending(const struct sync *s)
{
	size_t n = s->npend;

	for (const struct sync_frame *f = s->outq; f; f = f->next)
		for (const struct sync_rec *r = f->recs; r; r = r->next)
			n++;
	for (const struct sync_frame *f = s->flight; f; f = f->next)
		for (const struct sync_rec *r = f->recs; r; r = r->next)
			n++;
	return n;
}

uint64_t sync_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t sync_pending_age_ms(const struct sync *s)
{
	const struct sync_rec *oldest = NULL;

	/* flight before outq before pend: the first record found is the oldest */
	if (s->flight)
		oldest = s->flight->recs;
	if (!oldest && s->outq)
		oldest = s->outq->recs;
	if (!oldest)
		oldest = s->pend;
	return oldest ? sync_mono_ms() - oldest->queued_ms : 0;
}

int sync_member_info(const struct sync *s, uint32_t nodeid,
		     struct sync_member_info *out)
{
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct sync_member *m = &s->members[i];

		if (m->nodeid != nodeid)
			continue;
		snprintf(out->name, sizeof(out->name), "%s",
			 nodeid == s->nodeid ? s->name : m->name);
		out->priority = nodeid == s->nodeid ? s->conf.priority : m->priority;
		out->last_rx_ms_ago = m->last_rx_ms ? sync_mono_ms() - m->last_rx_ms : UINT64_MAX;
		return 0;
	}
	return -ENOENT;
}

size_t sync_members(const struct sync *s, uint32_t *out, size_t max)
{
	for (size_t i = 0; i < s->nmembers && i < max; i++)
		out[i] = s->members[i].nodeid;
	return s->nmembers;
}

int sync_member_state(const struct sync *s, uint32_t nodeid)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (s->members[i].nodeid == nodeid)
			return s->members[i].state;
	return -ENOENT;
}
