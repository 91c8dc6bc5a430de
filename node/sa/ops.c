/* Operator actions (hikectl rekey / delete): the same requests the SA's
 * timer starts, refused while another exchange of ours is in flight. */
#include <errno.h>

#include "sa/requests.h"

static int ops_ready(const struct ike_sa *sa)
{
	if (sa->sa_state != IKE_SA_ESTABLISHED)
		return -EINVAL;
	if ((sa->sa_flags & IKE_SA_F_BUSY) || sa->sa_req.kind != IKE_REQ_NONE ||
	    sa->sa_del_pending)
		return -EBUSY;
	return 0;
}

int ike_sa_rekey_now(struct hike *h, struct ike_sa *sa, uint32_t child_spi_in)
{
	struct child_sa *c;
	int rc = ops_ready(sa);

	if (rc)
		return rc;
	if (!sa->sa_conn)
		return -ENOENT;		/* its connection was removed */
	if (!child_spi_in) {
		ike_sa_log(h, sa, LOG_INFO_, "operator: rekeying the IKE SA");
		return ike_req_rekey_ike(h, sa);
	}
	for (c = sa->sa_children; c; c = c->csa_next)
		if (c->csa_spi_in == child_spi_in)
			break;
	if (!c || c->csa_state != CHILD_SA_INSTALLED)
		return -ENOENT;
	ike_sa_log(h, sa, LOG_INFO_, "operator: rekeying Child SA %08x",
		   child_spi_in);
	return ike_req_rekey_child(h, sa, c);
}

int ike_sa_delete_now(struct hike *h, struct ike_sa *sa)
{
	int rc = ops_ready(sa);

	if (rc)
		return rc;
	ike_sa_log(h, sa, LOG_INFO_, "operator: deleting the IKE SA");
	return ike_sa_start_delete(h, sa);
}
