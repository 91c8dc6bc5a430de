/*
 * CREATE_CHILD_SA requests from the peer (RFC 7296 1.3):
 *   new Child SA:  HDR, SK { SA, Ni, [KEi], TSi, TSr }             -->
 *   Child rekey:   HDR, SK { N(REKEY_SA), SA, Ni, [KEi], TSi, TSr } -->
 *                                  <--  HDR, SK { SA, Nr, [KEr], TSi, TSr }
 *   IKE SA rekey:  HDR, SK { SA, Ni, KEi }  -->  <--  HDR, SK { SA, Nr, KEr }
 * The Diffie-Hellman of a PFS or IKE rekey runs inline: these exchanges
 * are rare compared with IKE_SA_INIT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "core/counters.h"
#include "crypto/kex.h"
#include "crypto/proposal.h"
#include "sa/exchange.h"
#include "sa/table.h"
#include "sa/ts.h"

#define NONCE_LEN	32

struct child_ctx {
	struct hike *h;
	struct ike_sa *sa;
	const struct ike_rx *rx;
	struct ike_msg *resp;
	struct sa_update *u;
	uint8_t nr[NONCE_LEN];
	uint8_t pub[KEX_MAX_PUB];
	size_t pub_len;
	uint8_t gir[KEX_MAX_SECRET];
	size_t gir_len;
	uint16_t notify;		/* a protocol error to answer */
	uint8_t notify_data[2];
	size_t notify_len;
};

static uint16_t prop_dh(const struct ike_proposal *p)
{
	uint8_t i;

	for (i = 0; i < p->ntr; i++)
		if (p->tr[i].type == IKE_TRANSFORM_DH)
			return p->tr[i].id;
	return IKE_DH_NONE;
}

/* RFC 7296 1.3: KEi must use the chosen group, else INVALID_KE_PAYLOAD
 * naming the group we want. */
static int do_dh(struct child_ctx *x, uint16_t group)
{
	const struct ike_msg *m = x->rx->msg;
	struct kex *k;
	int rc;

	if (group != m->ke.group || !kex_supported(group)) {
		x->notify = IKE_N_INVALID_KE_PAYLOAD;
		x->notify_data[0] = (uint8_t)(group >> 8);
		x->notify_data[1] = (uint8_t)group;
		x->notify_len = 2;
		return -EPROTO;
	}
	k = kex_new(group);
	if (!k)
		return -ENOMEM;
	x->pub_len = sizeof(x->pub);
	x->gir_len = sizeof(x->gir);
	rc = kex_public(k, x->pub, &x->pub_len);
	if (!rc)
		rc = kex_derive(k, m->ke.data, m->ke.len, x->gir, &x->gir_len);
	kex_free(k);
	if (rc == -EINVAL) {
		x->notify = IKE_N_INVALID_SYNTAX;
		return -EPROTO;
	}
	return rc;
}

static int add_nonce_ke(struct child_ctx *x, uint16_t group)
{
	struct ike_msg *r = x->resp;

	if (!ike_msg_add(r, IKE_PL_NONCE, true))
		return -ENOSPC;
	r->nonce.data = x->nr;
	r->nonce.len = NONCE_LEN;
	if (!x->pub_len)
		return 0;
	if (!ike_msg_add(r, IKE_PL_KE, true))
		return -ENOSPC;
	r->ke.group = group;
	r->ke.data = x->pub;
	r->ke.len = x->pub_len;
	return 0;
}

/* RFC 7296 2.8.1: the lowest of an exchange's two nonces (its first 16
 * octets: enough to order random nonces). */
void rekey_nonce_min(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen, uint8_t out[16])
{
	uint8_t x[16] = { 0 }, y[16] = { 0 };

	memcpy(x, a, alen < 16 ? alen : 16);
	memcpy(y, b, blen < 16 ? blen : 16);
	memcpy(out, memcmp(x, y, 16) <= 0 ? x : y, 16);
}

static struct child_sa *child_by_out(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->sa_children; c; c = c->csa_next)
		if (c->csa_spi_out == spi)
			return c;
	return NULL;
}

/* New Child SA or a rekey of one (REKEY_SA names the peer's inbound SPI
 * of the SA being replaced: RFC 7296 1.3.3). */
static int new_child(struct child_ctx *x)
{
	const struct ike_msg *m = x->rx->msg;
	const struct ike_notify_pl *rk = ike_msg_notify(m, IKE_N_REKEY_SA);
	struct ike_sa *sa = x->sa;
	struct child_sa *old = NULL, *c = NULL;
	struct ike_proposal chosen;
	struct child_req cr = {
		.sa = &m->sa, .tsi = &m->tsi, .tsr = &m->tsr,
		.transport = ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) != NULL,
		.ni = m->nonce.data, .ni_len = m->nonce.len,
		.nr = x->nr, .nr_len = NONCE_LEN,
	};
	uint16_t dh;
	int rc;

	if (rk) {
		old = rk->spi_len == 4 ? child_by_out(sa, (uint32_t)rk->spi[0] << 24 |
				(uint32_t)rk->spi[1] << 16 |
				(uint32_t)rk->spi[2] << 8 | rk->spi[3]) : NULL;
		if (!old || old->csa_state == CHILD_SA_DELETING) {
			x->notify = IKE_N_CHILD_SA_NOT_FOUND;
			return -EPROTO;
		}
		cr.rekey_of = old->csa_spi_in;
	}
	if (prop_select(sa->sa_conn->esp_props, sa->sa_conn->nesp_props,
			&m->sa, &chosen)) {
		x->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		return -EPROTO;
	}
	dh = prop_dh(&chosen);
	/* RFC 7296 1.3.1: a KEi is used only when the chosen proposal has a
	 * group (PFS); otherwise it is ignored */
	if (dh != IKE_DH_NONE) {
		rc = do_dh(x, dh);
		if (rc)
			return rc;
		cr.gir = x->gir;
		cr.gir_len = x->gir_len;
	}
	rc = child_stage(x->h, sa, sa->sa_conn, &cr, x->resp, &c, &x->notify,
			 NULL);
	if (rc)
		return rc;
	rc = add_nonce_ke(x, dh);
	if (rc) {
		child_sa_free(c);
		return rc;
	}
	x->u->child_add[x->u->nchild_add++] = c;
	x->u->kind = old ? SA_UPD_CHILD_SA_REKEY : SA_UPD_CHILD_SA_ADD;
	x->u->child_rekeyed = old;
	if (old)
		rekey_nonce_min(m->nonce.data, m->nonce.len, x->nr, NONCE_LEN,
				x->u->rekey_nonce);
	ike_sa_log(x->h, sa, LOG_INFO_, "CREATE_CHILD_SA: %s %08x/%08x%s",
		   old ? "rekeyed child as" : "new child", c->csa_spi_in,
		   c->csa_spi_out, cr.gir ? " with PFS" : "");
	return 0;
}

/* The successor of sa (RFC 7296 2.18): new SPIs, keys from the old SK_d. */
static int stage_ike_sa(struct child_ctx *x, const struct ike_proposal *p,
			const struct ike_msg *m, struct ike_sa **out)
{
	struct ike_sa *old = x->sa, *sa = ike_sa_new(x->h);
	int rc;

	if (!sa)
		return -ENOMEM;
	sa->sa_ispi = (uint64_t)p->spi[0] << 56 | (uint64_t)p->spi[1] << 48 |
		      (uint64_t)p->spi[2] << 40 | (uint64_t)p->spi[3] << 32 |
		      (uint64_t)p->spi[4] << 24 | (uint64_t)p->spi[5] << 16 |
		      (uint64_t)p->spi[6] << 8 | p->spi[7];
	sa->sa_local = old->sa_local;
	sa->sa_remote = old->sa_remote;
	sa->sa_conn = old->sa_conn;
	sa->sa_flags = old->sa_flags & ~(IKE_SA_F_INITIATOR | IKE_SA_F_BUSY);
	sa->sa_peer_id_type = old->sa_peer_id_type;
	sa->sa_peer_id_len = old->sa_peer_id_len;
	memcpy(sa->sa_peer_id, old->sa_peer_id, sizeof(sa->sa_peer_id));
	sa->sa_rekey_ms = old->sa_conn->ike_rekey_s ? sa->sa_created_ms +
			  (uint64_t)old->sa_conn->ike_rekey_s * 1000 : 0;
	sa->sa_expire_ms = old->sa_conn->ike_lifetime_s ? sa->sa_created_ms +
			   (uint64_t)old->sa_conn->ike_lifetime_s * 1000 : 0;
	prop_to_ike_suite(p, &sa->sa_suite);
	rc = ike_sa_new_spi(x->h, &sa->sa_rspi);
	if (!rc)
		rc = ike_keys_rekey(&sa->sa_suite, old->sa_suite.prf,
				    old->sa_keys.sk_d, old->sa_keys.d_len,
				    m->nonce.data, m->nonce.len, x->nr,
				    NONCE_LEN, x->gir, x->gir_len,
				    sa->sa_ispi, sa->sa_rspi, &sa->sa_keys);
	if (rc) {
		ike_sa_free(x->h, sa);
		return rc;
	}
	*out = sa;
	return 0;
}

static int rekey_ike(struct child_ctx *x)
{
	const struct ike_msg *m = x->rx->msg;
	struct ike_proposal chosen;
	struct ike_sa *sa = NULL;
	uint64_t spi;
	int rc, i;

	if (prop_select(x->sa->sa_conn->ike_props, x->sa->sa_conn->nike_props,
			&m->sa, &chosen) || chosen.spi_len != 8) {
		x->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		return -EPROTO;
	}
	rc = do_dh(x, prop_dh(&chosen));
	if (!rc)
		rc = stage_ike_sa(x, &chosen, m, &sa);
	if (rc)
		return rc;
	spi = sa->sa_rspi;
	for (i = 7; i >= 0; i--, spi >>= 8)
		chosen.spi[i] = (uint8_t)spi;
	if (!ike_msg_add(x->resp, IKE_PL_SA, true) ||
	    add_nonce_ke(x, sa->sa_suite.dh)) {
		ike_sa_free(x->h, sa);
		return -ENOSPC;
	}
	x->resp->sa.nprop = 1;
	x->resp->sa.prop[0] = chosen;
	x->u->kind = SA_UPD_IKE_SA_ADD;
	/* 2.8.2: kept on the old SA in case our own rekey of it is out */
	rekey_nonce_min(m->nonce.data, m->nonce.len, x->nr, NONCE_LEN,
			x->u->rekey_nonce);
	x->u->ike_new = sa;
	x->u->owns_ike_new = true;
	x->u->set_state = true;
	x->u->state = IKE_SA_REKEYED;
	ike_sa_log(x->h, x->sa, LOG_INFO_, "CREATE_CHILD_SA: IKE SA rekeyed "
		   "as ike %llu", (unsigned long long)sa->sa_serial);
	return 0;
}

static bool is_ike_rekey(const struct ike_msg *m)
{
	return m->sa.nprop && m->sa.prop[0].proto == IKE_PROTO_IKE;
}

void ike_child_rx(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx)
{
	struct child_ctx x = { .h = h, .sa = sa, .rx = rx };
	struct ike_hdr hdr;
	int rc = -ENOMEM;

	x.resp = malloc(sizeof(*x.resp));
	x.u = sa_update_new(SA_UPD_IKE_SA_UPDATE, sa);
	if (!x.resp || !x.u)
		goto out;
	ike_sa_hdr(sa, IKE_CREATE_CHILD_SA, rx->msg->hdr.msgid, true, &hdr);
	ike_msg_init(x.resp, &hdr);
	if (!sa->sa_conn) {
		x.notify = IKE_N_NO_PROPOSAL_CHOSEN;	/* connection removed */
		rc = -EPROTO;
	} else if (sa->sa_state != IKE_SA_ESTABLISHED &&
		   sa->sa_state != IKE_SA_REKEYING) {
		/* RFC 7296 2.25: being rekeyed or deleted */
		x.notify = IKE_N_TEMPORARY_FAILURE;
		rc = -EPROTO;
	} else {
		rc = sa_random(h, x.nr, NONCE_LEN);
		if (!rc)
			rc = is_ike_rekey(rx->msg) ? rekey_ike(&x) : new_child(&x);
	}
	if (rc == -EPROTO) {
		ike_sa_log(h, sa, LOG_WARN_, "CREATE_CHILD_SA: %s",
			   ike_notify_name(x.notify));
		rc = ike_sa_reply_notify(h, sa, rx, x.notify, x.notify_data,
					 x.notify_len, false);
		goto out;
	}
	if (!rc)
		rc = ike_sa_answer(h, sa, rx, x.resp, &x.u);
out:
	if (rc)
		ike_sa_log(h, sa, LOG_ERR_, "CREATE_CHILD_SA: failed: %d", rc);
	sa_update_free(h, x.u);
	free(x.resp);
	OPENSSL_cleanse(x.gir, sizeof(x.gir));
	OPENSSL_cleanse(x.nr, sizeof(x.nr));
}
