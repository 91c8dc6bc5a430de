/*
 * Graceful switchover (docs/cluster.md "Switchover, step by step") with
 * whole nodes over the in-memory CPG bus and a fake datapath that keeps
 * each installed Child SA's counters and send limit:
 *
 *  - exact: the old active stops at final = sent + HEADROOM, the named
 *    successor starts right after it and may send at once (its limit is
 *    the reservation the final record gave every member); a third node
 *    holds no final value, and when it takes over after the successor it
 *    jumps past everything the successor may have sent;
 *  - abort: the old active resumes; its new reservations void the
 *    successor's final values before its limit rises, so a later
 *    failover jumps;
 *  - the cluster's answer to a SwitchoverRequest reaches every member
 *    (sync_ops.switchover), and what the old active submitted after its
 *    request fails instead of counting as replicated.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../exchange/harness.h"
#include "membus_node.h"
#include "esp_counters.h"
#include "sa/sa_sync.h"
#include "sync.h"
#include "takeover.h"

#define W 100	/* counter_packets */

static const char yaml[] =
	"sync:\n"
	"  mode: corosync\n"
	"  counter_packets: 100\n"
	"  vips:\n"
	"    - { address: 192.0.2.10/24, dev: eth0 }\n"
	"connections:\n"
	"  - name: site\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:alice.example.org\n"
	"    auth: psk\n"
	"    psk: 'a shared secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519]\n"
	"    esp_proposals: [aes256gcm16]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n";

struct fdp {			/* one installed Child SA */
	bool present;
	uint32_t spi;
	uint64_t out, in, limit;
};

struct node {
	uint32_t id;
	struct world *w;
	struct sa_sync *ss;
	struct fdp dp;
	int installs;
	uint32_t so_from, so_to;	/* last sync_ops.switchover */
	int so_calls;
};

struct cluster {
	struct sync_membus *bus;
	struct node n[3];
	size_t count;
};

static int f_install(void *ctx, const struct child_sa *c)
{
	struct node *n = ctx;

	n->installs++;
	n->dp = (struct fdp){ .present = true, .spi = c->csa_spi_in,
			      .out = c->csa_seq_out, .in = c->csa_seq_in,
			      .limit = c->csa_seq_limit };
	return 0;
}

static int f_remove(void *ctx, const struct child_sa *c)
{
	struct node *n = ctx;

	if (n->dp.spi == c->csa_spi_in)
		n->dp.present = false;
	return 0;
}

static const struct child_sa_ops fake_dp = { .install = f_install, .remove = f_remove };

static int f_read(void *ctx, uint32_t spi, uint64_t *out, uint64_t *in)
{
	struct node *n = ctx;

	if (!n->dp.present || n->dp.spi != spi)
		return -ENOENT;
	*out = n->dp.out;
	*in = n->dp.in;
	return 0;
}

static void f_limit(void *ctx, uint32_t spi, uint64_t limit)
{
	struct node *n = ctx;

	if (n->dp.present && n->dp.spi == spi)	/* like esp_sa_set_limit */
		n->dp.limit = limit < n->dp.out ? n->dp.out : limit;
}

/* The datapath sends: never past its limit. */
static void f_send(struct node *n, uint64_t upto)
{
	assert_true(n->dp.present);
	n->dp.out = upto < n->dp.limit ? upto : n->dp.limit;
}

static struct cluster *the_cluster;

static void f_switchover(void *ctx, uint32_t from, uint32_t to)
{
	for (size_t i = 0; i < the_cluster->count; i++) {
		struct node *n = &the_cluster->n[i];

		if (n->ss == ctx) {
			n->so_from = from;
			n->so_to = to;
			n->so_calls++;
		}
	}
}

static struct node *c_add(struct cluster *c, uint32_t id, uint32_t prio)
{
	struct node *n = &c->n[c->count++];
	const struct esp_counters_hooks hooks = { f_read, f_limit, n, NULL };
	const struct mb_spec sp = { yaml, &fake_dp, n,
		{ mb_vip_noop, mb_vip_noop, mb_announce_noop, n }, &hooks,
		{ .cluster = "lab", .group = "hike", .priority = prio },
		f_switchover };

	n->id = id;
	assert_non_null(mb_node_start(&n->w, &n->ss, c->bus, id, &sp));
	return n;
}

static void c_pump(struct cluster *c)
{
	int k;

	do {
		for (size_t i = 0; i < c->count; i++)
			if (c->n[i].w && c->n[i].w->h.sync)
				sync_flush(c->n[i].w->h.sync);
		k = sync_membus_pump(c->bus, 100000);
		assert_true(k >= 0);
	} while (k > 0);
}

static void c_init(struct cluster *c)
{
	memset(c, 0, sizeof(*c));
	c->bus = sync_membus_new();
	assert_non_null(c->bus);
	the_cluster = c;
}

static void c_free(struct cluster *c)
{
	for (size_t i = 0; i < c->count; i++)
		mb_node_stop(c->n[i].w, c->n[i].ss);
	sync_membus_free(c->bus);
	the_cluster = NULL;
}

/* IKE_SA_INIT + IKE_AUTH through the active a: one IKE SA, one Child SA
 * (installed on a when its records came back). */
static void establish(struct cluster *c, struct node *a, struct ini *x)
{
	struct world *w = a->w;
	struct ini_conf ic;

	w_ini_conf(w, &ic, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "a shared secret", "alice.example.org");
	assert_int_equal(ini_init(x, &ic), 0);
	assert_int_equal(ini_sa_init(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(ini_sa_init_resp(x, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(ini_auth(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	c_pump(c);
	assert_int_equal(ini_auth_resp(x, w->out[0].buf, w->out[0].len), 0);
	assert_true(a->dp.present);
}

static void done_cb(void *arg, int status)
{
	*(int *)arg = status == 0 ? 1 : status;
}

static struct esp_counters *ec(struct node *n)
{
	return sa_sync_counters(n->ss);
}

/* Three nodes; a sends 260 with a confirmed limit of 450 (note 250). */
static void setup3(struct cluster *c, struct ini *x)
{
	struct node *a;

	c_init(c);
	a = c_add(c, 1, 300);
	c_add(c, 2, 200);
	c_add(c, 3, 100);
	c_pump(c);
	assert_true(sync_is_active(a->w->h.sync));
	establish(c, a, x);
	f_send(a, 250);
	assert_int_equal(esp_counters_note(ec(a), a->dp.spi, 250, 17), 0);
	c_pump(c);
	assert_int_equal(a->dp.limit, 250 + 2 * W);
	f_send(a, 260);
}

static void test_handover_exact(void **state)
{
	struct cluster c;
	struct node *a, *b, *d;
	struct ini x;
	int done = 0;
	uint64_t fin, s;

	(void)state;
	setup3(&c, &x);
	a = &c.n[0], b = &c.n[1], d = &c.n[2];

	/* step 1: final value 260 + HEADROOM, a's datapath capped there */
	assert_int_equal(esp_counters_handover_begin(ec(a), 2, done_cb, &done), 1);
	fin = 260 + ESP_COUNTERS_HANDOVER_HEADROOM;
	s = fin + 2 * W;
	assert_int_equal(a->dp.limit, fin);
	assert_true(esp_counters_frozen(ec(a)));
	/* frozen: a report does not reserve more, nothing raises the limit */
	assert_int_equal(esp_counters_note(ec(a), a->dp.spi, 270, 20), 0);
	f_send(a, 1000);
	assert_int_equal(a->dp.out, fin);
	c_pump(&c);
	assert_int_equal(done, 1);
	assert_int_equal(a->dp.limit, fin);
	/* every member holds the reservation s, only b the final value */
	assert_int_equal(child_sa_find(&b->w->h, a->dp.spi)->csa_seq_resv, s);
	assert_int_equal(child_sa_find(&d->w->h, a->dp.spi)->csa_seq_resv, s);
	assert_int_equal(esp_counters_stats(ec(b))->finals_held, 1);
	assert_int_equal(esp_counters_stats(ec(d))->finals_held, 0);

	/* steps 2-3: hand over to b */
	assert_int_equal(sync_switchover(a->w->h.sync, 2), 0);
	c_pump(&c);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(c.n[i].so_from, 1);
		assert_int_equal(c.n[i].so_to, 2);
	}
	assert_true(sync_is_active(b->w->h.sync));
	assert_false(sync_is_active(a->w->h.sync));
	assert_false(a->dp.present);
	/* b resumes right after a's final value and may send at once */
	assert_int_equal(b->installs, 1);
	assert_int_equal(b->dp.out, fin);
	assert_int_equal(b->dp.limit, s);
	assert_int_equal(esp_counters_stats(ec(b))->takeovers_exact, 1);
	f_send(b, fin + 50);
	assert_int_equal(b->dp.out, fin + 50);

	/* b dies before reporting anything: d (or a) must jump past s */
	sync_membus_crash(c.bus, 2);
	c_pump(&c);
	assert_true(sync_is_active(a->w->h.sync));
	assert_true(a->dp.present);
	assert_true(a->dp.out >= s);
	assert_int_equal(esp_counters_stats(ec(a))->takeovers_exact, 0);
	ini_free(&x);
	c_free(&c);
}

static void test_handover_abort(void **state)
{
	struct cluster c;
	struct node *a, *b;
	struct ini x;
	int done = 0;
	uint64_t fin, s;

	(void)state;
	setup3(&c, &x);
	a = &c.n[0], b = &c.n[1];
	assert_int_equal(esp_counters_handover_begin(ec(a), 2, done_cb, &done), 1);
	c_pump(&c);
	fin = 260 + ESP_COUNTERS_HANDOVER_HEADROOM;
	s = fin + 2 * W;
	assert_int_equal(esp_counters_stats(ec(b))->finals_held, 1);

	/* the switchover does not happen: a resumes; its limit rises only
	 * once every member has the new (non-final) reservation */
	assert_int_equal(esp_counters_handover_abort(ec(a)), 0);
	assert_false(esp_counters_frozen(ec(a)));
	assert_int_equal(a->dp.limit, fin);
	c_pump(&c);
	assert_int_equal(a->dp.limit, s);
	f_send(a, fin + 30);

	/* a dies: b jumps (its final value is void), past all a sent */
	sync_membus_crash(c.bus, 1);
	c_pump(&c);
	assert_true(sync_is_active(b->w->h.sync));
	assert_true(b->dp.out >= s);
	assert_int_equal(esp_counters_stats(ec(b))->takeovers_exact, 0);
	ini_free(&x);
	c_free(&c);
}

static void test_switchover_answer(void **state)
{
	struct cluster c;
	struct node *a, *b;
	struct ini x;
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	uint8_t junk[4] = { 1, 2, 3, 4 };
	int st = 0;

	(void)state;
	setup3(&c, &x);
	a = &c.n[0], b = &c.n[1];
	/* no such member: refused everywhere, a stays active */
	assert_int_equal(sync_switchover(a->w->h.sync, 7), 0);
	c_pump(&c);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(c.n[i].so_calls, 1);
		assert_int_equal(c.n[i].so_from, 1);
		assert_int_equal(c.n[i].so_to, 0);
	}
	assert_true(sync_is_active(a->w->h.sync));

	/* a record submitted after the request is delivered after it: by
	 * then b is active and drops it, so it must not count as replicated
	 * on a either */
	assert_int_equal(sync_switchover(a->w->h.sync, 2), 0);
	rec.kind_case = HIKE_SYNC__RECORD__KIND_OPAQUE;
	rec.opaque.data = junk;
	rec.opaque.len = sizeof(junk);
	assert_int_equal(sync_submit_record(a->w->h.sync, &rec, done_cb, &st), 0);
	c_pump(&c);
	assert_true(sync_is_active(b->w->h.sync));
	assert_int_equal(st, -ECANCELED);
	ini_free(&x);
	c_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handover_exact),
		cmocka_unit_test(test_handover_abort),
		cmocka_unit_test(test_switchover_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
