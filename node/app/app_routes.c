/*
 * Routes into the TUN device.  They are installed once per connection
 * (its remote traffic selectors, or its address pools for remote-access
 * connections), not per SA: with thousands of SAs there is no route churn,
 * and the datapath's SPD decides which SA a packet takes (a packet no SA
 * covers is dropped and counted as drop.esp.no_policy).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "app/app.h"
#include "app/app_int.h"
#include "core/hike.h"
#include "core/log.h"
#include "conf/conf.h"
#include "net/nl.h"

typedef unsigned __int128 u128;

static u128 app_load(const uint8_t *a, int family)
{
	size_t n = family == AF_INET6 ? 16 : 4;
	u128 v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | a[i];
	return v;
}

static void app_store(u128 v, int family, uint8_t *a)
{
	size_t n = family == AF_INET6 ? 16 : 4;

	memset(a, 0, 16);
	for (size_t i = n; i-- > 0; v >>= 8)
		a[i] = (uint8_t)v;
}

static int app_route_add(struct hike *h, int family, const uint8_t *dst, uint8_t plen)
{
	struct app *a = h->app;
	struct app_route *r;
	int rc;

	for (size_t i = 0; i < a->nroutes; i++)
		if (a->routes[i].family == family && a->routes[i].plen == plen &&
		    memcmp(a->routes[i].dst, dst, 16) == 0)
			return 0;
	if (a->nroutes >= APP_MAX_ROUTES)
		return -ENOSPC;
	rc = nl_route_add(a->nl, family, dst, plen, a->tun, 0, NULL);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	r = &a->routes[a->nroutes++];
	r->family = family;
	memcpy(r->dst, dst, 16);
	r->plen = plen;
	return 0;
}

/* The largest aligned block starting at lo that stays within hi, as
 * log2 of its size. */
static unsigned app_block(u128 lo, u128 hi, unsigned bits)
{
	unsigned size = 0;

	while (size < bits) {
		unsigned next = size + 1;
		u128 mask;

		if (next == 128) {
			if (lo == 0 && hi == ~(u128)0)
				size = next;
			break;
		}
		mask = ((u128)1 << next) - 1;
		if ((lo & mask) || hi - lo < mask)
			break;
		size = next;
	}
	return size;
}

/* Cover [start, end] with the fewest prefixes (largest aligned block
 * first): 203.0.113.200-203.0.113.207 is one /29. */
static int app_route_range(struct hike *h, int family, const uint8_t *s, const uint8_t *e)
{
	unsigned bits = family == AF_INET6 ? 128 : 32;
	u128 lo = app_load(s, family), hi = app_load(e, family);
	uint8_t dst[16];
	int rc;

	if (lo > hi)
		return -EINVAL;
	for (int n = 0; n < 64; n++) {
		unsigned size = app_block(lo, hi, bits);

		app_store(lo, family, dst);
		if ((rc = app_route_add(h, family, dst, (uint8_t)(bits - size))) < 0)
			return rc;
		if (size == bits || hi - lo == ((u128)1 << size) - 1)
			return 0;
		lo += (u128)1 << size;
	}
	return -E2BIG;
}

static int app_routes_conn(struct hike *h, const struct conf_conn *c)
{
	int rc;

	for (size_t i = 0; i < c->npools; i++)
		if ((rc = app_route_range(h, c->pools[i].family, c->pools[i].start,
					  c->pools[i].end)) < 0)
			return rc;
	if (c->npools)
		return 0;
	for (size_t i = 0; i < c->nremote_ts; i++) {
		const struct conf_ts *t = &c->remote_ts[i];
		u128 span = app_load(t->end, t->family) - app_load(t->start, t->family);

		/* never pull the default route into the tunnel */
		if ((t->family == AF_INET && span == 0xffffffffu) ||
		    (t->family == AF_INET6 && span == ~(u128)0)) {
			log_warn(&h->log, "conn %s: remote_ts covers everything; no route added "
				 "(route it into %s yourself if that is meant)", c->name, h->app->tun);
			continue;
		}
		if ((rc = app_route_range(h, t->family, t->start, t->end)) < 0)
			return rc;
	}
	return 0;
}

int app_routes_sync(struct hike *h)
{
	int rc;

	for (size_t i = 0; i < h->conf->nconns; i++) {
		rc = app_routes_conn(h, &h->conf->conns[i]);
		if (rc < 0) {
			log_err(&h->log, "conn %s: routes into %s failed: %s",
				h->conf->conns[i].name, h->app->tun, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void app_routes_flush(struct hike *h)
{
	struct app *a = h->app;

	for (size_t i = 0; i < a->nroutes; i++)
		nl_route_del(a->nl, a->routes[i].family, a->routes[i].dst,
			     a->routes[i].plen, a->tun, 0);
	a->nroutes = 0;
}
