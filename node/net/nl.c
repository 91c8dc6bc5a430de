/* rtnetlink requests with ACKs and sequence matching; see nl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "net/nl.h"
#include "net/nl_internal.h"

int nl_open(struct nl **out)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int rc;

	*out = NULL;
	if (!nl)
		return -ENOMEM;
	nl->nl_sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->nl_sock) {
		rc = -errno;
		free(nl);
		return rc;
	}
	if (mnl_socket_bind(nl->nl_sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		nl_close(nl);
		return rc;
	}
	nl->nl_portid = mnl_socket_get_portid(nl->nl_sock);
	nl->nl_seq = (uint32_t)time(NULL);
	*out = nl;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->nl_sock)
		mnl_socket_close(nl->nl_sock);
	free(nl);
}

struct nlmsghdr *nl_msg_start(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->nl_buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->nl_seq;
	return nlh;
}

/* Send nlh and read replies until the ACK (or error) for its sequence
 * number; cb sees data messages of a dump.  mnl_cb_run rejects replies
 * with another sequence number or port id. */
int nl_msg_run(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(nl->nl_sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->nl_sock, nl->nl_buf, sizeof(nl->nl_buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(nl->nl_buf, (size_t)n, seq, nl->nl_portid, cb, arg);
		if (rc < 0)
			return errno ? -errno : -EPROTO;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

int nl_ifindex(const char *ifname, uint32_t *idx)
{
	unsigned i = if_nametoindex(ifname);

	if (i == 0)
		return -ENODEV;
	*idx = i;
	return 0;
}

static int nl_link_set(struct nl *nl, const char *ifname, bool up,
		       uint32_t mtu)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi;
	uint32_t idx;
	int rc = nl_ifindex(ifname, &idx);

	if (rc)
		return rc;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_msg_run(nl, nlh, NULL, NULL);
}

int nl_link_up(struct nl *nl, const char *ifname, uint32_t mtu)
{
	return nl_link_set(nl, ifname, true, mtu);
}

int nl_link_down(struct nl *nl, const char *ifname)
{
	return nl_link_set(nl, ifname, false, 0);
}
