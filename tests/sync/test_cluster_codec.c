/*
 * sync/sa_codec.c: an established IKE SA and its Child SA encode ->
 * protobuf pack -> unpack -> validate -> decode back to the same values;
 * inconsistent records are refused by the decoders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../exchange/harness.h"
#include "sa_codec.h"
#include "sync.h"

static const char yaml[] =
	"connections:\n"
	"  - name: site\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:alice.example.org\n"
	"    auth: psk\n"
	"    psk: 'a shared secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519, aes256-sha256-modp2048]\n"
	"    esp_proposals: [aes256gcm16, aes256-sha256]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n"
	"    pools: [203.0.113.200-203.0.113.207]\n"
	"    ike_lifetime: 3h\n";

struct fx {
	struct world *w;
	struct ini x;
	struct ike_sa *sa;
};

static int setup_with(void **state, const char *ike, const char *esp)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ini_conf c;

	f->w = world_new(yaml);
	if (!f->w)
		return -1;
	w_ini_conf(f->w, &c, ike, esp, "a shared secret", "alice.example.org");
	c.msgid_sync = true;
	c.cp_request = true;
	if (ini_init(&f->x, &c) || w_establish(f->w, &f->x))
		return -1;
	f->sa = ike_sa_find(&f->w->h, f->x.rspi);
	*state = f;
	return f->sa ? 0 : -1;
}

static int setup_gcm(void **state)
{
	return setup_with(state, "aes256gcm16-prfsha256-x25519", "aes256gcm16");
}

static int setup_cbc(void **state)
{
	return setup_with(state, "aes256-sha256-modp2048", "aes256-sha256");
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ini_free(&f->x);
	world_free(f->w);
	free(f);
	return 0;
}

/* Pack -> unpack -> validate: what a standby gets. */
static HikeSync__Record *wire(const struct sa_rec *r)
{
	HikeSync__Record *rec = sync_record_unpack(r->buf, r->len);

	assert_non_null(rec);
	return rec;
}

static void test_ike_round_trip(void **state)
{
	struct fx *f = *state;
	struct sa_recs r = { 0 };
	HikeSync__Record *rec;
	struct ike_sa out;

	assert_int_equal(sa_codec_ike_add(&f->w->h, f->sa, &r), 0);
	assert_int_equal(r.n, 1);
	rec = wire(&r.v[0]);
	assert_int_equal(rec->kind_case, HIKE_SYNC__RECORD__KIND_IKE_SA_ADD);
	assert_int_equal(sa_codec_ike_decode(&f->w->h, rec->ike_sa_add->sa, &out), 0);
	assert_int_equal(out.sa_ispi, f->sa->sa_ispi);
	assert_int_equal(out.sa_rspi, f->sa->sa_rspi);
	assert_int_equal(out.sa_state, f->sa->sa_state);
	assert_memory_equal(&out.sa_suite, &f->sa->sa_suite, sizeof(out.sa_suite));
	assert_memory_equal(&out.sa_keys, &f->sa->sa_keys, sizeof(out.sa_keys));
	assert_memory_equal(&out.sa_local, &f->sa->sa_local, sizeof(out.sa_local));
	assert_memory_equal(&out.sa_remote, &f->sa->sa_remote, sizeof(out.sa_remote));
	assert_ptr_equal(out.sa_conn, f->sa->sa_conn);
	assert_int_equal(out.sa_flags & ~IKE_SA_F_SIG_HASH,
			 f->sa->sa_flags & ~(IKE_SA_F_SIG_HASH | IKE_SA_F_BUSY));
	assert_true(out.sa_flags & IKE_SA_F_MSGID_SYNC);
	assert_int_equal(out.sa_peer_next, f->sa->sa_peer_next);
	assert_int_equal(out.sa_our_next, f->sa->sa_our_next);
	assert_int_equal(out.sa_resp.len, f->sa->sa_resp.len);
	assert_memory_equal(out.sa_resp.buf, f->sa->sa_resp.buf, out.sa_resp.len);
	assert_int_equal(out.sa_lease_pool, f->sa->sa_lease_pool);
	assert_memory_equal(out.sa_lease, f->sa->sa_lease, 16);
	assert_int_equal(out.sa_peer_id_len, f->sa->sa_peer_id_len);
	assert_int_equal(out.sa_expire_ms, f->sa->sa_expire_ms);
	ike_pkts_free(&out.sa_resp);
	sync_record_free(rec);
	sa_recs_free(&r);
}

static void test_child_round_trip(void **state)
{
	struct fx *f = *state;
	struct child_sa *c = f->sa->sa_children, out;
	struct sa_recs r = { 0 };
	HikeSync__Record *rec;

	assert_non_null(c);
	c->csa_seq_resv = 4242;
	c->csa_seq_in = 17;
	assert_int_equal(sa_codec_child_add(&f->w->h, c, sa_codec_ike_id(f->sa),
					    0, &r), 0);
	rec = wire(&r.v[0]);
	assert_int_equal(sa_codec_child_decode(&f->w->h, rec->child_sa_add->sa,
					       &out), 0);
	assert_int_equal(out.csa_spi_in, c->csa_spi_in);
	assert_int_equal(out.csa_spi_out, c->csa_spi_out);
	assert_memory_equal(&out.csa_suite, &c->csa_suite, sizeof(out.csa_suite));
	assert_memory_equal(&out.csa_in, &c->csa_in, sizeof(out.csa_in));
	assert_memory_equal(&out.csa_out, &c->csa_out, sizeof(out.csa_out));
	assert_int_equal(out.csa_nts_local, c->csa_nts_local);
	assert_memory_equal(out.csa_ts_local, c->csa_ts_local,
			    c->csa_nts_local * sizeof(struct ike_ts));
	assert_memory_equal(out.csa_ts_remote, c->csa_ts_remote,
			    c->csa_nts_remote * sizeof(struct ike_ts));
	assert_int_equal(out.csa_transport, c->csa_transport);
	assert_int_equal(out.csa_seq_resv, 4242);
	assert_int_equal(out.csa_seq_in, 17);
	assert_int_equal(out.csa_expire_ms, c->csa_expire_ms);
	sync_record_free(rec);
	sa_recs_free(&r);
}

/* Each mutation of a valid record must be refused by the decoder. */
static void test_malformed(void **state)
{
	struct fx *f = *state;
	struct sa_recs r = { 0 };
	HikeSync__Record *rec;
	HikeSync__IkeSaState *s;
	struct ike_sa out;
	size_t saved;

	assert_int_equal(sa_codec_ike_add(&f->w->h, f->sa, &r), 0);
	rec = wire(&r.v[0]);
	s = rec->ike_sa_add->sa;
	/* SK_ei shorter than the suite's key */
	saved = s->keys->sk_ei.len;
	s->keys->sk_ei.len--;
	assert_int_equal(sa_codec_ike_decode(&f->w->h, s, &out), -EINVAL);
	s->keys->sk_ei.len = saved;
	/* a connection this node does not have */
	s->conn[0] ^= 1;
	assert_int_equal(sa_codec_ike_decode(&f->w->h, s, &out), -ENOENT);
	s->conn[0] ^= 1;
	/* ike_id names neither SPI */
	s->ike_id ^= 1;
	assert_int_equal(sa_codec_ike_decode(&f->w->h, s, &out), -EINVAL);
	s->ike_id ^= 1;
	/* cached response for the wrong message ID */
	s->last_response->message_id++;
	assert_int_equal(sa_codec_ike_decode(&f->w->h, s, &out), -EINVAL);
	s->last_response->message_id--;
	/* a half-open state is never replicated */
	s->state = IKE_SA_HALF_OPEN;
	assert_int_equal(sa_codec_ike_decode(&f->w->h, s, &out), -EINVAL);
	s->state = IKE_SA_ESTABLISHED;
	/* a lease outside every pool */
	s->vip.data[3] = 1;
	assert_int_equal(sa_codec_ike_decode(&f->w->h, s, &out), -EINVAL);
	sync_record_free(rec);
	sa_recs_free(&r);
}

static void test_malformed_child(void **state)
{
	struct fx *f = *state;
	struct sa_recs r = { 0 };
	HikeSync__Record *rec;
	HikeSync__ChildSaState *s;
	struct child_sa out;

	assert_int_equal(sa_codec_child_add(&f->w->h, f->sa->sa_children,
					    sa_codec_ike_id(f->sa), 0, &r), 0);
	rec = wire(&r.v[0]);
	s = rec->child_sa_add->sa;
	s->esn = !s->esn;		/* disagrees with the ESN transform */
	assert_int_equal(sa_codec_child_decode(&f->w->h, s, &out), -EINVAL);
	s->esn = !s->esn;
	s->spi_in = 17;			/* RFC 4303 2.1: reserved SPI */
	assert_int_equal(sa_codec_child_decode(&f->w->h, s, &out), -EINVAL);
	sync_record_free(rec);
	sa_recs_free(&r);
	/* garbage never reaches a decoder */
	assert_null(sync_record_unpack("\x0a\x05\x0a\x03\x08\x01", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ike_round_trip, setup_gcm, teardown),
		cmocka_unit_test_setup_teardown(test_ike_round_trip, setup_cbc, teardown),
		cmocka_unit_test_setup_teardown(test_child_round_trip, setup_gcm, teardown),
		cmocka_unit_test_setup_teardown(test_child_round_trip, setup_cbc, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup_gcm, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_child, setup_cbc, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
