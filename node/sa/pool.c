/* Virtual IP pools: a bitmap per configured pool, created on first use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "sa/pool.h"
#include "sa/table.h"

#define POOL_MAX_SIZE	(1u << 20)	/* addresses tracked per pool */

/* Keyed by the range itself (a copy), so a configuration reload that
 * keeps a pool keeps its leases. */
struct sa_pool {
	struct conf_pool range;
	const struct conf_pool *cp;	/* == &range */
	uint8_t *bits;
	uint32_t size, used, next;
	struct sa_pool *pnext;
};

/* Low 32 bits of the address as a number (IPv4: all of it). */
static uint32_t addr_low32(const uint8_t *a, int family)
{
	size_t o = family == AF_INET ? 0 : 12;

	return (uint32_t)a[o] << 24 | (uint32_t)a[o + 1] << 16 |
	       (uint32_t)a[o + 2] << 8 | a[o + 3];
}

static void addr_set_low32(uint8_t *a, int family, uint32_t v)
{
	size_t o = family == AF_INET ? 0 : 12;

	a[o] = (uint8_t)(v >> 24);
	a[o + 1] = (uint8_t)(v >> 16);
	a[o + 2] = (uint8_t)(v >> 8);
	a[o + 3] = (uint8_t)v;
}

static struct sa_pool *pool_get(struct hike *h, const struct conf_pool *cp)
{
	struct ike_sa_table *t = h->ike_sas;
	struct sa_pool *p;
	uint32_t lo, hi;

	for (p = t->pools; p; p = p->pnext)
		if (p->range.family == cp->family &&
		    !memcmp(p->range.start, cp->start, 16) &&
		    !memcmp(p->range.end, cp->end, 16))
			return p;
	lo = addr_low32(cp->start, cp->family);
	hi = addr_low32(cp->end, cp->family);
	if (hi < lo)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->range = *cp;
	p->cp = &p->range;
	p->size = hi - lo >= POOL_MAX_SIZE ? POOL_MAX_SIZE : hi - lo + 1;
	p->bits = calloc((p->size + 7) / 8, 1);
	if (!p->bits) {
		free(p);
		return NULL;
	}
	p->pnext = t->pools;
	t->pools = p;
	return p;
}

static int pool_index(const struct sa_pool *p, const uint8_t addr[16],
		      uint32_t *idx)
{
	uint32_t lo = addr_low32(p->cp->start, p->cp->family);
	uint32_t v = addr_low32(addr, p->cp->family);

	if (p->cp->family == AF_INET6 && memcmp(addr, p->cp->start, 12))
		return -EINVAL;
	if (v < lo || v - lo >= p->size)
		return -EINVAL;
	*idx = v - lo;
	return 0;
}

int sa_pool_lease(struct hike *h, const struct conf_conn *conn, int family,
		  int *pool_idx, uint8_t addr[16])
{
	struct sa_pool *p = NULL;
	uint32_t i, k;
	size_t n;

	for (n = 0; n < conn->npools; n++)
		if (conn->pools[n].family == family)
			break;
	if (n == conn->npools)
		return -ENOENT;
	p = pool_get(h, &conn->pools[n]);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < p->size; i++) {
		k = (p->next + i) % p->size;
		if (p->bits[k / 8] & (1u << (k % 8)))
			continue;
		p->bits[k / 8] |= (uint8_t)(1u << (k % 8));
		p->used++;
		p->next = (k + 1) % p->size;
		memset(addr, 0, 16);
		memcpy(addr, p->cp->start, family == AF_INET ? 4 : 16);
		addr_set_low32(addr, family,
			       addr_low32(p->cp->start, family) + k);
		*pool_idx = (int)n;
		return 0;
	}
	return -ENOSPC;
}

int sa_pool_mark(struct hike *h, const struct conf_conn *conn, int pool_idx,
		 const uint8_t addr[16])
{
	struct sa_pool *p;
	uint32_t k;

	if (pool_idx < 0 || (size_t)pool_idx >= conn->npools)
		return -EINVAL;
	p = pool_get(h, &conn->pools[pool_idx]);
	if (!p)
		return -ENOMEM;
	if (pool_index(p, addr, &k) < 0)
		return -EINVAL;
	if (!(p->bits[k / 8] & (1u << (k % 8))))
		p->used++;
	p->bits[k / 8] |= (uint8_t)(1u << (k % 8));
	return 0;
}

void sa_pool_release(struct hike *h, const struct conf_conn *conn,
		     int pool_idx, const uint8_t addr[16])
{
	struct sa_pool *p;
	uint32_t k;

	if (!conn || pool_idx < 0 || (size_t)pool_idx >= conn->npools)
		return;
	p = pool_get(h, &conn->pools[pool_idx]);
	if (!p || pool_index(p, addr, &k) < 0)
		return;
	if (p->bits[k / 8] & (1u << (k % 8)))
		p->used--;
	p->bits[k / 8] &= (uint8_t)~(1u << (k % 8));
}

void sa_pools_free(struct ike_sa_table *t)
{
	struct sa_pool *p, *next;

	for (p = t->pools; p; p = next) {
		next = p->pnext;
		free(p->bits);
		free(p);
	}
	t->pools = NULL;
}
