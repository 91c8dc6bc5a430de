/*
 * IKE_AUTH (RFC 7296 1.2, 2.15), PSK:
 *   HDR, SK { IDi, [IDr,] AUTH, [CP(CFG_REQUEST),] SAi2, TSi, TSr,
 *             [N(USE_TRANSPORT_MODE)], [N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED)] }  -->
 *           <--  HDR, SK { IDr, AUTH, [CP(CFG_REPLY),] SAr2, TSi, TSr, [N...] }
 * A wrong AUTH or an unknown identity is answered with an encrypted
 * AUTHENTICATION_FAILED and the half-open SA is deleted: nothing is left.
 * A Child SA that cannot be created (proposal, selectors, address)
 * leaves the IKE SA established and the reason in a notify (2.21.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "core/counters.h"
#include "crypto/auth_sig.h"
#include "crypto/prf.h"
#include "sa/cert_auth.h"
#include "sa/exchange.h"
#include "sa/pool.h"
#include "sa/table.h"
#include "sa/ts.h"

#define ID_RAW_MAX	(4 + CONF_MAX_ID)

struct auth_ctx {
	struct hike *h;
	struct ike_sa *sa;
	const struct ike_rx *rx;
	const struct conf_conn *conn;
	struct sa_update *u;
	struct ike_msg *resp;
	uint8_t idr_raw[ID_RAW_MAX];
	size_t idr_raw_len;
	uint8_t auth[AUTH_SIG_MAX];
	size_t auth_len;
	uint8_t auth_method;
	uint8_t cp_addr[17];		/* CP reply: address (+ prefix) */
	struct conf_id our_id;
	/* public-key AUTH: signed on a worker, answered when it is done */
	struct cert_sign_job job;
	uint64_t spi, serial, conf_gen;	/* to find the SA again */
	uint32_t msgid;
	struct sockaddr_storage local, remote;
	bool initial_contact;
	uint16_t peer_method;
};

/* RFC 7296 3.5: ID payload body = type, 3 reserved, data. */
static size_t id_raw(const struct conf_id *id, uint8_t *out)
{
	memset(out, 0, 4);
	out[0] = id->type;
	memcpy(out + 4, id->data, id->len);
	return 4 + id->len;
}

/* Peer's AUTH: prf(prf(PSK, pad), RealMessage1 | Nr | prf(SK_pi, IDi')),
 * compared in constant time. */
static bool peer_auth_ok(const struct auth_ctx *a)
{
	const struct ike_sa *sa = a->sa;
	const struct ike_msg *m = a->rx->msg;
	uint8_t want[PRF_MAX_LEN];
	size_t len = 0;
	bool ok;

	if (a->conn->remote_auth == CONF_AUTH_PUBKEY)
		return m->auth.method != IKE_AUTH_PSK &&
		       !ike_cert_verify_peer(a->h, sa, a->conn, m);
	if (m->auth.method != IKE_AUTH_PSK ||
	    a->conn->remote_auth != CONF_AUTH_PSK)
		return false;
	if (ike_psk_auth(sa->sa_suite.prf, (const uint8_t *)a->conn->psk,
			 a->conn->psk_len, sa->sa_msg1, sa->sa_msg1_len,
			 sa->sa_nr, sa->sa_nr_len, sa->sa_keys.sk_pi,
			 sa->sa_keys.p_len, m->idi.raw, m->idi.raw_len,
			 want, &len))
		return false;
	ok = len == m->auth.len && !CRYPTO_memcmp(want, m->auth.data, len);
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* Our ID and, for a PSK, our AUTH; a signature is made later (sign_*). */
static int our_auth(struct auth_ctx *a)
{
	const struct ike_sa *sa = a->sa;
	int rc;

	if (a->conn->local_auth == CONF_AUTH_PUBKEY) {
		rc = ike_cert_our_id(a->h, a->conn, &a->our_id);
		if (rc)
			return rc;
		a->idr_raw_len = id_raw(&a->our_id, a->idr_raw);
		return ike_cert_sign_prepare(a->h, sa, a->conn, a->idr_raw,
					     a->idr_raw_len, &a->job);
	}
	a->auth_method = IKE_AUTH_PSK;
	conn_local_id(a->conn, sa, &a->our_id);
	a->idr_raw_len = id_raw(&a->our_id, a->idr_raw);
	return ike_psk_auth(sa->sa_suite.prf, (const uint8_t *)a->conn->psk,
			    a->conn->psk_len, sa->sa_msg2, sa->sa_msg2_len,
			    sa->sa_ni, sa->sa_ni_len, sa->sa_keys.sk_pr,
			    sa->sa_keys.p_len, a->idr_raw, a->idr_raw_len,
			    a->auth, &a->auth_len);
}

static bool cp_wants(const struct ike_cp_pl *cp, uint16_t type)
{
	uint8_t i;

	for (i = 0; i < cp->nattr; i++)
		if (cp->attr[i].type == type)
			return true;
	return false;
}

/* RFC 7296 3.15: CFG_REQUEST -> CFG_REPLY with a leased address (and
 * DNS servers).  -EPROTO when no address is left (the Child SA fails
 * with INTERNAL_ADDRESS_FAILURE). */
static int config_payload(struct auth_ctx *a, struct child_req *cr)
{
	const struct ike_msg *m = a->rx->msg;
	struct ike_cp_pl *cp = &a->resp->cp;
	int family = 0, pool;
	size_t i;

	if (!m->count_enc[IKE_PL_CP] || m->cp.type != IKE_CFG_REQUEST ||
	    !a->conn->npools)
		return 0;
	if (cp_wants(&m->cp, IKE_CP_INTERNAL_IP4_ADDRESS))
		family = AF_INET;
	else if (cp_wants(&m->cp, IKE_CP_INTERNAL_IP6_ADDRESS))
		family = AF_INET6;
	if (!family)
		return 0;
	if (sa_pool_lease(a->h, a->conn, family, &pool, a->u->lease))
		return -EPROTO;
	a->u->lease_pool = pool;
	cr->lease_family = family;
	cr->lease = a->u->lease;
	if (!ike_msg_add(a->resp, IKE_PL_CP, true))
		return -ENOSPC;
	cp->type = IKE_CFG_REPLY;
	cp->nattr = 1;
	cp->attr[0].type = family == AF_INET ? IKE_CP_INTERNAL_IP4_ADDRESS
					     : IKE_CP_INTERNAL_IP6_ADDRESS;
	memcpy(a->cp_addr, a->u->lease, 16);
	a->cp_addr[16] = 128;	/* RFC 7296 3.15.1: IPv6 address | prefix */
	cp->attr[0].data = a->cp_addr;
	cp->attr[0].len = family == AF_INET ? 4 : 17;
	for (i = 0; i < a->conn->ndns && cp->nattr < IKE_MAX_CP_ATTR; i++) {
		const struct conf_net *d = &a->conn->dns[i];

		cp->attr[cp->nattr].type = d->family == AF_INET ?
			IKE_CP_INTERNAL_IP4_DNS : IKE_CP_INTERNAL_IP6_DNS;
		cp->attr[cp->nattr].data = d->addr;
		cp->attr[cp->nattr].len = d->family == AF_INET ? 4 : 16;
		cp->nattr++;
	}
	return 0;
}

/* The first Child SA (RFC 7296 1.2); a failure becomes a notify. */
static int first_child(struct auth_ctx *a)
{
	const struct ike_msg *m = a->rx->msg;
	struct ike_sa *sa = a->sa;
	struct child_req cr = {
		.sa = &m->sa, .tsi = &m->tsi, .tsr = &m->tsr,
		.transport = ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) != NULL,
		.ni = sa->sa_ni, .ni_len = sa->sa_ni_len,
		.nr = sa->sa_nr, .nr_len = sa->sa_nr_len,
		.no_dh = true,
	};
	struct child_sa *c = NULL;
	uint16_t notify = 0;
	int rc;

	if (!m->count_enc[IKE_PL_SA])
		return 0;	/* RFC 6023 childless: nothing to create */
	rc = config_payload(a, &cr);
	if (rc == -EPROTO)
		notify = IKE_N_INTERNAL_ADDRESS_FAILURE;
	else if (!rc)
		rc = child_stage(a->h, sa, a->conn, &cr, a->resp, &c, &notify,
				 NULL);
	if (rc == -EPROTO) {
		ike_sa_log(a->h, sa, LOG_WARN_, "IKE_AUTH: no Child SA: %s",
			   ike_notify_name(notify));
		return ike_msg_add_notify(a->resp, true, notify, NULL, 0) ?
		       0 : -ENOSPC;
	}
	if (rc)
		return rc;
	a->u->child_add[a->u->nchild_add++] = c;
	a->u->kind = SA_UPD_CHILD_SA_ADD;
	return 0;
}

static int build_response(struct auth_ctx *a)
{
	struct ike_msg *r = a->resp;
	const struct ike_msg *m = a->rx->msg;
	struct ike_hdr hdr;
	int rc;

	ike_sa_hdr(a->sa, IKE_AUTH, m->hdr.msgid, true, &hdr);
	ike_msg_init(r, &hdr);
	if (!ike_msg_add(r, IKE_PL_IDR, true))
		return -ENOSPC;
	r->idr.type = a->our_id.type;
	r->idr.data = a->our_id.data;
	r->idr.len = a->our_id.len;
	/* RFC 7296 1.2: { IDr, [CERT,] AUTH, ... } */
	if (a->conn->local_auth == CONF_AUTH_PUBKEY &&
	    (rc = ike_cert_add_chain(a->h, a->conn, m, r)))
		return rc;
	if (!ike_msg_add(r, IKE_PL_AUTH, true))
		return -ENOSPC;
	r->auth.method = a->auth_method;
	r->auth.data = a->auth;
	r->auth.len = a->auth_len;
	rc = first_child(a);
	if (rc)
		return rc;
	/* RFC 6311 3: echo support so the cluster may resync after takeover */
	if (ike_msg_notify(m, IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED)) {
		a->u->flags_set |= IKE_SA_F_MSGID_SYNC;
		if (!ike_msg_add_notify(r, true,
					IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED,
					NULL, 0))
			return -ENOSPC;
	}
	if (ike_msg_notify(m, IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED)) {
		a->u->flags_set |= IKE_SA_F_REPLAY_SYNC;
		if (!ike_msg_add_notify(r, true,
					IKE_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED,
					NULL, 0))
			return -ENOSPC;
	}
	return 0;
}

static void stage_established(struct auth_ctx *a)
{
	const struct ike_msg *m = a->rx->msg;
	struct sa_update *u = a->u;
	uint64_t now = sa_now_ms(a->h);

	u->set_state = true;
	u->state = IKE_SA_ESTABLISHED;
	u->conn = a->conn;
	u->drop_init_material = true;
	u->peer_id_type = m->idi.type;
	u->peer_id_len = (uint8_t)(m->idi.len < sizeof(u->peer_id) ?
				   m->idi.len : sizeof(u->peer_id));
	memcpy(u->peer_id, m->idi.data, u->peer_id_len);
	u->set_times = true;
	u->rekey_ms = a->conn->ike_rekey_s ?
		      now + (uint64_t)a->conn->ike_rekey_s * 1000 : 0;
	u->expire_ms = a->conn->ike_lifetime_s ?
		       now + (uint64_t)a->conn->ike_lifetime_s * 1000 : 0;
}

static void auth_failed(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx, const char *why)
{
	ike_sa_log(h, sa, LOG_WARN_, "IKE_AUTH: %s: AUTHENTICATION_FAILED", why);
	counters_inc(h->counters, CNT_IKE_AUTH_FAILED);
	sa_stats(h)->auth_failed++;
	/* RFC 7296 2.21.2: answer, then forget the SA */
	if (ike_sa_reply_notify(h, sa, rx, IKE_N_AUTHENTICATION_FAILED, NULL,
				0, true))
		ike_sa_log(h, sa, LOG_ERR_, "IKE_AUTH: could not answer");
}

static void auth_ctx_free(struct auth_ctx *a)
{
	sa_update_free(a->h, a->u);
	free(a->resp);
	ike_cert_sign_clear(&a->job);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

/* Everything staged: answer, replicate; INITIAL_CONTACT after it. */
static int auth_answer(struct auth_ctx *a, const struct ike_rx *rx)
{
	struct hike *h = a->h;
	struct ike_sa *sa = a->sa;
	uint8_t id[SA_PEER_ID_MAX], id_type = a->u->peer_id_type;
	size_t id_len = a->u->peer_id_len;
	int rc;

	ike_sa_log(h, sa, LOG_INFO_, "IKE_AUTH: peer authenticated (%s), "
		   "connection %s", ike_auth_method_name(a->peer_method),
		   a->conn->name);
	memcpy(id, a->u->peer_id, id_len);	/* a->u goes to the replicator */
	rc = ike_sa_answer(h, sa, rx, a->resp, &a->u);
	/* after ours: the deletes replicate behind the new SA, which in a
	 * cluster has no conn or ID yet (they come with its commit) */
	if (!rc && a->initial_contact)
		ike_sa_initial_contact_id(h, sa, a->conn, id_type, id, id_len);
	return rc;
}

/* Worker: the private-key operation, nothing else. */
static void sign_work(void *arg)
{
	struct auth_ctx *a = arg;

	ike_cert_sign_run(&a->job);
}

/* Loop: the SA may have gone or be going (half-open timeout) or the
 * configuration been replaced (the response points at its certificates)
 * meanwhile: then drop it all; the peer's retransmission starts afresh. */
static void sign_done(void *arg, int status)
{
	struct auth_ctx *a = arg;
	struct hike *h = a->h;
	struct ike_sa *sa = ike_sa_find(h, a->spi);
	struct ike_msg hdr_only = { .hdr.msgid = a->msgid };
	struct ike_rx rx = { .local = &a->local, .remote = &a->remote,
			     .msg = &hdr_only };
	int rc = status ? status : a->job.rc;

	if (!sa || sa->sa_serial != a->serial) {
		a->u->ike = NULL;	/* gone: nothing of it to touch */
		auth_ctx_free(a);
		return;
	}
	sa->sa_flags &= ~IKE_SA_F_BUSY;
	if (sa->sa_del_pending) {	/* its delete is replicating: an
					   update behind it would find it freed */
		auth_ctx_free(a);
		return;
	}
	if (!rc && h->ike_sas->conf_gen != a->conf_gen)
		rc = -ESTALE;
	if (!rc) {
		memcpy(a->auth, a->job.auth, a->job.auth_len);
		a->auth_len = a->job.auth_len;
		a->resp->auth.method = a->job.method;
		a->resp->auth.len = a->auth_len;
		rc = auth_answer(a, &rx);
	}
	if (rc)
		ike_sa_log(h, sa, LOG_ERR_, "IKE_AUTH: failed: %d%s", rc,
			   rc == -ESTALE ? " (configuration reloaded meanwhile; "
			   "the peer's retransmission is answered afresh)" : "");
	auth_ctx_free(a);
}

/* Sign on a worker; the SA stays BUSY (retransmissions dropped) until
 * sign_done. */
static int sign_offload(struct auth_ctx *a, const struct ike_rx *rx)
{
	struct ike_sa *sa = a->sa;
	int rc;

	a->spi = ike_sa_our_spi(sa);
	a->serial = sa->sa_serial;
	a->conf_gen = a->h->ike_sas->conf_gen;
	a->msgid = rx->msg->hdr.msgid;
	a->local = *rx->local;
	a->remote = *rx->remote;
	a->rx = NULL;		/* not valid after we return */
	sa->sa_flags |= IKE_SA_F_BUSY;
	rc = sa_offload(a->h, sign_work, sign_done, a);
	if (rc)
		sa->sa_flags &= ~IKE_SA_F_BUSY;
	return rc;
}

void ike_auth_rx(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx)
{
	const struct ike_msg *m = rx->msg;
	struct auth_ctx *a = calloc(1, sizeof(*a));
	int rc = -ENOMEM;

	if (!a) {
		ike_sa_log(h, sa, LOG_ERR_, "IKE_AUTH: out of memory");
		return;
	}
	*a = (struct auth_ctx){ .h = h, .sa = sa, .rx = rx,
		.peer_method = m->auth.method,
		.initial_contact = ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL };
	a->conn = conn_find_auth(h, sa, &m->idi,
				 m->count_enc[IKE_PL_IDR] ? &m->idr : NULL);
	if (!a->conn) {
		auth_failed(h, sa, rx, "no connection for this identity");
		goto out_free;
	}
	if (!peer_auth_ok(a)) {
		auth_failed(h, sa, rx, "peer AUTH does not verify");
		goto out_free;
	}
	a->resp = malloc(sizeof(*a->resp));
	a->u = sa_update_new(SA_UPD_IKE_SA_UPDATE, sa);
	if (!a->resp || !a->u)
		goto out;
	a->u->conn = a->conn;	/* for a lease release on failure */
	rc = our_auth(a);
	if (!rc)
		rc = build_response(a);
	if (!rc)
		stage_established(a);
	if (!rc && a->conn->local_auth == CONF_AUTH_PUBKEY) {
		rc = sign_offload(a, rx);
		if (!rc)
			return;		/* sign_done() goes on */
	} else if (!rc) {
		rc = auth_answer(a, rx);
	}
out:
	if (rc)
		ike_sa_log(h, sa, LOG_ERR_, "IKE_AUTH: failed: %d", rc);
out_free:
	auth_ctx_free(a);
}
