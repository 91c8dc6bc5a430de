/*
 * Whole nodes in one process: each a struct hike with its own SA tables,
 * the responder, sa_sync over the in-memory CPG bus, a fake sender and a
 * fake datapath; the test initiator talks to whichever node is active.
 *
 *   initiator ---- IKE_SA_INIT / IKE_AUTH ----> node 1 (active)
 *                                                 | records (agreed order)
 *                                                 v
 *                                               node 2 (standby)
 *   kill node 1 -> node 2 takes over: MESSAGE_ID_SYNC, DPD, rekey, cache
 */
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

struct node {
	uint32_t id;
	struct world *w;
	struct sa_sync *ss;
	int vips_added, vips_deleted, announced;
	int installs, removes;
	uint64_t installed_seq_out;
};

struct cluster {
	struct sync_membus *bus;
	struct node n[3];
	size_t count;
};

static int f_add(void *ctx, const char *dev, int family, const void *a,
		 uint8_t plen)
{
	(void)dev; (void)family; (void)a; (void)plen;
	((struct node *)ctx)->vips_added++;
	return 0;
}

static int f_del(void *ctx, const char *dev, int family, const void *a,
		 uint8_t plen)
{
	(void)dev; (void)family; (void)a; (void)plen;
	((struct node *)ctx)->vips_deleted++;
	return 0;
}

static int f_announce(void *ctx, const char *dev, int family, const void *a)
{
	(void)dev; (void)family; (void)a;
	((struct node *)ctx)->announced++;
	return 0;
}

static int f_install(void *ctx, const struct child_sa *c)
{
	struct node *n = ctx;

	n->installs++;
	n->installed_seq_out = c->csa_seq_out;
	return 0;
}

static int f_remove(void *ctx, const struct child_sa *c)
{
	(void)c;
	((struct node *)ctx)->removes++;
	return 0;
}

static const struct child_sa_ops fake_dp = { .install = f_install, .remove = f_remove };

static struct node *c_add(struct cluster *c, uint32_t id, uint32_t prio)
{
	struct node *n = &c->n[c->count++];
	const struct mb_spec sp = { yaml, &fake_dp, n,
		{ f_add, f_del, f_announce, n }, NULL,
		{ .cluster = "lab", .group = "hike", .priority = prio,
		  .chunk_records = 4 }, NULL };

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
}

static void c_free(struct cluster *c)
{
	for (size_t i = 0; i < c->count; i++)
		mb_node_stop(c->n[i].w, c->n[i].ss);
	sync_membus_free(c->bus);
}

/* Initiator -> node n; what n sends lands in n->w->out (after a pump). */
static void to_node(struct cluster *c, struct node *n, const uint8_t *buf,
		    size_t len)
{
	w_rx(n->w, buf, len);
	c_pump(c);
}

static void ini_new(struct world *w, struct ini *x)
{
	struct ini_conf ic;

	w_ini_conf(w, &ic, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "a shared secret", "alice.example.org");
	ic.msgid_sync = true;
	assert_int_equal(ini_init(x, &ic), 0);
}

/* IKE_SA_INIT, then IKE_AUTH whose answer waits for replication. */
static void establish(struct cluster *c, struct node *n, struct ini *x)
{
	struct world *w = n->w;

	/* IKE_SA_INIT { SAi1, KEi, Ni } --> (half-open: not replicated) */
	assert_int_equal(ini_sa_init(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(x, w->out[0].buf, w->out[0].len), 0);
	/* IKE_AUTH { IDi, AUTH, SAi2, TSi, TSr, N(MSGID_SYNC_SUP) } --> */
	assert_int_equal(ini_auth(x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	/* replicate before reply: nothing leaves before self-delivery */
	assert_int_equal(w->nout, 0);
	c_pump(c);
	assert_int_equal(w->nout, 1);
	/* <-- { IDr, AUTH, SAr2, TSi, TSr, N(MSGID_SYNC_SUP) } */
	assert_int_equal(ini_auth_resp(x, w->out[0].buf, w->out[0].len), 0);
	assert_true(x->msgid_sync_echoed);
}

/* The standby holds the very same SAs (SPIs, keys, window). */
static void assert_same_sa(struct node *a, struct node *b, uint64_t spi)
{
	struct ike_sa *sa = ike_sa_find(&a->w->h, spi);
	struct ike_sa *sb = ike_sa_find(&b->w->h, spi);
	struct child_sa *ca, *cb;

	assert_non_null(sa);
	assert_non_null(sb);
	assert_int_equal(sa->sa_ispi, sb->sa_ispi);
	assert_int_equal(sa->sa_state, sb->sa_state);
	assert_memory_equal(&sa->sa_keys, &sb->sa_keys, sizeof(sa->sa_keys));
	assert_int_equal(sa->sa_peer_next, sb->sa_peer_next);
	assert_int_equal(sa->sa_resp.len, sb->sa_resp.len);
	assert_memory_equal(sa->sa_resp.buf, sb->sa_resp.buf, sa->sa_resp.len);
	assert_int_equal(sa->sa_flags & IKE_SA_F_MSGID_SYNC,
			 sb->sa_flags & IKE_SA_F_MSGID_SYNC);
	for (ca = sa->sa_children; ca; ca = ca->csa_next) {
		cb = child_sa_find(&b->w->h, ca->csa_spi_in);
		assert_non_null(cb);
		assert_ptr_equal(cb->csa_ike, sb);
		assert_int_equal(ca->csa_spi_out, cb->csa_spi_out);
		assert_memory_equal(&ca->csa_in, &cb->csa_in, sizeof(ca->csa_in));
		assert_memory_equal(&ca->csa_out, &cb->csa_out, sizeof(ca->csa_out));
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The new active's RFC 6311 request: check it and answer it. */
static void answer_msgid_sync(struct cluster *c, struct node *n,
			      struct ini *x, uint32_t our_next)
{
	struct world *w = n->w;
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t *pt = malloc(IKE_MSG_MAX), nd = 0;
	const struct ike_notify_pl *nt;

	assert_true(w->nout >= 1);
	assert_int_equal(ini_open(x, w->out[0].buf, w->out[0].len, m, pt,
				  IKE_MSG_MAX), 0);
	/* RFC 6311 5.1: message ID 0, nonce | send | recv */
	assert_int_equal(m->hdr.msgid, 0);
	assert_int_equal(m->hdr.exchange, IKE_INFORMATIONAL);
	nt = ike_msg_notify(m, IKE_N_IKEV2_MESSAGE_ID_SYNC);
	assert_non_null(nt);
	assert_int_equal(nt->len, 12);
	assert_int_equal(be32(nt->data + 4), our_next + TAKEOVER_MSGID_MARGIN);
	assert_int_equal(be32(nt->data + 8), x->msgid);
	/* <-- INFORMATIONAL #0 { N(MESSAGE_ID_SYNC) } ... our empty answer */
	assert_int_equal(ini_answer(x, w->out[0].buf, w->out[0].len, w->req,
				    sizeof(w->req), &w->req_len, &nd), 0);
	to_node(c, n, w->req, w->req_len);
	assert_int_equal(ike_sa_find(&w->h, x->rspi)->sa_req.kind, IKE_REQ_NONE);
	free(m);
	free(pt);
}

static void dpd(struct cluster *c, struct node *n, struct ini *x)
{
	struct world *w = n->w;

	/* INFORMATIONAL { } -->   <-- { } */
	assert_int_equal(ini_info(x, false, -1, w->req, sizeof(w->req),
				  &w->req_len), 0);
	to_node(c, n, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_info_resp(x, w->out[0].buf, w->out[0].len), 0);
}

static void test_failover_pair(void **state)
{
	struct cluster c;
	struct node *a, *b;
	struct ini x;
	uint8_t last_req[IKE_MSG_MAX], last_resp[IKE_MSG_MAX];
	size_t last_req_len, last_resp_len;
	struct child_sa *ca, *cb;
	uint64_t synced;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 100);
	b = c_add(&c, 2, 50);
	c_pump(&c);
	assert_true(sync_is_active(a->w->h.sync));
	assert_true(sync_in_sync(b->w->h.sync));
	assert_int_equal(a->vips_added, 1);
	assert_int_equal(a->announced, 1);
	ini_new(a->w, &x);
	establish(&c, a, &x);
	assert_same_sa(a, b, x.rspi);
	assert_int_equal(child_sa_count(&b->w->h), 1);
	assert_int_equal(b->installs, 0);	/* a standby installs nothing */

	/* DPD through the active; keep the exchange for a retransmit */
	dpd(&c, a, &x);
	memcpy(last_req, a->w->req, a->w->req_len);
	last_req_len = a->w->req_len;
	memcpy(last_resp, a->w->out[0].buf, a->w->out[0].len);
	last_resp_len = a->w->out[0].len;
	assert_same_sa(a, b, x.rspi);

	/* ESP counters: the datapath reports 250 sent; a reservation of
	 * 250 + 2W reaches the standby before the limit is raised */
	ca = ike_sa_find(&a->w->h, x.rspi)->sa_children;
	assert_int_equal(esp_counters_note(sa_sync_counters(a->ss),
					   ca->csa_spi_in, 250, 17), 0);
	c_pump(&c);
	cb = child_sa_find(&b->w->h, ca->csa_spi_in);
	assert_int_equal(cb->csa_seq_resv, 250 + 2 * 100);
	assert_int_equal(ca->csa_seq_limit, 250 + 2 * 100);
	synced = cb->csa_seq_resv;

	/* kill -9 the active: the standby takes over */
	b->w->nout = 0;
	sync_membus_crash(c.bus, 1);
	c_pump(&c);
	assert_true(sync_is_active(b->w->h.sync));
	assert_int_equal(b->vips_added, 1);
	assert_int_equal(b->announced, 1);
	assert_int_equal(b->installs, 1);
	/* never below what the old active was allowed to send */
	assert_true(b->installed_seq_out >= ca->csa_seq_limit);
	assert_true(b->installed_seq_out >= synced);
	assert_true(b->installed_seq_out > 250 + 100);
	assert_int_equal(takeover_stats(sa_sync_takeover(b->ss))->msgid_sync_sent, 1);
	answer_msgid_sync(&c, b, &x, 0);

	/* a retransmit of the last request: answered byte-identically */
	to_node(&c, b, last_req, last_req_len);
	assert_int_equal(b->w->nout, 1);
	assert_int_equal(b->w->out[0].len, last_resp_len);
	assert_memory_equal(b->w->out[0].buf, last_resp, last_resp_len);

	/* DPD and a Child SA rekey on the new active: no new IKE_SA_INIT */
	dpd(&c, b, &x);
	assert_int_equal(ini_create_child(&x, INI_REKEY_CHILD, 0, false,
					  b->w->req, sizeof(b->w->req),
					  &b->w->req_len), 0);
	to_node(&c, b, b->w->req, b->w->req_len);
	assert_int_equal(b->w->nout, 1);
	assert_int_equal(ini_create_child_resp(&x, b->w->out[0].buf,
					       b->w->out[0].len), 0);
	assert_int_equal(w_count(b->w, CNT_IKE_SA_INIT_RECEIVED), 0);
	assert_int_equal(ike_sa_count(&b->w->h), 1);
	ini_free(&x);
	c_free(&c);
}

/* Three nodes: the survivor with the highest priority takes over and
 * the third one learns the jumped message IDs (a second takeover never
 * announces less). */
static void test_failover_three(void **state)
{
	struct cluster c;
	struct node *a, *b, *d;
	struct ini x;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 100);
	b = c_add(&c, 2, 50);
	d = c_add(&c, 3, 10);
	c_pump(&c);
	ini_new(a->w, &x);
	establish(&c, a, &x);
	assert_same_sa(a, d, x.rspi);
	b->w->nout = 0;
	sync_membus_crash(c.bus, 1);
	c_pump(&c);
	assert_true(sync_is_active(b->w->h.sync));
	assert_false(sync_is_active(d->w->h.sync));
	assert_int_equal(ike_sa_find(&d->w->h, x.rspi)->sa_our_next,
			 TAKEOVER_MSGID_MARGIN);
	answer_msgid_sync(&c, b, &x, 0);
	dpd(&c, b, &x);
	assert_same_sa(b, d, x.rspi);
	ini_free(&x);
	c_free(&c);
}

/* A node joining after the SAs exist gets them through the snapshot. */
static void test_joiner_snapshot(void **state)
{
	struct cluster c;
	struct node *a, *b;
	struct ini x;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 100);
	c_pump(&c);
	assert_true(sync_is_active(a->w->h.sync));
	ini_new(a->w, &x);
	establish(&c, a, &x);
	dpd(&c, a, &x);
	b = c_add(&c, 2, 50);
	c_pump(&c);
	assert_true(sync_in_sync(b->w->h.sync));
	assert_true(sa_sync_stats(a->ss)->snapshot_records >= 2);
	assert_same_sa(a, b, x.rspi);
	ini_free(&x);
	c_free(&c);
}

/* two_node: cutting the link leaves both halves quorate, and both become
 * active -- split brain.  docs/cluster.md: three nodes or qdevice. */
static void test_split_brain_pair(void **state)
{
	struct cluster c;
	struct node *a, *b;
	uint32_t only_b = 2;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 100);
	b = c_add(&c, 2, 50);
	c_pump(&c);
	assert_int_equal(sync_membus_split(c.bus, &only_b, 1), 0);
	c_pump(&c);
	assert_true(sync_is_active(a->w->h.sync));
	assert_true(sync_is_active(b->w->h.sync));	/* both hold the VIP */
	assert_int_equal(b->vips_added, 1);
	/* with votequorum saying "no quorum" the cut-off node steps down */
	sync_membus_set_quorum(c.bus, 2, false);
	c_pump(&c);
	assert_false(sync_is_active(b->w->h.sync));
	assert_true(b->vips_deleted >= 1);
	c_free(&c);
}

/* A half-open SA is never replicated, so its failed IKE_AUTH (wrong PSK:
 * the SA goes) has nothing for the standbys either: AUTHENTICATION_FAILED
 * leaves at once, no record, no CPG message. */
static void test_failed_auth_local(void **state)
{
	struct cluster c;
	struct node *a, *b;
	struct ini x;
	struct ini_conf ic;
	uint64_t m, recs;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 100);
	b = c_add(&c, 2, 50);
	c_pump(&c);
	assert_true(sync_is_active(a->w->h.sync));
	m = sync_membus_mcasts(c.bus);
	recs = sync_get_stats(a->w->h.sync)->tx_records;
	w_ini_conf(a->w, &ic, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "not the secret", "alice.example.org");
	assert_int_equal(ini_init(&x, &ic), 0);
	/* w_establish wants each answer right after the request, no pump */
	assert_int_equal(w_establish(a->w, &x), IKE_N_AUTHENTICATION_FAILED);
	c_pump(&c);
	assert_int_equal(sync_get_stats(a->w->h.sync)->tx_records, recs);
	assert_int_equal(sync_membus_mcasts(c.bus), m);
	assert_int_equal(ike_sa_count(&a->w->h), 0);
	assert_int_equal(ike_sa_count(&b->w->h), 0);
	ini_free(&x);
	c_free(&c);
}

struct fake_clock {
	uint64_t now, asked;
	int arms;
};

static uint64_t fc_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static void fc_arm(void *ctx, uint64_t us)
{
	struct fake_clock *f = ctx;

	f->arms++;
	f->asked = us;
}

/* With the batch window on: the first IKE_AUTH's records leave at once
 * (idle), the second's are held by the window -- and its answer with
 * them -- until the timer; the answer leaves only when the records came
 * back.  Each IKE_AUTH is one group: IkeSaAdd (with the moved window)
 * and ChildSaAdd, in one envelope. */
static void test_auth_reply_window(void **state)
{
	struct cluster c;
	struct node *a, *b;
	struct fake_clock fc = { .now = 5000000 };
	struct ini x, y;
	struct world *w;
	const struct sync_stats *st;
	uint64_t m, recs;

	(void)state;
	c_init(&c);
	a = c_add(&c, 1, 100);
	b = c_add(&c, 2, 50);
	c_pump(&c);
	assert_true(sync_is_active(a->w->h.sync));
	w = a->w;
	sync_set_clock(w->h.sync, fc_now, &fc);
	sync_set_timer(w->h.sync, fc_arm, &fc);
	sync_set_batch_delay(w->h.sync, 1000);
	st = sync_get_stats(w->h.sync);
	m = sync_membus_mcasts(c.bus);
	recs = st->tx_records;
	ini_new(w, &x);
	establish(&c, a, &x);			/* idle: at once */
	assert_int_equal(fc.arms, 0);
	assert_int_equal(sync_membus_mcasts(c.bus) - m, 1);
	assert_int_equal(st->tx_records - recs, 2);
	assert_same_sa(a, b, x.rspi);

	/* a second peer, 100 us later: IKE_SA_INIT is answered at once
	 * (half-open: nothing replicated), IKE_AUTH waits for the window */
	fc.now += 100;
	w->rnd = 77;
	ini_new(w, &y);
	assert_int_equal(ini_sa_init(&y, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&y, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(sync_membus_mcasts(c.bus) - m, 1);
	assert_int_equal(ini_auth(&y, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	c_pump(&c);
	assert_int_equal(w->nout, 0);			/* held with its records */
	assert_int_equal(sync_membus_mcasts(c.bus) - m, 1);
	assert_null(ike_sa_find(&b->w->h, y.rspi));
	assert_int_equal(fc.arms, 1);
	assert_int_equal(fc.asked, 900);		/* one window after the first */
	fc.now += fc.asked;
	sync_timer_fired(w->h.sync);
	assert_int_equal(sync_membus_mcasts(c.bus) - m, 2);
	assert_int_equal(w->nout, 0);			/* sent, not delivered */
	c_pump(&c);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_auth_resp(&y, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(st->tx_records - recs, 4);
	assert_same_sa(a, b, y.rspi);
	assert_int_equal(child_sa_count(&b->w->h), 2);
	ini_free(&x);
	ini_free(&y);
	c_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failover_pair),
		cmocka_unit_test(test_failover_three),
		cmocka_unit_test(test_joiner_snapshot),
		cmocka_unit_test(test_split_brain_pair),
		cmocka_unit_test(test_auth_reply_window),
		cmocka_unit_test(test_failed_auth_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
