/*
 * hiked's cluster wiring (sync: corosync): the CPG transport, the
 * replicator with the SA layer's hooks (node/sa/sa_sync.h), takeover
 * through netlink, ESP counter replication with the datapath's send limit,
 * and the cluster half of `hikectl status` and `switchover`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

int app_sync_start(struct hike *h)
{
	struct app *a = h->app;
	struct esp_counters_hooks hooks = { app_esp_read, app_esp_limit, h };
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
	if (h->sync) {
		sync_detach_loop(h->sync);
		sync_free(h->sync);
		h->sync = NULL;
	}
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

	o = json_pack("{s:I, s:I, s:s, s:I, s:I, s:I}",
		"lag_msgs", (json_int_t)sync_pending(h->sync),
		"lag_ms", (json_int_t)sync_pending_age_ms(h->sync),
		"snapshot", sync_in_sync(h->sync) ? "complete" : "in progress",
		"generation", (json_int_t)sync_generation(h->sync),
		"tx_msgs", (json_int_t)st->tx_msgs, "rx_msgs", (json_int_t)st->rx_msgs);
	if (o && sync_active(h->sync) &&
	    sync_member_info(h->sync, sync_active(h->sync), &mi) == 0 &&
	    mi.last_rx_ms_ago != UINT64_MAX)
		json_object_set_new(o, "last_update_ms_ago", json_integer((json_int_t)mi.last_rx_ms_ago));
	else if (o)
		json_object_set_new(o, "last_update_ms_ago", json_null());
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
	rc = sync_switchover(h->sync, node);
	if (rc < 0) {
		snprintf(err, errlen, "switchover refused: %s%s", strerror(-rc),
			 rc == -EPERM ? " (run it on the active node)" : "");
		return NULL;
	}
	return json_pack("{s:s, s:I}", "result", "switchover started", "to", (json_int_t)node);
}

int app_sync_ctl_register(struct hike *h)
{
	return ctl_register(h->ctl, "switchover", app_cmd_switchover, NULL);
}
