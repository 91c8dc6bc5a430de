/*
 * INITIAL_CONTACT (RFC 7296 2.4): the peer says the IKE SA it has just
 * authenticated is the only one it has with us, typically after it
 * restarted.  Every other IKE SA of the same connection and the same
 * authenticated peer ID is then forgotten here and on the standbys
 * (no DELETE: the peer has no such SA any more), with its Child SAs, so
 * stale SAs do not linger until DPD or their lifetime ends.
 *
 * The candidates come from the tables' peer-ID index (table.c), so a
 * reconnect storm of n peers costs O(n), not O(n^2); the rules below
 * still decide which of them go.
 */
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "sa/exchange.h"
#include "sa/requests.h"
#include "sa/table.h"

#define CONTACT_INLINE	8	/* usually one or two: no malloc */

struct contact_scan {
	const struct ike_sa *sa;
	const struct conf_conn *conn;
	uint64_t *spi;			/* our SPIs of the SAs to forget */
	size_t n, cap;
	uint64_t inline_spi[CONTACT_INLINE];
};

static int contact_match(struct ike_sa *o, void *arg)
{
	struct contact_scan *s = arg;
	uint64_t *n;

	/* the same ID: ike_sa_foreach_peer() compared type, length, bytes */
	if (o == s->sa || o->sa_state == IKE_SA_HALF_OPEN ||
	    o->sa_state == IKE_SA_DEAD || o->sa_del_pending ||
	    o->sa_conn != s->conn)
		return 0;
	if (s->n == s->cap) {
		n = realloc(s->spi == s->inline_spi ? NULL : s->spi,
			    s->cap * 2 * sizeof(*n));
		if (!n)
			return -1;	/* keep what we have */
		if (s->spi == s->inline_spi)
			memcpy(n, s->inline_spi, sizeof(s->inline_spi));
		s->spi = n;
		s->cap *= 2;
	}
	s->spi[s->n++] = ike_sa_our_spi(o);
	return 0;
}

size_t ike_sa_initial_contact_id(struct hike *h, struct ike_sa *sa,
				 const struct conf_conn *conn, uint8_t type,
				 const uint8_t *id, size_t len)
{
	struct contact_scan s = { .sa = sa, .conn = conn,
				  .cap = CONTACT_INLINE };
	struct ike_sa *o;
	size_t i, done = 0;

	if (!conn || !len)
		return 0;
	if (len >= SA_PEER_ID_MAX) {
		ike_sa_log(h, sa, LOG_INFO_, "INITIAL_CONTACT: peer ID too "
			   "long to compare, other SAs kept");
		return 0;
	}
	s.spi = s.inline_spi;
	ike_sa_foreach_peer(h, type, id, len, contact_match, &s);
	/* collected first: in single-node mode a local delete commits (and
	 * frees the SA) before ike_sa_delete_local() returns */
	for (i = 0; i < s.n; i++) {
		o = ike_sa_find(h, s.spi[i]);
		if (!o || o == sa)
			continue;
		ike_sa_log(h, o, LOG_INFO_, "INITIAL_CONTACT in IKE SA %llu: "
			   "the peer forgot this one",
			   (unsigned long long)sa->sa_serial);
		counters_inc(h->counters, CNT_IKE_INITIAL_CONTACT);
		ike_sa_delete_local(h, o, "INITIAL_CONTACT");
		done++;
	}
	if (s.spi != s.inline_spi)
		free(s.spi);
	return done;
}

size_t ike_sa_initial_contact(struct hike *h, struct ike_sa *sa)
{
	return ike_sa_initial_contact_id(h, sa, sa->sa_conn,
					 sa->sa_peer_id_type, sa->sa_peer_id,
					 sa->sa_peer_id_len);
}
