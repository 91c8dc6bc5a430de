/*
 * IKEv2 fragmentation (RFC 7383), the pure part: reassembly bookkeeping,
 * splitting an inner chain into fragment plaintexts, and writing one SKF
 * message ready for sk_seal().  Fragments are authenticated (sk_open)
 * before they get here (RFC 7383 2.6: reassemble only verified ones).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/codec.h"

void ike_frag_asm_init(struct ike_frag_asm *a, uint32_t msgid, uint8_t *buf,
		       size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->msgid = msgid;
	a->buf = buf;
	a->cap = cap;
}

/* Forget what is held (wiping it) but keep msgid and storage. */
static void ike_frag_asm_restart(struct ike_frag_asm *a)
{
	if (a->buf && a->used)
		OPENSSL_cleanse(a->buf, a->used);
	ike_frag_asm_init(a, a->msgid, a->buf, a->cap);
}

void ike_frag_asm_clear(struct ike_frag_asm *a)
{
	ike_frag_asm_restart(a);
}

int ike_frag_asm_add(struct ike_frag_asm *a, uint16_t num, uint16_t total,
		     uint8_t first, const uint8_t *pt, size_t len)
{
	struct wr w;

	if (num == 0 || num > total || total > IKE_FRAG_MAX)
		return -EINVAL;
	/* RFC 7383 2.6.2: a larger total means the sender re-fragmented
	 * (smaller PMTU); start over with it.  A smaller one is stale. */
	if (a->total && total < a->total)
		return -EINVAL;
	if (total > a->total) {
		ike_frag_asm_restart(a);
		a->total = total;
	}
	if (a->held[num - 1])
		return -EEXIST;
	if (len && !pt)
		return -EINVAL;
	w = wr_init(a->buf, a->cap);
	if (wr_reserve(&w, a->used) == SIZE_MAX || !wr_bytes(&w, pt, len))
		return -ENOSPC;
	a->off[num - 1] = a->used;
	a->len[num - 1] = len;
	a->held[num - 1] = true;
	a->used = w.len;
	a->have++;
	/* RFC 7383 2.5: only fragment 1 names the first inner payload */
	if (num == 1)
		a->first = first;
	return 0;
}

bool ike_frag_asm_done(const struct ike_frag_asm *a)
{
	return a->total != 0 && a->have == a->total;
}

int ike_frag_asm_finish(const struct ike_frag_asm *a, uint8_t *out,
			size_t cap, size_t *len, uint8_t *first)
{
	struct rd held = rd_init(a->buf, a->used);
	struct wr w = wr_init(out, cap);

	if (!ike_frag_asm_done(a))
		return -EAGAIN;
	for (uint16_t i = 0; i < a->total; i++) {
		struct rd frag = held;
		const uint8_t *p;

		if (!rd_skip(&frag, a->off[i]) ||
		    !rd_ptr(&frag, &p, a->len[i]))
			return -EINVAL;
		if (!wr_bytes(&w, p, a->len[i]))
			return -ENOSPC;
	}
	*len = w.len;
	*first = a->first;
	return 0;
}

uint16_t ike_frag_count(size_t ptlen, size_t max)
{
	size_t n;

	if (max == 0)
		return 0;
	n = ptlen ? (ptlen + max - 1) / max : 1;
	return n > IKE_FRAG_MAX ? 0 : (uint16_t)n;
}

int ike_frag_slice(const uint8_t *pt, size_t ptlen, size_t max,
		   uint16_t num, struct ike_blob *out)
{
	uint16_t total = ike_frag_count(ptlen, max);
	struct rd r = rd_init(pt, ptlen);
	size_t len;

	if (total == 0 || num == 0 || num > total)
		return -EINVAL;
	if (!rd_skip(&r, (size_t)(num - 1) * max))
		return -EINVAL;
	len = rd_left(&r) < max ? rd_left(&r) : max;
	out->len = len;
	return rd_ptr(&r, &out->data, len) ? 0 : -EINVAL;
}

int ike_encode_skf(const struct ike_hdr *hdr, uint16_t num, uint16_t total,
		   uint8_t first, const uint8_t *pt, size_t ptlen,
		   uint8_t *buf, size_t cap, struct ike_sk *sk, size_t *len)
{
	struct wr w = wr_init(buf, cap);
	size_t body = IKE_SKF_HDR_LEN + ptlen;

	if (num == 0 || num > total || body > UINT16_MAX || (ptlen && !pt))
		return IKE_ERR_INVALID;
	wr_u64(&w, hdr->ispi);
	wr_u64(&w, hdr->rspi);
	wr_u8(&w, IKE_PL_SKF);
	wr_u8(&w, hdr->version);
	wr_u8(&w, hdr->exchange);
	wr_u8(&w, hdr->flags);
	wr_u32(&w, hdr->msgid);
	wr_u32(&w, (uint32_t)(IKE_HDR_LEN + body));
	/* RFC 7383 2.5: Next Payload is the inner first type in fragment 1
	 * and zero in the others */
	wr_u8(&w, num == 1 ? first : IKE_PL_NONE);
	wr_u8(&w, 0);
	wr_u16(&w, (uint16_t)body);
	wr_u16(&w, num);
	wr_u16(&w, total);
	wr_bytes(&w, pt, ptlen);
	if (!wr_ok(&w))
		return IKE_ERR_NOSPACE;
	memset(sk, 0, sizeof(*sk));
	sk->present = true;
	sk->fragment = true;
	sk->first = num == 1 ? first : IKE_PL_NONE;
	sk->frag_num = num;
	sk->frag_total = total;
	sk->sk_off = IKE_HDR_LEN;
	sk->iv_off = IKE_HDR_LEN + IKE_SKF_HDR_LEN;
	sk->end = w.len;
	*len = w.len;
	return IKE_OK;
}
