/*
 * Public-key AUTH (RFC 7296 2.15, 3.6, 3.7; RFC 7427 method 14): the
 * credentials of each connection (CA store, our chain and key) are
 * loaded on first use and cached until the configuration is swapped.
 *   verify:  AUTH = sig over RealMessage1 | Nr | prf(SK_pi, IDi')
 *   sign:    AUTH = sig over RealMessage2 | Ni | prf(SK_pr, IDr')
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "crypto/cert.h"
#include "crypto/prf.h"
#include "sa/cert_auth.h"
#include "sa/table.h"

struct sa_cred {
	char name[64];
	struct cert_store *store;	/* NULL: no CAs configured */
	struct cert_cred *cred;		/* NULL: no certificate of ours */
	struct sa_cred *next;
};

void sa_creds_free(struct ike_sa_table *t)
{
	struct sa_cred *c, *next;

	for (c = t->creds; c; c = next) {
		next = c->next;
		cert_store_free(c->store);
		cert_cred_free(c->cred);
		free(c);
	}
	t->creds = NULL;
}

static struct sa_cred *creds_get(struct hike *h, const struct conf_conn *conn)
{
	struct ike_sa_table *t = h->ike_sas;
	const char *paths[CONF_MAX_CA];
	char err[256] = "";
	struct sa_cred *c;
	size_t i;

	for (c = t->creds; c; c = c->next)
		if (!strcmp(c->name, conn->name))
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", conn->name);
	for (i = 0; i < conn->ncacerts; i++)
		paths[i] = conn->cacerts[i];
	if (conn->ncacerts &&
	    cert_store_load(paths, conn->ncacerts, &c->store, err, sizeof(err)))
		log_err(&h->log, "connection %s: cacerts: %s", conn->name, err);
	if (conn->cert[0] && conn->key[0] &&
	    cert_cred_load(conn->cert, conn->key, &c->cred, err, sizeof(err)))
		log_err(&h->log, "connection %s: cert/key: %s", conn->name, err);
	c->next = t->creds;
	t->creds = c;
	return c;
}

int ike_certreq_data(struct hike *h, const struct conf_conn *conn,
		     uint8_t *out, size_t cap, size_t *len)
{
	struct sa_cred *c = creds_get(h, conn);

	*len = 0;
	if (!c || !c->store)
		return -ENOENT;
	return cert_certreq_hashes(c->store, out, cap, len);
}

/* prf(SK_p, ID') as the third span of the signed octets. */
static int signed_octets(uint16_t prf_id, const uint8_t *msg, size_t msg_len,
			 const uint8_t *nonce, size_t nonce_len,
			 const uint8_t *skp, size_t skp_len, const uint8_t *id,
			 size_t id_len, uint8_t *macid, struct crypto_span in[3])
{
	int rc = prf(prf_id, skp, skp_len, id, id_len, macid);

	in[0] = (struct crypto_span){ msg, msg_len };
	in[1] = (struct crypto_span){ nonce, nonce_len };
	in[2] = (struct crypto_span){ macid, prf_len(prf_id) };
	return rc;
}

int ike_cert_verify_peer(struct hike *h, const struct ike_sa *sa,
			 const struct conf_conn *conn, const struct ike_msg *m)
{
	struct sa_cred *c = creds_get(h, conn);
	uint8_t macid[PRF_MAX_LEN];
	struct crypto_span in[3];
	EVP_PKEY *key = NULL;
	char err[256] = "";
	int rc;

	if (!c || !c->store)
		return -ENOENT;
	rc = cert_verify_peer(c->store, m->cert, m->ncert, &conn->remote_id,
			      &m->idi, &key, err, sizeof(err));
	if (rc) {
		ike_sa_log(h, sa, LOG_WARN_, "peer certificate: %s", err);
		return rc;
	}
	rc = signed_octets(sa->sa_suite.prf, sa->sa_msg1, sa->sa_msg1_len,
			   sa->sa_nr, sa->sa_nr_len, sa->sa_keys.sk_pi,
			   sa->sa_keys.p_len, m->idi.raw, m->idi.raw_len,
			   macid, in);
	if (!rc)
		rc = auth_sig_verify(key, m->auth.method, m->auth.data,
				     m->auth.len, in, 3);
	if (!rc)
		ike_sa_log(h, sa, LOG_INFO_, "peer authenticated by %s "
			   "(AUTH method %u)", err, m->auth.method);
	EVP_PKEY_free(key);
	OPENSSL_cleanse(macid, sizeof(macid));
	return rc;
}

/* Our identity: the configured one if the certificate holds it, else
 * the certificate's subject DN. */
int ike_cert_our_id(struct hike *h, const struct conf_conn *conn,
		    struct conf_id *id)
{
	struct sa_cred *c = creds_get(h, conn);
	size_t len = 0;
	uint8_t type = 0;
	int rc;

	if (!c || !c->cred)
		return -ENOENT;
	if (conn->local_id.type && !conn->local_id.any) {
		*id = conn->local_id;
		return cert_cred_has_id(c->cred, id->type, id->data, id->len) ?
		       0 : -EPERM;
	}
	memset(id, 0, sizeof(*id));
	rc = cert_id_of(c->cred, IKE_ID_DER_ASN1_DN, id->data,
			sizeof(id->data), &len, &type);
	id->type = type;
	id->len = len;
	return rc;
}

int ike_cert_sign_prepare(struct hike *h, const struct ike_sa *sa,
			  const struct conf_conn *conn, const uint8_t *id_raw,
			  size_t id_len, struct cert_sign_job *j)
{
	struct sa_cred *c = creds_get(h, conn);
	uint8_t macid[PRF_MAX_LEN];
	struct crypto_span in[3];
	EVP_PKEY *key;
	size_t off = 0;
	int rc, i;

	memset(j, 0, sizeof(*j));
	if (!c || !c->cred)
		return -ENOENT;
	key = cert_cred_key(c->cred);
	rc = cert_key_auth(key, &j->method, &j->kind);
	if (rc)
		return rc;
	/* RFC 7427 4: method 14 once the peer announced its hashes */
	if (sa->sa_flags & IKE_SA_F_SIG_HASH)
		j->method = IKE_AUTH_DIGITAL_SIG;
	rc = signed_octets(sa->sa_suite.prf, sa->sa_msg2, sa->sa_msg2_len,
			   sa->sa_ni, sa->sa_ni_len, sa->sa_keys.sk_pr,
			   sa->sa_keys.p_len, id_raw, id_len, macid, in);
	if (!rc) {
		j->octets_len = in[0].n + in[1].n + in[2].n;
		j->octets = malloc(j->octets_len);
		rc = j->octets ? 0 : -ENOMEM;
	}
	for (i = 0; !rc && i < 3; i++) {
		memcpy(j->octets + off, in[i].p, in[i].n);
		j->span[i] = in[i].n;
		off += in[i].n;
	}
	/* a reference of the job's own: a reload may free the credential
	 * while a worker signs */
	if (!rc && EVP_PKEY_up_ref(key) == 1)
		j->key = key;
	else if (!rc)
		rc = -ENOMEM;
	OPENSSL_cleanse(macid, sizeof(macid));
	if (rc)
		ike_cert_sign_clear(j);
	return rc;
}

void ike_cert_sign_run(struct cert_sign_job *j)
{
	struct crypto_span in[3] = {
		{ j->octets, j->span[0] },
		{ j->octets + j->span[0], j->span[1] },
		{ j->octets + j->span[0] + j->span[1], j->span[2] },
	};

	j->auth_len = sizeof(j->auth);
	j->rc = auth_sig_sign(j->key, j->method, j->kind, IKE_HASH_SHA2_256,
			      in, 3, j->auth, &j->auth_len);
}

void ike_cert_sign_clear(struct cert_sign_job *j)
{
	if (j->octets) {
		OPENSSL_cleanse(j->octets, j->octets_len);
		free(j->octets);
	}
	EVP_PKEY_free(j->key);
	OPENSSL_cleanse(j, sizeof(*j));
}

/* CERT payloads: our chain, without what the peer's CERTREQ names. */
int ike_cert_add_chain(struct hike *h, const struct conf_conn *conn,
		       const struct ike_msg *req, struct ike_msg *resp)
{
	struct sa_cred *c = creds_get(h, conn);
	const uint8_t *der;
	size_t i, len;

	if (!c || !c->cred)
		return -ENOENT;
	for (i = 0; i < cert_chain_count(c->cred); i++) {
		if (cert_chain_skip(c->cred, i, req->certreq, req->ncertreq) ||
		    cert_chain_der(c->cred, i, &der, &len))
			continue;
		if (!ike_msg_add(resp, IKE_PL_CERT, true))
			return -ENOSPC;
		resp->cert[resp->ncert - 1] = (struct ike_cert_pl){
			.encoding = IKE_CERT_X509_SIG, .data = der, .len = len,
		};
	}
	return 0;
}
