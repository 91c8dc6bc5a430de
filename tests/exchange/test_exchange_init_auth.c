/*
 * IKE_SA_INIT + IKE_AUTH against hike's responder, in one process: the
 * initiator of tests/common builds each request from hike's codec and
 * crypto (AUTH computed independently), the responder answers through a
 * captured send_ike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sa/exchange.h"
#include "sa/repl.h"
#include "sa/requests.h"
#include "sa/table.h"

static const char yaml[] =
	"ike: { cookie_threshold: 100 }\n"
	"connections:\n"
	"  - name: site\n"
	"    local_addrs: [192.0.2.10]\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:alice.example.org\n"
	"    auth: psk\n"
	"    psk: 'a shared secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519, aes256-sha256-modp2048, aes128-sha256-ecp256]\n"
	"    esp_proposals: [aes256gcm16, aes128-sha256]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n"
	"  - name: roadwarrior\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:carol.example.org\n"
	"    auth: psk\n"
	"    psk: 'carol secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519]\n"
	"    esp_proposals: [aes256gcm16]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    pools: [10.3.0.0/24]\n";

static const char psk[] = "a shared secret";
static const char alice[] = "alice.example.org";

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

/* The responder's view agrees with the initiator's: keys and Child SA. */
static void check_established(struct world *w, struct ini *x)
{
	struct ike_sa *sa = ike_sa_find(&w->h, x->rspi);
	struct child_sa *c;

	assert_non_null(sa);
	assert_int_equal(sa->sa_state, IKE_SA_ESTABLISHED);
	assert_int_equal(sa->sa_ispi, x->ispi);
	assert_memory_equal(sa->sa_keys.sk_ei, x->keys.sk_ei, x->keys.e_len);
	assert_memory_equal(sa->sa_keys.sk_ar, x->keys.sk_ar, x->keys.a_len);
	assert_null(sa->sa_msg1);	/* IKE_SA_INIT material dropped */
	assert_int_equal(x->nchild, 1);
	c = child_sa_find(&w->h, x->child[0].spi_r);
	assert_non_null(c);
	assert_ptr_equal(c->csa_ike, sa);
	assert_int_equal(c->csa_spi_out, x->child[0].spi_i);
	assert_memory_equal(c->csa_in.ekey, x->child[0].keys.ei,
			    x->child[0].keys.e_len);
	assert_memory_equal(c->csa_out.ekey, x->child[0].keys.er,
			    x->child[0].keys.e_len);
	assert_int_equal(ike_sa_count(&w->h), 1);
	assert_int_equal(ike_sa_half_open_count(&w->h), 0);
	assert_int_equal(child_sa_count(&w->h), 1);
}

static void run_suite(void **state, const char *ike, const char *esp)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, ike, esp, psk, alice);
	c.msgid_sync = true;
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), 0);
	assert_true(x.natd_seen);
	check_established(w, &x);
	assert_int_equal(w_count(w, CNT_IKE_SA_ESTABLISHED), 1);
	ini_free(&x);
}

static void test_x25519_aes256gcm16(void **state)
{
	run_suite(state, "aes256gcm16-prfsha256-x25519", "aes256gcm16");
}

static void test_modp2048_aes256_sha256(void **state)
{
	run_suite(state, "aes256-sha256-modp2048", "aes128-sha256");
}

static void test_ecp256_aes128_sha256(void **state)
{
	run_suite(state, "aes128-sha256-ecp256", "aes256gcm16");
}

/* IKE_SA_INIT { SAi1(x25519, ecp256), KEi(ecp256) } -->
 *   <-- N(INVALID_KE_PAYLOAD, x25519)
 * IKE_SA_INIT { SAi1, KEi(x25519) } -->  <-- { SAr1, KEr, Nr } */
static void test_invalid_ke(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519-ecp256", "aes256gcm16",
		   psk, alice);
	c.ke_group = IKE_DH_ECP256;
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len),
			 IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(x.group, IKE_DH_CURVE25519);
	assert_int_equal(ike_sa_count(&w->h), 0);	/* stateless */
	assert_int_equal(w_establish(w, &x), 0);
	check_established(w, &x);
	ini_free(&x);
}

/* IKE_SA_INIT { SAi1(aes128gcm16-prfsha512-ecp384) } -->
 *   <-- N(NO_PROPOSAL_CHOSEN) */
static void test_no_proposal(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes128gcm16-prfsha512-ecp384", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len),
			 IKE_N_NO_PROPOSAL_CHOSEN);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(w_count(w, CNT_IKE_NO_PROPOSAL), 1);
	ini_free(&x);
}

/* With cookie_threshold 0 every IKE_SA_INIT must carry a cookie:
 * IKE_SA_INIT { SAi1, KEi, Ni } -->  <-- N(COOKIE)
 * IKE_SA_INIT { N(COOKIE), SAi1, KEi, Ni } -->  <-- { SAr1, KEr, Nr } */
static void test_cookie(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w->h.conf->ike.cookie_threshold = 0;
	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len),
			 IKE_N_COOKIE);
	assert_int_equal(x.cookie_len, 36);
	assert_int_equal(ike_sa_count(&w->h), 0);	/* no state kept */
	/* a forged cookie is refused with a fresh one, no SA */
	x.cookie[10] ^= 1;
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len),
			 IKE_N_COOKIE);
	assert_int_equal(w_establish(w, &x), 0);
	check_established(w, &x);
	ini_free(&x);
}

/* IKE_AUTH { IDi, AUTH(wrong PSK) } -->  <-- { N(AUTHENTICATION_FAILED) }
 * and nothing is left behind. */
static void test_wrong_psk(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "not the secret", alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(ike_sa_half_open_count(&w->h), 0);
	assert_int_equal(child_sa_count(&w->h), 0);
	assert_int_equal(w_count(w, CNT_IKE_AUTH_FAILED), 1);
	ini_free(&x);
}

/* An unknown identity is refused the same way. */
static void test_unknown_id(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   "mallory.example.org");
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(ike_sa_count(&w->h), 0);
	ini_free(&x);
}

/* IKE_AUTH -->  <-- response;  IKE_AUTH (same bytes) -->  <-- the same
 * response, byte for byte, and nothing processed twice. */
static void test_retransmit_auth(void **state)
{
	struct world *w = *state;
	uint8_t first[IKE_MSG_MAX];
	size_t first_len;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), 0);
	memcpy(first, w->out[0].buf, w->out[0].len);
	first_len = w->out[0].len;
	w_rx(w, w->req, w->req_len);		/* the retransmit */
	assert_int_equal(w->nout, 1);
	assert_int_equal(w->out[0].len, first_len);
	assert_memory_equal(w->out[0].buf, first, first_len);
	assert_int_equal(w_count(w, CNT_IKE_RETRANSMIT_ANSWERED), 1);
	assert_int_equal(w_count(w, CNT_IKE_SA_ESTABLISHED), 1);
	assert_int_equal(w_count(w, CNT_CHILD_SA_ESTABLISHED), 1);
	check_established(w, &x);
	ini_free(&x);
}

/* A retransmitted IKE_SA_INIT gets the cached answer too. */
static void test_retransmit_sa_init(void **state)
{
	struct world *w = *state;
	uint8_t first[IKE_MSG_MAX];
	size_t first_len;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	memcpy(first, w->out[0].buf, w->out[0].len);
	first_len = w->out[0].len;
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_memory_equal(w->out[0].buf, first, first_len);
	assert_int_equal(ike_sa_count(&w->h), 1);
	assert_int_equal(ike_sa_half_open_count(&w->h), 1);
	ini_free(&x);
}

/* IKE_AUTH { ..., TSi(198.18.0.0/24) } -->  <-- { IDr, AUTH,
 * N(TS_UNACCEPTABLE) }: the IKE SA stands, no Child SA. */
static void test_ts_unacceptable(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	c.tsi[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.eport = 0xffff, .start = { 198, 18, 0, 0 },
		.end = { 198, 18, 0, 255 } };
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), IKE_N_TS_UNACCEPTABLE);
	assert_int_equal(ike_sa_count(&w->h), 1);
	assert_int_equal(child_sa_count(&w->h), 0);
	ini_free(&x);
}

/* IKE_AUTH { ..., CP(CFG_REQUEST(INTERNAL_IP4_ADDRESS)), TSi(0/0) } -->
 *   <-- { CP(CFG_REPLY(10.3.0.1)), TSi(10.3.0.1/32), ... }
 * (the pool 10.3.0.0/24 hands out .1 to .254) */
static void test_cp_address(void **state)
{
	struct world *w = *state;
	static const uint8_t want[4] = { 10, 3, 0, 1 };
	struct ini x, y;
	struct ini_conf c;
	struct child_sa *cs;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "carol secret", "carol.example.org");
	c.cp_request = true;
	c.tsi[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.eport = 0xffff, .start = { 0, 0, 0, 0 },
		.end = { 255, 255, 255, 255 } };
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), 0);
	assert_true(x.have_vip);
	assert_memory_equal(x.vip, want, 4);
	cs = child_sa_find(&w->h, x.child[0].spi_r);
	assert_non_null(cs);
	assert_int_equal(cs->csa_nts_remote, 1);
	assert_memory_equal(cs->csa_ts_remote[0].start, want, 4);
	assert_memory_equal(cs->csa_ts_remote[0].end, want, 4);
	/* a second client gets the next address */
	c.spi++;
	c.seed++;
	assert_int_equal(ini_init(&y, &c), 0);
	assert_int_equal(w_establish(w, &y), 0);
	assert_true(y.have_vip);
	assert_int_equal(y.vip[3], 2);
	ini_free(&x);
	ini_free(&y);
}

/* IKE_AUTH { ..., N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED) } -->
 *   <-- { ..., N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED) }   (RFC 6311) */
static void test_msgid_sync_echo(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;
	struct ike_sa *sa;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	c.msgid_sync = true;
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), 0);
	assert_true(x.msgid_sync_echoed);
	sa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(sa);
	assert_true(sa->sa_flags & IKE_SA_F_MSGID_SYNC);
	ini_free(&x);
	/* without it, no echo */
	c.msgid_sync = false;
	c.spi++;
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), 0);
	assert_false(x.msgid_sync_echoed);
	ini_free(&x);
}

/* RFC 7296 2.4: INITIAL_CONTACT forgets the other IKE SAs (and their
 * Child SAs) of the same connection and peer ID, nobody else's. */
static void establish_as(struct world *w, struct ini *x, const char *who,
			 const char *key, uint64_t spi, bool ic)
{
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", key,
		   who);
	c.spi = spi;
	c.initial_contact = ic;
	c.seed = (uint8_t)spi;
	if (!strcmp(who, "carol.example.org")) {	/* a pool address */
		c.cp_request = true;
		c.tsi[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
			.eport = 0xffff, .start = { 0, 0, 0, 0 },
			.end = { 255, 255, 255, 255 } };
	}
	assert_int_equal(ini_init(x, &c), 0);
	assert_int_equal(w_establish(w, x), 0);
}

static void test_initial_contact(void **state)
{
	struct world *w = *state;
	struct ini a[3], carol, again;
	unsigned i;

	for (i = 0; i < 3; i++)
		establish_as(w, &a[i], alice, psk, 0x100 + i, false);
	establish_as(w, &carol, "carol.example.org", "carol secret", 0x200,
		     false);
	assert_int_equal(ike_sa_count(&w->h), 4);
	assert_int_equal(child_sa_count(&w->h), 4);
	/* alice restarted: her new SA says it is her only one */
	establish_as(w, &again, alice, psk, 0x300, true);
	assert_int_equal(w_count(w, CNT_IKE_INITIAL_CONTACT), 3);
	assert_int_equal(ike_sa_count(&w->h), 2);
	assert_int_equal(child_sa_count(&w->h), 2);
	for (i = 0; i < 3; i++) {
		assert_null(ike_sa_find(&w->h, a[i].rspi));
		assert_null(child_sa_find(&w->h, a[i].child[0].spi_r));
		ini_free(&a[i]);
	}
	assert_non_null(ike_sa_find(&w->h, again.rspi));
	assert_non_null(ike_sa_find(&w->h, carol.rspi));
	assert_non_null(child_sa_find(&w->h, carol.child[0].spi_r));
	/* nothing was sent to the forgotten SAs' peer (no DELETE) */
	assert_int_equal(w->nout, 1);	/* just the IKE_AUTH answer */
	/* a second INITIAL_CONTACT finds nothing more */
	assert_int_equal(ike_sa_initial_contact(&w->h,
			 ike_sa_find(&w->h, again.rspi)), 0);
	ini_free(&again);
	ini_free(&carol);
}

/* Cluster mode: deletes wait for replication; a second INITIAL_CONTACT
 * (or any other local delete) meanwhile must not submit a second delete
 * of the same SA, whose commit would then touch a freed SA. */
struct held {
	void (*done[8])(void *, int);
	void *arg[8];
	unsigned n, deletes;
};

static int hold_submit(void *ctx, const struct sa_update *u,
		       void (*done)(void *arg, int status), void *arg)
{
	struct held *hd = ctx;

	if (hd->n == 8)
		return -ENOBUFS;
	if (u->kind == SA_UPD_IKE_SA_DELETE)
		hd->deletes++;
	hd->done[hd->n] = done;
	hd->arg[hd->n++] = arg;
	return 0;
}

static void test_initial_contact_pending(void **state)
{
	struct world *w = *state;
	struct ini a[2], again;
	struct held hd = { .n = 0 };
	struct sa_replicator r = { .submit = hold_submit, .ctx = &hd };
	struct ike_sa *sa;
	unsigned i;

	for (i = 0; i < 2; i++)
		establish_as(w, &a[i], alice, psk, 0x100 + i, false);
	establish_as(w, &again, alice, psk, 0x300, false);
	sa = ike_sa_find(&w->h, again.rspi);
	sa_set_replicator(&w->h, &r);
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), 2);
	assert_int_equal(ike_sa_initial_contact(&w->h, sa), 0);
	ike_sa_delete_local(&w->h, ike_sa_find(&w->h, a[0].rspi), "test");
	assert_int_equal(hd.deletes, 2);
	assert_int_equal(ike_sa_count(&w->h), 3);	/* not committed yet */
	for (i = 0; i < hd.n; i++)
		hd.done[i](hd.arg[i], 0);
	assert_int_equal(ike_sa_count(&w->h), 1);
	sa_set_replicator(&w->h, NULL);
	for (i = 0; i < 2; i++)
		ini_free(&a[i]);
	ini_free(&again);
}

/* A reload while IKE_AUTH's update is still replicating: the old conf
 * stays until the update is done, the new SA ends up on the new conf's
 * connection (by name), and the old conf is freed then (ASan would see
 * a use after free otherwise). */
static void test_reload_while_replicating(void **state)
{
	struct world *w = *state;
	struct held hd = { .n = 0 };
	struct sa_replicator r = { .submit = hold_submit, .ctx = &hd };
	struct conf *old = w->h.conf, *nc;
	char err[1024];
	struct ini x;
	struct ini_conf c;
	struct ike_sa *sa;

	sa_set_replicator(&w->h, &r);
	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(hd.n, 1);		/* IKE_SA_INIT held */
	hd.done[0](hd.arg[0], 0);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(ini_auth(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(hd.n, 2);		/* IKE_AUTH held */
	/* SIGHUP now */
	nc = conf_load_string("reload.yaml", yaml, err, sizeof(err));
	assert_non_null(nc);
	w->h.conf = nc;
	sa_conf_swapped(&w->h, old);
	sa_conf_release(&w->h, old);		/* retired, not freed */
	assert_int_equal(w->h.ike_sas->nretired, 1);
	hd.done[1](hd.arg[1], 0);		/* IKE_AUTH commits */
	assert_int_equal(w->h.ike_sas->nretired, 0);	/* freed now */
	sa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(sa);
	assert_int_equal(sa->sa_state, IKE_SA_ESTABLISHED);
	assert_ptr_equal(sa->sa_conn, &nc->conns[0]);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_auth_resp(&x, w->out[0].buf, w->out[0].len), 0);
	sa_set_replicator(&w->h, NULL);
	ini_free(&x);
}

/* A tampered IKE_AUTH fails its ICV and is dropped, the SA stays
 * half-open and the genuine one still works. */
static void test_bad_icv(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256-sha256-modp2048", "aes128-sha256", psk, alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len), 0);
	assert_int_equal(ini_auth(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w->req[w->req_len - 1] ^= 0x80;
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 0);
	assert_int_equal(w_count(w, CNT_DROP_IKE_ICV), 1);
	w->req[w->req_len - 1] ^= 0x80;
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_auth_resp(&x, w->out[0].buf, w->out[0].len), 0);
	ini_free(&x);
}

/* A half-open SA whose IKE_AUTH never comes is gone after 30 s. */
static void test_half_open_timeout(void **state)
{
	struct world *w = *state;
	struct ike_sa *sa;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len), 0);
	sa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(sa);
	w->now_s += 29;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(ike_sa_count(&w->h), 1);
	w->now_s += 2;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(ike_sa_half_open_count(&w->h), 0);
	ini_free(&x);
}

/* log.keylog: one line per IKE SA for Wireshark's IKEv2 decryption
 * table: SPIs, SK_ei, SK_er, "cipher", SK_ai, SK_ar, "integrity". */
static void test_keylog(void **state)
{
	struct world *w = *state;
	char path[] = "/tmp/hike-keylog-XXXXXX", line[1024], want[256];
	struct ini x;
	struct ini_conf c;
	size_t i, o;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	snprintf(w->h.conf->log.keylog, sizeof(w->h.conf->log.keylog), "%s", path);
	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", psk,
		   alice);
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	o = (size_t)snprintf(want, sizeof(want), "%016llx,%016llx,",
			     (unsigned long long)x.ispi,
			     (unsigned long long)x.rspi);
	for (i = 0; i < x.keys.e_len; i++)
		o += (size_t)snprintf(want + o, sizeof(want) - o, "%02x",
				      x.keys.sk_ei[i]);
	assert_memory_equal(line, want, o);
	assert_non_null(strstr(line, ",\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n"));
	ini_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_x25519_aes256gcm16, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modp2048_aes256_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecp256_aes128_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_ke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_proposal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_psk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_sa_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ts_unacceptable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cp_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgid_sync_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_icv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keylog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_contact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_contact_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_while_replicating, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
