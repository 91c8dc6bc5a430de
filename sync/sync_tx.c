/*
 * The send half of the replicator: submitted records -> pending ->
 * packed into envelopes (outq) -> multicast (flight).  sync_rx.c moves a
 * frame out of flight, and calls its records' callbacks, when the
 * envelope comes back to us in agreed order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "core/hike.h"
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

/* The group starting at r: its record count and bytes (framing
 * included). */
static size_t group_size(const struct sync_rec *r, size_t *bytes)
{
	size_t n = 0;

	*bytes = 0;
	for (; r; r = r->next) {
		n++;
		*bytes += r->len + 8;
		if (!r->glue)
			break;
	}
	return n;
}

/* Take up to batch_max pending records (and batch_bytes) into a frame;
 * a group is never split (sync_submitv), so one may exceed both. */
static int sync_pack_batch(struct sync *s)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__Batch batch = HIKE_SYNC__BATCH__INIT;
	ProtobufCBinaryData recs[SYNC_MAX_RECORDS];
	struct sync_rec *r = s->pend, *last = NULL;
	struct sync_frame *f;
	size_t n = 0, bytes = 0, g, gbytes;
	int rc;

	while (r) {
		g = group_size(r, &gbytes);
		if (n + g > SYNC_MAX_RECORDS ||
		    (n && (n + g > s->conf.batch_max ||
			   bytes + gbytes > s->conf.batch_bytes)))
			break;
		for (; g; g--) {
			recs[n].data = r->buf;
			recs[n++].len = r->len;
			last = r;
			r = r->next;
		}
		bytes += gbytes;
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
	s->batch_sent = true;
	s->last_batch_us = s->now_us(s->clock_ctx);
	s->window_due = false;
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

/* The batch window in microseconds: 0 without a timer to come back. */
static uint64_t sync_window(const struct sync *s)
{
	if (!s->timer_arm)
		return 0;
	if (s->delay_us >= 0)
		return (uint64_t)s->delay_us;
	return s->h && s->h->conf ? s->h->conf->sync.batch_delay_us : 0;
}

/* May the pending records leave now?  One frame in flight at a time
 * (until batch_max records wait): what comes in meanwhile rides in the
 * next frame, sent when this one comes back (sync_rx_self pokes us).
 * Then the batch window: the next frame leaves D after the previous one
 * (the timer brings us back), at once when the last left longer ago. */
static bool sync_batch_ready(struct sync *s)
{
	uint64_t d, since;

	if (s->npend >= s->conf.batch_max)
		return true;
	if (s->flight)
		return false;
	d = sync_window(s);
	if (!d || !s->batch_sent || s->window_due)
		return true;
	since = s->now_us(s->clock_ctx) - s->last_batch_us;
	if (since >= d)
		return true;
	if (!s->timer_pending) {
		s->timer_pending = true;
		s->stats.tx_held++;
		s->timer_arm(s->timer_ctx, d - since);
	}
	return false;
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
	} else if (!s->outq && s->pend && sync_batch_ready(s)) {
		/* Under load many handshakes share one corosync message,
		 * which is what replication costs; idle, nothing waits. */
		while (s->pend && sync_pack_batch(s) == 0)
			;
	}
	sync_send_queued(s);
	s->in_flush = false;
}

void sync_timer_fired(struct sync *s)
{
	s->timer_pending = false;
	if (!s->pend)
		return;
	s->window_due = true;
	sync_flush(s);
}

void sync_set_timer(struct sync *s, void (*arm)(void *ctx, uint64_t us),
		    void *ctx)
{
	s->timer_arm = arm;
	s->timer_ctx = ctx;
	s->timer_pending = false;
}

static uint64_t sync_clock_mono_us(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void sync_set_clock(struct sync *s, uint64_t (*now_us)(void *ctx), void *ctx)
{
	s->now_us = now_us ? now_us : sync_clock_mono_us;
	s->clock_ctx = now_us ? ctx : NULL;
}

void sync_set_batch_delay(struct sync *s, int64_t us)
{
	s->delay_us = us;
}

static void sync_kick(struct sync *s)
{
	if (s->kick && !s->kicked) {
		s->kicked = true;
		s->kick(s->kick_ctx);
	}
}

static struct sync_rec *rec_new(const void *record, size_t len)
{
	struct sync_rec *r = malloc(sizeof(*r) + len);

	if (!r)
		return NULL;
	r->next = NULL;
	r->cb = NULL;
	r->arg = NULL;
	r->queued_ms = sync_mono_ms();
	r->glue = false;
	r->len = len;
	memcpy(r->buf, record, len);
	return r;
}

/* Append the chain first .. last (n records) to pend and kick. */
static void sync_enqueue(struct sync *s, struct sync_rec *first,
			 struct sync_rec *last, size_t n)
{
	*s->pend_tail = first;
	s->pend_tail = &last->next;
	s->npend += n;
	if (s->npend >= s->conf.batch_max && !sync_snap_tx_busy(s))
		sync_flush(s);
	else
		sync_kick(s);
}

int sync_submitv(struct sync *s, const struct sync_buf *v, size_t n,
		 sync_done_cb cb, void *arg)
{
	struct sync_rec *first = NULL, **tail = &first, *r = NULL;
	size_t bytes = 0;

	if (!n || n > SYNC_MAX_RECORDS)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].len || v[i].len > SYNC_MAX_RECORD)
			return -EMSGSIZE;
		bytes += v[i].len + 8;
	}
	if (bytes > SYNC_MAX_MSG / 2)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		r = rec_new(v[i].buf, v[i].len);
		if (!r) {
			while ((r = first)) {
				first = r->next;
				rec_free(r);
			}
			return -ENOMEM;
		}
		r->glue = i + 1 < n;
		*tail = r;
		tail = &r->next;
	}
	r->cb = cb;
	r->arg = arg;
	sync_enqueue(s, first, r, n);
	return 0;
}

int sync_submit(struct sync *s, const void *record, size_t len,
		sync_done_cb cb, void *arg)
{
	struct sync_buf b = { record, len };

	return sync_submitv(s, &b, 1, cb, arg);
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
