/* Public-key AUTH for IKE_AUTH (ike_auth_cert.c). */
#ifndef HIKE_SA_CERT_AUTH_H
#define HIKE_SA_CERT_AUTH_H

#include <stddef.h>
#include <stdint.h>

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
/* Our AUTH (auth must hold AUTH_SIG_MAX bytes). */
int ike_cert_sign(struct hike *h, const struct ike_sa *sa,
		  const struct conf_conn *conn, const uint8_t *id_raw,
		  size_t id_len, uint8_t *auth, size_t *auth_len,
		  uint8_t *method);
int ike_cert_add_chain(struct hike *h, const struct conf_conn *conn,
		       const struct ike_msg *req, struct ike_msg *resp);
void sa_creds_free(struct ike_sa_table *t);

#endif
