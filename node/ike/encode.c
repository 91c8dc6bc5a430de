/*
 * IKEv2 message encoding (RFC 7296 3.1, 3.2, 3.14): the header, the
 * generic payload headers and their chaining.  Each payload's Next
 * Payload byte is back-patched once the following payload is known, so
 * the chain is written in one pass over msg->order.
 */
#include "ike/codec.h"

/* offset of the Next Payload and Length fields in the IKE header */
#define IKE_HDR_NEXT_OFF	16
#define IKE_HDR_LEN_OFF		24

/* Where the next payload's type must be written: a byte in w, or (for a
 * chain of its own, such as the inner one) *first. */
struct ike_link {
	size_t prev;		/* SIZE_MAX: nothing written yet */
	uint8_t first;
};

static void ike_link_to(struct ike_link *l, struct wr *w, uint8_t type)
{
	if (l->prev == SIZE_MAX)
		l->first = type;
	else
		wr_patch_u8(w, l->prev, type);
}

static int ike_pl_write(const struct ike_msg *msg, const struct ike_pl_ref *r,
			struct wr *w, struct ike_link *l)
{
	size_t start = w->len;
	int err;

	ike_link_to(l, w, r->type);
	wr_u8(w, IKE_PL_NONE);
	wr_u8(w, r->critical ? IKE_PL_CRITICAL : 0);
	wr_u16(w, 0);
	err = ike_pl_encode(msg, r, w);
	if (err)
		return err;
	if (!wr_ok(w))
		return IKE_ERR_NOSPACE;
	if (w->len - start > UINT16_MAX)
		return IKE_ERR_INVALID;
	wr_patch_u16(w, start + 2, (uint16_t)(w->len - start));
	l->prev = start;
	return IKE_OK;
}

/* Write every payload of msg->order that is (or is not) encrypted. */
static int ike_chain_write(const struct ike_msg *msg, bool enc, struct wr *w,
			   struct ike_link *l)
{
	for (uint8_t i = 0; i < msg->norder && i < IKE_MAX_PAYLOADS; i++) {
		const struct ike_pl_ref *r = &msg->order[i];
		int err;

		if (r->encrypted != enc)
			continue;
		err = ike_pl_write(msg, r, w, l);
		if (err)
			return err;
	}
	return IKE_OK;
}

int ike_encode_inner(const struct ike_msg *msg, struct wr *w, uint8_t *first)
{
	struct ike_link l = { SIZE_MAX, IKE_PL_NONE };
	int err = ike_chain_write(msg, true, w, &l);

	*first = l.first;
	return err;
}

static bool ike_msg_encrypted(const struct ike_msg *msg)
{
	if (msg->sk.present)
		return true;
	for (uint8_t i = 0; i < msg->norder && i < IKE_MAX_PAYLOADS; i++)
		if (msg->order[i].encrypted)
			return true;
	return false;
}

static void ike_hdr_write(const struct ike_hdr *h, struct wr *w)
{
	wr_u64(w, h->ispi);
	wr_u64(w, h->rspi);
	wr_u8(w, IKE_PL_NONE);		/* patched by the first payload */
	wr_u8(w, h->version);
	wr_u8(w, h->exchange);
	wr_u8(w, h->flags);
	wr_u32(w, h->msgid);
	wr_u32(w, 0);			/* patched at the end */
}

/* SK generic header followed by the plaintext inner chain; sk_seal()
 * turns it into IV | ciphertext | ICV and fixes both lengths. */
static int ike_sk_write(struct ike_msg *msg, struct wr *w, struct ike_link *l)
{
	size_t sk_off = w->len;
	uint8_t first;
	int err;

	ike_link_to(l, w, IKE_PL_SK);
	wr_u8(w, IKE_PL_NONE);
	wr_u8(w, 0);
	wr_u16(w, 0);
	err = ike_encode_inner(msg, w, &first);
	if (err)
		return err;
	if (!wr_ok(w))
		return IKE_ERR_NOSPACE;
	if (w->len - sk_off > UINT16_MAX)
		return IKE_ERR_INVALID;
	wr_patch_u8(w, sk_off, first);
	wr_patch_u16(w, sk_off + 2, (uint16_t)(w->len - sk_off));
	msg->sk.present = true;
	msg->sk.fragment = false;
	msg->sk.first = first;
	msg->sk.frag_num = msg->sk.frag_total = 0;
	msg->sk.sk_off = sk_off;
	msg->sk.iv_off = sk_off + IKE_PL_HDR_LEN;
	return IKE_OK;
}

int ike_encode(struct ike_msg *msg, uint8_t *buf, size_t cap, size_t *len)
{
	struct wr w = wr_init(buf, cap);
	struct ike_link l = { IKE_HDR_NEXT_OFF, IKE_PL_NONE };
	int err;

	*len = 0;
	ike_hdr_write(&msg->hdr, &w);
	err = ike_chain_write(msg, false, &w, &l);
	if (!err && ike_msg_encrypted(msg))
		err = ike_sk_write(msg, &w, &l);
	if (err)
		return err;
	if (!wr_ok(&w))
		return IKE_ERR_NOSPACE;
	wr_patch_u32(&w, IKE_HDR_LEN_OFF, (uint32_t)w.len);
	msg->hdr.length = (uint32_t)w.len;
	msg->sk.end = msg->sk.present ? w.len : 0;
	*len = w.len;
	return IKE_OK;
}
