/* Public-key AUTH for IKE_AUTH (ike_auth_cert.c). */
#ifndef HIKE_SA_CERT_AUTH_H
#define HIKE_SA_CERT_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/auth_sig.h"
#include "sa/sa.h"

struct conf_conn;
struct conf_id;
struct ike_sa_table;

/* CERTREQ data (SHA-1 of each CA's public key, RFC 7296 3.7). */
int ike_certreq_data(struct hike *h, const struct conf_conn *conn,
		     uint8_t *out, size_t cap, size_t *len);
/* The peer's CERT chain against conn's CAs, IDi bound to it, and its
 * AUTH signature.  0 or -errno (all AUTHENTICATION_FAILED). */
int ike_cert_verify_peer(struct hike *h, const struct ike_sa *sa,
			 const struct conf_conn *conn, const struct ike_msg *m);
int ike_cert_our_id(struct hike *h, const struct conf_conn *conn,
		    struct conf_id *id);
/*
 * Our AUTH, in two halves so that the private-key operation can run on a
 * worker: _prepare (loop thread) copies the signed octets (RFC 7296 2.15)
 * and takes a reference to the key; _run touches nothing but the job;
 * _clear wipes it.  auth/auth_len/method hold the result.
 */
struct cert_sign_job {
	EVP_PKEY *key;
	uint8_t method;
	enum auth_sig_kind kind;
	uint8_t *octets;		/* RealMessage2 | Ni | prf(SK_pr, IDr') */
	size_t octets_len, span[3];
	uint8_t auth[AUTH_SIG_MAX];
	size_t auth_len;
	int rc;
};
int ike_cert_sign_prepare(struct hike *h, const struct ike_sa *sa,
			  const struct conf_conn *conn, const uint8_t *id_raw,
			  size_t id_len, struct cert_sign_job *j);
void ike_cert_sign_run(struct cert_sign_job *j);
void ike_cert_sign_clear(struct cert_sign_job *j);
int ike_cert_add_chain(struct hike *h, const struct conf_conn *conn,
		       const struct ike_msg *req, struct ike_msg *resp);
void sa_creds_free(struct ike_sa_table *t);

#endif
