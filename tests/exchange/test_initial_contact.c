/*
 * INITIAL_CONTACT (RFC 7296 2.4) at scale: which other IKE SAs it
 * forgets (same connection, same authenticated peer ID, nothing else),
 * that freed and deleted SAs are not found again, and what one lookup
 * costs with 10,000 SAs (printed, never asserted).
 *
 * Most SAs here are made directly in the tables (as a commit leaves
 * them) rather than by handshakes, so that thousands are cheap; one test
 * goes through IKE_SA_INIT / IKE_AUTH end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "sa/exchange.h"
#include "sa/repl.h"
#include "sa/requests.h"
#include "sa/table.h"

static const char yaml[] =
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
	"    remote_ts: [203.0.113.128/25]\n"
	"  - name: other\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:bob.example.org\n"
	"    auth: psk\n"
	"    psk: 'bob secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519]\n"
	"    esp_proposals: [aes256gcm16]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n";

static int setup(void **state)
{
	*state = world_new(yaml);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	world_free(*state);
	return 0;
}

/* An established IKE SA of connection conn authenticated as (type, id),
 * as the IKE_AUTH commit leaves it; our SPI is spi. */
static struct ike_sa *mk_sa(struct world *w, uint64_t spi, unsigned conn,
			    uint8_t type, const void *id, size_t len)
{
	struct ike_sa *sa = ike_sa_new(&w->h);

	assert_non_null(sa);
	sa->sa_ispi = spi ^ 0xa5a5a5a5a5a5a5a5ULL;
	sa->sa_rspi = spi;
	sa->sa_local = w->resp;
	sa->sa_remote = w->ini;
	sa->sa_state = IKE_SA_ESTABLISHED;
	sa->sa_conn = &w->h.conf->conns[conn];
	sa->sa_peer_id_type = type;
	sa->sa_peer_id_len = (uint8_t)len;
	memcpy(sa->sa_peer_id, id, len);
	assert_int_equal(ike_sa_insert(&w->h, sa), 0);
	return sa;
}

static size_t peer_name(char *buf, size_t n, unsigned i)
{
	return (size_t)snprintf(buf, n, "peer%05u.example.org", i);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int count_one(struct ike_sa *sa, void *arg)
{
	(void)sa;
	++*(size_t *)arg;
	return 0;
}

/* SAs the peer-ID index holds for (type, id). */
static size_t indexed(struct world *w, uint8_t type, const char *id)
{
	size_t n = 0;

	ike_sa_foreach_peer(&w->h, type, (const uint8_t *)id, strlen(id),
			    count_one, &n);
	return n;
}

#define NPEERS	50
#define PER	4

/* 50 peers with 4 SAs each; peer 7 comes back with INITIAL_CONTACT:
 * its 4 go, the other 196 stay (and stay findable by their IDs). */
static void test_many_peers_one_ic(void **state)
{
	struct world *w = *state;
	struct ike_sa *sa;
	char id[64];
	size_t len;
	unsigned i, k;

	for (i = 0; i < NPEERS; i++)
		for (k = 0; k < PER; k++) {
			len = peer_name(id, sizeof(id), i);
			mk_sa(w, 0x1000 + i * PER + k, 0, IKE_ID_FQDN, id, len);
		}
	len = peer_name(id, sizeof(id), 7);
	sa = mk_sa(w, 0x42, 0, IKE_ID_FQDN, id, len);
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), PER);
	assert_int_equal(w_count(w, CNT_IKE_INITIAL_CONTACT), PER);
	assert_int_equal(ike_sa_count(&w->h), NPEERS * PER - PER + 1);
	for (i = 0; i < NPEERS; i++) {
		peer_name(id, sizeof(id), i);
		for (k = 0; k < PER; k++)
			if (i == 7)
				assert_null(ike_sa_find(&w->h, 0x1000 + i * PER + k));
			else
				assert_non_null(ike_sa_find(&w->h, 0x1000 + i * PER + k));
		assert_int_equal(indexed(w, IKE_ID_FQDN, id), i == 7 ? 1 : PER);
	}
	assert_ptr_equal(ike_sa_find(&w->h, 0x42), sa);
	/* again: nothing left to forget */
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), 0);
}

/* Same bytes as another ID type, a prefix, a longer ID, another
 * connection, a half-open SA without ID, a delete already replicating:
 * none of them is touched. */
static void test_only_exact_id(void **state)
{
	struct world *w = *state;
	static const char id[] = "alice.example.org";
	struct ike_sa *sa, *pending, *half;

	mk_sa(w, 0x10, 0, IKE_ID_RFC822_ADDR, id, sizeof(id) - 1);
	mk_sa(w, 0x11, 0, IKE_ID_KEY_ID, id, sizeof(id) - 1);
	mk_sa(w, 0x12, 0, IKE_ID_FQDN, id, sizeof(id) - 2);	/* a prefix */
	mk_sa(w, 0x13, 0, IKE_ID_FQDN, id, sizeof(id));	/* with its NUL */
	mk_sa(w, 0x14, 1, IKE_ID_FQDN, id, sizeof(id) - 1);	/* other conn */
	mk_sa(w, 0x15, 0, IKE_ID_FQDN, "alice.example.orh", sizeof(id) - 1);
	half = ike_sa_new(&w->h);
	assert_non_null(half);
	half->sa_rspi = 0x16;
	half->sa_ispi = 0x61;
	half->sa_remote = w->ini;
	half->sa_state = IKE_SA_HALF_OPEN;
	assert_int_equal(ike_sa_insert(&w->h, half), 0);
	/* an SA whose delete is replicating is not deleted twice */
	pending = mk_sa(w, 0x17, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	pending->sa_del_pending = true;
	/* the one that goes */
	mk_sa(w, 0x18, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	sa = mk_sa(w, 0x1, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), 1);
	assert_null(ike_sa_find(&w->h, 0x18));
	for (uint64_t spi = 0x10; spi <= 0x17; spi++)
		assert_non_null(ike_sa_find(&w->h, spi));
	assert_int_equal(ike_sa_count(&w->h), 9);
	pending->sa_del_pending = false;	/* freed by the teardown */
}

/* An SA that left the tables is no longer found: deleted (its commit
 * frees it), removed by hand, or re-filed under another peer ID by an
 * update.  Under ASan a stale chain entry would be a use after free. */
static void test_gone_not_found(void **state)
{
	struct world *w = *state;
	static const char id[] = "alice.example.org";
	static const char id2[] = "bob.example.org";
	struct ike_sa *a, *b, *c, *sa;
	struct sa_update *u;

	a = mk_sa(w, 0x20, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	b = mk_sa(w, 0x21, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	c = mk_sa(w, 0x22, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	assert_int_equal(indexed(w, IKE_ID_FQDN, id), 3);
	ike_sa_delete_local(&w->h, a, "test");	/* single node: freed now */
	assert_null(ike_sa_find(&w->h, 0x20));
	assert_int_equal(indexed(w, IKE_ID_FQDN, id), 2);
	ike_sa_remove(&w->h, b);
	ike_sa_free(&w->h, b);
	assert_int_equal(indexed(w, IKE_ID_FQDN, id), 1);
	/* IKE_AUTH's commit names another ID: filed under that one */
	u = sa_update_new(SA_UPD_IKE_SA_UPDATE, c);
	assert_non_null(u);
	u->peer_id_type = IKE_ID_FQDN;
	u->peer_id_len = sizeof(id2) - 1;
	memcpy(u->peer_id, id2, sizeof(id2) - 1);
	assert_int_equal(sa_update_apply(&w->h, u, false), 0);
	sa_update_free(&w->h, u);
	assert_int_equal(indexed(w, IKE_ID_FQDN, id), 0);
	assert_int_equal(indexed(w, IKE_ID_FQDN, id2), 1);
	sa = mk_sa(w, 0x1, 0, IKE_ID_FQDN, id, sizeof(id) - 1);
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), 0);
	sa = mk_sa(w, 0x2, 0, IKE_ID_FQDN, id2, sizeof(id2) - 1);
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), 1);
	assert_null(ike_sa_find(&w->h, 0x22));
	assert_int_equal(indexed(w, IKE_ID_FQDN, id2), 1);
	assert_int_equal(ike_sa_count(&w->h), 2);
}

static void establish_alice(struct world *w, struct ini *x, uint64_t spi,
			    bool ic)
{
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "a shared secret", "alice.example.org");
	c.spi = spi;
	c.seed = (uint8_t)spi;
	c.initial_contact = ic;
	assert_int_equal(ini_init(x, &c), 0);
	assert_int_equal(w_establish(w, x), 0);
}

/* The successor of an IKE rekey (RFC 7296 2.18) inherits the peer ID:
 * alice's INITIAL_CONTACT then forgets it and the rekeyed one. */
static void test_rekeyed_sa_found(void **state)
{
	struct world *w = *state;
	struct ini x, again;
	uint64_t old_rspi;
	struct ike_sa *nsa;

	establish_alice(w, &x, 0x500, false);
	old_rspi = x.rspi;
	/* CREATE_CHILD_SA { SA(IKE, new SPIi), Ni, KEi } -->
	 *   <-- { SA(IKE, new SPIr), Nr, KEr } */
	assert_int_equal(ini_create_child(&x, INI_REKEY_IKE, 0, true, w->req,
					  sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_create_child_resp(&x, w->out[0].buf,
					       w->out[0].len), 0);
	nsa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(nsa);
	assert_int_not_equal(x.rspi, old_rspi);
	assert_int_equal(ike_sa_find(&w->h, old_rspi)->sa_state,
			 IKE_SA_REKEYED);
	assert_int_equal(indexed(w, IKE_ID_FQDN, "alice.example.org"), 2);
	/* IKE_AUTH { IDi, AUTH, N(INITIAL_CONTACT), ... } --> */
	establish_alice(w, &again, 0x600, true);
	assert_int_equal(w_count(w, CNT_IKE_INITIAL_CONTACT), 2);
	assert_null(ike_sa_find(&w->h, old_rspi));
	assert_null(ike_sa_find(&w->h, x.rspi));
	assert_non_null(ike_sa_find(&w->h, again.rspi));
	assert_int_equal(indexed(w, IKE_ID_FQDN, "alice.example.org"), 1);
	assert_int_equal(child_sa_count(&w->h), 1);
	ini_free(&x);
	ini_free(&again);
}

#define NSAS	10000
#define NLOOK	2000

/* What an IKE_AUTH with INITIAL_CONTACT costs with 10,000 other SAs:
 * a lookup that finds nothing, and a reconnect storm where every peer
 * comes back once and its old SA goes. */
static void test_cost_10000(void **state)
{
	struct world *w = *state;
	struct ike_sa *sa;
	char id[64];
	size_t len;
	double t0, miss_ns, storm_ns;
	unsigned i;

	for (i = 0; i < NSAS; i++) {
		len = peer_name(id, sizeof(id), i);
		mk_sa(w, 0x10000 + i, 0, IKE_ID_FQDN, id, len);
	}
	assert_int_equal(ike_sa_count(&w->h), NSAS);
	sa = mk_sa(w, 0x1, 0, IKE_ID_FQDN, "newcomer.example.org", 20);
	t0 = now_ns();
	for (i = 0; i < NLOOK; i++)
		assert_int_equal(ike_sa_initial_contact(&w->h, sa), 0);
	miss_ns = (now_ns() - t0) / NLOOK;
	/* every peer reconnects with INITIAL_CONTACT: its old SA goes */
	t0 = now_ns();
	for (i = 0; i < NSAS; i++) {
		len = peer_name(id, sizeof(id), i);
		sa = mk_sa(w, 0x100000 + i, 0, IKE_ID_FQDN, id, len);
		assert_int_equal(ike_sa_initial_contact(&w->h, sa), 1);
	}
	storm_ns = (now_ns() - t0) / NSAS;
	assert_int_equal(ike_sa_count(&w->h), NSAS + 1);
	assert_int_equal(w_count(w, CNT_IKE_INITIAL_CONTACT), NSAS);
	print_message("INITIAL_CONTACT with %u SAs: lookup (no match) "
		      "%.0f ns; storm, per IKE_AUTH (make SA + lookup + "
		      "delete one) %.0f ns\n", NSAS, miss_ns, storm_ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_peers_one_ic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_exact_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekeyed_sa_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cost_10000, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
