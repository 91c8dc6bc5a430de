/* Shared by the files of node/net/ only. */
#ifndef HIKE_NET_NL_INTERNAL_H
#define HIKE_NET_NL_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

struct nl {
	struct mnl_socket *nl_sock;
	uint32_t nl_portid, nl_seq;
	/* requests and replies: the kernel sends dump parts of up to 32k */
	char nl_buf[32768];
};

struct nlmsghdr *nl_msg_start(struct nl *nl, uint16_t type, uint16_t flags);
int nl_msg_run(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg);
int nl_ifindex(const char *ifname, uint32_t *idx);

static inline int nl_alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

#endif
