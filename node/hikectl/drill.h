/*
 * `hikectl drill`: a failover drill on a live cluster.  Surveys every
 * node's SAs over its control socket, hands over (graceful switchover, or
 * with crash the active kills itself), waits for the new active, checks
 * that every SA came along with its counters, and reports PASS or FAIL.
 */
#ifndef HIKE_HIKECTL_DRILL_H
#define HIKE_HIKECTL_DRILL_H

#include <stdbool.h>
#include <stddef.h>

#define DRILL_MAX_NODES 16

struct drill_opts {
	const char *sockets[DRILL_MAX_NODES];	/* [0] is the local one */
	const char *names[DRILL_MAX_NODES];	/* expected node.name, or NULL */
	size_t nsockets;
	bool crash;
	bool json;
	int timeout_ms;			/* for the new active and its SAs */
};

/* 0 PASS, 1 FAIL. */
int hikectl_drill(const struct drill_opts *o);

#endif
