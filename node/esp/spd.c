/*
 * SA lookup; see spd.h.
 *
 * Why this shape: a responder's policies come in two kinds.  Remote
 * access peers get one Child SA each whose remote TS is a single
 * virtual IP, and there can be thousands of them: those go into a hash
 * table keyed by the remote host address, so lookup cost stays flat in
 * the number of SAs.  Site-to-site tunnels have ranges (subnets) on the
 * remote side, but there are few of them: they live in one array kept
 * sorted most-specific-first, and the first match wins.  A host match
 * is always at least as specific on the remote side as any range, so
 * ranges are scanned only when no host policy matched.  An LPM trie
 * would only pay off with thousands of *ranged* policies, and IKEv2 TS
 * ranges are not even prefixes in general.
 *
 * The inbound side is a hash table on our SPI, chained through the SAs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "esp/spd.h"

struct esp_spd_link {
	struct esp_sa *sa;
	const struct esp_ts *lts, *rts;
	uint64_t order;		/* newer SAs win ties */
	uint32_t score;		/* specificity, higher first */
	bool host;		/* in the host hash, else in ranges */
	struct esp_spd_link *next;
};

struct esp_spd {
	struct esp_sa **spi;
	size_t spi_mask, nsa;
	struct esp_spd_link **host;
	size_t host_mask, nhost;
	struct esp_spd_link **ranges;
	size_t nranges, cranges;
	uint64_t order;
};

#define SPD_MIN_BUCKETS 64

static size_t spd_alen(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static size_t spd_spi_hash(uint32_t spi, size_t mask)
{
	return (size_t)((spi * UINT32_C(0x9e3779b1)) >> 7) & mask;
}

/* FNV-1a over the address */
static size_t spd_addr_hash(uint8_t family, const uint8_t *a, size_t mask)
{
	uint32_t h = 2166136261u ^ family;

	for (size_t i = 0; i < spd_alen(family); i++)
		h = (h ^ a[i]) * 16777619u;
	return h & mask;
}

/* Leading bits shared by start and end: a prefix length for ranges
 * that are prefixes, a fair measure of size for those that are not. */
static uint32_t spd_common_bits(const struct esp_ts *ts)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < spd_alen(ts->ts_family); i++) {
		uint8_t x = ts->ts_start[i] ^ ts->ts_end[i];

		if (x == 0) {
			bits += 8;
			continue;
		}
		while (!(x & 0x80)) {
			bits++;
			x = (uint8_t)(x << 1);
		}
		break;
	}
	return bits;
}

static uint32_t spd_score(const struct esp_ts *lts, const struct esp_ts *rts)
{
	uint32_t s = spd_common_bits(rts) << 10 | spd_common_bits(lts) << 2;

	if (lts->ts_proto || rts->ts_proto)
		s |= 2;
	if (lts->ts_port_lo || lts->ts_port_hi != 0xffff ||
	    rts->ts_port_lo || rts->ts_port_hi != 0xffff)
		s |= 1;
	return s;
}

static bool spd_is_host(const struct esp_ts *ts)
{
	return memcmp(ts->ts_start, ts->ts_end, spd_alen(ts->ts_family)) == 0;
}

static bool spd_better(const struct esp_spd_link *a, const struct esp_spd_link *b)
{
	if (!b)
		return true;
	if (a->score != b->score)
		return a->score > b->score;
	return a->order > b->order;
}

int esp_spd_new(struct esp_spd **out)
{
	struct esp_spd *spd = calloc(1, sizeof(*spd));

	*out = NULL;
	if (!spd)
		return -ENOMEM;
	spd->spi = calloc(SPD_MIN_BUCKETS, sizeof(*spd->spi));
	spd->host = calloc(SPD_MIN_BUCKETS, sizeof(*spd->host));
	if (!spd->spi || !spd->host) {
		esp_spd_free(spd);
		return -ENOMEM;
	}
	spd->spi_mask = spd->host_mask = SPD_MIN_BUCKETS - 1;
	*out = spd;
	return 0;
}

void esp_spd_free(struct esp_spd *spd)
{
	if (!spd)
		return;
	free(spd->spi);
	free(spd->host);
	free(spd->ranges);
	free(spd);
}

/* Double the SPI table when it holds more SAs than buckets. */
static void spd_spi_grow(struct esp_spd *spd)
{
	size_t n = (spd->spi_mask + 1) * 2;
	struct esp_sa **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i <= spd->spi_mask; i++) {
		struct esp_sa *sa = spd->spi[i], *next;

		for (; sa; sa = next) {
			size_t h = spd_spi_hash(sa->sa_spi_in, n - 1);

			next = sa->sa_spi_next;
			sa->sa_spi_next = nb[h];
			nb[h] = sa;
		}
	}
	free(spd->spi);
	spd->spi = nb;
	spd->spi_mask = n - 1;
}

static void spd_host_grow(struct esp_spd *spd)
{
	size_t n = (spd->host_mask + 1) * 2;
	struct esp_spd_link **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;
	for (size_t i = 0; i <= spd->host_mask; i++) {
		struct esp_spd_link *l = spd->host[i], *next;

		for (; l; l = next) {
			size_t h = spd_addr_hash(l->rts->ts_family,
						 l->rts->ts_start, n - 1);

			next = l->next;
			l->next = nb[h];
			nb[h] = l;
		}
	}
	free(spd->host);
	spd->host = nb;
	spd->host_mask = n - 1;
}

static void spd_host_insert(struct esp_spd *spd, struct esp_spd_link *l)
{
	size_t h = spd_addr_hash(l->rts->ts_family, l->rts->ts_start,
				 spd->host_mask);

	l->next = spd->host[h];
	spd->host[h] = l;
	if (++spd->nhost > spd->host_mask + 1)
		spd_host_grow(spd);
}

/* Keep ranges sorted: better links first. */
static int spd_range_insert(struct esp_spd *spd, struct esp_spd_link *l)
{
	size_t i;

	if (spd->nranges == spd->cranges) {
		size_t n = spd->cranges ? spd->cranges * 2 : 16;
		void *p = realloc(spd->ranges, n * sizeof(*spd->ranges));

		if (!p)
			return -ENOMEM;
		spd->ranges = p;
		spd->cranges = n;
	}
	for (i = 0; i < spd->nranges && !spd_better(l, spd->ranges[i]); i++)
		;
	memmove(&spd->ranges[i + 1], &spd->ranges[i],
		(spd->nranges - i) * sizeof(*spd->ranges));
	spd->ranges[i] = l;
	spd->nranges++;
	return 0;
}

static void spd_unlink(struct esp_spd *spd, struct esp_spd_link *l)
{
	if (l->host) {
		size_t h = spd_addr_hash(l->rts->ts_family, l->rts->ts_start,
					 spd->host_mask);
		struct esp_spd_link **pp = &spd->host[h];

		while (*pp && *pp != l)
			pp = &(*pp)->next;
		if (*pp) {
			*pp = l->next;
			spd->nhost--;
		}
		return;
	}
	for (size_t i = 0; i < spd->nranges; i++) {
		if (spd->ranges[i] == l) {
			memmove(&spd->ranges[i], &spd->ranges[i + 1],
				(spd->nranges - i - 1) * sizeof(*spd->ranges));
			spd->nranges--;
			return;
		}
	}
}

static int spd_add_links(struct esp_spd *spd, struct esp_sa *sa)
{
	size_t n = sa->sa_nlocal_ts * sa->sa_nremote_ts, k = 0;
	struct esp_spd_link *links = calloc(n ? n : 1, sizeof(*links));

	if (!links)
		return -ENOMEM;
	spd->order++;
	for (size_t r = 0; r < sa->sa_nremote_ts; r++) {
		for (size_t i = 0; i < sa->sa_nlocal_ts; i++, k++) {
			struct esp_spd_link *l = &links[k];

			l->sa = sa;
			l->lts = &sa->sa_local_ts[i];
			l->rts = &sa->sa_remote_ts[r];
			l->order = spd->order;
			l->score = spd_score(l->lts, l->rts);
			l->host = spd_is_host(l->rts);
			if (l->host) {
				spd_host_insert(spd, l);
			} else if (spd_range_insert(spd, l)) {
				sa->sa_spd = links;
				sa->sa_nspd = k;
				return -ENOMEM;
			}
		}
	}
	sa->sa_spd = links;
	sa->sa_nspd = n;
	return 0;
}

static void spd_del_links(struct esp_spd *spd, struct esp_sa *sa)
{
	for (size_t i = 0; i < sa->sa_nspd; i++)
		spd_unlink(spd, &sa->sa_spd[i]);
	free(sa->sa_spd);
	sa->sa_spd = NULL;
	sa->sa_nspd = 0;
}

int esp_spd_add(struct esp_spd *spd, struct esp_sa *sa)
{
	size_t h;
	int rc;

	if (esp_spd_by_spi(spd, sa->sa_spi_in))
		return -EEXIST;
	rc = spd_add_links(spd, sa);
	if (rc) {
		spd_del_links(spd, sa);
		return rc;
	}
	h = spd_spi_hash(sa->sa_spi_in, spd->spi_mask);
	sa->sa_spi_next = spd->spi[h];
	spd->spi[h] = sa;
	if (++spd->nsa > spd->spi_mask + 1)
		spd_spi_grow(spd);
	return 0;
}

void esp_spd_del(struct esp_spd *spd, struct esp_sa *sa)
{
	size_t h = spd_spi_hash(sa->sa_spi_in, spd->spi_mask);
	struct esp_sa **pp = &spd->spi[h];

	while (*pp && *pp != sa)
		pp = &(*pp)->sa_spi_next;
	if (!*pp)
		return;
	*pp = sa->sa_spi_next;
	sa->sa_spi_next = NULL;
	spd->nsa--;
	spd_del_links(spd, sa);
}

struct esp_sa *esp_spd_by_spi(const struct esp_spd *spd, uint32_t spi)
{
	struct esp_sa *sa = spd->spi[spd_spi_hash(spi, spd->spi_mask)];

	while (sa && sa->sa_spi_in != spi)
		sa = sa->sa_spi_next;
	return sa;
}

static bool spd_link_match(const struct esp_spd_link *l,
			   const struct esp_flow *fl)
{
	return !l->sa->sa_expired && esp_ts_match(l->rts, fl, false) &&
	       esp_ts_match(l->lts, fl, true);
}

struct esp_sa *esp_spd_out(const struct esp_spd *spd,
			   const struct esp_flow *fl)
{
	size_t h = spd_addr_hash(fl->fl_family, fl->fl_dst, spd->host_mask);
	const struct esp_spd_link *best = NULL;

	for (const struct esp_spd_link *l = spd->host[h]; l; l = l->next) {
		if (spd_link_match(l, fl) && spd_better(l, best))
			best = l;
	}
	if (best)
		return best->sa;
	for (size_t i = 0; i < spd->nranges; i++) {
		if (spd_link_match(spd->ranges[i], fl))
			return spd->ranges[i]->sa;
	}
	return NULL;
}

size_t esp_spd_count(const struct esp_spd *spd)
{
	return spd->nsa;
}

void esp_spd_foreach(const struct esp_spd *spd,
		     void (*cb)(void *arg, struct esp_sa *sa), void *arg)
{
	for (size_t i = 0; i <= spd->spi_mask; i++) {
		for (struct esp_sa *sa = spd->spi[i]; sa; sa = sa->sa_spi_next)
			cb(arg, sa);
	}
}
