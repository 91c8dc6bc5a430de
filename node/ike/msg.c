/*
 * struct ike_msg bookkeeping shared by the decoder and the builders: which
 * payload types have a body parser, the storage slot of each instance,
 * and the wire order that makes re-encoding byte exact.
 */
#include <string.h>

#include "ike/codec.h"

bool ike_pl_known(uint8_t type)
{
	switch (type) {
	case IKE_PL_SA: case IKE_PL_KE: case IKE_PL_IDI: case IKE_PL_IDR:
	case IKE_PL_CERT: case IKE_PL_CERTREQ: case IKE_PL_AUTH:
	case IKE_PL_NONCE: case IKE_PL_NOTIFY: case IKE_PL_DELETE:
	case IKE_PL_VENDOR: case IKE_PL_TSI: case IKE_PL_TSR: case IKE_PL_CP:
	case IKE_PL_EAP:
		return true;
	default:
		return false;
	}
}

/* Next free index in a multi-instance array, bounded by its maximum. */
static int ike_msg_next_slot(uint8_t *n, uint8_t max, uint8_t *index)
{
	if (*n >= max)
		return IKE_ERR_TOO_MANY;
	*index = (*n)++;
	return IKE_OK;
}

static int ike_msg_slot(struct ike_msg *msg, uint8_t type, uint8_t *index)
{
	switch (type) {
	case IKE_PL_NOTIFY:
		return ike_msg_next_slot(&msg->nnotify, IKE_MAX_NOTIFY, index);
	case IKE_PL_CERT:
		return ike_msg_next_slot(&msg->ncert, IKE_MAX_CERT, index);
	case IKE_PL_CERTREQ:
		return ike_msg_next_slot(&msg->ncertreq, IKE_MAX_CERTREQ,
					 index);
	case IKE_PL_DELETE:
		return ike_msg_next_slot(&msg->ndelete, IKE_MAX_DELETE, index);
	case IKE_PL_VENDOR:
		return ike_msg_next_slot(&msg->nvendor, IKE_MAX_VENDOR, index);
	default:
		break;
	}
	if (!ike_pl_known(type))
		return IKE_ERR_INVALID;
	/* Every other payload appears at most once per message (RFC 7296
	 * section 1 exchange diagrams); the struct holds one. */
	if (msg->count_clear[type] || msg->count_enc[type])
		return IKE_ERR_TOO_MANY;
	*index = 0;
	return IKE_OK;
}

int ike_msg_push(struct ike_msg *msg, uint8_t type, bool critical,
		 bool encrypted, uint8_t *index)
{
	struct ike_pl_ref *ref;
	int err;

	if (msg->norder >= IKE_MAX_PAYLOADS)
		return IKE_ERR_TOO_MANY;
	err = ike_msg_slot(msg, type, index);
	if (err)
		return err;
	ref = &msg->order[msg->norder++];
	ref->type = type;
	ref->critical = critical;
	ref->encrypted = encrypted;
	ref->index = *index;
	if (encrypted)
		msg->count_enc[type]++;
	else
		msg->count_clear[type]++;
	return IKE_OK;
}

void ike_msg_init(struct ike_msg *msg, const struct ike_hdr *hdr)
{
	memset(msg, 0, sizeof(*msg));
	if (hdr)
		msg->hdr = *hdr;
}

bool ike_msg_add(struct ike_msg *msg, uint8_t type, bool encrypted)
{
	uint8_t index;

	if (ike_msg_push(msg, type, false, encrypted, &index))
		return false;
	if (encrypted)
		msg->sk.present = true;
	return true;
}

struct ike_notify_pl *ike_msg_add_notify(struct ike_msg *msg, bool encrypted,
					 uint16_t type, const void *data,
					 size_t len)
{
	struct ike_notify_pl *n;
	uint8_t index;

	if (ike_msg_push(msg, IKE_PL_NOTIFY, false, encrypted, &index))
		return NULL;
	if (encrypted)
		msg->sk.present = true;
	n = &msg->notify[index];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->data = data;
	n->len = len;
	return n;
}

const struct ike_notify_pl *ike_msg_notify(const struct ike_msg *msg,
					   uint16_t type)
{
	for (uint8_t i = 0; i < msg->nnotify && i < IKE_MAX_NOTIFY; i++)
		if (msg->notify[i].type == type)
			return &msg->notify[i];
	return NULL;
}
