/* The daemon's wiring: see app.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/app_int.h"
#include "core/hike.h"
#include "core/log.h"
#include "core/loop.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "esp/dp.h"
#include "net/nl.h"
#include "sa/sa.h"

#define APP_TUN_MTU 1400

static void app_ike_rx(void *arg, const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote,
		       const uint8_t *buf, size_t len)
{
	ike_rx(arg, local, remote, buf, len);
}

static int app_datapath(struct hike *h)
{
	struct esp_dp_conf dc = {
		.tun_fd = -1,
		.tun_mtu = APP_TUN_MTU,
		.ike_port = h->conf->ike.port,
		.natt_port = h->conf->ike.natt_port,
		.ipv6 = true,
		.raw_esp = h->conf->esp.raw_esp,
		.offload = h->conf->esp.offload,
		.coalesce_us = h->conf->esp.coalesce_us,
		.ike_rx = app_ike_rx,
		.ike_arg = h,
		.counters = h->counters,
	};
	int rc;

	snprintf(dc.tun_name, sizeof(dc.tun_name), "%s", h->conf->esp.tun);
	snprintf(h->app->tun, sizeof(h->app->tun), "%s", h->conf->esp.tun);
	rc = esp_dp_new(h->loop, &dc, &h->esp);
	if (rc < 0) {
		log_err(&h->log, "datapath: cannot open TUN %s or UDP %u/%u: %s",
			dc.tun_name, dc.ike_port, dc.natt_port, strerror(-rc));
		return rc;
	}
	rc = nl_link_up(h->app->nl, h->app->tun, APP_TUN_MTU);
	if (rc < 0) {
		log_err(&h->log, "datapath: cannot bring %s up: %s", h->app->tun, strerror(-rc));
		return rc;
	}
	loop_set_pace(h->loop, esp_dp_pace, h->esp);
	h->env.send_ike = esp_dp_send_ike_env;
	h->env.ctx = h->esp;
	log_info(&h->log, "datapath: %s up (mtu %d), IKE on UDP %u and %u",
		 h->app->tun, APP_TUN_MTU, esp_dp_ike_port(h->esp), esp_dp_natt_port(h->esp));
	return 0;
}

static int app_control(struct hike *h)
{
	int rc = ctl_open(h, h->conf->ctl.socket, h->conf->ctl.group, &h->ctl);

	if (rc < 0) {
		log_err(&h->log, "control socket %s: %s", h->conf->ctl.socket, strerror(-rc));
		return rc;
	}
	return app_ctl_register(h);
}

int app_start(struct hike *h)
{
	int rc;

	h->app = calloc(1, sizeof(*h->app));
	if (!h->app)
		return -ENOMEM;
	h->app->started_ms = loop_now_ms(h->loop);
	if ((rc = nl_open(&h->app->nl)) < 0) {
		log_err(&h->log, "netlink: %s", strerror(-rc));
		return rc;
	}
	if ((rc = sa_tables_init(h)) < 0)
		return rc;
	if ((rc = app_datapath(h)) < 0)
		return rc;
	app_child_attach(h);
	if ((rc = app_routes_sync(h)) < 0)
		return rc;
	if ((rc = app_control(h)) < 0)
		return rc;
	if ((rc = app_sync_start(h)) < 0)
		return rc;
	return h->sync ? app_sync_ctl_register(h) : 0;
}

void app_stop(struct hike *h)
{
	if (!h->app)
		return;
	ctl_close(h->ctl);
	h->ctl = NULL;
	app_sync_stop(h);
	if (h->app->nl)
		app_routes_flush(h);
	sa_set_child_ops(h, NULL, NULL);
	if (h->ike_sas)
		sa_tables_free(h);
	if (h->esp)
		loop_set_pace(h->loop, NULL, NULL);
	esp_dp_free(h->esp);
	h->esp = NULL;
	nl_close(h->app->nl);
	free(h->app);
	h->app = NULL;
}

void app_conf_swapped(struct hike *h, const struct conf *old)
{
	sa_conf_swapped(h, old);
	/* new connections may bring new protected networks; routes of
	 * removed ones stay until restart (established SAs may use them) */
	app_routes_sync(h);
}
