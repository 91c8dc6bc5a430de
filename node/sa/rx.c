/* ike_rx(): every IKE datagram enters here.  Decode the header (pure),
 * route by SPI, keep the message-ID window (RFC 7296 2.1, 2.2), decrypt
 * or reassemble (RFC 7383), check the payload rules, dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/counters.h"
#include "sa/exchange.h"
#include "sa/table.h"

static const enum counter_id drop_counter[IKE_DROP_N] = {
	[IKE_DROP_DECODE] = CNT_DROP_IKE_MALFORMED,
	[IKE_DROP_NO_SA] = CNT_DROP_IKE_NO_SA,
	[IKE_DROP_MSGID] = CNT_DROP_IKE_BAD_MSGID,
	[IKE_DROP_BUSY] = CNT_DROP_IKE_BUSY,
	[IKE_DROP_ICV] = CNT_DROP_IKE_ICV,
	[IKE_DROP_RULES] = CNT_DROP_IKE_RULES,
	[IKE_DROP_HALF_OPEN_MAX] = CNT_DROP_IKE_HALF_OPEN,
	[IKE_DROP_COOKIE] = CNT_DROP_IKE_COOKIE,
	[IKE_DROP_FRAG] = CNT_DROP_IKE_FRAGMENT,
	[IKE_DROP_RESPONSE] = CNT_DROP_IKE_BAD_MSGID,
	[IKE_DROP_NOMEM] = CNT_DROP_IKE_BUSY,
};

void sa_drop(struct hike *h, enum ike_drop why)
{
	h->ike_sas->stats.drops[why]++;
	counters_inc(h->counters, drop_counter[why]);
	log_debug(&h->log, "ike: dropped datagram (%s)", ike_drop_name(why));
}

/* RFC 7383 2.6.1: a retransmitted fragmented request is answered only
 * on its fragment number 1. */
static bool skf_not_first(const uint8_t *buf, size_t len,
			  const struct ike_hdr *hdr)
{
	struct rd r = rd_init(buf, len);
	uint16_t num;

	if (hdr->next != IKE_PL_SKF)
		return false;
	return rd_skip(&r, IKE_HDR_LEN + 4) && rd_u16(&r, &num) && num != 1;
}

/* Add one SKF fragment; 1 when the message is complete (inner chain
 * decoded into msg), 0 when more are needed, -errno to drop. */
static int rx_fragment(struct ike_sa *sa, const uint8_t *buf, size_t len,
		       struct ike_msg *msg, uint8_t *pt, size_t cap)
{
	struct ike_frag_asm *a = sa->sa_frag;
	struct sk_keys k;
	size_t ptlen = 0;
	uint8_t first = 0;
	int rc;

	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a || !(a->buf = malloc(IKE_MSG_MAX))) {
			free(a);
			return -ENOMEM;
		}
		ike_frag_asm_init(a, msg->hdr.msgid, a->buf, IKE_MSG_MAX);
		sa->sa_frag = a;
	} else if (a->msgid != msg->hdr.msgid) {
		ike_frag_asm_clear(a);
		ike_frag_asm_init(a, msg->hdr.msgid, a->buf, IKE_MSG_MAX);
	}
	ike_sa_sk_in(sa, &k);
	rc = sk_open(&k, buf, len, msg->sk.iv_off, pt, cap, &ptlen);
	if (rc)
		return rc;
	rc = ike_frag_asm_add(a, msg->sk.frag_num, msg->sk.frag_total,
			      msg->sk.first, pt, ptlen);
	if (rc == -EEXIST)
		return 0;
	if (rc || !ike_frag_asm_done(a))
		return rc;
	rc = ike_frag_asm_finish(a, pt, cap, &ptlen, &first);
	ike_frag_asm_clear(a);
	ike_frag_asm_init(a, msg->hdr.msgid + 1, a->buf, IKE_MSG_MAX);
	if (rc)
		return rc;
	return ike_decode_inner(msg, pt, ptlen, first) ? -EINVAL : 1;
}

/* Decrypt (or reassemble) into msg.  1 ready, 0 wait, <0 dropped. */
static int rx_open(struct hike *h, struct ike_sa *sa, const uint8_t *buf,
		   size_t len, struct ike_msg *msg, uint8_t *pt, size_t cap)
{
	struct sk_keys k;
	uint8_t bad = 0;
	int rc;

	if (ike_decode(buf, len, msg)) {
		sa_drop(h, IKE_DROP_DECODE);
		return -EINVAL;
	}
	if (!msg->sk.present) {
		sa_drop(h, IKE_DROP_RULES);
		return -EINVAL;
	}
	if (msg->sk.fragment) {
		rc = rx_fragment(sa, buf, len, msg, pt, cap);
	} else {
		ike_sa_sk_in(sa, &k);
		rc = ike_open_msg(&k, buf, len, msg, pt, cap);
		rc = rc ? rc : 1;
	}
	if (rc < 0) {
		sa_drop(h, rc == -EBADMSG ? IKE_DROP_ICV :
			msg->sk.fragment ? IKE_DROP_FRAG : IKE_DROP_DECODE);
		return rc;
	}
	if (rc == 1 && ike_rules_check(msg, &bad)) {
		ike_sa_log(h, sa, LOG_WARN_, "%s: payload %s not allowed",
			   ike_exchange_name(msg->hdr.exchange),
			   ike_payload_name(bad));
		sa_drop(h, IKE_DROP_RULES);
		return -EINVAL;
	}
	return rc;
}

static void rx_dispatch(struct hike *h, struct ike_sa *sa,
			const struct ike_rx *rx)
{
	uint8_t ex = rx->msg->hdr.exchange;

	sa->sa_last_rx_ms = sa_now_ms(h);
	if (ex == IKE_AUTH && sa->sa_state == IKE_SA_HALF_OPEN)
		ike_auth_rx(h, sa, rx);
	else if (ex == IKE_CREATE_CHILD_SA && sa->sa_state != IKE_SA_HALF_OPEN)
		ike_child_rx(h, sa, rx);
	else if (ex == IKE_INFORMATIONAL && sa->sa_state != IKE_SA_HALF_OPEN)
		ike_info_rx(h, sa, rx);
	else
		sa_drop(h, IKE_DROP_RULES);
}

static void rx_encrypted(struct hike *h, struct ike_sa *sa,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote,
			 const uint8_t *buf, size_t len, bool response)
{
	struct ike_msg *msg = malloc(sizeof(*msg));
	uint8_t *pt = malloc(IKE_MSG_MAX);
	struct ike_rx rx = { local, remote, buf, len, msg };
	int rc;

	if (!msg || !pt) {
		sa_drop(h, IKE_DROP_NOMEM);
		goto out;
	}
	rc = rx_open(h, sa, buf, len, msg, pt, IKE_MSG_MAX);
	if (rc == 1 && response)
		ike_req_response_rx(h, sa, &rx);
	else if (rc == 1)
		rx_dispatch(h, sa, &rx);
out:
	if (pt)
		OPENSSL_cleanse(pt, IKE_MSG_MAX);
	free(pt);
	free(msg);
}

static void rx_request(struct hike *h, struct ike_sa *sa,
		       const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote,
		       const uint8_t *buf, size_t len,
		       const struct ike_hdr *hdr)
{
	/* RFC 7296 2.1: a retransmitted request gets the same answer,
	 * never a second processing */
	if (sa->sa_peer_next && hdr->msgid == sa->sa_peer_next - 1 &&
	    sa->sa_resp.n) {
		if (skf_not_first(buf, len, hdr))
			return;
		ike_pkts_send(h, &sa->sa_resp, local, remote);
		h->ike_sas->stats.retransmits_answered++;
		counters_inc(h->counters, CNT_IKE_RETRANSMIT_ANSWERED);
		return;
	}
	if (hdr->msgid != sa->sa_peer_next) {
		sa_drop(h, IKE_DROP_MSGID);
		return;
	}
	if (sa->sa_flags & IKE_SA_F_BUSY) {
		sa_drop(h, IKE_DROP_BUSY);
		return;
	}
	rx_encrypted(h, sa, local, remote, buf, len, false);
}

static bool same_request(const struct ike_sa *sa, const uint8_t *buf,
			 size_t len)
{
	return sa->sa_msg1 && sa->sa_msg1_len == len &&
	       !memcmp(sa->sa_msg1, buf, len);
}

static void rx_sa_init(struct hike *h, const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote,
		       const uint8_t *buf, size_t len,
		       const struct ike_hdr *hdr)
{
	struct ike_msg *msg;
	struct ike_rx rx = { local, remote, buf, len, NULL };
	struct ike_sa *sa;
	uint8_t bad = 0;

	if ((hdr->flags & IKE_FLAG_RESPONSE) || hdr->rspi || hdr->msgid) {
		sa_drop(h, IKE_DROP_RESPONSE);
		return;
	}
	sa = ike_sa_find_half(h, hdr->ispi, remote);
	if (sa) {
		if (sa->sa_in_spi && sa->sa_resp.n && same_request(sa, buf, len)) {
			ike_pkts_send(h, &sa->sa_resp, local, remote);
			counters_inc(h->counters, CNT_IKE_RETRANSMIT_ANSWERED);
			h->ike_sas->stats.retransmits_answered++;
		} else {
			sa_drop(h, IKE_DROP_BUSY);
		}
		return;
	}
	msg = malloc(sizeof(*msg));
	if (!msg) {
		sa_drop(h, IKE_DROP_NOMEM);
		return;
	}
	if (ike_decode(buf, len, msg))
		sa_drop(h, IKE_DROP_DECODE);
	else if (ike_rules_check(msg, &bad))
		sa_drop(h, IKE_DROP_RULES);
	else {
		rx.msg = msg;
		counters_inc(h->counters, CNT_IKE_SA_INIT_RECEIVED);
		ike_sa_init_rx(h, &rx);
	}
	free(msg);
}

void ike_rx(struct hike *h, const struct sockaddr_storage *local,
	    const struct sockaddr_storage *remote, const uint8_t *buf,
	    size_t len)
{
	struct ike_hdr hdr;
	struct ike_sa *sa;
	uint64_t ours, theirs;

	if (ike_decode_hdr(buf, len, &hdr)) {
		sa_drop(h, IKE_DROP_DECODE);
		return;
	}
	if (hdr.exchange == IKE_SA_INIT) {
		rx_sa_init(h, local, remote, buf, len, &hdr);
		return;
	}
	/* RFC 7296 3.1: the I flag says which SPI is the sender's */
	ours = (hdr.flags & IKE_FLAG_INITIATOR) ? hdr.rspi : hdr.ispi;
	theirs = (hdr.flags & IKE_FLAG_INITIATOR) ? hdr.ispi : hdr.rspi;
	sa = ike_sa_find(h, ours);
	if (!sa || ike_sa_peer_spi(sa) != theirs) {
		sa_drop(h, IKE_DROP_NO_SA);
		return;
	}
	if (hdr.flags & IKE_FLAG_RESPONSE) {
		if (sa->sa_req.kind == IKE_REQ_NONE ||
		    hdr.msgid != sa->sa_req.msgid) {
			sa_drop(h, IKE_DROP_RESPONSE);
			return;
		}
		rx_encrypted(h, sa, local, remote, buf, len, true);
		return;
	}
	rx_request(h, sa, local, remote, buf, len, &hdr);
}
