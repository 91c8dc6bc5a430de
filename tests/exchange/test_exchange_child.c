/*
 * After IKE_AUTH: CREATE_CHILD_SA (new Child SA, Child rekey with and
 * without PFS, IKE SA rekey), INFORMATIONAL deletes, and DPD started by
 * the responder under a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"
#include "sa/exchange.h"

static const char yaml[] =
	"ike: { retransmit_base: 100ms, retransmit_tries: 2 }\n"
	"connections:\n"
	"  - name: site\n"
	"    local_addrs: [192.0.2.10]\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:alice.example.org\n"
	"    auth: psk\n"
	"    psk: 'a shared secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519, aes256-sha256-modp2048]\n"
	"    esp_proposals: [aes256gcm16-x25519, aes256gcm16, aes128-sha256]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n"
	"    dpd_delay: 30s\n";

struct t {
	struct world *w;
	struct ini x;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct ini_conf c;

	if (!t || !(t->w = world_new(yaml)))
		return -1;
	w_ini_conf(t->w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16-x25519",
		   "a shared secret", "alice.example.org");
	if (ini_init(&t->x, &c) || w_establish(t->w, &t->x))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	ini_free(&t->x);
	world_free(t->w);
	free(t);
	return 0;
}

/* Send a CREATE_CHILD_SA and process the answer. */
static int child_exchange(struct t *t, int kind, unsigned idx, bool pfs)
{
	struct world *w = t->w;

	if (ini_create_child(&t->x, kind, idx, pfs, w->req, sizeof(w->req),
			     &w->req_len))
		return -100;
	w_rx(w, w->req, w->req_len);
	if (w->nout != 1)
		return -101;
	return ini_create_child_resp(&t->x, w->out[0].buf, w->out[0].len);
}

static int info_exchange(struct t *t, struct ini *x, bool del_ike, int child)
{
	struct world *w = t->w;

	if (ini_info(x, del_ike, child, w->req, sizeof(w->req), &w->req_len))
		return -100;
	w_rx(w, w->req, w->req_len);
	if (w->nout != 1)
		return -101;
	return ini_info_resp(x, w->out[0].buf, w->out[0].len);
}

/* Both ends hold the same keys for Child SA idx of the initiator. */
static struct child_sa *check_child(struct t *t, unsigned idx)
{
	const struct ini_child *ic = &t->x.child[idx];
	struct child_sa *c = child_sa_find(&t->w->h, ic->spi_r);

	assert_non_null(c);
	assert_int_equal(c->csa_state, CHILD_SA_INSTALLED);
	assert_int_equal(c->csa_spi_out, ic->spi_i);
	assert_int_equal(c->csa_e_len, ic->keys.e_len);
	assert_memory_equal(c->csa_in.ekey, ic->keys.ei, ic->keys.e_len);
	assert_memory_equal(c->csa_out.ekey, ic->keys.er, ic->keys.e_len);
	return c;
}

/* CREATE_CHILD_SA { SA, Ni, TSi, TSr } -->  <-- { SA, Nr, TSi, TSr } */
static void test_new_child(void **state)
{
	struct t *t = *state;

	assert_int_equal(child_exchange(t, INI_NEW_CHILD, 0, false), 0);
	assert_int_equal(t->x.nchild, 2);
	check_child(t, 1);
	assert_int_equal(child_sa_count(&t->w->h), 2);
	assert_int_equal(t->x.child[1].suite.dh, IKE_DH_NONE);
}

/* A retransmitted CREATE_CHILD_SA gets the cached answer; no third SA. */
static void test_retransmit_child(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	size_t len;

	assert_int_equal(child_exchange(t, INI_NEW_CHILD, 0, false), 0);
	len = w->out[0].len;
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 1);
	assert_int_equal(w->out[0].len, len);
	assert_int_equal(child_sa_count(&w->h), 2);
}

static void rekey_child(struct t *t, bool pfs)
{
	uint32_t old_in = t->x.child[0].spi_r;
	struct child_sa *old = child_sa_find(&t->w->h, old_in);

	/* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, [KEi], TSi, TSr } -->
	 *   <-- { SA, Nr, [KEr], TSi, TSr } */
	assert_int_equal(child_exchange(t, INI_REKEY_CHILD, 0, pfs), 0);
	check_child(t, 1);
	assert_int_equal(t->x.child[1].suite.dh, pfs ? IKE_DH_CURVE25519
						      : IKE_DH_NONE);
	assert_int_equal(old->csa_state, CHILD_SA_REKEYED);
	assert_int_equal(child_sa_find(&t->w->h, t->x.child[1].spi_r)->csa_rekey_of,
			 old_in);
	/* INFORMATIONAL { D(ESP, old SPIi) } -->  <-- { D(ESP, old SPIr) } */
	assert_int_equal(info_exchange(t, &t->x, false, 0), 0);
	assert_int_equal(t->x.ndeleted, 1);
	assert_int_equal(t->x.deleted_spis[0], old_in);
	assert_null(child_sa_find(&t->w->h, old_in));
	assert_int_equal(child_sa_count(&t->w->h), 1);
	assert_int_equal(w_count(t->w, CNT_CHILD_SA_REKEYED), 1);
}

static void test_rekey_child(void **state)
{
	rekey_child(*state, false);
}

static void test_rekey_child_pfs(void **state)
{
	rekey_child(*state, true);
}

/* CREATE_CHILD_SA { SA(IKE, new SPIi), Ni, KEi } -->
 *   <-- { SA(IKE, new SPIr), Nr, KEr }
 * then on the old SA: INFORMATIONAL { D(IKE) } -->  <-- { } */
static void test_rekey_ike(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	uint64_t old_rspi = t->x.rspi;
	struct ini old = t->x;
	struct ike_sa *osa = ike_sa_find(&w->h, old_rspi), *nsa;

	old.kex = old.pend_kex = NULL;	/* owned by t->x */
	old.msg1 = old.msg2 = NULL;
	assert_non_null(osa);
	assert_int_equal(child_exchange(t, INI_REKEY_IKE, 0, true), 0);
	old.msgid++;		/* the rekey used one ID on the old SA */
	old.iv_seq++;		/* and one AEAD IV */
	assert_int_not_equal(t->x.rspi, old_rspi);
	assert_int_equal(osa->sa_state, IKE_SA_REKEYED);
	nsa = ike_sa_find(&w->h, t->x.rspi);
	assert_non_null(nsa);
	assert_int_equal(nsa->sa_state, IKE_SA_ESTABLISHED);
	assert_int_equal(nsa->sa_ispi, t->x.ispi);
	assert_memory_equal(nsa->sa_keys.sk_ei, t->x.keys.sk_ei, t->x.keys.e_len);
	assert_non_null(nsa->sa_children);	/* moved over (2.18) */
	assert_null(osa->sa_children);
	assert_int_equal(ike_sa_count(&w->h), 2);
	/* the initiator deletes the old SA */
	assert_int_equal(info_exchange(t, &old, true, -1), 0);
	assert_null(ike_sa_find(&w->h, old_rspi));
	assert_int_equal(ike_sa_count(&w->h), 1);
	assert_int_equal(child_sa_count(&w->h), 1);
	/* the new SA works: INFORMATIONAL { } -->  <-- { } */
	assert_int_equal(info_exchange(t, &t->x, false, -1), 0);
	check_child(t, 0);
	ini_free(&old);
}

/* INFORMATIONAL { D(ESP) } of the only Child SA; the IKE SA stays. */
static void test_delete_child(void **state)
{
	struct t *t = *state;

	assert_int_equal(info_exchange(t, &t->x, false, 0), 0);
	assert_int_equal(t->x.ndeleted, 1);
	assert_int_equal(t->x.deleted_spis[0], t->x.child[0].spi_r);
	assert_int_equal(child_sa_count(&t->w->h), 0);
	assert_int_equal(ike_sa_count(&t->w->h), 1);
	/* deleting it again: answered, nothing named (RFC 7296 1.4.1) */
	assert_int_equal(info_exchange(t, &t->x, false, 0), 0);
	assert_int_equal(t->x.ndeleted, 0);
}

/* INFORMATIONAL { D(IKE) } -->  <-- { }, and everything is gone. */
static void test_delete_ike(void **state)
{
	struct t *t = *state;

	assert_int_equal(info_exchange(t, &t->x, true, -1), 0);
	assert_int_equal(ike_sa_count(&t->w->h), 0);
	assert_int_equal(child_sa_count(&t->w->h), 0);
	assert_int_equal(w_count(t->w, CNT_IKE_SA_DELETED), 1);
}

/* dpd_delay of silence:  <-- INFORMATIONAL { }  (our request #0)
 * answered --> { }: the SA lives; unanswered: retransmitted
 * retransmit_tries times, then deleted locally. */
static void test_dpd(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	struct ike_sa *sa = ike_sa_find(&w->h, t->x.rspi);
	uint8_t ans[IKE_MSG_MAX], ndel = 9;
	size_t ans_len;

	w->now_s += 10;
	w->nout = 0;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(w->nout, 0);		/* not silent long enough */
	w->now_s += 21;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(w->nout, 1);
	assert_int_equal(sa->sa_req.kind, IKE_REQ_DPD);
	assert_int_equal(ini_answer(&t->x, w->out[0].buf, w->out[0].len, ans,
				    sizeof(ans), &ans_len, &ndel), 0);
	assert_int_equal(ndel, 0);
	w_rx(w, ans, ans_len);
	assert_int_equal(sa->sa_req.kind, IKE_REQ_NONE);
	assert_int_equal(sa->sa_our_next, 1);
	/* silence again, and this time nobody answers */
	w->now_s += 31;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(w->nout, 1);
	assert_int_equal(sa->sa_req.msgid, 1);
	w->now_s += 1;
	ike_sa_timer_fire(&w->h, sa);		/* retransmit 1 */
	assert_int_equal(w->nout, 2);
	assert_memory_equal(w->out[1].buf, w->out[0].buf, w->out[0].len);
	w->now_s += 1;
	ike_sa_timer_fire(&w->h, sa);		/* retransmit 2 */
	assert_int_equal(w->nout, 3);
	w->now_s += 1;
	ike_sa_timer_fire(&w->h, sa);		/* gives up */
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(child_sa_count(&w->h), 0);
	assert_int_equal(w_count(w, CNT_IKE_DPD_TIMEOUT), 1);
}

/* A message ID from the future is dropped, one from the past without a
 * cached answer too. */
static void test_msgid_window(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;

	t->x.msgid += 5;
	assert_int_equal(ini_info(&t->x, false, -1, w->req, sizeof(w->req),
				  &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	assert_int_equal(w->nout, 0);
	assert_int_equal(w_count(w, CNT_DROP_IKE_BAD_MSGID), 1);
	t->x.msgid -= 5;
	assert_int_equal(info_exchange(t, &t->x, false, -1), 0);
}

/* child_rekey (50 min by default) passes:
 *   <-- CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr }   (ours #0)
 *   --> { SA, Nr, TSi, TSr }
 *   <-- INFORMATIONAL { D(ESP, old) }                        (ours #1)
 *   --> { } */
static void test_responder_rekeys_child(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	struct ike_sa *sa = ike_sa_find(&w->h, t->x.rspi);
	uint8_t ans[IKE_MSG_MAX], ndel = 0;
	size_t ans_len;
	uint32_t old_in = t->x.child[0].spi_r;

	w->now_s += 50 * 60 + 1;
	w->nout = 0;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(w->nout, 1);
	assert_int_equal(sa->sa_req.kind, IKE_REQ_REKEY_CHILD);
	assert_int_equal(ini_answer_child(&t->x, w->out[0].buf, w->out[0].len,
					  ans, sizeof(ans), &ans_len), 0);
	w_rx(w, ans, ans_len);
	assert_int_equal(t->x.nchild, 2);
	check_child(t, 1);
	assert_int_equal(child_sa_find(&w->h, old_in)->csa_state,
			 CHILD_SA_REKEYED);
	/* the DELETE of the old one went out right away */
	assert_int_equal(w->nout, 1);
	assert_int_equal(sa->sa_req.kind, IKE_REQ_DELETE_CHILD);
	assert_int_equal(ini_answer(&t->x, w->out[0].buf, w->out[0].len, ans,
				    sizeof(ans), &ans_len, &ndel), 0);
	assert_int_equal(ndel, 1);
	w_rx(w, ans, ans_len);
	assert_null(child_sa_find(&w->h, old_in));
	assert_int_equal(child_sa_count(&w->h), 1);
	assert_int_equal(sa->sa_req.kind, IKE_REQ_NONE);
}

/* RFC 7296 2.8.1: both ends rekey the same Child SA at once.  The
 * exchange holding the lowest of the four nonces created the redundant
 * SA; if that is ours we delete our new SA, else the old one. */
static bool rekey_collision(struct t *t, uint32_t rnd)
{
	struct world *w = t->w;
	struct ike_sa *sa = ike_sa_find(&w->h, t->x.rspi);
	uint8_t req[IKE_MSG_MAX], ans[IKE_MSG_MAX], pt[IKE_MSG_MAX];
	uint8_t ours[16], peers[16];
	size_t req_len, ans_len;
	uint32_t old_in = t->x.child[0].spi_r, want, got;
	struct ike_msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	w->now_s += 50 * 60 + 1;
	w->nout = 0;
	w->rnd = rnd;				/* varies our nonce */
	ike_sa_timer_fire(&w->h, sa);		/* <-- our rekey of C */
	assert_int_equal(w->nout, 1);
	memcpy(req, w->out[0].buf, w->out[0].len);
	req_len = w->out[0].len;
	/* --> the peer's rekey of C crosses it; we answer it */
	assert_int_equal(child_exchange(t, INI_REKEY_CHILD, 0, false), 0);
	assert_int_equal(child_sa_find(&w->h, old_in)->csa_state,
			 CHILD_SA_REKEYED);
	/* --> the peer answers ours */
	assert_int_equal(ini_answer_child(&t->x, req, req_len, ans, sizeof(ans),
					  &ans_len), 0);
	w_rx(w, ans, ans_len);
	assert_int_equal(child_sa_count(&w->h), 3);
	assert_int_equal(w->nout, 1);		/* <-- D(ESP, loser) */
	rekey_nonce_min(t->x.ans_ni, 32, t->x.ans_nr, 32, ours);
	rekey_nonce_min(t->x.pend_ni, 32, t->x.last_nr, 32, peers);
	want = memcmp(ours, peers, 16) < 0 ? t->x.child[2].spi_r : old_in;
	assert_int_equal(ini_open(&t->x, w->out[0].buf, w->out[0].len, m, pt,
				  sizeof(pt)), 0);
	assert_int_equal(m->ndelete, 1);
	assert_int_equal(m->del[0].nspi, 1);
	got = (uint32_t)m->del[0].spis[0] << 24 | (uint32_t)m->del[0].spis[1] << 16 |
	      (uint32_t)m->del[0].spis[2] << 8 | m->del[0].spis[3];
	assert_int_equal(got, want);
	free(m);
	return want == old_in;
}

/* Both outcomes of a collision, over a few nonces (each on a fresh
 * world): one(t, rnd) says whether ours survived. */
static void both_outcomes(bool (*one)(struct t *, uint32_t))
{
	bool won = false, lost = false;
	uint32_t rnd;
	void *st;

	for (rnd = 1; rnd < 32 && !(won && lost); rnd++) {
		assert_int_equal(setup(&st), 0);
		if (one(st, rnd))
			won = true;
		else
			lost = true;
		teardown(&st);
	}
	assert_true(won);
	assert_true(lost);
}

static void test_rekey_collision(void **state)
{
	(void)state;
	both_outcomes(rekey_collision);
}

static uint64_t hdr_spi(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* RFC 7296 2.8.2: both ends rekey the IKE SA O at once.
 *   <-- CREATE_CHILD_SA { SA(IKE), Ni, KEi }    our rekey of O (-> N_o)
 *   --> CREATE_CHILD_SA { SA(IKE), Ni, KEi }    the peer's (-> N_p), answered
 *   --> answer to ours
 * The exchange with the lowest nonce made the redundant SA, which its
 * initiator deletes; the survivor's initiator deletes O, and the Child
 * SAs live on the survivor.  Returns true when ours (N_o) survived. */
static bool ike_rekey_collision(struct t *t, uint32_t rnd)
{
	struct world *w = t->w;
	struct ike_sa *o = ike_sa_find(&w->h, t->x.rspi), *n_o, *n_p;
	uint8_t q[IKE_MSG_MAX], r1[IKE_MSG_MAX], a[IKE_MSG_MAX], p1[IKE_MSG_MAX];
	uint8_t ours[16], peers[16];
	size_t q_len, r1_len, a_len, p1_len;
	uint64_t o_i = o->sa_ispi, o_r = o->sa_rspi;
	uint32_t child = t->x.child[0].spi_r;
	struct child_sa *c;
	bool won;

	for (c = o->sa_children; c; c = c->csa_next)
		c->csa_rekey_ms = c->csa_expire_ms = 0;	/* IKE rekey first */
	w->now_s = o->sa_rekey_ms / 1000 + 1;
	w->nout = 0;
	w->rnd = rnd;				/* varies our nonces */
	ike_sa_timer_fire(&w->h, o);		/* <-- our rekey of O */
	assert_int_equal(w->nout, 1);
	assert_int_equal(o->sa_req.kind, IKE_REQ_REKEY_IKE);
	memcpy(q, w->out[0].buf, w->out[0].len);
	q_len = w->out[0].len;
	/* the peer builds its rekey of O and its answer to ours, both under
	 * O's keys, before it sees anything of ours */
	assert_int_equal(ini_create_child(&t->x, INI_REKEY_IKE, 0, true, r1,
					  sizeof(r1), &r1_len), 0);
	assert_int_equal(ini_answer_ike_rekey(&t->x, q, q_len, a, sizeof(a),
					      &a_len), 0);
	/* --> the peer's rekey reaches us while ours is out: answered */
	w->nout = 0;
	w_rx(w, r1, r1_len);
	assert_int_equal(w->nout, 1);
	memcpy(p1, w->out[0].buf, w->out[0].len);
	p1_len = w->out[0].len;
	assert_int_equal(o->sa_state, IKE_SA_REKEYED);
	/* --> the peer's answer to ours: the collision */
	w->nout = 0;
	w_rx(w, a, a_len);
	assert_int_equal(ini_create_child_resp(&t->x, p1, p1_len), 0);
	n_p = ike_sa_find(&w->h, t->x.rspi);	/* the peer is on N_p now */
	assert_non_null(n_p);
	rekey_nonce_min(t->x.ans_ni, 32, t->x.ans_nr, 32, ours);
	rekey_nonce_min(t->x.pend_ni, 32, t->x.last_nr, 32, peers);
	won = memcmp(ours, peers, 16) >= 0;
	/* exactly one request went out: D(IKE) of O if ours survives, of
	 * N_o (its SPIs: we are its initiator) if ours is redundant */
	assert_int_equal(w->nout, 1);
	if (won) {
		assert_int_equal(hdr_spi(w->out[0].buf), o_i);
		assert_int_equal(hdr_spi(w->out[0].buf + 8), o_r);
		assert_int_equal(o->sa_state, IKE_SA_DELETING);
		c = child_sa_find(&w->h, child);
		assert_non_null(c);
		n_o = c->csa_ike;		/* the Child SA moved to N_o */
		assert_int_equal(n_o->sa_rspi, t->x.ans_ike_spi);
		assert_int_equal(n_o->sa_state, IKE_SA_ESTABLISHED);
		assert_int_equal(n_p->sa_state, IKE_SA_REKEYED);
		assert_null(n_p->sa_children);
		/* --> the peer deletes its redundant N_p: the Child SA stays */
		assert_int_equal(info_exchange(t, &t->x, true, -1), 0);
		assert_null(ike_sa_find(&w->h, t->x.rspi));
		assert_ptr_equal(child_sa_find(&w->h, child)->csa_ike, n_o);
	} else {
		assert_int_equal(hdr_spi(w->out[0].buf + 8), t->x.ans_ike_spi);
		assert_int_equal(o->sa_state, IKE_SA_REKEYED);	/* the peer's job */
		n_o = ike_sa_find(&w->h, hdr_spi(w->out[0].buf));
		assert_non_null(n_o);
		assert_int_equal(n_o->sa_state, IKE_SA_DELETING);
		assert_null(n_o->sa_children);
		assert_int_equal(n_p->sa_state, IKE_SA_ESTABLISHED);
		assert_ptr_equal(child_sa_find(&w->h, child)->csa_ike, n_p);
	}
	return won;
}

static void test_ike_rekey_collision(void **state)
{
	(void)state;
	both_outcomes(ike_rekey_collision);
}

/* The IKE SA's hard lifetime (4 h by default):
 *   <-- INFORMATIONAL { D(IKE) }   --> { }   and it is gone. */
static void test_hard_lifetime(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	struct ike_sa *sa = ike_sa_find(&w->h, t->x.rspi);
	uint8_t ans[IKE_MSG_MAX], ndel = 0;
	size_t ans_len;

	sa->sa_rekey_ms = 0;		/* no rekey first: straight to expiry */
	for (struct child_sa *c = sa->sa_children; c; c = c->csa_next)
		c->csa_rekey_ms = c->csa_expire_ms = 0;
	sa->sa_conn = NULL;		/* and no DPD */
	w->now_s += 4 * 3600 + 1;
	w->nout = 0;
	ike_sa_timer_fire(&w->h, sa);
	assert_int_equal(w->nout, 1);
	assert_int_equal(sa->sa_state, IKE_SA_DELETING);
	assert_int_equal(ini_answer(&t->x, w->out[0].buf, w->out[0].len, ans,
				    sizeof(ans), &ans_len, &ndel), 0);
	assert_int_equal(ndel, 1);
	w_rx(w, ans, ans_len);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(child_sa_count(&w->h), 0);
}

/* RFC 7296 2.25: a CREATE_CHILD_SA for an IKE SA we are deleting is
 * answered TEMPORARY_FAILURE, and creates nothing. */
static void test_temporary_failure(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	struct ike_sa *sa = ike_sa_find(&w->h, t->x.rspi);
	size_t nchild = child_sa_count(&w->h);

	w->nout = 0;
	assert_int_equal(ike_sa_start_delete(&w->h, sa), 0);
	assert_int_equal(w->nout, 1);			/* our DELETE */
	assert_int_equal(sa->sa_state, IKE_SA_DELETING);
	w->nout = 0;
	assert_int_equal(child_exchange(t, INI_NEW_CHILD, 0, false),
			 IKE_N_TEMPORARY_FAILURE);
	assert_int_equal(child_sa_count(&w->h), nchild);
	assert_ptr_equal(ike_sa_find(&w->h, t->x.rspi), sa);
}

/* SIGHUP: a new conf replaces the old one, which is freed; the SA now
 * points into the new one and keeps working (valgrind would catch a
 * dangling pointer). */
static void test_conf_reload(void **state)
{
	struct t *t = *state;
	struct world *w = t->w;
	struct conf *old = w->h.conf;
	char err[1024];
	struct ike_sa *sa = ike_sa_find(&w->h, t->x.rspi);

	w->h.conf = conf_load_string("reload.yaml", yaml, err, sizeof(err));
	assert_non_null(w->h.conf);
	sa_conf_swapped(&w->h, old);
	conf_free(old);
	assert_ptr_equal(sa->sa_conn, &w->h.conf->conns[0]);
	assert_int_equal(child_exchange(t, INI_NEW_CHILD, 0, false), 0);
	check_child(t, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_child_pfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_ike, setup, teardown),
		cmocka_unit_test(test_ike_rekey_collision),
		cmocka_unit_test_setup_teardown(test_delete_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_ike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgid_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_rekeys_child, setup, teardown),
		cmocka_unit_test(test_rekey_collision),
		cmocka_unit_test_setup_teardown(test_hard_lifetime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
