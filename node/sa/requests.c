/*
 * Our own requests (RFC 7296 2.1, 2.4): DPD, DELETE, rekeys; one at a
 * time (window of one), retransmitted with exponential backoff, the IKE
 * SA deleted locally when the peer never answers.  And the per-SA timer
 * that starts them.
 *   DPD:     HDR, SK { }                 -->   <-- HDR, SK { }
 *   DELETE:  HDR, SK { D(IKE) | D(ESP) } -->   <-- HDR, SK { [D(ESP)] }
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/counters.h"
#include "core/loop.h"
#include "sa/exchange.h"
#include "sa/requests.h"

#define HALF_OPEN_TIMEOUT_MS	30000	/* IKE_AUTH must follow by then */
#define NEVER			UINT64_MAX

static const char *const req_names[] = {
	[IKE_REQ_NONE] = "none", [IKE_REQ_DPD] = "DPD",
	[IKE_REQ_DELETE_IKE] = "DELETE IKE", [IKE_REQ_DELETE_CHILD] = "DELETE ESP",
	[IKE_REQ_REKEY_CHILD] = "rekey child", [IKE_REQ_REKEY_IKE] = "rekey IKE",
};

const char *ike_req_name(enum ike_req_kind k)
{
	return (unsigned)k < sizeof(req_names) / sizeof(req_names[0]) ?
	       req_names[k] : "?";
}

/* Stage our request (msgid sa_our_next) and replicate before sending. */
int ike_req_submit(struct hike *h, struct ike_sa *sa, struct ike_msg *m,
		   struct ike_req *req, struct sa_update *u)
{
	int rc;

	if (sa->sa_req.kind != IKE_REQ_NONE || (sa->sa_flags & IKE_SA_F_BUSY))
		return -EBUSY;
	req->msgid = sa->sa_our_next;
	m->hdr.msgid = req->msgid;
	rc = ike_sa_seal(h, sa, m, &req->pkts);
	if (rc)
		return rc;
	u->has_req = true;
	u->req = *req;
	memset(req, 0, sizeof(*req));
	sa->sa_flags |= IKE_SA_F_BUSY;
	sa_stats(h)->requests_sent++;
	ike_sa_log(h, sa, LOG_DEBUG_, "sending %s request #%u",
		   ike_req_name(u->req.kind), u->req.msgid);
	return repl_submit(h, u, sa_commit_default, NULL);
}

/* A request with no payload or one DELETE. */
static int send_simple(struct hike *h, struct ike_sa *sa,
		       enum ike_req_kind kind, struct child_sa *c)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct sa_update *u = sa_update_new(SA_UPD_IKE_SA_UPDATE, sa);
	struct ike_req req = { .kind = kind };
	uint8_t spi[4];
	struct ike_hdr hdr;
	int rc = -ENOMEM;

	if (!m || !u)
		goto out;
	ike_sa_hdr(sa, IKE_INFORMATIONAL, 0, false, &hdr);
	ike_msg_init(m, &hdr);
	m->sk.present = true;
	if (kind == IKE_REQ_DELETE_IKE || kind == IKE_REQ_DELETE_CHILD) {
		rc = -ENOSPC;
		if (!ike_msg_add(m, IKE_PL_DELETE, true))
			goto out;
		m->del[0].proto = c ? IKE_PROTO_ESP : IKE_PROTO_IKE;
		if (c) {
			spi[0] = (uint8_t)(c->csa_spi_in >> 24);
			spi[1] = (uint8_t)(c->csa_spi_in >> 16);
			spi[2] = (uint8_t)(c->csa_spi_in >> 8);
			spi[3] = (uint8_t)c->csa_spi_in;
			m->del[0].spi_len = 4;
			m->del[0].nspi = 1;
			m->del[0].spis = spi;
			req.child_spi = c->csa_spi_in;
		}
		u->set_state = !c;
		u->state = IKE_SA_DELETING;
	}
	rc = ike_req_submit(h, sa, m, &req, u);
	if (!rc)
		u = NULL;
out:
	if (u)
		sa_update_free(h, u);
	free(m);
	return rc;
}

int ike_sa_start_delete(struct hike *h, struct ike_sa *sa)
{
	return send_simple(h, sa, IKE_REQ_DELETE_IKE, NULL);
}

/* A local delete that did not replicate (e.g. cancelled by a switchover)
 * leaves the SA as it was: deletable again, its timer running. */
static void delete_local_done(struct hike *h, struct sa_update *u,
			      int status, void *arg)
{
	if (status && u->ike) {
		u->ike->sa_del_pending = false;
		ike_sa_timer_update(h, u->ike);
	}
	sa_commit_default(h, u, status, arg);
}

/* Forget the SA here and on the standbys (no message to the peer). */
void ike_sa_delete_local(struct hike *h, struct ike_sa *sa, const char *why)
{
	struct sa_update *u;

	if (sa->sa_del_pending)
		return;
	u = sa_update_new(SA_UPD_IKE_SA_DELETE, sa);
	ike_sa_log(h, sa, LOG_INFO_, "deleting locally: %s", why);
	if (!u) {
		ike_sa_destroy(h, sa, true);
		return;
	}
	u->delete_ike = true;
	sa->sa_del_pending = true;
	if (repl_submit(h, u, delete_local_done, NULL)) {
		sa->sa_del_pending = false;
		sa_update_free(h, u);
	}
}

static uint64_t rto_ms(struct hike *h, uint32_t tries)
{
	uint64_t base = h->conf ? h->conf->ike.retransmit_base_ms : 2000;

	return base << (tries < 16 ? tries : 16);
}

#define RETRY_MS	1000	/* a due request that could not start */

static void sa_timer_arm(struct hike *h, struct ike_sa *sa,
			 uint64_t due_wait_ms);

/* RFC 7296 2.4: retransmit, and give up after retransmit_tries.  false:
 * given up, sa is being deleted (and may be gone). */
static bool retransmit(struct hike *h, struct ike_sa *sa, uint64_t now)
{
	struct ike_req *r = &sa->sa_req;
	uint32_t max = h->conf ? h->conf->ike.retransmit_tries : 5;

	if (now < r->sent_ms + rto_ms(h, r->tries))
		return true;
	if (r->tries >= max) {
		sa_stats(h)->request_timeouts++;
		if (r->kind == IKE_REQ_DPD)
			counters_inc(h->counters, CNT_IKE_DPD_TIMEOUT);
		ike_sa_delete_local(h, sa, r->kind == IKE_REQ_DPD ?
				    "peer is dead (DPD)" :
				    "request not answered");
		return false;
	}
	r->sent_ms += rto_ms(h, r->tries);
	r->tries++;
	ike_sa_log(h, sa, LOG_DEBUG_, "retransmit %s #%u (%u)",
		   ike_req_name(r->kind), r->msgid, r->tries);
	ike_pkts_send(h, &r->pkts, &sa->sa_local, &sa->sa_remote);
	return true;
}

static uint32_t dpd_ms(const struct ike_sa *sa)
{
	return sa->sa_conn ? sa->sa_conn->dpd_delay_s * 1000u : 0;
}

/* Lifetimes and rekeys of the Child SAs: the first one due. */
static struct child_sa *child_due(struct ike_sa *sa, uint64_t now,
				  bool *expire)
{
	struct child_sa *c;

	for (c = sa->sa_children; c; c = c->csa_next) {
		if (c->csa_delete_due && (c->csa_state == CHILD_SA_REKEYED ||
					   c->csa_state == CHILD_SA_INSTALLED))
			return c;
		if (c->csa_state != CHILD_SA_INSTALLED &&
		    c->csa_state != CHILD_SA_REKEYED)
			continue;
		*expire = c->csa_expire_ms && now >= c->csa_expire_ms;
		if (*expire || (c->csa_state == CHILD_SA_INSTALLED &&
				c->csa_rekey_ms && now >= c->csa_rekey_ms))
			return c;
	}
	return NULL;
}

/* Nothing outstanding: start what is due, in order of urgency. */
static void start_due(struct hike *h, struct ike_sa *sa, uint64_t now)
{
	struct child_sa *c;
	bool expire = false;
	uint32_t dpd = dpd_ms(sa);
	int rc = 0;

	if (sa->sa_state != IKE_SA_ESTABLISHED || !sa->sa_conn)
		return;
	if (sa->sa_rekey_ms && now >= sa->sa_rekey_ms) {
		rc = ike_req_rekey_ike(h, sa);
	} else if ((c = child_due(sa, now, &expire))) {
		rc = expire || c->csa_delete_due ?
		     send_simple(h, sa, IKE_REQ_DELETE_CHILD, c) :
		     ike_req_rekey_child(h, sa, c);
	} else if (dpd && now >= sa->sa_last_rx_ms + dpd) {
		sa_stats(h)->dpd_sent++;
		rc = send_simple(h, sa, IKE_REQ_DPD, NULL);
	}
	if (rc && rc != -EBUSY)
		ike_sa_log(h, sa, LOG_WARN_, "request not sent: %d", rc);
}

void ike_sa_timer_fire(struct hike *h, struct ike_sa *sa)
{
	uint64_t now = sa_now_ms(h);

	if (sa->sa_state == IKE_SA_HALF_OPEN) {
		if (now >= sa->sa_created_ms + HALF_OPEN_TIMEOUT_MS)
			ike_sa_delete_local(h, sa, "IKE_AUTH never came");
		else
			ike_sa_timer_update(h, sa);
		return;
	}
	if (sa->sa_flags & IKE_SA_F_BUSY)
		return;		/* an update in flight re-arms on commit */
	/* RFC 7296 2.8: at the hard lifetime, tell the peer (DELETE, with
	 * its own retransmissions) unless a request is already out */
	if (sa->sa_expire_ms && now >= sa->sa_expire_ms &&
	    sa->sa_req.kind == IKE_REQ_NONE) {
		if (sa->sa_state == IKE_SA_REKEYED && !sa->sa_children) {
			ike_sa_delete_local(h, sa, "rekeyed, and the peer "
					    "did not delete it");
			return;
		}
		ike_sa_log(h, sa, LOG_INFO_, "hard lifetime reached");
		if (ike_sa_start_delete(h, sa))
			ike_sa_delete_local(h, sa, "hard lifetime");
		return;
	}
	if (sa->sa_req.kind != IKE_REQ_NONE) {
		if (!retransmit(h, sa, now))
			return;	/* sa may be gone (local delete committed) */
	} else {
		start_due(h, sa, now);
	}
	/* the timer is one-shot: arm it for what comes next (the next
	 * retransmission above all); what could not start now is tried
	 * again in a second rather than at once */
	if (!sa->sa_del_pending)
		sa_timer_arm(h, sa, RETRY_MS);
}

static void timer_cb(void *arg)
{
	struct ike_sa *sa = arg;

	ike_sa_timer_fire(sa->sa_h, sa);
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	return b && b < a ? b : a;
}

/* The next moment something may be due on sa. */
uint64_t ike_sa_next_deadline(struct hike *h, const struct ike_sa *sa)
{
	const struct child_sa *c;
	uint64_t t = NEVER;

	if (sa->sa_state == IKE_SA_HALF_OPEN)
		return sa->sa_created_ms + HALF_OPEN_TIMEOUT_MS;
	/* an outstanding request first: its answer or its timeout */
	if (sa->sa_req.kind != IKE_REQ_NONE)
		return sa->sa_req.sent_ms + rto_ms(h, sa->sa_req.tries);
	t = min_nz(t, sa->sa_expire_ms);
	/* rekeyed, being deleted, or without a connection: only the hard
	 * lifetime (start_due() starts nothing else then) */
	if (sa->sa_state != IKE_SA_ESTABLISHED || !sa->sa_conn)
		return t;
	t = min_nz(t, sa->sa_rekey_ms);
	for (c = sa->sa_children; c; c = c->csa_next) {
		t = min_nz(t, c->csa_expire_ms);
		if (c->csa_delete_due)
			t = min_nz(t, 1);
		if (c->csa_state == CHILD_SA_INSTALLED)
			t = min_nz(t, c->csa_rekey_ms);
	}
	if (dpd_ms(sa))
		t = min_nz(t, sa->sa_last_rx_ms + dpd_ms(sa));
	return t;
}

/* Arm sa's timer for its next deadline; one already due waits
 * due_wait_ms (0: at once). */
static void sa_timer_arm(struct hike *h, struct ike_sa *sa,
			 uint64_t due_wait_ms)
{
	uint64_t t, now;

	if (!h->loop)
		return;		/* tests drive ike_sa_timer_fire() */
	if (!sa->sa_timer) {
		sa->sa_timer = loop_timer_new(h->loop, timer_cb, sa);
		if (!sa->sa_timer)
			return;
	}
	t = ike_sa_next_deadline(h, sa);
	if (t == NEVER) {
		loop_timer_stop(sa->sa_timer);
		return;
	}
	now = sa_now_ms(h);
	loop_timer_arm(sa->sa_timer, t > now ? t - now : due_wait_ms);
}

void ike_sa_timer_update(struct hike *h, struct ike_sa *sa)
{
	sa_timer_arm(h, sa, 0);
}
