/*
 * Bulk resync of joiners (DESIGN.md "Cluster roles"): the active sends
 * SnapshotBegin(generation, targets), chunks of records from the SA
 * layer's iterator, and SnapshotEnd(chunks, records).
 *
 * Consistency: a chunk is built only when none of our envelopes is in
 * flight, so every update sent before it has been committed and is in
 * it; updates sent after it reach the joiner as batches (it applies the
 * active's batches from Begin on, as upserts).  Generations are fresh
 * per snapshot: envelopes of an older one are ignored.  A configuration
 * change with a joiner or a lost target restarts the snapshot (new
 * generation) after the next election; a lost active leaves the joiners
 * syncing until the new active starts one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sync_int.h"

bool sync_snap_tx_busy(const struct sync *s)
{
	return s->stx.running && !s->stx.end_sent;
}

void sync_snap_stop_tx(struct sync *s)
{
	const struct sync_ops *o = &s->conf.ops;

	if (s->stx.it && o->snap_close)
		o->snap_close(o->ctx, s->stx.it);
	s->stx = (struct sync_snap_tx){ 0 };
}

static int sync_snap_begin(struct sync *s)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__SnapshotBegin b = HIKE_SYNC__SNAPSHOT_BEGIN__INIT;
	const struct sync_ops *o = &s->conf.ops;
	int rc;

	s->generation++;
	s->stx.running = true;
	s->stx.generation = s->generation;
	b.has_generation = true;
	b.generation = s->generation;
	b.n_targets = s->stx.ntargets;
	b.targets = s->stx.targets;
	env.body_case = HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_BEGIN;
	env.snapshot_begin = &b;
	rc = sync_send_env(s, &env);
	if (rc) {
		s->stx.running = false;
		return rc;
	}
	s->stx.it = o->snap_open ? o->snap_open(o->ctx) : NULL;
	s->stats.snapshots_sent++;
	sync_log(s, LOG_INFO_, "snapshot %llu to %zu node(s)",
		 (unsigned long long)s->generation, s->stx.ntargets);
	sync_poke(s);
	return 0;
}

void sync_snap_check(struct sync *s)
{
	if (!s->is_active || s->stx.running)
		return;
	s->stx.ntargets = 0;
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct sync_member *m = &s->members[i];

		if (m->nodeid != s->nodeid && m->state == SYNC_MEMBER_SYNCING &&
		    !m->awaiting)
			s->stx.targets[s->stx.ntargets++] = m->nodeid;
	}
	if (s->stx.ntargets)
		sync_snap_begin(s);
}

void sync_snap_confchg(struct sync *s, size_t njoined)
{
	bool lost = false;

	if (s->sseen.from && !sync_member_find(s, s->sseen.from))
		s->sseen = (struct sync_snap_seen){ 0 };
	if (!s->stx.running)
		return;
	for (size_t i = 0; i < s->stx.ntargets; i++)
		if (!sync_member_find(s, s->stx.targets[i]))
			lost = true;
	if (njoined || lost || !s->is_active)
		sync_snap_stop_tx(s);	/* the next election restarts it */
}

static int sync_snap_fill(struct sync *s, HikeSync__SnapshotChunk *c,
			  uint8_t *buf, ProtobufCBinaryData *recs)
{
	const struct sync_ops *o = &s->conf.ops;
	size_t used = 0;

	while (s->stx.it && c->n_records < s->conf.chunk_records &&
	       used + SYNC_MAX_RECORD <= SYNC_MAX_MSG - 4096) {
		ssize_t n = o->snap_next(o->ctx, s->stx.it, buf + used,
					 SYNC_MAX_RECORD);

		if (n < 0)
			return (int)n;
		if (n == 0) {
			o->snap_close(o->ctx, s->stx.it);
			s->stx.it = NULL;
			break;
		}
		recs[c->n_records].data = buf + used;
		recs[c->n_records++].len = (size_t)n;
		used += (size_t)n;
	}
	return 0;
}

static int sync_snap_end(struct sync *s)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__SnapshotEnd e = HIKE_SYNC__SNAPSHOT_END__INIT;

	e.has_generation = e.has_chunks = e.has_records = true;
	e.generation = s->stx.generation;
	e.chunks = s->stx.chunks;
	e.records = s->stx.records;
	env.body_case = HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_END;
	env.snapshot_end = &e;
	s->stx.end_sent = true;
	return sync_send_env(s, &env);
}

/* Queue the next chunk (and the End after the last). */
int sync_snap_pump(struct sync *s)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__SnapshotChunk c = HIKE_SYNC__SNAPSHOT_CHUNK__INIT;
	size_t max = s->conf.chunk_records;
	ProtobufCBinaryData *recs = calloc(max, sizeof(*recs));
	uint8_t *buf = malloc(SYNC_MAX_MSG);
	int rc = -ENOMEM;

	if (!recs || !buf)
		goto out;
	rc = sync_snap_fill(s, &c, buf, recs);
	if (rc == 0 && c.n_records) {
		c.has_generation = c.has_index = true;
		c.generation = s->stx.generation;
		c.index = s->stx.chunks;
		c.records = recs;
		env.body_case = HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_CHUNK;
		env.snapshot_chunk = &c;
		rc = sync_send_env(s, &env);
		if (rc == 0) {
			s->stx.chunks++;
			s->stx.records += c.n_records;
		}
	}
	if (rc == 0 && !s->stx.it)
		rc = sync_snap_end(s);
out:
	if (rc) {
		sync_log(s, LOG_ERR_, "snapshot: %d, stopped", rc);
		sync_snap_stop_tx(s);
	}
	if (buf)
		explicit_bzero(buf, SYNC_MAX_MSG);
	free(buf);
	free(recs);
	return rc;
}

/* ------------------------------------------------------------ receive */

static void sync_snap_rx_begin(struct sync *s, uint32_t from,
			       const HikeSync__SnapshotBegin *b)
{
	const struct sync_ops *o = &s->conf.ops;

	s->sseen.generation = b->generation;
	s->sseen.from = from;
	s->sseen.ntargets = 0;
	for (size_t i = 0; i < b->n_targets; i++) {
		struct sync_member *m = sync_member_find(s, b->targets[i]);

		s->sseen.targets[s->sseen.ntargets++] = b->targets[i];
		if (m)
			m->state = SYNC_MEMBER_SYNCING;
	}
	if (!sync_in_set(b->targets, b->n_targets, s->nodeid))
		return;
	s->state = SYNC_MEMBER_SYNCING;
	s->srx = (struct sync_snap_rx){ .running = true, .from = from,
					.generation = b->generation };
	if (o->snap_reset)
		o->snap_reset(o->ctx);
}

static void sync_snap_rx_chunk(struct sync *s, uint32_t from,
			       const HikeSync__SnapshotChunk *c)
{
	if (c->index != s->srx.next_index) {
		sync_drop(s, SYNC_DROP_STALE_SNAPSHOT, from);
		s->srx.failed = true;
		return;
	}
	s->srx.next_index++;
	s->srx.records += c->n_records;
	s->stats.snapshot_records_rx += c->n_records;
	sync_apply_chunk(s, c->records, c->n_records, from);
}

static void sync_snap_rx_end(struct sync *s, uint32_t from,
			     const HikeSync__SnapshotEnd *e)
{
	bool mine = s->srx.running && s->srx.from == from &&
		    s->srx.generation == e->generation;

	for (size_t i = 0; i < s->sseen.ntargets; i++) {
		struct sync_member *m = sync_member_find(s, s->sseen.targets[i]);

		if (m)
			m->awaiting = true;	/* until its announce */
	}
	if (from == s->nodeid && s->stx.running &&
	    s->stx.generation == e->generation)
		sync_snap_stop_tx(s);
	if (!mine)
		return;
	s->srx.running = false;
	if (!s->srx.failed && s->srx.next_index == e->chunks &&
	    s->srx.records == e->records) {
		s->state = SYNC_MEMBER_IN_SYNC;
		s->lineage = from;
		s->stats.snapshots_done++;
		sync_log(s, LOG_INFO_, "in sync: snapshot %llu, %llu records",
			 (unsigned long long)e->generation,
			 (unsigned long long)e->records);
	} else {
		sync_log(s, LOG_WARN_, "snapshot %llu incomplete, asking again",
			 (unsigned long long)e->generation);
	}
	sync_roles_announce(s);
}

void sync_snap_rx(struct sync *s, uint32_t from, const HikeSync__Envelope *e)
{
	bool begin = e->body_case == HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_BEGIN;

	if (from != s->active) {
		sync_drop(s, SYNC_DROP_NOT_ACTIVE, from);
		return;
	}
	if (begin) {
		sync_snap_rx_begin(s, from, e->snapshot_begin);
		return;
	}
	if (e->generation != s->sseen.generation || from != s->sseen.from) {
		sync_drop(s, SYNC_DROP_STALE_SNAPSHOT, from);
		return;
	}
	if (e->body_case == HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_END)
		sync_snap_rx_end(s, from, e->snapshot_end);
	else if (s->srx.running && s->srx.generation == e->generation)
		sync_snap_rx_chunk(s, from, e->snapshot_chunk);
}
