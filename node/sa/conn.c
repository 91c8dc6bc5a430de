/* Which configured connection a peer belongs to. */
#include <netinet/in.h>
#include <string.h>

#include "conf/conf.h"
#include "crypto/cert.h"
#include "sa/exchange.h"

static bool net_match(const struct conf_net *n,
		      const struct sockaddr_storage *ss)
{
	const uint8_t *a;
	size_t alen, full, rem;

	if (n->any)
		return !n->family || n->family == ss->ss_family;
	if (n->family != ss->ss_family)
		return false;
	if (ss->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		alen = 4;
	} else {
		a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		alen = 16;
	}
	full = n->plen / 8;
	rem = n->plen % 8;
	if (full > alen || memcmp(a, n->addr, full))
		return false;
	if (rem && full < alen &&
	    ((a[full] ^ n->addr[full]) & (uint8_t)(0xff << (8 - rem))))
		return false;
	return true;
}

static bool nets_match(const struct conf_net *nets, size_t n,
		       const struct sockaddr_storage *ss)
{
	size_t i;

	if (!n)
		return true;	/* empty = any */
	for (i = 0; i < n; i++)
		if (net_match(&nets[i], ss))
			return true;
	return false;
}

bool conn_remote_addr_ok(const struct conf_conn *c,
			 const struct sockaddr_storage *remote)
{
	return nets_match(c->remote_addrs, c->nremote_addrs, remote);
}

bool conn_local_addr_ok(const struct conf_conn *c,
			const struct sockaddr_storage *local)
{
	return nets_match(c->local_addrs, c->nlocal_addrs, local);
}

static bool alg_in(const struct prop_conf *p, int type, uint16_t id,
		   uint16_t keylen)
{
	uint8_t i;

	for (i = 0; i < p->n[type]; i++)
		if (p->alg[type][i].id == id &&
		    (type != IKE_TRANSFORM_ENCR || !p->alg[type][i].keylen ||
		     p->alg[type][i].keylen == keylen))
			return true;
	return false;
}

/* The suite negotiated at IKE_SA_INIT (over the union of the candidate
 * connections) must also be one this connection accepts. */
bool conn_ike_suite_ok(const struct conf_conn *c, const struct ike_suite *s)
{
	const struct prop_conf *p;
	size_t i;

	for (i = 0; i < c->nike_props; i++) {
		p = &c->ike_props[i];
		if (!alg_in(p, IKE_TRANSFORM_ENCR, s->encr, s->encr_keylen) ||
		    !alg_in(p, IKE_TRANSFORM_PRF, s->prf, 0) ||
		    !alg_in(p, IKE_TRANSFORM_DH, s->dh, 0))
			continue;
		if (s->integ == IKE_INTEG_NONE ? p->n[IKE_TRANSFORM_INTEG] == 0
		    : alg_in(p, IKE_TRANSFORM_INTEG, s->integ, 0))
			return true;
	}
	return false;
}

/* RFC 7296 3.5: our identity; not configured = the address the peer
 * reached us on. */
void conn_local_id(const struct conf_conn *c, const struct ike_sa *sa,
		   struct conf_id *out)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sa->sa_local;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sa->sa_local;

	if (c->local_id.type) {
		*out = c->local_id;
		return;
	}
	memset(out, 0, sizeof(*out));
	if (sa->sa_local.ss_family == AF_INET6) {
		out->type = IKE_ID_IPV6_ADDR;
		out->len = 16;
		memcpy(out->data, &s6->sin6_addr, 16);
	} else {
		out->type = IKE_ID_IPV4_ADDR;
		out->len = 4;
		memcpy(out->data, &s4->sin_addr, 4);
	}
}

/* RFC 7296 3.5: DNs compared as names, not as DER bytes (the peer may
 * encode the same RDN as PrintableString, we as UTF8String). */
static bool id_match(const struct conf_id *want, const struct ike_id_pl *id)
{
	return cert_id_equal(want, id);
}

/* RFC 7296 2.15: the connection is chosen by IDi (and IDr when the
 * initiator names who it wants) and the addresses. */
const struct conf_conn *conn_find_auth(struct hike *h,
				       const struct ike_sa *sa,
				       const struct ike_id_pl *idi,
				       const struct ike_id_pl *idr)
{
	const struct conf_conn *c;
	struct conf_id ours;
	size_t i;

	for (i = 0; i < h->conf->nconns; i++) {
		c = &h->conf->conns[i];
		conn_local_id(c, sa, &ours);
		if (!conn_remote_addr_ok(c, &sa->sa_remote) ||
		    !conn_local_addr_ok(c, &sa->sa_local) ||
		    !id_match(&c->remote_id, idi) ||
		    (idr && !id_match(&ours, idr)) ||
		    !conn_ike_suite_ok(c, &sa->sa_suite))
			continue;
		return c;
	}
	return NULL;
}
