/* ESP packet protection and processing (RFC 4303 3.3, 3.4); see esp.h. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "hike/cursor.h"
#include "esp/esp.h"
#include "esp/esp_crypto.h"
#include "esp/flow.h"
#include "esp/offload.h"
#include "esp/sa_internal.h"

static int esp_fail(struct esp_sa *sa, enum esp_drop d, enum esp_drop *why,
		    int err)
{
	sa->sa_st.drops[d]++;
	*why = d;
	return err;
}

/* What goes into the ESP payload, and its next header value. */
static int esp_payload(const struct esp_sa *sa, const uint8_t *in,
		       size_t inlen, const uint8_t **pl, size_t *plen,
		       uint8_t *nh)
{
	struct esp_flow fl;

	if (esp_flow_parse(in, inlen, &fl))
		return -EINVAL;
	if (sa->sa_mode == ESP_MODE_TUNNEL) {
		*nh = fl.fl_family == AF_INET ? ESP_NH_IPV4 : ESP_NH_IPV6;
		*pl = in;
		*plen = fl.fl_len;
		return 0;
	}
	/* transport (RFC 4303 3.1.1): protect what follows the IP header;
	 * IPv6 extension headers are not supported there */
	*nh = fl.fl_proto;
	if (fl.fl_family == AF_INET6 && in[6] != fl.fl_proto)
		return -EINVAL;
	*pl = in + fl.fl_hlen;
	*plen = fl.fl_len - fl.fl_hlen;
	return 0;
}

int esp_encap(struct esp_sa *sa, const uint8_t *in, size_t inlen,
	      uint8_t *out, size_t cap, size_t *outlen, enum esp_drop *why)
{
	const struct esp_alg *a = esp_crypto_alg(sa->sa_out);
	const uint8_t *pl;
	size_t plen, padlen, ct_len, total;
	uint8_t nh;
	struct wr w;

	*why = ESP_DROP_NONE;
	if (sa->sa_expired)
		return esp_fail(sa, ESP_DROP_EXPIRED, why, -EKEYEXPIRED);
	if (sa->sa_seq_out >= esp_sa_seq_max(sa))
		return esp_fail(sa, ESP_DROP_SEQ_EXHAUSTED, why, -EOVERFLOW);
	if (sa->sa_seq_out >= sa->sa_seq_limit)
		return esp_fail(sa, ESP_DROP_SEQ_LIMIT, why, -EAGAIN);
	if (esp_payload(sa, in, inlen, &pl, &plen, &nh))
		return esp_fail(sa, ESP_DROP_PROTO, why, -EINVAL);
	/* RFC 4303 2.4: the trailer must end on the cipher's alignment */
	padlen = (a->align - (plen + 2) % a->align) % a->align;
	ct_len = plen + padlen + 2;
	total = ESP_HDR_LEN + a->iv_len + ct_len + a->icv_len;
	if (total > cap)
		return esp_fail(sa, ESP_DROP_NOSPACE, why, -ENOSPC);

	/* Consume the number before sealing: a number is never reused,
	 * not even after a crypto failure. */
	sa->sa_seq_out++;
	w = wr_init(out, cap);
	wr_u32(&w, sa->sa_spi_out);
	wr_u32(&w, (uint32_t)sa->sa_seq_out);	/* low half only (2.2.1) */
	wr_reserve(&w, a->iv_len);
	/* in may already sit in out, where the payload goes (the datapath
	 * reads the TUN there): then nothing moves */
	if (wr_ok(&w) && out + w.len != pl && plen)
		memmove(out + w.len, pl, plen);
	wr_reserve(&w, plen);
	for (size_t i = 1; i <= padlen; i++)	/* 2.4: 1, 2, 3, ... */
		wr_u8(&w, (uint8_t)i);
	wr_u8(&w, (uint8_t)padlen);
	wr_u8(&w, nh);
	wr_reserve(&w, a->icv_len);
	if (!wr_ok(&w) || esp_crypto_seal(sa->sa_out, out, ct_len,
					  sa->sa_seq_out, sa->sa_esn))
		return esp_fail(sa, ESP_DROP_CRYPTO, why, -EIO);
	*outlen = total;
	esp_sa_account(sa, true, plen);
	return 0;
}

/* Transport mode: the IP header the sender stripped, rebuilt from the
 * SA's outer addresses (peer -> us).  hdr gets 20 or 40 bytes. */
static size_t esp_ip_hdr(const struct esp_sa *sa, uint8_t nh, size_t plen,
			 uint8_t hdr[40])
{
	struct wr w = wr_init(hdr, 40);

	if (sa->sa_remote.ss_family == AF_INET) {
		const struct sockaddr_in *r = (const void *)&sa->sa_remote;
		const struct sockaddr_in *l = (const void *)&sa->sa_local;

		wr_u8(&w, 0x45);
		wr_u8(&w, 0);
		wr_u16(&w, (uint16_t)(plen + 20));
		wr_u32(&w, 0);			/* id, no fragment */
		wr_u8(&w, 64);
		wr_u8(&w, nh);
		wr_u16(&w, 0);
		wr_bytes(&w, &r->sin_addr, 4);
		wr_bytes(&w, &l->sin_addr, 4);
		wr_patch_u16(&w, 10, (uint16_t)~esp_csum_add(hdr, 20, 0));
	} else {
		const struct sockaddr_in6 *r = (const void *)&sa->sa_remote;
		const struct sockaddr_in6 *l = (const void *)&sa->sa_local;

		wr_u32(&w, 0x60000000u);
		wr_u16(&w, (uint16_t)plen);
		wr_u8(&w, nh);
		wr_u8(&w, 64);
		wr_bytes(&w, &r->sin6_addr, 16);
		wr_bytes(&w, &l->sin6_addr, 16);
	}
	return w.len;
}

/* Padding and next header (RFC 4303 2.4-2.6, 3.4.4.1 last step).
 * On success *plen is the payload length. */
static enum esp_drop esp_trailer(const uint8_t *pt, size_t ct_len,
				 size_t *plen, uint8_t *nh)
{
	size_t padlen;

	if (ct_len < 2)
		return ESP_DROP_SHORT;
	padlen = pt[ct_len - 2];
	*nh = pt[ct_len - 1];
	if (padlen + 2 > ct_len)
		return ESP_DROP_PAD;
	*plen = ct_len - 2 - padlen;
	for (size_t i = 0; i < padlen; i++) {
		if (pt[*plen + i] != (uint8_t)(i + 1))
			return ESP_DROP_PAD;
	}
	return *nh == ESP_NH_NONE ? ESP_DROP_DUMMY : ESP_DROP_NONE;
}

/* Turn the decrypted payload at out + room into the inner IP packet at
 * out and check it against the selectors. */
static enum esp_drop esp_inner(const struct esp_sa *sa, uint8_t *out,
			       size_t room, size_t plen, uint8_t nh,
			       size_t *outlen)
{
	struct esp_flow fl;
	size_t hl = 0;

	if (sa->sa_mode == ESP_MODE_TRANSPORT) {
		uint8_t hdr[40];

		if (plen > 0xffff - 40)
			return ESP_DROP_PROTO;
		hl = esp_ip_hdr(sa, nh, plen, hdr);
		memcpy(out + room - hl, hdr, hl);
	} else if (nh != ESP_NH_IPV4 && nh != ESP_NH_IPV6) {
		return ESP_DROP_PROTO;
	}
	if (room != hl)
		memmove(out, out + room - hl, hl + plen);
	if (esp_flow_parse(out, hl + plen, &fl) ||
	    (sa->sa_mode == ESP_MODE_TUNNEL &&
	     (fl.fl_family == AF_INET) != (nh == ESP_NH_IPV4)))
		return ESP_DROP_PROTO;
	if (!esp_flow_allowed(&fl, sa->sa_local_ts, sa->sa_nlocal_ts,
			      sa->sa_remote_ts, sa->sa_nremote_ts))
		return ESP_DROP_TS;
	*outlen = fl.fl_len;	/* drops TFC padding (2.7) */
	return ESP_DROP_NONE;
}

static enum esp_drop esp_replay_drop(int rc)
{
	return rc == -EALREADY ? ESP_DROP_REPLAY :
	       rc == -ESTALE ? ESP_DROP_STALE : ESP_DROP_SEQ;
}

int esp_decap(struct esp_sa *sa, const uint8_t *pkt, size_t len,
	      uint8_t *out, size_t cap, size_t *outlen, enum esp_drop *why)
{
	const struct esp_alg *a = esp_crypto_alg(sa->sa_in);
	size_t room = sa->sa_mode == ESP_MODE_TRANSPORT ? 40 : 0;
	struct rd r = rd_init(pkt, len);
	uint32_t spi, seq_lo;
	size_t ct_len, plen;
	uint64_t seq;
	enum esp_drop d;
	uint8_t nh;
	int rc;

	*why = ESP_DROP_NONE;
	if (!rd_u32(&r, &spi) || !rd_u32(&r, &seq_lo) ||
	    rd_left(&r) < (size_t)a->iv_len + a->icv_len + a->align)
		return esp_fail(sa, ESP_DROP_SHORT, why, -EINVAL);
	ct_len = rd_left(&r) - a->iv_len - a->icv_len;
	if (ct_len % a->align)
		return esp_fail(sa, ESP_DROP_SHORT, why, -EINVAL);
	if (spi != sa->sa_spi_in)
		return esp_fail(sa, ESP_DROP_SPI, why, -ENOENT);
	if (sa->sa_expired)
		return esp_fail(sa, ESP_DROP_EXPIRED, why, -EKEYEXPIRED);
	rc = esp_replay_check(&sa->sa_replay, seq_lo, &seq);
	if (rc)
		return esp_fail(sa, esp_replay_drop(rc), why, rc);
	if (cap < room + ct_len)
		return esp_fail(sa, ESP_DROP_NOSPACE, why, -ENOSPC);
	rc = esp_crypto_open(sa->sa_in, pkt, ct_len, seq, sa->sa_esn,
			     out + room);
	if (rc)
		return esp_fail(sa, rc == -EBADMSG ? ESP_DROP_ICV :
				ESP_DROP_CRYPTO, why, rc);
	/* authenticated: only now may the window move (3.4.3) */
	esp_replay_update(&sa->sa_replay, seq);
	d = esp_trailer(out + room, ct_len, &plen, &nh);
	if (d == ESP_DROP_NONE)
		d = esp_inner(sa, out, room, plen, nh, outlen);
	if (d != ESP_DROP_NONE)
		return esp_fail(sa, d, why, -EINVAL);
	esp_sa_account(sa, false, *outlen);
	return 0;
}
