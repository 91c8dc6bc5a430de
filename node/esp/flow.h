/*
 * The selector fields of an inner IP packet (RFC 4301 4.4.1.1) and
 * matching them against traffic selectors.  Parsing is bounded by the
 * cursors of hike/cursor.h and pure.
 */
#ifndef HIKE_ESP_FLOW_H
#define HIKE_ESP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp/esp.h"

struct esp_flow {
	uint8_t fl_family;		/* AF_INET / AF_INET6 */
	uint8_t fl_proto;		/* upper-layer protocol */
	bool fl_ports;			/* ports known: not a later fragment */
	uint16_t fl_sport, fl_dport;	/* ICMP: type << 8 | code in both */
	uint16_t fl_len;		/* IP total length (header included) */
	uint8_t fl_hlen;		/* IPv4 header length (transport mode) */
	uint8_t fl_src[16], fl_dst[16];
};

/* 0, or -EINVAL when pkt is not a well-formed IPv4/IPv6 packet of at
 * most len bytes (trailing bytes beyond the IP length are allowed: TFC
 * padding, RFC 4303 2.7). */
int esp_flow_parse(const uint8_t *pkt, size_t len, struct esp_flow *fl);

/* Does one side of a flow (addr, port) match ts?  Later fragments only
 * match selectors that allow every port (RFC 4301 7: OPAQUE ports). */
bool esp_ts_match(const struct esp_ts *ts, const struct esp_flow *fl,
		  bool src_side);

/* Inbound check: src inside one of remote, dst inside one of local. */
bool esp_flow_allowed(const struct esp_flow *fl,
		      const struct esp_ts *local, size_t nlocal,
		      const struct esp_ts *remote, size_t nremote);

#endif
