/*
 * IKE_AUTH with certificates (RFC 7296 2.15, 3.6, 3.7; RFC 7427): the
 * fixtures of tests/fixtures/certs (make.sh): gw-* is the responder
 * (DNS:gw.hike.test), peer-* the initiator (DNS:peer.hike.test), both
 * issued by int under ca; other-peer by an unrelated CA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/loop.h"
#include "core/workers.h"
#include "harness.h"
#include "sa/requests.h"

#define FX "tests/fixtures/certs/"

static const char yaml[] =
	"connections:\n"
	"  - name: certs\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:gw.hike.test\n"
	"    remote_id: fqdn:peer.hike.test\n"
	"    auth: pubkey\n"
	"    cert: " FX "gw-rsa-chain.pem\n"
	"    key: " FX "gw-rsa.key\n"
	"    cacerts: [" FX "ca.crt]\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519, aes128-sha256-ecp256]\n"
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

static void cert_ini(struct world *w, struct ini *x, const char *who,
		     bool sig_hash)
{
	static char chain[128], key[128];
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", NULL,
		   "peer.hike.test");
	snprintf(chain, sizeof(chain), FX "%s-chain.pem", who);
	snprintf(key, sizeof(key), FX "%s.key", who);
	c.cert_chain = chain;
	c.cert_key = key;
	c.ca = FX "ca.crt";
	c.sig_hash = sig_hash;
	assert_int_equal(ini_init(x, &c), 0);
}

/* IKE_SA_INIT { ..., N(SIGNATURE_HASH_ALGORITHMS) } -->
 *   <-- { SAr1, KEr, Nr, CERTREQ(SHA-1 of ca's key), N(SIG_HASH) }
 * IKE_AUTH { IDi, CERT(peer), CERT(int), AUTH(14) } -->
 *   <-- { IDr, CERT(gw), CERT(int), AUTH(14), SAr2, TSi, TSr } */
static void test_rsa_rfc7427(void **state)
{
	struct world *w = *state;
	struct ini x;

	cert_ini(w, &x, "peer-rsa", true);
	assert_int_equal(w_establish(w, &x), 0);
	assert_true(x.got_certreq);
	assert_int_equal(x.certreq_len, 20);
	assert_true(x.got_sig_hash);
	assert_int_equal(x.resp_auth_method, IKE_AUTH_DIGITAL_SIG);
	assert_int_equal(ike_sa_count(&w->h), 1);
	assert_int_equal(child_sa_count(&w->h), 1);
	ini_free(&x);
}

/* Without RFC 7427: the peer signs with ECDSA (method 9), we with
 * classic RSA (method 1). */
static void test_ecdsa_peer_classic_methods(void **state)
{
	struct world *w = *state;
	struct ini x;

	cert_ini(w, &x, "peer-ecdsa", false);
	assert_int_equal(w_establish(w, &x), 0);
	assert_false(x.got_sig_hash);
	assert_int_equal(x.resp_auth_method, IKE_AUTH_RSA_SIG);
	assert_int_equal(ike_sa_count(&w->h), 1);
	ini_free(&x);
}

/* A certificate from another CA: AUTHENTICATION_FAILED, nothing kept. */
static void test_unknown_ca(void **state)
{
	struct world *w = *state;
	struct ini x;

	cert_ini(w, &x, "other-peer", true);
	assert_int_equal(w_establish(w, &x), IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(ike_sa_count(&w->h), 0);
	assert_int_equal(w_count(w, CNT_IKE_AUTH_FAILED), 1);
	ini_free(&x);
}

/* An identity the certificate does not carry is refused too. */
static void test_id_not_in_cert(void **state)
{
	struct world *w = *state;
	struct ini x;
	struct ini_conf c;

	w_ini_conf(w, &c, "aes256gcm16-prfsha256-x25519", "aes256gcm16", NULL,
		   "peer.hike.test");
	cert_ini(w, &x, "peer-rsa", true);
	ini_free(&x);
	c.cert_chain = FX "gw-rsa-chain.pem";	/* valid, but gw's */
	c.cert_key = FX "gw-rsa.key";
	c.ca = FX "ca.crt";
	assert_int_equal(ini_init(&x, &c), 0);
	assert_int_equal(w_establish(w, &x), IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(ike_sa_count(&w->h), 0);
	ini_free(&x);
}

/* The SA's local delete is replicating when the worker's signature comes
 * back (e.g. the half-open timeout fired meanwhile): the IKE_AUTH answer
 * is dropped, nothing is queued behind the delete (it would reach a freed
 * SA), and the delete completes. */
static void test_sign_meets_delete(void **state)
{
	struct world *w = *state;
	struct fake_repl f = { 0 };
	struct sa_replicator r = { fake_submit, &f };
	struct ike_sa *sa;
	struct ini x;
	int i;

	w->h.loop = loop_new();
	assert_non_null(w->h.loop);
	w->h.workers = workers_new(w->h.loop, 1);
	assert_non_null(w->h.workers);
	cert_ini(w, &x, "peer-rsa", true);
	assert_int_equal(ini_sa_init(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);
	for (i = 0; i < 100 && !w->nout; i++)
		loop_once(w->h.loop, 50);
	assert_int_equal(w->nout, 1);
	assert_int_equal(ini_sa_init_resp(&x, w->out[0].buf, w->out[0].len), 0);
	sa = ike_sa_find(&w->h, x.rspi);
	assert_non_null(sa);
	sa_set_replicator(&w->h, &r);
	w->nout = 0;
	assert_int_equal(ini_auth(&x, w->req, sizeof(w->req), &w->req_len), 0);
	w_rx(w, w->req, w->req_len);		/* signing on the worker */
	assert_int_equal(f.n, 0);
	ike_sa_delete_local(&w->h, sa, "test: half-open timeout");
	assert_int_equal(f.n, 1);
	assert_int_equal(f.kind, SA_UPD_IKE_SA_DELETE);
	for (i = 0; i < 40; i++)		/* sign_done runs in here */
		loop_once(w->h.loop, 50);
	assert_int_equal(f.n, 1);		/* no IKE_AUTH behind it */
	assert_int_equal(w->nout, 0);
	f.done(f.arg, 0);
	assert_null(ike_sa_find(&w->h, x.rspi));
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
		cmocka_unit_test_setup_teardown(test_rsa_rfc7427, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecdsa_peer_classic_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_not_in_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_meets_delete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
