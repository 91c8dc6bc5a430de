/* Configuration reloads: no SA keeps a pointer into a freed conf. */
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
	ike_sa_foreach(h, repoint, h);
	sa_creds_free(h->ike_sas);	/* reloaded from the new paths */
}
