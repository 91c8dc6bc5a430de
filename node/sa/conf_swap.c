/* Configuration reloads: no SA keeps a pointer into a freed conf.
 * SAs in the tables are re-pointed by name at once; updates still
 * replicating and worker jobs may hold pointers into the old conf, so it
 * is kept ("retired") until the last of them has finished, and their
 * commits re-resolve by name (sa_conn_current). */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "sa/cert_auth.h"
#include "sa/sa.h"
#include "sa/table.h"

static int repoint(struct ike_sa *sa, void *arg)
{
	struct hike *h = arg;
	const struct conf_conn *old = sa->sa_conn;
	size_t i;

	if (!old)
		return 0;
	sa->sa_conn = NULL;
	for (i = 0; i < h->conf->nconns; i++)
		if (!strcmp(h->conf->conns[i].name, old->name)) {
			sa->sa_conn = &h->conf->conns[i];
			break;
		}
	if (!sa->sa_conn)
		ike_sa_log(h, sa, LOG_WARN_, "connection %s removed by the "
			   "reload: SA kept until deleted", old->name);
	return 0;
}

void sa_conf_swapped(struct hike *h, const struct conf *old)
{
	(void)old;
	if (!h->ike_sas)
		return;
	h->ike_sas->conf_gen++;
	ike_sa_foreach(h, repoint, h);
	sa_creds_free(h->ike_sas);	/* reloaded from the new paths */
}

const struct conf_conn *sa_conn_current(struct hike *h,
					const struct conf_conn *conn)
{
	size_t i;

	if (!conn || !h->conf)
		return conn;
	if (conn >= h->conf->conns && conn < h->conf->conns + h->conf->nconns)
		return conn;
	for (i = 0; i < h->conf->nconns; i++)
		if (!strcmp(h->conf->conns[i].name, conn->name))
			return &h->conf->conns[i];
	return NULL;
}

void sa_conf_release(struct hike *h, struct conf *old)
{
	struct ike_sa_table *t = h->ike_sas;
	struct conf **r;

	if (!old)
		return;
	if (!t || !t->inflight) {
		conf_free(old);
		return;
	}
	r = realloc(t->retired, (t->nretired + 1) * sizeof(*r));
	if (!r) {
		/* cannot track it: leaking it is the safe choice */
		log_warn(&h->log, "sa: replaced configuration kept (no memory)");
		return;
	}
	t->retired = r;
	t->retired[t->nretired++] = old;
}

void sa_conf_retired_free(struct ike_sa_table *t)
{
	size_t i;

	for (i = 0; i < t->nretired; i++)
		conf_free(t->retired[i]);
	free(t->retired);
	t->retired = NULL;
	t->nretired = 0;
}

/* The last update or job that could point into a retired conf is done:
 * commits may have set old pointers, so re-point once more, then free. */
static void conf_retired_drain(struct hike *h)
{
	ike_sa_foreach(h, repoint, h);
	sa_conf_retired_free(h->ike_sas);
}

void sa_inflight_inc(struct hike *h)
{
	h->ike_sas->inflight++;
}

void sa_inflight_dec(struct hike *h)
{
	struct ike_sa_table *t = h->ike_sas;

	if (t && t->inflight && !--t->inflight && t->nretired)
		conf_retired_drain(h);
}
