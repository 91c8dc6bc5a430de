/*
 * rtnetlink through libmnl: links, addresses (virtual IPs), routes; and
 * the announcements a new active sends after taking a virtual IP over
 * (gratuitous ARP, unsolicited neighbour advertisement).
 *
 * Every request asks for an ACK, carries its own sequence number, and
 * the reply is matched on sequence number and port id (mnl_cb_run), so a
 * kernel error comes back as -errno from the call that caused it.
 *
 * struct nl is the seam tests replace (STYLE.md habit 9): one per
 * daemon, owned by the caller; not thread-safe.
 */
#ifndef HIKE_NET_NL_H
#define HIKE_NET_NL_H

#include <stdbool.h>
#include <stdint.h>

struct nl;

/* 0 or -errno. */
int nl_open(struct nl **out);
void nl_close(struct nl *nl);	/* NULL is a no-op */

/* Set a link up, and its MTU when mtu != 0.  -ENODEV if no such link. */
int nl_link_up(struct nl *nl, const char *ifname, uint32_t mtu);
int nl_link_down(struct nl *nl, const char *ifname);

/* Add / delete an address (RTM_NEWADDR / RTM_DELADDR).  addr is 4 or 16
 * bytes in network order.  IPv6 addresses are added with IFA_F_NODAD: a
 * taken-over virtual IP must answer at once, and the cluster (not DAD)
 * guarantees it is unique.  Adding one that exists is -EEXIST; deleting
 * one that does not is -EADDRNOTAVAIL. */
int nl_addr_add(struct nl *nl, const char *ifname, int family,
		const void *addr, uint8_t plen);
int nl_addr_del(struct nl *nl, const char *ifname, int family,
		const void *addr, uint8_t plen);

/* Is addr/plen configured on ifname?  1, 0, or -errno (a dump). */
int nl_addr_has(struct nl *nl, const char *ifname, int family,
		const void *addr, uint8_t plen);

/* A route to dst/plen through dev in table (RT_TABLE_MAIN = 254 when 0),
 * with an optional preferred source (src NULL = none): how the remote
 * TS and pool addresses reach the TUN.  -EEXIST / -ESRCH as the kernel
 * says. */
int nl_route_add(struct nl *nl, int family, const void *dst, uint8_t plen,
		 const char *dev, uint32_t table, const void *src);
int nl_route_del(struct nl *nl, int family, const void *dst, uint8_t plen,
		 const char *dev, uint32_t table);

/* Gratuitous ARP (RFC 5227 3: ARP Announcement) for addr4 on ifname,
 * from the interface's own MAC.  0 or -errno. */
int nl_garp_send(const char *ifname, const void *addr4);

/* Unsolicited Neighbor Advertisement (RFC 4861 7.2.6) to all-nodes,
 * Override flag set, for addr6 on ifname (which must carry it). */
int nl_una_send(const char *ifname, const void *addr6);

#endif
