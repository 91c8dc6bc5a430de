/*
 * struct sync_ops of the SA layer (see sa_sync.h): replicated records
 * become upserts into the SA tables of a standby; the active's tables
 * become a joiner's snapshot; role changes run the takeover.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/counters.h"
#include "core/loop.h"
#include "esp_counters.h"
#include "sa/exchange.h"
#include "sa/pool.h"
#include "sa/sa_sync.h"
#include "sa/table.h"
#include "sa_codec.h"
#include "takeover.h"

struct sa_sync {
	struct hike *h;
	struct takeover *tk;
	struct esp_counters *ec;
	bool active;
	struct sa_sync_stats st;
};

/* ---------------------------------------------------- submit (active) */

/* The records of one update ride in one envelope: a standby gets all of
 * them or none (sa_codec.h relies on it), and done runs once they are
 * back. */
static int submit_group(struct hike *h, const struct sa_recs *r,
			void (*done)(void *arg, int status), void *arg)
{
	struct sync_buf v[16] = { { 0 } }, *p = v;
	int rc;

	if (r->n > 16 && !(p = calloc(r->n, sizeof(*p))))
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		p[i] = (struct sync_buf){ r->v[i].buf, r->v[i].len };
	rc = sync_submitv(h->sync, p, r->n, done, arg);
	if (p != v)
		free(p);
	return rc;
}

/*
 * The SA replicator (sa_set_replicator, repl.h): serialize u, submit the
 * records, and let repl.c commit when the last came back (agreed order
 * delivers the earlier ones first).  An update with nothing a standby
 * could use (a half-open SA, sa_codec.h) commits at once.
 */
static int repl_cb(void *ctx, const struct sa_update *u,
		   void (*done)(void *arg, int status), void *arg)
{
	struct sa_sync *ss = ctx;
	struct hike *h = ss->h;
	struct sa_recs r = { 0 };
	int rc;

	if (!h->sync || !sync_is_active(h->sync)) {
		/* a standby never answers: the peer talks to the VIP */
		counters_inc(h->counters, CNT_DROP_IKE_NOT_ACTIVE);
		return -EPERM;
	}
	for (unsigned i = 0; i < u->nchild_add; i++)
		if (!u->child_add[i]->csa_seq_resv)
			esp_counters_reserve_new(h, u->child_add[i]);
	rc = sa_codec_update(h, u, &r);
	if (!rc && !r.n) {
		ss->st.local_only++;
		done(arg, 0);
	}
	if (!rc && r.n)
		rc = submit_group(h, &r, done, arg);
	if (!rc && r.n) {
		ss->st.submitted++;
		counters_inc(h->counters, CNT_SYNC_SENT);
	}
	sa_recs_free(&r);
	return rc;
}

/* ---------------------------------------------------- apply (standby) */

/* The mirror follows the active even where the local transition table
 * would refuse (a snapshot after missed updates). */
static void mirror_state(struct hike *h, struct ike_sa *sa,
			 enum ike_sa_state st)
{
	if (sa->sa_state != st && ike_sa_set_state(h, sa, st))
		sa->sa_state = st;
}

/* Copy a decoded SA into a live one, keeping what is node-local. */
static void ike_mirror(struct hike *h, struct ike_sa *dst, struct ike_sa *src)
{
	struct ike_sa keep = *dst;
	enum ike_sa_state st = src->sa_state;

	ike_pkts_free(&dst->sa_resp);
	ike_keys_wipe(&dst->sa_keys);
	*dst = *src;
	dst->sa_serial = keep.sa_serial;
	dst->sa_h = keep.sa_h;
	dst->sa_state = keep.sa_state;
	dst->sa_iv_seq = keep.sa_iv_seq;
	dst->sa_timer = keep.sa_timer;
	dst->sa_req = keep.sa_req;
	dst->sa_frag = keep.sa_frag;
	dst->sa_ni = keep.sa_ni;
	dst->sa_nr = keep.sa_nr;
	dst->sa_ni_len = keep.sa_ni_len;
	dst->sa_nr_len = keep.sa_nr_len;
	dst->sa_msg1 = keep.sa_msg1;
	dst->sa_msg2 = keep.sa_msg2;
	dst->sa_msg1_len = keep.sa_msg1_len;
	dst->sa_msg2_len = keep.sa_msg2_len;
	dst->sa_successor = keep.sa_successor;
	dst->sa_children = keep.sa_children;
	dst->sa_hnext = keep.sa_hnext;
	dst->sa_hnext_half = keep.sa_hnext_half;
	dst->sa_in_spi = keep.sa_in_spi;
	dst->sa_in_half = keep.sa_in_half;
	dst->sa_hnext_peer = keep.sa_hnext_peer;
	dst->sa_peer_hash = keep.sa_peer_hash;
	dst->sa_in_peer = keep.sa_in_peer;
	ike_sa_peer_id_changed(h, dst);		/* src may carry another ID */
	/* the lease is marked, never released, on an upsert: an IKE rekey
	 * moves it to the successor (RFC 7296 2.18) */
	if (dst->sa_lease_pool >= 0)
		sa_pool_mark(h, dst->sa_conn, dst->sa_lease_pool, dst->sa_lease);
	memset(src, 0, sizeof(*src));
	mirror_state(h, dst, st);
}

static int apply_ike_add(struct sa_sync *ss, const HikeSync__IkeSaState *s)
{
	struct hike *h = ss->h;
	struct ike_sa *tmp = malloc(sizeof(*tmp)), *sa;
	int rc = -ENOMEM;

	if (!tmp)
		return rc;
	if (s && s->state == IKE_SA_HALF_OPEN) {
		ss->st.skipped++;	/* never sent; see sa_codec.h */
		rc = 0;
		goto out;
	}
	rc = sa_codec_ike_decode(h, s, tmp);
	if (rc)
		goto out;
	sa = ike_sa_find(h, s->ike_id);
	if (!sa) {
		sa = ike_sa_new(h);
		if (!sa) {
			ike_pkts_free(&tmp->sa_resp);
			rc = -ENOMEM;
			goto out;
		}
		sa->sa_state = IKE_SA_NEW;
		ike_mirror(h, sa, tmp);
		rc = ike_sa_insert(h, sa);
		if (rc) {
			ike_sa_free(h, sa);
			goto out;
		}
	} else {
		ike_mirror(h, sa, tmp);
	}
out:
	OPENSSL_cleanse(tmp, sizeof(*tmp));
	free(tmp);
	return rc;
}

static int apply_ike_update(struct sa_sync *ss, const HikeSync__IkeSaUpdate *u)
{
	struct hike *h = ss->h;
	struct ike_sa *sa = ike_sa_find(h, u->ike_id);
	struct ike_sa tmp;
	int rc;

	if (!sa || sa->sa_ispi != u->spi_i || sa->sa_rspi != u->spi_r) {
		ss->st.skipped++;	/* upsert rule: not seen yet */
		return 0;
	}
	if (u->has_state && (u->state < IKE_SA_ESTABLISHED ||
			     u->state >= IKE_SA_DEAD))
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	rc = u->msgid ? sa_codec_window_decode(u->msgid, u->last_response, &tmp) : 0;
	if (!rc && u->local && sa_codec_endpoint_decode(u->local, &tmp.sa_local))
		rc = -EINVAL;
	if (!rc && u->peer && sa_codec_endpoint_decode(u->peer, &tmp.sa_remote))
		rc = -EINVAL;
	if (rc) {
		ike_pkts_free(&tmp.sa_resp);
		return rc;
	}
	if (u->msgid) {
		sa->sa_peer_next = tmp.sa_peer_next;
		sa->sa_our_next = tmp.sa_our_next;
		ike_pkts_free(&sa->sa_resp);
		sa->sa_resp = tmp.sa_resp;
	}
	if (u->local)
		sa->sa_local = tmp.sa_local;
	if (u->peer)
		sa->sa_remote = tmp.sa_remote;
	if (u->has_nat_local)
		sa->sa_flags = u->nat_local ? sa->sa_flags | IKE_SA_F_NAT_LOCAL :
			       sa->sa_flags & ~IKE_SA_F_NAT_LOCAL;
	if (u->has_nat_peer)
		sa->sa_flags = u->nat_peer ? sa->sa_flags | IKE_SA_F_NAT_REMOTE :
			       sa->sa_flags & ~IKE_SA_F_NAT_REMOTE;
	if (u->has_state)
		mirror_state(h, sa, (enum ike_sa_state)u->state);
	return 0;
}

static int apply_ike_delete(struct sa_sync *ss, const HikeSync__IkeSaDelete *d)
{
	struct ike_sa *sa = ike_sa_find(ss->h, d->ike_id);

	if (!sa) {
		ss->st.skipped++;
		return 0;
	}
	ike_sa_destroy(ss->h, sa, false);
	return 0;
}

static void child_drop(struct hike *h, struct child_sa *c)
{
	child_sa_remove(h, c);
	if (c->csa_ike)
		ike_sa_unlink_child(c->csa_ike, c);
	child_sa_set_state(h, c, CHILD_SA_DEAD);
	child_sa_free(c);
}

/* Copy a decoded Child SA into a live one (or a new one). */
static void child_mirror(struct child_sa *dst, const struct child_sa *src)
{
	struct child_sa keep = *dst;

	*dst = *src;
	dst->csa_serial = keep.csa_serial;
	dst->csa_ike = keep.csa_ike;
	dst->csa_state = keep.csa_state;
	dst->csa_hnext = keep.csa_hnext;
	dst->csa_next = keep.csa_next;
	dst->csa_delete_due = keep.csa_delete_due;
	/* counters only move forward (a batch may be ahead of a snapshot) */
	if (keep.csa_seq_resv > dst->csa_seq_resv)
		dst->csa_seq_resv = keep.csa_seq_resv;
	if (keep.csa_seq_in > dst->csa_seq_in)
		dst->csa_seq_in = keep.csa_seq_in;
	dst->csa_seq_out = dst->csa_seq_resv;
}

static int apply_child(struct sa_sync *ss, const HikeSync__ChildSaState *s,
		       uint32_t old_spi_in)
{
	struct hike *h = ss->h;
	struct child_sa tmp, *c, *old;
	struct ike_sa *owner = ike_sa_find(h, s->ike_id);
	bool fresh;
	int rc;

	if (!owner)
		return -ENOENT;		/* its IKE SA comes first, always */
	rc = sa_codec_child_decode(h, s, &tmp);
	if (rc)
		return rc;
	c = child_sa_find(h, s->spi_in);
	fresh = !c;
	if (fresh && !(c = child_sa_new(h))) {
		OPENSSL_cleanse(&tmp, sizeof(tmp));
		return -ENOMEM;
	}
	child_mirror(c, &tmp);
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	c->csa_rekey_of = old_spi_in ? old_spi_in : c->csa_rekey_of;
	if (c->csa_ike != owner) {	/* new, or moved by an IKE rekey */
		if (c->csa_ike)
			ike_sa_unlink_child(c->csa_ike, c);
		ike_sa_link_child(owner, c);
	}
	if (fresh && child_sa_insert(h, c)) {
		ike_sa_unlink_child(owner, c);
		child_sa_free(c);
		return -ENOMEM;
	}
	if (c->csa_state == CHILD_SA_NEW)
		child_sa_set_state(h, c, CHILD_SA_INSTALLED);
	old = old_spi_in ? child_sa_find(h, old_spi_in) : NULL;
	if (old && old != c) {
		/* RFC 7296 2.8: replaced; a new active deletes it itself */
		child_sa_set_state(h, old, CHILD_SA_REKEYED);
		old->csa_delete_due = true;
	}
	return 0;
}

static int apply_child_delete(struct sa_sync *ss,
			      const HikeSync__ChildSaDelete *d)
{
	struct child_sa *c = child_sa_find(ss->h, d->spi_in);

	if (!c) {
		ss->st.skipped++;
		return 0;
	}
	child_drop(ss->h, c);
	return 0;
}

int sa_sync_apply(struct sa_sync *ss, const HikeSync__Record *r)
{
	int rc = 0;

	switch (r->kind_case) {
	case HIKE_SYNC__RECORD__KIND_IKE_SA_ADD:
		rc = apply_ike_add(ss, r->ike_sa_add->sa);
		break;
	case HIKE_SYNC__RECORD__KIND_IKE_SA_UPDATE:
		rc = apply_ike_update(ss, r->ike_sa_update);
		break;
	case HIKE_SYNC__RECORD__KIND_IKE_SA_DELETE:
		rc = apply_ike_delete(ss, r->ike_sa_delete);
		break;
	case HIKE_SYNC__RECORD__KIND_CHILD_SA_ADD:
		rc = apply_child(ss, r->child_sa_add->sa, 0);
		break;
	case HIKE_SYNC__RECORD__KIND_CHILD_SA_REKEY:
		rc = apply_child(ss, r->child_sa_rekey->sa,
				 r->child_sa_rekey->old_spi_in);
		break;
	case HIKE_SYNC__RECORD__KIND_CHILD_SA_DELETE:
		rc = apply_child_delete(ss, r->child_sa_delete);
		break;
	case HIKE_SYNC__RECORD__KIND_ESP_COUNTERS:
		rc = esp_counters_apply(ss->ec, r->esp_counters);
		break;
	default:
		ss->st.skipped++;
		return 0;
	}
	if (rc) {
		ss->st.errors++;
		log_warn(&ss->h->log, "sync: record %d not applied: %d",
			 (int)r->kind_case, rc);
	} else {
		ss->st.applied++;
	}
	counters_inc(ss->h->counters, CNT_SYNC_RECEIVED);
	return rc;
}

static int ops_apply(void *ctx, const HikeSync__Record *r)
{
	return sa_sync_apply(ctx, r);
}

static int drop_one(struct ike_sa *sa, void *arg)
{
	ike_sa_destroy(arg, sa, false);
	return 0;
}

static void ops_snap_reset(void *ctx)
{
	struct sa_sync *ss = ctx;

	ike_sa_foreach(ss->h, drop_one, ss->h);
}

/* ------------------------------------------------- snapshot (active) */

struct snap_it {
	uint64_t *spis;
	size_t n, cap, pos;
	struct sa_recs recs;
	size_t rpos;
};

static int snap_collect(struct ike_sa *sa, void *arg)
{
	struct snap_it *it = arg;
	uint64_t *nv;

	if (sa->sa_state < IKE_SA_ESTABLISHED || sa->sa_state >= IKE_SA_DEAD)
		return 0;
	if (it->n == it->cap) {
		nv = realloc(it->spis, (it->cap ? it->cap * 2 : 64) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		it->spis = nv;
		it->cap = it->cap ? it->cap * 2 : 64;
	}
	it->spis[it->n++] = ike_sa_our_spi(sa);
	return 0;
}

static void *ops_snap_open(void *ctx)
{
	struct sa_sync *ss = ctx;
	struct snap_it *it = calloc(1, sizeof(*it));

	if (it && ike_sa_foreach(ss->h, snap_collect, it)) {
		free(it->spis);
		free(it);
		return NULL;
	}
	return it;
}

static bool rekeys_sibling(const struct ike_sa *sa, const struct child_sa *c)
{
	const struct child_sa *o;

	for (o = sa->sa_children; c->csa_rekey_of && o; o = o->csa_next)
		if (o != c && o->csa_spi_in == c->csa_rekey_of)
			return true;
	return false;
}

/* One IKE SA and its children; a successor after the SA it replaced, as
 * ChildSaRekey, so the joiner marks the old one REKEYED too. */
static int snap_emit(struct hike *h, const struct ike_sa *sa,
		     struct sa_recs *out)
{
	const struct child_sa *c;
	uint64_t id = sa_codec_ike_id(sa);
	int rc = sa_codec_ike_add(h, sa, out);

	for (c = sa->sa_children; c && !rc; c = c->csa_next)
		if (!rekeys_sibling(sa, c))
			rc = sa_codec_child_add(h, c, id, 0, out);
	for (c = sa->sa_children; c && !rc; c = c->csa_next)
		if (rekeys_sibling(sa, c))
			rc = sa_codec_child_add(h, c, id, c->csa_rekey_of, out);
	return rc;
}

static ssize_t ops_snap_next(void *ctx, void *itp, uint8_t *buf, size_t cap)
{
	struct sa_sync *ss = ctx;
	struct snap_it *it = itp;
	struct ike_sa *sa;
	const struct sa_rec *r;
	int rc;

	while (it->rpos == it->recs.n) {
		sa_recs_free(&it->recs);
		it->rpos = 0;
		if (it->pos == it->n)
			return 0;
		sa = ike_sa_find(ss->h, it->spis[it->pos++]);
		if (!sa)
			continue;	/* deleted since snap_open */
		rc = snap_emit(ss->h, sa, &it->recs);
		if (rc)
			return rc;
	}
	r = &it->recs.v[it->rpos++];
	if (r->len > cap)
		return -EMSGSIZE;
	memcpy(buf, r->buf, r->len);
	ss->st.snapshot_records++;
	return (ssize_t)r->len;
}

static void ops_snap_close(void *ctx, void *itp)
{
	struct snap_it *it = itp;

	(void)ctx;
	sa_recs_free(&it->recs);
	free(it->spis);
	free(it);
}

/* -------------------------------------------------------- takeover */

static int child_datapath(struct hike *h, struct child_sa *c, bool install)
{
	const struct child_sa_ops *ops = h->ike_sas->ops;

	if (!ops)
		return 0;
	if (install)
		return ops->install ? ops->install(h->ike_sas->ops_ctx, c) : 0;
	return ops->remove ? ops->remove(h->ike_sas->ops_ctx, c) : 0;
}

/*
 * Outbound counters: esp_counters_takeover_out() is the replicated
 * reservation, which the old active never sent past (esp_counters.h).
 * RFC 6311 5.2 peers get one value for all Child SAs of the IKE SA, so
 * those all start at the highest of them.
 */
static void activate_children(struct sa_sync *ss, struct ike_sa *sa)
{
	struct takeover_stats *st = takeover_stats(ss->tk);
	struct child_sa *c;
	uint64_t common = 0, out;

	for (c = sa->sa_children; c; c = c->csa_next) {
		out = esp_counters_takeover_out(c);
		common = out > common ? out : common;
	}
	for (c = sa->sa_children; c; c = c->csa_next) {
		c->csa_seq_out = (sa->sa_flags & IKE_SA_F_REPLAY_SYNC) ? common :
				 esp_counters_takeover_out(c);
		esp_counters_reserve_takeover(ss->ec, c);
		if (c->csa_state != CHILD_SA_INSTALLED &&
		    c->csa_state != CHILD_SA_REKEYED)
			continue;
		if (child_datapath(ss->h, c, true))
			st->errors++;
		else
			st->children_installed++;
	}
}

static int activate_ike(struct ike_sa *sa, void *arg)
{
	struct sa_sync *ss = arg;
	uint64_t r = 0;

	if (sa->sa_state < IKE_SA_ESTABLISHED || sa->sa_state >= IKE_SA_DEAD)
		return 0;
	/* IKE SK with AES-GCM / ChaCha20: the IV is a 64-bit counter
	 * (crypto/sk.c) the records do not carry; restart it at a random
	 * point of [2^62, 2^63), far from the dead node's range (which
	 * started at 0 or at its own random point). */
	sa_random(ss->h, &r, sizeof(r));
	sa->sa_iv_seq = (1ULL << 62) | (r >> 2);
	sa->sa_last_rx_ms = sa_now_ms(ss->h);	/* DPD starts afresh */
	activate_children(ss, sa);
	ike_sa_timer_update(ss->h, sa);
	takeover_stats(ss->tk)->timers_started++;
	return 0;
}

int sa_sync_activate(struct sa_sync *ss)
{
	uint64_t before = takeover_stats(ss->tk)->children_installed;

	ike_sa_foreach(ss->h, activate_ike, ss);
	return (int)(takeover_stats(ss->tk)->children_installed - before);
}

static int deactivate_ike(struct ike_sa *sa, void *arg)
{
	struct sa_sync *ss = arg;
	struct child_sa *c;

	for (c = sa->sa_children; c; c = c->csa_next)
		if ((c->csa_state == CHILD_SA_INSTALLED ||
		     c->csa_state == CHILD_SA_REKEYED) &&
		    !child_datapath(ss->h, c, false))
			takeover_stats(ss->tk)->children_removed++;
	if (sa->sa_timer)
		loop_timer_stop(sa->sa_timer);
	ike_req_clear(&sa->sa_req);	/* the new active owns the window */
	sa->sa_flags &= ~IKE_SA_F_BUSY;
	return 0;
}

int sa_sync_deactivate(struct sa_sync *ss)
{
	uint64_t before = takeover_stats(ss->tk)->children_removed;

	ike_sa_foreach(ss->h, deactivate_ike, ss);
	return (int)(takeover_stats(ss->tk)->children_removed - before);
}

static void ops_became_active(void *ctx)
{
	struct sa_sync *ss = ctx;
	struct hike *h = ss->h;
	int n;

	ss->active = true;
	takeover_stats(ss->tk)->takeovers++;
	counters_inc(h->counters, CNT_SYNC_TAKEOVER);
	log_info(&h->log, "takeover: step 1/4: virtual IPs");
	takeover_vips_up(ss->tk);
	n = sa_sync_activate(ss);
	log_info(&h->log, "takeover: step 2/4: %d Child SA(s) installed, "
		 "%zu IKE SA timer(s) started", n, ike_sa_count(h));
	n = takeover_msgid_sync_all(ss->tk);
	log_info(&h->log, "takeover: step 3/4: %d RFC 6311 request(s)", n);
	esp_counters_flush(ss->ec);
	log_info(&h->log, "takeover: step 4/4: counter reservations sent");
}

/* A healed split brain: the other half announced the VIPs too. */
static void ops_reannounce(void *ctx)
{
	struct sa_sync *ss = ctx;

	if (ss->active)
		takeover_vips_up(ss->tk);
}

static void ops_became_standby(void *ctx)
{
	struct sa_sync *ss = ctx;
	int n = 0;

	/* also at start: a kill -9 may have left our VIPs configured */
	takeover_vips_down(ss->tk);
	if (ss->active) {
		takeover_stats(ss->tk)->releases++;
		n = sa_sync_deactivate(ss);
	}
	ss->active = false;
	log_info(&ss->h->log, "standby: %d Child SA(s) out of the datapath", n);
}

/* ---------------------------------------------------------- objects */

struct sa_sync *sa_sync_new(struct hike *h, const struct takeover_net *net,
			    const struct esp_counters_hooks *hooks)
{
	struct sa_sync *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->h = h;
	ss->tk = takeover_new(h, net);
	ss->ec = esp_counters_new(h, hooks);
	if (!ss->tk || !ss->ec) {
		sa_sync_free(ss);
		return NULL;
	}
	sa_set_replicator(h, &(struct sa_replicator){ repl_cb, ss });
	return ss;
}

void sa_sync_free(struct sa_sync *ss)
{
	if (!ss)
		return;
	if (ss->h->ike_sas)
		sa_set_replicator(ss->h, NULL);
	takeover_free(ss->tk);
	esp_counters_free(ss->ec);
	free(ss);
}

void sa_sync_fill_ops(struct sa_sync *ss, struct sync_ops *ops)
{
	*ops = (struct sync_ops){
		.apply = ops_apply, .snap_reset = ops_snap_reset,
		.snap_open = ops_snap_open, .snap_next = ops_snap_next,
		.snap_close = ops_snap_close,
		.became_active = ops_became_active,
		.became_standby = ops_became_standby,
		.reannounce = ops_reannounce, .ctx = ss,
	};
}

const struct sa_sync_stats *sa_sync_stats(const struct sa_sync *ss)
{
	return &ss->st;
}

struct takeover *sa_sync_takeover(struct sa_sync *ss)
{
	return ss->tk;
}

struct esp_counters *sa_sync_counters(struct sa_sync *ss)
{
	return ss->ec;
}
