/* Internals shared by the exchange handlers (sa/ only; the test
 * initiator uses the SK helpers too). */
#ifndef HIKE_SA_EXCHANGE_H
#define HIKE_SA_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/sk.h"
#include "sa/repl.h"
#include "sa/sa.h"

struct conf_conn;

/* One received request, decoded (inner chain included).  Borrowed: the
 * handler copies what it keeps. */
struct ike_rx {
	const struct sockaddr_storage *local, *remote;
	const uint8_t *buf;		/* the datagram (first fragment for SKF) */
	size_t len;
	struct ike_msg *msg;
};

/* Handlers, one file each.  sa is NULL for IKE_SA_INIT. */
void ike_sa_init_rx(struct hike *h, const struct ike_rx *rx);
void ike_auth_rx(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx);
void ike_child_rx(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx);
void ike_info_rx(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx);
/* A response to one of our own requests (requests.c). */
void ike_req_response_rx(struct hike *h, struct ike_sa *sa,
			 const struct ike_rx *rx);

/* SK keys of one direction: initiator_keys picks SK_ei/SK_ai (what the
 * original initiator sends with), else SK_er/SK_ar. */
void ike_sk_keys(const struct ike_suite *s, const struct ike_keys *k,
		 bool initiator_keys, struct sk_keys *out);
/* The keys sa sends with / receives with. */
void ike_sa_sk_out(const struct ike_sa *sa, struct sk_keys *out);
void ike_sa_sk_in(const struct ike_sa *sa, struct sk_keys *out);

/* Header of a message on sa: SPIs, I flag if we are the original
 * initiator, R flag for responses. */
void ike_sa_hdr(const struct ike_sa *sa, uint8_t exchange, uint32_t msgid,
		bool response, struct ike_hdr *hdr);

/* Encode m, encrypt with sa's outbound keys and append the datagram(s)
 * to out: fragments (RFC 7383) when the peer supports them and the
 * message exceeds the configured size.  0 or -errno. */
int ike_sa_seal(struct hike *h, struct ike_sa *sa, struct ike_msg *m,
		struct ike_pkts *out);
/* The same without an SA (the test initiator): keys, iv counter,
 * fragment size (0 = never fragment). */
int ike_seal_msg(const struct sk_keys *k, uint64_t *iv_seq, size_t frag_size,
		 struct ike_msg *m, struct ike_pkts *out);
/* Encode a clear message (IKE_SA_INIT) into out. */
int ike_encode_clear(struct ike_msg *m, struct ike_pkts *out);

/* Open the SK payload of a decoded msg (buf is the datagram) into pt
 * and decode the inner chain.  -EBADMSG on a bad ICV. */
int ike_open_msg(const struct sk_keys *k, const uint8_t *buf, size_t len,
		 struct ike_msg *msg, uint8_t *pt, size_t cap);

/* Reject a request with one encrypted notify (answers it; kind tells
 * what else the update does). */
int ike_sa_reply_notify(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx, uint16_t type,
			const void *data, size_t len, bool delete_ike);
/* Stage the answer into u (window move + response bytes). */
int ike_sa_stage_answer(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx, struct ike_msg *resp,
			struct sa_update *u);
/* RFC 7296 2.4 INITIAL_CONTACT in sa's IKE_AUTH: forget every other IKE
 * SA of the same connection and peer ID (replicated, no DELETE sent).
 * Returns how many (contact.c).  The _id form takes the connection and
 * ID IKE_AUTH staged: in a cluster sa has them only once its update has
 * come back, after the deletes should have been submitted. */
size_t ike_sa_initial_contact(struct hike *h, struct ike_sa *sa);
size_t ike_sa_initial_contact_id(struct hike *h, struct ike_sa *sa,
				 const struct conf_conn *conn, uint8_t type,
				 const uint8_t *id, size_t len);
/* Stage the answer, mark the SA busy and replicate; the response leaves
 * when the update commits.  On success *u belongs to the replicator (set
 * to NULL); on failure the caller still owns and frees it. */
int ike_sa_answer(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx,
		  struct ike_msg *resp, struct sa_update **u);

/* Connections (conn.c). */
bool conn_remote_addr_ok(const struct conf_conn *c,
			 const struct sockaddr_storage *remote);
bool conn_local_addr_ok(const struct conf_conn *c,
			const struct sockaddr_storage *local);
bool conn_ike_suite_ok(const struct conf_conn *c, const struct ike_suite *s);
struct conf_id;
void conn_local_id(const struct conf_conn *c, const struct ike_sa *sa,
		   struct conf_id *out);
const struct conf_conn *conn_find_auth(struct hike *h,
				       const struct ike_sa *sa,
				       const struct ike_id_pl *idi,
				       const struct ike_id_pl *idr);

/* Cookies (cookie.c, RFC 7296 2.6). */
#define COOKIE_LEN	36	/* 4-byte secret version + SHA-256 */
int ike_cookie_make(struct hike *h, const struct ike_msg *m,
		    const struct sockaddr_storage *remote,
		    uint8_t out[COOKIE_LEN]);
bool ike_cookie_ok(struct hike *h, const struct ike_msg *m,
		   const struct sockaddr_storage *remote);

/* NAT detection (natd.c, RFC 7296 2.23): SHA1(SPIi | SPIr | IP | port). */
#define NATD_LEN	20
int ike_natd_hash(uint64_t ispi, uint64_t rspi,
		  const struct sockaddr_storage *addr, uint8_t out[NATD_LEN]);

/* PSK AUTH (ike_auth_psk.c, RFC 7296 2.15). */
int ike_psk_auth(uint16_t prf_id, const uint8_t *psk, size_t psk_len,
		 const uint8_t *msg, size_t msg_len,
		 const uint8_t *nonce, size_t nonce_len,
		 const uint8_t *sk_p, size_t sk_p_len,
		 const uint8_t *id_raw, size_t id_len, uint8_t *out,
		 size_t *out_len);

/* A configured proposal in wire form (prop_wire.c): transforms of each
 * type in preference order.  0 or -1 if it does not fit. */
struct prop_conf;
int prop_conf_to_wire(const struct prop_conf *p, uint8_t num,
		      const uint8_t *spi, uint8_t spi_len,
		      struct ike_proposal *out);
/* The first DH group of a proposal, IKE_DH_NONE if none. */
uint16_t prop_conf_dh(const struct prop_conf *p);

/* RFC 7296 2.8.1: the lower of two nonces, first 16 octets. */
void rekey_nonce_min(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen, uint8_t out[16]);

/* Offload work to the DH workers (inline when h->workers is NULL). */
int sa_offload(struct hike *h, void (*work)(void *), void (*done)(void *, int),
	       void *arg);

/* Remove sa and its children from the tables (and, with send, from the
 * datapath) and free them (sa_commit.c). */
void ike_sa_destroy(struct hike *h, struct ike_sa *sa, bool send);

/* Timers (requests.c): recompute sa's next deadline and arm its timer. */
void ike_sa_timer_update(struct hike *h, struct ike_sa *sa);
/* Key log for tshark (keylog.c). */
void ike_sa_keylog(struct hike *h, const struct ike_sa *sa);

#endif
