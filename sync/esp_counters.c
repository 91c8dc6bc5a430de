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

struct esp_counters {
	struct hike *h;
	struct esp_counters_hooks hooks;
	uint32_t *pend;			/* inbound SPIs to send */
	size_t npend, cap;
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

int esp_counters_reserve_takeover(struct esp_counters *ec, struct child_sa *c)
{
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
	rc = f->n ? sa_codec_counters(f->spi, f->resv, in, f->n, &r) : 0;
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
	if (!ec->h->sync || !sync_is_active(ec->h->sync)) {
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
		ec->st.applied++;
	}
	return 0;
}
