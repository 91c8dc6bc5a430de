/*
 * Per-exchange payload rules (RFC 7296 section 1 diagrams, 3.14): each
 * test builds a message with the ike_msg builders and judges it with
 * ike_rules_check() exactly as the responder does after decoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ike/msg.h"

static struct ike_msg m;

static void start(uint8_t exchange, bool response)
{
	struct ike_hdr h = { .version = IKE_VERSION, .exchange = exchange,
		.flags = response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR };

	ike_msg_init(&m, &h);
}

static void add(uint8_t type, bool enc)
{
	assert_true(ike_msg_add(&m, type, enc));
}

static int check(uint8_t *bad)
{
	*bad = 0xee;
	return ike_rules_check(&m, bad);
}

static void test_sa_init(void **state)
{
	uint8_t bad;

	(void)state;
	/* HDR, SAi1, KEi, Ni, N, N, V --> */
	start(IKE_SA_INIT, false);
	add(IKE_PL_SA, false);
	add(IKE_PL_KE, false);
	add(IKE_PL_NONCE, false);
	add(IKE_PL_NOTIFY, false);
	add(IKE_PL_NOTIFY, false);
	add(IKE_PL_VENDOR, false);
	assert_int_equal(check(&bad), IKE_OK);
	assert_int_equal(bad, 0);

	/* missing KE */
	start(IKE_SA_INIT, false);
	add(IKE_PL_SA, false);
	add(IKE_PL_NONCE, false);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_KE);

	/* an IDi has no business in IKE_SA_INIT */
	start(IKE_SA_INIT, false);
	add(IKE_PL_SA, false);
	add(IKE_PL_KE, false);
	add(IKE_PL_NONCE, false);
	add(IKE_PL_IDI, false);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_IDI);

	/* nothing is encrypted in IKE_SA_INIT */
	start(IKE_SA_INIT, false);
	add(IKE_PL_SA, false);
	add(IKE_PL_KE, false);
	add(IKE_PL_NONCE, false);
	add(IKE_PL_VENDOR, true);
	m.count_clear[IKE_PL_SK] = 1;	/* as the decoder counts SK */
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_SK);

	/* <-- HDR, N(COOKIE): a response may be just a notify */
	start(IKE_SA_INIT, true);
	add(IKE_PL_NOTIFY, false);
	assert_int_equal(check(&bad), IKE_OK);
}

static void auth_request(bool clear_idi)
{
	start(IKE_AUTH, false);
	m.count_clear[IKE_PL_SK] = 1;
	add(IKE_PL_IDI, !clear_idi);
	add(IKE_PL_AUTH, true);
	add(IKE_PL_SA, true);
	add(IKE_PL_TSI, true);
	add(IKE_PL_TSR, true);
	add(IKE_PL_NOTIFY, true);
}

static void test_auth(void **state)
{
	uint8_t bad;

	(void)state;
	/* HDR, SK { IDi, AUTH, SAi2, TSi, TSr, N } --> */
	auth_request(false);
	assert_int_equal(ike_rules_phase_of(&m), IKE_RULES_AUTH);
	assert_int_equal(check(&bad), IKE_OK);

	/* IDi outside SK */
	auth_request(true);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_IDI);

	/* no SK at all */
	auth_request(false);
	m.count_clear[IKE_PL_SK] = 0;
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_SK);

	/* TSi without TSr */
	start(IKE_AUTH, false);
	m.count_clear[IKE_PL_SK] = 1;
	add(IKE_PL_IDI, true);
	add(IKE_PL_AUTH, true);
	add(IKE_PL_SA, true);
	add(IKE_PL_TSI, true);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_TSR);

	/* a KE does not belong in IKE_AUTH */
	auth_request(false);
	add(IKE_PL_KE, true);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_KE);

	/* HDR, SK { EAP } --> a later EAP round: no IDi needed */
	start(IKE_AUTH, false);
	m.count_clear[IKE_PL_SK] = 1;
	add(IKE_PL_EAP, true);
	assert_int_equal(ike_rules_phase_of(&m), IKE_RULES_AUTH_EAP);
	assert_int_equal(check(&bad), IKE_OK);
	/* ... but no SA there */
	add(IKE_PL_SA, true);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_SA);

	/* <-- HDR, SK { IDr, AUTH, SAr2, TSi, TSr } */
	start(IKE_AUTH, true);
	m.count_clear[IKE_PL_SKF] = 1;	/* reassembled from fragments */
	add(IKE_PL_IDR, true);
	add(IKE_PL_AUTH, true);
	add(IKE_PL_SA, true);
	add(IKE_PL_TSI, true);
	add(IKE_PL_TSR, true);
	assert_int_equal(check(&bad), IKE_OK);
}

static void test_child_and_info(void **state)
{
	uint8_t bad;

	(void)state;
	/* HDR, SK { N(REKEY_SA), SA, Ni, KEi, TSi, TSr } --> */
	start(IKE_CREATE_CHILD_SA, false);
	m.count_clear[IKE_PL_SK] = 1;
	add(IKE_PL_NOTIFY, true);
	add(IKE_PL_SA, true);
	add(IKE_PL_NONCE, true);
	add(IKE_PL_KE, true);
	add(IKE_PL_TSI, true);
	add(IKE_PL_TSR, true);
	assert_int_equal(check(&bad), IKE_OK);
	/* without a nonce */
	start(IKE_CREATE_CHILD_SA, false);
	m.count_clear[IKE_PL_SK] = 1;
	add(IKE_PL_SA, true);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_NONCE);

	/* HDR, SK { D, D, N } --> and the empty liveness check */
	start(IKE_INFORMATIONAL, false);
	m.count_clear[IKE_PL_SK] = 1;
	add(IKE_PL_DELETE, true);
	add(IKE_PL_DELETE, true);
	add(IKE_PL_NOTIFY, true);
	assert_int_equal(check(&bad), IKE_OK);
	start(IKE_INFORMATIONAL, true);
	m.count_clear[IKE_PL_SK] = 1;
	assert_int_equal(check(&bad), IKE_OK);
	/* an SA payload in INFORMATIONAL */
	add(IKE_PL_SA, true);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, IKE_PL_SA);

	/* an exchange type we do not know */
	start(99, false);
	assert_int_equal(ike_rules_phase_of(&m), IKE_RULES_NONE);
	assert_int_equal(check(&bad), IKE_ERR_RULES);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_init),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_child_and_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
