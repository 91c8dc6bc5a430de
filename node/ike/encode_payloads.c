/*
 * Payload bodies, the mirror of decode_payloads.c (RFC 7296 3.3 - 3.16).
 * Reserved fields are written as zero.  Every count and length is checked
 * against its wire field, so a builder mistake gives IKE_ERR_INVALID
 * instead of a truncated field.
 */
#include "ike/codec.h"

#define IKE_ATTR_AF		0x8000

/* false only for a builder mistake (no data behind a length); running
 * out of room is the writer's sticky flag, checked by the caller */
static bool ike_wr_blob(struct wr *w, const uint8_t *p, size_t len)
{
	if (len && !p)
		return false;
	wr_bytes(w, p, len);
	return true;
}

static bool ike_wr_zero(struct wr *w, size_t n)
{
	static const uint8_t zero[4];

	return n <= sizeof(zero) && wr_bytes(w, zero, n);
}

/* Patch a 16-bit length field at off to cover off - back .. w->len. */
static int ike_wr_len16(struct wr *w, size_t off, size_t start)
{
	if (!wr_ok(w))
		return IKE_ERR_NOSPACE;
	if (w->len - start > UINT16_MAX)
		return IKE_ERR_INVALID;
	wr_patch_u16(w, off, (uint16_t)(w->len - start));
	return IKE_OK;
}

static int ike_tr_encode(const struct ike_transform *t, bool last,
			 struct wr *w)
{
	size_t start = w->len;

	wr_u8(w, last ? 0 : 3);
	wr_u8(w, 0);
	wr_u16(w, 0);
	wr_u8(w, t->type);
	wr_u8(w, 0);
	wr_u16(w, t->id);
	if (t->keylen) {
		wr_u16(w, IKE_ATTR_AF | IKE_ATTR_KEY_LENGTH);
		wr_u16(w, t->keylen);
	}
	return ike_wr_len16(w, start + 2, start);
}

static int ike_prop_encode(const struct ike_proposal *p, bool last,
			   struct wr *w)
{
	size_t start = w->len;
	int err;

	if (p->spi_len > IKE_MAX_SPI || p->ntr == 0 ||
	    p->ntr > IKE_MAX_TRANSFORMS)
		return IKE_ERR_INVALID;
	wr_u8(w, last ? 0 : 2);
	wr_u8(w, 0);
	wr_u16(w, 0);
	wr_u8(w, p->num);
	wr_u8(w, p->proto);
	wr_u8(w, p->spi_len);
	wr_u8(w, p->ntr);
	wr_bytes(w, p->spi, p->spi_len);
	for (uint8_t i = 0; i < p->ntr; i++) {
		err = ike_tr_encode(&p->tr[i], i + 1 == p->ntr, w);
		if (err)
			return err;
	}
	return ike_wr_len16(w, start + 2, start);
}

static int ike_sa_encode(const struct ike_sa_pl *sa, struct wr *w)
{
	if (sa->nprop == 0 || sa->nprop > IKE_MAX_PROPOSALS)
		return IKE_ERR_INVALID;
	for (uint8_t i = 0; i < sa->nprop; i++) {
		int err = ike_prop_encode(&sa->prop[i], i + 1 == sa->nprop, w);

		if (err)
			return err;
	}
	return IKE_OK;
}

static int ike_ts_encode(const struct ike_ts_pl *t, struct wr *w)
{
	if (t->nts > IKE_MAX_TS)
		return IKE_ERR_INVALID;
	wr_u8(w, t->nts);
	ike_wr_zero(w, 3);
	for (uint8_t i = 0; i < t->nts; i++) {
		const struct ike_ts *ts = &t->ts[i];
		size_t alen;

		if (ts->type == IKE_TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (ts->type == IKE_TS_IPV6_ADDR_RANGE)
			alen = 16;
		else
			return IKE_ERR_INVALID;
		wr_u8(w, ts->type);
		wr_u8(w, ts->ipproto);
		wr_u16(w, (uint16_t)(8 + 2 * alen));
		wr_u16(w, ts->sport);
		wr_u16(w, ts->eport);
		wr_bytes(w, ts->start, alen);
		wr_bytes(w, ts->end, alen);
	}
	return IKE_OK;
}

static int ike_cp_encode(const struct ike_cp_pl *cp, struct wr *w)
{
	if (cp->nattr > IKE_MAX_CP_ATTR)
		return IKE_ERR_INVALID;
	wr_u8(w, cp->type);
	ike_wr_zero(w, 3);
	for (uint8_t i = 0; i < cp->nattr; i++) {
		const struct ike_cp_attr *a = &cp->attr[i];

		wr_u16(w, a->type & 0x7fff);
		wr_u16(w, a->len);
		if (!ike_wr_blob(w, a->data, a->len))
			return IKE_ERR_INVALID;
	}
	return IKE_OK;
}

static int ike_notify_encode(const struct ike_notify_pl *n, struct wr *w)
{
	if (n->spi_len > IKE_MAX_SPI)
		return IKE_ERR_INVALID;
	wr_u8(w, n->proto);
	wr_u8(w, n->spi_len);
	wr_u16(w, n->type);
	wr_bytes(w, n->spi, n->spi_len);
	return ike_wr_blob(w, n->data, n->len) ? IKE_OK : IKE_ERR_INVALID;
}

static int ike_delete_encode(const struct ike_delete_pl *d, struct wr *w)
{
	if (d->spi_len > IKE_MAX_SPI)
		return IKE_ERR_INVALID;
	wr_u8(w, d->proto);
	wr_u8(w, d->spi_len);
	wr_u16(w, d->nspi);
	return ike_wr_blob(w, d->spis, (size_t)d->nspi * d->spi_len) ?
		IKE_OK : IKE_ERR_INVALID;
}

/* type byte, three reserved bytes, data: ID (3.5) and AUTH (3.8) */
static int ike_typed_encode(uint8_t type, const uint8_t *p, size_t len,
			    struct wr *w)
{
	wr_u8(w, type);
	ike_wr_zero(w, 3);
	return ike_wr_blob(w, p, len) ? IKE_OK : IKE_ERR_INVALID;
}

static int ike_cert_encode(const struct ike_cert_pl *c, struct wr *w)
{
	wr_u8(w, c->encoding);
	return ike_wr_blob(w, c->data, c->len) ? IKE_OK : IKE_ERR_INVALID;
}

static int ike_ke_encode(const struct ike_ke_pl *ke, struct wr *w)
{
	wr_u16(w, ke->group);
	wr_u16(w, 0);
	return ike_wr_blob(w, ke->data, ke->len) ? IKE_OK : IKE_ERR_INVALID;
}

static int ike_blob_encode(const struct ike_blob *b, struct wr *w)
{
	return ike_wr_blob(w, b->data, b->len) ? IKE_OK : IKE_ERR_INVALID;
}

static bool ike_index_ok(const struct ike_msg *msg, const struct ike_pl_ref *r)
{
	switch (r->type) {
	case IKE_PL_NOTIFY:	return r->index < msg->nnotify &&
				       r->index < IKE_MAX_NOTIFY;
	case IKE_PL_CERT:	return r->index < msg->ncert &&
				       r->index < IKE_MAX_CERT;
	case IKE_PL_CERTREQ:	return r->index < msg->ncertreq &&
				       r->index < IKE_MAX_CERTREQ;
	case IKE_PL_DELETE:	return r->index < msg->ndelete &&
				       r->index < IKE_MAX_DELETE;
	case IKE_PL_VENDOR:	return r->index < msg->nvendor &&
				       r->index < IKE_MAX_VENDOR;
	default:		return r->index == 0;
	}
}

int ike_pl_encode(const struct ike_msg *msg, const struct ike_pl_ref *r,
		  struct wr *w)
{
	uint8_t i = r->index;

	if (!ike_index_ok(msg, r))
		return IKE_ERR_INVALID;
	switch (r->type) {
	case IKE_PL_SA:		return ike_sa_encode(&msg->sa, w);
	case IKE_PL_KE:		return ike_ke_encode(&msg->ke, w);
	case IKE_PL_IDI:
		return ike_typed_encode(msg->idi.type, msg->idi.data,
					msg->idi.len, w);
	case IKE_PL_IDR:
		return ike_typed_encode(msg->idr.type, msg->idr.data,
					msg->idr.len, w);
	case IKE_PL_CERT:	return ike_cert_encode(&msg->cert[i], w);
	case IKE_PL_CERTREQ:	return ike_cert_encode(&msg->certreq[i], w);
	case IKE_PL_AUTH:
		return ike_typed_encode(msg->auth.method, msg->auth.data,
					msg->auth.len, w);
	case IKE_PL_NONCE:	return ike_blob_encode(&msg->nonce, w);
	case IKE_PL_NOTIFY:	return ike_notify_encode(&msg->notify[i], w);
	case IKE_PL_DELETE:	return ike_delete_encode(&msg->del[i], w);
	case IKE_PL_VENDOR:	return ike_blob_encode(&msg->vendor[i], w);
	case IKE_PL_TSI:	return ike_ts_encode(&msg->tsi, w);
	case IKE_PL_TSR:	return ike_ts_encode(&msg->tsr, w);
	case IKE_PL_CP:		return ike_cp_encode(&msg->cp, w);
	case IKE_PL_EAP:	return ike_blob_encode(&msg->eap, w);
	default:		return IKE_ERR_INVALID;
	}
}
