/*
 * The userspace ESP datapath: a TUN device carries plaintext, ESP goes
 * over UDP 4500 (RFC 3948) or a raw IPPROTO_ESP socket, IKE over UDP 500
 * and 4500.  struct esp_dp owns the sockets, the TUN and every installed
 * esp_sa, and registers its descriptors on the event loop.
 *
 *   TUN --> esp_flow_parse --> esp_spd_out --> esp_encap --> UDP 4500 / raw
 *   UDP 4500 --> marker demux (IKE | keepalive | ESP) --> esp_spd_by_spi
 *       --> esp_decap --> TUN
 *
 * Single-threaded, on the loop thread.
 */
#ifndef HIKE_ESP_DP_H
#define HIKE_ESP_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "esp/esp.h"

struct loop;
struct counters;

typedef void (*esp_ike_rx_fn)(void *arg, const struct sockaddr_storage *local,
			      const struct sockaddr_storage *remote,
			      const uint8_t *buf, size_t len);

struct esp_dp_conf {
	char tun_name[16];	/* "" = "hike0" */
	uint32_t tun_mtu;	/* 0 = 1400; set by the caller via nl_link_up */
	int tun_fd;		/* >= 0: use this fd instead of opening a TUN
				   (tests: one end of a SOCK_DGRAM socketpair) */
	bool tun_vnet;		/* that fd carries a virtio_net_hdr in front
				   of every packet (IFF_VNET_HDR) */
	bool offload;		/* TUN offloads (IFF_VNET_HDR, TSO/USO
				   super-packets split here, TCP segments
				   coalesced on the way out), UDP GSO sends
				   and UDP GRO receives for ESP-in-UDP */
	uint16_t ike_port;	/* 0 = none; 500 normally */
	uint16_t natt_port;	/* 4500; tests may ask for an ephemeral one
				   with ESP_DP_EPHEMERAL */
	bool ipv6;		/* also open IPv6 sockets */
	bool raw_esp;		/* also a raw IPPROTO_ESP socket (IPv4) */
	uint32_t coalesce_us;	/* esp_dp_pace(): pause under bulk load */
	esp_ike_rx_fn ike_rx;	/* IKE datagrams, non-ESP marker removed */
	void *ike_arg;
	struct counters *counters;	/* may be NULL */
};

#define ESP_DP_EPHEMERAL 0xffff	/* bind port 0 and report it */

/* Datapath totals (per-SA figures live in esp_sa.sa_st). */
struct esp_dp_stats {
	uint64_t tun_rx, tun_tx, esp_rx, esp_tx, ike_rx, ike_tx;
	uint64_t keepalives;		/* RFC 3948 2.3 NAT-keepalives */
	uint64_t truncated;		/* datagrams larger than our buffers */
	uint64_t tun_errors, send_errors;
	uint64_t tun_gso;		/* super-packets read from the TUN */
	uint64_t gro_writes;		/* coalesced TUN writes */
	uint64_t udp_gso;		/* UDP_SEGMENT sends (>= 2 packets) */
	uint64_t gso_fallbacks;		/* ... refused, sent one by one */
	uint64_t udp_gro;		/* coalesced UDP reads split here */
	uint64_t paced;			/* esp_dp_pace() pauses asked for */
	uint64_t drops[ESP_DROP_MAX];	/* every SA's and the datapath's */
};

struct esp_dp;

/* Opens the TUN (unless conf->tun_fd >= 0) and the sockets, and, when
 * loop is not NULL, registers them on it.  0 or -errno. */
int esp_dp_new(struct loop *loop, const struct esp_dp_conf *conf,
	       struct esp_dp **out);
/* Unregisters, closes, frees every SA (keys wiped).  NULL is a no-op. */
void esp_dp_free(struct esp_dp *dp);

/* Install a Child SA.  *out (may be NULL) stays owned by the datapath
 * and valid until esp_dp_sa_del().  0, -EEXIST (SPI), or esp_sa_new()'s
 * errors. */
int esp_dp_sa_add(struct esp_dp *dp, const struct esp_sa_params *p,
		  struct esp_sa **out);
/* Remove and free the SA with this inbound SPI.  0 or -ENOENT. */
int esp_dp_sa_del(struct esp_dp *dp, uint32_t spi_in);
struct esp_sa *esp_dp_sa_find(const struct esp_dp *dp, uint32_t spi_in);
size_t esp_dp_sa_count(const struct esp_dp *dp);
void esp_dp_sa_foreach(const struct esp_dp *dp,
		       void (*cb)(void *arg, struct esp_sa *sa), void *arg);

/*
 * Send one IKE message from local to remote.  From port 4500 the
 * non-ESP marker (four zero bytes, RFC 3948 2.2) goes in front.  The
 * source address is set per packet (IP_PKTINFO / IPV6_PKTINFO) so that
 * a reply leaves from the address the peer used, e.g. the virtual IP.
 * 0 or -errno.
 */
int esp_send_ike(struct esp_dp *dp, const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote,
		 const uint8_t *buf, size_t len);
/* The same with the signature of hike_env.send_ike (ctx = the dp). */
int esp_dp_send_ike_env(void *ctx, const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote,
			const uint8_t *buf, size_t len);

/* Drain what is readable now (what the loop callbacks do).  Return the
 * number of packets handled. */
int esp_dp_poll_tun(struct esp_dp *dp);
int esp_dp_poll_udp(struct esp_dp *dp);

/* The bound NAT-T / IKE port (useful with ESP_DP_EPHEMERAL). */
uint16_t esp_dp_natt_port(const struct esp_dp *dp);
uint16_t esp_dp_ike_port(const struct esp_dp *dp);
int esp_dp_tun_fd(const struct esp_dp *dp);
void esp_dp_stats(const struct esp_dp *dp, struct esp_dp_stats *out);

/* A loop_pace_fn (loop_set_pace): conf.coalesce_us when the datapath
 * moved at least ESP_DP_PACE_MIN ESP packets since the last call (bulk
 * traffic: a pause lets the next wake-up find a larger batch, as a NIC's
 * interrupt moderation does), else 0 (light traffic keeps its latency). */
#define ESP_DP_PACE_MIN 8
uint32_t esp_dp_pace(void *dp);

#endif
