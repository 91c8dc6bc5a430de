/* ESP counter reservations (see esp_counters.h for the argument). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "esp_counters.h"
#include "sa/sa.h"
#include "sa_codec.h"
#include "sync.h"

#define EC_MAX_PER_RECORD	4096	/* = SYNC_MAX_RECORDS; ~30 bytes each */

/* A final value held for this node (graceful switchover). */
struct ec_mark {
	uint32_t spi;
	uint32_t gen;			/* insertion order: the last one wins */
	bool live;
	uint64_t final, limit;
};

struct esp_counters {
	struct hike *h;
	struct esp_counters_hooks hooks;
	uint32_t *pend;			/* inbound SPIs to send */
	size_t npend, cap;
	bool frozen;			/* old active handing over */
	struct ec_mark *marks;		/* sorted by (spi, gen) when marks_sorted */
	size_t nmarks, capmarks;
	bool marks_sorted;
	uint32_t mark_gen;
	struct esp_counters_stats st;
};

/* One record in flight: the reservations it carries. */
struct ec_flight {
	struct esp_counters *ec;
	size_t n;
	uint32_t *spi;
	uint64_t *resv;
};

struct esp_counters *esp_counters_new(struct hike *h,
				      const struct esp_counters_hooks *hooks)
{
	struct esp_counters *ec = calloc(1, sizeof(*ec));

	if (!ec)
		return NULL;
	ec->h = h;
	if (hooks)
		ec->hooks = *hooks;
	return ec;
}

void esp_counters_free(struct esp_counters *ec)
{
	if (!ec)
		return;
	free(ec->pend);
	free(ec->marks);
	free(ec);
}

const struct esp_counters_stats *esp_counters_stats(const struct esp_counters *ec)
{
	return &ec->st;
}

uint64_t esp_counters_window(struct hike *h)
{
	if (h->conf && h->conf->sync.counter_packets)
		return h->conf->sync.counter_packets;
	return ESP_COUNTERS_DEFAULT_W;
}

void esp_counters_reserve_new(struct hike *h, struct child_sa *c)
{
	/* not in the datapath before commit (= self-delivery): the
	 * reservation is confirmed by the record that creates the SA */
	c->csa_seq_resv = c->csa_seq_out + 2 * esp_counters_window(h);
	c->csa_seq_limit = c->csa_seq_resv;
}

uint64_t esp_counters_takeover_out(const struct child_sa *c)
{
	return c->csa_seq_resv > c->csa_seq_out ? c->csa_seq_resv :
	       c->csa_seq_out;
}

static int pend_add(struct esp_counters *ec, uint32_t spi)
{
	uint32_t *nv;

	if (ec->npend && ec->pend[ec->npend - 1] == spi)
		return 0;
	if (ec->npend == ec->cap) {
		nv = realloc(ec->pend, (ec->cap ? ec->cap * 2 : 64) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ec->pend = nv;
		ec->cap = ec->cap ? ec->cap * 2 : 64;
	}
	ec->pend[ec->npend++] = spi;
	return 0;
}

/* true when a new reservation was queued */
static bool note_one(struct esp_counters *ec, struct child_sa *c,
		     uint64_t out, uint64_t in)
{
	uint64_t w = esp_counters_window(ec->h);
	bool dirty = in > c->csa_seq_in;

	if (out > c->csa_seq_out)
		c->csa_seq_out = out;
	if (dirty)
		c->csa_seq_in = in;
	if (ec->frozen)
		return false;	/* handing over: no new reservation */
	if (c->csa_seq_resv < c->csa_seq_out + w) {
		c->csa_seq_resv = c->csa_seq_out + 2 * w;
		pend_add(ec, c->csa_spi_in);
		return true;
	}
	if (dirty)
		pend_add(ec, c->csa_spi_in);
	return false;
}

int esp_counters_note(struct esp_counters *ec, uint32_t spi_in,
		      uint64_t out_seq, uint64_t in_highest)
{
	struct child_sa *c = child_sa_find(ec->h, spi_in);

	ec->st.reports++;
	if (!c) {
		ec->st.unknown_spi++;
		return -ENOENT;
	}
	/* a reservation is urgent: the datapath stalls at the limit */
	if (note_one(ec, c, out_seq, in_highest))
		return esp_counters_flush(ec);
	return 0;
}

/* ---------------------------------------- final values (successor) */

static int cmp_mark(const void *a, const void *b)
{
	const struct ec_mark *x = a, *y = b;

	if (x->spi != y->spi)
		return x->spi < y->spi ? -1 : 1;
	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

/* Sort, keep the newest entry per SPI, drop dead ones. */
static void marks_sort(struct esp_counters *ec)
{
	size_t k = 0;

	if (ec->nmarks == 0)
		return;		/* qsort(NULL, 0, ...) is undefined */
	qsort(ec->marks, ec->nmarks, sizeof(*ec->marks), cmp_mark);
	for (size_t i = 0; i < ec->nmarks; i++) {
		if (i + 1 < ec->nmarks && ec->marks[i + 1].spi == ec->marks[i].spi)
			continue;	/* a newer one follows */
		if (ec->marks[i].live)
			ec->marks[k++] = ec->marks[i];
	}
	ec->nmarks = k;
	ec->marks_sorted = true;
}

static struct ec_mark *mark_find(struct esp_counters *ec, uint32_t spi)
{
	size_t lo = 0, hi;

	if (!ec->nmarks)
		return NULL;
	if (!ec->marks_sorted)
		marks_sort(ec);
	hi = ec->nmarks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ec->marks[mid].spi == spi)
			return ec->marks[mid].live ? &ec->marks[mid] : NULL;
		if (ec->marks[mid].spi < spi)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int mark_set(struct esp_counters *ec, uint32_t spi, uint64_t final,
		    uint64_t limit)
{
	struct ec_mark *m = ec->marks_sorted ? mark_find(ec, spi) : NULL;

	/* unsorted appends may repeat an SPI: compact before growing, so
	 * the array holds at most one mark per live SPI plus what came
	 * since the last sort */
	if (!m && ec->nmarks == ec->capmarks && !ec->marks_sorted) {
		marks_sort(ec);
		m = mark_find(ec, spi);
	}
	if (!m) {
		if (ec->nmarks == ec->capmarks) {
			size_t cap = ec->capmarks ? ec->capmarks * 2 : 64;
			struct ec_mark *nv = realloc(ec->marks, cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			ec->marks = nv;
			ec->capmarks = cap;
		}
		m = &ec->marks[ec->nmarks++];
		m->spi = spi;
		ec->marks_sorted = ec->nmarks == 1;
	}
	m->gen = ++ec->mark_gen;
	m->live = true;
	m->final = final;
	m->limit = limit;
	return 0;
}

static void mark_del(struct esp_counters *ec, uint32_t spi)
{
	struct ec_mark *m = mark_find(ec, spi);

	if (m)
		m->live = false;
}

void esp_counters_handover_forget(struct esp_counters *ec)
{
	ec->nmarks = 0;
	ec->marks_sorted = true;
}

/*
 * Takeover of c (csa_seq_out = esp_counters_takeover_out() already).
 * Graceful switchover to this node: the old active stopped at the final
 * value it reported, and the record carrying it raised every member's
 * reservation to m->limit, so we start right after the final value and
 * may send up to m->limit at once.  Not for RFC 6311 replay-sync peers,
 * whose Child SAs share one jumped value (the notify carries only one).
 * Otherwise: the jump, and nothing new until our reservation is back.
 */
int esp_counters_reserve_takeover(struct esp_counters *ec, struct child_sa *c)
{
	struct ec_mark *m = mark_find(ec, c->csa_spi_in);

	if (m && !(c->csa_ike && (c->csa_ike->sa_flags & IKE_SA_F_REPLAY_SYNC)) &&
	    m->final <= m->limit && m->limit <= c->csa_seq_resv) {
		c->csa_seq_out = m->final;
		c->csa_seq_resv = m->limit;
		c->csa_seq_limit = m->limit;	/* held by every member */
		m->live = false;
		ec->st.takeovers_exact++;
		return pend_add(ec, c->csa_spi_in);
	}
	c->csa_seq_resv = c->csa_seq_out + 2 * esp_counters_window(ec->h);
	c->csa_seq_limit = c->csa_seq_out;	/* nothing new until confirmed */
	return pend_add(ec, c->csa_spi_in);
}

static int tick_ike(struct ike_sa *sa, void *arg)
{
	struct esp_counters *ec = arg;
	struct child_sa *c;
	uint64_t out, in;

	for (c = sa->sa_children; c; c = c->csa_next)
		if (ec->hooks.read &&
		    !ec->hooks.read(ec->hooks.ctx, c->csa_spi_in, &out, &in))
			note_one(ec, c, out, in);
	return 0;
}

int esp_counters_tick(struct esp_counters *ec)
{
	ike_sa_foreach(ec->h, tick_ike, ec);
	return esp_counters_flush(ec);
}

/* Self-delivery: every standby holds these reservations now. */
static void flight_done(void *arg, int status)
{
	struct ec_flight *f = arg;
	struct esp_counters *ec = f->ec;
	struct child_sa *c;

	/* A frozen old active stays at its final values, and a node that is
	 * no longer active raises nothing: its successor may already send
	 * right after those values. */
	if (ec->frozen || (ec->h->sync && !sync_is_active(ec->h->sync)))
		status = -ECANCELED;
	for (size_t i = 0; !status && i < f->n; i++) {
		c = child_sa_find(ec->h, f->spi[i]);
		if (!c || f->resv[i] <= c->csa_seq_limit)
			continue;
		c->csa_seq_limit = f->resv[i];
		ec->st.confirmed++;
		if (ec->hooks.set_limit)
			ec->hooks.set_limit(ec->hooks.ctx, f->spi[i], f->resv[i]);
	}
	free(f->spi);
	free(f->resv);
	free(f);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One record for n SPIs starting at spis. */
static int flush_some(struct esp_counters *ec, const uint32_t *spis, size_t n)
{
	struct ec_flight *f = calloc(1, sizeof(*f));
	uint64_t *in = calloc(n, sizeof(*in));
	struct sa_recs r = { 0 };
	struct child_sa *c;
	int rc = -ENOMEM;

	if (!f || !in || !(f->spi = calloc(n, sizeof(*f->spi))) ||
	    !(f->resv = calloc(n, sizeof(*f->resv))))
		goto fail;
	f->ec = ec;
	for (size_t i = 0; i < n; i++) {
		if (!(c = child_sa_find(ec->h, spis[i])))
			continue;	/* deleted meanwhile */
		f->spi[f->n] = spis[i];
		f->resv[f->n] = c->csa_seq_resv;
		in[f->n++] = c->csa_seq_in;
	}
	rc = f->n ? sa_codec_counters(&(struct sa_counters){ f->spi, f->resv,
					in, NULL, 0, f->n }, &r) : 0;
	if (rc || !f->n)
		goto fail;
	rc = sync_submit(ec->h->sync, r.v[0].buf, r.v[0].len, flight_done, f);
	sa_recs_free(&r);
	free(in);
	if (rc)
		goto fail_f;
	ec->st.records_sent++;
	ec->st.counters_sent += f->n;
	return 0;
fail:
	free(in);
fail_f:
	if (f) {
		free(f->spi);
		free(f->resv);
	}
	free(f);
	return rc;
}

int esp_counters_flush(struct esp_counters *ec)
{
	size_t k = 0, n;
	int rc = 0;

	if (!ec->npend)
		return 0;
	if (ec->frozen || !ec->h->sync || !sync_is_active(ec->h->sync)) {
		ec->npend = 0;
		return 0;
	}
	qsort(ec->pend, ec->npend, sizeof(*ec->pend), cmp_u32);
	for (size_t i = 0; i < ec->npend; i++)
		if (!k || ec->pend[k - 1] != ec->pend[i])
			ec->pend[k++] = ec->pend[i];
	for (size_t i = 0; i < k && !rc; i += n) {
		n = k - i < EC_MAX_PER_RECORD ? k - i : EC_MAX_PER_RECORD;
		rc = flush_some(ec, ec->pend + i, n);
	}
	ec->npend = 0;
	return rc;
}

int esp_counters_apply(struct esp_counters *ec, const HikeSync__EspCounters *r)
{
	uint32_t me = ec->h->sync ? sync_nodeid(ec->h->sync) : 0;
	bool mine = r->has_successor && r->successor && r->successor == me;
	struct child_sa *c;

	for (size_t i = 0; i < r->n_counters; i++) {
		const HikeSync__EspCounter *e = r->counters[i];

		if (!e->has_spi_in || !(c = child_sa_find(ec->h, e->spi_in))) {
			ec->st.unknown_spi++;	/* deleted, or not yet added */
			continue;
		}
		/* never backwards: records may overtake nothing, but a
		 * snapshot may carry an older value than a batch */
		if (e->has_out_seq && e->out_seq > c->csa_seq_resv)
			c->csa_seq_resv = e->out_seq;
		if (e->has_in_highest && e->in_highest > c->csa_seq_in)
			c->csa_seq_in = e->in_highest;
		/* a final value is for the named successor only; any later
		 * reservation (the old active resumed, or another node took
		 * over and sends) makes it void */
		if (mine && e->has_out_final && e->has_out_seq &&
		    e->out_final <= e->out_seq) {
			if (mark_set(ec, e->spi_in, e->out_final, e->out_seq) == 0)
				ec->st.finals_held++;
		} else if (ec->nmarks) {
			mark_del(ec, e->spi_in);
		}
		ec->st.applied++;
	}
	if (r->has_vips_announced && r->vips_announced && ec->hooks.vips_announced)
		ec->hooks.vips_announced(ec->hooks.ctx,
					 ec->h->sync ? sync_active(ec->h->sync) : 0);
	return 0;
}

/* ------------------------------------------- graceful switchover */

bool esp_counters_frozen(const struct esp_counters *ec)
{
	return ec->frozen;
}

void esp_counters_handover_end(struct esp_counters *ec)
{
	ec->frozen = false;
	ec->npend = 0;
}

struct ho_collect {
	struct esp_counters *ec;
	uint32_t *spi;
	uint64_t *resv, *in, *fin;
	size_t n, cap;
	int err;
};

static int ho_push(struct ho_collect *x, uint32_t spi, uint64_t resv,
		   uint64_t in, uint64_t fin)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		uint32_t *a = realloc(x->spi, cap * sizeof(*a));
		uint64_t *b, *d, *e;

		if (a)
			x->spi = a;
		b = a ? realloc(x->resv, cap * sizeof(*b)) : NULL;
		if (b)
			x->resv = b;
		d = b ? realloc(x->in, cap * sizeof(*d)) : NULL;
		if (d)
			x->in = d;
		e = d ? realloc(x->fin, cap * sizeof(*e)) : NULL;
		if (!e)
			return -ENOMEM;
		x->fin = e;
		x->cap = cap;
	}
	x->spi[x->n] = spi;
	x->resv[x->n] = resv;
	x->in[x->n] = in;
	x->fin[x->n++] = fin;
	return 0;
}

/* Freeze one IKE SA's Child SAs at their final values. */
static int ho_ike(struct ike_sa *sa, void *arg)
{
	struct ho_collect *x = arg;
	struct esp_counters *ec = x->ec;
	uint64_t w = esp_counters_window(ec->h);
	struct child_sa *c;

	for (c = sa->sa_children; c && !x->err; c = c->csa_next) {
		uint64_t out, in, f, s;

		/* only what is in the datapath can send; a limit of 0 would
		 * be no limit at all (never the case with sync) */
		if (!ec->hooks.read || !c->csa_seq_limit ||
		    ec->hooks.read(ec->hooks.ctx, c->csa_spi_in, &out, &in))
			continue;
		f = out + ESP_COUNTERS_HANDOVER_HEADROOM;
		if (f > c->csa_seq_limit)
			f = c->csa_seq_limit;
		if (f < out)
			f = out;
		if (ec->hooks.set_limit)
			ec->hooks.set_limit(ec->hooks.ctx, c->csa_spi_in, f);
		c->csa_seq_limit = f;
		if (out > c->csa_seq_out)
			c->csa_seq_out = out;
		if (in > c->csa_seq_in)
			c->csa_seq_in = in;
		s = f + 2 * w;
		if (c->csa_seq_resv > s)
			s = c->csa_seq_resv;
		c->csa_seq_resv = s;
		x->err = ho_push(x, c->csa_spi_in, s, c->csa_seq_in, f);
	}
	return 0;
}

static int ho_submit(struct esp_counters *ec, const struct ho_collect *x,
		     size_t first, size_t n, uint32_t successor,
		     void (*done)(void *, int), void *arg)
{
	const struct sa_counters k = { x->spi + first, x->resv + first,
		x->in + first, x->fin + first, successor, n };
	struct sa_recs r = { 0 };
	int rc = sa_codec_counters(&k, &r);

	if (!rc)
		rc = sync_submit(ec->h->sync, r.v[0].buf, r.v[0].len, done, arg);
	sa_recs_free(&r);
	return rc;
}

int esp_counters_handover_begin(struct esp_counters *ec, uint32_t successor,
				void (*done)(void *arg, int status), void *arg)
{
	struct ho_collect x = { .ec = ec };
	size_t n, recs = 0;
	int rc = 0;

	if (!ec->h->sync || !sync_is_active(ec->h->sync))
		return -EPERM;
	ec->frozen = true;
	ec->npend = 0;		/* nothing non-final after the finals */
	ike_sa_foreach(ec->h, ho_ike, &x);
	rc = x.err;
	for (size_t i = 0; !rc && i < x.n; i += n) {
		n = x.n - i < EC_MAX_PER_RECORD ? x.n - i : EC_MAX_PER_RECORD;
		rc = ho_submit(ec, &x, i, n, successor, i + n == x.n ? done : NULL,
			       i + n == x.n ? arg : NULL);
		recs += !rc;
	}
	if (!rc)
		ec->st.finals_sent += x.n;
	free(x.spi);
	free(x.resv);
	free(x.in);
	free(x.fin);
	return rc ? rc : (int)recs;
}

static int ho_resume_ike(struct ike_sa *sa, void *arg)
{
	struct esp_counters *ec = arg;
	uint64_t out, in;

	for (struct child_sa *c = sa->sa_children; c; c = c->csa_next)
		if (ec->hooks.read &&
		    !ec->hooks.read(ec->hooks.ctx, c->csa_spi_in, &out, &in))
			pend_add(ec, c->csa_spi_in);
	return 0;
}

int esp_counters_handover_abort(struct esp_counters *ec)
{
	if (!ec->frozen)
		return 0;
	ec->frozen = false;
	/* every reservation is >= final + 2W: re-sending them is enough,
	 * flight_done raises the limits once every member has them */
	ike_sa_foreach(ec->h, ho_resume_ike, ec);
	return esp_counters_flush(ec);
}

int esp_counters_vips_announced(struct esp_counters *ec)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__EspCounters r = HIKE_SYNC__ESP_COUNTERS__INIT;

	if (!ec->h->sync || !sync_is_active(ec->h->sync))
		return -EPERM;
	r.has_vips_announced = r.vips_announced = true;
	rec.kind_case = HIKE_SYNC__RECORD__KIND_ESP_COUNTERS;
	rec.esp_counters = &r;
	return sync_submit_record(ec->h->sync, &rec, NULL, NULL);
}
