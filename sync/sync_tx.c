/*
 * The send half of the replicator: submitted records -> pending ->
 * packed into envelopes (outq) -> multicast (flight).  sync_rx.c moves a
 * frame out of flight, and calls its records' callbacks, when the
 * envelope comes back to us in agreed order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sync_int.h"

/* ---------------------------------------------------------------- send */

static void rec_free(struct sync_rec *r)
{
	explicit_bzero(r->buf, r->len);		/* records carry keys */
	free(r);
}

void sync_frame_free(struct sync_frame *f, int status)
{
	struct sync_rec *r;

	while ((r = f->recs)) {
		f->recs = r->next;
		if (r->cb)
			r->cb(r->arg, status);
		rec_free(r);
	}
	if (f->buf)
		explicit_bzero(f->buf, f->len);
	free(f->buf);
	free(f);
}

static void frame_append(struct sync_frame ***tail, struct sync_frame *f)
{
	f->next = NULL;
	**tail = f;
	*tail = &f->next;
}

static int sync_queue_env(struct sync *s, HikeSync__Envelope *env,
			  struct sync_frame **out)
{
	struct sync_frame *f;
	size_t len;

	sync_env_init(s, env, s->seq + 1);
	len = hike_sync__envelope__get_packed_size(env);
	if (len > SYNC_MAX_MSG)
		return -EMSGSIZE;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->buf = malloc(len ? len : 1);
	if (!f->buf) {
		free(f);
		return -ENOMEM;
	}
	f->len = hike_sync__envelope__pack(env, f->buf);
	f->seq = ++s->seq;
	frame_append(&s->outq_tail, f);
	if (out)
		*out = f;
	return 0;
}

int sync_send_env(struct sync *s, HikeSync__Envelope *env)
{
	return sync_queue_env(s, env, NULL);
}

/* Take up to batch_max pending records (and batch_bytes) into a frame. */
static int sync_pack_batch(struct sync *s)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__Batch batch = HIKE_SYNC__BATCH__INIT;
	ProtobufCBinaryData recs[SYNC_MAX_RECORDS];
	struct sync_rec *r = s->pend, *last = NULL;
	struct sync_frame *f;
	size_t n = 0, bytes = 0;
	int rc;

	while (r && n < s->conf.batch_max &&
	       (n == 0 || bytes + r->len + 8 <= s->conf.batch_bytes)) {
		recs[n].data = r->buf;
		recs[n++].len = r->len;
		bytes += r->len + 8;
		last = r;
		r = r->next;
	}
	if (!n)
		return 0;
	batch.n_records = n;
	batch.records = recs;
	env.body_case = HIKE_SYNC__ENVELOPE__BODY_BATCH;
	env.batch = &batch;
	rc = sync_queue_env(s, &env, &f);
	if (rc)
		return rc;
	f->recs = s->pend;		/* the frame owns pend .. last now */
	s->pend = last->next;
	last->next = NULL;
	if (!s->pend)
		s->pend_tail = &s->pend;
	s->npend -= n;
	s->stats.tx_batches++;
	s->stats.tx_records += n;
	return 0;
}

/* Multicast queued frames until the transport pushes back. */
static void sync_send_queued(struct sync *s)
{
	struct sync_frame *f;

	while ((f = s->outq)) {
		int rc = sync_transport_mcast(s->t, f->buf, f->len);

		if (rc == -EAGAIN) {
			s->stats.tx_eagain++;
			return;		/* the ready upcall brings us back */
		}
		s->outq = f->next;
		if (!s->outq)
			s->outq_tail = &s->outq;
		if (rc) {
			sync_log(s, LOG_ERR_, "mcast: %s", strerror(-rc));
			sync_frame_free(f, rc);
			continue;
		}
		s->stats.tx_msgs++;
		s->stats.tx_bytes += f->len;
		frame_append(&s->flight_tail, f);
	}
}

bool sync_idle(const struct sync *s)
{
	return !s->outq && !s->flight;
}

void sync_flush(struct sync *s)
{
	if (s->in_flush)
		return;
	s->in_flush = true;
	s->kicked = false;
	if (sync_snap_tx_busy(s)) {
		/* A chunk must reflect every update sent before it: send one
		 * only when nothing is in flight, then one batch after it. */
		if (sync_idle(s) && sync_snap_pump(s) == 0)
			sync_pack_batch(s);
	} else if (!s->outq && (!s->flight || s->npend >= s->conf.batch_max)) {
		/* One frame in flight at a time (until batch_max records
		 * wait): what comes in meanwhile rides in the next frame, sent
		 * when this one comes back (sync_rx_self pokes us).  Under
		 * load many handshakes share one corosync message, which is
		 * what replication costs; idle, nothing waits. */
		while (s->pend && sync_pack_batch(s) == 0)
			;
	}
	sync_send_queued(s);
	s->in_flush = false;
}

static void sync_kick(struct sync *s)
{
	if (s->kick && !s->kicked) {
		s->kicked = true;
		s->kick(s->kick_ctx);
	}
}

int sync_submit(struct sync *s, const void *record, size_t len,
		sync_done_cb cb, void *arg)
{
	struct sync_rec *r;

	if (!len || len > SYNC_MAX_RECORD)
		return -EMSGSIZE;
	r = malloc(sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	r->next = NULL;
	r->cb = cb;
	r->arg = arg;
	r->queued_ms = sync_mono_ms();
	r->len = len;
	memcpy(r->buf, record, len);
	*s->pend_tail = r;
	s->pend_tail = &r->next;
	s->npend++;
	if (s->npend >= s->conf.batch_max && !sync_snap_tx_busy(s))
		sync_flush(s);
	else
		sync_kick(s);
	return 0;
}

int sync_submit_record(struct sync *s, const HikeSync__Record *rec,
		       sync_done_cb cb, void *arg)
{
	size_t len = hike_sync__record__get_packed_size(rec);
	uint8_t *buf;
	int rc;

	if (!len || len > SYNC_MAX_RECORD)
		return -EMSGSIZE;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	hike_sync__record__pack(rec, buf);
	rc = sync_submit(s, buf, len, cb, arg);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

void sync_set_kick(struct sync *s, void (*kick)(void *ctx), void *ctx)
{
	s->kick = kick;
	s->kick_ctx = ctx;
}

void sync_poke(struct sync *s)
{
	if (s->kick)
		sync_kick(s);
	else
		sync_flush(s);
}

static void sync_frames_cancel(struct sync_frame *f)
{
	while (f) {
		struct sync_frame *next = f->next;

		sync_frame_free(f, -ECANCELED);
		f = next;
	}
}

void sync_tx_cancel(struct sync *s)
{
	struct sync_rec *r;

	sync_frames_cancel(s->flight);
	sync_frames_cancel(s->outq);
	s->flight = s->outq = NULL;
	s->flight_tail = &s->flight;
	s->outq_tail = &s->outq;
	while ((r = s->pend)) {
		s->pend = r->next;
		if (r->cb)
			r->cb(r->arg, -ECANCELED);
		rec_free(r);
	}
	s->pend_tail = &s->pend;
	s->npend = 0;
}
