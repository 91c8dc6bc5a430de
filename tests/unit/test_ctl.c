/* Control protocol: request validation and dispatch (no socket). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/hike.h"
#include "ctl/ctl.h"

static json_t *cmd_echo(struct hike *h, void *arg, json_t *args, char *err, size_t errlen)
{
	(void)h; (void)arg; (void)err; (void)errlen;
	return json_pack("{s:O?}", "args", args);
}

static json_t *cmd_fail(struct hike *h, void *arg, json_t *args, char *err, size_t errlen)
{
	(void)h; (void)arg; (void)args;
	snprintf(err, errlen, "no such peer");
	return NULL;
}

static struct ctl *setup_ctl(struct hike *h)
{
	struct ctl *c = NULL;

	assert_int_equal(ctl_open(h, NULL, NULL, &c), 0);
	assert_int_equal(ctl_register(c, "echo", cmd_echo, NULL), 0);
	assert_int_equal(ctl_register(c, "fail", cmd_fail, NULL), 0);
	assert_int_equal(ctl_register(c, "echo", cmd_echo, NULL), -EEXIST);
	return c;
}

/* Returns the error text of a refused request (static buffer), or NULL. */
static const char *call(struct ctl *c, const char *req, json_t **result)
{
	static char msg[256];
	json_t *reply = ctl_handle(c, req, strlen(req));
	int ok = -1;
	const char *e = NULL;

	assert_non_null(reply);
	assert_int_equal(json_integer_value(json_object_get(reply, "v")), CTL_VERSION);
	assert_int_equal(json_unpack(reply, "{s:b, s?s}", "ok", &ok, "error", &e), 0);
	if (result)
		*result = json_incref(json_object_get(reply, "result"));
	snprintf(msg, sizeof(msg), "%s", e ? e : "");
	json_decref(reply);
	return ok ? NULL : msg;
}

static void test_dispatch(void **state)
{
	struct hike h = { 0 };
	struct ctl *c = setup_ctl(&h);
	json_t *res = NULL;

	(void)state;
	assert_null(call(c, "{\"v\":1,\"cmd\":\"echo\",\"args\":{\"peer\":\"192.0.2.50\"}}", &res));
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "args"), "peer")),
			    "192.0.2.50");
	json_decref(res);
	assert_null(call(c, "{\"v\":1,\"cmd\":\"echo\"}", NULL));
	assert_string_equal(call(c, "{\"v\":1,\"cmd\":\"fail\"}", NULL), "no such peer");
	assert_int_equal(ctl_stats(c)->requests, 3);
	assert_int_equal(ctl_stats(c)->errors, 1);
	ctl_close(c);
}

static void test_malformed(void **state)
{
	struct hike h = { 0 };
	struct ctl *c = setup_ctl(&h);
	static const char *bad[] = {
		"", "{", "[]", "null", "\"status\"", "{\"cmd\":\"echo\"}",
		"{\"v\":\"1\",\"cmd\":\"echo\"}", "{\"v\":1,\"cmd\":7}",
		"{\"v\":1,\"cmd\":\"echo\",\"args\":[1]}",
		"{\"v\":1,\"cmd\":\"echo\",\"cmd\":\"fail\"}",
		"{\"v\":1,\"cmd\":\"echo\"}garbage", "\xff\xfe{}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *e = call(c, bad[i], NULL);
		assert_non_null(e);
		assert_non_null(strstr(e, "malformed"));
	}
	assert_non_null(strstr(call(c, "{\"v\":2,\"cmd\":\"echo\"}", NULL), "version"));
	assert_non_null(strstr(call(c, "{\"v\":1,\"cmd\":\"launch\"}", NULL), "unknown command 'launch'"));
	ctl_close(c);
}

static void test_deeply_nested(void **state)
{
	struct hike h = { 0 };
	struct ctl *c = setup_ctl(&h);
	static char req[CTL_MAX_REQUEST];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(req, sizeof(req), "{\"v\":1,\"cmd\":\"echo\",\"args\":{\"a\":");
	while (n < sizeof(req) - 64)
		req[n++] = '[';
	req[n] = '\0';
	assert_non_null(call(c, req, NULL));	/* refused, not a crash */
	ctl_close(c);
}

/* tests/fuzz/fuzz_ctl: an error text that is not UTF-8 -- an unknown
 * command's long name cut inside a character, or jansson quoting the
 * request -- made ctl_handle() return NULL (json_pack refuses it) and
 * the client got no answer at all.  The reply must exist and hold
 * whole characters. */
static void test_unknown_long_utf8_name(void **state)
{
	struct hike h = { 0 };
	struct ctl *c = setup_ctl(&h);
	char req[1024];
	size_t n = 0;
	const char *e;

	(void)state;
	for (size_t cut = 0; cut < 4; cut++) {
		n = (size_t)snprintf(req, sizeof(req), "{\"v\":1,\"cmd\":\"");
		/* "unknown command '" is 17 bytes: put the 2-byte e-acute
		 * across the 255-byte cut at every offset */
		for (size_t i = 0; i < 236 + cut; i++)
			req[n++] = 'a';
		for (int i = 0; i < 8; i++) {
			req[n++] = (char)0xc3;
			req[n++] = (char)0xa9;
		}
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\"}");
		e = call(c, req, NULL);
		assert_non_null(e);
		assert_non_null(strstr(e, "unknown command 'aaa"));
	}
	/* jansson's error text quotes the request up to where it stopped:
	 * here inside the 2-byte U+0227 after a backslash (fuzz_ctl) */
	e = call(c, "{\"*v193.0.2\\\xc8\xa7\x01\x10" "c", NULL);
	assert_non_null(e);
	assert_string_equal(e, "malformed request: invalid escape near "
			    "'\"*v193.0.2\\?'");
	ctl_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_deeply_nested),
		cmocka_unit_test(test_unknown_long_utf8_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
