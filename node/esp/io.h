/* Descriptors of the datapath: TUN and sockets (internal to node/esp/). */
#ifndef HIKE_ESP_IO_H
#define HIKE_ESP_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Open /dev/net/tun as name (IFF_TUN | IFF_NO_PI), non-blocking; the
 * kernel's name for it goes to actual.  With *vnet also IFF_VNET_HDR and
 * the TSO/USO offloads; *vnet is cleared when the kernel refuses them.
 * fd or -errno. */
int esp_tun_open(const char *name, char actual[16], bool *vnet);

/* A non-blocking UDP socket on the wildcard address of family, port
 * (0 = ephemeral; *bound gets the port), receiving the local address of
 * each datagram (IP_PKTINFO / IPV6_RECVPKTINFO).  fd or -errno. */
int esp_udp_open(int family, uint16_t port, uint16_t *bound, bool gro);
/* Sets the port of an AF_INET/AF_INET6 address (host order in). */
void esp_ss_set_port(struct sockaddr_storage *ss, uint16_t port);

/* A non-blocking UDP socket bound to local's address and port (next to
 * the wildcard socket of esp_udp_open: both have SO_REUSEADDR) and
 * connected to remote, so that sends need no route lookup per packet.
 * The peer's datagrams to local then arrive on it (pktinfo on).  fd or
 * -errno. */
int esp_udp_connect(const struct sockaddr_storage *local, uint16_t port,
		    const struct sockaddr_storage *remote, bool gro);
/* gro (both): UDP_GRO on, so that a read may return a run of datagrams
 * of one flow coalesced by the kernel (esp_cmsg_gro() gives their size);
 * silently off where the kernel lacks it. */

/* A raw IPPROTO_ESP socket (IPv4 delivers the IP header too). */
int esp_raw_open(int family);

/* The local address and port of a received datagram, from its pktinfo
 * control message; 0 or -ENOENT. */
int esp_cmsg_local(struct msghdr *m, int family, uint16_t port,
		   struct sockaddr_storage *local);

/* The UDP_GRO segment size of a received datagram, or 0 (one datagram). */
size_t esp_cmsg_gro(struct msghdr *m);

/* Add a pktinfo control message asking the kernel to send from local's
 * address (skipped for the wildcard).  cbuf must hold ESP_CMSG_SPACE. */
#define ESP_CMSG_SPACE 96	/* pktinfo + UDP_GRO */
void esp_cmsg_src(struct msghdr *m, const struct sockaddr_storage *local,
		  uint8_t *cbuf);

#endif
