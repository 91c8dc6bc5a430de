/*
 * Renderings for hikectl.  The status result (node/ctl handlers) is:
 *   { node, cluster, sync: "none"|"corosync", role, quorate, health:
 *     "healthy"|"degraded"|"down", health_reason, uptime_s,
 *     vips: [{ addr, holder }],
 *     pid, nodeid,
 *     members: [{ name, nodeid, role, priority, in_sync, self,
 *                 last_rx_ms_ago (others: ms since their last sync message) }],
 *     sync_health: { last_update_ms_ago (since the active's last sync
 *                    message reached this node; null = never), lag_msgs and
 *                    lag_ms (records the active submitted that have not
 *                    come back yet, and the age of the oldest), snapshot,
 *                    generation, tx_msgs, rx_msgs, tx_records, tx_batches,
 *                    tx_held },
 *     ike_sas, child_sas, half_open, counters: { name: n, ... } }
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hikectl/render.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (json_is_boolean(v))
		return json_is_true(v);
	return json_is_integer(v) ? json_integer_value(v) : (long long)json_number_value(v);
}

int hikectl_status_health(json_t *res)
{
	const char *h = str(res, "health");

	if (strcmp(h, "healthy") == 0)
		return 0;
	if (strcmp(h, "degraded") == 0)
		return 1;
	return 2;
}

static void render_members(json_t *res)
{
	json_t *m;
	size_t i;

	if (!json_array_size(json_object_get(res, "members")))
		return;
	printf("\n  %-16s %6s %-9s %8s %-8s %s\n", "member", "nodeid", "role", "priority", "sync", "last heard");
	json_array_foreach(json_object_get(res, "members"), i, m) {
		char heard[32] = "-";

		if (num(m, "self"))
			snprintf(heard, sizeof(heard), "(this node)");
		else if (json_is_integer(json_object_get(m, "last_rx_ms_ago")))
			snprintf(heard, sizeof(heard), "%lld ms ago", num(m, "last_rx_ms_ago"));
		printf("  %-16s %6lld %-9s %8lld %-8s %s\n", str(m, "name"), num(m, "nodeid"),
		       str(m, "role"), num(m, "priority"),
		       num(m, "in_sync") ? "in-sync" : "syncing", heard);
	}
}

static void render_vips(json_t *res)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(res, "vips"), i, v)
		printf("  virtual IP %-20s held by %s\n", str(v, "addr"), str(v, "holder"));
}

static void render_counters(json_t *res)
{
	const char *k;
	json_t *v;
	int any = 0;

	json_object_foreach(json_object_get(res, "counters"), k, v) {
		if (!json_integer_value(v))
			continue;
		if (!any++)
			printf("\n  counters:\n");
		printf("    %-32s %lld\n", k, (long long)json_integer_value(v));
	}
}

int hikectl_render_status(json_t *res)
{
	json_t *sh = json_object_get(res, "sync_health");

	printf("node %s  cluster %s  sync %s\n", str(res, "node"), str(res, "cluster"), str(res, "sync"));
	printf("  role %s, %s, health %s%s%s%s\n", str(res, "role"),
	       num(res, "quorate") ? "quorate" : "NO QUORUM", str(res, "health"),
	       json_object_get(res, "health_reason") ? " (" : "",
	       json_object_get(res, "health_reason") ? str(res, "health_reason") : "",
	       json_object_get(res, "health_reason") ? ")" : "");
	printf("  IKE SAs %lld, Child SAs %lld, half-open %lld, up %llds\n",
	       num(res, "ike_sas"), num(res, "child_sas"), num(res, "half_open"),
	       num(res, "uptime_s"));
	if (sh && json_is_integer(json_object_get(sh, "last_update_ms_ago")))
		printf("  sync: last update %lld ms ago, lag %lld msgs / %lld ms, snapshot %s\n",
		       num(sh, "last_update_ms_ago"), num(sh, "lag_msgs"),
		       num(sh, "lag_ms"), str(sh, "snapshot"));
	else if (sh)
		printf("  sync: no update from an active yet, lag %lld msgs / %lld ms, snapshot %s\n",
		       num(sh, "lag_msgs"), num(sh, "lag_ms"), str(sh, "snapshot"));
	if (sh && num(sh, "tx_batches") > 0)
		printf("  sync: sent %lld records in %lld batches (%.1f per CPG message), "
		       "%lld held by the batch window\n", num(sh, "tx_records"),
		       num(sh, "tx_batches"),
		       (double)num(sh, "tx_records") / (double)num(sh, "tx_batches"),
		       num(sh, "tx_held"));
	render_vips(res);
	render_members(res);
	render_counters(res);
	return hikectl_status_health(res);
}

static void render_child(json_t *c)
{
	printf("    child %-10s %s/%s %s  in %08llx out %08llx  %s\n",
	       str(c, "state"), str(c, "local_ts"), str(c, "remote_ts"), str(c, "alg"),
	       num(c, "spi_in"), num(c, "spi_out"), str(c, "mode"));
	printf("      in %lld bytes %lld pkts, out %lld bytes %lld pkts, seq out %lld in %lld (synced %lld ms ago)\n",
	       num(c, "bytes_in"), num(c, "packets_in"), num(c, "bytes_out"),
	       num(c, "packets_out"), num(c, "seq_out"), num(c, "seq_in"),
	       num(c, "synced_ms_ago"));
}

int hikectl_render_sas(json_t *res)
{
	json_t *sa, *c;
	size_t i, j;

	json_array_foreach(json_object_get(res, "ike_sas"), i, sa) {
		printf("ike %lld %s: %s %s[%s] <-> %s[%s]\n", num(sa, "serial"),
		       str(sa, "conn"), str(sa, "state"), str(sa, "local"),
		       str(sa, "local_id"), str(sa, "remote"), str(sa, "remote_id"));
		printf("  spi %s_i %s_r  %s  age %llds, rekey in %llds, msgid in %lld out %lld%s\n",
		       str(sa, "spi_i"), str(sa, "spi_r"), str(sa, "alg"), num(sa, "age_s"),
		       num(sa, "rekey_in_s"), num(sa, "msgid_in"), num(sa, "msgid_out"),
		       num(sa, "msgid_sync") ? ", RFC 6311" : "");
		json_array_foreach(json_object_get(sa, "children"), j, c)
			render_child(c);
	}
	if (!json_array_size(json_object_get(res, "ike_sas")))
		printf("no IKE SAs\n");
	return 0;
}

/* OpenMetrics text (https://openmetrics.io): one gauge/counter family per
 * figure, the role as a labelled gauge. */
int hikectl_render_metrics(json_t *res)
{
	const char *k;
	json_t *v;

	printf("# TYPE hike_ike_sas gauge\nhike_ike_sas %lld\n", num(res, "ike_sas"));
	printf("# TYPE hike_child_sas gauge\nhike_child_sas %lld\n", num(res, "child_sas"));
	printf("# TYPE hike_half_open gauge\nhike_half_open %lld\n", num(res, "half_open"));
	printf("# TYPE hike_quorate gauge\nhike_quorate %lld\n", num(res, "quorate"));
	printf("# TYPE hike_role gauge\nhike_role{role=\"%s\"} 1\n", str(res, "role"));
	if (json_is_object(json_object_get(res, "sync_health"))) {
		json_t *sh = json_object_get(res, "sync_health");

		printf("# TYPE hike_sync_messages counter\nhike_sync_messages_total{dir=\"tx\"} %lld\n"
		       "hike_sync_messages_total{dir=\"rx\"} %lld\n", num(sh, "tx_msgs"), num(sh, "rx_msgs"));
		printf("# TYPE hike_sync_records counter\nhike_sync_records_total %lld\n", num(sh, "tx_records"));
		printf("# TYPE hike_sync_lag_messages gauge\nhike_sync_lag_messages %lld\n", num(sh, "lag_msgs"));
	}
	printf("# TYPE hike_events counter\n");
	json_object_foreach(json_object_get(res, "counters"), k, v)
		printf("hike_events_total{event=\"%s\"} %lld\n", k, (long long)json_integer_value(v));
	printf("# EOF\n");
	return 0;
}

int hikectl_render_generic(json_t *res)
{
	const char *k;
	json_t *v;

	json_object_foreach(res, k, v) {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%s: %s\n", k, s ? s : "?");
		free(s);
	}
	return 0;
}
