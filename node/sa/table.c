/* SA tables: chained hashes keyed by SPI (and, for INITIAL_CONTACT, by
 * peer ID), doubled when the load passes one, so lookups stay O(1) at
 * any number of SAs. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sa/cert_auth.h"
#include "sa/pool.h"
#include "sa/sa.h"
#include "sa/table.h"

#define TABLE_MIN_BUCKETS 64

static const char *const drop_names[IKE_DROP_N] = {
	[IKE_DROP_DECODE] = "decode",
	[IKE_DROP_NO_SA] = "no_sa",
	[IKE_DROP_MSGID] = "msgid",
	[IKE_DROP_BUSY] = "busy",
	[IKE_DROP_ICV] = "icv",
	[IKE_DROP_RULES] = "rules",
	[IKE_DROP_HALF_OPEN_MAX] = "half_open_max",
	[IKE_DROP_COOKIE] = "cookie",
	[IKE_DROP_FRAG] = "fragment",
	[IKE_DROP_RESPONSE] = "unexpected_response",
	[IKE_DROP_NOMEM] = "nomem",
};

const char *ike_drop_name(enum ike_drop d)
{
	return (unsigned)d < IKE_DROP_N ? drop_names[d] : "?";
}

/* A 64-bit mixer (splitmix64 finaliser). */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t addr_hash(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	uint64_t h = 0, w;
	size_t i;

	if (ss->ss_family == AF_INET)
		return (uint64_t)s4->sin_addr.s_addr << 16 ^ s4->sin_port;
	if (ss->ss_family != AF_INET6)
		return 0;
	for (i = 0; i < 16; i += 8) {
		memcpy(&w, s6->sin6_addr.s6_addr + i, 8);
		h = mix64(h ^ w);
	}
	return h ^ s6->sin6_port;
}

/* Same address and port. */
static bool addr_eq(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr &&
		       a4->sin_port == b4->sin_port;
	if (a->ss_family == AF_INET6)
		return !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) &&
		       a6->sin6_port == b6->sin6_port;
	return false;
}

int sa_tables_init(struct hike *h)
{
	struct ike_sa_table *t = calloc(1, sizeof(*t));
	struct child_sa_table *c = calloc(1, sizeof(*c));

	if (!t || !c)
		goto fail;
	t->spi_nb = t->half_nb = t->peer_nb = c->nb = TABLE_MIN_BUCKETS;
	t->spi_b = calloc(t->spi_nb, sizeof(*t->spi_b));
	t->half_b = calloc(t->half_nb, sizeof(*t->half_b));
	t->peer_b = calloc(t->peer_nb, sizeof(*t->peer_b));
	c->b = calloc(c->nb, sizeof(*c->b));
	if (!t->spi_b || !t->half_b || !t->peer_b || !c->b)
		goto fail;
	if (RAND_bytes((uint8_t *)&t->hash_key, sizeof(t->hash_key)) != 1)
		goto fail;
	h->ike_sas = t;
	h->child_sas = c;
	return 0;
fail:
	if (t) {
		free(t->spi_b);
		free(t->half_b);
		free(t->peer_b);
	}
	if (c)
		free(c->b);
	free(t);
	free(c);
	return -ENOMEM;
}

void sa_tables_free(struct hike *h)
{
	struct ike_sa_table *t = h->ike_sas;
	struct ike_sa *sa, *next;
	size_t i;

	if (!t)
		return;
	/* staged SAs sit in the half index only: free those from there */
	for (i = 0; i < t->half_nb; i++)
		for (sa = t->half_b[i]; sa; sa = next) {
			next = sa->sa_hnext_half;
			if (!sa->sa_in_spi)
				ike_sa_free(h, sa);
		}
	for (i = 0; i < t->spi_nb; i++)
		for (sa = t->spi_b[i]; sa; sa = next) {
			next = sa->sa_hnext;
			ike_sa_free(h, sa);
		}
	sa_pools_free(t);
	sa_creds_free(t);
	sa_conf_retired_free(t);
	OPENSSL_cleanse(&t->cookie, sizeof(t->cookie));
	free(t->spi_b);
	free(t->half_b);
	free(t->peer_b);
	free(t);
	free(h->child_sas->b);
	free(h->child_sas);
	h->ike_sas = NULL;
	h->child_sas = NULL;
}

uint64_t sa_table_next_serial(struct hike *h)
{
	return ++h->ike_sas->serial;
}

uint64_t child_sa_next_serial(struct hike *h)
{
	return ++h->child_sas->serial;
}

void sa_set_child_ops(struct hike *h, const struct child_sa_ops *ops,
		      void *ctx)
{
	h->ike_sas->ops = ops;
	h->ike_sas->ops_ctx = ctx;
}

struct ike_sa_stats *sa_stats(struct hike *h) { return &h->ike_sas->stats; }
size_t ike_sa_count(const struct hike *h) { return h->ike_sas->count; }
size_t ike_sa_half_open_count(const struct hike *h) { return h->ike_sas->nhalf; }
size_t child_sa_count(const struct hike *h) { return h->child_sas->count; }

static size_t spi_bucket(const struct ike_sa_table *t, uint64_t spi)
{
	return mix64(spi ^ t->hash_key) & (t->spi_nb - 1);
}

static uint64_t half_hash(const struct ike_sa_table *t, uint64_t spi,
			  const struct sockaddr_storage *peer)
{
	return mix64(spi ^ t->hash_key ^ mix64(addr_hash(peer)));
}

static size_t half_bucket(const struct ike_sa_table *t, uint64_t spi,
			  const struct sockaddr_storage *peer)
{
	return half_hash(t, spi, peer) & (t->half_nb - 1);
}

/* Keyed: peer IDs are chosen by peers (authenticated ones, though). */
static uint64_t peer_hash(const struct ike_sa_table *t, uint8_t type,
			  const uint8_t *id, size_t len)
{
	uint64_t h = mix64(t->hash_key ^ ((uint64_t)type << 16 | len)), w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, id + i, 8);
		h = mix64(h ^ w);
	}
	if (i < len) {
		w = 0;
		memcpy(&w, id + i, len - i);
		h = mix64(h ^ w);
	}
	return h;
}

static size_t child_bucket(const struct child_sa_table *t, uint32_t spi)
{
	return mix64(spi) & (t->nb - 1);
}

struct ike_sa *ike_sa_find(struct hike *h, uint64_t our_spi)
{
	struct ike_sa_table *t = h->ike_sas;
	struct ike_sa *sa;

	for (sa = t->spi_b[spi_bucket(t, our_spi)]; sa; sa = sa->sa_hnext)
		if (ike_sa_our_spi(sa) == our_spi)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_find_half(struct hike *h, uint64_t peer_spi,
				const struct sockaddr_storage *peer)
{
	struct ike_sa_table *t = h->ike_sas;
	struct ike_sa *sa;

	for (sa = t->half_b[half_bucket(t, peer_spi, peer)]; sa;
	     sa = sa->sa_hnext_half)
		if (sa->sa_ispi == peer_spi && addr_eq(&sa->sa_remote, peer))
			return sa;
	return NULL;
}

struct child_sa *child_sa_find(struct hike *h, uint32_t spi_in)
{
	struct child_sa_table *t = h->child_sas;
	struct child_sa *c;

	for (c = t->b[child_bucket(t, spi_in)]; c; c = c->csa_hnext)
		if (c->csa_spi_in == spi_in)
			return c;
	return NULL;
}

int ike_sa_foreach(struct hike *h, int (*cb)(struct ike_sa *, void *),
		   void *arg)
{
	struct ike_sa_table *t = h->ike_sas;
	struct ike_sa *sa, *next;
	size_t i;
	int rc;

	for (i = 0; i < t->spi_nb; i++)
		for (sa = t->spi_b[i]; sa; sa = next) {
			next = sa->sa_hnext;
			rc = cb(sa, arg);
			if (rc)
				return rc;
		}
	return 0;
}

int ike_sa_foreach_peer(struct hike *h, uint8_t type, const uint8_t *id,
			size_t len, int (*cb)(struct ike_sa *, void *),
			void *arg)
{
	struct ike_sa_table *t = h->ike_sas;
	uint64_t hash = peer_hash(t, type, id, len);
	struct ike_sa *sa, *next;
	int rc;

	for (sa = t->peer_b[hash & (t->peer_nb - 1)]; sa; sa = next) {
		next = sa->sa_hnext_peer;
		if (sa->sa_peer_hash != hash || sa->sa_peer_id_type != type ||
		    sa->sa_peer_id_len != len ||
		    memcmp(sa->sa_peer_id, id, len))
			continue;
		rc = cb(sa, arg);
		if (rc)
			return rc;
	}
	return 0;
}

struct serial_find {
	uint64_t serial;
	struct ike_sa *sa;
};

static int serial_match(struct ike_sa *sa, void *arg)
{
	struct serial_find *f = arg;

	if (sa->sa_serial != f->serial)
		return 0;
	f->sa = sa;
	return 1;
}

struct ike_sa *ike_sa_find_serial(struct hike *h, uint64_t serial)
{
	struct serial_find f = { serial, NULL };

	ike_sa_foreach(h, serial_match, &f);
	return f.sa;
}

/* Double a table when its load passes one (rehash in place). */
static int ike_spi_grow(struct ike_sa_table *t)
{
	size_t nb = t->spi_nb * 2, i, old_nb = t->spi_nb;
	struct ike_sa **b = calloc(nb, sizeof(*b)), **old = t->spi_b;
	struct ike_sa *sa, *next;

	if (!b)
		return -ENOMEM;
	t->spi_b = b;
	t->spi_nb = nb;
	for (i = 0; i < old_nb; i++)
		for (sa = old[i]; sa; sa = next) {
			size_t k = spi_bucket(t, ike_sa_our_spi(sa));

			next = sa->sa_hnext;
			sa->sa_hnext = b[k];
			b[k] = sa;
		}
	free(old);
	return 0;
}

static int ike_half_grow(struct ike_sa_table *t)
{
	size_t nb = t->half_nb * 2, i, old_nb = t->half_nb;
	struct ike_sa **b = calloc(nb, sizeof(*b)), **old = t->half_b;
	struct ike_sa *sa, *next;

	if (!b)
		return -ENOMEM;
	t->half_b = b;
	t->half_nb = nb;
	for (i = 0; i < old_nb; i++)
		for (sa = old[i]; sa; sa = next) {
			size_t k = sa->sa_half_hash & (nb - 1);

			next = sa->sa_hnext_half;
			sa->sa_hnext_half = b[k];
			b[k] = sa;
		}
	free(old);
	return 0;
}

static int ike_peer_grow(struct ike_sa_table *t)
{
	size_t nb = t->peer_nb * 2, i, old_nb = t->peer_nb;
	struct ike_sa **b = calloc(nb, sizeof(*b)), **old = t->peer_b;
	struct ike_sa *sa, *next;

	if (!b)
		return -ENOMEM;
	t->peer_b = b;
	t->peer_nb = nb;
	for (i = 0; i < old_nb; i++)
		for (sa = old[i]; sa; sa = next) {
			size_t k = sa->sa_peer_hash & (nb - 1);

			next = sa->sa_hnext_peer;
			sa->sa_hnext_peer = b[k];
			b[k] = sa;
		}
	free(old);
	return 0;
}

static int child_grow(struct child_sa_table *t)
{
	size_t nb = t->nb * 2, i, old_nb = t->nb;
	struct child_sa **b = calloc(nb, sizeof(*b)), **old = t->b;
	struct child_sa *c, *next;

	if (!b)
		return -ENOMEM;
	t->b = b;
	t->nb = nb;
	for (i = 0; i < old_nb; i++)
		for (c = old[i]; c; c = next) {
			size_t k = child_bucket(t, c->csa_spi_in);

			next = c->csa_hnext;
			c->csa_hnext = b[k];
			b[k] = c;
		}
	free(old);
	return 0;
}

int ike_sa_insert_half(struct hike *h, struct ike_sa *sa)
{
	struct ike_sa_table *t = h->ike_sas;
	size_t k;

	if (sa->sa_in_half)
		return 0;
	if (t->nhalf >= t->half_nb && ike_half_grow(t) < 0)
		return -ENOMEM;
	sa->sa_half_hash = half_hash(t, sa->sa_ispi, &sa->sa_remote);
	k = sa->sa_half_hash & (t->half_nb - 1);
	sa->sa_hnext_half = t->half_b[k];
	t->half_b[k] = sa;
	sa->sa_in_half = true;
	t->nhalf++;
	return 0;
}

static void ike_sa_remove_half(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp;

	if (!sa->sa_in_half)
		return;
	/* by the hash it went in with: the IKE_AUTH that ends HALF_OPEN
	 * moves sa_remote to port 4500 first (sa_commit.c), and a lookup
	 * by the new address would leave a freed SA on the chain */
	pp = &t->half_b[sa->sa_half_hash & (t->half_nb - 1)];
	for (; *pp; pp = &(*pp)->sa_hnext_half)
		if (*pp == sa) {
			*pp = sa->sa_hnext_half;
			break;
		}
	sa->sa_in_half = false;
	t->nhalf--;
}

/* Never fails: without memory to grow, the chains get longer. */
static void ike_peer_insert(struct ike_sa_table *t, struct ike_sa *sa)
{
	size_t k;

	if (sa->sa_in_peer || !sa->sa_peer_id_len)
		return;
	if (t->npeer >= t->peer_nb)
		(void)ike_peer_grow(t);
	sa->sa_peer_hash = peer_hash(t, sa->sa_peer_id_type, sa->sa_peer_id,
				     sa->sa_peer_id_len);
	k = sa->sa_peer_hash & (t->peer_nb - 1);
	sa->sa_hnext_peer = t->peer_b[k];
	t->peer_b[k] = sa;
	sa->sa_in_peer = true;
	t->npeer++;
}

/* By the hash it went in with, whatever its ID is now. */
static void ike_peer_remove(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp;

	if (!sa->sa_in_peer)
		return;
	pp = &t->peer_b[sa->sa_peer_hash & (t->peer_nb - 1)];
	for (; *pp; pp = &(*pp)->sa_hnext_peer)
		if (*pp == sa) {
			*pp = sa->sa_hnext_peer;
			break;
		}
	sa->sa_hnext_peer = NULL;
	sa->sa_in_peer = false;
	t->npeer--;
}

void ike_sa_peer_id_changed(struct hike *h, struct ike_sa *sa)
{
	struct ike_sa_table *t = h->ike_sas;

	if (!sa->sa_in_spi)
		return;		/* filed when it is inserted */
	ike_peer_remove(t, sa);
	ike_peer_insert(t, sa);
}

/* Into the SPI index; a half-open SA stays in the half index too (so a
 * retransmitted IKE_SA_INIT finds it) until it leaves HALF_OPEN. */
int ike_sa_insert(struct hike *h, struct ike_sa *sa)
{
	struct ike_sa_table *t = h->ike_sas;
	size_t k;

	if (sa->sa_in_spi)
		return 0;
	if (t->count >= t->spi_nb && ike_spi_grow(t) < 0)
		return -ENOMEM;
	k = spi_bucket(t, ike_sa_our_spi(sa));
	sa->sa_hnext = t->spi_b[k];
	t->spi_b[k] = sa;
	sa->sa_in_spi = true;
	t->count++;
	ike_peer_insert(t, sa);
	if (sa->sa_state != IKE_SA_HALF_OPEN && sa->sa_state != IKE_SA_NEW)
		ike_sa_remove_half(t, sa);
	return 0;
}

/* Out of every index (the children are the caller's business). */
void ike_sa_remove(struct hike *h, struct ike_sa *sa)
{
	struct ike_sa_table *t = h->ike_sas;
	struct ike_sa **pp;

	ike_sa_remove_half(t, sa);
	ike_peer_remove(t, sa);
	if (!sa->sa_in_spi)
		return;
	for (pp = &t->spi_b[spi_bucket(t, ike_sa_our_spi(sa))]; *pp;
	     pp = &(*pp)->sa_hnext)
		if (*pp == sa) {
			*pp = sa->sa_hnext;
			break;
		}
	sa->sa_in_spi = false;
	t->count--;
}

/* Called after a state change: leaving HALF_OPEN leaves the half index. */
void ike_sa_table_state_changed(struct hike *h, struct ike_sa *sa)
{
	if (sa->sa_in_spi && sa->sa_state != IKE_SA_HALF_OPEN &&
	    sa->sa_state != IKE_SA_NEW)
		ike_sa_remove_half(h->ike_sas, sa);
}

int child_sa_insert(struct hike *h, struct child_sa *c)
{
	struct child_sa_table *t = h->child_sas;
	size_t k;

	if (t->count >= t->nb && child_grow(t) < 0)
		return -ENOMEM;
	k = child_bucket(t, c->csa_spi_in);
	c->csa_hnext = t->b[k];
	t->b[k] = c;
	t->count++;
	return 0;
}

void child_sa_remove(struct hike *h, struct child_sa *c)
{
	struct child_sa_table *t = h->child_sas;
	struct child_sa **pp;

	for (pp = &t->b[child_bucket(t, c->csa_spi_in)]; *pp;
	     pp = &(*pp)->csa_hnext)
		if (*pp == c) {
			*pp = c->csa_hnext;
			t->count--;
			return;
		}
}

int ike_sa_new_spi(struct hike *h, uint64_t *spi)
{
	int rc, tries;

	for (tries = 0; tries < 16; tries++) {
		rc = sa_random(h, spi, sizeof(*spi));
		if (rc < 0)
			return rc;
		if (*spi && !ike_sa_find(h, *spi))
			return 0;
	}
	return -EAGAIN;
}

/* RFC 4303 2.1: SPIs 1..255 are reserved by IANA. */
int child_sa_new_spi(struct hike *h, uint32_t *spi)
{
	int rc, tries;

	for (tries = 0; tries < 16; tries++) {
		rc = sa_random(h, spi, sizeof(*spi));
		if (rc < 0)
			return rc;
		if (*spi > 255 && !child_sa_find(h, *spi))
			return 0;
	}
	return -EAGAIN;
}
