/*
 * hiked's cluster wiring (sync: corosync): the CPG transport, the
 * replicator with the SA layer's hooks (node/sa/sa_sync.h), takeover
 * through netlink, ESP counter replication with the datapath's send limit,
 * the graceful switchover (make before break, docs/cluster.md
 * "Switchover, step by step"), and the cluster half of `hikectl status`
 * and `switchover`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "app/app.h"
#include "app/app_int.h"
#include "conf/conf.h"
#include "core/hike.h"
#include "core/log.h"
#include "core/loop.h"
#include "ctl/ctl.h"
#include "esp/dp.h"
#include "sa/sa.h"
#include "sa/sa_sync.h"
#include "esp_counters.h"
#include "sync.h"
#include "takeover.h"
#include "transport.h"

static int app_esp_read(void *ctx, uint32_t spi_in, uint64_t *out, uint64_t *in)
{
	struct hike *h = ctx;
	struct esp_sa *sa = h->esp ? esp_dp_sa_find(h->esp, spi_in) : NULL;

	if (!sa)
		return -ENOENT;
	esp_sa_counters(sa, out, in);
	return 0;
}

static void app_esp_limit(void *ctx, uint32_t spi_in, uint64_t limit)
{
	struct hike *h = ctx;
	struct esp_sa *sa = h->esp ? esp_dp_sa_find(h->esp, spi_in) : NULL;

	if (sa)
		esp_sa_set_limit(sa, limit);
}

/* Every counter_ms the active reports its counters (DESIGN.md: "every N
 * packets or T ms"); the N-packet path is ESP_EV_SYNC in app_child.c. */
static void app_counter_tick(void *arg)
{
	struct hike *h = arg;

	if (h->sync && sync_is_active(h->sync))
		esp_counters_tick(sa_sync_counters(h->app->ss));
	loop_timer_arm(h->app->counter_timer, h->conf->sync.counter_ms);
}

void app_sync_esp_report(struct hike *h, uint32_t spi_in, uint64_t out, uint64_t in)
{
	if (h->app && h->app->ss && h->sync && sync_is_active(h->sync))
		esp_counters_note(sa_sync_counters(h->app->ss), spi_in, out, in);
}

/* ------------------------------------------- graceful switchover */

/*
 * Old active (A), new active (B); docs/cluster.md has the sequence:
 *  1. A (hikectl switchover): final values per Child SA -- A's datapath
 *     sends at most HEADROOM more -- replicated with B as successor;
 *  2. A, once they came back: the SwitchoverRequest naming B;
 *  3. on its delivery, everywhere: B active, A standby.  A keeps its
 *     VIPs and Child SAs in the datapath (it still forwards, outbound
 *     only up to the final values); B installs every SA (starting right
 *     after A's final values, sending at once), then announces the VIPs,
 *     then says so through CPG (EspCounters.vips_announced);
 *  4. A, on that record (or after HO_GRACE_MS): removes its Child SAs
 *     from the datapath and drops the VIPs.
 * A refused request (nobody eligible, membership change) lifts the
 * freeze again (esp_counters_handover_abort).
 */
#define HO_GRACE_MS		1000	/* A waits at most this for step 4 */
#define HO_REANNOUNCE_MS	1000	/* B announces the VIPs once more */

enum ho_phase { HO_IDLE = 0, HO_FREEZING, HO_REQUESTED, HO_LINGER };

struct app_handover {
	struct hike *h;
	struct sync_ops orig;		/* sa_sync's, wrapped below */
	enum ho_phase phase;
	uint32_t to;			/* the successor A named */
	bool release_graceful;		/* A: our request was honoured */
	bool takeover_graceful;		/* B: we were named */
	struct loop_timer *grace, *reannounce;
	uint32_t *linger;		/* A: inbound SPIs still in the datapath */
	size_t nlinger, caplinger;
	/* the last hand-over on this node, for hikectl status / drill;
	 * wall-clock milliseconds, 0 = not (yet) */
	struct ho_last {
		const char *role;	/* "old active" / "new active" */
		const char *result;	/* "under way", "done", "aborted" */
		uint32_t from, to;
		uint64_t command, finals_back, switched, installed, announced,
			 released;
		uint64_t finals, kept, exact;
		uint64_t kept_pkts;	/* ESP through the kept SAs meanwhile */
	} last;
};

static uint64_t ho_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct esp_counters *ho_ec(struct app_handover *ho)
{
	return sa_sync_counters(ho->h->app->ss);
}

static struct takeover *ho_tk(struct app_handover *ho)
{
	return sa_sync_takeover(ho->h->app->ss);
}

static void ho_abort(struct app_handover *ho, const char *why)
{
	struct hike *h = ho->h;

	if (ho->phase != HO_FREEZING && ho->phase != HO_REQUESTED)
		return;
	ho->phase = HO_IDLE;
	ho->last.result = "aborted";
	if (h->sync && sync_is_active(h->sync)) {
		esp_counters_handover_abort(ho_ec(ho));
		log_warn(&h->log, "switchover: aborted (%s): still active, "
			 "forwarding past the final values once new "
			 "reservations are back", why);
	} else {
		esp_counters_handover_end(ho_ec(ho));
		log_warn(&h->log, "switchover: aborted (%s)", why);
	}
}

/* Step 2: every member holds the final values: ask to hand over. */
static void ho_finals_back(void *arg, int status)
{
	struct hike *h = arg;
	struct app_handover *ho = h->app ? h->app->ho : NULL;
	int rc;

	if (!ho || ho->phase != HO_FREEZING)
		return;
	ho->last.finals_back = ho_now();
	if (status || !h->sync || !sync_is_active(h->sync)) {
		ho_abort(ho, status ? strerror(-status) : "no longer active");
		return;
	}
	rc = sync_switchover(h->sync, ho->to);
	if (rc) {
		ho_abort(ho, strerror(-rc));
		return;
	}
	ho->phase = HO_REQUESTED;
	log_info(&h->log, "switchover: step 2: final values replicated, "
		 "handing over to node %u", ho->to);
}

/* Step 1. */
static int ho_begin(struct app_handover *ho, uint32_t to)
{
	struct hike *h = ho->h;
	const struct esp_counters_stats *st = esp_counters_stats(ho_ec(ho));
	uint64_t before = st->finals_sent;
	int n;

	ho->phase = HO_FREEZING;
	ho->to = to;
	ho->last = (struct ho_last){ .role = "old active", .result = "under way",
				       .from = sync_nodeid(h->sync), .to = to,
				       .command = ho_now() };
	n = esp_counters_handover_begin(ho_ec(ho), to, ho_finals_back, h);
	if (n < 0) {
		ho_abort(ho, strerror(-n));
		return n;
	}
	ho->last.finals = st->finals_sent - before;
	log_info(&h->log, "switchover: step 1: %llu Child SA(s) stop at their "
		 "final sequence numbers (at most %d more packets each), "
		 "successor node %u", (unsigned long long)ho->last.finals,
		 ESP_COUNTERS_HANDOVER_HEADROOM, to);
	if (n == 0)
		ho_finals_back(h, 0);
	return ho->phase == HO_IDLE ? -ECANCELED : 0;
}

/* ESP packets (both directions) through the kept Child SAs so far. */
static uint64_t ho_linger_packets(struct app_handover *ho)
{
	uint64_t n = 0;

	for (size_t i = 0; ho->h->esp && i < ho->nlinger; i++) {
		struct esp_sa *e = esp_dp_sa_find(ho->h->esp, ho->linger[i]);

		if (e)
			n += e->sa_st.in_packets + e->sa_st.out_packets;
	}
	return n;
}

/* Step 4 on A: the new active has announced the VIPs (or time is up). */
static void ho_release(struct app_handover *ho, const char *why)
{
	struct hike *h = ho->h;
	size_t n = 0;

	if (ho->phase != HO_LINGER)
		return;
	loop_timer_stop(ho->grace);
	ho->last.kept_pkts = ho_linger_packets(ho) - ho->last.kept_pkts;
	for (size_t i = 0; i < ho->nlinger; i++)
		if (h->esp && esp_dp_sa_del(h->esp, ho->linger[i]) == 0)
			n++;
	ho->nlinger = 0;
	takeover_vips_release(ho_tk(ho));
	esp_counters_handover_end(ho_ec(ho));
	ho->phase = HO_IDLE;
	ho->last.released = ho_now();
	ho->last.result = "done";
	log_info(&h->log, "switchover: step 4: %s: %zu Child SA(s) out of the "
		 "datapath (%llu ESP packets through them since step 3), virtual "
		 "IPs released", why, n, (unsigned long long)ho->last.kept_pkts);
}

static void ho_grace_cb(void *arg)
{
	ho_release(arg, "no announcement from the new active in time");
}

/* esp_counters hook: an EspCounters record with vips_announced. */
static void ho_vips_announced(void *ctx, uint32_t from)
{
	struct hike *h = ctx;
	struct app_handover *ho = h->app ? h->app->ho : NULL;
	char why[64];

	if (!ho || ho->phase != HO_LINGER)
		return;
	snprintf(why, sizeof(why), "node %u announced the virtual IPs", from);
	ho_release(ho, why);
}

static void ho_reannounce_cb(void *arg)
{
	struct app_handover *ho = arg;

	if (ho->h->sync && sync_is_active(ho->h->sync))
		takeover_vips_announce(ho_tk(ho));
}

/* While sa_sync releases the role on A: Child SAs stay in the datapath. */
static int ho_linger_remove(void *ctx, const struct child_sa *c)
{
	struct app_handover *ho = ctx;

	if (ho->nlinger == ho->caplinger) {
		size_t cap = ho->caplinger ? ho->caplinger * 2 : 64;
		uint32_t *nv = realloc(ho->linger, cap * sizeof(*nv));

		if (!nv)	/* out of memory: remove it now */
			return ho->h->esp ? esp_dp_sa_del(ho->h->esp, c->csa_spi_in) : 0;
		ho->linger = nv;
		ho->caplinger = cap;
	}
	ho->linger[ho->nlinger++] = c->csa_spi_in;
	return 0;
}

static const struct child_sa_ops ho_linger_ops = { .remove = ho_linger_remove };

/* --- the sync_ops wrappers (sa_sync's under them) --- */

static void ho_switchover(void *ctx, uint32_t from, uint32_t to)
{
	struct app_handover *ho = ctx;
	uint32_t me = sync_nodeid(ho->h->sync);

	if (from == me && !to) {
		ho_abort(ho, "refused by the cluster");
	} else if (from == me) {
		ho->release_graceful = ho->phase == HO_REQUESTED;
		ho->last.switched = ho_now();
	}
	if (to && to == me) {
		ho->takeover_graceful = true;
		ho->last = (struct ho_last){ .role = "new active",
			.result = "under way", .from = from, .to = to,
			.switched = ho_now() };
	}
	if (ho->orig.switchover)
		ho->orig.switchover(ho->orig.ctx, from, to);
}

static void ho_became_active(void *ctx)
{
	struct app_handover *ho = ctx;
	struct hike *h = ho->h;
	const struct esp_counters_stats *st = esp_counters_stats(ho_ec(ho));
	uint64_t exact = st->takeovers_exact;
	bool graceful = ho->takeover_graceful;

	ho->takeover_graceful = false;
	if (ho->phase == HO_LINGER) {
		/* active again before step 4: the VIPs stay (vips_up), the
		 * lingering datapath SAs make room for the takeover's */
		for (size_t i = 0; i < ho->nlinger; i++)
			if (h->esp)
				esp_dp_sa_del(h->esp, ho->linger[i]);
		ho->nlinger = 0;
		loop_timer_stop(ho->grace);
		ho->phase = HO_IDLE;
		ho->last.result = "done";
	}
	esp_counters_handover_end(ho_ec(ho));
	/* make before break: the datapath first, the announcements after */
	takeover_defer_announce(ho_tk(ho), true);
	ho->orig.became_active(ho->orig.ctx);
	if (graceful)
		ho->last.installed = ho_now();
	takeover_defer_announce(ho_tk(ho), false);
	esp_counters_handover_forget(ho_ec(ho));
	/* lets a lingering old active go (step 4) */
	esp_counters_vips_announced(ho_ec(ho));
	loop_timer_arm(ho->reannounce, HO_REANNOUNCE_MS);
	if (graceful) {
		ho->last.announced = ho_now();
		ho->last.exact = st->takeovers_exact - exact;
		ho->last.result = "done";
		log_info(&h->log, "switchover: step 3: %llu Child SA(s) resume right "
			 "after node %u's final sequence numbers (no jump); virtual "
			 "IPs announced", (unsigned long long)ho->last.exact,
			 ho->last.from);
	}
}

static void ho_became_standby(void *ctx)
{
	struct app_handover *ho = ctx;
	struct hike *h = ho->h;

	loop_timer_stop(ho->reannounce);
	if (!ho->release_graceful || !h->esp) {
		if (ho->phase == HO_FREEZING || ho->phase == HO_REQUESTED)
			ho_abort(ho, "no longer active");
		ho->release_graceful = false;
		ho->orig.became_standby(ho->orig.ctx);
		return;
	}
	ho->release_graceful = false;
	ho->phase = HO_LINGER;
	ho->nlinger = 0;
	takeover_linger(ho_tk(ho), true);
	sa_set_child_ops(h, &ho_linger_ops, ho);
	ho->orig.became_standby(ho->orig.ctx);
	app_child_attach(h);
	takeover_linger(ho_tk(ho), false);
	ho->last.kept = ho->nlinger;
	ho->last.kept_pkts = ho_linger_packets(ho);	/* the base */
	loop_timer_arm(ho->grace, HO_GRACE_MS);
	log_info(&h->log, "switchover: step 3: standby; %zu Child SA(s) stay in the "
		 "datapath (outbound up to the final values only) and the virtual "
		 "IPs stay until node %u has announced them", ho->nlinger, ho->to);
}

static void ho_reannounce(void *ctx)
{
	struct app_handover *ho = ctx;

	if (ho->orig.reannounce)
		ho->orig.reannounce(ho->orig.ctx);
}

static int ho_apply(void *ctx, const HikeSync__Record *r)
{
	struct app_handover *ho = ctx;

	return ho->orig.apply(ho->orig.ctx, r);
}

static void ho_snap_reset(void *ctx)
{
	struct app_handover *ho = ctx;

	ho->orig.snap_reset(ho->orig.ctx);
}

static void *ho_snap_open(void *ctx)
{
	struct app_handover *ho = ctx;

	return ho->orig.snap_open(ho->orig.ctx);
}

static ssize_t ho_snap_next(void *ctx, void *it, uint8_t *buf, size_t cap)
{
	struct app_handover *ho = ctx;

	return ho->orig.snap_next(ho->orig.ctx, it, buf, cap);
}

static void ho_snap_close(void *ctx, void *it)
{
	struct app_handover *ho = ctx;

	ho->orig.snap_close(ho->orig.ctx, it);
}

static struct app_handover *ho_new(struct hike *h, struct sync_ops *ops)
{
	struct app_handover *ho = calloc(1, sizeof(*ho));

	if (!ho)
		return NULL;
	ho->h = h;
	ho->orig = *ops;
	ho->grace = loop_timer_new(h->loop, ho_grace_cb, ho);
	ho->reannounce = loop_timer_new(h->loop, ho_reannounce_cb, ho);
	if (!ho->grace || !ho->reannounce || !ops->became_active ||
	    !ops->became_standby || !ops->apply || !ops->snap_reset ||
	    !ops->snap_open || !ops->snap_next || !ops->snap_close) {
		loop_timer_free(ho->grace);
		loop_timer_free(ho->reannounce);
		free(ho);
		return NULL;
	}
	*ops = (struct sync_ops){
		.apply = ho_apply, .snap_reset = ho_snap_reset,
		.snap_open = ho_snap_open, .snap_next = ho_snap_next,
		.snap_close = ho_snap_close,
		.became_active = ho_became_active,
		.became_standby = ho_became_standby,
		.reannounce = ho_reannounce, .switchover = ho_switchover,
		.ctx = ho,
	};
	return ho;
}

static void ho_free(struct app_handover *ho)
{
	if (!ho)
		return;
	loop_timer_free(ho->grace);
	loop_timer_free(ho->reannounce);
	free(ho->linger);
	free(ho);
}

/* The in-sync member the roles would pick: priority, then lowest id. */
static uint32_t ho_best_standby(struct hike *h)
{
	uint32_t m[32], best = 0, bestprio = 0;
	size_t n = sync_members(h->sync, m, 32);

	for (size_t i = 0; i < n; i++) {
		struct sync_member_info mi = { .priority = 0 };

		if (m[i] == sync_nodeid(h->sync) ||
		    sync_member_state(h->sync, m[i]) != SYNC_MEMBER_IN_SYNC ||
		    sync_member_info(h->sync, m[i], &mi))
			continue;
		if (!best || mi.priority > bestprio ||
		    (mi.priority == bestprio && m[i] < best)) {
			best = m[i];
			bestprio = mi.priority;
		}
	}
	return best;
}

int app_sync_start(struct hike *h)
{
	struct app *a = h->app;
	struct esp_counters_hooks hooks = { app_esp_read, app_esp_limit, h,
					    ho_vips_announced };
	struct sync_conf sc = { 0 };
	struct sync_transport *t;

	if (h->conf->sync.mode == CONF_SYNC_NONE)
		return 0;
	takeover_net_netlink(&a->tnet, a->nl);
	a->ss = sa_sync_new(h, &a->tnet, &hooks);
	if (!a->ss)
		return -ENOMEM;
	sc.cluster = h->conf->sync.cluster;
	sc.group = h->conf->sync.group;
	sc.priority = h->conf->node.priority;
	sc.name = h->conf->node.name;
	sa_sync_fill_ops(a->ss, &sc.ops);
	a->ho = ho_new(h, &sc.ops);
	if (!a->ho)
		return -ENOMEM;
	t = sync_transport_cpg_new(h->loop);
	if (!t) {
		log_err(&h->log, "sync: cannot reach corosync (CPG): %s; is corosync running?",
			strerror(errno));
		return -EHOSTUNREACH;
	}
	h->sync = sync_new(h, t, &sc);
	if (!h->sync) {
		log_err(&h->log, "sync: cannot join CPG group %s: %s", sc.group, strerror(errno));
		return -errno ? -errno : -EIO;
	}
	sync_attach_loop(h->sync, h->loop);
	a->counter_timer = loop_timer_new(h->loop, app_counter_tick, h);
	if (!a->counter_timer)
		return -ENOMEM;
	loop_timer_arm(a->counter_timer, h->conf->sync.counter_ms);
	log_info(&h->log, "sync: joined CPG group %s of cluster %s as node %u (priority %u)",
		 sc.group, sc.cluster, sync_nodeid(h->sync), sc.priority);
	return 0;
}

void app_sync_stop(struct hike *h)
{
	struct app *a = h->app;

	loop_timer_free(a->counter_timer);
	a->counter_timer = NULL;
	/* a stopping active gives its virtual IPs back, so the standby's
	 * gratuitous ARP is not contradicted by a dead node's kernel */
	if (h->sync && sync_is_active(h->sync) && a->ss) {
		takeover_vips_down(sa_sync_takeover(a->ss));
		log_info(&h->log, "stopping: virtual IPs released");
	}
	if (a->ho) {
		ho_release(a->ho, "stopping");
		/* a hand-over in progress ends here: the callbacks that
		 * sync_free() cancels must not submit anything */
		if (a->ho->phase != HO_IDLE) {
			esp_counters_handover_end(sa_sync_counters(a->ss));
			a->ho->phase = HO_IDLE;
			a->ho->last.result = "aborted";
		}
	}
	if (h->sync) {
		sync_detach_loop(h->sync);
		sync_free(h->sync);
		h->sync = NULL;
	}
	ho_free(a->ho);
	a->ho = NULL;
	sa_sync_free(a->ss);
	a->ss = NULL;
}

/* --- control socket: the cluster half of status, and switchover --- */

static const char *app_role(struct hike *h, uint32_t node)
{
	int st = sync_member_state(h->sync, node);

	if (!sync_quorate(h->sync))
		return node == sync_nodeid(h->sync) ? "no-quorum" : "unknown";
	if (sync_active(h->sync) == node)
		return "active";
	return st == SYNC_MEMBER_IN_SYNC ? "standby" : "syncing";
}

/* healthy: quorate and (active with an in-sync standby, or an in-sync
 * standby itself); degraded: quorate but nothing to fail over to; down:
 * no quorum. */
static const char *app_health(struct hike *h, const char **why)
{
	uint32_t m[32];
	size_t n = sync_members(h->sync, m, 32), standbys = 0;

	if (!sync_quorate(h->sync)) {
		*why = "no quorum: this node will not act as active";
		return "down";
	}
	for (size_t i = 0; i < n; i++)
		if (m[i] != sync_active(h->sync) &&
		    sync_member_state(h->sync, m[i]) == SYNC_MEMBER_IN_SYNC)
			standbys++;
	if (!sync_active(h->sync)) {
		*why = "no active node";
		return "degraded";
	}
	if (!standbys) {
		*why = "no in-sync standby: a failure now would drop every SA";
		return "degraded";
	}
	*why = NULL;
	return "healthy";
}

/* A member's node.name as it announced it ("node<id>" until it has). */
static const char *app_member_name(struct hike *h, uint32_t node, char *buf, size_t len)
{
	struct sync_member_info mi;

	if (sync_member_info(h->sync, node, &mi) == 0 && mi.name[0])
		snprintf(buf, len, "%s", mi.name);
	else
		snprintf(buf, len, "node%u", node);
	return buf;
}

/* Sync figures from this node's view: when an envelope of the active
 * last came back here (on the active: its own), and how much of what
 * the active submitted has not come back yet (on a standby: 0). */
static json_t *app_sync_health(struct hike *h)
{
	const struct sync_stats *st = sync_get_stats(h->sync);
	struct sync_member_info mi;
	json_t *o;

	o = json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
		"lag_msgs", (json_int_t)sync_pending(h->sync),
		"lag_ms", (json_int_t)sync_pending_age_ms(h->sync),
		"snapshot", sync_in_sync(h->sync) ? "complete" : "in progress",
		"generation", (json_int_t)sync_generation(h->sync),
		"tx_msgs", (json_int_t)st->tx_msgs, "rx_msgs", (json_int_t)st->rx_msgs,
		/* batching: records per CPG message, frames the window held */
		"tx_records", (json_int_t)st->tx_records,
		"tx_batches", (json_int_t)st->tx_batches,
		"tx_held", (json_int_t)st->tx_held);
	if (o && sync_active(h->sync) &&
	    sync_member_info(h->sync, sync_active(h->sync), &mi) == 0 &&
	    mi.last_rx_ms_ago != UINT64_MAX)
		json_object_set_new(o, "last_update_ms_ago", json_integer((json_int_t)mi.last_rx_ms_ago));
	else if (o)
		json_object_set_new(o, "last_update_ms_ago", json_null());
	return o;
}

/* The last graceful hand-over this node took part in: wall-clock ms of
 * each step (null = not reached), so that a drill can line up both
 * nodes' steps. */
static json_t *app_handover_json(const struct app_handover *ho)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
		"role", ho->last.role, "result", ho->last.result,
		"from", (json_int_t)ho->last.from, "to", (json_int_t)ho->last.to,
		"final_sas", (json_int_t)ho->last.finals,
		"kept_sas", (json_int_t)ho->last.kept,
		"exact_sas", (json_int_t)ho->last.exact);
	if (o && ho->last.released)
		json_object_set_new(o, "kept_packets", json_integer((json_int_t)ho->last.kept_pkts));
	const struct { const char *k; uint64_t v; } at[] = {
		{ "command_ms", ho->last.command },
		{ "finals_back_ms", ho->last.finals_back },
		{ "switched_ms", ho->last.switched },
		{ "installed_ms", ho->last.installed },
		{ "announced_ms", ho->last.announced },
		{ "released_ms", ho->last.released },
	};

	for (size_t i = 0; o && i < sizeof(at) / sizeof(at[0]); i++)
		json_object_set_new(o, at[i].k, at[i].v ?
				    json_integer((json_int_t)at[i].v) : json_null());
	return o;
}

void app_sync_status(struct hike *h, json_t *o)
{
	json_t *members, *vips;
	const char *why = NULL, *health;
	uint32_t m[32];
	size_t n;
	char addr[80], ip[64], holder[80];

	if (!h->sync)
		return;
	if (sync_active(h->sync))
		app_member_name(h, sync_active(h->sync), holder, sizeof(holder));
	else
		snprintf(holder, sizeof(holder), "nobody");
	json_object_set_new(o, "nodeid", json_integer(sync_nodeid(h->sync)));
	json_object_set_new(o, "role", json_string(app_role(h, sync_nodeid(h->sync))));
	json_object_set_new(o, "quorate", json_boolean(sync_quorate(h->sync)));
	health = app_health(h, &why);
	json_object_set_new(o, "health", json_string(health));
	if (why)
		json_object_set_new(o, "health_reason", json_string(why));
	members = json_array();
	n = sync_members(h->sync, m, 32);
	for (size_t i = 0; i < n; i++) {
		struct sync_member_info mi = { .priority = 0 };
		char name[80];
		json_t *mo;

		app_member_name(h, m[i], name, sizeof(name));
		sync_member_info(h->sync, m[i], &mi);
		mo = json_pack("{s:s, s:I, s:s, s:I, s:b, s:b}",
			"name", name, "nodeid", (json_int_t)m[i], "role", app_role(h, m[i]),
			"priority", (json_int_t)mi.priority,
			"in_sync", sync_member_state(h->sync, m[i]) == SYNC_MEMBER_IN_SYNC,
			"self", m[i] == sync_nodeid(h->sync));
		if (mo && m[i] != sync_nodeid(h->sync) && mi.last_rx_ms_ago != UINT64_MAX)
			json_object_set_new(mo, "last_rx_ms_ago", json_integer((json_int_t)mi.last_rx_ms_ago));
		json_array_append_new(members, mo);
	}
	json_object_set_new(o, "members", members);
	vips = json_array();
	for (size_t i = 0; i < h->conf->sync.nvips; i++) {
		const struct conf_vip *v = &h->conf->sync.vips[i];
		struct sockaddr_storage ss = { .ss_family = (sa_family_t)v->net.family };

		if (v->net.family == AF_INET)
			memcpy(&((struct sockaddr_in *)&ss)->sin_addr, v->net.addr, 4);
		else
			memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, v->net.addr, 16);
		snprintf(addr, sizeof(addr), "%s/%u", sa_addr_str(&ss, ip, sizeof(ip)), v->net.plen);
		json_array_append_new(vips, json_pack("{s:s, s:s, s:s}", "addr", addr, "dev", v->dev,
			"holder", holder));
	}
	json_object_set_new(o, "vips", vips);
	json_object_set_new(o, "sync_health", app_sync_health(h));
	if (h->app->ho && h->app->ho->last.role)
		json_object_set_new(o, "handover", app_handover_json(h->app->ho));
}

static json_t *app_cmd_switchover(struct hike *h, void *arg, json_t *args,
				  char *err, size_t errlen)
{
	const char *to = json_string_value(json_object_get(args, "to"));
	uint32_t node = 0;
	int rc;

	(void)arg;
	if (!h->sync) {
		snprintf(err, errlen, "this node runs without sync (sync: none)");
		return NULL;
	}
	if (to && sscanf(to, "%*[^0-9]%u", &node) != 1 && sscanf(to, "%u", &node) != 1) {
		snprintf(err, errlen, "--to takes a node id (e.g. 2 or node2)");
		return NULL;
	}
	if (node && sync_member_state(h->sync, node) != SYNC_MEMBER_IN_SYNC) {
		snprintf(err, errlen, "node %u is not an in-sync member of this cluster", node);
		return NULL;
	}
	if (!sync_is_active(h->sync)) {
		snprintf(err, errlen, "switchover refused: %s (run it on the active node)",
			 strerror(EPERM));
		return NULL;
	}
	if (node == sync_nodeid(h->sync)) {
		snprintf(err, errlen, "node %u is this node, the active", node);
		return NULL;
	}
	if (h->app->ho->phase != HO_IDLE) {
		snprintf(err, errlen, "switchover refused: a hand-over is under way");
		return NULL;
	}
	if (!node && !(node = ho_best_standby(h))) {
		snprintf(err, errlen, "switchover refused: no in-sync standby");
		return NULL;
	}
	rc = ho_begin(h->app->ho, node);
	if (rc < 0) {
		snprintf(err, errlen, "switchover refused: %s", strerror(-rc));
		return NULL;
	}
	return json_pack("{s:s, s:I, s:I}", "result", "switchover started", "to", (json_int_t)node,
			 "final_sas", (json_int_t)h->app->ho->last.finals);
}

int app_sync_ctl_register(struct hike *h)
{
	return ctl_register(h->ctl, "switchover", app_cmd_switchover, NULL);
}
