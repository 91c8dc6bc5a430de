/* A minimal IKEv2 initiator for tests and the load generator.  AUTH is
 * computed here from prf() directly (not with the responder's helper),
 * so the exchange tests check hike's PSK AUTH against an independent
 * reading of RFC 7296 2.15. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/cert.h"
#include "crypto/kex.h"
#include "crypto/prf.h"
#include "sa/exchange.h"
#include "initiator.h"

static void fill(struct ini *x, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(x->c.seed * 29 + x->counter * 7 + i * 13 + 1);
	x->counter++;
}

static struct kex *new_kex(struct ini *x, uint16_t group)
{
	uint8_t priv[32];

	fill(x, priv, sizeof(priv));
	priv[0] = (priv[0] & 0x3f) | 0x10;	/* below every ECP order */
	return kex_new_private(group, priv, sizeof(priv));
}

int ini_init(struct ini *x, const struct ini_conf *c)
{
	char err[128];

	memset(x, 0, sizeof(*x));
	x->c = *c;
	x->ispi = c->spi;
	if (prop_parse(c->ike_proposal, IKE_PROTO_IKE, &x->ike, err, sizeof(err)) ||
	    prop_parse(c->esp_proposal, IKE_PROTO_ESP, &x->esp, err, sizeof(err)))
		return -EINVAL;
	x->group = c->ke_group ? c->ke_group : prop_conf_dh(&x->ike);
	if (c->cert_chain &&
	    (cert_cred_load(c->cert_chain, c->cert_key, &x->cred, err, sizeof(err)) ||
	     cert_store_load(&c->ca, 1, &x->store, err, sizeof(err))))
		return -EINVAL;
	if (!c->cert_chain && c->shared_store) {
		x->store = c->shared_store;
		x->store_shared = true;
	}
	return 0;
}

void ini_free(struct ini *x)
{
	kex_free(x->kex);
	kex_free(x->pend_kex);
	cert_cred_free(x->cred);
	if (!x->store_shared)
		cert_store_free(x->store);
	free(x->msg1);
	free(x->msg2);
	OPENSSL_cleanse(x, sizeof(*x));
}

static int copy_out(const struct ike_pkts *p, uint8_t *buf, size_t cap,
		    size_t *len)
{
	size_t n;

	if (p->n != 1 || p->len < 2)
		return -EINVAL;
	n = (size_t)p->buf[0] << 8 | p->buf[1];
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, p->buf + 2, n);
	*len = n;
	return 0;
}

static void hdr_init(struct ini *x, uint8_t exchange, uint32_t msgid,
		     struct ike_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->ispi = x->ispi;
	h->rspi = x->rspi;
	h->version = IKE_VERSION;
	h->exchange = exchange;
	h->flags = IKE_FLAG_INITIATOR;
	h->msgid = msgid;
}

static int offer(const struct prop_conf *p, const uint8_t *spi,
		 uint8_t spi_len, bool no_dh, bool enc, struct ike_msg *m)
{
	struct ike_proposal *pr = &m->sa.prop[0];
	uint8_t i, k;

	if (!ike_msg_add(m, IKE_PL_SA, enc) ||
	    prop_conf_to_wire(p, 1, spi, spi_len, pr))
		return -ENOSPC;
	if (no_dh) {	/* RFC 7296 1.2: no DH in IKE_AUTH's SAi2 */
		for (i = 0, k = 0; i < pr->ntr; i++)
			if (pr->tr[i].type != IKE_TRANSFORM_DH)
				pr->tr[k++] = pr->tr[i];
		pr->ntr = k;
	}
	m->sa.nprop = 1;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* IKE_SA_INIT { [N(COOKIE)], SAi1, KEi, Ni, N(NAT_D) x2, [N(FRAG)] } */
int ini_sa_init(struct ini *x, uint8_t *buf, size_t cap, size_t *len)
{
	static uint8_t pub[KEX_MAX_PUB];
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t src[NATD_LEN], dst[NATD_LEN];
	size_t pub_len = sizeof(pub);
	struct ike_hdr h;
	int rc = -ENOSPC;

	if (!m)
		return -ENOMEM;
	x->rspi = 0;
	kex_free(x->kex);
	x->kex = new_kex(x, x->group);
	if (!x->kex || kex_public(x->kex, pub, &pub_len)) {
		rc = -EINVAL;
		goto out;
	}
	if (!x->ni[0])
		fill(x, x->ni, sizeof(x->ni));
	hdr_init(x, IKE_SA_INIT, 0, &h);
	ike_msg_init(m, &h);
	/* RFC 7296 2.6: the cookie comes first */
	if (x->cookie_len &&
	    !ike_msg_add_notify(m, false, IKE_N_COOKIE, x->cookie, x->cookie_len))
		goto out;
	if (offer(&x->ike, NULL, 0, false, false, m) ||
	    !ike_msg_add(m, IKE_PL_KE, false) || !ike_msg_add(m, IKE_PL_NONCE, false))
		goto out;
	m->ke.group = x->group;
	m->ke.data = pub;
	m->ke.len = pub_len;
	m->nonce.data = x->ni;
	m->nonce.len = sizeof(x->ni);
	if (ike_natd_hash(x->ispi, 0, &x->c.me, src) ||
	    ike_natd_hash(x->ispi, 0, &x->c.peer, dst) ||
	    !ike_msg_add_notify(m, false, IKE_N_NAT_DETECTION_SOURCE_IP, src, NATD_LEN) ||
	    !ike_msg_add_notify(m, false, IKE_N_NAT_DETECTION_DESTINATION_IP, dst, NATD_LEN))
		goto out;
	if (x->c.frag && !ike_msg_add_notify(m, false,
			IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0))
		goto out;
	if (x->c.sig_hash && !ike_msg_add_notify(m, false,
			IKE_N_SIGNATURE_HASH_ALGORITHMS, "\0\2\0\3\0\4", 6))
		goto out;
	rc = ike_encode(m, buf, cap, len) ? -EINVAL : 0;
	if (!rc) {
		free(x->msg1);
		x->msg1 = malloc(*len);
		if (!x->msg1)
			rc = -ENOMEM;
		else
			memcpy(x->msg1, buf, *len);
		x->msg1_len = *len;
	}
out:
	free(m);
	return rc;
}

/* The first error notify of a response (types < 16384), with its data. */
static uint16_t take_error(struct ini *x, const struct ike_msg *m)
{
	uint8_t i;

	x->notify = 0;
	for (i = 0; i < m->nnotify; i++)
		if (m->notify[i].type < 16384 ||
		    m->notify[i].type == IKE_N_COOKIE) {
			x->notify = m->notify[i].type;
			x->notify_len = m->notify[i].len < sizeof(x->notify_data)
					? m->notify[i].len : sizeof(x->notify_data);
			memcpy(x->notify_data, m->notify[i].data, x->notify_len);
			return x->notify;
		}
	return 0;
}

static int sa_init_keys(struct ini *x, const struct ike_msg *m)
{
	uint8_t gir[KEX_MAX_SECRET];
	size_t gir_len = sizeof(gir);
	int rc;

	if (m->sa.nprop != 1 || m->ke.group != x->group ||
	    m->nonce.len > sizeof(x->nr))
		return -EINVAL;
	x->rspi = m->hdr.rspi;
	prop_to_ike_suite(&m->sa.prop[0], &x->suite);
	memcpy(x->nr, m->nonce.data, m->nonce.len);
	x->nr_len = m->nonce.len;
	rc = kex_derive(x->kex, m->ke.data, m->ke.len, gir, &gir_len);
	if (!rc)
		rc = ike_keys_derive(&x->suite, x->ni, sizeof(x->ni), x->nr,
				     x->nr_len, gir, gir_len, x->ispi, x->rspi,
				     &x->keys);
	OPENSSL_cleanse(gir, sizeof(gir));
	return rc;
}

int ini_sa_init_resp(struct ini *x, const uint8_t *buf, size_t len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint16_t err;
	int rc = -EINVAL;

	if (!m)
		return -ENOMEM;
	if (ike_decode(buf, len, m) || m->hdr.exchange != IKE_SA_INIT ||
	    !(m->hdr.flags & IKE_FLAG_RESPONSE) || m->hdr.ispi != x->ispi)
		goto out;
	err = take_error(x, m);
	if (err == IKE_N_INVALID_KE_PAYLOAD && x->notify_len == 2) {
		x->group = (uint16_t)(x->notify_data[0] << 8 | x->notify_data[1]);
		rc = err;
	} else if (err == IKE_N_COOKIE && x->notify_len <= sizeof(x->cookie)) {
		memcpy(x->cookie, x->notify_data, x->notify_len);
		x->cookie_len = x->notify_len;
		rc = err;
	} else if (err) {
		rc = err;
	} else {
		x->natd_seen = ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP) &&
			ike_msg_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);
		x->got_sig_hash = ike_msg_notify(m,
				IKE_N_SIGNATURE_HASH_ALGORITHMS) != NULL;
		x->got_certreq = m->ncertreq > 0;
		x->certreq_len = m->ncertreq ? m->certreq[0].len : 0;
		rc = sa_init_keys(x, m);
		free(x->msg2);
		x->msg2 = malloc(len);
		if (!rc && !x->msg2)
			rc = -ENOMEM;
		if (!rc) {
			memcpy(x->msg2, buf, len);
			x->msg2_len = len;
			x->msgid = 1;
		}
	}
out:
	free(m);
	return rc;
}

/* RFC 7296 2.15, computed independently of sa/ike_auth_psk.c:
 * prf(prf(PSK, "Key Pad for IKEv2"), msg | nonce | prf(SK_p, ID')) */
static int psk_auth(struct ini *x, const uint8_t *msg, size_t msg_len,
		    const uint8_t *nonce, size_t nonce_len, const uint8_t *skp,
		    const uint8_t *id, size_t id_len, uint8_t *out)
{
	uint8_t macid[PRF_MAX_LEN], kpad[PRF_MAX_LEN];
	size_t plen = prf_len(x->suite.prf), n = msg_len + nonce_len + plen;
	uint8_t *octets = malloc(n);
	int rc = -ENOMEM;

	if (!octets)
		return rc;
	rc = prf(x->suite.prf, skp, x->keys.p_len, id, id_len, macid);
	if (!rc)
		rc = prf(x->suite.prf, (const uint8_t *)x->c.psk, strlen(x->c.psk),
			 (const uint8_t *)"Key Pad for IKEv2", 17, kpad);
	if (!rc) {
		memcpy(octets, msg, msg_len);
		memcpy(octets + msg_len, nonce, nonce_len);
		memcpy(octets + msg_len + nonce_len, macid, plen);
		rc = prf(x->suite.prf, kpad, plen, octets, n, out);
	}
	free(octets);
	return rc;
}

static int seal(struct ini *x, struct ike_msg *m, uint8_t *buf, size_t cap,
		size_t *len)
{
	struct ike_pkts p = { 0 };
	struct sk_keys k;
	int rc;

	ike_sk_keys(&x->suite, &x->keys, true, &k);
	rc = ike_seal_msg(&k, &x->iv_seq, 0, m, &p);
	if (!rc)
		rc = copy_out(&p, buf, cap, len);
	ike_pkts_free(&p);
	return rc;
}

int ini_open(struct ini *x, const uint8_t *buf, size_t len,
	     struct ike_msg *m, uint8_t *pt, size_t cap)
{
	struct sk_keys k;

	if (ike_decode(buf, len, m))
		return -EINVAL;
	ike_sk_keys(&x->suite, &x->keys, false, &k);
	return ike_open_msg(&k, buf, len, m, pt, cap);
}

static int add_ts(struct ini *x, struct ike_msg *m)
{
	if (!ike_msg_add(m, IKE_PL_TSI, true) || !ike_msg_add(m, IKE_PL_TSR, true))
		return -ENOSPC;
	m->tsi.nts = x->c.ntsi;
	memcpy(m->tsi.ts, x->c.tsi, sizeof(x->c.tsi));
	m->tsr.nts = x->c.ntsr;
	memcpy(m->tsr.ts, x->c.tsr, sizeof(x->c.tsr));
	return 0;
}

/* The signed octets of RFC 7296 2.15 as spans, for auth_sig_*(). */
static int sig_spans(struct ini *x, const uint8_t *msg, size_t msg_len,
		     const uint8_t *nonce, size_t nonce_len, const uint8_t *skp,
		     const uint8_t *id, size_t id_len, uint8_t *macid,
		     struct crypto_span in[3])
{
	in[0] = (struct crypto_span){ msg, msg_len };
	in[1] = (struct crypto_span){ nonce, nonce_len };
	in[2] = (struct crypto_span){ macid, prf_len(x->suite.prf) };
	return prf(x->suite.prf, skp, x->keys.p_len, id, id_len, macid);
}

/* CERT payloads and a signature AUTH (method 14 when the responder
 * announced SIGNATURE_HASH_ALGORITHMS, RFC 7427). */
static int sig_auth(struct ini *x, struct ike_msg *m, const uint8_t *idraw,
		    size_t idlen, uint8_t *auth, size_t *auth_len,
		    uint8_t *method)
{
	EVP_PKEY *key = cert_cred_key(x->cred);
	enum auth_sig_kind kind;
	uint8_t macid[PRF_MAX_LEN];
	struct crypto_span in[3];
	const uint8_t *der;
	size_t i, len;
	int rc;

	for (i = 0; i < cert_chain_count(x->cred); i++) {
		if (cert_chain_der(x->cred, i, &der, &len) ||
		    !ike_msg_add(m, IKE_PL_CERT, true))
			return -ENOSPC;
		m->cert[m->ncert - 1] = (struct ike_cert_pl){
			IKE_CERT_X509_SIG, der, len };
	}
	rc = cert_key_auth(key, method, &kind);
	if (!rc && x->got_sig_hash)
		*method = IKE_AUTH_DIGITAL_SIG;
	if (!rc)
		rc = sig_spans(x, x->msg1, x->msg1_len, x->nr, x->nr_len,
			       x->keys.sk_pi, idraw, idlen, macid, in);
	if (!rc)
		rc = auth_sig_sign(key, *method, kind, IKE_HASH_SHA2_256, in, 3,
				   auth, auth_len);
	return rc;
}

static int auth_payloads(struct ini *x, struct ike_msg *m, uint8_t *idraw,
			 uint8_t *auth)
{
	size_t idlen = 4 + x->c.idi_len, auth_len = AUTH_SIG_MAX;
	uint8_t method = IKE_AUTH_PSK;
	int rc;

	memset(idraw, 0, 4);
	idraw[0] = x->c.idi_type;
	memcpy(idraw + 4, x->c.idi, x->c.idi_len);
	if (!ike_msg_add(m, IKE_PL_IDI, true))
		return -ENOSPC;
	if (x->cred) {
		rc = sig_auth(x, m, idraw, idlen, auth, &auth_len, &method);
	} else {
		auth_len = prf_len(x->suite.prf);
		rc = psk_auth(x, x->msg1, x->msg1_len, x->nr, x->nr_len,
			      x->keys.sk_pi, idraw, idlen, auth);
	}
	if (rc || !ike_msg_add(m, IKE_PL_AUTH, true))
		return rc ? rc : -ENOSPC;
	m->idi.type = x->c.idi_type;
	m->idi.data = x->c.idi;
	m->idi.len = x->c.idi_len;
	m->auth.method = method;
	m->auth.data = auth;
	m->auth.len = auth_len;
	return 0;
}

/* IKE_AUTH { IDi, AUTH, [CP(CFG_REQUEST)], SAi2, TSi, TSr, [N...] },
 * sealed into out (fragments of at most frag bytes if frag > 0). */
int ini_auth_pkts(struct ini *x, size_t frag, struct ike_pkts *out)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t idraw[4 + 256], auth[AUTH_SIG_MAX], spi[4];
	struct sk_keys k;
	struct ike_hdr h;
	int rc = -ENOSPC;

	if (!m)
		return -ENOMEM;
	hdr_init(x, IKE_AUTH, x->msgid, &h);
	ike_msg_init(m, &h);
	rc = auth_payloads(x, m, idraw, auth);
	if (rc)
		goto out;
	rc = -ENOSPC;
	if (x->c.cp_request) {
		if (!ike_msg_add(m, IKE_PL_CP, true))
			goto out;
		m->cp.type = IKE_CFG_REQUEST;
		m->cp.nattr = 1;
		m->cp.attr[0].type = IKE_CP_INTERNAL_IP4_ADDRESS;
	}
	if (!x->c.childless) {
		fill(x, spi, 4);
		x->child[0].spi_i = get32(spi);
		if (offer(&x->esp, spi, 4, true, true, m) || add_ts(x, m))
			goto out;
	}
	if (x->c.transport &&
	    !ike_msg_add_notify(m, true, IKE_N_USE_TRANSPORT_MODE, NULL, 0))
		goto out;
	if (x->c.msgid_sync && !ike_msg_add_notify(m, true,
			IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, NULL, 0))
		goto out;
	if (x->c.initial_contact && !ike_msg_add_notify(m, true,
			IKE_N_INITIAL_CONTACT, NULL, 0))
		goto out;
	ike_sk_keys(&x->suite, &x->keys, true, &k);
	rc = ike_seal_msg(&k, &x->iv_seq, frag, m, out);
out:
	free(m);
	return rc;
}

int ini_auth(struct ini *x, uint8_t *buf, size_t cap, size_t *len)
{
	struct ike_pkts p = { 0 };
	int rc = ini_auth_pkts(x, 0, &p);

	if (!rc)
		rc = copy_out(&p, buf, cap, len);
	ike_pkts_free(&p);
	return rc;
}

static int child_from(struct ini *x, const struct ike_msg *m,
		      const uint8_t *ni, const uint8_t *gir, size_t gir_len,
		      struct ini_child *c)
{
	if (m->sa.nprop != 1 || m->sa.prop[0].spi_len != 4)
		return -EINVAL;
	prop_to_esp_suite(&m->sa.prop[0], &c->suite);
	c->spi_r = get32(m->sa.prop[0].spi);
	c->live = true;
	return child_keys_derive(x->suite.prf, &c->suite, x->keys.sk_d,
				 x->keys.d_len, gir, gir_len, ni, 32,
				 m->nonce.len ? m->nonce.data : x->nr,
				 m->nonce.len ? m->nonce.len : x->nr_len,
				 &c->keys);
}

static int verify_sig(struct ini *x, const struct ike_msg *m)
{
	uint8_t macid[PRF_MAX_LEN];
	struct crypto_span in[3];
	EVP_PKEY *key = NULL;
	char err[256];
	int rc;

	rc = cert_verify_peer(x->store, m->cert, m->ncert, NULL, &m->idr, &key,
			      err, sizeof(err));
	if (!rc)
		rc = sig_spans(x, x->msg2, x->msg2_len, x->ni, sizeof(x->ni),
			       x->keys.sk_pr, m->idr.raw, m->idr.raw_len, macid,
			       in);
	if (!rc)
		rc = auth_sig_verify(key, m->auth.method, m->auth.data,
				     m->auth.len, in, 3);
	EVP_PKEY_free(key);
	return rc ? -EBADMSG : 0;
}

static int verify_auth(struct ini *x, const struct ike_msg *m)
{
	uint8_t want[PRF_MAX_LEN];
	size_t plen = prf_len(x->suite.prf);
	int rc;

	if (!m->count_enc[IKE_PL_AUTH])
		return -EBADMSG;
	x->resp_auth_method = m->auth.method;
	if (x->store)
		return verify_sig(x, m);
	if (m->auth.method != IKE_AUTH_PSK)
		return -EBADMSG;
	rc = psk_auth(x, x->msg2, x->msg2_len, x->ni, sizeof(x->ni),
		      x->keys.sk_pr, m->idr.raw, m->idr.raw_len, want);
	if (!rc && (m->auth.len != plen || CRYPTO_memcmp(want, m->auth.data, plen)))
		rc = -EBADMSG;
	return rc;
}

static int auth_resp_msg(struct ini *x, const struct ike_msg *m)
{
	uint16_t err;
	int rc;

	if (m->hdr.msgid != x->msgid || m->hdr.exchange != IKE_AUTH)
		return -EINVAL;
	x->msgid++;
	err = take_error(x, m);
	if (err == IKE_N_AUTHENTICATION_FAILED)
		return err;
	rc = verify_auth(x, m);
	if (rc)
		return rc;
	x->msgid_sync_echoed =
		ike_msg_notify(m, IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED) != NULL;
	if (m->count_enc[IKE_PL_CP] && m->cp.nattr &&
	    m->cp.attr[0].type == IKE_CP_INTERNAL_IP4_ADDRESS &&
	    m->cp.attr[0].len == 4) {
		x->have_vip = true;
		memcpy(x->vip, m->cp.attr[0].data, 4);
	}
	if (err)
		return err;
	if (m->count_enc[IKE_PL_SA]) {
		rc = child_from(x, m, x->ni, NULL, 0, &x->child[0]);
		x->nchild = 1;
	}
	return rc;
}

int ini_auth_resp(struct ini *x, const uint8_t *buf, size_t len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t *pt = malloc(IKE_MSG_MAX);
	int rc = -ENOMEM;

	if (m && pt)
		rc = ini_open(x, buf, len, m, pt, IKE_MSG_MAX);
	if (!rc)
		rc = auth_resp_msg(x, m);
	if (pt)
		OPENSSL_cleanse(pt, IKE_MSG_MAX);
	free(pt);
	free(m);
	return rc;
}

/* RFC 7383 2.6: decrypt each SKF fragment and reassemble. */
static int open_frags(struct ini *x, const uint8_t *const *bufs,
		      const size_t *lens, unsigned n, struct ike_msg *m,
		      uint8_t *pt, size_t cap)
{
	struct ike_frag_asm a;
	uint8_t *store = malloc(IKE_MSG_MAX), first = 0;
	struct sk_keys k;
	size_t ptlen = 0, len = 0;
	unsigned i;
	int rc = store ? 0 : -ENOMEM;

	ike_sk_keys(&x->suite, &x->keys, false, &k);
	ike_frag_asm_init(&a, 0, store, IKE_MSG_MAX);
	for (i = 0; i < n && !rc; i++) {
		rc = ike_decode(bufs[i], lens[i], m) || !m->sk.fragment ? -EINVAL : 0;
		if (!rc)
			a.msgid = m->hdr.msgid;
		if (!rc)
			rc = sk_open(&k, bufs[i], lens[i], m->sk.iv_off, pt, cap,
				     &ptlen);
		if (!rc)
			rc = ike_frag_asm_add(&a, m->sk.frag_num, m->sk.frag_total,
					      m->sk.first, pt, ptlen);
	}
	if (!rc)
		rc = ike_frag_asm_finish(&a, pt, cap, &len, &first);
	if (!rc)
		rc = ike_decode_inner(m, pt, len, first) ? -EINVAL : 0;
	ike_frag_asm_clear(&a);
	free(store);
	return rc;
}

int ini_auth_resp_frags(struct ini *x, const uint8_t *const *bufs,
			const size_t *lens, unsigned n)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t *pt = malloc(IKE_MSG_MAX);
	int rc = -ENOMEM;

	if (m && pt)
		rc = open_frags(x, bufs, lens, n, m, pt, IKE_MSG_MAX);
	if (!rc)
		rc = auth_resp_msg(x, m);
	free(pt);
	free(m);
	return rc;
}

static int child_request(struct ini *x, int kind, unsigned idx, bool pfs,
			 struct ike_msg *m, uint8_t *pub, size_t *pub_len)
{
	uint8_t spi[8];
	uint16_t group = x->suite.dh;
	int i;

	if (kind == INI_REKEY_CHILD) {
		if (!ike_msg_add_notify(m, true, IKE_N_REKEY_SA, NULL, 0))
			return -ENOSPC;
		m->notify[m->nnotify - 1].proto = IKE_PROTO_ESP;
		m->notify[m->nnotify - 1].spi_len = 4;
		put32(m->notify[m->nnotify - 1].spi, x->child[idx].spi_i);
		x->pend_rekey_spi = x->child[idx].spi_i;
	}
	if (kind == INI_REKEY_IKE) {
		fill(x, spi, 8);
		x->pend_ike_spi = 0;
		for (i = 0; i < 8; i++)
			x->pend_ike_spi = x->pend_ike_spi << 8 | spi[i];
		if (offer(&x->ike, spi, 8, false, true, m))
			return -ENOSPC;
		pfs = true;
	} else {
		fill(x, spi, 4);
		x->pend_spi = get32(spi);
		if (offer(&x->esp, spi, 4, !pfs, true, m))
			return -ENOSPC;
	}
	fill(x, x->pend_ni, sizeof(x->pend_ni));
	if (!ike_msg_add(m, IKE_PL_NONCE, true))
		return -ENOSPC;
	m->nonce.data = x->pend_ni;
	m->nonce.len = sizeof(x->pend_ni);
	if (pfs) {
		kex_free(x->pend_kex);
		x->pend_kex = new_kex(x, group);
		if (!x->pend_kex || kex_public(x->pend_kex, pub, pub_len) ||
		    !ike_msg_add(m, IKE_PL_KE, true))
			return -EINVAL;
		m->ke.group = group;
		m->ke.data = pub;
		m->ke.len = *pub_len;
	}
	return kind == INI_REKEY_IKE ? 0 : add_ts(x, m);
}

/* CREATE_CHILD_SA { [N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr] } */
int ini_create_child(struct ini *x, int kind, unsigned idx, bool pfs,
		     uint8_t *buf, size_t cap, size_t *len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t pub[KEX_MAX_PUB];
	size_t pub_len = sizeof(pub);
	struct ike_hdr h;
	int rc;

	if (!m)
		return -ENOMEM;
	hdr_init(x, IKE_CREATE_CHILD_SA, x->msgid, &h);
	ike_msg_init(m, &h);
	x->pending_kind = kind;
	rc = child_request(x, kind, idx, pfs, m, pub, &pub_len);
	if (!rc)
		rc = seal(x, m, buf, cap, len);
	free(m);
	return rc;
}

static int rekey_ike_done(struct ini *x, const struct ike_msg *m,
			  const uint8_t *gir, size_t gir_len)
{
	struct ike_suite s;
	struct ike_keys k;
	int rc;

	if (m->sa.nprop != 1 || m->sa.prop[0].spi_len != 8 || !gir_len)
		return -EINVAL;
	prop_to_ike_suite(&m->sa.prop[0], &s);
	x->rspi = 0;
	for (int i = 0; i < 8; i++)
		x->rspi = x->rspi << 8 | m->sa.prop[0].spi[i];
	rc = ike_keys_rekey(&s, x->suite.prf, x->keys.sk_d, x->keys.d_len,
			    x->pend_ni, sizeof(x->pend_ni), m->nonce.data,
			    m->nonce.len, gir, gir_len, x->pend_ike_spi, x->rspi,
			    &k);
	if (rc)
		return rc;
	/* the new IKE SA: new SPIs, keys, message IDs from 0 (2.18) */
	x->ispi = x->pend_ike_spi;
	x->suite = s;
	x->keys = k;
	x->msgid = 0;
	x->iv_seq = 0;
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

int ini_create_child_resp(struct ini *x, const uint8_t *buf, size_t len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t *pt = malloc(IKE_MSG_MAX), gir[KEX_MAX_SECRET];
	size_t gir_len = 0;
	int rc = -ENOMEM, err;

	if (!m || !pt)
		goto out;
	rc = ini_open(x, buf, len, m, pt, IKE_MSG_MAX);
	if (rc || m->hdr.msgid != x->msgid)
		goto out;
	x->msgid++;
	err = take_error(x, m);
	if (err) {
		rc = err;
		goto out;
	}
	if (m->nonce.len >= sizeof(x->last_nr))
		memcpy(x->last_nr, m->nonce.data, sizeof(x->last_nr));
	if (x->pend_kex && m->count_enc[IKE_PL_KE]) {
		gir_len = sizeof(gir);
		rc = kex_derive(x->pend_kex, m->ke.data, m->ke.len, gir, &gir_len);
		if (rc)
			goto out;
	}
	if (x->pending_kind == INI_REKEY_IKE) {
		rc = rekey_ike_done(x, m, gir, gir_len);
	} else if (x->nchild < 8) {
		x->child[x->nchild].spi_i = x->pend_spi;
		rc = child_from(x, m, x->pend_ni, gir_len ? gir : NULL, gir_len,
				&x->child[x->nchild]);
		if (!rc)
			x->nchild++;
	}
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	free(pt);
	free(m);
	return rc;
}

/* INFORMATIONAL { [D] } */
int ini_info(struct ini *x, bool del_ike, int child_idx, uint8_t *buf,
	     size_t cap, size_t *len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t spi[4];
	struct ike_hdr h;
	int rc = -ENOSPC;

	if (!m)
		return -ENOMEM;
	hdr_init(x, IKE_INFORMATIONAL, x->msgid, &h);
	ike_msg_init(m, &h);
	m->sk.present = true;
	if (del_ike || child_idx >= 0) {
		if (!ike_msg_add(m, IKE_PL_DELETE, true))
			goto out;
		m->del[0].proto = del_ike ? IKE_PROTO_IKE : IKE_PROTO_ESP;
		if (!del_ike) {
			put32(spi, x->child[child_idx].spi_i);
			m->del[0].spi_len = 4;
			m->del[0].nspi = 1;
			m->del[0].spis = spi;
		}
	}
	rc = seal(x, m, buf, cap, len);
out:
	free(m);
	return rc;
}

int ini_info_resp(struct ini *x, const uint8_t *buf, size_t len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t *pt = malloc(IKE_MSG_MAX);
	int rc = -ENOMEM;
	uint16_t k;

	if (!m || !pt)
		goto out;
	rc = ini_open(x, buf, len, m, pt, IKE_MSG_MAX);
	if (rc || m->hdr.msgid != x->msgid ||
	    m->hdr.exchange != IKE_INFORMATIONAL)
		goto out;
	x->msgid++;
	x->ndeleted = 0;
	if (m->ndelete && m->del[0].spi_len == 4)
		for (k = 0; k < m->del[0].nspi && x->ndeleted < 8; k++)
			x->deleted_spis[x->ndeleted++] = get32(m->del[0].spis + 4 * k);
	rc = take_error(x, m);
out:
	free(pt);
	free(m);
	return rc;
}

/* Answer a request of the responder (DPD or DELETE) with HDR, SK { }. */
int ini_answer(struct ini *x, const uint8_t *req, size_t req_len,
	       uint8_t *buf, size_t cap, size_t *len, uint8_t *ndelete)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t *pt = malloc(IKE_MSG_MAX);
	struct ike_hdr h;
	int rc = -ENOMEM;

	if (!m || !pt)
		goto out;
	rc = ini_open(x, req, req_len, m, pt, IKE_MSG_MAX);
	if (rc)
		goto out;
	if (m->hdr.flags & IKE_FLAG_RESPONSE) {
		rc = -EINVAL;
		goto out;
	}
	*ndelete = m->ndelete;
	hdr_init(x, m->hdr.exchange, m->hdr.msgid, &h);
	h.flags |= IKE_FLAG_RESPONSE;
	ike_msg_init(m, &h);
	m->sk.present = true;
	rc = seal(x, m, buf, cap, len);
out:
	free(pt);
	free(m);
	return rc;
}

/* One transform of each type from the offered proposal. */
static void first_of_each(const struct ike_proposal *in, struct ike_proposal *out)
{
	bool seen[6] = { false };
	uint8_t i;

	*out = *in;
	out->ntr = 0;
	for (i = 0; i < in->ntr; i++)
		if (in->tr[i].type < 6 && !seen[in->tr[i].type]) {
			seen[in->tr[i].type] = true;
			out->tr[out->ntr++] = in->tr[i];
		}
}

static int answer_child_payloads(struct ini *x, const struct ike_msg *q,
				 struct ike_msg *r, uint8_t *pub, size_t *pub_len,
				 uint8_t *gir, size_t *gir_len)
{
	struct ini_child *c = &x->child[x->nchild];
	struct child_keys k;
	struct kex *kex = NULL;
	uint8_t spi[4];
	int rc = 0;

	if (!ike_msg_add(r, IKE_PL_SA, true) || !ike_msg_add(r, IKE_PL_NONCE, true))
		return -ENOSPC;
	first_of_each(&q->sa.prop[0], &r->sa.prop[0]);
	r->sa.nprop = 1;
	if (!q->count_enc[IKE_PL_KE]) {		/* no PFS: no DH transform */
		uint8_t i, n = 0;

		for (i = 0; i < r->sa.prop[0].ntr; i++)
			if (r->sa.prop[0].tr[i].type != IKE_TRANSFORM_DH)
				r->sa.prop[0].tr[n++] = r->sa.prop[0].tr[i];
		r->sa.prop[0].ntr = n;
	}
	fill(x, spi, 4);
	memcpy(r->sa.prop[0].spi, spi, 4);
	memset(c, 0, sizeof(*c));
	c->spi_i = get32(spi);
	c->spi_r = get32(q->sa.prop[0].spi);
	prop_to_esp_suite(&r->sa.prop[0], &c->suite);
	fill(x, x->ans_nr, sizeof(x->ans_nr));
	memcpy(x->ans_ni, q->nonce.data, q->nonce.len < 32 ? q->nonce.len : 32);
	r->nonce.data = x->ans_nr;
	r->nonce.len = sizeof(x->ans_nr);
	*gir_len = 0;
	if (c->suite.dh != IKE_DH_NONE && q->count_enc[IKE_PL_KE]) {
		kex = new_kex(x, q->ke.group);
		*gir_len = KEX_MAX_SECRET;
		rc = !kex ? -EINVAL : kex_public(kex, pub, pub_len);
		if (!rc)
			rc = kex_derive(kex, q->ke.data, q->ke.len, gir, gir_len);
		kex_free(kex);
		if (rc || !ike_msg_add(r, IKE_PL_KE, true))
			return rc ? rc : -ENOSPC;
		r->ke.group = q->ke.group;
		r->ke.data = pub;
		r->ke.len = *pub_len;
	}
	if (!ike_msg_add(r, IKE_PL_TSI, true) || !ike_msg_add(r, IKE_PL_TSR, true))
		return -ENOSPC;
	r->tsi = q->tsi;
	r->tsr = q->tsr;
	/* the responder started this exchange: its "i" keys are the
	 * direction towards us; c->keys stays "us -> responder" in .ei */
	rc = child_keys_derive(x->suite.prf, &c->suite, x->keys.sk_d,
			       x->keys.d_len, *gir_len ? gir : NULL, *gir_len,
			       q->nonce.data, q->nonce.len, x->ans_nr,
			       sizeof(x->ans_nr), &k);
	if (!rc) {
		c->keys = k;
		memcpy(c->keys.ei, k.er, sizeof(k.er));
		memcpy(c->keys.ai, k.ar, sizeof(k.ar));
		memcpy(c->keys.er, k.ei, sizeof(k.ei));
		memcpy(c->keys.ar, k.ai, sizeof(k.ai));
		c->live = true;
		x->nchild++;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

int ini_answer_child(struct ini *x, const uint8_t *req, size_t req_len,
		     uint8_t *buf, size_t cap, size_t *len)
{
	struct ike_msg *q = calloc(1, sizeof(*q)), *r = calloc(1, sizeof(*r));
	uint8_t *pt = malloc(IKE_MSG_MAX), pub[KEX_MAX_PUB], gir[KEX_MAX_SECRET];
	size_t pub_len = sizeof(pub), gir_len = 0;
	struct ike_hdr h;
	int rc = -ENOMEM;

	if (!q || !r || !pt || x->nchild >= 8)
		goto out;
	rc = ini_open(x, req, req_len, q, pt, IKE_MSG_MAX);
	if (!rc && (q->hdr.exchange != IKE_CREATE_CHILD_SA || !q->sa.nprop ||
		    q->sa.prop[0].spi_len != 4))
		rc = -EINVAL;
	if (rc)
		goto out;
	hdr_init(x, IKE_CREATE_CHILD_SA, q->hdr.msgid, &h);
	h.flags |= IKE_FLAG_RESPONSE;
	ike_msg_init(r, &h);
	rc = answer_child_payloads(x, q, r, pub, &pub_len, gir, &gir_len);
	if (!rc)
		rc = seal(x, r, buf, cap, len);
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	free(pt);
	free(q);
	free(r);
	return rc;
}

int ini_answer_ike_rekey(struct ini *x, const uint8_t *req, size_t req_len,
			 uint8_t *buf, size_t cap, size_t *len)
{
	struct ike_msg *q = calloc(1, sizeof(*q)), *r = calloc(1, sizeof(*r));
	uint8_t *pt = malloc(IKE_MSG_MAX), pub[KEX_MAX_PUB], spi[8];
	size_t pub_len = sizeof(pub);
	struct kex *kex = NULL;
	struct ike_hdr h;
	int rc = -ENOMEM, i;

	if (!q || !r || !pt)
		goto out;
	rc = ini_open(x, req, req_len, q, pt, IKE_MSG_MAX);
	if (!rc && (q->hdr.exchange != IKE_CREATE_CHILD_SA || !q->sa.nprop ||
		    q->sa.prop[0].proto != IKE_PROTO_IKE ||
		    q->sa.prop[0].spi_len != 8 || !q->count_enc[IKE_PL_KE]))
		rc = -EINVAL;
	if (rc)
		goto out;
	hdr_init(x, IKE_CREATE_CHILD_SA, q->hdr.msgid, &h);
	h.flags |= IKE_FLAG_RESPONSE;
	ike_msg_init(r, &h);
	rc = -ENOSPC;
	if (!ike_msg_add(r, IKE_PL_SA, true) ||
	    !ike_msg_add(r, IKE_PL_NONCE, true) || !ike_msg_add(r, IKE_PL_KE, true))
		goto out;
	first_of_each(&q->sa.prop[0], &r->sa.prop[0]);
	r->sa.nprop = 1;
	fill(x, spi, 8);
	memcpy(r->sa.prop[0].spi, spi, 8);
	x->ans_ike_spi = 0;
	for (i = 0; i < 8; i++)
		x->ans_ike_spi = x->ans_ike_spi << 8 | spi[i];
	fill(x, x->ans_nr, sizeof(x->ans_nr));
	memcpy(x->ans_ni, q->nonce.data, q->nonce.len < 32 ? q->nonce.len : 32);
	r->nonce.data = x->ans_nr;
	r->nonce.len = sizeof(x->ans_nr);
	kex = new_kex(x, q->ke.group);
	rc = !kex ? -EINVAL : kex_public(kex, pub, &pub_len);
	if (rc)
		goto out;
	r->ke.group = q->ke.group;
	r->ke.data = pub;
	r->ke.len = pub_len;
	rc = seal(x, r, buf, cap, len);
out:
	kex_free(kex);
	free(pt);
	free(q);
	free(r);
	return rc;
}
