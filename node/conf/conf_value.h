/*
 * Scalar value parsers of the configuration: pure functions from a string
 * to a value, used by conf.c and by tests directly.  Each returns 0 or
 * -EINVAL and then sets *why to a static phrase describing the problem
 * (and *hint, where one helps, to a static suggestion or NULL).
 */
#ifndef HIKE_CONF_VALUE_H
#define HIKE_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/* Decimal integer, no sign, no suffix. */
int conf_parse_u64(const char *s, uint64_t *out, const char **why);
/* "4h", "30s", "90m", "1d", "200ms", "3h30m"; a bare number counts in
 * bare_unit_ms (1000 for fields in seconds, 1 for fields in ms). */
int conf_parse_duration(const char *s, uint64_t bare_unit_ms, uint64_t *ms,
			const char **why);
/* "1G", "512M", "64k", "1T" (powers of 1024) or a bare number. */
int conf_parse_size(const char *s, uint64_t *out, const char **why);
/* YAML 1.1 booleans: true/false, yes/no, on/off. */
int conf_parse_bool(const char *s, bool *out, const char **why);

/* What conf_parse_net accepts besides "%any" and a bare address. */
enum conf_net_kind {
	CONF_NET_ADDR,		/* a single address: no "/plen" */
	CONF_NET_PREFIX,	/* "/plen" allowed, host bits must be zero: a
				 * typo more often than not */
	CONF_NET_IFADDR,	/* "192.0.2.10/24": an interface address */
};
int conf_parse_net(const char *s, enum conf_net_kind kind, struct conf_net *out,
		   const char **why);
/* "203.0.113.0/25", "10.0.0.1-10.0.0.9", "192.0.2.7", each optionally
 * followed by "[proto]", "[proto/port]" or "[proto/lo-hi]", proto being a
 * name (tcp, udp, icmp, icmp6, sctp, gre), a number or "%any". */
int conf_parse_ts(const char *s, struct conf_ts *out, const char **why);
/* "203.0.113.200-203.0.113.207" or a prefix (IPv4 without its network and
 * broadcast addresses when the prefix is /30 or shorter). */
int conf_parse_pool(const char *s, struct conf_pool *out, const char **why);
/* IKE identities: "%any", an IPv4/IPv6 literal, "fqdn:name" or a host
 * name, "user@host" (RFC822), "dn:CN=..,O=.." (DER via OpenSSL),
 * "keyid:0x0102..", "email:" forces RFC822. */
int conf_parse_id(const char *s, struct conf_id *out, const char **why);
/* PSK: text, or "0x..." hex for binary keys.  out has room for cap bytes. */
int conf_parse_psk(const char *s, char *out, size_t cap, size_t *len, const char **why);

/* Edit distance (bounded inputs: config key names), for "did you mean". */
unsigned conf_edit_distance(const char *a, const char *b);

#endif
