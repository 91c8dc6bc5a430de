/* Traffic selector narrowing (RFC 7296 2.9). */
#include <netinet/in.h>
#include <string.h>

#include "conf/conf.h"
#include "sa/ts.h"

static size_t ts_alen(uint8_t type)
{
	return type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;
}

static bool ts_intersect(const struct ike_ts *a, const struct ike_ts *b,
			 struct ike_ts *out)
{
	size_t n = ts_alen(a->type);

	if (a->type != b->type)
		return false;
	if (a->ipproto && b->ipproto && a->ipproto != b->ipproto)
		return false;
	memset(out, 0, sizeof(*out));
	out->type = a->type;
	out->ipproto = a->ipproto ? a->ipproto : b->ipproto;
	out->sport = a->sport > b->sport ? a->sport : b->sport;
	out->eport = a->eport < b->eport ? a->eport : b->eport;
	if (out->sport > out->eport)
		return false;
	/* big-endian addresses compare like numbers */
	memcpy(out->start, memcmp(a->start, b->start, n) > 0 ? a->start
	       : b->start, n);
	memcpy(out->end, memcmp(a->end, b->end, n) < 0 ? a->end : b->end, n);
	return memcmp(out->start, out->end, n) <= 0;
}

size_t ts_narrow(const struct ike_ts *peer, size_t npeer,
		 const struct ike_ts *ours, size_t nours,
		 struct ike_ts *out, size_t max)
{
	size_t i, j, k, n = 0;
	struct ike_ts t;

	for (j = 0; j < nours; j++)
		for (i = 0; i < npeer && n < max; i++) {
			if (!ts_intersect(&peer[i], &ours[j], &t))
				continue;
			for (k = 0; k < n; k++)
				if (!memcmp(&out[k], &t, sizeof(t)))
					break;
			if (k == n)
				out[n++] = t;
		}
	return n;
}

void ts_from_conf(const struct conf_ts *c, struct ike_ts *out)
{
	memset(out, 0, sizeof(*out));
	out->type = c->family == AF_INET6 ? IKE_TS_IPV6_ADDR_RANGE
					  : IKE_TS_IPV4_ADDR_RANGE;
	out->ipproto = c->ipproto;
	out->sport = c->port_lo;
	out->eport = c->port_hi;
	memcpy(out->start, c->start, ts_alen(out->type));
	memcpy(out->end, c->end, ts_alen(out->type));
}

void ts_from_addr(int family, const uint8_t *addr, struct ike_ts *out)
{
	memset(out, 0, sizeof(*out));
	out->type = family == AF_INET6 ? IKE_TS_IPV6_ADDR_RANGE
				       : IKE_TS_IPV4_ADDR_RANGE;
	out->eport = 0xffff;
	memcpy(out->start, addr, ts_alen(out->type));
	memcpy(out->end, addr, ts_alen(out->type));
}
