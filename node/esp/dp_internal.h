/* The datapath's state, shared by dp.c and dp_setup.c only. */
#ifndef HIKE_ESP_DP_INTERNAL_H
#define HIKE_ESP_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "esp/dp.h"
#include "esp/io.h"
#include "esp/offload.h"
#include "esp/spd.h"

#define DP_BATCH	32	/* reads per batch (TUN, recvmmsg) */
#define DP_SLOTS	64	/* ESP packets per flush: a 64 KB TUN
				   super-packet gives ~45 */
#define DP_BUF		9216	/* larger datagrams count as truncated */
#define DP_MAX_SOCKS	6
#define DP_DRAIN	8	/* batches per wake-up at most */
/* TUN packets are read to tx[k] + DP_HEADROOM, where an AEAD SA's
 * payload goes: encrypted in place */
#define DP_HEADROOM	(ESP_HDR_LEN + 8)
/* UDP GSO (UDP_SEGMENT): per sendmsg at most 64 segments (the kernel's
 * UDP_MAX_SEGMENTS on older kernels) and an IP packet's 64 KB */
#define DP_GSO_SEGS	64
#define DP_GSO_BYTES	65000
#define DP_GSO_CMSG	CMSG_SPACE(sizeof(uint16_t))
#define DP_GRO_ITEMS	4	/* TCP flows coalesced at once */
/* A receive slot: 64 KB for a UDP GRO read, plus 17 cache lines so that
 * the slots do not all start in the same cache sets (a 64 KB stride
 * would put every packet's first lines into one L1 set) */
#define DP_RX_SLOT	(65536 + 17 * 64)

enum dp_kind { DP_IKE, DP_NATT, DP_RAW };

struct dp_sock {
	struct esp_dp *dp;
	int fd, family;
	enum dp_kind kind;
	uint16_t port;
	bool gro;		/* UDP_GRO: reads of up to 64 KB */
	struct dp_conn *conn;	/* connected: the peer and our address */
};

/*
 * A UDP socket bound to (local address, NAT-T port) and connected to one
 * peer (address, port): ESP to that peer leaves through it without a
 * route lookup per packet (the socket caches the route).  Created on the
 * first outbound packet, shared by every SA with the same pair, closed
 * when unused (DP_CONN_IDLE_MS) or when sends on it fail.  The peer's
 * datagrams arrive on it too and are handled as on the shared socket.
 */
#define DP_CONN_BUCKETS	256
#define DP_CONN_MAX	1024
#define DP_CONN_IDLE_MS	60000
#define DP_CONN_RETRY_MS 1000	/* after a failed bind/connect */

struct dp_conn {
	struct dp_sock s;	/* first: the loop callback gets &s */
	struct sockaddr_storage local, remote;
	uint64_t used_ms;	/* last outbound packet / failure time */
	bool no_gso;		/* UDP_SEGMENT failed: not on this socket */
	struct dp_conn *next;
};

struct esp_dp {
	struct loop *loop;
	struct counters *cnt;
	esp_ike_rx_fn ike_rx;
	void *ike_arg;
	int tun_fd;
	bool own_tun;
	bool tun_vnet;		/* virtio_net_hdr on every TUN read/write */
	bool udp_gso;		/* UDP_SEGMENT on the connected sockets */
	bool udp_gro;		/* UDP_GRO on the ESP-in-UDP sockets */
	uint16_t ike_port, natt_port;
	struct dp_sock socks[DP_MAX_SOCKS];
	size_t nsocks;
	struct esp_spd *spd;
	struct esp_dp_stats st;
	struct dp_conn *conns[DP_CONN_BUCKETS];
	size_t nconns;
	uint64_t conn_gc_ms;
	uint64_t rx_now_ms;	/* the clock read once per receive batch */
	uint32_t coalesce_us;	/* esp_dp_pace() */
	uint64_t pace_mark;	/* esp_rx + esp_tx at its last call */
	/* batch state, allocated once: nothing is allocated per packet */
	struct mmsghdr msgs[DP_SLOTS];
	struct iovec iov[DP_SLOTS];
	struct sockaddr_storage addrs[DP_SLOTS];
	int tx_fd[DP_SLOTS];
	struct dp_conn *tx_conn[DP_SLOTS];	/* NULL: the shared socket */
	uint8_t cbuf[DP_SLOTS][ESP_CMSG_SPACE];
	/* 64 KB each for UDP GRO reads; pages a read never reaches are
	 * never touched (the struct is calloc'ed: fresh zero pages) */
	uint8_t rx[DP_BATCH][DP_RX_SLOT] __attribute__((aligned(64)));
	uint8_t tx[DP_SLOTS][DP_HEADROOM + DP_BUF + ESP_MAX_OVERHEAD];
	/* UDP GSO: one message per run of equal-sized packets */
	struct mmsghdr gmsgs[DP_SLOTS];
	uint8_t gcbuf[DP_SLOTS][DP_GSO_CMSG];
	uint16_t gslot[DP_SLOTS], gcount[DP_SLOTS];
	/* TUN with virtio_net_hdr: reads of up to 64 KB, coalesced writes */
	uint8_t tun_buf[ESP_VNET_LEN + ESP_GSO_MAX + 40];	/* + v6 header */
	struct esp_gro gro[DP_GRO_ITEMS];
	unsigned gro_next;
	uint8_t gro_buf[DP_GRO_ITEMS][ESP_VNET_LEN + ESP_GSO_MAX];
	/* decrypted packet, after room for a virtio_net_hdr */
	uint8_t inner[ESP_VNET_LEN + DP_BUF + 64];
};

/* conn.c: the connected socket for sa's (local, remote), or NULL (use
 * the shared socket). */
struct dp_conn *dp_conn_get(struct esp_dp *dp, const struct esp_sa *sa,
			    uint64_t now);
/* Sends failed on c: close it (the caller falls back to the shared
 * socket), and try again only after DP_CONN_RETRY_MS. */
void dp_conn_fail(struct esp_dp *dp, struct dp_conn *c, uint64_t now);
/* Close the connected sockets unused for DP_CONN_IDLE_MS. */
void dp_conn_gc(struct esp_dp *dp, uint64_t now);
void dp_conn_free_all(struct esp_dp *dp);
int dp_poll_conns(struct esp_dp *dp);
int dp_poll_sock(struct dp_sock *s);

/* loop callbacks (arg: struct dp_sock / struct esp_dp) */
void dp_on_sock(void *arg, int fd, uint32_t events);
void dp_on_tun(void *arg, int fd, uint32_t events);

#endif
