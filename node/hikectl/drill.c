/*
 * hikectl drill (drill.h).  Every figure comes from the nodes' control
 * sockets, so the drill sees what an operator sees:
 *
 *   1. survey: status + sas of every node; exactly one active; every
 *      node holds every IKE SA (by SPIs) and Child SA (by inbound SPI)
 *      that any other node holds -- otherwise FAIL before touching
 *      anything, since a failover now would drop those SAs;
 *   2. hand over: "switchover" (or "crash", ctl.allow_crash) to the active;
 *   3. takeover time: until another node reports itself active (polled
 *      every DRILL_POLL_MS);
 *   4. traffic: until the new active's ESP packet counters move (the
 *      first ESP packet through it; after a crash an upper bound on the
 *      traffic gap); after a graceful switchover also both nodes' own
 *      record of the hand-over (status .handover, wall-clock ms of each
 *      step), which gives the traffic gap exactly -- the time in which
 *      neither node could forward: 0 when the old one released after the
 *      new one announced (make before break, docs/cluster.md) -- and how
 *      many ESP packets the old one still carried meanwhile;
 *   5. verify: every SA of the old active is on the new one, outbound
 *      sequence numbers and message IDs at or ahead of the old ones
 *      (inbound too after a graceful switchover, which flushes them).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/client.h"
#include "hikectl/drill.h"

#define DRILL_POLL_MS		10
#define DRILL_CALL_MS		1000
#define DRILL_TRAFFIC_MS	3000

struct dnode {
	const char *socket;
	char name[64];
	json_t *status, *sas;		/* at the survey; NULL if unreachable */
};

struct drill {
	const struct drill_opts *o;
	struct dnode nodes[DRILL_MAX_NODES];
	size_t n;
	json_t *checks;			/* [{ ok, what }] */
	json_t *sa_rows;		/* per Child SA before/after */
	size_t nfail;
	long long takeover_ms, first_esp_ms;
	long long traffic_gap_ms;	/* graceful: from the hand-over records */
	long long old_packets;		/* ESP the old one carried meanwhile */
	json_t *handover;		/* { old: .handover, new: .handover } */
	const char *from, *to;
};

static uint64_t drill_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void drill_sleep(void)
{
	struct timespec ts = { 0, DRILL_POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

static void drill_check(struct drill *d, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void drill_check(struct drill *d, bool ok, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	json_array_append_new(d->checks, json_pack("{s:b, s:s}", "ok", ok, "what", what));
	if (!ok)
		d->nfail++;
}

static json_t *drill_call(const char *sock, const char *cmd, char *err, size_t errlen)
{
	return ctl_call(sock, cmd, NULL, DRILL_CALL_MS, err, errlen);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long jnum(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* --- SA lookups in a "sas" result ----------------------------------- */

static json_t *find_ike(json_t *sas, json_t *ike)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(sas, "ike_sas"), i, x)
		if (strcmp(jstr(x, "spi_i"), jstr(ike, "spi_i")) == 0 &&
		    strcmp(jstr(x, "spi_r"), jstr(ike, "spi_r")) == 0)
			return x;
	return NULL;
}

static json_t *find_child(json_t *sas, long long spi_in)
{
	json_t *x, *c;
	size_t i, j;

	json_array_foreach(json_object_get(sas, "ike_sas"), i, x)
		json_array_foreach(json_object_get(x, "children"), j, c)
			if (jnum(c, "spi_in") == spi_in)
				return c;
	return NULL;
}

static long long esp_packets(json_t *sas)
{
	json_t *x, *c;
	size_t i, j;
	long long n = 0;

	json_array_foreach(json_object_get(sas, "ike_sas"), i, x)
		json_array_foreach(json_object_get(x, "children"), j, c)
			n += jnum(c, "packets_in") + jnum(c, "packets_out");
	return n;
}

/* --- 1. survey ------------------------------------------------------- */

static void drill_survey(struct drill *d)
{
	char err[512];

	for (size_t i = 0; i < d->o->nsockets; i++) {
		struct dnode *n = &d->nodes[d->n++];
		const char *want = d->o->names[i];

		n->socket = d->o->sockets[i];
		n->status = drill_call(n->socket, "status", err, sizeof(err));
		if (n->status)
			n->sas = drill_call(n->socket, "sas", err, sizeof(err));
		if (!n->status || !n->sas) {
			snprintf(n->name, sizeof(n->name), "%s", want ? want : n->socket);
			drill_check(d, false, "%s unreachable: %s", n->name, err);
			continue;
		}
		snprintf(n->name, sizeof(n->name), "%s", jstr(n->status, "node"));
		if (want && strcmp(want, n->name) != 0)
			drill_check(d, false, "--node %s=%s answers as node %s", want, n->socket, n->name);
		for (size_t j = 0; j + 1 < d->n; j++)
			if (strcmp(d->nodes[j].name, n->name) == 0)
				drill_check(d, false, "node %s given twice (%s and %s)", n->name,
					    d->nodes[j].socket, n->socket);
	}
}

static struct dnode *drill_find_active(struct drill *d)
{
	struct dnode *act = NULL;
	size_t nact = 0, nup = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (!d->nodes[i].status)
			continue;
		nup++;
		if (strcmp(jstr(d->nodes[i].status, "role"), "active") == 0) {
			act = &d->nodes[i];
			nact++;
		}
	}
	if (nup < 2)
		drill_check(d, false, "a drill needs two reachable nodes (give each peer as --node NAME=SOCKET)");
	if (nact != 1)
		drill_check(d, false, "%zu nodes report themselves active%s", nact,
			    nact > 1 ? " (split brain)" : "");
	return nact == 1 ? act : NULL;
}

/* Every node must hold what any other node holds. */
static void drill_compare(struct drill *d, struct dnode *a, struct dnode *b)
{
	json_t *x, *c;
	size_t i, j, miss = 0;

	json_array_foreach(json_object_get(a->sas, "ike_sas"), i, x) {
		if (!find_ike(b->sas, x)) {
			drill_check(d, false, "%s lacks IKE SA %s_i %s_r (held by %s): a failover now would drop it",
				    b->name, jstr(x, "spi_i"), jstr(x, "spi_r"), a->name);
			miss++;
		}
		json_array_foreach(json_object_get(x, "children"), j, c)
			if (!find_child(b->sas, jnum(c, "spi_in"))) {
				drill_check(d, false, "%s lacks Child SA %08llx (held by %s): a failover now would drop it",
					    b->name, jnum(c, "spi_in"), a->name);
				miss++;
			}
	}
	if (!miss && strcmp(jstr(b->status, "role"), "active") != 0)
		drill_check(d, true, "%s (%s) holds every SA of %s (%zu IKE SAs)", b->name,
			    jstr(b->status, "role"), a->name,
			    json_array_size(json_object_get(a->sas, "ike_sas")));
}

static struct dnode *drill_before(struct drill *d)
{
	struct dnode *act;

	drill_survey(d);
	act = drill_find_active(d);
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < d->n; j++)
			if (i != j && d->nodes[i].sas && d->nodes[j].sas)
				drill_compare(d, &d->nodes[i], &d->nodes[j]);
	for (size_t i = 0; act && i < d->n; i++)
		if (&d->nodes[i] != act && d->nodes[i].status &&
		    strcmp(jstr(d->nodes[i].status, "role"), "standby") != 0)
			drill_check(d, false, "%s is %s, not an in-sync standby", d->nodes[i].name,
				    jstr(d->nodes[i].status, "role"));
	return d->nfail ? NULL : act;
}

/* --- 2.-4. hand over, wait for the new active and its traffic -------- */

static struct dnode *drill_wait_active(struct drill *d, struct dnode *old, uint64_t t0)
{
	char err[512];

	while (drill_now() - t0 < (uint64_t)d->o->timeout_ms) {
		for (size_t i = 0; i < d->n; i++) {
			struct dnode *n = &d->nodes[i];
			json_t *st;
			bool act;

			if (n == old || !n->status)
				continue;
			st = drill_call(n->socket, "status", err, sizeof(err));
			act = st && strcmp(jstr(st, "role"), "active") == 0;
			json_decref(st);
			if (act) {
				d->takeover_ms = (long long)(drill_now() - t0);
				return n;
			}
		}
		drill_sleep();
	}
	return NULL;
}

/* The first ESP packet the new active handles after the hand-over. */
static void drill_wait_traffic(struct drill *d, struct dnode *nu, uint64_t t0)
{
	long long base = esp_packets(nu->sas);
	uint64_t start = drill_now();
	char err[512];

	while (drill_now() - start < DRILL_TRAFFIC_MS) {
		json_t *sas = drill_call(nu->socket, "sas", err, sizeof(err));
		long long n = sas ? esp_packets(sas) : base;

		json_decref(sas);
		if (n > base) {
			d->first_esp_ms = (long long)(drill_now() - t0);
			return;
		}
		drill_sleep();
	}
}

static long long jat(json_t *ho, const char *k)
{
	json_t *v = json_object_get(ho, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/*
 * Graceful: both nodes' own record of the hand-over (status .handover).
 * Forwarding gap = new one's announcement - old one's release, if
 * positive: before the announcement the neighbours send to the old one,
 * which forwards until it releases.
 */
static void drill_handover(struct drill *d, struct dnode *old, struct dnode *nu)
{
	char err[512];
	json_t *so = NULL, *sn = NULL, *ho, *hn;
	uint64_t t = drill_now();
	long long cmd, ann, rel, sw;

	do {	/* the old one's record is done once it released */
		json_decref(so);
		so = drill_call(old->socket, "status", err, sizeof(err));
		ho = json_object_get(so, "handover");
		if (!so || strcmp(jstr(ho, "result"), "under way") != 0)
			break;
		drill_sleep();
	} while (drill_now() - t < 3000);
	sn = drill_call(nu->socket, "status", err, sizeof(err));
	hn = json_object_get(sn, "handover");
	if (!ho || !hn || strcmp(jstr(ho, "role"), "old active") != 0 ||
	    strcmp(jstr(hn, "role"), "new active") != 0) {
		drill_check(d, true, "no hand-over record on %s/%s (older hiked?): forwarding gap not known",
			    old->name, nu->name);
		goto out;
	}
	d->handover = json_pack("{s:O, s:O}", "old", ho, "new", hn);
	cmd = jat(ho, "command_ms");
	sw = jat(ho, "switched_ms");
	ann = jat(hn, "announced_ms");
	rel = jat(ho, "released_ms");
	if (cmd < 0 || ann < 0 || rel < 0) {
		drill_check(d, false, "hand-over record incomplete (%s: %s, %s: %s)",
			    old->name, jstr(ho, "result"), nu->name, jstr(hn, "result"));
		goto out;
	}
	d->traffic_gap_ms = ann > rel ? ann - rel : 0;
	d->old_packets = jat(ho, "kept_packets");
	drill_check(d, true, "hand-over as the nodes logged it: %s stopped %lld Child SA(s) at final "
		    "sequence numbers at +0 ms, roles switched at +%lld, %s resumed %lld of them right "
		    "after those (no jump) and announced the VIPs at +%lld, %s released at +%lld",
		    old->name, jat(ho, "final_sas"), sw - cmd, nu->name, jat(hn, "exact_sas"),
		    ann - cmd, old->name, rel - cmd);
	if (d->traffic_gap_ms == 0)
		drill_check(d, true, "traffic gap: none (make before break: %s kept forwarding until %lld ms "
			    "after %s announced the VIPs, %lld ESP packets meanwhile)", old->name,
			    rel - ann, nu->name, d->old_packets);
	else
		drill_check(d, true, "traffic gap: %lld ms (%s released before %s announced the VIPs)",
			    d->traffic_gap_ms, old->name, nu->name);
out:
	json_decref(so);
	json_decref(sn);
}

/* --- 5. verify ------------------------------------------------------- */

/* Checks one Child SA of the old inventory against the new active's.
 * Returns whether it passes; fills a report row. */
static bool drill_child_ok(struct drill *d, json_t *old, json_t *now, json_t **row)
{
	long long so = jnum(old, "seq_out"), si = jnum(old, "seq_in");
	long long no = now ? jnum(now, "seq_out") : -1, ni = now ? jnum(now, "seq_in") : -1;
	bool ok = now && no >= so && (d->o->crash || ni >= si);

	char spi_out[16];

	snprintf(spi_out, sizeof(spi_out), "%08llx", jnum(old, "spi_out"));
	*row = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:b}",
			 "spi_in", "", "spi_out", spi_out,
			 "seq_out_before", (json_int_t)so, "seq_out_after", (json_int_t)no,
			 "seq_in_before", (json_int_t)si, "seq_in_after", (json_int_t)ni,
			 "ok", ok);
	return ok;
}

static bool drill_verify_once(struct drill *d, struct dnode *old, json_t *sas, bool final)
{
	json_t *x, *c, *y;
	size_t i, j;
	bool all = true;
	char spi[16];

	json_array_foreach(json_object_get(old->sas, "ike_sas"), i, x) {
		y = find_ike(sas, x);
		bool ok = y && jnum(y, "msgid_in") >= jnum(x, "msgid_in") &&
			  jnum(y, "msgid_out") >= jnum(x, "msgid_out");

		all &= ok;
		if (final)
			drill_check(d, ok, "IKE SA %s_i %s_r on %s%s, message IDs in %lld -> %lld, out %lld -> %lld",
				    jstr(x, "spi_i"), jstr(x, "spi_r"), d->to, y ? "" : ": MISSING",
				    jnum(x, "msgid_in"), y ? jnum(y, "msgid_in") : -1,
				    jnum(x, "msgid_out"), y ? jnum(y, "msgid_out") : -1);
		json_array_foreach(json_object_get(x, "children"), j, c) {
			json_t *now = find_child(sas, jnum(c, "spi_in")), *row;

			ok = drill_child_ok(d, c, now, &row);
			all &= ok;
			snprintf(spi, sizeof(spi), "%08llx", jnum(c, "spi_in"));
			json_object_set_new(row, "spi_in", json_string(spi));
			if (!final) {
				json_decref(row);
				continue;
			}
			json_array_append_new(d->sa_rows, row);
			drill_check(d, ok, "Child SA %s on %s%s, seq out %lld -> %lld, in %lld -> %lld%s",
				    spi, d->to, now ? "" : ": MISSING", jnum(c, "seq_out"),
				    now ? jnum(now, "seq_out") : -1, jnum(c, "seq_in"),
				    now ? jnum(now, "seq_in") : -1,
				    now && d->o->crash && jnum(now, "seq_in") < jnum(c, "seq_in") ?
				    " (inbound behind: counters are synced lazily)" : "");
		}
	}
	return all;
}

/* Poll the new active until every SA checks out or the time is up, then
 * record the checks from the last look. */
static void drill_verify(struct drill *d, struct dnode *old, struct dnode *nu, uint64_t t0)
{
	char err[512];
	json_t *sas = NULL;

	do {
		json_decref(sas);
		sas = drill_call(nu->socket, "sas", err, sizeof(err));
		if (sas && drill_verify_once(d, old, sas, false))
			break;
		drill_sleep();
	} while (drill_now() - t0 < (uint64_t)d->o->timeout_ms + 2000);
	if (!sas) {
		drill_check(d, false, "%s: cannot list SAs: %s", nu->name, err);
		return;
	}
	drill_verify_once(d, old, sas, true);
	json_decref(sas);
}

static void drill_old_side(struct drill *d, struct dnode *old)
{
	char err[512];
	json_t *st = NULL;
	uint64_t t = drill_now();

	if (d->o->crash) {
		do {
			json_decref(st);
			st = drill_call(old->socket, "status", err, sizeof(err));
			if (!st)
				break;
			drill_sleep();
		} while (drill_now() - t < 2000);
		drill_check(d, !st, "%s's hiked is gone (crashed)", old->name);
		json_decref(st);
		return;
	}
	do {
		json_decref(st);
		st = drill_call(old->socket, "status", err, sizeof(err));
		if (st && strcmp(jstr(st, "role"), "standby") == 0)
			break;
		drill_sleep();
	} while (drill_now() - t < (uint64_t)d->o->timeout_ms);
	drill_check(d, st && strcmp(jstr(st, "role"), "standby") == 0, "%s is now %s",
		    old->name, st ? jstr(st, "role") : "unreachable");
	json_decref(st);
}

static void drill_run(struct drill *d)
{
	struct dnode *old = drill_before(d), *nu;
	char err[512];
	json_t *r;
	uint64_t t0;

	if (!old) {
		drill_check(d, false, "not handing over: a failover now would not be clean");
		return;
	}
	d->from = old->name;
	t0 = drill_now();
	r = ctl_call(old->socket, d->o->crash ? "crash" : "switchover", NULL,
		     DRILL_CALL_MS, err, sizeof(err));
	drill_check(d, r != NULL, "%s requested on %s%s%s", d->o->crash ? "crash" : "switchover",
		    old->name, r ? "" : ": ", r ? "" : err);
	json_decref(r);
	if (!r)
		return;
	nu = drill_wait_active(d, old, t0);
	if (!nu) {
		drill_check(d, false, "no other node became active within %d ms", d->o->timeout_ms);
		return;
	}
	d->to = nu->name;
	drill_check(d, true, "%s active after %lld ms (takeover time)", nu->name, d->takeover_ms);
	drill_wait_traffic(d, nu, t0);
	if (d->first_esp_ms >= 0)
		drill_check(d, true, "first ESP packet through %s %lld ms after the hand-over began%s",
			    nu->name, d->first_esp_ms, d->o->crash ? " (traffic gap at most that)" : "");
	else
		drill_check(d, true, "no ESP traffic through %s within %d ms: gap not measured",
			    nu->name, DRILL_TRAFFIC_MS);
	if (!d->o->crash)
		drill_handover(d, old, nu);
	drill_verify(d, old, nu, t0);
	drill_old_side(d, old);
}

static void drill_print(struct drill *d)
{
	json_t *c;
	size_t i;

	printf("drill: %s, %zu nodes:", d->o->crash ? "crash of the active" : "graceful switchover", d->n);
	for (i = 0; i < d->n; i++) {
		struct dnode *n = &d->nodes[i];

		if (n->status)
			printf(" %s (%s, %zu IKE SAs, %lld Child SAs)%s", n->name,
			       jstr(n->status, "role"), json_array_size(json_object_get(n->sas, "ike_sas")),
			       jnum(n->status, "child_sas"), i + 1 < d->n ? "," : "");
		else
			printf(" %s (unreachable)%s", n->name, i + 1 < d->n ? "," : "");
	}
	printf("\n");
	json_array_foreach(d->checks, i, c)
		printf("  %-4s %s\n", json_is_true(json_object_get(c, "ok")) ? "ok" : "FAIL",
		       jstr(c, "what"));
	if (d->nfail)
		printf("FAIL (%zu check%s failed)\n", d->nfail, d->nfail == 1 ? "" : "s");
	else
		printf("PASS: %s -> %s in %lld ms\n", d->from, d->to, d->takeover_ms);
}

static void drill_print_json(struct drill *d)
{
	json_t *nodes = json_array(), *o;
	char *s;

	for (size_t i = 0; i < d->n; i++) {
		struct dnode *n = &d->nodes[i];

		json_array_append_new(nodes, json_pack("{s:s, s:s, s:s, s:I, s:I}",
			"name", n->name, "socket", n->socket,
			"role", n->status ? jstr(n->status, "role") : "unreachable",
			"ike_sas", (json_int_t)json_array_size(json_object_get(n->sas, "ike_sas")),
			"child_sas", (json_int_t)jnum(n->status, "child_sas")));
	}
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:O, s:O, s:I}",
		      "verdict", d->nfail ? "FAIL" : "PASS",
		      "mode", d->o->crash ? "crash" : "switchover",
		      "from", d->from, "to", d->to, "nodes", nodes,
		      "checks", d->checks, "child_sas", d->sa_rows,
		      "failed_checks", (json_int_t)d->nfail);
	json_object_set_new(o, "takeover_ms", d->takeover_ms >= 0 ?
			    json_integer(d->takeover_ms) : json_null());
	json_object_set_new(o, "first_esp_ms", d->first_esp_ms >= 0 ?
			    json_integer(d->first_esp_ms) : json_null());
	json_object_set_new(o, "traffic_gap_ms", d->traffic_gap_ms >= 0 ?
			    json_integer(d->traffic_gap_ms) : json_null());
	json_object_set_new(o, "handover", d->handover ? json_incref(d->handover) : json_null());
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

int hikectl_drill(const struct drill_opts *o)
{
	struct drill d = { .o = o, .checks = json_array(), .sa_rows = json_array(),
			   .takeover_ms = -1, .first_esp_ms = -1,
			   .traffic_gap_ms = -1, .old_packets = -1 };
	int rc;

	drill_run(&d);
	if (o->json)
		drill_print_json(&d);
	else
		drill_print(&d);
	fflush(stdout);
	rc = d.nfail ? 1 : 0;
	for (size_t i = 0; i < d.n; i++) {
		json_decref(d.nodes[i].status);
		json_decref(d.nodes[i].sas);
	}
	json_decref(d.checks);
	json_decref(d.sa_rows);
	json_decref(d.handover);
	return rc;
}
