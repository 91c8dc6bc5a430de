/*
 * The daemon's wiring: what hiked.c starts once the configuration is
 * loaded.  It joins the subsystems without them knowing each other:
 *
 *   UDP 500/4500 (esp/) --ike_rx--> sa/ --child_sa_ops--> esp/ datapath
 *   routes for protected networks and pools --> TUN (net/)
 *   control socket (ctl/) --> status / sas handlers reading sa/ and esp/
 *
 * Everything it allocates hangs off h->app.
 */
#ifndef HIKE_APP_H
#define HIKE_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct hike;
struct conf;

/* Bring up netlink, TUN, sockets, SA tables, control socket.  0 or
 * -errno (the error is logged). */
int app_start(struct hike *h);
/* Undo app_start (SAs are freed without DELETEs: a standby may still
 * need them).  NULL-safe on a partial start. */
void app_stop(struct hike *h);
/* h->conf has been replaced; old is freed after this returns. */
void app_conf_swapped(struct hike *h, const struct conf *old);

/* app_child.c: the child_sa_ops of the userspace datapath. */
void app_child_attach(struct hike *h);

/* app_routes.c: routes for every connection's protected networks and
 * pools via the TUN device (installed once, not per SA). */
int app_routes_sync(struct hike *h);
void app_routes_flush(struct hike *h);

/* app_sync.c: the cluster (sync: corosync). */
int app_sync_start(struct hike *h);
void app_sync_stop(struct hike *h);
int app_sync_ctl_register(struct hike *h);
/* ESP counters reported by the datapath (every sync_every packets). */
void app_sync_esp_report(struct hike *h, uint32_t spi_in, uint64_t out, uint64_t in);
void app_sync_status(struct hike *h, json_t *status);

/* app_ctl.c: control socket commands. */
int app_ctl_register(struct hike *h);
int app_ctl_sa_register(struct hike *h);	/* rekey, delete (app_ctl_sa.c) */

#endif
