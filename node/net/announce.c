/*
 * Announcing a virtual IP after a takeover, so that the neighbours (the
 * router in front of the cluster) send to the new active's MAC at once
 * instead of waiting for their cache entries to expire.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "hike/cursor.h"
#include "net/nl.h"
#include "net/nl_internal.h"

static int nl_hwaddr(int fd, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* RFC 5227 3 (ARP Announcement): a request whose sender and target IP
 * are both the announced address, target MAC zero, sent to broadcast. */
static size_t nl_garp_build(uint8_t *buf, size_t cap, const uint8_t mac[6],
			    const void *addr4)
{
	static const uint8_t zero[6];
	struct wr w = wr_init(buf, cap);

	wr_u16(&w, ARPHRD_ETHER);
	wr_u16(&w, ETH_P_IP);
	wr_u8(&w, 6);
	wr_u8(&w, 4);
	wr_u16(&w, ARPOP_REQUEST);
	wr_bytes(&w, mac, 6);
	wr_bytes(&w, addr4, 4);
	wr_bytes(&w, zero, 6);
	wr_bytes(&w, addr4, 4);
	return wr_ok(&w) ? w.len : 0;
}

/*
 * One AF_PACKET socket for the life of the process.  Closing a packet
 * socket costs a synchronize_net() in the kernel (packet_release): 8-16
 * ms here per close, i.e. per announced address, and the whole takeover
 * waited for it.  Protocol 0: the socket is never bound to a protocol,
 * so it receives nothing; only sendto() with an ifindex is used.
 * Single-threaded (the loop thread), like every caller of this file.
 */
static int garp_fd = -1;

static int garp_socket(void)
{
	if (garp_fd < 0)
		garp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return garp_fd < 0 ? -errno : garp_fd;
}

int nl_garp_send(const char *ifname, const void *addr4)
{
	struct sockaddr_ll sll;
	uint8_t mac[6], pkt[28];
	size_t len;
	uint32_t idx;
	int fd, rc;

	rc = nl_ifindex(ifname, &idx);
	if (rc)
		return rc;
	fd = garp_socket();
	if (fd < 0)
		return fd;
	rc = nl_hwaddr(fd, ifname, mac);
	len = nl_garp_build(pkt, sizeof(pkt), mac, addr4);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = (int)idx;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (rc == 0 && sendto(fd, pkt, len, 0, (struct sockaddr *)&sll,
			      sizeof(sll)) < 0)
		rc = -errno;
	return rc;
}

/* RFC 4861 4.4: NA with Override set (a router would set R too; a VPN
 * gateway's outside address is a host address), target = addr6, and
 * the Target Link-Layer Address option. */
static size_t nl_una_build(uint8_t *buf, size_t cap, const uint8_t mac[6],
			   const void *addr6)
{
	struct wr w = wr_init(buf, cap);

	wr_u8(&w, ND_NEIGHBOR_ADVERT);
	wr_u8(&w, 0);
	wr_u16(&w, 0);			/* checksum: the kernel fills it */
	wr_u32(&w, 0x20000000u);	/* O flag */
	wr_bytes(&w, addr6, 16);
	wr_u8(&w, ND_OPT_TARGET_LINKADDR);
	wr_u8(&w, 1);			/* 8 octets */
	wr_bytes(&w, mac, 6);
	return wr_ok(&w) ? w.len : 0;
}

static int nl_una_socket(const char *ifname, uint32_t idx, const void *addr6)
{
	struct sockaddr_in6 src;
	int hops = 255;			/* RFC 4861 7.1.2: must be 255 */
	int ifindex = (int)idx;
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);

	if (fd < 0)
		return -errno;
	memset(&src, 0, sizeof(src));
	src.sin6_family = AF_INET6;
	memcpy(&src.sin6_addr, addr6, 16);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int nl_una_send(const char *ifname, const void *addr6)
{
	struct sockaddr_in6 dst;
	uint8_t mac[6], pkt[32];
	size_t len;
	uint32_t idx;
	int fd, rc;

	rc = nl_ifindex(ifname, &idx);
	if (rc)
		return rc;
	fd = nl_una_socket(ifname, idx, addr6);
	if (fd < 0)
		return fd;
	rc = nl_hwaddr(fd, ifname, mac);
	len = nl_una_build(pkt, sizeof(pkt), mac, addr6);
	memset(&dst, 0, sizeof(dst));
	dst.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	dst.sin6_scope_id = idx;
	if (rc == 0 && sendto(fd, pkt, len, 0, (struct sockaddr *)&dst,
			      sizeof(dst)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
