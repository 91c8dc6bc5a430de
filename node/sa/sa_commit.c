/* Applying a replicated update: the only place the SA tables change in
 * response to an exchange. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "core/counters.h"
#include "sa/exchange.h"
#include "sa/pool.h"
#include "sa/repl.h"
#include "sa/table.h"

static void child_datapath(struct hike *h, struct child_sa *c, bool install)
{
	const struct child_sa_ops *ops = h->ike_sas->ops;
	int rc;

	if (!ops)
		return;
	rc = install ? (ops->install ? ops->install(h->ike_sas->ops_ctx, c) : 0)
		     : (ops->remove ? ops->remove(h->ike_sas->ops_ctx, c) : 0);
	if (rc && c->csa_ike)
		ike_sa_log(h, c->csa_ike, LOG_ERR_, "child %08x: datapath %s "
			   "failed: %d", c->csa_spi_in,
			   install ? "install" : "remove", rc);
}

static bool addr_same(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* RFC 7296 2.23: the peer's address or port changed (a NAT rebinding);
 * its Child SAs' ESP-in-UDP must follow, even when no ESP has come in
 * from the new port yet. */
static void children_moved(struct hike *h, struct ike_sa *sa)
{
	const struct child_sa_ops *ops = h->ike_sas->ops;

	if (!ops || !ops->moved)
		return;
	for (struct child_sa *c = sa->sa_children; c; c = c->csa_next)
		ops->moved(h->ike_sas->ops_ctx, c);
	ike_sa_log(h, sa, LOG_INFO_, "peer moved: Child SAs follow");
}

/* Out of the tables and the datapath, then freed. */
static void child_sa_destroy(struct hike *h, struct child_sa *c, bool send)
{
	if (send && c->csa_state != CHILD_SA_NEW)
		child_datapath(h, c, false);
	child_sa_remove(h, c);
	if (c->csa_ike)
		ike_sa_unlink_child(c->csa_ike, c);
	child_sa_set_state(h, c, CHILD_SA_DEAD);
	counters_inc(h->counters, CNT_CHILD_SA_DELETED);
	child_sa_free(c);
}

void ike_sa_destroy(struct hike *h, struct ike_sa *sa, bool send)
{
	while (sa->sa_children)
		child_sa_destroy(h, sa->sa_children, send);
	if (sa->sa_lease_pool >= 0)
		sa_pool_release(h, sa->sa_conn, sa->sa_lease_pool, sa->sa_lease);
	ike_sa_remove(h, sa);
	ike_sa_set_state(h, sa, IKE_SA_DEAD);
	counters_inc(h->counters, CNT_IKE_SA_DELETED);
	ike_sa_free(h, sa);
}

static void apply_ike_fields(struct hike *h, struct ike_sa *sa,
			     struct sa_update *u, bool send)
{
	if (u->set_state) {
		if (u->state == IKE_SA_ESTABLISHED &&
		    sa->sa_state == IKE_SA_HALF_OPEN)
			counters_inc(h->counters, CNT_IKE_SA_ESTABLISHED);
		ike_sa_set_state(h, sa, u->state);
	}
	sa->sa_flags = (sa->sa_flags | u->flags_set) & ~u->flags_clear;
	if (u->conn)	/* staged before a reload? the namesake now */
		sa->sa_conn = sa_conn_current(h, u->conn);
	if (u->lease_pool >= 0) {
		if (!send)
			sa_pool_mark(h, sa->sa_conn, u->lease_pool, u->lease);
		sa->sa_lease_pool = u->lease_pool;
		memcpy(sa->sa_lease, u->lease, sizeof(sa->sa_lease));
		u->lease_pool = -1;	/* the SA owns the lease now */
	}
	if (u->peer_id_len) {
		sa->sa_peer_id_type = u->peer_id_type;
		sa->sa_peer_id_len = u->peer_id_len;
		memcpy(sa->sa_peer_id, u->peer_id, sizeof(sa->sa_peer_id));
		ike_sa_peer_id_changed(h, sa);	/* INITIAL_CONTACT's index */
	}
	if (u->set_times) {
		sa->sa_rekey_ms = u->rekey_ms;
		sa->sa_expire_ms = u->expire_ms;
	}
	if (u->drop_init_material)
		ike_sa_drop_init_material(sa);
}

/* RFC 7296 2.18: the Child SAs move to the new IKE SA. */
static void apply_ike_new(struct hike *h, struct sa_update *u)
{
	struct ike_sa *old = u->ike, *sa = u->ike_new;
	struct child_sa *c;
	uint64_t now;

	ike_sa_set_state(h, sa, IKE_SA_ESTABLISHED);
	sa->sa_conn = sa_conn_current(h, sa->sa_conn);	/* staged earlier */
	if (ike_sa_insert(h, sa) < 0) {
		ike_sa_log(h, sa, LOG_ERR_, "table insert failed");
		return;
	}
	u->owns_ike_new = false;
	/* the virtual IP lease follows the SA */
	sa->sa_lease_pool = old->sa_lease_pool;
	memcpy(sa->sa_lease, old->sa_lease, sizeof(sa->sa_lease));
	old->sa_lease_pool = -1;
	while ((c = old->sa_children)) {
		ike_sa_unlink_child(old, c);
		ike_sa_link_child(sa, c);
	}
	old->sa_successor = sa->sa_serial;
	/* its rekey initiator deletes it (2.18, 2.8.2); should that never
	 * come, it goes when the grace is over (requests.c) */
	now = sa_now_ms(h);
	if (!old->sa_expire_ms || old->sa_expire_ms > now + IKE_REKEYED_GRACE_MS)
		old->sa_expire_ms = now + IKE_REKEYED_GRACE_MS;
	if (!(sa->sa_flags & IKE_SA_F_INITIATOR))	/* the peer's rekey */
		memcpy(old->sa_peer_rekey_nonce, u->rekey_nonce,
		       sizeof(old->sa_peer_rekey_nonce));
	counters_inc(h->counters, CNT_IKE_SA_REKEYED);
	ike_sa_keylog(h, sa);
}

static void apply_children(struct hike *h, struct sa_update *u, bool send)
{
	struct child_sa *c;
	unsigned i;

	for (i = 0; i < u->nchild_del; i++)
		child_sa_destroy(h, u->child_del[i], send);
	u->nchild_del = 0;
	if (u->child_rekeyed) {
		child_sa_set_state(h, u->child_rekeyed, CHILD_SA_REKEYED);
		u->child_rekeyed->csa_delete_due = u->rekeyed_by_us;
		if (!u->rekeyed_by_us)
			memcpy(u->child_rekeyed->csa_peer_rekey_nonce,
			       u->rekey_nonce, sizeof(u->rekey_nonce));
	}
	for (i = 0; i < u->nchild_add; i++) {
		c = u->child_add[i];
		if (!c->csa_ike)
			c->csa_ike = u->ike;
		if (child_sa_insert(h, c) < 0) {
			child_sa_free(c);
			continue;
		}
		ike_sa_link_child(c->csa_ike, c);
		child_sa_set_state(h, c, CHILD_SA_INSTALLED);
		counters_inc(h->counters, c->csa_rekey_of ?
			     CNT_CHILD_SA_REKEYED : CNT_CHILD_SA_ESTABLISHED);
		if (send)
			child_datapath(h, c, true);
	}
	u->nchild_add = 0;
}

static void apply_window(struct hike *h, struct ike_sa *sa,
			 struct sa_update *u, bool send)
{
	if (u->answers) {
		sa->sa_peer_next = u->msgid + 1;
		ike_pkts_free(&sa->sa_resp);
		sa->sa_resp = u->resp;
		memset(&u->resp, 0, sizeof(u->resp));
		/* RFC 7296 2.11: reply to where the request came from */
		sa->sa_local = u->local;
		sa->sa_remote = u->remote;
		if (send && sa->sa_resp.n)
			ike_pkts_send(h, &sa->sa_resp, &u->local, &u->remote);
	}
	if (u->has_req) {
		ike_req_clear(&sa->sa_req);
		sa->sa_req = u->req;
		memset(&u->req, 0, sizeof(u->req));
		sa->sa_our_next = sa->sa_req.msgid + 1;
		sa->sa_req.sent_ms = sa_now_ms(h);
		if (send)
			ike_pkts_send(h, &sa->sa_req.pkts, &sa->sa_local,
				      &sa->sa_remote);
	}
}

int sa_update_apply(struct hike *h, struct sa_update *u, bool send)
{
	struct ike_sa *sa = u->ike;
	int rc;

	if (u->owns_ike) {
		/* a new IKE SA from IKE_SA_INIT: into the SPI index */
		if (u->set_state)
			ike_sa_set_state(h, sa, u->state);
		rc = ike_sa_insert(h, sa);
		if (rc)
			return rc;
		u->owns_ike = false;
		ike_sa_keylog(h, sa);
	} else {
		apply_ike_fields(h, sa, u, send);
	}
	if (u->ike_new && u->owns_ike_new)
		apply_ike_new(h, u);
	/* RFC 7296 2.23: the peer's latest authenticated address/port (it
	 * moves to 4500 in IKE_AUTH) before Child SAs reach the datapath,
	 * whose ESP-in-UDP goes there too */
	if (u->answers) {
		bool moved = !addr_same(&sa->sa_remote, &u->remote) ||
			     !addr_same(&sa->sa_local, &u->local);

		sa->sa_local = u->local;
		sa->sa_remote = u->remote;
		if (moved && send)
			children_moved(h, sa);
	}
	apply_children(h, u, send);
	apply_window(h, sa, u, send);
	sa->sa_flags &= ~IKE_SA_F_BUSY;
	if (u->delete_ike) {
		ike_sa_destroy(h, sa, send);
		u->ike = NULL;
	} else if (send) {
		ike_sa_timer_update(h, sa);
	}
	if (u->ike_new && send)
		ike_sa_timer_update(h, u->ike_new);
	return 0;
}

void sa_commit_default(struct hike *h, struct sa_update *u, int status,
		       void *arg)
{
	(void)arg;
	if (status)
		log_warn(&h->log, "sa: %s not replicated: %d",
			 sa_update_kind_name(u->kind), status);
	else if (sa_update_apply(h, u, true))
		log_err(&h->log, "sa: %s could not be applied",
			sa_update_kind_name(u->kind));
	sa_update_free(h, u);
}
