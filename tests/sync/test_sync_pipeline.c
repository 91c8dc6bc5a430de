/*
 * The replicator pipeline over the in-memory bus: replicate before reply
 * (callbacks only after self-delivery), batching, flow control, snapshots
 * to joiners (with a member lost, or a second joiner, mid-snapshot), and
 * validation of everything received.
 */
#include <errno.h>

#include "sync_test.h"

struct pair {
	struct sync_membus *bus;
	struct tnode n[3];
	struct tnode *p[3];
	size_t count;
};

static struct tnode *p_add(struct pair *c, uint32_t id, uint32_t prio)
{
	struct tnode *n = &c->n[c->count];

	t_node_start(c->bus, n, id, prio);
	c->p[c->count++] = n;
	return n;
}

/* Node 1 active (priority 50), node 2 in-sync standby. */
static void p_init(struct pair *c)
{
	memset(c, 0, sizeof(*c));
	c->bus = sync_membus_new();
	p_add(c, 1, 50);
	p_add(c, 2, 10);
	t_pump(c->bus, c->p, c->count);
	assert_true(sync_is_active(c->n[0].s));
	assert_true(sync_in_sync(c->n[1].s));
}

static void p_free(struct pair *c)
{
	for (size_t i = 0; i < c->count; i++)
		sync_free(c->n[i].s);
	sync_membus_free(c->bus);
}

/* cb runs only when our own envelope came back: not at submit, not at
 * flush (multicast), only at delivery -- and the standby has it then. */
static void test_callback_after_self_delivery(void **state)
{
	struct pair c;
	struct tcommit k;

	(void)state;
	p_init(&c);
	t_put(&c.n[0], &k, "spi", "1234");
	assert_int_equal(k.calls, 0);
	sync_flush(c.n[0].s);
	assert_int_equal(k.calls, 0);
	assert_int_equal(sync_pending(c.n[0].s), 1);
	assert_int_equal(sync_membus_step(c.bus), 1);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.status, 0);
	assert_string_equal(tstore_get(&c.n[1].store, "spi"), "1234");
	assert_int_equal(sync_pending(c.n[0].s), 0);
	p_free(&c);
}

/* Ten records pending when the loop turns ride in one envelope; with
 * batch_max 4 the pipeline does not wait for the turn. */
static void test_batching(void **state)
{
	struct pair c;
	struct tcommit k[10];
	uint64_t before;
	char key[16];

	(void)state;
	p_init(&c);
	before = sync_membus_mcasts(c.bus);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		t_put(&c.n[0], &k[i], key, "v");
	}
	t_pump(c.bus, c.p, c.count);
	assert_int_equal(sync_membus_mcasts(c.bus) - before, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(k[i].calls, 1);
	assert_int_equal(c.n[1].store.n, 10);
	assert_int_equal(sync_get_stats(c.n[0].s)->tx_batches, 1);
	p_free(&c);
}

static void test_batch_max(void **state)
{
	struct sync_membus *bus = sync_membus_new();
	struct tnode a = { 0 };
	struct tnode *p[1] = { &a };
	struct sync_conf conf = t_conf(&a, 1);
	struct tcommit k[10];
	char key[16];
	uint64_t before;

	(void)state;
	conf.batch_max = 4;
	a.id = 1;
	a.s = sync_new(NULL, sync_transport_mem_new(bus, 1), &conf);
	assert_non_null(a.s);
	t_pump(bus, p, 1);
	before = sync_membus_mcasts(bus);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		t_put(&a, &k[i], key, "v");
	}
	/* two full batches left without a loop turn */
	assert_int_equal(sync_membus_mcasts(bus) - before, 2);
	t_pump(bus, p, 1);
	assert_int_equal(sync_membus_mcasts(bus) - before, 3);
	assert_int_equal(k[9].calls, 1);
	sync_free(a.s);
	sync_membus_free(bus);
}

/* CS_ERR_TRY_AGAIN: nothing is lost or reordered, nothing stalls; the
 * ready upcall retries, and callbacks fire once. */
static void test_eagain_retry(void **state)
{
	struct pair c;
	struct tcommit k[3];

	(void)state;
	p_init(&c);
	sync_membus_set_eagain(c.bus, 1, 3);
	t_put(&c.n[0], &k[0], "a", "1");
	sync_flush(c.n[0].s);
	t_put(&c.n[0], &k[1], "b", "1");
	sync_flush(c.n[0].s);
	assert_int_equal(k[0].calls + k[1].calls, 0);
	assert_true(sync_get_stats(c.n[0].s)->tx_eagain >= 2);
	t_put(&c.n[0], &k[2], "a", "2");
	t_pump(c.bus, c.p, c.count);
	for (int i = 0; i < 3; i++)
		assert_int_equal(k[i].calls, 1);
	assert_string_equal(tstore_get(&c.n[1].store, "a"), "2");
	assert_true(tstore_equal(&c.n[0].store, &c.n[1].store));
	p_free(&c);
}

/* Cancelled on free: every pending callback runs once with -ECANCELED. */
static void test_cancel_on_free(void **state)
{
	struct pair c;
	struct tcommit k;

	(void)state;
	p_init(&c);
	t_put(&c.n[0], &k, "a", "1");
	sync_free(c.n[0].s);
	c.n[0].s = NULL;
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.status, -ECANCELED);
	p_free(&c);
}

static void fill(struct tnode *n, int count)
{
	char k[16], v[16];

	for (int i = 0; i < count; i++) {
		snprintf(k, sizeof(k), "sa%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		tstore_put(&n->store, k, v);
	}
}

/* A joiner gets 200 records in chunks of 8, with updates interleaved,
 * and ends in sync with exactly the active's data. */
static void test_snapshot_to_joiner(void **state)
{
	struct pair c;
	struct tnode *j;
	struct tcommit k[2];
	int steps = 0;

	(void)state;
	p_init(&c);
	fill(&c.n[0], 200);
	j = p_add(&c, 3, 5);
	while (!sync_in_sync(j->s) && steps++ < 40) {
		sync_flush(c.n[0].s);
		sync_membus_step(c.bus);
		if (steps == 10)
			t_put(&c.n[0], &k[0], "sa3", "changed");
		if (steps == 20)
			t_put(&c.n[0], &k[1], "new", "x");
	}
	t_pump(c.bus, c.p, c.count);
	assert_true(sync_in_sync(j->s));
	assert_int_equal(j->resets, 1);
	assert_true(tstore_equal(&c.n[0].store, &j->store));
	assert_string_equal(tstore_get(&j->store, "sa3"), "changed");
	assert_int_equal(sync_get_stats(j->s)->snapshots_done, 1);
	/* "new" may ride in the snapshot or in a batch: both are right */
	assert_true(sync_get_stats(j->s)->snapshot_records_rx >= 200);
	p_free(&c);
}

/* The active dies mid-snapshot: the in-sync standby takes over and
 * restarts the snapshot with a newer generation. */
static void test_active_lost_mid_snapshot(void **state)
{
	struct pair c;
	struct tnode *j;
	uint64_t gen;

	(void)state;
	p_init(&c);
	fill(&c.n[0], 100);
	t_pump(c.bus, c.p, c.count);
	/* the standby got nothing of this: fill is local; give it the same */
	fill(&c.n[1], 100);
	j = p_add(&c, 3, 5);
	for (int i = 0; i < 12; i++) {
		sync_flush(c.n[0].s);
		sync_membus_step(c.bus);
	}
	assert_false(sync_in_sync(j->s));
	assert_true(sync_get_stats(j->s)->snapshot_records_rx > 0);
	gen = sync_generation(j->s);
	assert_int_equal(sync_membus_crash(c.bus, 1), 0);
	c.p[0] = NULL;
	t_pump(c.bus, c.p, c.count);
	assert_true(sync_is_active(c.n[1].s));
	assert_true(sync_in_sync(j->s));
	assert_true(sync_generation(j->s) > gen);
	assert_int_equal(j->resets, 2);
	assert_true(tstore_equal(&c.n[1].store, &j->store));
	p_free(&c);
}

/* A second joiner arrives mid-snapshot: one restart serves both. */
static void test_second_joiner_mid_snapshot(void **state)
{
	struct pair c;
	struct tnode *j1, *j2;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.bus = sync_membus_new();
	p_add(&c, 1, 50);
	t_pump(c.bus, c.p, c.count);
	fill(&c.n[0], 100);
	j1 = p_add(&c, 2, 10);
	for (int i = 0; i < 8; i++) {
		sync_flush(c.n[0].s);
		sync_membus_step(c.bus);
	}
	assert_false(sync_in_sync(j1->s));
	j2 = p_add(&c, 3, 10);
	t_pump(c.bus, c.p, c.count);
	assert_true(sync_in_sync(j1->s));
	assert_true(sync_in_sync(j2->s));
	assert_true(tstore_equal(&c.n[0].store, &j1->store));
	assert_true(tstore_equal(&c.n[0].store, &j2->store));
	p_free(&c);
}

static size_t pack_env(HikeSync__Envelope *e, uint8_t *buf)
{
	return hike_sync__envelope__pack(e, buf);
}

/* A valid-looking batch envelope from node `from` with seq. */
static void make_batch(HikeSync__Envelope *e, HikeSync__Batch *b,
		       ProtobufCBinaryData *rec, uint8_t *recbuf,
		       uint32_t from, uint64_t seq)
{
	hike_sync__envelope__init(e);
	hike_sync__batch__init(b);
	rec->data = recbuf;
	rec->len = t_pack_opaque("inj", "1", recbuf, 128);
	b->n_records = 1;
	b->records = rec;
	e->has_version = e->has_sender = e->has_seq = e->has_generation = true;
	e->version = SYNC_VERSION;
	e->cluster = (char *)"lab";
	e->sender = from;
	e->seq = seq;
	e->generation = 1;
	e->body_case = HIKE_SYNC__ENVELOPE__BODY_BATCH;
	e->batch = b;
}

static uint64_t dropped(struct tnode *n, enum sync_drop d)
{
	return sync_get_stats(n->s)->dropped[d];
}

/* Garbage, wrong cluster, wrong version, spoofed sender, absurd size,
 * duplicates, bad records: dropped, counted, never applied. */
static void test_malformed_dropped(void **state)
{
	struct pair c;
	struct tnode *b;
	HikeSync__Envelope e;
	HikeSync__Batch bt;
	ProtobufCBinaryData rec;
	uint8_t recbuf[128], buf[512], junk[64];
	static uint8_t huge[SYNC_MAX_MSG + 1];
	size_t len;

	(void)state;
	p_init(&c);
	b = &c.n[1];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	sync_membus_inject(c.bus, 2, 1, junk, sizeof(junk));
	sync_membus_inject(c.bus, 2, 1, huge, sizeof(huge));
	make_batch(&e, &bt, &rec, recbuf, 1, 1);	/* seq 1: old */
	len = pack_env(&e, buf);
	sync_membus_inject(c.bus, 2, 1, buf, len);
	e.seq = 1000;
	e.cluster = (char *)"other";
	len = pack_env(&e, buf);
	sync_membus_inject(c.bus, 2, 1, buf, len);
	e.cluster = (char *)"lab";
	e.version = 2;
	len = pack_env(&e, buf);
	sync_membus_inject(c.bus, 2, 1, buf, len);
	e.version = SYNC_VERSION;
	len = pack_env(&e, buf);
	sync_membus_inject(c.bus, 2, 3, buf, len);	/* claims 1, CPG says 3 */
	rec.data = junk;
	rec.len = sizeof(junk);
	len = pack_env(&e, buf);
	sync_membus_inject(c.bus, 2, 1, buf, len);	/* a bad record */
	t_pump(c.bus, c.p, c.count);

	assert_true(dropped(b, SYNC_DROP_MALFORMED) >= 1);
	assert_int_equal(dropped(b, SYNC_DROP_TOO_BIG), 1);
	assert_int_equal(dropped(b, SYNC_DROP_DUPLICATE), 1);
	assert_int_equal(dropped(b, SYNC_DROP_CLUSTER), 1);
	assert_int_equal(dropped(b, SYNC_DROP_VERSION), 1);
	assert_int_equal(dropped(b, SYNC_DROP_SENDER), 1);
	assert_int_equal(dropped(b, SYNC_DROP_BAD_RECORD), 1);
	assert_null(tstore_get(&b->store, "inj"));
	assert_true(sync_in_sync(b->s));
	p_free(&c);
}

/* Typed records: what a standby may trust. */
static void test_record_validation(void **state)
{
	HikeSync__Record r = HIKE_SYNC__RECORD__INIT;
	HikeSync__IkeSaAdd add = HIKE_SYNC__IKE_SA_ADD__INIT;
	HikeSync__IkeSaState sa = HIKE_SYNC__IKE_SA_STATE__INIT;
	HikeSync__IkeKeys keys = HIKE_SYNC__IKE_KEYS__INIT;
	HikeSync__Endpoint local = HIKE_SYNC__ENDPOINT__INIT, peer = local;
	HikeSync__EspCounters ctr = HIKE_SYNC__ESP_COUNTERS__INIT;
	HikeSync__EspCounter c1 = HIKE_SYNC__ESP_COUNTER__INIT, *cs[1] = { &c1 };
	uint8_t k32[32] = { 1 }, k65[65] = { 0 }, a4[4] = { 192, 0, 2, 10 };
	uint8_t a3[3] = { 0 };

	(void)state;
	r.kind_case = HIKE_SYNC__RECORD__KIND_IKE_SA_ADD;
	r.ike_sa_add = &add;
	assert_int_equal(sync_record_validate(&r), -EINVAL);	/* no SA */
	add.sa = &sa;
	sa.has_ike_id = sa.has_spi_i = sa.has_spi_r = true;
	sa.ike_id = 1;
	sa.spi_i = 0x1122334455667788ULL;
	sa.keys = &keys;
	keys.has_sk_d = keys.has_sk_ei = keys.has_sk_er = true;
	keys.sk_d = keys.sk_ei = keys.sk_er = (ProtobufCBinaryData){ 32, k32 };
	local.has_addr = local.has_port = true;
	local.addr = (ProtobufCBinaryData){ 4, a4 };
	local.port = 500;
	peer = local;
	sa.local = &local;
	sa.peer = &peer;
	assert_int_equal(sync_record_validate(&r), 0);
	keys.sk_ei = (ProtobufCBinaryData){ 65, k65 };	/* absurd key */
	assert_int_equal(sync_record_validate(&r), -EINVAL);
	keys.sk_ei = (ProtobufCBinaryData){ 32, k32 };
	peer.addr = (ProtobufCBinaryData){ 3, a3 };	/* not v4/v6 */
	assert_int_equal(sync_record_validate(&r), -EINVAL);
	peer.addr = (ProtobufCBinaryData){ 4, a4 };
	peer.port = 70000;
	assert_int_equal(sync_record_validate(&r), -EINVAL);

	r.kind_case = HIKE_SYNC__RECORD__KIND_ESP_COUNTERS;
	r.esp_counters = &ctr;
	ctr.n_counters = 1;
	ctr.counters = cs;
	assert_int_equal(sync_record_validate(&r), -EINVAL);	/* no SPI */
	c1.has_spi_in = true;
	c1.spi_in = 0xc0ffee;
	assert_int_equal(sync_record_validate(&r), 0);
	r.kind_case = HIKE_SYNC__RECORD__KIND__NOT_SET;
	assert_int_equal(sync_record_validate(&r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callback_after_self_delivery),
		cmocka_unit_test(test_batching),
		cmocka_unit_test(test_batch_max),
		cmocka_unit_test(test_eagain_retry),
		cmocka_unit_test(test_cancel_on_free),
		cmocka_unit_test(test_snapshot_to_joiner),
		cmocka_unit_test(test_active_lost_mid_snapshot),
		cmocka_unit_test(test_second_joiner_mid_snapshot),
		cmocka_unit_test(test_malformed_dropped),
		cmocka_unit_test(test_record_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
