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
 * From then on repl_submit() replicates every sa_update through
 * sa_sync_submit() before its commit callback runs.
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

/* repl_submit() with h->sync set: serialize u (sync/sa_codec.c), submit
 * the records, run commit_cb once the last came back (agreed order: every
 * standby has them).  An update with nothing to replicate (a half-open
 * SA) commits at once.  -EPERM on a node that is not the active.  0 or
 * -errno (commit_cb not called, caller still owns u). */
int sa_sync_submit(struct hike *h, struct sa_update *u,
		   repl_commit_cb commit_cb, void *arg);

/* One record, as the apply upcall does (tests). */
int sa_sync_apply(struct sa_sync *ss, const HikeSync__Record *rec);

/* The takeover's SA steps (the became_active / became_standby hooks). */
/* Every synced Child SA into the datapath with jumped counters, IKE
 * timers started; returns the number of Child SAs installed. */
int sa_sync_activate(struct sa_sync *ss);
/* The reverse: Child SAs out of the datapath, timers stopped. */
int sa_sync_deactivate(struct sa_sync *ss);

#endif
