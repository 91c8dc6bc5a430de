/* Inner packet selectors; see flow.h. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hike/cursor.h"
#include "esp/flow.h"

static void fl_ports(struct rd *r, struct esp_flow *fl)
{
	uint8_t type, code;
	uint16_t sp, dp;

	switch (fl->fl_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_UDPLITE:
		if (rd_u16(r, &sp) && rd_u16(r, &dp)) {
			fl->fl_sport = sp;
			fl->fl_dport = dp;
			fl->fl_ports = true;
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* RFC 7296 3.13.1: type in the high octet, code in the low */
		if (rd_u8(r, &type) && rd_u8(r, &code)) {
			fl->fl_sport = fl->fl_dport = (uint16_t)(type << 8 | code);
			fl->fl_ports = true;
		}
		break;
	default:
		break;
	}
}

static int fl_parse4(struct rd r, struct esp_flow *fl)
{
	uint8_t vihl, tos, ttl, proto;
	uint16_t tot, id, frag, csum;
	struct rd body;

	if (!rd_u8(&r, &vihl) || !rd_u8(&r, &tos) || !rd_u16(&r, &tot) ||
	    !rd_u16(&r, &id) || !rd_u16(&r, &frag) || !rd_u8(&r, &ttl) ||
	    !rd_u8(&r, &proto) || !rd_u16(&r, &csum) ||
	    !rd_bytes(&r, fl->fl_src, 4) || !rd_bytes(&r, fl->fl_dst, 4))
		return -EINVAL;
	fl->fl_hlen = (uint8_t)((vihl & 0x0f) * 4);
	if (fl->fl_hlen < 20 || tot < fl->fl_hlen || tot > r.n + 20)
		return -EINVAL;
	if (!rd_skip(&r, fl->fl_hlen - 20u) ||
	    !rd_sub(&r, &body, tot - fl->fl_hlen))
		return -EINVAL;
	fl->fl_family = AF_INET;
	fl->fl_proto = proto;
	fl->fl_len = tot;
	if ((frag & 0x1fff) == 0)
		fl_ports(&body, fl);
	return 0;
}

static bool fl_is_ext6(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51;
}

static int fl_parse6(struct rd r, struct esp_flow *fl)
{
	uint32_t vtf;
	uint16_t plen, frag;
	uint8_t nh, hop, elen;
	struct rd body, ext;

	if (!rd_u32(&r, &vtf) || !rd_u16(&r, &plen) || !rd_u8(&r, &nh) ||
	    !rd_u8(&r, &hop) || !rd_bytes(&r, fl->fl_src, 16) ||
	    !rd_bytes(&r, fl->fl_dst, 16) || !rd_sub(&r, &body, plen))
		return -EINVAL;
	fl->fl_family = AF_INET6;
	fl->fl_len = (uint16_t)(plen + 40);	/* jumbograms are not carried */
	fl->fl_hlen = 40;
	/* Bounded walk over extension headers (RFC 8200 4). */
	for (int i = 0; i < 8 && fl_is_ext6(nh); i++) {
		uint8_t next;

		if (!rd_u8(&body, &next) || !rd_u8(&body, &elen))
			return -EINVAL;
		if (nh == 44) {		/* fragment header: 8 bytes */
			if (!rd_u16(&body, &frag) || !rd_skip(&body, 4))
				return -EINVAL;
			if (frag & 0xfff8) {	/* not the first fragment */
				fl->fl_proto = next;
				return 0;
			}
		} else {
			size_t len = nh == 51 ? (elen + 2u) * 4 : (elen + 1u) * 8;

			if (!rd_sub(&body, &ext, len - 2))
				return -EINVAL;
		}
		nh = next;
	}
	if (fl_is_ext6(nh))
		return -EINVAL;
	fl->fl_proto = nh;
	fl_ports(&body, fl);
	return 0;
}

int esp_flow_parse(const uint8_t *pkt, size_t len, struct esp_flow *fl)
{
	memset(fl, 0, sizeof(*fl));
	if (len < 1)
		return -EINVAL;
	switch (pkt[0] >> 4) {
	case 4:
		return fl_parse4(rd_init(pkt, len), fl);
	case 6:
		return fl_parse6(rd_init(pkt, len), fl);
	default:
		return -EINVAL;
	}
}

bool esp_ts_match(const struct esp_ts *ts, const struct esp_flow *fl,
		  bool src_side)
{
	size_t alen = fl->fl_family == AF_INET ? 4 : 16;
	const uint8_t *a = src_side ? fl->fl_src : fl->fl_dst;
	uint16_t port = src_side ? fl->fl_sport : fl->fl_dport;

	if (ts->ts_family != fl->fl_family)
		return false;
	if (ts->ts_proto && ts->ts_proto != fl->fl_proto)
		return false;
	/* network byte order: memcmp orders addresses numerically */
	if (memcmp(a, ts->ts_start, alen) < 0 || memcmp(a, ts->ts_end, alen) > 0)
		return false;
	if (ts->ts_port_lo == 0 && ts->ts_port_hi == 0xffff)
		return true;
	if (!fl->fl_ports)
		return false;
	return port >= ts->ts_port_lo && port <= ts->ts_port_hi;
}

bool esp_flow_allowed(const struct esp_flow *fl,
		      const struct esp_ts *local, size_t nlocal,
		      const struct esp_ts *remote, size_t nremote)
{
	bool src_ok = false, dst_ok = false;

	for (size_t i = 0; i < nremote && !src_ok; i++)
		src_ok = esp_ts_match(&remote[i], fl, true);
	for (size_t i = 0; i < nlocal && !dst_ok; i++)
		dst_ok = esp_ts_match(&local[i], fl, false);
	return src_ok && dst_ok;
}
