/*
 * hike's codec and SK payload against real strongSwan 5.9.8 traffic
 * (tests/fixtures/, made by tests/fixtures/capture.sh: see its README).
 *
 * For every message of every fixture:
 *   - ike_decode() parses it; a clear message re-encodes byte for byte;
 *   - an encrypted one: sk_open() with the keys charon logged, then
 *     ike_decode_inner(); the inner chain re-encodes byte for byte
 *     (ike_encode_inner), ike_encode() reproduces the clear part, and for
 *     AEAD sk_seal() with strongSwan's IV reproduces the whole message;
 *   - ike_rules_check() accepts it (strongSwan is a conforming peer);
 *   - the payloads each exchange must carry are there.
 * SKF fragments (RFC 7383, strongSwan fragments IKE_AUTH with RSA
 * certificates) are opened one by one, each re-encoded with
 * ike_encode_skf() (and resealed byte-exact for AEAD), reassembled with
 * ike_frag_asm_*() and the whole inner chain checked as above.
 * Then the key schedule: SKEYSEED and SK_* from hike's ike_keys_derive()
 * (and ike_keys_rekey() for a rekeyed IKE SA) equal strongSwan's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hike/ikev2.h"
#include "ike/msg.h"
#include "crypto/keys.h"
#include "crypto/sk.h"
#include "../common/fixture.h"

#define MAX_FIXTURES 32

/* What one fixture run collects for the key-schedule checks. */
struct fx_run {
	char dir[512];
	struct fx_keys keys;
	uint8_t ni[256], nr[256];		/* IKE_SA_INIT */
	size_t ni_len, nr_len;
	uint8_t rk_ni[256], rk_nr[256];		/* CREATE_CHILD_SA rekeying the IKE SA */
	size_t rk_ni_len, rk_nr_len;
	int msgs;
	int resealed;				/* AEAD messages sealed byte-exact */
	int fragments;
	bool certs;				/* cert-* fixture: pubkey AUTH */
	struct ike_frag_asm fa;
	uint8_t fa_buf[IKE_MSG_MAX];
	uint8_t chain[IKE_MSG_MAX];		/* a reassembled inner chain */
};

static const char *exch_file_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_SA_INIT: return "ike_sa_init";
	case IKE_AUTH: return "ike_auth";
	case IKE_CREATE_CHILD_SA: return "create_child_sa";
	case IKE_INFORMATIONAL: return "informational";
	default: return "?";
	}
}

static bool is_response(const struct ike_msg *m)
{
	return m->hdr.flags & IKE_FLAG_RESPONSE;
}

/* The file name says the exchange and who sent it: NN-<exchange>-<i|r>.bin */
static void check_name(const char *name, const struct ike_msg *m)
{
	char want[64];

	snprintf(want, sizeof(want), "-%s-%c.bin", exch_file_name(m->hdr.exchange),
		 m->hdr.flags & IKE_FLAG_INITIATOR ? 'i' : 'r');
	assert_string_equal(name + 2, want);
}

/* The payloads RFC 7296 requires, and what strongSwan always sends. */
static void check_payloads(struct fx_run *r, const struct ike_msg *m)
{
	bool resp = is_response(m);

	switch (m->hdr.exchange) {
	case IKE_SA_INIT:
		/* IKE_SA_INIT { HDR, SAi1, KEi, Ni } <--> { HDR, SAr1, KEr, Nr } */
		assert_int_equal(m->count_clear[IKE_PL_SA], 1);
		assert_int_equal(m->count_clear[IKE_PL_KE], 1);
		assert_int_equal(m->count_clear[IKE_PL_NONCE], 1);
		assert_int_equal(m->sa.prop[0].proto, IKE_PROTO_IKE);
		assert_int_equal(m->ke.group, r->keys.dh);
		assert_true(m->nonce.len <= sizeof(r->ni));
		if (r->certs && resp)
			assert_int_equal(m->count_clear[IKE_PL_CERTREQ], 1);
		memcpy(resp ? r->nr : r->ni, m->nonce.data, m->nonce.len);
		*(resp ? &r->nr_len : &r->ni_len) = m->nonce.len;
		break;
	case IKE_AUTH:
		/* { IDi, [IDr], AUTH, SAi2, TSi, TSr, N(MSG_ID_SYNC_SUP) } -->
		 * <-- { IDr, AUTH, SAr2, TSi, TSr } */
		assert_int_equal(m->count_enc[resp ? IKE_PL_IDR : IKE_PL_IDI], 1);
		assert_int_equal(m->count_enc[IKE_PL_AUTH], 1);
		assert_int_equal(m->count_enc[IKE_PL_SA], 1);
		assert_int_equal(m->count_enc[IKE_PL_TSI], 1);
		assert_int_equal(m->count_enc[IKE_PL_TSR], 1);
		if (r->certs) {
			/* RFC 7427 signatures, as SIGNATURE_HASH_ALGORITHMS
			 * was announced; a CERT since a CERTREQ came */
			assert_int_equal(m->auth.method, IKE_AUTH_DIGITAL_SIG);
			assert_true(m->count_enc[IKE_PL_CERT] >= 1);
		} else {
			assert_int_equal(m->auth.method, IKE_AUTH_PSK);
		}
		if (!resp)
			assert_non_null(ike_msg_notify(m,
				IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED));
		break;
	case IKE_CREATE_CHILD_SA:
		/* { SA, Ni, [KEi], [N(REKEY_SA)], [TSi, TSr] } <--> { SA, Nr, [KEr], ... } */
		assert_int_equal(m->count_enc[IKE_PL_SA], 1);
		assert_int_equal(m->count_enc[IKE_PL_NONCE], 1);
		if (m->sa.prop[0].proto == IKE_PROTO_IKE) {
			assert_int_equal(m->count_enc[IKE_PL_KE], 1);
			assert_int_equal(m->count_enc[IKE_PL_TSI], 0);
			memcpy(resp ? r->rk_nr : r->rk_ni, m->nonce.data,
			       m->nonce.len);
			*(resp ? &r->rk_nr_len : &r->rk_ni_len) = m->nonce.len;
		} else {
			assert_int_equal(m->count_enc[IKE_PL_TSI], 1);
			assert_int_equal(m->count_enc[IKE_PL_TSR], 1);
			if (!resp)
				assert_non_null(ike_msg_notify(m, IKE_N_REKEY_SA));
		}
		break;
	case IKE_INFORMATIONAL:
		/* Delete, or empty (liveness check) */
		assert_true(m->sk.present);
		assert_true(m->ndelete <= 1);
		assert_int_equal(m->count_enc[IKE_PL_DELETE], m->ndelete);
		break;
	default:
		fail_msg("unexpected exchange %u", m->hdr.exchange);
	}
}

/* sk_keys for the sender of m, from the logged keys. */
static void sender_keys(const struct fx_run *r, const struct fx_sa *sa,
			const struct ike_msg *m, struct sk_keys *k)
{
	bool from_i = m->hdr.flags & IKE_FLAG_INITIATOR;

	memset(k, 0, sizeof(*k));
	k->encr = r->keys.encr;
	k->encr_keylen = r->keys.encr_keylen;
	k->integ = r->keys.integ;
	k->ekey = from_i ? sa->sk_ei : sa->sk_er;
	k->ekey_len = from_i ? sa->ei_len : sa->er_len;
	k->akey = from_i ? sa->sk_ai : sa->sk_ar;
	k->akey_len = from_i ? sa->ai_len : sa->ar_len;
}

/* AEAD without padding (what strongSwan sends): sealing out (laid out
 * like buf, plaintext at iv_off) with the wire's IV must give buf. */
static void check_reseal(struct fx_run *r, const struct sk_keys *k,
			 const uint8_t *buf, size_t len, uint8_t *out,
			 size_t cap, size_t sk_off, size_t iv_off, size_t ptlen)
{
	uint64_t iv = 0;
	size_t sealed = 0;

	if (k->integ != IKE_INTEG_NONE ||
	    sk_overhead(k, ptlen) != len - iv_off - ptlen)
		return;
	for (int i = 0; i < 8; i++)
		iv = iv << 8 | buf[iv_off + i];
	assert_int_equal(sk_seal(k, out, cap, sk_off, iv_off, ptlen, iv,
				 &sealed), 0);
	assert_int_equal(sealed, len);
	assert_memory_equal(out, buf, len);
	r->resealed++;
}

/* One SKF fragment: open it, check ike_encode_skf() lays it out as on
 * the wire, hold it; true once the message is complete and its inner
 * chain decoded into m. */
static bool check_fragment(struct fx_run *r, const struct sk_keys *k,
			   const uint8_t *buf, size_t len, struct ike_msg *m)
{
	static uint8_t pt[IKE_MSG_MAX], out[IKE_MSG_MAX];
	struct ike_sk sk;
	size_t ptlen = 0, outlen = 0, chain_len = 0;
	uint8_t first = 0;

	assert_int_equal(sk_open(k, buf, len, m->sk.iv_off, pt, sizeof(pt),
				 &ptlen), 0);
	assert_int_equal(ike_encode_skf(&m->hdr, m->sk.frag_num,
					m->sk.frag_total, m->sk.first, pt,
					ptlen, out, sizeof(out), &sk, &outlen),
			 IKE_OK);
	assert_int_equal(sk.sk_off, m->sk.sk_off);
	assert_int_equal(sk.iv_off, m->sk.iv_off);
	assert_memory_equal(out, buf, 24);
	assert_memory_equal(out + 28, buf + 28, sk.sk_off + 2 - 28);
	assert_memory_equal(out + sk.sk_off + 4, buf + sk.sk_off + 4, 4);
	check_reseal(r, k, buf, len, out, sizeof(out), sk.sk_off, sk.iv_off,
		     ptlen);
	r->fragments++;

	if (r->fa.total == 0 || r->fa.msgid != m->hdr.msgid)
		ike_frag_asm_init(&r->fa, m->hdr.msgid, r->fa_buf,
				  sizeof(r->fa_buf));
	assert_int_equal(ike_frag_asm_add(&r->fa, m->sk.frag_num,
					  m->sk.frag_total, m->sk.first, pt,
					  ptlen), 0);
	if (!ike_frag_asm_done(&r->fa))
		return false;
	assert_int_equal(ike_frag_asm_finish(&r->fa, r->chain, sizeof(r->chain),
					     &chain_len, &first), 0);
	ike_frag_asm_clear(&r->fa);
	memset(&r->fa, 0, sizeof(r->fa));
	assert_int_equal(ike_decode_inner(m, r->chain, chain_len, first), IKE_OK);
	/* the reassembled inner chain re-encodes byte for byte */
	{
		struct wr w = wr_init(out, sizeof(out));
		uint8_t f2 = 0;

		assert_int_equal(ike_encode_inner(m, &w, &f2), IKE_OK);
		assert_int_equal(f2, first);
		assert_int_equal(w.len, chain_len);
		assert_memory_equal(out, r->chain, chain_len);
	}
	return true;
}

/* Decrypt, decode and re-encode one encrypted message. */
static bool check_encrypted(struct fx_run *r, const char *name,
			    const uint8_t *buf, size_t len, struct ike_msg *m)
{
	const struct fx_sa *sa = fx_find_sa(&r->keys, m->hdr.ispi, m->hdr.rspi);
	static uint8_t pt[IKE_MSG_MAX], inner[IKE_MSG_MAX], out[IKE_MSG_MAX];
	struct sk_keys k;
	size_t ptlen = 0, outlen = 0, iv_off = m->sk.iv_off, sk_off = m->sk.sk_off;
	uint8_t first = 0;
	struct wr w;

	if (!sa)
		fail_msg("%s: no keys for SPIs %016llx/%016llx", name,
			 (unsigned long long)m->hdr.ispi,
			 (unsigned long long)m->hdr.rspi);
	sender_keys(r, sa, m, &k);
	if (m->sk.fragment)
		return check_fragment(r, &k, buf, len, m);
	assert_int_equal(sk_open(&k, buf, len, iv_off, pt, sizeof(pt), &ptlen), 0);
	assert_int_equal(ike_decode_inner(m, pt, ptlen, m->sk.first), IKE_OK);

	/* the inner chain re-encodes byte for byte */
	w = wr_init(inner, sizeof(inner));
	assert_int_equal(ike_encode_inner(m, &w, &first), IKE_OK);
	assert_true(wr_ok(&w));
	assert_int_equal(first, m->sk.first);
	assert_int_equal(w.len, ptlen);
	assert_memory_equal(inner, pt, ptlen);

	/* ike_encode: header and clear payloads as on the wire (bar the two
	 * lengths sk_seal() fixes), then the plaintext */
	assert_int_equal(ike_encode(m, out, sizeof(out), &outlen), IKE_OK);
	assert_int_equal(m->sk.sk_off, sk_off);
	assert_int_equal(m->sk.iv_off, iv_off);
	assert_int_equal(outlen, iv_off + ptlen);
	assert_memory_equal(out, buf, 24);
	assert_memory_equal(out + 28, buf + 28, sk_off + 2 - 28);
	assert_memory_equal(out + iv_off, pt, ptlen);

	check_reseal(r, &k, buf, len, out, sizeof(out), sk_off, iv_off, ptlen);
	return true;
}

static void check_message(struct fx_run *r, const char *name)
{
	static uint8_t out[IKE_MSG_MAX];
	static struct ike_msg m;
	char path[1024];
	size_t len = 0, outlen = 0;
	uint8_t *buf, bad = 0;
	int err;

	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	buf = fx_read(path, &len);
	assert_non_null(buf);
	memset(&m, 0, sizeof(m));
	err = ike_decode(buf, len, &m);
	if (err)
		fail_msg("%s: ike_decode: %s", path, ike_err_name(err));
	assert_int_equal(m.hdr.length, len);
	check_name(name, &m);
	if (m.sk.present) {
		if (!check_encrypted(r, path, buf, len, &m)) {
			r->msgs++;	/* a fragment: checked when complete */
			free(buf);
			return;
		}
	} else {
		assert_int_equal(ike_encode(&m, out, sizeof(out), &outlen), IKE_OK);
		assert_int_equal(outlen, len);
		assert_memory_equal(out, buf, len);
	}
	err = ike_rules_check(&m, &bad);
	if (err)
		fail_msg("%s: rules reject payload %u", path, bad);
	check_payloads(r, &m);
	r->msgs++;
	free(buf);
}

static void check_keys(const struct fx_sa *want, const struct ike_keys *got)
{
	assert_int_equal(got->d_len, want->d_len);
	assert_memory_equal(got->sk_d, want->sk_d, want->d_len);
	assert_int_equal(got->e_len, want->ei_len);
	assert_memory_equal(got->sk_ei, want->sk_ei, want->ei_len);
	assert_memory_equal(got->sk_er, want->sk_er, want->er_len);
	assert_int_equal(got->a_len, want->ai_len);
	assert_memory_equal(got->sk_ai, want->sk_ai, want->ai_len);
	assert_memory_equal(got->sk_ar, want->sk_ar, want->ar_len);
	assert_int_equal(got->p_len, want->pi_len);
	assert_memory_equal(got->sk_pi, want->sk_pi, want->pi_len);
	assert_memory_equal(got->sk_pr, want->sk_pr, want->pr_len);
}

/* RFC 7296 2.14 (and 2.18 for the rekeyed SA) against strongSwan. */
static void check_key_schedule(const struct fx_run *r)
{
	const struct fx_keys *fk = &r->keys;
	struct ike_suite s = { fk->encr, fk->encr_keylen, fk->prf, fk->integ,
			       fk->dh };
	const struct fx_sa *sa = &fk->sa[0];
	uint8_t seed[FX_KEY_MAX];
	struct ike_keys k;

	assert_true(fk->nsa >= 1);
	assert_true(r->ni_len > 0 && r->nr_len > 0);
	assert_true(sa->dh_len > 0);
	assert_int_equal(ike_skeyseed(fk->prf, r->ni, r->ni_len, r->nr, r->nr_len,
				      sa->dh_secret, sa->dh_len, seed), 0);
	assert_memory_equal(seed, sa->skeyseed, sa->skeyseed_len);
	assert_int_equal(ike_keys_derive(&s, r->ni, r->ni_len, r->nr, r->nr_len,
					 sa->dh_secret, sa->dh_len, sa->ispi,
					 sa->rspi, &k), 0);
	check_keys(sa, &k);
	ike_keys_wipe(&k);

	if (fk->nsa < 2)
		return;
	/* the IKE SA rekeyed by CREATE_CHILD_SA: SKEYSEED = prf(SK_d (old),
	 * g^ir (new) | Ni | Nr), with the new SPIs */
	assert_true(r->rk_ni_len > 0 && r->rk_nr_len > 0);
	assert_int_equal(ike_keys_rekey(&s, fk->prf, sa->sk_d, sa->d_len,
					 r->rk_ni, r->rk_ni_len, r->rk_nr,
					 r->rk_nr_len, fk->sa[1].dh_secret,
					 fk->sa[1].dh_len, fk->sa[1].ispi,
					 fk->sa[1].rspi, &k), 0);
	check_keys(&fk->sa[1], &k);
	ike_keys_wipe(&k);
}

static void test_fixture(void **state)
{
	const char *fixture = *state;
	static struct fx_run r;
	char *msgs[FX_MAX_MSG];
	int n;

	memset(&r, 0, sizeof(r));
	snprintf(r.dir, sizeof(r.dir), "%s/%s", fx_root(), fixture);
	r.certs = strncmp(fixture, "cert-", 5) == 0;
	assert_int_equal(fx_load_keys(r.dir, &r.keys), 0);
	n = fx_list_messages(r.dir, msgs, FX_MAX_MSG);
	assert_true(n >= 4);
	for (int i = 0; i < n; i++) {
		print_message("  %s/%s\n", fixture, msgs[i]);
		check_message(&r, msgs[i]);
	}
	fx_free_names(msgs, n);
	assert_int_equal(r.msgs, n);
	if (strstr(fixture, "rsa"))	/* IKE_AUTH with an RSA cert: SKF */
		assert_true(r.fragments >= 2);
	if (r.keys.integ == IKE_INTEG_NONE)	/* AEAD */
		assert_int_equal(r.resealed, n - 2);	/* all but IKE_SA_INIT */
	check_key_schedule(&r);
}

int main(void)
{
	static struct CMUnitTest tests[MAX_FIXTURES];
	char *names[MAX_FIXTURES];
	int n = fx_list_fixtures(names, MAX_FIXTURES), rc;

	if (n == 0) {
		fprintf(stderr, "no fixtures under %s\n", fx_root());
		return 1;
	}
	for (int i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = test_fixture;
		tests[i].initial_state = names[i];
	}
	rc = _cmocka_run_group_tests("fixtures", tests, (size_t)n, NULL, NULL);
	fx_free_names(names, n);
	return rc;
}
