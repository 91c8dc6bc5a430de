/* app/ private state. */
#ifndef HIKE_APP_INT_H
#define HIKE_APP_INT_H

#include <stdint.h>

#include "takeover.h"

struct nl;
struct sa_sync;
struct loop_timer;
struct app_handover;

#define APP_MAX_ROUTES 256

struct app_route {
	int family;
	uint8_t dst[16];
	uint8_t plen;
};

struct app {
	struct nl *nl;
	char tun[16];
	uint64_t started_ms;
	struct sa_sync *ss;		/* sync: corosync only */
	struct takeover_net tnet;
	struct loop_timer *counter_timer;
	struct app_handover *ho;	/* graceful switchover (app_sync.c) */
	size_t nroutes;
	struct app_route routes[APP_MAX_ROUTES];
};

#endif
