/* Our own requests (requests.c, requests_rekey.c). */
#ifndef HIKE_SA_REQUESTS_H
#define HIKE_SA_REQUESTS_H

#include "sa/exchange.h"

const char *ike_req_name(enum ike_req_kind k);
/* Seal m as request sa_our_next, move req into u and replicate. */
int ike_req_submit(struct hike *h, struct ike_sa *sa, struct ike_msg *m,
		   struct ike_req *req, struct sa_update *u);
void ike_sa_delete_local(struct hike *h, struct ike_sa *sa, const char *why);
uint64_t ike_sa_next_deadline(struct hike *h, const struct ike_sa *sa);

/* CREATE_CHILD_SA as initiator (requests_rekey.c). */
int ike_req_rekey_child(struct hike *h, struct ike_sa *sa, struct child_sa *c);
int ike_req_rekey_ike(struct hike *h, struct ike_sa *sa);
/* Their responses. */
void ike_rekey_child_done(struct hike *h, struct ike_sa *sa,
			  const struct ike_rx *rx);
void ike_rekey_ike_done(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx);

#endif
