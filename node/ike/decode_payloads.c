/*
 * Payload bodies (RFC 7296 3.3 - 3.16).  Each parser gets a cursor that
 * ends where its payload ends; it borrows variable-length data in place
 * and must consume the body exactly.  Reserved fields are ignored on
 * receipt (RFC 7296 3.2), which is why byte-exact re-encoding holds only
 * for messages that zeroed them.
 */
#include <string.h>

#include "ike/codec.h"

/* RFC 7296 3.3.5: attribute format bit; Key Length is the only attribute
 * IKEv2 defines, always in TV form. */
#define IKE_ATTR_AF		0x8000

static int ike_tr_attrs_decode(struct ike_transform *t, struct rd *b)
{
	while (rd_left(b)) {
		uint16_t type, val;

		if (!rd_u16(b, &type) || !rd_u16(b, &val))
			return IKE_ERR_BAD_PAYLOAD;
		/* a Key Length of 0 or twice: nothing we could agree to */
		if (type == (IKE_ATTR_AF | IKE_ATTR_KEY_LENGTH) &&
		    val != 0 && t->keylen == 0) {
			t->keylen = val;
			continue;
		}
		/* RFC 7296 3.3.6: an attribute we do not understand makes
		 * the transform unacceptable, not the message malformed */
		t->unknown_attr = true;
		if (!(type & IKE_ATTR_AF) && !rd_skip(b, val))
			return IKE_ERR_BAD_PAYLOAD;
	}
	return IKE_OK;
}

/* RFC 7296 3.3.2: one transform substructure; last is 3 ("more"), 0 for
 * the final one. */
static int ike_tr_decode(struct ike_transform *t, struct rd *b, bool *last)
{
	uint8_t more, rsv, rsv2;
	uint16_t len;
	struct rd tb;

	if (!rd_u8(b, &more) || !rd_u8(b, &rsv) || !rd_u16(b, &len))
		return IKE_ERR_BAD_PAYLOAD;
	if (len < 8 || !rd_sub(b, &tb, len - 4))
		return IKE_ERR_BAD_PAYLOAD;
	if (more != 0 && more != 3)
		return IKE_ERR_BAD_PAYLOAD;
	*last = more == 0;
	memset(t, 0, sizeof(*t));
	if (!rd_u8(&tb, &t->type) || !rd_u8(&tb, &rsv2) ||
	    !rd_u16(&tb, &t->id))
		return IKE_ERR_BAD_PAYLOAD;
	return ike_tr_attrs_decode(t, &tb);
}

static int ike_prop_transforms_decode(struct ike_proposal *p, struct rd *b,
				      uint8_t ntr)
{
	bool last = false;

	if (ntr == 0)
		return IKE_ERR_BAD_PAYLOAD;
	if (ntr > IKE_MAX_TRANSFORMS)
		return IKE_ERR_TOO_MANY;
	for (p->ntr = 0; p->ntr < ntr; p->ntr++) {
		int err = ike_tr_decode(&p->tr[p->ntr], b, &last);

		if (err)
			return err;
		/* the "last" marks must agree with the count */
		if (last != (p->ntr + 1 == ntr))
			return IKE_ERR_BAD_PAYLOAD;
	}
	return rd_left(b) ? IKE_ERR_BAD_PAYLOAD : IKE_OK;
}

/* RFC 7296 3.3.1: one proposal substructure; last is 2 ("more"), 0 for
 * the final one. */
static int ike_prop_decode(struct ike_proposal *p, struct rd *b, bool *last)
{
	uint8_t more, rsv, ntr;
	uint16_t len;
	struct rd pb;

	if (!rd_u8(b, &more) || !rd_u8(b, &rsv) || !rd_u16(b, &len))
		return IKE_ERR_BAD_PAYLOAD;
	if (len < 8 || !rd_sub(b, &pb, len - 4))
		return IKE_ERR_BAD_PAYLOAD;
	if (more != 0 && more != 2)
		return IKE_ERR_BAD_PAYLOAD;
	*last = more == 0;
	memset(p, 0, sizeof(*p));
	if (!rd_u8(&pb, &p->num) || !rd_u8(&pb, &p->proto) ||
	    !rd_u8(&pb, &p->spi_len) || !rd_u8(&pb, &ntr))
		return IKE_ERR_BAD_PAYLOAD;
	if (p->spi_len > IKE_MAX_SPI || !rd_bytes(&pb, p->spi, p->spi_len))
		return IKE_ERR_BAD_PAYLOAD;
	return ike_prop_transforms_decode(p, &pb, ntr);
}

static int ike_sa_decode(struct ike_sa_pl *sa, struct rd *b)
{
	bool last = false;

	sa->nprop = 0;
	while (!last) {
		int err;

		if (!rd_left(b))	/* no proposal marked last */
			return IKE_ERR_BAD_PAYLOAD;
		if (sa->nprop >= IKE_MAX_PROPOSALS)
			return IKE_ERR_TOO_MANY;
		err = ike_prop_decode(&sa->prop[sa->nprop], b, &last);
		if (err)
			return err;
		sa->nprop++;
	}
	return rd_left(b) ? IKE_ERR_BAD_PAYLOAD : IKE_OK;
}

static int ike_ke_decode(struct ike_ke_pl *ke, struct rd *b)
{
	uint16_t rsv;

	if (!rd_u16(b, &ke->group) || !rd_u16(b, &rsv) || !rd_left(b))
		return IKE_ERR_BAD_PAYLOAD;
	ke->len = rd_left(b);
	return rd_ptr(b, &ke->data, ke->len) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

static int ike_id_decode(struct ike_id_pl *id, struct rd *b)
{
	uint8_t rsv[3];
	/* RFC 7296 2.15: AUTH signs the body as received, reserved
	 * bytes included */
	struct rd all = *b;

	id->raw_len = rd_left(b);
	if (!rd_ptr(&all, &id->raw, id->raw_len))
		return IKE_ERR_BAD_PAYLOAD;
	if (!rd_u8(b, &id->type) || !rd_bytes(b, rsv, sizeof(rsv)) ||
	    !rd_left(b))
		return IKE_ERR_BAD_PAYLOAD;
	id->len = rd_left(b);
	return rd_ptr(b, &id->data, id->len) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

static int ike_cert_decode(struct ike_cert_pl *c, struct rd *b)
{
	if (!rd_u8(b, &c->encoding))
		return IKE_ERR_BAD_PAYLOAD;
	c->len = rd_left(b);
	return rd_ptr(b, &c->data, c->len) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

static int ike_auth_decode(struct ike_auth_pl *a, struct rd *b)
{
	uint8_t rsv[3];

	if (!rd_u8(b, &a->method) || !rd_bytes(b, rsv, sizeof(rsv)) ||
	    !rd_left(b))
		return IKE_ERR_BAD_PAYLOAD;
	a->len = rd_left(b);
	return rd_ptr(b, &a->data, a->len) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

static int ike_blob_decode(struct ike_blob *v, struct rd *b, size_t min,
			   size_t max)
{
	v->len = rd_left(b);
	if (v->len < min || v->len > max)
		return IKE_ERR_BAD_PAYLOAD;
	return rd_ptr(b, &v->data, v->len) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

static int ike_notify_decode(struct ike_notify_pl *n, struct rd *b)
{
	if (!rd_u8(b, &n->proto) || !rd_u8(b, &n->spi_len) ||
	    !rd_u16(b, &n->type))
		return IKE_ERR_BAD_PAYLOAD;
	if (n->spi_len > IKE_MAX_SPI || !rd_bytes(b, n->spi, n->spi_len))
		return IKE_ERR_BAD_PAYLOAD;
	n->len = rd_left(b);
	return rd_ptr(b, &n->data, n->len) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

static int ike_delete_decode(struct ike_delete_pl *d, struct rd *b)
{
	if (!rd_u8(b, &d->proto) || !rd_u8(b, &d->spi_len) ||
	    !rd_u16(b, &d->nspi))
		return IKE_ERR_BAD_PAYLOAD;
	/* RFC 7296 3.11: exactly nspi SPIs of spi_len bytes follow */
	if (d->spi_len > IKE_MAX_SPI ||
	    (size_t)d->nspi * d->spi_len != rd_left(b))
		return IKE_ERR_BAD_PAYLOAD;
	return rd_ptr(b, &d->spis, rd_left(b)) ? IKE_OK : IKE_ERR_BAD_PAYLOAD;
}

/* RFC 7296 3.13.1: the selector length must be what its type implies */
static int ike_ts1_decode(struct ike_ts *ts, struct rd *b)
{
	uint16_t len;
	size_t alen;
	struct rd sb;

	memset(ts, 0, sizeof(*ts));
	if (!rd_u8(b, &ts->type) || !rd_u8(b, &ts->ipproto) ||
	    !rd_u16(b, &len))
		return IKE_ERR_BAD_PAYLOAD;
	if (ts->type == IKE_TS_IPV4_ADDR_RANGE)
		alen = 4;
	else if (ts->type == IKE_TS_IPV6_ADDR_RANGE)
		alen = 16;
	else
		return IKE_ERR_BAD_PAYLOAD;
	if (len != 8 + 2 * alen || !rd_sub(b, &sb, len - 4))
		return IKE_ERR_BAD_PAYLOAD;
	if (!rd_u16(&sb, &ts->sport) || !rd_u16(&sb, &ts->eport) ||
	    !rd_bytes(&sb, ts->start, alen) || !rd_bytes(&sb, ts->end, alen))
		return IKE_ERR_BAD_PAYLOAD;
	return IKE_OK;
}

static int ike_ts_decode(struct ike_ts_pl *t, struct rd *b)
{
	uint8_t n, rsv[3];

	if (!rd_u8(b, &n) || !rd_bytes(b, rsv, sizeof(rsv)))
		return IKE_ERR_BAD_PAYLOAD;
	if (n > IKE_MAX_TS)
		return IKE_ERR_TOO_MANY;
	for (t->nts = 0; t->nts < n; t->nts++) {
		int err = ike_ts1_decode(&t->ts[t->nts], b);

		if (err)
			return err;
	}
	return rd_left(b) ? IKE_ERR_BAD_PAYLOAD : IKE_OK;
}

/* RFC 7296 3.15.1: the top bit of an attribute type is reserved */
#define IKE_CP_ATTR_R		0x8000

static int ike_cp_decode(struct ike_cp_pl *cp, struct rd *b)
{
	uint8_t rsv[3];

	if (!rd_u8(b, &cp->type) || !rd_bytes(b, rsv, sizeof(rsv)))
		return IKE_ERR_BAD_PAYLOAD;
	for (cp->nattr = 0; rd_left(b); cp->nattr++) {
		struct ike_cp_attr *a;
		uint16_t type;

		if (cp->nattr >= IKE_MAX_CP_ATTR)
			return IKE_ERR_TOO_MANY;
		a = &cp->attr[cp->nattr];
		if (!rd_u16(b, &type) || !rd_u16(b, &a->len) ||
		    !rd_ptr(b, &a->data, a->len))
			return IKE_ERR_BAD_PAYLOAD;
		a->type = type & (uint16_t)~IKE_CP_ATTR_R;
	}
	return IKE_OK;
}

/* RFC 7296 3.16 carries one EAP packet (RFC 3748 4.1) whose own length
 * field must match. */
static int ike_eap_decode(struct ike_blob *e, struct rd *b)
{
	struct rd t = *b;
	uint8_t code, id;
	uint16_t len;

	if (!rd_u8(&t, &code) || !rd_u8(&t, &id) || !rd_u16(&t, &len) ||
	    len != rd_left(b))
		return IKE_ERR_BAD_PAYLOAD;
	return ike_blob_decode(e, b, 4, SIZE_MAX);
}

int ike_pl_decode(struct ike_msg *msg, uint8_t type, uint8_t index,
		  struct rd *b)
{
	switch (type) {
	case IKE_PL_SA:		return ike_sa_decode(&msg->sa, b);
	case IKE_PL_KE:		return ike_ke_decode(&msg->ke, b);
	case IKE_PL_IDI:	return ike_id_decode(&msg->idi, b);
	case IKE_PL_IDR:	return ike_id_decode(&msg->idr, b);
	case IKE_PL_CERT:	return ike_cert_decode(&msg->cert[index], b);
	case IKE_PL_CERTREQ:	return ike_cert_decode(&msg->certreq[index], b);
	case IKE_PL_AUTH:	return ike_auth_decode(&msg->auth, b);
	case IKE_PL_NONCE:
		return ike_blob_decode(&msg->nonce, b, IKE_NONCE_MIN,
				       IKE_NONCE_MAX);
	case IKE_PL_NOTIFY:	return ike_notify_decode(&msg->notify[index], b);
	case IKE_PL_DELETE:	return ike_delete_decode(&msg->del[index], b);
	case IKE_PL_VENDOR:
		return ike_blob_decode(&msg->vendor[index], b, 0, SIZE_MAX);
	case IKE_PL_TSI:	return ike_ts_decode(&msg->tsi, b);
	case IKE_PL_TSR:	return ike_ts_decode(&msg->tsr, b);
	case IKE_PL_CP:		return ike_cp_decode(&msg->cp, b);
	case IKE_PL_EAP:	return ike_eap_decode(&msg->eap, b);
	default:		return IKE_ERR_INVALID;
	}
}
