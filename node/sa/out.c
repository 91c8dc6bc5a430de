/* Building what we send: headers, SK encryption, RFC 7383 fragments,
 * and staging an answer into an update. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "sa/exchange.h"

#define SEAL_SLACK	512	/* IV, padding and ICV never exceed this */
#define SKF_HDR_LEN	8

void ike_sk_keys(const struct ike_suite *s, const struct ike_keys *k,
		 bool initiator_keys, struct sk_keys *out)
{
	memset(out, 0, sizeof(*out));
	out->encr = s->encr;
	out->encr_keylen = s->encr_keylen;
	out->integ = s->integ;
	out->ekey = initiator_keys ? k->sk_ei : k->sk_er;
	out->ekey_len = k->e_len;
	if (s->integ != IKE_INTEG_NONE) {
		out->akey = initiator_keys ? k->sk_ai : k->sk_ar;
		out->akey_len = k->a_len;
	}
}

void ike_sa_sk_out(const struct ike_sa *sa, struct sk_keys *out)
{
	ike_sk_keys(&sa->sa_suite, &sa->sa_keys,
		    sa->sa_flags & IKE_SA_F_INITIATOR, out);
}

void ike_sa_sk_in(const struct ike_sa *sa, struct sk_keys *out)
{
	ike_sk_keys(&sa->sa_suite, &sa->sa_keys,
		    !(sa->sa_flags & IKE_SA_F_INITIATOR), out);
}

void ike_sa_hdr(const struct ike_sa *sa, uint8_t exchange, uint32_t msgid,
		bool response, struct ike_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->ispi = sa->sa_ispi;
	hdr->rspi = sa->sa_rspi;
	hdr->version = IKE_VERSION;
	hdr->exchange = exchange;
	hdr->msgid = msgid;
	/* RFC 7296 3.1: I is set by the original initiator of the IKE SA */
	hdr->flags = (sa->sa_flags & IKE_SA_F_INITIATOR) ? IKE_FLAG_INITIATOR : 0;
	if (response)
		hdr->flags |= IKE_FLAG_RESPONSE;
}

int ike_encode_clear(struct ike_msg *m, struct ike_pkts *out)
{
	uint8_t *buf = malloc(IKE_MSG_MAX);
	size_t len = 0;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ike_encode(m, buf, IKE_MSG_MAX, &len);
	rc = rc ? -EINVAL : ike_pkts_add(out, buf, len);
	free(buf);
	return rc;
}

/* RFC 7383 2.5: split the inner chain into SKF messages. */
static int seal_fragments(const struct sk_keys *k, uint64_t *iv_seq,
			  size_t frag_size, struct ike_msg *m,
			  uint8_t *buf, size_t cap, struct ike_pkts *out)
{
	struct wr w = wr_init(buf, cap / 2);
	uint8_t *fb = buf + cap / 2, first = 0;
	size_t over = sk_overhead(k, frag_size), max, len, msglen;
	struct ike_hdr hdr = m->hdr;
	struct ike_blob slice;
	struct ike_sk sk;
	uint16_t n, i;
	int rc;

	if (ike_encode_inner(m, &w, &first) || !wr_ok(&w))
		return -EMSGSIZE;
	if (frag_size <= IKE_HDR_LEN + SKF_HDR_LEN + over + 16)
		return -EINVAL;
	max = frag_size - IKE_HDR_LEN - SKF_HDR_LEN - over;
	n = ike_frag_count(w.len, max);
	if (!n)
		return -EMSGSIZE;
	hdr.next = IKE_PL_SKF;
	for (i = 1, rc = 0; i <= n && !rc; i++) {
		if (ike_frag_slice(buf, w.len, max, i, &slice) ||
		    ike_encode_skf(&hdr, i, n, first, slice.data, slice.len,
				   fb, cap / 2, &sk, &len)) {
			rc = -EINVAL;
			break;
		}
		rc = sk_seal(k, fb, cap / 2, sk.sk_off, sk.iv_off,
			     len - sk.iv_off, (*iv_seq)++, &msglen);
		if (!rc)
			rc = ike_pkts_add(out, fb, msglen);
	}
	OPENSSL_cleanse(buf, w.len);
	return rc;
}

int ike_seal_msg(const struct sk_keys *k, uint64_t *iv_seq, size_t frag_size,
		 struct ike_msg *m, struct ike_pkts *out)
{
	size_t cap = 2 * (IKE_MSG_MAX + SEAL_SLACK), len = 0, msglen = 0;
	uint8_t *buf = malloc(cap);
	int rc;

	if (!buf)
		return -ENOMEM;
	m->sk.present = true;
	rc = ike_encode(m, buf, IKE_MSG_MAX, &len) ? -EINVAL : 0;
	if (!rc)
		rc = sk_seal(k, buf, cap / 2, m->sk.sk_off, m->sk.iv_off,
			     len - m->sk.iv_off, (*iv_seq)++, &msglen);
	if (!rc && frag_size && msglen > frag_size)
		rc = seal_fragments(k, iv_seq, frag_size, m, buf, cap, out);
	else if (!rc)
		rc = ike_pkts_add(out, buf, msglen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int ike_sa_seal(struct hike *h, struct ike_sa *sa, struct ike_msg *m,
		struct ike_pkts *out)
{
	struct sk_keys k;
	size_t frag = 0;

	/* RFC 7383 2.3: only to a peer that announced support */
	if ((sa->sa_flags & IKE_SA_F_FRAG) && h->conf)
		frag = h->conf->ike.fragment_size;
	ike_sa_sk_out(sa, &k);
	return ike_seal_msg(&k, &sa->sa_iv_seq, frag, m, out);
}

int ike_open_msg(const struct sk_keys *k, const uint8_t *buf, size_t len,
		 struct ike_msg *msg, uint8_t *pt, size_t cap)
{
	size_t ptlen = 0;
	int rc;

	if (!msg->sk.present || msg->sk.fragment)
		return -EINVAL;
	rc = sk_open(k, buf, len, msg->sk.iv_off, pt, cap, &ptlen);
	if (rc)
		return rc;
	return ike_decode_inner(msg, pt, ptlen, msg->sk.first) ? -EINVAL : 0;
}

int ike_sa_stage_answer(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx, struct ike_msg *resp,
			struct sa_update *u)
{
	u->answers = true;
	u->msgid = rx->msg->hdr.msgid;
	u->local = *rx->local;
	u->remote = *rx->remote;
	return ike_sa_seal(h, sa, resp, &u->resp);
}

int ike_sa_answer(struct hike *h, struct ike_sa *sa, const struct ike_rx *rx,
		  struct ike_msg *resp, struct sa_update **u)
{
	int rc = ike_sa_stage_answer(h, sa, rx, resp, *u);

	if (rc)
		return rc;
	sa->sa_flags |= IKE_SA_F_BUSY;
	rc = repl_submit(h, *u, sa_commit_default, NULL);
	if (rc) {
		sa->sa_flags &= ~IKE_SA_F_BUSY;
		return rc;
	}
	*u = NULL;
	return 0;
}

int ike_sa_reply_notify(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx, uint16_t type,
			const void *data, size_t len, bool delete_ike)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct sa_update *u;
	struct ike_hdr hdr;
	int rc;

	u = sa_update_new(delete_ike ? SA_UPD_IKE_SA_DELETE :
			  SA_UPD_IKE_SA_UPDATE, sa);
	if (!m || !u) {
		free(m);
		sa_update_free(h, u);
		return -ENOMEM;
	}
	ike_sa_hdr(sa, rx->msg->hdr.exchange, rx->msg->hdr.msgid, true, &hdr);
	ike_msg_init(m, &hdr);
	rc = ike_msg_add_notify(m, true, type, data, len) ? 0 : -ENOSPC;
	u->delete_ike = delete_ike;
	if (!rc)
		rc = ike_sa_answer(h, sa, rx, m, &u);
	free(m);
	sa_update_free(h, u);	/* NULL once the replicator has it */
	return rc;
}
