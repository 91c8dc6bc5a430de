/*
 * Control socket commands of a node: "status", "sas" and the lab-only
 * "crash".  The result
 * shapes are documented in node/hikectl/render.c.  The cluster parts of
 * "status" (members, roles, VIPs, sync health) are added by the sync
 * layer when sync is on.
 */
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "app/app_int.h"
#include "conf/conf.h"
#include "core/counters.h"
#include "core/hike.h"
#include "core/log.h"
#include "core/loop.h"
#include "ctl/ctl.h"
#include "esp/dp.h"
#include "sa/sa.h"

static int app_counter_json(void *ctx, const char *name, uint64_t v)
{
	json_object_set_new(ctx, name, json_integer((json_int_t)v));
	return 0;
}

static json_t *app_counters_json(struct hike *h)
{
	json_t *o = json_object();

	counters_each(h->counters, app_counter_json, o);
	if (h->esp) {
		struct esp_dp_stats ds;

		esp_dp_stats(h->esp, &ds);
		json_object_set_new(o, "esp.keepalives", json_integer((json_int_t)ds.keepalives));
		json_object_set_new(o, "esp.tun_gso", json_integer((json_int_t)ds.tun_gso));
		json_object_set_new(o, "esp.gro_writes", json_integer((json_int_t)ds.gro_writes));
		json_object_set_new(o, "esp.udp_gso", json_integer((json_int_t)ds.udp_gso));
		json_object_set_new(o, "esp.gso_fallbacks", json_integer((json_int_t)ds.gso_fallbacks));
		json_object_set_new(o, "esp.udp_gro", json_integer((json_int_t)ds.udp_gro));
		json_object_set_new(o, "esp.paced", json_integer((json_int_t)ds.paced));
		json_object_set_new(o, "esp.drop_offload", json_integer((json_int_t)ds.drops[ESP_DROP_OFFLOAD]));
	}
	return o;
}

static json_t *app_cmd_status(struct hike *h, void *arg, json_t *args,
			      char *err, size_t errlen)
{
	uint64_t now = loop_now_ms(h->loop);
	json_t *o;

	(void)arg; (void)args; (void)err; (void)errlen;
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:I, s:I}",
		      "node", h->conf->node.name,
		      "cluster", h->conf->sync.cluster[0] ? h->conf->sync.cluster : "-",
		      "sync", h->conf->sync.mode == CONF_SYNC_NONE ? "none" : "corosync",
		      "role", "active", "quorate", 1, "health", "healthy",
		      "uptime_s", (json_int_t)((now - h->app->started_ms) / 1000),
		      "ike_sas", (json_int_t)(ike_sa_count(h) - ike_sa_half_open_count(h)),
		      "child_sas", (json_int_t)child_sa_count(h),
		      "half_open", (json_int_t)ike_sa_half_open_count(h));
	if (o) {
		json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
		json_object_set_new(o, "counters", app_counters_json(h));
		app_sync_status(h, o);
	}
	return o;
}

struct app_sas_ctx {
	struct hike *h;
	json_t *list;
	const char *peer, *id;
	uint64_t now;
};

static const char *app_alg(const struct ike_suite *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%u/%s/%s/%s", ike_encr_name(s->encr), s->encr_keylen,
		 s->integ ? ike_integ_name(s->integ) : "AEAD", ike_prf_name(s->prf),
		 ike_dh_name(s->dh));
	return buf;
}

static void app_ts_str(const struct ike_ts *ts, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		struct sockaddr_storage a = { 0 }, b = { 0 };
		char s1[64], s2[64];
		int fam = ts[i].type == IKE_TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;

		a.ss_family = b.ss_family = (sa_family_t)fam;
		if (fam == AF_INET) {
			memcpy(&((struct sockaddr_in *)&a)->sin_addr, ts[i].start, 4);
			memcpy(&((struct sockaddr_in *)&b)->sin_addr, ts[i].end, 4);
		} else {
			memcpy(&((struct sockaddr_in6 *)&a)->sin6_addr, ts[i].start, 16);
			memcpy(&((struct sockaddr_in6 *)&b)->sin6_addr, ts[i].end, 16);
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s-%s", i ? "," : "",
					sa_addr_str(&a, s1, sizeof(s1)), sa_addr_str(&b, s2, sizeof(s2)));
	}
}

static json_t *app_child_json(struct hike *h, const struct child_sa *c)
{
	char lts[256], rts[256], alg[64];
	struct esp_sa *e = h->esp ? esp_dp_sa_find(h->esp, c->csa_spi_in) : NULL;
	uint64_t out = 0, in = 0;
	json_t *o;

	app_ts_str(c->csa_ts_local, c->csa_nts_local, lts, sizeof(lts));
	app_ts_str(c->csa_ts_remote, c->csa_nts_remote, rts, sizeof(rts));
	snprintf(alg, sizeof(alg), "%s-%u%s%s", ike_encr_name(c->csa_suite.encr),
		 c->csa_suite.encr_keylen, c->csa_suite.integ ? "/" : "",
		 c->csa_suite.integ ? ike_integ_name(c->csa_suite.integ) : "");
	if (e)
		esp_sa_counters(e, &out, &in);
	o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}",
		      "state", child_sa_state_name(c->csa_state),
		      "spi_in", (json_int_t)c->csa_spi_in, "spi_out", (json_int_t)c->csa_spi_out,
		      "local_ts", lts, "remote_ts", rts, "alg", alg,
		      "mode", c->csa_transport ? "transport" : "tunnel",
		      "seq_out", (json_int_t)out, "seq_in", (json_int_t)in);
	if (o && e) {
		json_object_set_new(o, "bytes_in", json_integer((json_int_t)e->sa_st.in_bytes));
		json_object_set_new(o, "packets_in", json_integer((json_int_t)e->sa_st.in_packets));
		json_object_set_new(o, "bytes_out", json_integer((json_int_t)e->sa_st.out_bytes));
		json_object_set_new(o, "packets_out", json_integer((json_int_t)e->sa_st.out_packets));
	}
	return o;
}

/* The peer's ID for people: addresses and DNs decoded, text sanitised
 * (JSON strings must be UTF-8; the ID is the peer's bytes). */
static const char *app_id_str(const struct ike_sa *sa, char *buf, size_t len)
{
	const uint8_t *d = sa->sa_peer_id;
	size_t n = sa->sa_peer_id_len, off = 0;
	X509_NAME *dn;

	buf[0] = '\0';
	switch (sa->sa_peer_id_type) {
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (n == 4 || n == 16)
			inet_ntop(n == 4 ? AF_INET : AF_INET6, d, buf, (socklen_t)len);
		return buf;
	case IKE_ID_DER_ASN1_DN:
		dn = d2i_X509_NAME(NULL, &d, (long)n);
		if (dn)
			X509_NAME_oneline(dn, buf, (int)len);
		X509_NAME_free(dn);
		return buf;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		for (size_t i = 0; i < n && off + 1 < len; i++)
			buf[off++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
		buf[off] = '\0';
		return buf;
	default:
		for (size_t i = 0; i < n && off + 3 < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%02x", d[i]);
		return buf;
	}
}

static int app_sa_json(struct ike_sa *sa, void *arg)
{
	struct app_sas_ctx *x = arg;
	char local[64], remote[64], spi_i[20], spi_r[20], alg[96], id[256];
	json_t *o, *kids;

	sa_addr_str(&sa->sa_remote, remote, sizeof(remote));
	if (x->peer && !strstr(remote, x->peer))
		return 0;
	app_id_str(sa, id, sizeof(id));
	if (x->id && !strstr(id, x->id))
		return 0;
	sa_addr_str(&sa->sa_local, local, sizeof(local));
	snprintf(spi_i, sizeof(spi_i), "%016" PRIx64, sa->sa_ispi);
	snprintf(spi_r, sizeof(spi_r), "%016" PRIx64, sa->sa_rspi);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b}",
		      "serial", (json_int_t)sa->sa_serial,
		      "conn", sa->sa_conn ? sa->sa_conn->name : "-",
		      "state", ike_sa_state_name(sa->sa_state), "local", local, "remote", remote,
		      "remote_id", id, "spi_i", spi_i, "spi_r", spi_r,
		      "alg", app_alg(&sa->sa_suite, alg, sizeof(alg)),
		      "age_s", (json_int_t)((x->now - sa->sa_created_ms) / 1000),
		      "rekey_in_s", (json_int_t)(sa->sa_rekey_ms > x->now ? (sa->sa_rekey_ms - x->now) / 1000 : 0),
		      "msgid_in", (json_int_t)sa->sa_peer_next, "msgid_out", (json_int_t)sa->sa_our_next,
		      "msgid_sync", (sa->sa_flags & IKE_SA_F_MSGID_SYNC) != 0);
	if (!o)
		return 0;
	kids = json_array();
	for (struct child_sa *c = sa->sa_children; c; c = c->csa_next)
		json_array_append_new(kids, app_child_json(x->h, c));
	json_object_set_new(o, "children", kids);
	json_array_append_new(x->list, o);
	return 0;
}

static json_t *app_cmd_sas(struct hike *h, void *arg, json_t *args,
			   char *err, size_t errlen)
{
	struct app_sas_ctx x = { h, json_array(), NULL, NULL, loop_now_ms(h->loop) };

	(void)arg; (void)err; (void)errlen;
	x.peer = json_string_value(json_object_get(args, "peer"));
	x.id = json_string_value(json_object_get(args, "id"));
	ike_sa_foreach(h, app_sa_json, &x);
	return json_pack("{s:o}", "ike_sas", x.list);
}

static void app_crash_now(void *arg)
{
	(void)arg;
	raise(SIGKILL);
}

/* `hikectl drill --crash`: die like kill -9 would, a moment after the
 * reply went out.  Lab only: refused unless ctl.allow_crash is set. */
static json_t *app_cmd_crash(struct hike *h, void *arg, json_t *args,
			     char *err, size_t errlen)
{
	struct loop_timer *t;

	(void)arg; (void)args;
	if (!h->conf->ctl.allow_crash) {
		snprintf(err, errlen, "crash is disabled (ctl.allow_crash: false; lab only)");
		return NULL;
	}
	t = loop_timer_new(h->loop, app_crash_now, NULL);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	loop_timer_arm(t, 20);
	log_warn(&h->log, "ctl: crash requested: SIGKILL to myself in 20 ms");
	return json_pack("{s:s, s:I}", "result", "crashing", "pid", (json_int_t)getpid());
}

int app_ctl_register(struct hike *h)
{
	int rc = ctl_register(h->ctl, "status", app_cmd_status, NULL);

	if (rc == 0)
		rc = ctl_register(h->ctl, "sas", app_cmd_sas, NULL);
	if (rc >= 0)
		rc = app_ctl_sa_register(h);
	return rc < 0 ? rc : ctl_register(h->ctl, "crash", app_cmd_crash, NULL);
}
