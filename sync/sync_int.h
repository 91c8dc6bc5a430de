/*
 * sync/ internals shared by sync.c (pipeline), codec.c, roles.c and
 * snapshot.c.  Not for use outside sync/.
 */
#ifndef HIKE_SYNC_INT_H
#define HIKE_SYNC_INT_H

#include "sync.h"

struct sync_rec {			/* one submitted record */
	struct sync_rec *next;
	sync_done_cb cb;
	void *arg;
	uint64_t queued_ms;		/* sync_mono_ms() at submit */
	bool glue;			/* the next record is of the same group */
	size_t len;
	uint8_t buf[];
};

struct sync_frame {			/* one packed envelope */
	struct sync_frame *next;
	uint64_t seq;
	struct sync_rec *recs;		/* carried records (batch frames) */
	size_t len;
	uint8_t *buf;
};

struct sync_member {
	uint32_t nodeid;
	uint64_t last_seq;		/* highest envelope seq delivered */
	bool announced;			/* fresh announce since the confchg */
	bool awaiting;			/* got a snapshot End, owes an announce */
	uint32_t priority;
	char name[64];			/* announced node.name */
	uint64_t last_rx_ms;		/* sync_mono_ms() of its last envelope */
	int state;			/* enum sync_member_state */
	bool claims_active;
	uint32_t believed_active;
	bool quorate;
};

struct sync_snap_tx {			/* the active's running snapshot */
	bool running;
	uint64_t generation;
	uint32_t targets[SYNC_MAX_MEMBERS];
	size_t ntargets;
	void *it;
	bool end_sent;
	uint32_t chunks;
	uint64_t records;
};

enum sync_role { SYNC_ROLE_NONE = 0, SYNC_ROLE_STANDBY, SYNC_ROLE_ACTIVE };

struct sync_snap_seen {			/* the latest Begin, as every member saw it */
	uint64_t generation;
	uint32_t from;
	uint32_t targets[SYNC_MAX_MEMBERS];
	size_t ntargets;
};

struct sync_snap_rx {			/* this node's incoming snapshot */
	bool running;
	uint64_t generation;
	uint32_t from;
	uint32_t next_index;
	uint64_t records;
	bool failed;			/* a gap or a bad record */
};

struct sync {
	struct hike *h;
	struct sync_transport *t;
	char cluster[64];
	char group[64];
	char name[64];
	struct sync_conf conf;
	uint32_t nodeid;

	/* pipeline */
	uint64_t seq;			/* last seq put into a frame */
	struct sync_rec *pend, **pend_tail;
	size_t npend;
	struct sync_frame *outq, **outq_tail;	/* packed, not sent */
	struct sync_frame *flight, **flight_tail; /* sent, not back */
	size_t nflight_recs;
	void (*kick)(void *ctx);
	void *kick_ctx;
	struct loop *kick_loop;		/* sync_loop.c */
	struct loop_timer *window_timer;	/* sync_loop.c */
	bool kicked;
	bool in_flush;

	/* batch window (sync.h) */
	int64_t delay_us;		/* < 0: from h->conf */
	void (*timer_arm)(void *ctx, uint64_t us);
	void *timer_ctx;
	bool timer_pending;		/* asked, not fired yet */
	bool window_due;		/* fired with records waiting */
	uint64_t (*now_us)(void *ctx);
	void *clock_ctx;
	bool batch_sent;		/* a batch frame left at last_batch_us */
	uint64_t last_batch_us;

	/* membership and roles */
	struct sync_member members[SYNC_MAX_MEMBERS];
	size_t nmembers;
	uint64_t view;			/* tag of the current member list */
	bool gathered;			/* every member announced */
	uint32_t active;		/* agreed active, 0 = none */
	uint32_t lineage;		/* last active whose data we hold */
	int role;			/* enum sync_role, as last reported */
	bool is_active;			/* role == SYNC_ROLE_ACTIVE */
	int state;			/* this node: enum sync_member_state */
	bool quorate;
	uint64_t generation;		/* highest data generation seen */

	struct sync_snap_tx stx;
	struct sync_snap_rx srx;
	struct sync_snap_seen sseen;

	struct sync_stats stats;
};

/* sync.c and sync_tx.c */
void sync_log(struct sync *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct sync_member *sync_member_find(struct sync *s, uint32_t nodeid);
/* Pack env (version, cluster, sender, seq, generation are filled in) and
 * queue it for sending.  0 or -errno. */
int sync_send_env(struct sync *s, HikeSync__Envelope *env);
bool sync_idle(const struct sync *s);	/* nothing queued or in flight */
/* Free a frame, calling its records' callbacks with status. */
void sync_frame_free(struct sync_frame *f, int status);
void sync_drop(struct sync *s, enum sync_drop why, uint32_t from);

/* sync_rx.c */
void sync_rx(void *ctx, uint32_t nodeid, uint32_t pid, const void *buf,
	     size_t len);
/* Apply validated-on-unpack records (snapshot chunks, batches). */
void sync_apply_chunk(struct sync *s, const ProtobufCBinaryData *recs,
		      size_t n, uint32_t from);
/* Flush now, or through the kick hook when there is one. */
void sync_poke(struct sync *s);
/* Cancel everything queued or in flight (callbacks get -ECANCELED). */
void sync_tx_cancel(struct sync *s);

/* codec.c */
int sync_env_validate(const struct sync *s, const HikeSync__Envelope *e,
		      uint32_t nodeid, enum sync_drop *why);
void sync_env_init(const struct sync *s, HikeSync__Envelope *e, uint64_t seq);

/* roles.c */
void sync_roles_confchg(struct sync *s, const uint32_t *members, size_t n);
void sync_roles_rx_announce(struct sync *s, uint32_t from,
			    const HikeSync__RoleAnnounce *a);
void sync_roles_rx_switchover(struct sync *s, uint32_t from,
			      const HikeSync__SwitchoverRequest *r);
void sync_roles_quorum(struct sync *s, bool quorate);
int sync_roles_announce(struct sync *s);
void sync_roles_elect(struct sync *s);
bool sync_in_set(const uint32_t *set, size_t n, uint32_t id);

/* snapshot.c */
void sync_snap_check(struct sync *s);		/* active: start if needed */
void sync_snap_confchg(struct sync *s, size_t njoined); /* after member changes */
int sync_snap_pump(struct sync *s);		/* active: queue next chunk */
void sync_snap_rx(struct sync *s, uint32_t from, const HikeSync__Envelope *e);
void sync_snap_stop_tx(struct sync *s);
bool sync_snap_tx_busy(const struct sync *s);

#endif
