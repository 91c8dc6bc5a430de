/*
 * The libcpg transport.
 *
 * Run with no arguments (tests/check): a unit test that needs no
 * corosync -- without one, creating the transport fails cleanly.
 *
 * Probe mode, run by tests/netns/test_sync_cpg.sh inside each namespace
 * next to that namespace's corosync:
 *
 *   test_transport_cpg --probe MEMBERS COUNT OUTFILE
 *
 * joins the group, waits for MEMBERS members, multicasts COUNT numbered
 * messages (retrying on -EAGAIN via the ready upcall), writes every
 * delivered "sender number" line to OUTFILE (the script compares the
 * files of both nodes: agreed order), checks that its own messages came
 * back in order, prints "delivered" and then waits for a configuration
 * change in which a member left, printing "left <nodeid>".  Exit 0 on
 * success, 1 on a check failure, 2 on timeout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/loop.h"
#include "transport.h"

struct probe {
	struct sync_transport *t;
	FILE *out;
	uint32_t self;
	size_t members, want;
	uint32_t left;
	unsigned sent, count, got, own_next;
	bool ready, bad;
};

static void p_deliver(void *ctx, uint32_t from, uint32_t pid, const void *buf,
		      size_t len)
{
	struct probe *p = ctx;
	unsigned n = 0;

	(void)pid;
	if (len != sizeof(n)) {
		p->bad = true;
		return;
	}
	memcpy(&n, buf, sizeof(n));
	fprintf(p->out, "%u %u\n", from, n);
	if (from == p->self && n != p->own_next++)
		p->bad = true;	/* own messages must come back in order */
	p->got++;
}

static void p_confchg(void *ctx, const uint32_t *m, size_t n, const uint32_t *j,
		      size_t nj, const uint32_t *l, size_t nl)
{
	struct probe *p = ctx;

	(void)m;
	(void)j;
	(void)nj;
	p->members = n;
	if (nl)
		p->left = l[0];
	printf("confchg members %zu joined %zu left %zu\n", n, nj, nl);
	fflush(stdout);
}

static void p_ready(void *ctx) { ((struct probe *)ctx)->ready = true; }

static void p_send(struct probe *p)
{
	while (p->sent < p->count) {
		int rc = sync_transport_mcast(p->t, &p->sent, sizeof(p->sent));

		if (rc == -EAGAIN)
			return;
		if (rc) {
			p->bad = true;
			return;
		}
		p->sent++;
	}
}

/* Run the loop until done(p) or timeout_ms; false on timeout. */
static bool p_run(struct loop *l, struct probe *p, bool (*done)(struct probe *),
		  uint64_t timeout_ms)
{
	uint64_t end = loop_now_ms(l) + timeout_ms;

	while (!done(p) && !p->bad) {
		if (loop_now_ms(l) > end)
			return false;
		if (p->ready) {
			p->ready = false;
			p_send(p);
		}
		loop_once(l, 50);
	}
	return true;
}

static bool p_all_joined(struct probe *p) { return p->members >= p->want; }
static bool p_all_got(struct probe *p) { return p->got >= p->want * p->count; }
static bool p_saw_left(struct probe *p) { return p->left != 0; }

static int probe(size_t members, unsigned count, const char *path)
{
	struct sync_transport_upcalls up = {
		.deliver = p_deliver, .confchg = p_confchg, .ready = p_ready,
	};
	struct probe p = { .count = count, .want = members };
	struct loop *l = loop_new();
	int rc = 2;

	p.out = fopen(path, "w");
	p.t = l ? sync_transport_cpg_new(l) : NULL;
	if (!p.out || !p.t) {
		fprintf(stderr, "probe: setup: %s\n", strerror(errno));
		return 1;
	}
	up.ctx = &p;
	sync_transport_set_upcalls(p.t, &up);
	p.self = sync_transport_nodeid(p.t);
	if (sync_transport_join(p.t, "hike-probe"))
		return 1;
	if (p_run(l, &p, p_all_joined, 20000)) {
		p_send(&p);
		if (p_run(l, &p, p_all_got, 30000)) {
			fflush(p.out);
			printf("delivered %u\n", p.got);
			fflush(stdout);
			rc = p_run(l, &p, p_saw_left, 30000) ? 0 : 2;
			if (rc == 0)
				printf("left %u\n", p.left);
		}
	}
	if (p.bad)
		rc = 1;
	fclose(p.out);
	sync_transport_free(p.t);
	loop_free(l);
	return rc;
}

/* Without corosync the transport is refused, with errno, and no leak. */
static void test_no_corosync(void **state)
{
	struct loop *l = loop_new();
	struct sync_transport *t;

	(void)state;
	assert_non_null(l);
	t = sync_transport_cpg_new(l);
	if (t) {
		sync_transport_free(t);
		loop_free(l);
		skip();		/* a corosync runs here: the netns test covers it */
	}
	assert_int_not_equal(errno, 0);
	loop_free(l);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_corosync),
	};

	if (argc == 5 && !strcmp(argv[1], "--probe"))
		return probe(strtoul(argv[2], NULL, 10),
			     (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
