/* The SA tables' insides, shared by sa/ files only (sync/ and hikectl
 * use the functions of sa.h). */
#ifndef HIKE_SA_TABLE_H
#define HIKE_SA_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "sa/sa.h"

struct sa_pool;			/* pool.c */
struct sa_update;
struct sa_cred;			/* ike_auth_cert.c */

/* RFC 7296 2.6: the cookie secret, with the previous one still accepted
 * for a while after a rotation. */
#define COOKIE_SECRET_LEN	32
struct sa_cookie_state {
	uint8_t secret[COOKIE_SECRET_LEN], prev[COOKIE_SECRET_LEN];
	uint32_t version;		/* of secret; prev is version - 1 */
	uint64_t rotated_ms;
	bool have_prev;
};

struct ike_sa_table {
	struct ike_sa **spi_b;		/* by our SPI */
	size_t spi_nb, count;
	struct ike_sa **half_b;		/* by (peer SPI, peer address) */
	size_t half_nb, nhalf;
	/* By authenticated peer ID (type and bytes), for INITIAL_CONTACT:
	 * every SA of the SPI index that has one.  The connection is not
	 * part of the key: sa_conn is re-pointed (or cleared) by every
	 * reload, while the ID only changes where peer_id_changed says. */
	struct ike_sa **peer_b;
	size_t peer_nb, npeer;
	uint64_t hash_key;		/* keys the hash of peer-chosen values */
	uint64_t serial;
	const struct child_sa_ops *ops;
	void *ops_ctx;
	struct ike_sa_stats stats;
	struct sa_cookie_state cookie;
	struct sa_pool *pools;
	struct sa_cred *creds;
	/* Configuration reloads (conf_swap.c): an update or a worker job in
	 * flight may hold pointers into the old conf; it is freed when the
	 * last of them has finished (inflight back to 0). */
	uint64_t conf_gen;
	size_t inflight;
	struct conf **retired;
	size_t nretired;
	struct sa_replicator_slot {
		int (*submit)(void *ctx, const struct sa_update *u,
			      void (*done)(void *arg, int status), void *arg);
		void *ctx;
	} repl;
};

struct child_sa_table {
	struct child_sa **b;		/* by our inbound SPI */
	size_t nb, count;
	uint64_t serial;
};

uint64_t sa_table_next_serial(struct hike *h);
uint64_t child_sa_next_serial(struct hike *h);
void sa_drop(struct hike *h, enum ike_drop why);
void ike_sa_table_state_changed(struct hike *h, struct ike_sa *sa);
/* In-flight accounting (repl.c): submit/offload and their callbacks. */
void sa_inflight_inc(struct hike *h);
void sa_inflight_dec(struct hike *h);
/* The peer-ID index: call after an SA's sa_peer_id* changed (it is
 * re-filed if it is in the SPI index).  ike_sa_insert() and
 * ike_sa_remove() keep it up to date otherwise. */
void ike_sa_peer_id_changed(struct hike *h, struct ike_sa *sa);
/* cb for each SA in the tables authenticated as exactly (type, id, len),
 * in no particular order; cb must not change the tables and returns
 * non-zero to stop.  O(SAs with that ID). */
int ike_sa_foreach_peer(struct hike *h, uint8_t type, const uint8_t *id,
			size_t len, int (*cb)(struct ike_sa *, void *),
			void *arg);
/* conn, or its namesake in the current conf when conn belongs to a
 * replaced one; NULL when the reload removed it (conf_swap.c). */
const struct conf_conn *sa_conn_current(struct hike *h,
					const struct conf_conn *conn);
void sa_conf_retired_free(struct ike_sa_table *t);

#endif
