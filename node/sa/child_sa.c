/* Child SA objects and their one state setter. */
#include <errno.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "sa/sa.h"
#include "sa/table.h"

static const char *const child_state_names[CHILD_SA_NSTATES] = {
	[CHILD_SA_NEW] = "NEW",
	[CHILD_SA_INSTALLED] = "INSTALLED",
	[CHILD_SA_REKEYING] = "REKEYING",
	[CHILD_SA_REKEYED] = "REKEYED",
	[CHILD_SA_DELETING] = "DELETING",
	[CHILD_SA_DEAD] = "DEAD",
};

const char *child_sa_state_name(enum child_sa_state s)
{
	return (unsigned)s < CHILD_SA_NSTATES ? child_state_names[s] : "?";
}

#define B(s) (1u << (s))
static const unsigned child_sa_next[CHILD_SA_NSTATES] = {
	[CHILD_SA_NEW] = B(CHILD_SA_INSTALLED) | B(CHILD_SA_DEAD),
	[CHILD_SA_INSTALLED] = B(CHILD_SA_REKEYING) | B(CHILD_SA_REKEYED) |
			       B(CHILD_SA_DELETING) | B(CHILD_SA_DEAD),
	[CHILD_SA_REKEYING] = B(CHILD_SA_INSTALLED) | B(CHILD_SA_REKEYED) |
			      B(CHILD_SA_DELETING) | B(CHILD_SA_DEAD),
	[CHILD_SA_REKEYED] = B(CHILD_SA_DELETING) | B(CHILD_SA_DEAD),
	[CHILD_SA_DELETING] = B(CHILD_SA_DEAD),
	[CHILD_SA_DEAD] = 0,
};

int child_sa_set_state(struct hike *h, struct child_sa *c,
		       enum child_sa_state st)
{
	enum child_sa_state old = c->csa_state;
	static const char fmt[] = "child %llu spi %08x/%08x: %s -> %s";

	if (old == st)
		return 0;
	if ((unsigned)st >= CHILD_SA_NSTATES || !(child_sa_next[old] & B(st))) {
		if (c->csa_ike)
			ike_sa_log(h, c->csa_ike, LOG_ERR_, "child %llu: "
				   "refused state %s -> %s",
				   (unsigned long long)c->csa_serial,
				   child_sa_state_name(old),
				   child_sa_state_name(st));
		return -EINVAL;
	}
	c->csa_state = st;
	if (c->csa_ike)
		ike_sa_log(h, c->csa_ike, LOG_INFO_, fmt,
			   (unsigned long long)c->csa_serial, c->csa_spi_in,
			   c->csa_spi_out, child_sa_state_name(old),
			   child_sa_state_name(st));
	return 0;
}

struct child_sa *child_sa_new(struct hike *h)
{
	struct child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->csa_serial = child_sa_next_serial(h);
	c->csa_created_ms = sa_now_ms(h);
	return c;
}

void child_sa_free(struct child_sa *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}
