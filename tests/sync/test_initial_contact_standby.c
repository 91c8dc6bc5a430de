/*
 * INITIAL_CONTACT (RFC 7296 2.4) across a takeover: the SAs a standby
 * installed from sync records are in its peer-ID index, so when it has
 * taken over, a peer that restarted and says INITIAL_CONTACT to it makes
 * it forget the SAs the old active had made.
 *
 *   alice x1, x2 -- IKE_AUTH --> node 1 (active) -- records --> node 2
 *   kill node 1; node 2 takes over
 *   alice x3 -- IKE_AUTH { N(INITIAL_CONTACT) } --> node 2: x1, x2 go
 *
 * In a cluster the IKE_AUTH's SA has no connection or ID until its
 * update comes back, so INITIAL_CONTACT uses the staged ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../exchange/harness.h"
#include "membus_node.h"
#include "sa/table.h"
#include "sync.h"

static const char yaml[] =
	"sync:\n"
	"  mode: corosync\n"
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

static const char alice[] = "alice.example.org";

struct node {
	struct world *w;
	struct sa_sync *ss;
};

static void start(struct sync_membus *bus, struct node *n, uint32_t id,
		  uint32_t prio)
{
	const struct mb_spec sp = { yaml, NULL, n,
		{ mb_vip_noop, mb_vip_noop, mb_announce_noop, n }, NULL,
		{ .cluster = "lab", .group = "hike", .priority = prio,
		  .chunk_records = 4 }, NULL };

	assert_non_null(mb_node_start(&n->w, &n->ss, bus, id, &sp));
}

static void pump(struct sync_membus *bus, struct node *n, size_t count)
{
	int k;

	do {
		for (size_t i = 0; i < count; i++)
			if (n[i].w && n[i].w->h.sync)
				sync_flush(n[i].w->h.sync);
		k = sync_membus_pump(bus, 100000);
		assert_true(k >= 0);
	} while (k > 0);
}

/* IKE_SA_INIT, then IKE_AUTH, whose answer waits for replication. */
static void establish(struct sync_membus *bus, struct node *all, size_t count,
		      struct node *n, struct ini *x, uint64_t spi, bool ic)
{
	struct world *w = n->w;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "a shared secret", alice);
	c.spi = spi;
	c.seed = (uint8_t)spi;
	c.initial_contact = ic;
	assert_int_equal(ini_init(x, &c), 0);
	/* IKE_SA_INIT { SAi1, KEi, Ni } -->  <-- { SAr1, KEr, Nr } */
	assert_int_equal(ini_sa_init(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(x, w->out[0].buf, w->out[0].len), 0);
	/* IKE_AUTH { IDi, AUTH, SAi2, TSi, TSr [, N(INITIAL_CONTACT)] } --> */
	assert_int_equal(ini_auth(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	pump(bus, all, count);
	/* <-- { IDr, AUTH, SAr2, TSi, TSr } */
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_auth_resp(x, w->out[0].buf, w->out[0].len), 0);
}

static int count_one(struct ike_sa *sa, void *arg)
{
	(void)sa;
	++*(size_t *)arg;
	return 0;
}

static size_t indexed(struct node *n)
{
	size_t k = 0;

	ike_sa_foreach_peer(&n->w->h, IKE_ID_FQDN, (const uint8_t *)alice,
			    strlen(alice), count_one, &k);
	return k;
}

static void test_ic_after_takeover(void **state)
{
	struct sync_membus *bus = sync_membus_new();
	struct node n[2] = { { 0 } }, *a = &n[0], *b = &n[1];
	struct ini x1, x2, x3;

	(void)state;
	assert_non_null(bus);
	start(bus, a, 1, 100);
	start(bus, b, 2, 50);
	pump(bus, n, 2);
	assert_true(sync_is_active(a->w->h.sync));
	assert_true(sync_in_sync(b->w->h.sync));
	establish(bus, n, 2, a, &x1, 0x100, false);
	establish(bus, n, 2, a, &x2, 0x200, false);
	/* the standby installed both from records, under alice's ID */
	assert_int_equal(ike_sa_count(&b->w->h), 2);
	assert_int_equal(indexed(b), 2);

	/* kill -9 the active: the standby takes over */
	sync_membus_crash(bus, 1);
	pump(bus, n, 2);
	assert_true(sync_is_active(b->w->h.sync));

	/* alice restarted: IKE_AUTH { ..., N(INITIAL_CONTACT) } --> node 2 */
	establish(bus, n, 2, b, &x3, 0x300, true);
	pump(bus, n, 2);
	assert_int_equal(w_count(b->w, CNT_IKE_INITIAL_CONTACT), 2);
	assert_null(ike_sa_find(&b->w->h, x1.rspi));
	assert_null(ike_sa_find(&b->w->h, x2.rspi));
	assert_non_null(ike_sa_find(&b->w->h, x3.rspi));
	assert_int_equal(indexed(b), 1);
	assert_int_equal(child_sa_count(&b->w->h), 1);
	ini_free(&x1);
	ini_free(&x2);
	ini_free(&x3);
	mb_node_stop(a->w, a->ss);
	mb_node_stop(b->w, b->ss);
	sync_membus_free(bus);
}

/* Before any takeover: INITIAL_CONTACT on the active forgets alice's
 * old SAs there and, through the replicated deletes, on the standby. */
static void test_ic_on_active_replicated(void **state)
{
	struct sync_membus *bus = sync_membus_new();
	struct node n[2] = { { 0 } }, *a = &n[0], *b = &n[1];
	struct ini x1, x2, x3;

	(void)state;
	assert_non_null(bus);
	start(bus, a, 1, 100);
	start(bus, b, 2, 50);
	pump(bus, n, 2);
	assert_true(sync_is_active(a->w->h.sync));
	establish(bus, n, 2, a, &x1, 0x100, false);
	establish(bus, n, 2, a, &x2, 0x200, false);
	assert_int_equal(indexed(b), 2);
	/* IKE_AUTH { ..., N(INITIAL_CONTACT) } --> node 1 */
	establish(bus, n, 2, a, &x3, 0x300, true);
	pump(bus, n, 2);
	assert_int_equal(w_count(a->w, CNT_IKE_INITIAL_CONTACT), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_null(ike_sa_find(&n[i].w->h, x1.rspi));
		assert_null(ike_sa_find(&n[i].w->h, x2.rspi));
		assert_non_null(ike_sa_find(&n[i].w->h, x3.rspi));
		assert_int_equal(ike_sa_count(&n[i].w->h), 1);
		assert_int_equal(indexed(&n[i]), 1);
	}
	ini_free(&x1);
	ini_free(&x2);
	ini_free(&x3);
	mb_node_stop(a->w, a->ss);
	mb_node_stop(b->w, b->ss);
	sync_membus_free(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ic_on_active_replicated),
		cmocka_unit_test(test_ic_after_takeover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
