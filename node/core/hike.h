/*
 * struct hike: one node.  All mutable state hangs off it (STYLE.md habit
 * 8), so two or three nodes run in one test process.  Subsystems own
 * their own structs; this one only ties them together.
 *
 * Seams that tests replace (habit 9) are the function pointers in
 * struct hike_env: time, randomness, the packet sender, and (in sync/)
 * the CPG transport.
 */
#ifndef HIKE_CORE_HIKE_H
#define HIKE_CORE_HIKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/log.h"

struct loop;
struct conf;
struct ike_sa_table;
struct child_sa_table;
struct esp_dp;
struct sync;
struct ctl;
struct workers;
struct counters;
struct app;

struct hike_env {
	/* randomness: 0 or -errno; tests inject nonces/SPIs through this */
	int (*random)(void *ctx, void *buf, size_t len);
	/* wall-clock seconds (for lifetimes shown to operators) */
	uint64_t (*wall_s)(void *ctx);
	/* send one IKE datagram from local to remote */
	int (*send_ike)(void *ctx, const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote,
			const uint8_t *buf, size_t len);
	void *ctx;
};

struct hike {
	const char *node_name;
	struct log log;
	struct hike_env env;
	struct loop *loop;
	struct conf *conf;		/* current configuration (owned) */
	struct ike_sa_table *ike_sas;	/* sa/ */
	struct child_sa_table *child_sas;
	struct esp_dp *esp;		/* esp/ datapath, NULL in pure IKE tests */
	struct sync *sync;		/* sync/ replicator (no-op when sync: none) */
	struct ctl *ctl;		/* control socket */
	struct workers *workers;	/* DH worker pool */
	struct counters *counters;	/* drop/event counters shown by hikectl */
	struct app *app;		/* app/: the daemon's wiring (netlink, routes) */
};

#endif
