/* Traffic selector narrowing (RFC 7296 2.9) and the Child SA staging
 * shared by IKE_AUTH and CREATE_CHILD_SA. */
#ifndef HIKE_SA_TS_H
#define HIKE_SA_TS_H

#include <stddef.h>
#include <stdint.h>

#include "sa/sa.h"

struct conf_conn;
struct conf_ts;

/* Intersection of each peer selector with each of ours (address range,
 * protocol, ports); at most max written.  Returns the count. */
size_t ts_narrow(const struct ike_ts *peer, size_t npeer,
		 const struct ike_ts *ours, size_t nours,
		 struct ike_ts *out, size_t max);
/* A configured selector in wire form. */
void ts_from_conf(const struct conf_ts *c, struct ike_ts *out);
/* A single address (/32 or /128), any protocol and port. */
void ts_from_addr(int family, const uint8_t *addr, struct ike_ts *out);

/* What a request asks for a new Child SA. */
struct child_req {
	const struct ike_sa_pl *sa;
	const struct ike_ts_pl *tsi, *tsr;
	bool transport;			/* N(USE_TRANSPORT_MODE) */
	const uint8_t *ni, *nr;
	size_t ni_len, nr_len;
	const uint8_t *gir;		/* PFS shared secret, NULL without */
	size_t gir_len;
	int lease_family;		/* 0: no virtual IP */
	const uint8_t *lease;
	uint32_t rekey_of;		/* spi_in of the SA replaced */
	bool no_dh;			/* IKE_AUTH: DH transforms ignored
					   (RFC 7296 1.2) */
};

/* Select the ESP proposal, narrow the selectors, pick our SPI, derive
 * KEYMAT (RFC 7296 2.17) and add SA, TSi, TSr [, N(USE_TRANSPORT_MODE)]
 * to resp (encrypted).  *c gets the staged Child SA (owner sa, not in
 * any table).  On a protocol failure returns -EPROTO with *notify set
 * (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE); other errors -errno.
 * chosen (may be NULL) gets the selected proposal. */
int child_stage(struct hike *h, struct ike_sa *sa,
		const struct conf_conn *conn, const struct child_req *in,
		struct ike_msg *resp, struct child_sa **c, uint16_t *notify,
		struct ike_proposal *chosen);

#endif
