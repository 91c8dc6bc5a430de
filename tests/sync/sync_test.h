/*
 * Shared fixture of the sync tests: 2-3 nodes in one process over the
 * in-memory bus.  Each node has a tiny "SA store" of key=value opaque
 * records standing in for the SA tables: the active commits into its own
 * store from the submit callback (replicate before reply), standbys fill
 * theirs through the apply upcall, and the snapshot iterator walks it.
 */
#ifndef HIKE_TESTS_SYNC_TEST_H
#define HIKE_TESTS_SYNC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sync.h"

#define TS_MAX 512

struct tstore {
	char key[TS_MAX][64];
	char val[TS_MAX][64];
	size_t n;
};

struct tnode {
	uint32_t id;
	struct sync *s;
	struct tstore store;
	int became_active, became_standby, resets;
	int apply_calls;
};

struct tcommit {
	struct tnode *n;
	char key[64], val[64];
	int status;
	int calls;
};

static inline void tstore_put(struct tstore *st, const char *k, const char *v)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->key[i], k)) {
			snprintf(st->val[i], sizeof(st->val[i]), "%.63s", v);
			return;
		}
	assert_true(st->n < TS_MAX);
	snprintf(st->key[st->n], sizeof(st->key[0]), "%.63s", k);
	snprintf(st->val[st->n], sizeof(st->val[0]), "%.63s", v);
	st->n++;
}

static inline const char *tstore_get(const struct tstore *st, const char *k)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->key[i], k))
			return st->val[i];
	return NULL;
}

/* Same keys and values, in any order. */
static inline bool tstore_equal(const struct tstore *a, const struct tstore *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *v = tstore_get(b, a->key[i]);

		if (!v || strcmp(v, a->val[i]))
			return false;
	}
	return true;
}

static int t_apply(void *ctx, const HikeSync__Record *r)
{
	struct tnode *n = ctx;
	char buf[130], *eq;

	n->apply_calls++;
	if (r->kind_case != HIKE_SYNC__RECORD__KIND_OPAQUE ||
	    r->opaque.len >= sizeof(buf))
		return 0;	/* typed records: accepted, not stored */
	memcpy(buf, r->opaque.data, r->opaque.len);
	buf[r->opaque.len] = 0;
	eq = strchr(buf, '=');
	if (!eq)
		return -EINVAL;
	*eq = 0;
	tstore_put(&n->store, buf, eq + 1);
	return 0;
}

static void t_reset(void *ctx)
{
	struct tnode *n = ctx;

	n->resets++;
	n->store.n = 0;
}

struct titer { size_t pos; };

static void *t_snap_open(void *ctx)
{
	(void)ctx;
	return calloc(1, sizeof(struct titer));
}

static size_t t_pack_opaque(const char *k, const char *v, uint8_t *buf, size_t cap)
{
	HikeSync__Record r = HIKE_SYNC__RECORD__INIT;
	char kv[130];
	int len = snprintf(kv, sizeof(kv), "%s=%s", k, v);

	r.kind_case = HIKE_SYNC__RECORD__KIND_OPAQUE;
	r.opaque.data = (uint8_t *)kv;
	r.opaque.len = (size_t)len;
	assert_true(hike_sync__record__get_packed_size(&r) <= cap);
	return hike_sync__record__pack(&r, buf);
}

static ssize_t t_snap_next(void *ctx, void *it, uint8_t *buf, size_t cap)
{
	struct tnode *n = ctx;
	struct titer *i = it;

	if (i->pos >= n->store.n)
		return 0;
	i->pos++;
	return (ssize_t)t_pack_opaque(n->store.key[i->pos - 1],
				      n->store.val[i->pos - 1], buf, cap);
}

static void t_snap_close(void *ctx, void *it)
{
	(void)ctx;
	free(it);
}

static void t_became_active(void *ctx) { ((struct tnode *)ctx)->became_active++; }
static void t_became_standby(void *ctx) { ((struct tnode *)ctx)->became_standby++; }

static inline struct sync_conf t_conf(struct tnode *n, uint32_t prio)
{
	struct sync_conf c = {
		.cluster = "lab", .group = "hike", .priority = prio,
		.batch_max = 0, .chunk_records = 8,
		.ops = {
			.apply = t_apply, .snap_reset = t_reset,
			.snap_open = t_snap_open, .snap_next = t_snap_next,
			.snap_close = t_snap_close,
			.became_active = t_became_active,
			.became_standby = t_became_standby, .ctx = n,
		},
	};
	return c;
}

static inline void t_node_start(struct sync_membus *bus, struct tnode *n,
				uint32_t id, uint32_t prio)
{
	struct sync_transport *t = sync_transport_mem_new(bus, id);
	struct sync_conf c = t_conf(n, prio);

	assert_non_null(t);
	n->id = id;
	n->s = sync_new(NULL, t, &c);
	assert_non_null(n->s);
}

/* Deliver everything; nodes without a kick hook flush from upcalls. */
static inline int t_pump(struct sync_membus *bus, struct tnode **nodes, size_t n)
{
	int total = 0, k;

	do {
		for (size_t i = 0; i < n; i++)
			if (nodes[i] && nodes[i]->s)
				sync_flush(nodes[i]->s);
		k = sync_membus_pump(bus, 100000);
		assert_true(k >= 0);
		total += k;
	} while (k > 0);
	return total;
}

static void t_commit_cb(void *arg, int status)
{
	struct tcommit *c = arg;

	c->calls++;
	c->status = status;
	if (status == 0)	/* replicated: commit locally now */
		tstore_put(&c->n->store, c->key, c->val);
}

/* Submit key=value from node n; the commit lands in n's store on
 * self-delivery.  c must live until then. */
static inline void t_put(struct tnode *n, struct tcommit *c, const char *k,
			 const char *v)
{
	uint8_t buf[128];
	size_t len = t_pack_opaque(k, v, buf, sizeof(buf));

	memset(c, 0, sizeof(*c));
	c->n = n;
	snprintf(c->key, sizeof(c->key), "%s", k);
	snprintf(c->val, sizeof(c->val), "%s", v);
	c->status = 1;
	assert_int_equal(sync_submit(n->s, buf, len, t_commit_cb, c), 0);
}

#endif
