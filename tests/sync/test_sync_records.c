/*
 * Records a standby must refuse before any field is used (sync/codec.c
 * sync_record_validate): regressions of what fuzzing the receive path
 * (tests/fuzz/fuzz_sync.c) brought up, so CI keeps them without a
 * fuzzer.
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
	"    ike_proposals: [aes256gcm16-prfsha256-x25519]\n"
	"    esp_proposals: [aes256gcm16]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n";

struct fx {
	struct world *w;
	struct ini x;
	struct ike_sa *sa;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ini_conf c;

	if (!f || !(f->w = world_new(yaml)))
		return -1;
	w_ini_conf(f->w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16",
		   "a shared secret", "alice.example.org");
	if (ini_init(&f->x, &c) || w_establish(f->w, &f->x))
		return -1;
	f->sa = ike_sa_find(&f->w->h, f->x.rspi);
	*state = f;
	return f->sa && f->sa->sa_children ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ini_free(&f->x);
	world_free(f->w);
	free(f);
	return 0;
}

/* rec packed again, as the active would have sent it. */
static HikeSync__Record *repack(HikeSync__Record *rec)
{
	size_t len = hike_sync__record__get_packed_size(rec);
	uint8_t *buf = malloc(len);
	HikeSync__Record *again;

	assert_non_null(buf);
	hike_sync__record__pack(rec, buf);
	again = sync_record_unpack(buf, len);
	free(buf);
	return again;
}

/*
 * Wall-clock times of 2^54 s or so made sa_codec_wall_to_ms() wrap
 * around 2^64: an expiry ~1.8e16 s away became a deadline 384 ms from
 * now, so the SA would die right after a takeover.  Times beyond 2^40 s
 * are refused; the largest one allowed decodes to a far deadline.
 */
static void test_ike_times_bounded(void **state)
{
	struct fx *f = *state;
	uint64_t now_s = f->w->now_s, huge = now_s + 18446744073709552ull;
	uint64_t *field[3];
	struct sa_recs r = { 0 };
	HikeSync__Record *rec, *again;
	struct ike_sa out;

	assert_int_equal(sa_codec_ike_add(&f->w->h, f->sa, &r), 0);
	rec = sync_record_unpack(r.v[0].buf, r.v[0].len);
	assert_non_null(rec);
	field[0] = &rec->ike_sa_add->sa->established_s;
	field[1] = &rec->ike_sa_add->sa->rekey_at_s;
	field[2] = &rec->ike_sa_add->sa->expire_at_s;
	for (int i = 0; i < 3; i++) {
		uint64_t saved = *field[i];

		*field[i] = huge;
		assert_int_equal(sync_record_validate(rec), -EINVAL);
		assert_null(repack(rec));
		*field[i] = saved;
	}
	/* the edge: accepted, and far away, not wrapped */
	rec->ike_sa_add->sa->expire_at_s = 1ull << 40;
	again = repack(rec);
	assert_non_null(again);
	assert_int_equal(sa_codec_ike_decode(&f->w->h, again->ike_sa_add->sa,
					     &out), 0);
	assert_true(out.sa_expire_ms > sa_now_ms(&f->w->h) +
		    1000ull * 1000 * 86400 * 365);
	ike_pkts_free(&out.sa_resp);
	sync_record_free(again);
	sync_record_free(rec);
	sa_recs_free(&r);
}

static void test_child_times_bounded(void **state)
{
	struct fx *f = *state;
	uint64_t huge = f->w->now_s + 18446744073709552ull;
	struct sa_recs r = { 0 };
	HikeSync__Record *rec;
	HikeSync__ChildSaState *s;
	uint64_t saved;

	assert_int_equal(sa_codec_child_add(&f->w->h, f->sa->sa_children,
					    sa_codec_ike_id(f->sa), 0, &r), 0);
	rec = sync_record_unpack(r.v[0].buf, r.v[0].len);
	assert_non_null(rec);
	s = rec->child_sa_add->sa;
	assert_non_null(s->lifetimes);
	saved = s->created_s;
	s->created_s = huge;
	assert_null(repack(rec));
	s->created_s = saved;
	saved = s->lifetimes->soft_s;
	s->lifetimes->soft_s = huge;
	assert_null(repack(rec));
	s->lifetimes->soft_s = saved;
	s->lifetimes->hard_s = huge;
	assert_int_equal(sync_record_validate(rec), -EINVAL);
	assert_null(repack(rec));
	sync_record_free(rec);
	sa_recs_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ike_times_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_times_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
