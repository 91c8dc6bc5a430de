/*
 * The SA layer's side of the replicator (struct sync_ops): a standby
 * applies records as upserts into h->ike_sas / h->child_sas, the active
 * walks its tables for a joiner's snapshot, and role changes start or
 * stop the takeover (sync/takeover.c).
 *
 * Wiring (hiked, tests):
 *   ss = sa_sync_new(h, &takeover_net, &counter_hooks);
 *   sa_sync_fill_ops(ss, &sync_conf.ops);
 *   h->sync = sync_new(h, transport, &sync_conf);
 * sa_sync_new() plugs the SA replicator in (sa_set_replicator, repl.h):
 * from then on every sa_update is serialized (sync/sa_codec.c) and
 * submitted, and repl_submit() commits it -- and sends the response --
 * only when the last record came back through the transport.  A node
 * that is not the active refuses to submit (-EPERM).
 */
#ifndef HIKE_SA_SA_SYNC_H
#define HIKE_SA_SA_SYNC_H

#include <stdint.h>

#include "sa/repl.h"
#include "sync.h"

struct takeover;
struct takeover_net;
struct esp_counters;
struct esp_counters_hooks;

struct sa_sync_stats {
	uint64_t applied, skipped, errors;	/* records on a standby */
	uint64_t submitted, local_only;		/* updates on the active */
	uint64_t snapshot_records;
};

struct sa_sync;

/* net and hooks may be NULL (no virtual IPs / no datapath hooks). */
struct sa_sync *sa_sync_new(struct hike *h, const struct takeover_net *net,
			    const struct esp_counters_hooks *hooks);
void sa_sync_free(struct sa_sync *ss);		/* NULL is a no-op */
void sa_sync_fill_ops(struct sa_sync *ss, struct sync_ops *ops);
const struct sa_sync_stats *sa_sync_stats(const struct sa_sync *ss);
struct takeover *sa_sync_takeover(struct sa_sync *ss);
struct esp_counters *sa_sync_counters(struct sa_sync *ss);

/* One record, as the apply upcall does (tests). */
int sa_sync_apply(struct sa_sync *ss, const HikeSync__Record *rec);

/* The takeover's SA steps (the became_active / became_standby hooks). */
/* Every synced Child SA into the datapath with jumped counters, IKE
 * timers started; returns the number of Child SAs installed. */
int sa_sync_activate(struct sa_sync *ss);
/* The reverse: Child SAs out of the datapath, timers stopped. */
int sa_sync_deactivate(struct sa_sync *ss);

#endif
