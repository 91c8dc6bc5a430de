/* The datapath's state, shared by dp.c and dp_setup.c only. */
#ifndef HIKE_ESP_DP_INTERNAL_H
#define HIKE_ESP_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "esp/dp.h"
#include "esp/io.h"
#include "esp/spd.h"

#define DP_BATCH	32	/* packets per wake-up and per sendmmsg */
#define DP_BUF		9216	/* larger datagrams count as truncated */
#define DP_MAX_SOCKS	6

enum dp_kind { DP_IKE, DP_NATT, DP_RAW };

struct dp_sock {
	struct esp_dp *dp;
	int fd, family;
	enum dp_kind kind;
	uint16_t port;
};

struct esp_dp {
	struct loop *loop;
	struct counters *cnt;
	esp_ike_rx_fn ike_rx;
	void *ike_arg;
	int tun_fd;
	bool own_tun;
	uint16_t ike_port, natt_port;
	struct dp_sock socks[DP_MAX_SOCKS];
	size_t nsocks;
	struct esp_spd *spd;
	struct esp_dp_stats st;
	/* batch state, allocated once: nothing is allocated per packet */
	struct mmsghdr msgs[DP_BATCH];
	struct iovec iov[DP_BATCH];
	struct sockaddr_storage addrs[DP_BATCH];
	int tx_fd[DP_BATCH];
	uint8_t cbuf[DP_BATCH][ESP_CMSG_SPACE];
	uint8_t rx[DP_BATCH][DP_BUF];
	uint8_t tx[DP_BATCH][DP_BUF + ESP_MAX_OVERHEAD];
	uint8_t inner[DP_BUF + 64];
};

/* loop callbacks (arg: struct dp_sock / struct esp_dp) */
void dp_on_sock(void *arg, int fd, uint32_t events);
void dp_on_tun(void *arg, int fd, uint32_t events);

#endif
