/*
 * child_sa_ops for the userspace datapath: a committed Child SA becomes
 * an esp_sa (both directions), and its removal frees it.  Datapath events
 * (soft/hard limits) come back here and turn into IKE requests.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "app/app.h"
#include "core/hike.h"
#include "core/log.h"
#include "conf/conf.h"
#include "esp/dp.h"
#include "sa/requests.h"
#include "sa/sa.h"

static void app_ts_conv(const struct ike_ts *in, struct esp_ts *out)
{
	memset(out, 0, sizeof(*out));
	out->ts_family = in->type == IKE_TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	out->ts_proto = in->ipproto;
	out->ts_port_lo = in->sport;
	out->ts_port_hi = in->eport;
	memcpy(out->ts_start, in->start, sizeof(out->ts_start));
	memcpy(out->ts_end, in->end, sizeof(out->ts_end));
}

static uint16_t app_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* ESP datapath events for one SA: its owner id is the inbound SPI. */
static void app_esp_event(void *arg, struct esp_sa *esa, enum esp_event ev)
{
	struct hike *h = arg;
	struct child_sa *c = child_sa_find(h, esa->sa_spi_in);

	if (!c || !c->csa_ike)
		return;
	switch (ev) {
	case ESP_EV_SOFT:
	case ESP_EV_HARD:
		/* RFC 4303 3.3.3: never let the counter cycle; a new
		 * Child SA replaces this one before it runs out. */
		if (c->csa_state == CHILD_SA_INSTALLED &&
		    ike_req_rekey_child(h, c->csa_ike, c) == 0)
			ike_sa_log(h, c->csa_ike, LOG_INFO_,
				   "child %08x: %s limit reached, rekeying",
				   c->csa_spi_in, ev == ESP_EV_SOFT ? "soft" : "hard");
		break;
	case ESP_EV_SYNC: {
		uint64_t out, in;

		esp_sa_counters(esa, &out, &in);
		app_sync_esp_report(h, esa->sa_spi_in, out, in);
		break;
	}
	}
}

static void app_child_params(struct hike *h, const struct child_sa *c,
			     struct esp_sa_params *p)
{
	const struct ike_sa *sa = c->csa_ike;
	const struct conf_conn *conn = sa->sa_conn;

	memset(p, 0, sizeof(*p));
	p->spi_in = c->csa_spi_in;
	p->spi_out = c->csa_spi_out;
	p->encr = c->csa_suite.encr;
	p->encr_keylen = c->csa_suite.encr_keylen;
	p->integ = c->csa_suite.integ;
	p->esn = c->csa_suite.esn == IKE_ESN_YES;
	p->mode = c->csa_transport ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
	/* RFC 3948: encapsulate when a NAT was detected or the peer talks
	 * IKE on 4500 (strongSwan's libipsec always does). */
	p->encap = (sa->sa_flags & (IKE_SA_F_NAT_LOCAL | IKE_SA_F_NAT_REMOTE)) ||
		   app_port(&sa->sa_remote) == h->conf->ike.natt_port;
	p->local = sa->sa_local;
	p->remote = sa->sa_remote;
	p->ekey_in = c->csa_in.ekey;
	p->ekey_out = c->csa_out.ekey;
	p->akey_in = c->csa_in.akey;
	p->akey_out = c->csa_out.akey;
	p->ekey_len = c->csa_e_len;
	p->akey_len = c->csa_a_len;
	for (size_t i = 0; i < c->csa_nts_local && i < ESP_MAX_TS; i++)
		app_ts_conv(&c->csa_ts_local[i], &p->local_ts[p->nlocal_ts++]);
	for (size_t i = 0; i < c->csa_nts_remote && i < ESP_MAX_TS; i++)
		app_ts_conv(&c->csa_ts_remote[i], &p->remote_ts[p->nremote_ts++]);
	p->replay_window = h->conf->esp.replay_window;
	/* cluster: a taken-over SA resumes past the replicated reservation,
	 * and never sends beyond the confirmed one (sync/esp_counters.h) */
	p->seq_out = c->csa_seq_out;
	p->seq_in = c->csa_seq_in;
	p->seq_limit = h->conf->sync.mode == CONF_SYNC_NONE ? 0 : c->csa_seq_limit;
	if (conn) {	/* NULL after a reload removed its connection */
		p->hard.bytes = conn->child_life_bytes;
		p->hard.packets = conn->child_life_packets;
		/* soft at 90% like the time-based rekey margin */
		p->soft.bytes = conn->child_life_bytes / 10 * 9;
		p->soft.packets = conn->child_life_packets / 10 * 9;
	}
	p->sync_every = h->conf->sync.mode == CONF_SYNC_NONE ? 0 :
			h->conf->sync.counter_packets;
	p->cb = app_esp_event;
	p->cb_arg = h;
	p->owner_id = c->csa_serial;
}

static int app_child_install(void *ctx, const struct child_sa *c)
{
	struct hike *h = ctx;
	struct esp_sa_params p;
	int rc;

	if (!h->esp)
		return 0;
	app_child_params(h, c, &p);
	rc = esp_dp_sa_add(h->esp, &p, NULL);
	if (rc < 0)
		log_err(&h->log, "child %08x/%08x: datapath install failed: %s",
			c->csa_spi_in, c->csa_spi_out, strerror(-rc));
	return rc;
}

static int app_child_remove(void *ctx, const struct child_sa *c)
{
	struct hike *h = ctx;

	if (!h->esp)
		return 0;
	return esp_dp_sa_del(h->esp, c->csa_spi_in);
}

static int app_child_moved(void *ctx, const struct child_sa *c)
{
	struct hike *h = ctx;
	struct esp_sa *e = h->esp ? esp_dp_sa_find(h->esp, c->csa_spi_in) : NULL;
	struct esp_sa_params p;

	if (!e)
		return -ENOENT;
	app_child_params(h, c, &p);
	e->sa_local = p.local;
	e->sa_remote = p.remote;
	e->sa_encap = p.encap;
	return 0;
}

static const struct child_sa_ops app_child_ops = {
	.install = app_child_install,
	.remove = app_child_remove,
	.moved = app_child_moved,
};

void app_child_attach(struct hike *h)
{
	sa_set_child_ops(h, &app_child_ops, h);
}
