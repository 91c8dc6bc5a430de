/* Responses to our own requests (RFC 7296 2.1: matched by message ID in
 * ike_rx; here the action per kind). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "crypto/kex.h"
#include "crypto/proposal.h"
#include "sa/requests.h"
#include "sa/ts.h"

static struct child_sa *child_by_in(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->sa_children; c; c = c->csa_next)
		if (c->csa_spi_in == spi)
			return c;
	return NULL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void child_deleted(struct hike *h, struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c = child_by_in(sa, spi);
	struct sa_update *u;

	if (!c)
		return;
	u = sa_update_new(SA_UPD_CHILD_SA_DELETE, sa);
	if (!u)
		return;
	u->child_del[u->nchild_del++] = c;
	if (repl_submit(h, u, sa_commit_default, NULL))
		sa_update_free(h, u);
}

/* An error notify in a response (RFC 7296 3.10.1: types below 16384). */
static const struct ike_notify_pl *error_notify(const struct ike_msg *m)
{
	uint8_t i;

	for (i = 0; i < m->nnotify; i++)
		if (m->notify[i].type < 16384)
			return &m->notify[i];
	return NULL;
}

void ike_req_response_rx(struct hike *h, struct ike_sa *sa,
			 const struct ike_rx *rx)
{
	enum ike_req_kind kind = sa->sa_req.kind;
	const struct ike_notify_pl *err = error_notify(rx->msg);
	uint32_t spi = sa->sa_req.child_spi;

	sa->sa_last_rx_ms = sa_now_ms(h);
	if (rx->msg->hdr.exchange != (kind == IKE_REQ_REKEY_CHILD ||
				      kind == IKE_REQ_REKEY_IKE ?
				      IKE_CREATE_CHILD_SA : IKE_INFORMATIONAL))
		return;
	if (err && kind != IKE_REQ_DELETE_IKE)
		ike_sa_log(h, sa, LOG_WARN_, "%s answered with %s",
			   ike_req_name(kind), ike_notify_name(err->type));
	switch (kind) {
	case IKE_REQ_DELETE_IKE:
		ike_sa_delete_local(h, sa, "DELETE answered");
		return;
	case IKE_REQ_REKEY_CHILD:
		if (!err) {
			ike_rekey_child_done(h, sa, rx);
			return;
		}
		break;
	case IKE_REQ_REKEY_IKE:
		if (!err) {
			ike_rekey_ike_done(h, sa, rx);
			return;
		}
		if (sa->sa_state == IKE_SA_REKEYING)
			ike_sa_set_state(h, sa, IKE_SA_ESTABLISHED);
		break;
	default:
		break;
	}
	ike_req_clear(&sa->sa_req);
	if (kind == IKE_REQ_DELETE_CHILD)
		child_deleted(h, sa, spi);
	ike_sa_timer_update(h, sa);
}

/* KEYMAT of a Child SA we initiated: "i" keys are our outbound ones. */
static int initiator_child(struct hike *h, struct ike_sa *sa,
			   const struct ike_msg *m, const uint8_t *gir,
			   size_t gir_len, struct child_sa *c)
{
	struct ike_req *r = &sa->sa_req;
	struct child_keys k;
	int rc;

	if (m->sa.nprop != 1 || m->sa.prop[0].spi_len != 4 ||
	    !m->tsi.nts || !m->tsr.nts)
		return -EINVAL;
	prop_to_esp_suite(&m->sa.prop[0], &c->csa_suite);
	c->csa_spi_in = r->new_child_spi;
	c->csa_spi_out = be32(m->sa.prop[0].spi);
	c->csa_ike = sa;
	c->csa_rekey_of = r->child_spi;
	c->csa_nts_local = m->tsi.nts < CHILD_MAX_TS ? m->tsi.nts : CHILD_MAX_TS;
	memcpy(c->csa_ts_local, m->tsi.ts, c->csa_nts_local * sizeof(struct ike_ts));
	c->csa_nts_remote = m->tsr.nts < CHILD_MAX_TS ? m->tsr.nts : CHILD_MAX_TS;
	memcpy(c->csa_ts_remote, m->tsr.ts,
	       c->csa_nts_remote * sizeof(struct ike_ts));
	c->csa_transport = ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) != NULL;
	rc = child_keys_derive(sa->sa_suite.prf, &c->csa_suite, sa->sa_keys.sk_d,
			       sa->sa_keys.d_len, gir, gir_len, r->nonce,
			       r->nonce_len, m->nonce.data, m->nonce.len, &k);
	if (!rc) {
		c->csa_e_len = k.e_len;
		c->csa_a_len = k.a_len;
		memcpy(c->csa_out.ekey, k.ei, sizeof(k.ei));
		memcpy(c->csa_out.akey, k.ai, sizeof(k.ai));
		memcpy(c->csa_in.ekey, k.er, sizeof(k.er));
		memcpy(c->csa_in.akey, k.ar, sizeof(k.ar));
	}
	child_keys_wipe(&k);
	if (!rc && sa->sa_conn) {
		uint64_t now = sa_now_ms(h);

		c->csa_rekey_ms = sa->sa_conn->child_rekey_s ?
			now + (uint64_t)sa->sa_conn->child_rekey_s * 1000 : 0;
		c->csa_expire_ms = sa->sa_conn->child_lifetime_s ?
			now + (uint64_t)sa->sa_conn->child_lifetime_s * 1000 : 0;
	}
	return rc;
}

static int peer_dh(struct ike_req *r, const struct ike_msg *m, uint8_t *gir,
		   size_t *gir_len)
{
	if (!r->kex) {
		*gir_len = 0;
		return 0;
	}
	if (!m->count_enc[IKE_PL_KE] || m->ke.group != kex_group(r->kex))
		return -EINVAL;
	return kex_derive(r->kex, m->ke.data, m->ke.len, gir, gir_len);
}

void ike_rekey_child_done(struct hike *h, struct ike_sa *sa,
			  const struct ike_rx *rx)
{
	struct child_sa *old = child_by_in(sa, sa->sa_req.child_spi);
	struct child_sa *c = child_sa_new(h);
	struct sa_update *u = sa_update_new(SA_UPD_CHILD_SA_REKEY, sa);
	uint8_t gir[KEX_MAX_SECRET];
	size_t gir_len = sizeof(gir);
	int rc = -ENOMEM;

	if (c && u)
		rc = peer_dh(&sa->sa_req, rx->msg, gir, &gir_len);
	if (!rc)
		rc = initiator_child(h, sa, rx->msg, gir_len ? gir : NULL,
				     gir_len, c);
	if (!rc && old && old->csa_state == CHILD_SA_REKEYED &&
	    !old->csa_delete_due) {
		/* RFC 7296 2.8.1: the peer rekeyed it too.  The exchange with
		 * the lowest nonce made the redundant SA; its initiator
		 * deletes it, the other one deletes the old SA. */
		uint8_t ours[16];

		rekey_nonce_min(sa->sa_req.nonce, sa->sa_req.nonce_len,
				rx->msg->nonce.data, rx->msg->nonce.len, ours);
		if (memcmp(ours, old->csa_peer_rekey_nonce, 16) < 0) {
			c->csa_delete_due = true;	/* ours lost */
			old = NULL;
		}
		ike_sa_log(h, sa, LOG_INFO_, "child rekey collision on %08x: "
			   "ours %s", c->csa_rekey_of, old ? "wins" : "loses");
	}
	if (!rc) {
		u->child_add[u->nchild_add++] = c;
		c = NULL;
		u->child_rekeyed = old;
		u->rekeyed_by_us = true;
		rc = repl_submit(h, u, sa_commit_default, NULL);
		if (!rc)
			u = NULL;
	}
	ike_req_clear(&sa->sa_req);
	if (rc)
		ike_sa_log(h, sa, LOG_WARN_, "child rekey failed: %d", rc);
	child_sa_free(c);
	sa_update_free(h, u);
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_sa_timer_fire(h, sa);	/* the old SA's DELETE is due */
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* The successor we initiated (RFC 7296 2.18): we are its initiator. */
static int stage_successor(struct hike *h, struct ike_sa *old,
			   const struct ike_msg *m, const uint8_t *gir,
			   size_t gir_len, struct ike_sa **out)
{
	struct ike_req *r = &old->sa_req;
	struct ike_sa *sa;
	int rc;

	if (m->sa.nprop != 1 || m->sa.prop[0].proto != IKE_PROTO_IKE ||
	    m->sa.prop[0].spi_len != 8)
		return -EINVAL;
	sa = ike_sa_new(h);
	if (!sa)
		return -ENOMEM;
	sa->sa_flags = (old->sa_flags & ~IKE_SA_F_BUSY) | IKE_SA_F_INITIATOR;
	sa->sa_ispi = r->new_spi;
	sa->sa_rspi = be64(m->sa.prop[0].spi);
	sa->sa_local = old->sa_local;
	sa->sa_remote = old->sa_remote;
	sa->sa_conn = old->sa_conn;
	sa->sa_peer_id_type = old->sa_peer_id_type;
	sa->sa_peer_id_len = old->sa_peer_id_len;
	memcpy(sa->sa_peer_id, old->sa_peer_id, sizeof(sa->sa_peer_id));
	if (old->sa_conn) {
		sa->sa_rekey_ms = old->sa_conn->ike_rekey_s ? sa->sa_created_ms +
				  (uint64_t)old->sa_conn->ike_rekey_s * 1000 : 0;
		sa->sa_expire_ms = old->sa_conn->ike_lifetime_s ?
			sa->sa_created_ms +
			(uint64_t)old->sa_conn->ike_lifetime_s * 1000 : 0;
	}
	prop_to_ike_suite(&m->sa.prop[0], &sa->sa_suite);
	rc = ike_keys_rekey(&sa->sa_suite, old->sa_suite.prf,
			    old->sa_keys.sk_d, old->sa_keys.d_len,
			    r->nonce, r->nonce_len, m->nonce.data, m->nonce.len,
			    gir, gir_len, sa->sa_ispi, sa->sa_rspi,
			    &sa->sa_keys);
	if (rc) {
		ike_sa_free(h, sa);
		return rc;
	}
	*out = sa;
	return 0;
}

/*
 * RFC 7296 2.8.2: the peer rekeyed this IKE SA while our rekey of it was
 * out, so there are two new SAs.  The one made by the exchange with the
 * lowest nonce is redundant and its initiator deletes it; the initiator
 * of the survivor deletes the old SA.  Returns the peer's new SA when
 * ours survives (the Child SAs move from it to ours), else NULL (ours is
 * redundant: *lost).
 */
static struct ike_sa *rekey_collision(struct hike *h, struct ike_sa *sa,
				      const struct ike_msg *m, bool *lost)
{
	struct ike_sa *peers = ike_sa_find_serial(h, sa->sa_successor);
	uint8_t ours[16];

	rekey_nonce_min(sa->sa_req.nonce, sa->sa_req.nonce_len,
			m->nonce.data, m->nonce.len, ours);
	*lost = memcmp(ours, sa->sa_peer_rekey_nonce, sizeof(ours)) < 0;
	ike_sa_log(h, sa, LOG_INFO_, "IKE rekey collision with the peer's "
		   "ike %llu: ours %s", (unsigned long long)sa->sa_successor,
		   *lost ? "is redundant, deleting it" :
		   "survives, deleting the peer's and this one");
	return *lost ? NULL : peers;
}

/* Our successor lost a collision: committed, then deleted (DELETE on it,
 * from its own keys) once it is in the tables. */
static void commit_then_delete(struct hike *h, struct sa_update *u,
			       int status, void *arg)
{
	struct ike_sa *nsa = u->ike_new;
	bool in = false;

	(void)arg;
	if (status)
		log_warn(&h->log, "sa: IKE rekey not replicated: %d", status);
	else if (sa_update_apply(h, u, true))
		log_err(&h->log, "sa: IKE rekey could not be applied");
	else
		in = !u->owns_ike_new;	/* the tables own it now */
	sa_update_free(h, u);
	if (in && ike_sa_start_delete(h, nsa))
		ike_sa_delete_local(h, nsa, "redundant after a rekey collision");
}

void ike_rekey_ike_done(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx)
{
	struct sa_update *u = sa_update_new(SA_UPD_IKE_SA_ADD, sa);
	struct ike_sa *nsa = NULL, *peers = NULL;
	uint8_t gir[KEX_MAX_SECRET];
	size_t gir_len = sizeof(gir);
	bool collision = sa->sa_state == IKE_SA_REKEYED && sa->sa_successor,
	     lost = false;
	int rc = u ? 0 : -ENOMEM;

	if (!rc)
		rc = peer_dh(&sa->sa_req, rx->msg, gir, &gir_len);
	if (!rc && !gir_len)
		rc = -EINVAL;		/* an IKE rekey always has KE */
	if (!rc)
		rc = stage_successor(h, sa, rx->msg, gir, gir_len, &nsa);
	if (!rc && collision) {
		peers = rekey_collision(h, sa, rx->msg, &lost);
		if (peers)
			u->ike = peers;	/* its Child SAs and lease move to ours */
	}
	ike_req_clear(&sa->sa_req);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (!rc) {
		u->ike_new = nsa;
		u->owns_ike_new = true;
		u->set_state = true;
		u->state = IKE_SA_REKEYED;
		rc = repl_submit(h, u, lost ? commit_then_delete :
				 sa_commit_default, NULL);
		if (!rc)
			u = NULL;
	}
	sa_update_free(h, u);
	if (rc) {
		ike_sa_log(h, sa, LOG_WARN_, "IKE rekey failed: %d", rc);
		if (sa->sa_state == IKE_SA_REKEYING)
			ike_sa_set_state(h, sa, IKE_SA_ESTABLISHED);
		return;
	}
	if (lost)
		return;		/* the peer deletes the old SA */
	/* RFC 7296 2.18: the old IKE SA is deleted by its rekey initiator */
	if (ike_sa_start_delete(h, sa))
		ike_sa_log(h, sa, LOG_WARN_, "DELETE of the old SA not sent");
}
