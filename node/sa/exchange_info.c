/*
 * INFORMATIONAL requests from the peer (RFC 7296 1.4, 1.5):
 *   HDR, SK { }                      -->  <-- HDR, SK { }        liveness
 *   HDR, SK { D(ESP, SPIs...) }      -->  <-- HDR, SK { D(ESP, our SPIs) }
 *   HDR, SK { D(IKE) }               -->  <-- HDR, SK { }   and the SA is gone
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "sa/exchange.h"

#define DEL_MAX_SPI	SA_UPD_MAX_CHILD

struct info_ctx {
	struct sa_update *u;
	bool delete_ike;
	uint8_t our_spis[DEL_MAX_SPI * 4];
	uint16_t nours;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The peer names its inbound SPIs, which are our outbound ones. */
static struct child_sa *child_by_out(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->sa_children; c; c = c->csa_next)
		if (c->csa_spi_out == spi)
			return c;
	return NULL;
}

static void stage_deletes(struct ike_sa *sa, const struct ike_msg *m,
			  struct info_ctx *x)
{
	const struct ike_delete_pl *d;
	struct child_sa *c;
	uint8_t i;
	uint16_t k;

	for (i = 0; i < m->ndelete; i++) {
		d = &m->del[i];
		if (d->proto == IKE_PROTO_IKE) {
			x->delete_ike = true;
			continue;
		}
		if (d->proto != IKE_PROTO_ESP || d->spi_len != 4)
			continue;
		for (k = 0; k < d->nspi && x->nours < DEL_MAX_SPI; k++) {
			c = child_by_out(sa, be32(d->spis + 4 * k));
			if (!c)
				continue;	/* already gone: 1.4.1 */
			x->u->child_del[x->u->nchild_del++] = c;
			/* RFC 7296 1.4.1: a pair we are deleting ourselves
			 * is not named again in the answer */
			if (c->csa_state == CHILD_SA_DELETING)
				continue;
			x->our_spis[4 * x->nours] = (uint8_t)(c->csa_spi_in >> 24);
			x->our_spis[4 * x->nours + 1] = (uint8_t)(c->csa_spi_in >> 16);
			x->our_spis[4 * x->nours + 2] = (uint8_t)(c->csa_spi_in >> 8);
			x->our_spis[4 * x->nours + 3] = (uint8_t)c->csa_spi_in;
			x->nours++;
		}
	}
}

static int build_answer(struct ike_sa *sa, const struct ike_msg *m,
			struct info_ctx *x, struct ike_msg *r)
{
	struct ike_hdr hdr;

	ike_sa_hdr(sa, IKE_INFORMATIONAL, m->hdr.msgid, true, &hdr);
	ike_msg_init(r, &hdr);
	r->sk.present = true;
	if (x->delete_ike || !x->nours)
		return 0;
	if (!ike_msg_add(r, IKE_PL_DELETE, true))
		return -ENOSPC;
	r->del[r->ndelete - 1] = (struct ike_delete_pl){
		.proto = IKE_PROTO_ESP, .spi_len = 4, .nspi = x->nours,
		.spis = x->our_spis,
	};
	return 0;
}

void ike_info_rx(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx)
{
	struct info_ctx x = { 0 };
	struct ike_msg *r = malloc(sizeof(*r));
	int rc = -ENOMEM;

	x.u = sa_update_new(SA_UPD_IKE_SA_UPDATE, sa);
	if (!r || !x.u)
		goto out;
	stage_deletes(sa, rx->msg, &x);
	if (x.delete_ike) {
		x.u->kind = SA_UPD_IKE_SA_DELETE;
		x.u->delete_ike = true;
		x.u->nchild_del = 0;	/* they all go with the IKE SA */
		ike_sa_log(h, sa, LOG_INFO_, "peer deletes the IKE SA");
	} else if (x.u->nchild_del) {
		x.u->kind = SA_UPD_CHILD_SA_DELETE;
		ike_sa_log(h, sa, LOG_INFO_, "peer deletes %u Child SA(s)",
			   x.u->nchild_del);
	}
	rc = build_answer(sa, rx->msg, &x, r);
	if (!rc)
		rc = ike_sa_answer(h, sa, rx, r, &x.u);
out:
	if (rc)
		ike_sa_log(h, sa, LOG_ERR_, "INFORMATIONAL: failed: %d", rc);
	sa_update_free(h, x.u);
	free(r);
}
