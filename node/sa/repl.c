/* Stage, replicate, commit: the seam between the exchange handlers and
 * the replicator (DESIGN.md "replicate before reply"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/workers.h"
#include "sa/pool.h"
#include "sa/repl.h"
#include "sa/table.h"

static const char *const kind_names[] = {
	[SA_UPD_IKE_SA_ADD] = "IKE_SA_ADD",
	[SA_UPD_IKE_SA_UPDATE] = "IKE_SA_UPDATE",
	[SA_UPD_IKE_SA_DELETE] = "IKE_SA_DELETE",
	[SA_UPD_CHILD_SA_ADD] = "CHILD_SA_ADD",
	[SA_UPD_CHILD_SA_DELETE] = "CHILD_SA_DELETE",
	[SA_UPD_CHILD_SA_REKEY] = "CHILD_SA_REKEY",
};

const char *sa_update_kind_name(enum sa_update_kind k)
{
	if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]) ||
	    !kind_names[k])
		return "?";
	return kind_names[k];
}

struct sa_update *sa_update_new(enum sa_update_kind kind, struct ike_sa *ike)
{
	struct sa_update *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->kind = kind;
	u->ike = ike;
	u->lease_pool = -1;
	return u;
}

void sa_update_free(struct hike *h, struct sa_update *u)
{
	unsigned i;

	if (!u)
		return;
	for (i = 0; i < u->nchild_add; i++)
		child_sa_free(u->child_add[i]);
	if (u->lease_pool >= 0 && u->conn)
		sa_pool_release(h, u->conn, u->lease_pool, u->lease);
	if (u->owns_ike_new)
		ike_sa_free(h, u->ike_new);
	if (u->owns_ike && u->ike) {
		ike_sa_remove(h, u->ike);	/* the staged-SA marker */
		ike_sa_free(h, u->ike);
	} else if (u->ike) {
		u->ike->sa_flags &= ~IKE_SA_F_BUSY;
	}
	ike_pkts_free(&u->resp);
	ike_req_clear(&u->req);
	OPENSSL_cleanse(u, sizeof(*u));
	free(u);
}

void sa_set_replicator(struct hike *h, const struct sa_replicator *r)
{
	h->ike_sas->repl.submit = r ? r->submit : NULL;
	h->ike_sas->repl.ctx = r ? r->ctx : NULL;
}

struct repl_pending {
	struct hike *h;
	struct sa_update *u;
	repl_commit_cb cb;
	void *arg;
};

static void repl_done(void *arg, int status)
{
	struct repl_pending *p = arg;
	struct hike *h = p->h;

	p->cb(h, p->u, status, p->arg);
	free(p);
	sa_inflight_dec(h);
}

/*
 * Single node (no replicator, h->sync == NULL): nothing to wait for,
 * commit now.  Cluster: the replicator calls back when our own CPG
 * message came back, and only then is the response sent.
 */
int repl_submit(struct hike *h, struct sa_update *u, repl_commit_cb commit_cb,
		void *arg)
{
	struct ike_sa_table *t = h->ike_sas;
	struct repl_pending *p;
	int rc;

	if (!t->repl.submit) {
		if (h->sync) {
			log_err(&h->log, "sa: cluster mode without an SA "
				"replicator: refusing to answer unreplicated");
			return -ENOTSUP;
		}
		commit_cb(h, u, 0, arg);
		return 0;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct repl_pending){ h, u, commit_cb, arg };
	sa_inflight_inc(h);
	rc = t->repl.submit(t->repl.ctx, u, repl_done, p);
	if (rc) {
		free(p);
		sa_inflight_dec(h);
	}
	return rc;
}


struct offload {
	struct hike *h;
	void (*work)(void *);
	void (*done)(void *, int);
	void *arg;
};

static void offload_work(void *arg)
{
	struct offload *o = arg;

	o->work(o->arg);
}

static void offload_done(void *arg, int status)
{
	struct offload *o = arg;
	struct hike *h = o->h;

	o->done(o->arg, status);
	free(o);
	sa_inflight_dec(h);
}

int sa_offload(struct hike *h, void (*work)(void *), void (*done)(void *, int),
	       void *arg)
{
	struct offload *o;
	int rc;

	if (!h->workers) {
		work(arg);
		done(arg, 0);
		return 0;
	}
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	*o = (struct offload){ h, work, done, arg };
	sa_inflight_inc(h);
	rc = workers_submit(h->workers, offload_work, offload_done, o);
	if (rc) {
		free(o);
		sa_inflight_dec(h);
	}
	return rc;
}