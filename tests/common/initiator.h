/*
 * A minimal IKEv2 initiator built from hike's codec and crypto, for the
 * exchange tests and the load generator.  Everything random is injected
 * (SPI, nonces, DH private values) so runs are reproducible.
 *
 * Usage: ini_init(); ini_sa_init() -> send -> ini_sa_init_resp(); ...
 * Each *_resp() returns 0 on success, a positive IKEv2 notify type when
 * the responder refused (INVALID_KE_PAYLOAD, COOKIE, NO_PROPOSAL_CHOSEN,
 * AUTHENTICATION_FAILED, TS_UNACCEPTABLE, ...), or -errno.
 */
#ifndef HIKE_TESTS_INITIATOR_H
#define HIKE_TESTS_INITIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "crypto/proposal.h"
#include "ike/msg.h"
#include "sa/sa.h"

struct kex;
struct cert_cred;
struct cert_store;

struct ini_conf {
	const char *ike_proposal;	/* "aes256gcm16-prfsha256-x25519" */
	const char *esp_proposal;	/* "aes256gcm16" */
	uint16_t ke_group;		/* group of the first KEi (0 = the
					   proposal's first) */
	const char *psk;
	uint8_t idi_type;		/* IKE_ID_* */
	const uint8_t *idi;
	size_t idi_len;
	uint64_t spi;			/* our IKE SPI */
	uint8_t seed;			/* nonces and DH privates derive from it */
	bool frag, msgid_sync, cp_request, transport, childless;
	bool initial_contact;		/* N(INITIAL_CONTACT) in IKE_AUTH */
	struct sockaddr_storage me, peer;	/* for NAT detection */
	/* public-key AUTH instead of PSK when set (PEM paths) */
	const char *cert_chain, *cert_key, *ca;
	bool sig_hash;			/* send SIGNATURE_HASH_ALGORITHMS */
	/* PSK for us, but verify the responder's signature against this
	 * store (not owned: a load generator loads it once) */
	struct cert_store *shared_store;
	uint8_t ntsi, ntsr;
	struct ike_ts tsi[4], tsr[4];
};

struct ini_child {
	uint32_t spi_i, spi_r;		/* ours (initiator inbound), theirs */
	struct esp_suite suite;
	struct child_keys keys;
	bool live;
};

struct ini {
	struct ini_conf c;
	struct prop_conf ike, esp;
	struct kex *kex;
	uint16_t group;
	uint64_t ispi, rspi;
	uint8_t ni[32], nr[256];
	size_t nr_len;
	struct ike_suite suite;
	struct ike_keys keys;
	uint8_t *msg1, *msg2;
	size_t msg1_len, msg2_len;
	uint32_t msgid;			/* next request */
	uint64_t iv_seq;
	uint8_t cookie[64];
	size_t cookie_len;
	uint8_t counter;		/* fresh nonces/privates per exchange */
	/* last response */
	uint16_t notify;
	uint8_t notify_data[64];
	size_t notify_len;
	bool msgid_sync_echoed;
	bool have_vip;
	uint8_t vip[16];
	bool natd_seen;
	bool got_certreq, got_sig_hash;
	size_t certreq_len;
	uint8_t resp_auth_method;	/* of the responder's AUTH */
	struct cert_cred *cred;
	struct cert_store *store;
	bool store_shared;		/* store is c.shared_store */
	/* Child SAs: [0] first, then later ones */
	struct ini_child child[8];
	unsigned nchild;
	/* pending CREATE_CHILD_SA */
	int pending_kind;		/* INI_NEW_CHILD ... */
	uint8_t pend_ni[32];
	struct kex *pend_kex;
	uint32_t pend_spi;		/* our new child SPI */
	uint64_t pend_ike_spi;
	uint32_t pend_rekey_spi;	/* spi_i of the child rekeyed */
	/* nonces of the last CREATE_CHILD_SA exchanges (2.8.1 tests) */
	uint8_t last_nr[32];		/* Nr of the last response we got */
	uint8_t ans_ni[32], ans_nr[32];	/* of the last request we answered */
	uint64_t ans_ike_spi;		/* our SPI in the IKE rekey answered */
	/* the delete a DELETE response named */
	uint32_t deleted_spis[8];
	unsigned ndeleted;
};

enum { INI_NEW_CHILD = 1, INI_REKEY_CHILD, INI_REKEY_IKE };

int ini_init(struct ini *x, const struct ini_conf *c);
void ini_free(struct ini *x);

/* IKE_SA_INIT { SAi1, KEi, Ni, N(NAT_D) x2, [N(COOKIE)], [N(FRAG_SUP)] } */
int ini_sa_init(struct ini *x, uint8_t *buf, size_t cap, size_t *len);
/* After INVALID_KE_PAYLOAD the next ini_sa_init() uses the group asked
 * for; after COOKIE it carries the cookie. */
int ini_sa_init_resp(struct ini *x, const uint8_t *buf, size_t len);

/* IKE_AUTH { IDi, AUTH, [CP], SAi2, TSi, TSr, [N...] } */
int ini_auth(struct ini *x, uint8_t *buf, size_t cap, size_t *len);
int ini_auth_resp(struct ini *x, const uint8_t *buf, size_t len);
/* The same request as RFC 7383 fragments of at most frag bytes, and a
 * fragmented answer. */
int ini_auth_pkts(struct ini *x, size_t frag, struct ike_pkts *out);
int ini_auth_resp_frags(struct ini *x, const uint8_t *const *bufs,
			const size_t *lens, unsigned n);

/* CREATE_CHILD_SA: kind INI_NEW_CHILD / INI_REKEY_CHILD (of child idx) /
 * INI_REKEY_IKE; pfs adds KEi for a Child SA (the group of the IKE SA). */
int ini_create_child(struct ini *x, int kind, unsigned idx, bool pfs,
		     uint8_t *buf, size_t cap, size_t *len);
int ini_create_child_resp(struct ini *x, const uint8_t *buf, size_t len);

/* INFORMATIONAL: nothing (liveness), D(IKE) (del_ike), or D(ESP) of
 * child idx's spi_i. */
int ini_info(struct ini *x, bool del_ike, int child_idx, uint8_t *buf,
	     size_t cap, size_t *len);
int ini_info_resp(struct ini *x, const uint8_t *buf, size_t len);

/* A request from the responder (DPD, DELETE): decrypt it and write an
 * empty INFORMATIONAL answer; *ndelete gets its count of DELETEs. */
int ini_answer(struct ini *x, const uint8_t *req, size_t req_len,
	       uint8_t *buf, size_t cap, size_t *len, uint8_t *ndelete);

/* Answer the responder's CREATE_CHILD_SA (a Child SA rekey it started):
 * take its first proposal, our own SPI and nonce, [KEr], echo the
 * selectors; the new Child SA is appended to x->child. */
int ini_answer_child(struct ini *x, const uint8_t *req, size_t req_len,
		     uint8_t *buf, size_t cap, size_t *len);

/* Answer the responder's CREATE_CHILD_SA rekeying the IKE SA (2.18):
 * its first proposal with our new SPI (ans_ike_spi), nonce ans_nr, KEr.
 * x stays on the old IKE SA (the 2.8.2 tests need only the exchange). */
int ini_answer_ike_rekey(struct ini *x, const uint8_t *req, size_t req_len,
			 uint8_t *buf, size_t cap, size_t *len);

/* Decrypt any message from the responder into m (pt holds the inner
 * payloads).  0, -EBADMSG (ICV) or -EINVAL. */
int ini_open(struct ini *x, const uint8_t *buf, size_t len,
	     struct ike_msg *m, uint8_t *pt, size_t cap);

#endif
