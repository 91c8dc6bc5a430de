/* Addresses: RTM_NEWADDR / RTM_DELADDR / dump; see nl.h. */
#include <errno.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "net/nl.h"
#include "net/nl_internal.h"

static int nl_addr_req(struct nl *nl, uint16_t type, uint16_t flags,
		       const char *ifname, int family, const void *addr,
		       uint8_t plen)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int alen = nl_alen(family);
	uint32_t idx;
	int rc;

	if (alen < 0 || plen > alen * 8)
		return -EINVAL;
	rc = nl_ifindex(ifname, &idx);
	if (rc)
		return rc;
	nlh = nl_msg_start(nl, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = idx;
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, (size_t)alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)alen, addr);
	return nl_msg_run(nl, nlh, NULL, NULL);
}

int nl_addr_add(struct nl *nl, const char *ifname, int family,
		const void *addr, uint8_t plen)
{
	return nl_addr_req(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
			   ifname, family, addr, plen);
}

int nl_addr_del(struct nl *nl, const char *ifname, int family,
		const void *addr, uint8_t plen)
{
	return nl_addr_req(nl, RTM_DELADDR, 0, ifname, family, addr, plen);
}

struct nl_addr_find {
	uint32_t idx;
	int family, alen;
	const void *addr;
	uint8_t plen;
	bool found;
};

static int nl_addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;	/* newer kernel's attribute: skip */
	if ((type == IFA_LOCAL || type == IFA_ADDRESS) &&
	    mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int nl_addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_addr_find *f = arg;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct nlattr *a;

	if (mnl_attr_parse(nlh, sizeof(*ifa), nl_addr_attr, tb) < 0)
		return MNL_CB_ERROR;
	if (ifa->ifa_index != f->idx || ifa->ifa_family != f->family ||
	    ifa->ifa_prefixlen != f->plen)
		return MNL_CB_OK;
	/* IFA_LOCAL is the address itself where it differs (p2p links) */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && mnl_attr_get_payload_len(a) == (uint16_t)f->alen &&
	    memcmp(mnl_attr_get_payload(a), f->addr, (size_t)f->alen) == 0)
		f->found = true;
	return MNL_CB_OK;
}

int nl_addr_has(struct nl *nl, const char *ifname, int family,
		const void *addr, uint8_t plen)
{
	struct nl_addr_find f = { .family = family, .addr = addr, .plen = plen };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int rc;

	f.alen = nl_alen(family);
	if (f.alen < 0)
		return -EINVAL;
	rc = nl_ifindex(ifname, &f.idx);
	if (rc)
		return rc;
	nlh = nl_msg_start(nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	rc = nl_msg_run(nl, nlh, nl_addr_cb, &f);
	return rc ? rc : f.found;
}
