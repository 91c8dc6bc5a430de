/*
 * The receive half of the replicator.  Every envelope is size-checked,
 * unpacked, validated and de-duplicated before it reaches the batch
 * applier, the role election or the snapshot code; our own envelopes
 * coming back complete the frames in flight (replicate before reply).
 */
#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "sync_int.h"

/* Our own envelope seq came back: every frame up to it is replicated. */
static void sync_rx_self(struct sync *s, uint64_t seq)
{
	struct sync_frame *f;

	while ((f = s->flight) && f->seq <= seq) {
		s->flight = f->next;
		if (!s->flight)
			s->flight_tail = &s->flight;
		sync_frame_free(f, 0);
	}
	if (s->pend || sync_snap_tx_busy(s))
		sync_poke(s);
}

static void sync_apply_records(struct sync *s, const ProtobufCBinaryData *recs,
			       size_t n, uint32_t from)
{
	for (size_t i = 0; i < n; i++) {
		HikeSync__Record *r = sync_record_unpack(recs[i].data, recs[i].len);

		if (!r) {
			sync_drop(s, SYNC_DROP_BAD_RECORD, from);
			continue;
		}
		s->stats.rx_records++;
		if (s->conf.ops.apply && s->conf.ops.apply(s->conf.ops.ctx, r))
			s->stats.apply_errors++;
		else
			s->stats.applied++;
		sync_record_free(r);
	}
}

void sync_apply_chunk(struct sync *s, const ProtobufCBinaryData *recs,
		      size_t n, uint32_t from)
{
	sync_apply_records(s, recs, n, from);
}

/* A standby applies the active's batches; a joiner only once its
 * snapshot from that active has begun (earlier ones are in it). */
static void sync_rx_batch(struct sync *s, uint32_t from,
			  const HikeSync__Batch *b)
{
	bool syncing_from = s->srx.running && s->srx.from == from;

	if (from != s->active ||
	    (s->state != SYNC_MEMBER_IN_SYNC && !syncing_from)) {
		sync_drop(s, SYNC_DROP_NOT_ACTIVE, from);
		return;
	}
	sync_apply_records(s, b->records, b->n_records, from);
}

static void sync_rx_body(struct sync *s, uint32_t from,
			 const HikeSync__Envelope *e)
{
	switch (e->body_case) {
	case HIKE_SYNC__ENVELOPE__BODY_BATCH:
		if (from != s->nodeid)
			sync_rx_batch(s, from, e->batch);
		break;
	case HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_BEGIN:
	case HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_CHUNK:
	case HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_END:
		sync_snap_rx(s, from, e);
		break;
	case HIKE_SYNC__ENVELOPE__BODY_ROLE_ANNOUNCE:
		sync_roles_rx_announce(s, from, e->role_announce);
		break;
	case HIKE_SYNC__ENVELOPE__BODY_SWITCHOVER_REQUEST:
		sync_roles_rx_switchover(s, from, e->switchover_request);
		break;
	default:
		break;
	}
}

static void sync_env_free(HikeSync__Envelope *e)
{
	/* batches and chunks carry keys: wipe the unpacked copies */
	const HikeSync__Batch *b = e->body_case == HIKE_SYNC__ENVELOPE__BODY_BATCH ?
				   e->batch : NULL;
	const HikeSync__SnapshotChunk *c =
		e->body_case == HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_CHUNK ?
		e->snapshot_chunk : NULL;

	for (size_t i = 0; b && i < b->n_records; i++)
		explicit_bzero(b->records[i].data, b->records[i].len);
	for (size_t i = 0; c && i < c->n_records; i++)
		explicit_bzero(c->records[i].data, c->records[i].len);
	hike_sync__envelope__free_unpacked(e, NULL);
}

void sync_rx(void *ctx, uint32_t nodeid, uint32_t pid, const void *buf,
	     size_t len)
{
	struct sync *s = ctx;
	HikeSync__Envelope *e;
	struct sync_member *m;
	enum sync_drop why;

	(void)pid;
	s->stats.rx_msgs++;
	if (len > SYNC_MAX_MSG) {
		sync_drop(s, SYNC_DROP_TOO_BIG, nodeid);
		return;
	}
	e = hike_sync__envelope__unpack(NULL, len, buf);
	if (!e) {
		sync_drop(s, SYNC_DROP_MALFORMED, nodeid);
		return;
	}
	if (sync_env_validate(s, e, nodeid, &why)) {
		sync_drop(s, why, nodeid);
	} else if (!(m = sync_member_find(s, nodeid))) {
		sync_drop(s, SYNC_DROP_NOT_MEMBER, nodeid);
	} else if (e->seq <= m->last_seq) {
		sync_drop(s, SYNC_DROP_DUPLICATE, nodeid);
	} else {
		m->last_seq = e->seq;
		m->last_rx_ms = sync_mono_ms();
		if (e->generation > s->generation)
			s->generation = e->generation;
		if (nodeid == s->nodeid)
			sync_rx_self(s, e->seq);
		sync_rx_body(s, nodeid, e);
	}
	sync_env_free(e);
}
