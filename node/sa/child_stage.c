/* A new Child SA, as IKE_AUTH and CREATE_CHILD_SA both create them:
 * ESP proposal, selectors, SPI, KEYMAT (RFC 7296 2.9, 2.17, 3.3). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "crypto/proposal.h"
#include "sa/exchange.h"
#include "sa/ts.h"

static void addr_bytes(const struct sockaddr_storage *ss, int *family,
		       const uint8_t **a)
{
	*family = ss->ss_family;
	if (ss->ss_family == AF_INET6)
		*a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
	else
		*a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

/* Ours: the configured selectors, or the addresses themselves
 * ("dynamic"); with a virtual IP the peer's side is that address. */
static size_t our_ts(const struct ike_sa *sa, const struct conf_conn *conn,
		     const struct child_req *in, bool local, struct ike_ts *out)
{
	const struct conf_ts *cts = local ? conn->local_ts : conn->remote_ts;
	size_t n = local ? conn->nlocal_ts : conn->nremote_ts, i;
	const uint8_t *a;
	int family;

	if (!local && in->lease_family) {
		ts_from_addr(in->lease_family, in->lease, out);
		return 1;
	}
	if (!n) {
		addr_bytes(local ? &sa->sa_local : &sa->sa_remote, &family, &a);
		ts_from_addr(family, a, out);
		return 1;
	}
	for (i = 0; i < n && i < CONF_MAX_TS; i++)
		ts_from_conf(&cts[i], &out[i]);
	return i;
}

static int child_ts(const struct ike_sa *sa, const struct conf_conn *conn,
		    const struct child_req *in, struct child_sa *c)
{
	struct ike_ts ours[CONF_MAX_TS];
	size_t n;

	n = our_ts(sa, conn, in, false, ours);
	c->csa_nts_remote = (uint8_t)ts_narrow(in->tsi->ts, in->tsi->nts, ours,
					       n, c->csa_ts_remote,
					       CHILD_MAX_TS);
	n = our_ts(sa, conn, in, true, ours);
	c->csa_nts_local = (uint8_t)ts_narrow(in->tsr->ts, in->tsr->nts, ours,
					      n, c->csa_ts_local,
					      CHILD_MAX_TS);
	return c->csa_nts_remote && c->csa_nts_local ? 0 : -EPROTO;
}

/* KEYMAT: "i" keys protect initiator -> responder of *this* exchange;
 * we answered it, so they are our inbound ones. */
static int child_keys(const struct ike_sa *sa, const struct child_req *in,
		      struct child_sa *c)
{
	struct child_keys k;
	int rc;

	rc = child_keys_derive(sa->sa_suite.prf, &c->csa_suite,
			       sa->sa_keys.sk_d, sa->sa_keys.d_len,
			       in->gir, in->gir_len, in->ni, in->ni_len,
			       in->nr, in->nr_len, &k);
	if (!rc) {
		c->csa_e_len = k.e_len;
		c->csa_a_len = k.a_len;
		memcpy(c->csa_in.ekey, k.ei, sizeof(k.ei));
		memcpy(c->csa_in.akey, k.ai, sizeof(k.ai));
		memcpy(c->csa_out.ekey, k.er, sizeof(k.er));
		memcpy(c->csa_out.akey, k.ar, sizeof(k.ar));
	}
	child_keys_wipe(&k);
	return rc;
}

static int add_payloads(struct ike_msg *resp, const struct ike_proposal *p,
			const struct child_sa *c)
{
	if (!ike_msg_add(resp, IKE_PL_SA, true) ||
	    !ike_msg_add(resp, IKE_PL_TSI, true) ||
	    !ike_msg_add(resp, IKE_PL_TSR, true))
		return -ENOSPC;
	resp->sa.nprop = 1;
	resp->sa.prop[0] = *p;
	resp->tsi.nts = c->csa_nts_remote;
	memcpy(resp->tsi.ts, c->csa_ts_remote, sizeof(c->csa_ts_remote));
	resp->tsr.nts = c->csa_nts_local;
	memcpy(resp->tsr.ts, c->csa_ts_local, sizeof(c->csa_ts_local));
	if (c->csa_transport &&
	    !ike_msg_add_notify(resp, true, IKE_N_USE_TRANSPORT_MODE, NULL, 0))
		return -ENOSPC;
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int child_lifetimes(struct hike *h, const struct conf_conn *conn,
			   struct child_sa *c)
{
	uint64_t now = sa_now_ms(h);

	c->csa_rekey_ms = conn->child_rekey_s ?
			  now + (uint64_t)conn->child_rekey_s * 1000 : 0;
	c->csa_expire_ms = conn->child_lifetime_s ?
			   now + (uint64_t)conn->child_lifetime_s * 1000 : 0;
	return 0;
}

int child_stage(struct hike *h, struct ike_sa *sa,
		const struct conf_conn *conn, const struct child_req *in,
		struct ike_msg *resp, struct child_sa **out, uint16_t *notify,
		struct ike_proposal *chosen_out)
{
	struct ike_proposal chosen;
	struct child_sa *c;
	int rc;

	*out = NULL;
	if (prop_select_flags(conn->esp_props, conn->nesp_props, in->sa,
			      in->no_dh ? PROP_SEL_NO_DH : 0, &chosen) ||
	    chosen.proto != IKE_PROTO_ESP || chosen.spi_len != 4) {
		*notify = IKE_N_NO_PROPOSAL_CHOSEN;
		return -EPROTO;
	}
	c = child_sa_new(h);
	if (!c)
		return -ENOMEM;
	c->csa_ike = sa;
	c->csa_rekey_of = in->rekey_of;
	c->csa_spi_out = be32(chosen.spi);
	prop_to_esp_suite(&chosen, &c->csa_suite);
	/* RFC 7296 1.3.1: transport only if both want it */
	c->csa_transport = in->transport && conn->mode == CONF_MODE_TRANSPORT;
	rc = child_ts(sa, conn, in, c);
	if (rc) {
		*notify = IKE_N_TS_UNACCEPTABLE;
		goto fail;
	}
	rc = child_sa_new_spi(h, &c->csa_spi_in);
	if (!rc)
		rc = child_keys(sa, in, c);
	if (rc)
		goto fail;
	chosen.spi[0] = (uint8_t)(c->csa_spi_in >> 24);
	chosen.spi[1] = (uint8_t)(c->csa_spi_in >> 16);
	chosen.spi[2] = (uint8_t)(c->csa_spi_in >> 8);
	chosen.spi[3] = (uint8_t)c->csa_spi_in;
	rc = add_payloads(resp, &chosen, c);
	if (rc)
		goto fail;
	child_lifetimes(h, conn, c);
	if (chosen_out)
		*chosen_out = chosen;
	*out = c;
	return 0;
fail:
	child_sa_free(c);
	return rc;
}
