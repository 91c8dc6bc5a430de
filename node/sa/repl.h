/*
 * Stage, replicate, commit (DESIGN.md "replicate before reply").
 *
 * An exchange handler computes everything it wants to change into a
 * struct sa_update: staged objects that are in no table yet (a new IKE
 * SA, new Child SAs), pointers to existing objects to delete, the new
 * values of an existing IKE SA's fields, and the response datagrams.
 * repl_submit() hands it to the replicator; commit_cb runs when the
 * update is safe to act on (single node: at once; cluster: when our own
 * CPG message came back in agreed order).  commit_cb normally calls
 * sa_update_apply() (tables, response cache, send, datapath) and then
 * sa_update_free().
 *
 * Serialization (sync/): kind says which parts are meaningful:
 *   IKE_SA_ADD       ike (whole, staged)            IKE_SA_INIT, IKE rekey
 *                    + ike_new for an IKE rekey (whole, staged; ike is
 *                    then the existing SA, set to REKEYED)
 *   IKE_SA_UPDATE    ike's serial/SPI + the "set" fields below
 *   IKE_SA_DELETE    ike's SPI
 *   CHILD_SA_ADD     child_add[] (whole)            IKE_AUTH, CREATE_CHILD_SA
 *   CHILD_SA_DELETE  child_del[] (by spi_in)
 *   CHILD_SA_REKEY   child_add[0] replaces child_del[0]
 * Every kind may also carry the message-ID window move (answers, msgid)
 * and the response bytes: the standby keeps them to answer retransmits
 * after a takeover.
 */
#ifndef HIKE_SA_REPL_H
#define HIKE_SA_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sa/sa.h"

enum sa_update_kind {
	SA_UPD_IKE_SA_ADD = 1,
	SA_UPD_IKE_SA_UPDATE,
	SA_UPD_IKE_SA_DELETE,
	SA_UPD_CHILD_SA_ADD,
	SA_UPD_CHILD_SA_DELETE,
	SA_UPD_CHILD_SA_REKEY,
};
const char *sa_update_kind_name(enum sa_update_kind k);

#define SA_UPD_MAX_CHILD	8

struct sa_update {
	enum sa_update_kind kind;
	struct ike_sa *ike;		/* staged (IKE_SA_INIT) or existing */
	struct ike_sa *ike_new;		/* IKE rekey: staged successor */

	/* new values for an existing ike (each applied when its flag is set) */
	bool set_state;
	enum ike_sa_state state;
	uint32_t flags_set, flags_clear;
	const struct conf_conn *conn;	/* non-NULL: IKE_AUTH chose it */
	int lease_pool;			/* -1: no lease change */
	uint8_t lease[16];
	uint8_t peer_id_type, peer_id_len;
	uint8_t peer_id[SA_PEER_ID_MAX];
	bool set_times;
	uint64_t rekey_ms, expire_ms;	/* with set_times */
	bool drop_init_material;	/* IKE_AUTH done: Ni/Nr/msg1/msg2 */

	/* message-ID window: this update answers request msgid */
	bool answers;
	uint32_t msgid;
	struct sockaddr_storage local, remote;	/* where the request came from */
	struct ike_pkts resp;		/* moved into ike->sa_resp on apply */

	/* our own request (sa_req), moved into ike on apply */
	bool has_req;
	struct ike_req req;

	uint8_t nchild_add, nchild_del;
	struct child_sa *child_add[SA_UPD_MAX_CHILD];	/* staged */
	struct child_sa *child_del[SA_UPD_MAX_CHILD];	/* in the tables */
	struct child_sa *child_rekeyed;	/* CHILD_SA_REKEY: the old SA, kept
					   as REKEYED until its DELETE */
	bool rekeyed_by_us;		/* we delete child_rekeyed ourselves */
	uint8_t rekey_nonce[16];	/* peer's rekey: its lowest nonce,
					   kept on child_rekeyed (2.8.1) */
	bool owns_ike, owns_ike_new;	/* staged objects not applied yet */

	bool delete_ike;		/* after sending: remove ike */
};

typedef void (*repl_commit_cb)(struct hike *h, struct sa_update *u,
			       int status, void *arg);

/* A zeroed update with lease_pool = -1.  NULL on ENOMEM. */
struct sa_update *sa_update_new(enum sa_update_kind kind, struct ike_sa *ike);
/* Frees what the update still owns (staged objects not applied, the
 * response bytes, a request's kex). */
void sa_update_free(struct hike *h, struct sa_update *u);

/*
 * The cluster plugs its replicator in here (sync/): submit() serializes
 * u into a hike_sync Record and multicasts it; done(arg, 0) when it came
 * back through CPG (agreed order), done(arg, -errno) if it never will.
 * Without one, and with h->sync == NULL, updates commit at once.
 */
struct sa_replicator {
	int (*submit)(void *ctx, const struct sa_update *u,
		      void (*done)(void *arg, int status), void *arg);
	void *ctx;
};
void sa_set_replicator(struct hike *h, const struct sa_replicator *r);

/* Replicate u, then call commit_cb (possibly before returning).  The
 * update must not be touched by the caller afterwards.  0 or -errno (on
 * error commit_cb is not called and the caller still owns u). */
int repl_submit(struct hike *h, struct sa_update *u, repl_commit_cb commit_cb,
		void *arg);

/* Apply to the tables; with send, also send the response / request and
 * install or remove Child SAs in the datapath (the active node).  The
 * standby applies with send = false.  0 or -errno. */
int sa_update_apply(struct hike *h, struct sa_update *u, bool send);

/* The usual commit_cb: apply with send, log failures, free. */
void sa_commit_default(struct hike *h, struct sa_update *u, int status,
		       void *arg);

#endif
