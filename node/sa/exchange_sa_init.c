/*
 * IKE_SA_INIT (RFC 7296 1.2):
 *   HDR, SAi1, KEi, Ni, [N(COOKIE)], N(NAT_D)...  -->
 *                                <--  HDR, SAr1, KEr, Nr, N(NAT_D) x2,
 *                                     [CERTREQ], [N(FRAG_SUP)], [N(SIG_HASH)]
 * Cheap checks first (half-open cap, cookie, proposal, KE group), then
 * the Diffie-Hellman and key derivation in a worker; the continuation on
 * the loop thread builds the answer and stages the new SA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "core/counters.h"
#include "crypto/cert.h"
#include "crypto/kex.h"
#include "sa/cert_auth.h"
#include "crypto/proposal.h"
#include "sa/exchange.h"
#include "sa/table.h"

#define NONCE_LEN	32
#define CAND_MAX	64

struct sa_init_job {
	struct hike *h;
	struct ike_sa *sa;		/* staged, in the half-open index only */
	struct ike_proposal chosen;
	uint8_t *peer_ke;
	size_t peer_ke_len;
	uint8_t pub[KEX_MAX_PUB];
	size_t pub_len;
	bool certreq;
	uint8_t certreq_data[CERT_MAX_CAS * CERT_HASH_LEN];
	size_t certreq_len;
	/* NAT_DETECTION_*_IP data: the response borrows it until encoded */
	uint8_t natd_src[NATD_LEN], natd_dst[NATD_LEN];
	int rc;
};

/* Proposals of every connection this peer may belong to, in config
 * order (at IKE_SA_INIT only the addresses are known). */
static size_t candidate_props(struct hike *h, const struct ike_rx *rx,
			      struct prop_conf *out, bool *frag,
			      const struct conf_conn **cas)
{
	const struct conf_conn *c;
	size_t i, j, n = 0;

	*frag = false;
	*cas = NULL;
	for (i = 0; i < h->conf->nconns; i++) {
		c = &h->conf->conns[i];
		if (!conn_remote_addr_ok(c, rx->remote) ||
		    !conn_local_addr_ok(c, rx->local))
			continue;
		*frag |= c->fragmentation;
		if (!*cas && c->ncacerts)
			*cas = c;	/* RFC 7296 3.7: CERTREQ names its CAs */
		for (j = 0; j < c->nike_props && n < CAND_MAX; j++)
			out[n++] = c->ike_props[j];
	}
	return n;
}

/* A stateless answer (rspi 0): COOKIE, INVALID_KE_PAYLOAD,
 * NO_PROPOSAL_CHOSEN. */
static void init_notify(struct hike *h, const struct ike_rx *rx,
			uint16_t type, const void *data, size_t len)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_pkts p = { 0 };
	struct ike_hdr hdr = rx->msg->hdr;

	if (!m)
		return;
	hdr.rspi = 0;
	hdr.flags = IKE_FLAG_RESPONSE;
	ike_msg_init(m, &hdr);
	if (ike_msg_add_notify(m, false, type, data, len) &&
	    !ike_encode_clear(m, &p))
		ike_pkts_send(h, &p, rx->local, rx->remote);
	ike_pkts_free(&p);
	free(m);
	log_info(&h->log, "ike: IKE_SA_INIT from peer answered with %s",
		 ike_notify_name(type));
}

static uint16_t chosen_dh(const struct ike_proposal *p)
{
	uint8_t i;

	for (i = 0; i < p->ntr; i++)
		if (p->tr[i].type == IKE_TRANSFORM_DH)
			return p->tr[i].id;
	return IKE_DH_NONE;
}

/* RFC 7296 1.2 / 2.7: prefer a choice that fits the KE the peer already
 * sent (no INVALID_KE round trip); otherwise our first choice. */
static int select_proposal(struct prop_conf *props, size_t n,
			   const struct ike_msg *m, struct ike_proposal *out)
{
	struct prop_conf *fit = malloc(n * sizeof(*fit));
	size_t i, k = 0;
	int rc = -ENOENT;

	if (fit) {
		for (i = 0; i < n; i++) {
			struct prop_conf p = props[i];
			uint8_t j;

			for (j = 0; j < p.n[IKE_TRANSFORM_DH]; j++)
				if (p.alg[IKE_TRANSFORM_DH][j].id == m->ke.group)
					break;
			if (j == p.n[IKE_TRANSFORM_DH])
				continue;
			p.n[IKE_TRANSFORM_DH] = 1;
			p.alg[IKE_TRANSFORM_DH][0].id = m->ke.group;
			fit[k++] = p;
		}
		rc = k ? prop_select(fit, k, &m->sa, out) : -ENOENT;
		free(fit);
	}
	if (rc)
		rc = prop_select(props, n, &m->sa, out);
	return rc;
}

/* RFC 7296 2.23: compare the peer's hashes with what we see. */
static void nat_detect(struct ike_sa *sa, const struct ike_rx *rx)
{
	const struct ike_msg *m = rx->msg;
	uint8_t src[NATD_LEN], dst[NATD_LEN];
	bool have_src = false, src_ok = false, have_dst = false, dst_ok = false;
	uint8_t i;

	if (ike_natd_hash(m->hdr.ispi, 0, rx->remote, src) ||
	    ike_natd_hash(m->hdr.ispi, 0, rx->local, dst))
		return;
	for (i = 0; i < m->nnotify; i++) {
		const struct ike_notify_pl *n = &m->notify[i];

		if (n->type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			have_src = true;
			src_ok |= n->len == NATD_LEN &&
				  !memcmp(n->data, src, NATD_LEN);
		} else if (n->type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			have_dst = true;
			dst_ok |= n->len == NATD_LEN &&
				  !memcmp(n->data, dst, NATD_LEN);
		}
	}
	if (have_src && !src_ok)
		sa->sa_flags |= IKE_SA_F_NAT_REMOTE;
	if (have_dst && !dst_ok)
		sa->sa_flags |= IKE_SA_F_NAT_LOCAL;
}

static void *memdup(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* The staged SA: SPIs, addresses, suite, nonces, flags.  No DH yet. */
static struct ike_sa *stage_sa(struct hike *h, const struct ike_rx *rx,
			       const struct ike_proposal *chosen, bool frag)
{
	const struct ike_msg *m = rx->msg;
	struct ike_sa *sa = ike_sa_new(h);

	if (!sa)
		return NULL;
	sa->sa_ispi = m->hdr.ispi;
	sa->sa_local = *rx->local;
	sa->sa_remote = *rx->remote;
	prop_to_ike_suite(chosen, &sa->sa_suite);
	sa->sa_ni = memdup(m->nonce.data, m->nonce.len);
	sa->sa_ni_len = (uint16_t)m->nonce.len;
	sa->sa_nr = malloc(NONCE_LEN);
	sa->sa_nr_len = NONCE_LEN;
	sa->sa_msg1 = memdup(rx->buf, rx->len);
	sa->sa_msg1_len = rx->len;
	if (!sa->sa_ni || !sa->sa_nr || !sa->sa_msg1 ||
	    ike_sa_new_spi(h, &sa->sa_rspi) ||
	    sa_random(h, sa->sa_nr, NONCE_LEN)) {
		ike_sa_free(h, sa);
		return NULL;
	}
	if (frag && ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED))
		sa->sa_flags |= IKE_SA_F_FRAG;
	if (ike_msg_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS))
		sa->sa_flags |= IKE_SA_F_SIG_HASH;
	nat_detect(sa, rx);
	return sa;
}

/* Worker thread: touches only the job and its staged SA. */
static void sa_init_work(void *arg)
{
	struct sa_init_job *j = arg;
	struct ike_sa *sa = j->sa;
	uint8_t gir[KEX_MAX_SECRET];
	size_t gir_len = sizeof(gir);
	struct kex *k = kex_new(sa->sa_suite.dh);

	j->pub_len = sizeof(j->pub);
	j->rc = k ? 0 : -ENOMEM;
	if (!j->rc)
		j->rc = kex_public(k, j->pub, &j->pub_len);
	if (!j->rc)
		j->rc = kex_derive(k, j->peer_ke, j->peer_ke_len, gir, &gir_len);
	if (!j->rc)
		j->rc = ike_keys_derive(&sa->sa_suite, sa->sa_ni, sa->sa_ni_len,
					sa->sa_nr, sa->sa_nr_len, gir, gir_len,
					sa->sa_ispi, sa->sa_rspi, &sa->sa_keys);
	OPENSSL_cleanse(gir, sizeof(gir));
	kex_free(k);
}

static const uint8_t sig_hash_algs[] = {
	0, IKE_HASH_SHA2_256, 0, IKE_HASH_SHA2_384, 0, IKE_HASH_SHA2_512,
};

static int build_response(struct sa_init_job *j, struct ike_msg *m)
{
	struct ike_sa *sa = j->sa;
	uint8_t *src = j->natd_src, *dst = j->natd_dst;
	struct ike_hdr hdr;

	ike_sa_hdr(sa, IKE_SA_INIT, 0, true, &hdr);
	ike_msg_init(m, &hdr);
	if (!ike_msg_add(m, IKE_PL_SA, false) || !ike_msg_add(m, IKE_PL_KE, false) ||
	    !ike_msg_add(m, IKE_PL_NONCE, false))
		return -ENOSPC;
	m->sa.nprop = 1;
	m->sa.prop[0] = j->chosen;
	m->ke.group = sa->sa_suite.dh;
	m->ke.data = j->pub;
	m->ke.len = j->pub_len;
	m->nonce.data = sa->sa_nr;
	m->nonce.len = sa->sa_nr_len;
	if (ike_natd_hash(sa->sa_ispi, sa->sa_rspi, &sa->sa_local, src) ||
	    ike_natd_hash(sa->sa_ispi, sa->sa_rspi, &sa->sa_remote, dst) ||
	    !ike_msg_add_notify(m, false, IKE_N_NAT_DETECTION_SOURCE_IP, src,
				NATD_LEN) ||
	    !ike_msg_add_notify(m, false, IKE_N_NAT_DETECTION_DESTINATION_IP,
				dst, NATD_LEN))
		return -ENOSPC;
	if (j->certreq) {
		/* RFC 7296 3.7: X.509 signature, SHA-1 of each CA's key */
		if (!ike_msg_add(m, IKE_PL_CERTREQ, false))
			return -ENOSPC;
		m->certreq[m->ncertreq - 1].encoding = IKE_CERT_X509_SIG;
		m->certreq[m->ncertreq - 1].data = j->certreq_data;
		m->certreq[m->ncertreq - 1].len = j->certreq_len;
	}
	if ((sa->sa_flags & IKE_SA_F_FRAG) &&
	    !ike_msg_add_notify(m, false, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
				NULL, 0))
		return -ENOSPC;
	if ((sa->sa_flags & IKE_SA_F_SIG_HASH) &&
	    !ike_msg_add_notify(m, false, IKE_N_SIGNATURE_HASH_ALGORITHMS,
				sig_hash_algs, sizeof(sig_hash_algs)))
		return -ENOSPC;
	return 0;
}

static int stage_update(struct hike *h, struct sa_init_job *j)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_sa *sa = j->sa;
	struct sa_update *u = sa_update_new(SA_UPD_IKE_SA_ADD, sa);
	const uint8_t *pkt;
	int rc = -ENOMEM;

	if (!m || !u)
		goto out;
	rc = build_response(j, m);
	if (!rc)
		rc = ike_encode_clear(m, &u->resp);
	if (rc)
		goto out;
	/* RFC 7296 2.15: RealMessage2, signed by our AUTH */
	pkt = u->resp.buf + 2;
	sa->sa_msg2_len = u->resp.len - 2;
	sa->sa_msg2 = memdup(pkt, sa->sa_msg2_len);
	if (!sa->sa_msg2) {
		rc = -ENOMEM;
		goto out;
	}
	u->owns_ike = true;
	u->set_state = true;
	u->state = IKE_SA_HALF_OPEN;
	u->answers = true;
	u->msgid = 0;
	u->local = sa->sa_local;
	u->remote = sa->sa_remote;
	j->sa = NULL;		/* the update owns it now */
	rc = repl_submit(h, u, sa_commit_default, NULL);
	if (rc)
		j->sa = sa;
	else
		u = NULL;
out:
	if (u)
		u->owns_ike = false;	/* on error the job still owns sa */
	sa_update_free(h, u);
	free(m);
	return rc;
}

/* Loop thread: the DH is done. */
static void sa_init_done(void *arg, int status)
{
	struct sa_init_job *j = arg;
	struct hike *h = j->h;

	if (!status && !j->rc) {
		ike_sa_log(h, j->sa, LOG_INFO_, "IKE_SA_INIT: %s/%s/%s/%s",
			   ike_encr_name(j->sa->sa_suite.encr),
			   ike_integ_name(j->sa->sa_suite.integ),
			   ike_prf_name(j->sa->sa_suite.prf),
			   ike_dh_name(j->sa->sa_suite.dh));
		status = stage_update(h, j);
	} else {
		if (!status)
			status = j->rc;
		if (j->sa)
			ike_sa_log(h, j->sa, LOG_WARN_, "IKE_SA_INIT: key "
				   "exchange failed: %d", status);
	}
	if (j->sa) {
		ike_sa_remove(h, j->sa);
		ike_sa_free(h, j->sa);
	}
	free(j->peer_ke);
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* Half-open cap and cookie (RFC 7296 2.6).  false: answered/dropped. */
static bool admission(struct hike *h, const struct ike_rx *rx)
{
	size_t half = ike_sa_half_open_count(h);
	uint8_t cookie[COOKIE_LEN];

	if (h->conf->ike.half_open_max && half >= h->conf->ike.half_open_max) {
		sa_drop(h, IKE_DROP_HALF_OPEN_MAX);
		return false;
	}
	if (half < h->conf->ike.cookie_threshold ||
	    ike_cookie_ok(h, rx->msg, rx->remote))
		return true;
	if (ike_msg_notify(rx->msg, IKE_N_COOKIE))
		sa_drop(h, IKE_DROP_COOKIE);	/* a wrong or stale one */
	if (!ike_cookie_make(h, rx->msg, rx->remote, cookie)) {
		counters_inc(h->counters, CNT_HALF_OPEN_COOKIE);
		init_notify(h, rx, IKE_N_COOKIE, cookie, COOKIE_LEN);
	}
	return false;
}

static int start_job(struct hike *h, const struct ike_rx *rx,
		     const struct ike_proposal *chosen, bool frag,
		     const struct conf_conn *cas)
{
	struct sa_init_job *j = calloc(1, sizeof(*j));
	int rc = -ENOMEM;

	if (!j)
		return rc;
	j->h = h;
	j->chosen = *chosen;
	j->certreq = cas && !ike_certreq_data(h, cas, j->certreq_data,
					      sizeof(j->certreq_data),
					      &j->certreq_len);
	j->peer_ke_len = rx->msg->ke.len;
	j->peer_ke = memdup(rx->msg->ke.data, rx->msg->ke.len);
	j->sa = j->peer_ke ? stage_sa(h, rx, chosen, frag) : NULL;
	if (j->sa && !(rc = ike_sa_insert_half(h, j->sa)))
		rc = sa_offload(h, sa_init_work, sa_init_done, j);
	if (!rc)
		return 0;
	if (j->sa) {
		ike_sa_remove(h, j->sa);
		ike_sa_free(h, j->sa);
	}
	free(j->peer_ke);
	free(j);
	return rc;
}

void ike_sa_init_rx(struct hike *h, const struct ike_rx *rx)
{
	struct prop_conf *props = malloc(CAND_MAX * sizeof(*props));
	const struct ike_msg *m = rx->msg;
	struct ike_proposal chosen;
	const struct conf_conn *cas;
	bool frag;
	size_t n;
	uint16_t dh;
	uint8_t group[2];

	if (!props) {
		sa_drop(h, IKE_DROP_NOMEM);
		return;
	}
	n = candidate_props(h, rx, props, &frag, &cas);
	if (!n) {
		sa_drop(h, IKE_DROP_NO_SA);	/* nobody configured there */
		goto out;
	}
	if (!admission(h, rx))
		goto out;
	if (select_proposal(props, n, m, &chosen)) {
		counters_inc(h->counters, CNT_IKE_NO_PROPOSAL);
		init_notify(h, rx, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		goto out;
	}
	dh = chosen_dh(&chosen);
	if (dh != m->ke.group || !kex_supported(dh)) {
		/* RFC 7296 3.10.1: the data is the accepted group */
		group[0] = (uint8_t)(dh >> 8);
		group[1] = (uint8_t)dh;
		counters_inc(h->counters, CNT_IKE_INVALID_KE);
		init_notify(h, rx, IKE_N_INVALID_KE_PAYLOAD, group, 2);
		goto out;
	}
	if (start_job(h, rx, &chosen, frag, cas))
		sa_drop(h, IKE_DROP_BUSY);
out:
	free(props);
}
