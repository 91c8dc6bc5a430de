/*
 * CREATE_CHILD_SA as initiator, when a rekey time passes (RFC 7296 1.3.2,
 * 1.3.3, 2.8):
 *   Child rekey:  HDR, SK { N(REKEY_SA), SA, Ni, [KEi], TSi, TSr } -->
 *                                <--  HDR, SK { SA, Nr, [KEr], TSi, TSr }
 *                 then DELETE of the old Child SA
 *   IKE rekey:    HDR, SK { SA, Ni, KEi }  -->  <--  HDR, SK { SA, Nr, KEr }
 *                 then DELETE of the old IKE SA (on the old SA)
 * We are the initiator of these exchanges: the "i" keys of the new Child
 * SA are our outbound ones, and we are the original initiator of the new
 * IKE SA (2.18).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "crypto/kex.h"
#include "crypto/proposal.h"
#include "sa/requests.h"
#include "sa/ts.h"

#define NONCE_LEN	32

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int offer(const struct prop_conf *props, size_t n, const uint8_t *spi,
		 uint8_t spi_len, struct ike_msg *m)
{
	size_t i;

	if (!ike_msg_add(m, IKE_PL_SA, true))
		return -ENOSPC;
	for (i = 0; i < n && i < IKE_MAX_PROPOSALS; i++)
		if (prop_conf_to_wire(&props[i], (uint8_t)(i + 1), spi, spi_len,
				      &m->sa.prop[i]))
			return -ENOSPC;
	m->sa.nprop = (uint8_t)i;
	return 0;
}

/* Ni and, with a DH group, KEi from a fresh key pair kept in req. */
static int nonce_ke(struct hike *h, struct ike_req *req, uint16_t group,
		    struct ike_msg *m, uint8_t *pub, size_t *pub_len)
{
	int rc;

	req->nonce_len = NONCE_LEN;
	rc = sa_random(h, req->nonce, NONCE_LEN);
	if (rc || !ike_msg_add(m, IKE_PL_NONCE, true))
		return rc ? rc : -ENOSPC;
	m->nonce.data = req->nonce;
	m->nonce.len = NONCE_LEN;
	if (group == IKE_DH_NONE)
		return 0;
	req->kex = kex_new(group);
	if (!req->kex)
		return -ENOMEM;
	rc = kex_public(req->kex, pub, pub_len);
	if (rc || !ike_msg_add(m, IKE_PL_KE, true))
		return rc ? rc : -ENOSPC;
	m->ke.group = group;
	m->ke.data = pub;
	m->ke.len = *pub_len;
	return 0;
}

static int rekey_submit(struct hike *h, struct ike_sa *sa, struct ike_msg *m,
			struct ike_req *req)
{
	struct sa_update *u = sa_update_new(SA_UPD_IKE_SA_UPDATE, sa);
	int rc;

	if (!u)
		return -ENOMEM;
	if (req->kind == IKE_REQ_REKEY_IKE) {
		u->set_state = true;
		u->state = IKE_SA_REKEYING;
	}
	rc = ike_req_submit(h, sa, m, req, u);
	if (rc)
		sa_update_free(h, u);
	return rc;
}

int ike_req_rekey_child(struct hike *h, struct ike_sa *sa, struct child_sa *c)
{
	const struct conf_conn *conn = sa->sa_conn;
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_req req = { .kind = IKE_REQ_REKEY_CHILD,
			       .child_spi = c->csa_spi_in };
	uint8_t spi[4], pub[KEX_MAX_PUB];
	size_t pub_len = sizeof(pub);
	struct ike_hdr hdr;
	int rc = -ENOMEM;

	if (!conn) {
		rc = -ENOENT;	/* connection removed by a reload */
		goto out;
	}
	if (!m)
		goto out;
	ike_sa_hdr(sa, IKE_CREATE_CHILD_SA, 0, false, &hdr);
	ike_msg_init(m, &hdr);
	rc = child_sa_new_spi(h, &req.new_child_spi);
	if (rc)
		goto out;
	put_be32(spi, c->csa_spi_in);
	rc = -ENOSPC;
	if (!ike_msg_add_notify(m, true, IKE_N_REKEY_SA, NULL, 0))
		goto out;
	m->notify[m->nnotify - 1].proto = IKE_PROTO_ESP;
	m->notify[m->nnotify - 1].spi_len = 4;
	memcpy(m->notify[m->nnotify - 1].spi, spi, 4);
	put_be32(spi, req.new_child_spi);
	rc = offer(conn->esp_props, conn->nesp_props, spi, 4, m);
	if (!rc)
		rc = nonce_ke(h, &req, c->csa_suite.dh, m, pub, &pub_len);
	if (rc || !ike_msg_add(m, IKE_PL_TSI, true) ||
	    !ike_msg_add(m, IKE_PL_TSR, true)) {
		rc = rc ? rc : -ENOSPC;
		goto out;
	}
	m->tsi.nts = c->csa_nts_local;
	memcpy(m->tsi.ts, c->csa_ts_local, sizeof(c->csa_ts_local));
	m->tsr.nts = c->csa_nts_remote;
	memcpy(m->tsr.ts, c->csa_ts_remote, sizeof(c->csa_ts_remote));
	if (c->csa_transport &&
	    !ike_msg_add_notify(m, true, IKE_N_USE_TRANSPORT_MODE, NULL, 0)) {
		rc = -ENOSPC;
		goto out;
	}
	rc = rekey_submit(h, sa, m, &req);
out:
	ike_req_clear(&req);
	free(m);
	return rc;
}

int ike_req_rekey_ike(struct hike *h, struct ike_sa *sa)
{
	const struct conf_conn *conn = sa->sa_conn;
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_req req = { .kind = IKE_REQ_REKEY_IKE };
	uint8_t spi[8], pub[KEX_MAX_PUB];
	size_t pub_len = sizeof(pub);
	struct ike_hdr hdr;
	uint64_t v;
	int rc = -ENOMEM, i;

	if (!conn) {
		rc = -ENOENT;
		goto out;
	}
	if (!m)
		goto out;
	ike_sa_hdr(sa, IKE_CREATE_CHILD_SA, 0, false, &hdr);
	ike_msg_init(m, &hdr);
	rc = ike_sa_new_spi(h, &req.new_spi);
	if (rc)
		goto out;
	for (i = 7, v = req.new_spi; i >= 0; i--, v >>= 8)
		spi[i] = (uint8_t)v;
	rc = offer(conn->ike_props, conn->nike_props, spi, 8, m);
	if (!rc)
		rc = nonce_ke(h, &req, sa->sa_suite.dh, m, pub, &pub_len);
	if (!rc)
		rc = rekey_submit(h, sa, m, &req);
out:
	ike_req_clear(&req);
	free(m);
	return rc;
}
