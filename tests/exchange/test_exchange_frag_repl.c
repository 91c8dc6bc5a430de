/*
 * The plumbing around the exchanges: RFC 7383 fragments both ways,
 * "replicate before reply" through the replicator seam, and IKE_SA_INIT's
 * Diffie-Hellman on real worker threads with a real event loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/loop.h"
#include "core/workers.h"
#include "sa/repl.h"
#include "sa/requests.h"
#include "harness.h"

static const char yaml[] =
	"connections:\n"
	"  - name: site\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:alice.example.org\n"
	"    auth: psk\n"
	"    psk: 'a shared secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519, aes256-sha256-modp2048]\n"
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

static void new_ini(struct world *w, struct ini *x, bool frag)
{
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "a shared secret", "alice.example.org");
	c.frag = frag;
	assert_int_equal(ini_init(x, &c), 0);
}

static void sa_init(struct world *w, struct ini *x)
{
	/* IKE_SA_INIT { SAi1, KEi, Ni, N(FRAG_SUP) } -->
	 *   <-- { SAr1, KEr, Nr, N(FRAG_SUP) } */
	assert_int_equal(ini_sa_init(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(x, w->out[0].buf, w->out[0].len), 0);
}

/* Feed every datagram of p; w->out collects what the last ones caused. */
static void rx_all(struct world *w, const struct ike_pkts *p, int skip)
{
	struct rd r = rd_init(p->buf, p->len);
	const uint8_t *pkt;
	uint16_t len;
	int i = 0;

	w->nout = 0;
	while (rd_u16(&r, &len) && rd_ptr(&r, &pkt, len))
		if (i++ != skip)
			ike_rx(&w->h, &w->resp, &w->ini, pkt, len);
}

static int collect(struct world *w, struct ini *x)
{
	const uint8_t *bufs[W_MAX_OUT];
	size_t lens[W_MAX_OUT];
	unsigned i;

	for (i = 0; i < w->nout; i++) {
		bufs[i] = w->out[i].buf;
		lens[i] = w->out[i].len;
	}
	return ini_auth_resp_frags(x, bufs, lens, w->nout);
}

/* IKE_AUTH as SKF fragments -->  <-- the answer as SKF fragments; a
 * retransmitted request is answered on its fragment 1 only. */
static void test_fragments(void **state)
{
	struct world *w = *state;
	struct ike_pkts req = { 0 };
	struct ike_sa *sa;
	struct ini x;
	unsigned nresp;

	new_ini(w, &x, true);
	sa_init(w, &x);
	sa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(sa);
	assert_true(sa->sa_flags & IKE_SA_F_FRAG);
	w->h.conf->ike.fragment_size = 150;	/* below any real MTU */
	assert_int_equal(ini_auth_pkts(&x, 120, &req), 0);
	assert_true(req.n > 2);
	rx_all(w, &req, -1);
	assert_true(w->nout >= 2);		/* fragmented answer */
	for (nresp = 0; nresp < w->nout; nresp++)
		assert_true(w->out[nresp].len <= 150);
	nresp = w->nout;
	assert_int_equal(collect(w, &x), 0);
	assert_int_equal(x.nchild, 1);
	assert_int_equal(sa->sa_state, IKE_SA_ESTABLISHED);
	/* retransmit without fragment 1: silence; fragment 1: all again */
	rx_all(w, &req, 0);
	assert_int_equal(w->nout, 0);
	rx_all(w, &req, 1);
	assert_int_equal(w->nout, nresp);
	ike_pkts_free(&req);
	ini_free(&x);
}

/* Without FRAG_SUP from the peer nothing is fragmented. */
static void test_no_fragments_unless_announced(void **state)
{
	struct world *w = *state;
	struct ini x;

	new_ini(w, &x, false);
	w->h.conf->ike.fragment_size = 150;
	assert_int_equal(w_establish(w, &x), 0);
	assert_int_equal(w->nout, 1);
	assert_true(w->out[0].len > 150);
	ini_free(&x);
}

/* DESIGN "replicate before reply": no answer leaves before the update
 * came back from the group; requests meanwhile are not processed. */
static void test_replicate_before_reply(void **state)
{
	struct world *w = *state;
	struct fake_repl f = { 0 };
	struct sa_replicator r = { fake_submit, &f };
	struct ini x;

	sa_set_replicator(&w->h, &r);
	new_ini(w, &x, false);
	/* IKE_SA_INIT --> (held) */
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.kind, SA_UPD_IKE_SA_ADD);
	assert_int_equal(ike_sa_count(&w->h), 0);
	w_rx(w, w->req, w->req_len);		/* retransmit meanwhile */
	assert_int_equal(w->nout, 0);
	assert_int_equal(f.n, 1);
	f.done(f.arg, 0);			/* came back through CPG */
	assert_int_equal(w->nout, 1);
	assert_int_equal(ike_sa_count(&w->h), 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len), 0);
	/* IKE_AUTH --> (held) */
	assert_int_equal(ini_auth(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 0);
	assert_int_equal(f.kind, SA_UPD_CHILD_SA_ADD);
	assert_int_equal(child_sa_count(&w->h), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(f.n, 2);		/* busy: not processed twice */
	w->nout = 0;
	f.done(f.arg, 0);
	assert_int_equal(w->nout, 1);
	assert_int_equal(child_sa_count(&w->h), 1);
	assert_int_equal(ini_auth_resp(&x, w->out[0].buf, w->out[0].len), 0);
	ini_free(&x);
}

/* An update the group never delivers leaves nothing behind. */
static void test_replication_failure(void **state)
{
	struct world *w = *state;
	struct fake_repl f = { 0 };
	struct sa_replicator r = { fake_submit, &f };
	struct ini x;

	sa_set_replicator(&w->h, &r);
	new_ini(w, &x, false);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	f.done(f.arg, -ECANCELED);
	assert_int_equal(w->nout, 0);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(ike_sa_half_open_count(&w->h), 0);
	ini_free(&x);
}

/* A local delete the group does not deliver (a switchover cancelled it)
 * leaves the SA as it was: a later delete goes through. */
static void test_local_delete_cancelled(void **state)
{
	struct world *w = *state;
	struct fake_repl f = { 0 };
	struct sa_replicator r = { fake_submit, &f };
	struct ike_sa *sa;
	struct ini x;

	new_ini(w, &x, false);
	assert_int_equal(w_establish(w, &x), 0);
	sa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(sa);
	sa_set_replicator(&w->h, &r);
	ike_sa_delete_local(&w->h, sa, "test");
	assert_int_equal(f.n, 1);
	assert_int_equal(f.kind, SA_UPD_IKE_SA_DELETE);
	assert_true(sa->sa_del_pending);
	f.done(f.arg, -ECANCELED);
	assert_ptr_equal(ike_sa_find(&w->h, x.rspi), sa);
	assert_false(sa->sa_del_pending);
	ike_sa_delete_local(&w->h, sa, "again");	/* not refused */
	assert_int_equal(f.n, 2);
	f.done(f.arg, 0);
	assert_null(ike_sa_find(&w->h, x.rspi));
	ini_free(&x);
}

/* The DH of IKE_SA_INIT runs on a worker thread; the answer leaves from
 * the loop thread once the job's continuation ran there. */
static void test_workers(void **state)
{
	struct world *w = *state;
	struct ini x;
	int i;

	w->h.loop = loop_new();
	assert_non_null(w->h.loop);
	w->h.workers = workers_new(w->h.loop, 2);
	assert_non_null(w->h.workers);
	new_ini(w, &x, false);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 0);			/* not inline */
	assert_int_equal(ike_sa_half_open_count(&w->h), 1);	/* marker */
	w_rx(w, w->req, w->req_len);			/* dropped: in flight */
	for (i = 0; i < 100 && !w->nout; i++)
		loop_once(w->h.loop, 50);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(ini_auth(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_auth_resp(&x, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(ike_sa_count(&w->h), 1);
	workers_free(w->h.workers);
	w->h.workers = NULL;
	sa_tables_free(&w->h);		/* the SA timers need the loop */
	loop_free(w->h.loop);
	w->h.loop = NULL;
	assert_int_equal(sa_tables_init(&w->h), 0);
	ini_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fragments_unless_announced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replicate_before_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replication_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_delete_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
