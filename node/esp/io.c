/* TUN and socket set-up, pktinfo control messages; see io.h. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "esp/io.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20	/* Linux 6.2 */
#define TUN_F_USO6	0x40
#endif

/* IFF_VNET_HDR: every read and write carries a virtio_net_hdr; with
 * checksum and TSO (and, where the kernel has it, USO) offloads a read
 * may return a TCP or UDP super-packet of up to 64 KB.  false when the
 * kernel refuses the header size. */
static bool esp_tun_offload(int fd)
{
	int hsz = (int)sizeof(struct virtio_net_hdr);
	unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0)
		return false;
	if (ioctl(fd, TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6) < 0 &&
	    ioctl(fd, TUNSETOFFLOAD, tso) < 0)
		ioctl(fd, TUNSETOFFLOAD, 0);	/* headers, no super-packets */
	return true;
}

int esp_tun_open(const char *name, char actual[16], bool *vnet)
{
	struct ifreq ifr;
	int fd, rc;

	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	/* IFF_NO_PI: bare IP packets, the version nibble tells the family */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (*vnet ? IFF_VNET_HDR : 0);
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (*vnet && !esp_tun_offload(fd)) {
		close(fd);	/* the flag is set for good: start over */
		*vnet = false;
		return esp_tun_open(name, actual, vnet);
	}
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	return fd;
}

static int esp_sock_fail(int fd)
{
	int rc = -errno;

	close(fd);
	return rc;
}

void esp_ss_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* A non-blocking UDP socket of family with a large receive queue and
 * SO_REUSEADDR (and pktinfo: the local address of each datagram), bound
 * to ss (whose port is set to port).  fd or -errno. */
static int esp_udp_bound(int family, struct sockaddr_storage *ss, uint16_t port,
			 bool gro, bool pktinfo)
{
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);
	int one = 1, rcvbuf = 4 << 20;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	esp_ss_set_port(ss, port);
	if (family == AF_INET) {
		if (pktinfo &&
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
			return esp_sock_fail(fd);
	} else {
		/* one socket per family, so the v4 one can bind too */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    (pktinfo && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO,
					   &one, sizeof(one))))
			return esp_sock_fail(fd);
	}
	/* a burst of IKE_SA_INITs (or of ESP) must not overflow the
	 * default ~200 KB queue while DH runs; FORCE needs CAP_NET_ADMIN,
	 * which hiked has -- else take what the sysctl allows */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (gro)	/* Linux 5.0; without it reads stay one datagram */
		setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)ss, sl))
		return esp_sock_fail(fd);
	return fd;
}

int esp_udp_open(int family, uint16_t port, uint16_t *bound, bool gro)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t sl = sizeof(ss);
	/* the wildcard: a virtual IP can arrive after we bound, and pktinfo
	 * tells which address the peer used */
	int fd = esp_udp_bound(family, &ss, port, gro, true);

	if (fd < 0)
		return fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return esp_sock_fail(fd);
	*bound = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
				((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

int esp_udp_connect(const struct sockaddr_storage *local, uint16_t port,
		    const struct sockaddr_storage *remote, bool gro)
{
	int family = local->ss_family, fd;
	struct sockaddr_storage ss = *local;
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6);

	if (family != remote->ss_family ||
	    (family != AF_INET && family != AF_INET6))
		return -EAFNOSUPPORT;
	/* the peer's datagrams now arrive here (the best-matching socket);
	 * both ends are known: no PKTINFO per datagram (the datapath takes
	 * the addresses from the connection) */
	fd = esp_udp_bound(family, &ss, port, gro, false);
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)remote, sl))
		return esp_sock_fail(fd);
	return fd;
}

int esp_raw_open(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_ESP);
	int one = 1;

	if (fd < 0)
		return -errno;
	if (family == AF_INET ?
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
		return esp_sock_fail(fd);
	return fd;
}

int esp_cmsg_local(struct msghdr *m, int family, uint16_t port,
		   struct sockaddr_storage *local)
{
	memset(local, 0, sizeof(*local));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (family == AF_INET && c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct sockaddr_in *sin = (struct sockaddr_in *)local;
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
			sin->sin_addr = pi.ipi_addr;	/* header destination */
			return 0;
		}
		if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)local;
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(port);
			sin6->sin6_addr = pi.ipi6_addr;
			return 0;
		}
	}
	return -ENOENT;
}

size_t esp_cmsg_gro(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	}
	return 0;
}

void esp_cmsg_src(struct msghdr *m, const struct sockaddr_storage *local,
		  uint8_t *cbuf)
{
	struct cmsghdr *c;

	m->msg_control = NULL;
	m->msg_controllen = 0;
	if (!local || local->ss_family == AF_UNSPEC)
		return;
	memset(cbuf, 0, ESP_CMSG_SPACE);
	m->msg_control = cbuf;
	if (local->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)local;
		struct in_pktinfo pi = { .ipi_spec_dst = sin->sin_addr };

		if (sin->sin_addr.s_addr == INADDR_ANY)
			goto none;
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return;
	}
	const struct sockaddr_in6 *sin6 = (const void *)local;
	struct in6_pktinfo pi6 = { .ipi6_addr = sin6->sin6_addr };

	if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
		goto none;
	m->msg_controllen = CMSG_SPACE(sizeof(pi6));
	c = CMSG_FIRSTHDR(m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi6));
	memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
	return;
none:
	m->msg_control = NULL;
	m->msg_controllen = 0;
}
