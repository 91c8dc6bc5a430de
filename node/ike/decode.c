/*
 * IKEv2 message decoding (RFC 7296 3.1, 3.2, 3.14; RFC 7383 2.5): the
 * header and the generic payload chain.  The chain is walked in a loop,
 * never by recursion; every payload body gets an rd_sub() cursor that
 * cannot see past its own length, and the bodies are parsed in
 * decode_payloads.c.
 */
#include <string.h>

#include "ike/codec.h"

int ike_decode_hdr(const uint8_t *buf, size_t len, struct ike_hdr *hdr)
{
	struct rd r = rd_init(buf, len);

	if (!rd_u64(&r, &hdr->ispi) || !rd_u64(&r, &hdr->rspi) ||
	    !rd_u8(&r, &hdr->next) || !rd_u8(&r, &hdr->version) ||
	    !rd_u8(&r, &hdr->exchange) || !rd_u8(&r, &hdr->flags) ||
	    !rd_u32(&r, &hdr->msgid) || !rd_u32(&r, &hdr->length))
		return IKE_ERR_TRUNCATED;
	/* RFC 7296 3.1: only the major version matters to the receiver;
	 * a wrong one earns INVALID_MAJOR_VERSION, so check it first. */
	if ((hdr->version >> 4) != (IKE_VERSION >> 4))
		return IKE_ERR_BAD_VERSION;
	/* RFC 7296 3.1: Length is the whole message; a datagram with more
	 * or fewer bytes is malformed (no trailing garbage accepted). */
	if (hdr->length != len)
		return IKE_ERR_BAD_LENGTH;
	return IKE_OK;
}

/* SK (RFC 7296 3.14) or SKF (RFC 7383 2.5): record where the encrypted
 * part starts; it must run to the end of the message. */
static int ike_decode_sk(struct ike_msg *msg, uint8_t type, uint8_t first,
			 struct rd *body, const struct rd *rest,
			 size_t sk_off)
{
	struct ike_sk *sk = &msg->sk;

	if (rd_left(rest) != 0)
		return IKE_ERR_SK_NOT_LAST;
	memset(sk, 0, sizeof(*sk));
	sk->present = true;
	sk->first = first;
	sk->sk_off = sk_off;
	sk->iv_off = sk_off + IKE_PL_HDR_LEN;
	sk->end = msg->hdr.length;
	if (type == IKE_PL_SKF) {
		sk->fragment = true;
		if (!rd_u16(body, &sk->frag_num) ||
		    !rd_u16(body, &sk->frag_total))
			return IKE_ERR_BAD_PAYLOAD;
		/* RFC 7383 2.5: numbering starts at 1, never past the total */
		if (sk->frag_num == 0 || sk->frag_num > sk->frag_total)
			return IKE_ERR_BAD_PAYLOAD;
		sk->iv_off = sk_off + IKE_SKF_HDR_LEN;
	}
	msg->count_clear[type]++;
	return IKE_OK;
}

/*
 * Walk one payload chain.  base is the offset of r's first byte in the
 * message (for SK offsets); enc says whether this is the inner chain.
 */
static int ike_decode_chain(struct ike_msg *msg, struct rd *r, uint8_t next,
			    bool enc, size_t base)
{
	size_t start = rd_left(r);

	while (next != IKE_PL_NONE) {
		uint8_t type = next, flags, index;
		size_t off = base + (start - rd_left(r));
		uint16_t plen;
		struct rd body;
		bool crit;
		int err;

		if (!rd_u8(r, &next) || !rd_u8(r, &flags) || !rd_u16(r, &plen))
			return IKE_ERR_TRUNCATED;
		if (plen < IKE_PL_HDR_LEN)
			return IKE_ERR_BAD_LENGTH;
		if (!rd_sub(r, &body, plen - IKE_PL_HDR_LEN))
			return IKE_ERR_TRUNCATED;
		crit = flags & IKE_PL_CRITICAL;

		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			/* an SK inside SK is nonsense; outside, it ends the
			 * chain and its next payload is the inner first */
			if (enc)
				return IKE_ERR_BAD_PAYLOAD;
			return ike_decode_sk(msg, type, next, &body, r, off);
		}
		if (!ike_pl_known(type)) {
			/* RFC 7296 2.5: skip unknown payloads unless the
			 * sender marked them critical */
			if (!crit)
				continue;
			msg->unsupported_critical = type;
			return IKE_ERR_UNSUPPORTED_CRITICAL;
		}
		err = ike_msg_push(msg, type, crit, enc, &index);
		if (!err)
			err = ike_pl_decode(msg, type, index, &body);
		if (err)
			return err;
	}
	/* the chain ended: the enclosing length must end with it */
	return rd_left(r) ? IKE_ERR_BAD_LENGTH : IKE_OK;
}

int ike_decode(const uint8_t *buf, size_t len, struct ike_msg *msg)
{
	struct rd r = rd_init(buf, len);
	int err;

	memset(msg, 0, sizeof(*msg));
	err = ike_decode_hdr(buf, len, &msg->hdr);
	if (err)
		return err;
	if (!rd_skip(&r, IKE_HDR_LEN))
		return IKE_ERR_TRUNCATED;
	return ike_decode_chain(msg, &r, msg->hdr.next, false, IKE_HDR_LEN);
}

int ike_decode_inner(struct ike_msg *msg, const uint8_t *pt, size_t len,
		     uint8_t first)
{
	struct rd r = rd_init(pt, len);

	return ike_decode_chain(msg, &r, first, true, 0);
}
