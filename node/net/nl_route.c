/* Routes: RTM_NEWROUTE / RTM_DELROUTE; see nl.h. */
#include <errno.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "net/nl.h"
#include "net/nl_internal.h"

static int nl_route_req(struct nl *nl, uint16_t type, uint16_t flags,
			int family, const void *dst, uint8_t plen,
			const char *dev, uint32_t table, const void *src)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int alen = nl_alen(family);
	uint32_t idx;
	int rc;

	if (alen < 0 || plen > alen * 8)
		return -EINVAL;
	rc = nl_ifindex(dev, &idx);
	if (rc)
		return rc;
	if (table == 0)
		table = RT_TABLE_MAIN;
	nlh = nl_msg_start(nl, type, flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = plen;
	/* tables above 255 only fit in RTA_TABLE */
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;	/* on-link through the TUN */
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, (size_t)alen, dst);
	mnl_attr_put_u32(nlh, RTA_OIF, idx);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (src)
		mnl_attr_put(nlh, RTA_PREFSRC, (size_t)alen, src);
	return nl_msg_run(nl, nlh, NULL, NULL);
}

int nl_route_add(struct nl *nl, int family, const void *dst, uint8_t plen,
		 const char *dev, uint32_t table, const void *src)
{
	return nl_route_req(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
			    family, dst, plen, dev, table, src);
}

int nl_route_del(struct nl *nl, int family, const void *dst, uint8_t plen,
		 const char *dev, uint32_t table)
{
	return nl_route_req(nl, RTM_DELROUTE, 0, family, dst, plen, dev,
			    table, NULL);
}
