/*
 * The replicator: ships the active node's state changes to the standbys
 * through a group transport (transport.h) in agreed order, elects roles,
 * and brings joiners up to date with a chunked snapshot.
 *
 * Replicate before reply (DESIGN.md): the IKE responder submits one
 * serialized hike_sync Record per state change with sync_submit(); the
 * record's callback runs with status 0 when the envelope carrying it came
 * back to this node through the transport -- agreed order means every
 * standby has it then -- and only then may the response go out.
 * Records pending at the same time ride in one envelope (batching): the
 * pipeline packs when the loop turns (sync_flush(), called through the
 * kick hook), or at once when batch_max records are waiting.  One batch
 * frame is in flight at a time: what is submitted meanwhile waits for it
 * to come back and then rides in the next frame.
 *
 * Batch window (sync.batch_delay_us = D): under load, batch frames leave
 * at least D apart, so that more records share one CPG message (what
 * corosync costs is per message and per token rotation, not per byte).
 * A record submitted when no batch frame left in the last D goes out at
 * once (idle: no delay); otherwise it waits until D after the previous
 * frame left, so no record waits longer than D plus the flight of the
 * frame before it.  batch_max records waiting go at once.  The window
 * needs a timer (sync_set_timer(); the loop wiring sets one): without
 * one, D is 0.  The reply still waits for its record's delivery.
 *
 * Everything received is validated (sync/codec.c) before use; what fails
 * is dropped and counted in struct sync_stats, never trusted.
 */
#ifndef HIKE_SYNC_SYNC_H
#define HIKE_SYNC_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hike_sync.pb-c.h"
#include "transport.h"

#define SYNC_VERSION		1
#define SYNC_MAX_MSG		(1u << 20)	/* one envelope, bytes */
#define SYNC_MAX_RECORD		(256u << 10)	/* one record, bytes */
#define SYNC_MAX_RECORDS	4096		/* per envelope */

struct hike;
struct sync;

typedef void (*sync_done_cb)(void *arg, int status);

/* What the SA layer and the takeover code plug in.  Every pointer may be
 * NULL.  Records handed to apply() have passed sync_record_validate(). */
struct sync_ops {
	/* A standby (or a joiner during its snapshot) applies one record.
	 * Snapshot records and later updates are upserts: apply must accept
	 * an update of an SA it has not seen and a delete of one it has not. */
	int (*apply)(void *ctx, const HikeSync__Record *rec);
	/* A joiner's snapshot starts: drop every replicated SA. */
	void (*snap_reset)(void *ctx);
	/* The active's snapshot iterator.  snap_open() returns an iterator
	 * (NULL = nothing to send); snap_next() writes one serialized Record
	 * into buf (cap >= SYNC_MAX_RECORD) and returns its length, 0 at the
	 * end, or -errno; snap_close() frees the iterator. */
	void *(*snap_open)(void *ctx);
	ssize_t (*snap_next)(void *ctx, void *it, uint8_t *buf, size_t cap);
	void (*snap_close)(void *ctx, void *it);
	/* Role changes of this node (see roles.c). */
	void (*became_active)(void *ctx);
	void (*became_standby)(void *ctx);
	/* This node stays active through a merge in which another member
	 * claimed active too (a healed split brain): the neighbours may
	 * still send to the other one's MAC; announce the VIPs again.
	 * May be NULL. */
	void (*reannounce)(void *ctx);
	/* A SwitchoverRequest was delivered (every member, before the
	 * roles change): from hands over to `to`, 0 = refused (no such
	 * in-sync quorate member, or a membership change under way).
	 * May be NULL. */
	void (*switchover)(void *ctx, uint32_t from, uint32_t to);
	void *ctx;
};

struct sync_conf {
	const char *cluster;		/* in every envelope; required */
	const char *group;		/* CPG group name; required */
	uint32_t priority;		/* higher wins an election */
	const char *name;		/* node.name, announced (may be NULL) */
	size_t batch_max;		/* records per envelope (0 = 64) */
	size_t batch_bytes;		/* bytes per envelope (0 = 60000) */
	size_t chunk_records;		/* records per snapshot chunk (0 = 64) */
	struct sync_ops ops;
};

enum sync_drop {
	SYNC_DROP_TOO_BIG = 0,
	SYNC_DROP_MALFORMED,
	SYNC_DROP_VERSION,
	SYNC_DROP_CLUSTER,
	SYNC_DROP_SENDER,
	SYNC_DROP_NOT_MEMBER,
	SYNC_DROP_DUPLICATE,
	SYNC_DROP_BAD_BODY,
	SYNC_DROP_BAD_RECORD,
	SYNC_DROP_NOT_ACTIVE,		/* batch from a node that is not our active */
	SYNC_DROP_STALE_SNAPSHOT,	/* snapshot message of another generation */
	SYNC_DROP_NREASONS
};
const char *sync_drop_name(enum sync_drop d);

struct sync_stats {
	uint64_t tx_msgs, tx_bytes, tx_eagain, tx_records, tx_batches;
	uint64_t tx_held;		/* batch frames held by the batch window */
	uint64_t rx_msgs, rx_records, applied, apply_errors;
	uint64_t dropped[SYNC_DROP_NREASONS];
	uint64_t confchgs, elections, snapshots_sent, snapshots_done;
	uint64_t snapshot_records_rx;
};

enum sync_member_state {
	SYNC_MEMBER_SYNCING = 1,
	SYNC_MEMBER_IN_SYNC = 2,
};

/* t is owned by the sync (freed with it); upcalls are set here and the
 * group joined.  h may be NULL in tests (then nothing is logged).
 * NULL on error (errno set). */
struct sync *sync_new(struct hike *h, struct sync_transport *t,
		      const struct sync_conf *c);
/* Leaves the group; pending callbacks get -ECANCELED. */
void sync_free(struct sync *s);

/* Queue one serialized Record (copied).  cb(arg, 0) once it came back
 * through the transport; cb(arg, -ECANCELED) if the sync is freed first.
 * 0 or -errno (-EMSGSIZE, -ENOMEM; cb is then never called). */
int sync_submit(struct sync *s, const void *record, size_t len,
		sync_done_cb cb, void *arg);
/* The same, serializing rec. */
int sync_submit_record(struct sync *s, const HikeSync__Record *rec,
		       sync_done_cb cb, void *arg);
/* n records that must arrive together (one state change): they ride in
 * one envelope, in order, and are delivered all or none.  cb(arg, 0)
 * once they came back.  At most SYNC_MAX_RECORDS records and
 * SYNC_MAX_MSG / 2 bytes; 0 or -errno (nothing queued, cb never called). */
struct sync_buf {
	const void *buf;
	size_t len;
};
int sync_submitv(struct sync *s, const struct sync_buf *v, size_t n,
		 sync_done_cb cb, void *arg);
/* Pack pending records and send what the transport takes.  Call once per
 * loop turn (the kick hook asks for that). */
void sync_flush(struct sync *s);
/* kick(ctx) is called when sync_flush() should run soon (the loop wires
 * it to loop_post).  Without one, records wait for sync_flush() or for a
 * full batch. */
void sync_set_kick(struct sync *s, void (*kick)(void *ctx), void *ctx);

/* The batch window's timer: arm(ctx, us) asks for sync_timer_fired()
 * about us microseconds later (one pending request at a time; asking
 * again while one is pending is a no-op).  sync_loop.c wires it to a loop
 * timer (1 ms resolution). */
void sync_set_timer(struct sync *s, void (*arm)(void *ctx, uint64_t us),
		    void *ctx);
/* The requested time has come: the held batch frame may leave. */
void sync_timer_fired(struct sync *s);
/* Tests: the clock of the batch window, microseconds (default
 * CLOCK_MONOTONIC). */
void sync_set_clock(struct sync *s, uint64_t (*now_us)(void *ctx), void *ctx);
/* The batch window in microseconds; < 0 (the default) follows the
 * configuration (h->conf sync.batch_delay_us, re-read at every flush, so
 * a reload applies), 0 without one. */
void sync_set_batch_delay(struct sync *s, int64_t us);

/* sync_loop.c: kick through loop_post() on l, the batch window's timer on
 * a loop timer (the daemon's wiring); detach before sync_free(). */
struct loop;
void sync_attach_loop(struct sync *s, struct loop *l);
void sync_detach_loop(struct sync *s);

/* Hand over to another in-sync node (0 = the best one).  Active only. */
int sync_switchover(struct sync *s, uint32_t to);

/* Introspection (hikectl status, tests). */
uint32_t sync_nodeid(const struct sync *s);
uint32_t sync_active(const struct sync *s);		/* 0 = none known */
bool sync_is_active(const struct sync *s);
bool sync_in_sync(const struct sync *s);
bool sync_quorate(const struct sync *s);
uint64_t sync_generation(const struct sync *s);
size_t sync_members(const struct sync *s, uint32_t *out, size_t max);
int sync_member_state(const struct sync *s, uint32_t nodeid);	/* enum or -ENOENT */
const struct sync_stats *sync_get_stats(const struct sync *s);
size_t sync_pending(const struct sync *s);	/* records not yet delivered back */
/* Age of the oldest record not yet delivered back (0 = none pending). */
uint64_t sync_pending_age_ms(const struct sync *s);

/* What this node knows of a member (hikectl status): its announced name
 * ("" before its first announce) and priority, and how long ago an
 * envelope from it was last delivered here (UINT64_MAX = never). */
struct sync_member_info {
	char name[64];
	uint32_t priority;
	uint64_t last_rx_ms_ago;
};
int sync_member_info(const struct sync *s, uint32_t nodeid,
		     struct sync_member_info *out);	/* 0 or -ENOENT */
/* Monotonic milliseconds, the clock of the figures above. */
uint64_t sync_mono_ms(void);

/* codec.c: validate before use (0 or -EINVAL). */
int sync_record_validate(const HikeSync__Record *r);
/* Unpack and validate one record; NULL if malformed.  Free with
 * sync_record_free() (which wipes keys). */
HikeSync__Record *sync_record_unpack(const void *buf, size_t len);
void sync_record_free(HikeSync__Record *r);

#endif
