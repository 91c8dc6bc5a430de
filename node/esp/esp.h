/*
 * One ESP Child SA pair in the userspace datapath (RFC 4303), with
 * UDP encapsulation (RFC 3948) decided by the caller.
 *
 * An esp_sa holds both directions of one Child SA: the inbound SA (our
 * SPI, which the peer puts in its packets) and the outbound SA (the
 * peer's SPI).  All crypto contexts are created once in esp_sa_new(), so
 * the per-packet path allocates nothing.
 *
 * Suites: AES-GCM with a 16-byte ICV (RFC 4106), ChaCha20-Poly1305
 * (RFC 7634), AES-CBC (RFC 3602) with HMAC-SHA1-96 (RFC 2404) or
 * HMAC-SHA2-256-128 / 384-192 / 512-256 (RFC 4868).
 *
 * Nonce uniqueness: the AEAD explicit IV is the 64-bit sequence number
 * (as Linux's seqiv does), so (key, nonce) is unique as long as no
 * sequence number is sent twice.  The outbound counter therefore never
 * wraps (esp_encap() refuses with ESP_DROP_SEQ_EXHAUSTED) and the cluster
 * takeover jumps it forward (esp_sa_jump()) past anything the old active
 * may have sent.
 */
#ifndef HIKE_ESP_ESP_H
#define HIKE_ESP_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/types.h>

#include "esp/replay.h"

#define ESP_MAX_TS	8
#define ESP_KEY_MAX	64	/* encr key + salt, or integ key */
#define ESP_HDR_LEN	8	/* SPI + sequence number */
#define ESP_MAX_IV	16
#define ESP_MAX_ICV	32
/* Worst-case bytes esp_encap() adds: header, IV, CBC padding (15),
 * pad length, next header, ICV. */
#define ESP_MAX_OVERHEAD (ESP_HDR_LEN + ESP_MAX_IV + 15 + 2 + ESP_MAX_ICV)

/* Protocol numbers ESP carries in "next header" (RFC 4303 2.6). */
#define ESP_NH_IPV4	4
#define ESP_NH_IPV6	41
#define ESP_NH_NONE	59	/* dummy packet (TFC), dropped silently */

enum esp_mode { ESP_MODE_TUNNEL = 0, ESP_MODE_TRANSPORT = 1 };

/* Why a packet was not passed on.  Every value has a counter. */
enum esp_drop {
	ESP_DROP_NONE = 0,
	ESP_DROP_SHORT,		/* truncated ESP or inner packet */
	ESP_DROP_SPI,		/* no SA for this SPI */
	ESP_DROP_SEQ,		/* sequence number 0 / outside the ESN space */
	ESP_DROP_REPLAY,	/* already received */
	ESP_DROP_STALE,		/* left of the replay window */
	ESP_DROP_ICV,		/* integrity check failed */
	ESP_DROP_PAD,		/* padding not 1, 2, 3, ... or too long */
	ESP_DROP_PROTO,		/* next header / inner header not acceptable */
	ESP_DROP_DUMMY,		/* next header 59 (RFC 4303 2.6) */
	ESP_DROP_TS,		/* inner packet outside the traffic selectors */
	ESP_DROP_EXPIRED,	/* hard lifetime reached */
	ESP_DROP_SEQ_EXHAUSTED,	/* outbound counter would wrap */
	ESP_DROP_NOSPACE,	/* output buffer too small */
	ESP_DROP_CRYPTO,	/* internal crypto failure */
	ESP_DROP_NOPOLICY,	/* outbound: no SA covers the packet */
	ESP_DROP_SEQ_LIMIT,	/* outbound: counter at the replicated limit,
				   waiting for the cluster to confirm more */
	ESP_DROP_OFFLOAD,	/* TUN offload: malformed virtio_net_hdr or
				   super-packet, failed GSO write */
	ESP_DROP_MAX
};

const char *esp_drop_name(unsigned v);

/* A traffic selector (RFC 7296 3.13.1) in host terms.  For ICMP the
 * port range holds type << 8 | code. */
struct esp_ts {
	uint8_t ts_family;		/* AF_INET / AF_INET6 */
	uint8_t ts_proto;		/* 0 = any */
	uint16_t ts_port_lo, ts_port_hi;
	uint8_t ts_start[16], ts_end[16];	/* network order, 4 used for v4 */
};

struct esp_limits {
	uint64_t bytes, packets;	/* 0 = none */
};

enum esp_event {
	ESP_EV_SOFT,	/* soft limit (or counter near its end): rekey now */
	ESP_EV_HARD,	/* hard limit: the SA refuses traffic; delete it */
	ESP_EV_SYNC,	/* sync_every packets passed: replicate counters */
};

struct esp_sa;
typedef void (*esp_event_cb)(void *arg, struct esp_sa *sa, enum esp_event ev);

/* Everything the IKE side negotiated for one Child SA.  Keys are copied
 * into the crypto contexts; the caller wipes its own copies. */
struct esp_sa_params {
	uint32_t spi_in, spi_out;	/* host order */
	uint16_t encr, encr_keylen;	/* IKE_ENCR_*, bits */
	uint16_t integ;			/* IKE_INTEG_*, NONE with AEAD */
	bool esn;
	enum esp_mode mode;
	bool encap;			/* UDP 4500 (RFC 3948) */
	struct sockaddr_storage local, remote;	/* outer addresses, ports */
	/* AEAD: key | 4-byte salt, as prf+ KEYMAT delivers it */
	const uint8_t *ekey_in, *ekey_out;
	const uint8_t *akey_in, *akey_out;
	size_t ekey_len, akey_len;
	size_t nlocal_ts, nremote_ts;
	struct esp_ts local_ts[ESP_MAX_TS], remote_ts[ESP_MAX_TS];
	uint32_t replay_window;		/* 0 = ESP_REPLAY_DEFAULT */
	uint64_t seq_out;		/* last sent (0 for a new SA) */
	uint64_t seq_in;		/* highest received (0 for a new SA) */
	uint64_t seq_limit;		/* last number it may send; 0 = no limit
					   (cluster: the confirmed reservation) */
	struct esp_limits soft, hard;	/* per direction */
	uint32_t sync_every;		/* packets between ESP_EV_SYNC; 0 off */
	esp_event_cb cb;
	void *cb_arg;
	uint64_t owner_id;		/* opaque, for the owner (child SA id) */
};

struct esp_stats {
	uint64_t in_packets, in_bytes, out_packets, out_bytes;
	uint64_t last_in_ms, last_out_ms;	/* set by the datapath */
	uint64_t drops[ESP_DROP_MAX];
};

struct esp_crypto;	/* esp_crypto.c */
struct esp_spd_link;	/* spd.c */

struct esp_sa {
	uint32_t sa_spi_in, sa_spi_out;
	uint16_t sa_encr, sa_encr_keylen, sa_integ;
	bool sa_esn;
	enum esp_mode sa_mode;
	bool sa_encap;
	struct sockaddr_storage sa_local, sa_remote;
	size_t sa_nlocal_ts, sa_nremote_ts;
	struct esp_ts sa_local_ts[ESP_MAX_TS], sa_remote_ts[ESP_MAX_TS];

	uint64_t sa_seq_out;		/* last sequence number sent */
	uint64_t sa_seq_soft;		/* ESP_EV_SOFT when reached */
	uint64_t sa_seq_limit;		/* never send beyond (esp_sa_set_limit) */
	struct esp_replay sa_replay;
	struct esp_limits sa_soft, sa_hard;
	bool sa_soft_fired, sa_expired;
	uint32_t sa_sync_every, sa_since_sync;
	esp_event_cb sa_cb;
	void *sa_cb_arg;
	uint64_t sa_owner_id;
	struct esp_stats sa_st;

	struct esp_crypto *sa_in, *sa_out;
	struct esp_sa *sa_spi_next;	/* SPI hash chain (spd.c) */
	struct esp_spd_link *sa_spd;	/* outbound policy entries (spd.c) */
	size_t sa_nspd;
};

/* 0 if the suite is one the datapath implements, else -ENOTSUP. */
int esp_suite_check(uint16_t encr, uint16_t keylen, uint16_t integ);

/* 0 or -errno (-ENOTSUP suite, -EINVAL key lengths or TS, -ENOMEM). */
int esp_sa_new(const struct esp_sa_params *p, struct esp_sa **out);
void esp_sa_free(struct esp_sa *sa);	/* wipes keys; NULL is a no-op */

/*
 * Protect one inner packet (a whole IP packet from the TUN).  Writes the
 * ESP packet (SPI .. ICV, no outer IP or UDP header) to out.  0, or
 * -errno with *why set (ESP_DROP_SEQ_EXHAUSTED, ESP_DROP_EXPIRED,
 * ESP_DROP_NOSPACE, ESP_DROP_PROTO, ESP_DROP_CRYPTO).  in may lie
 * inside out at offset ESP_HDR_LEN or more; at ESP_HDR_LEN + the IV
 * length (tunnel mode) the payload is encrypted where it is.
 */
int esp_encap(struct esp_sa *sa, const uint8_t *in, size_t inlen,
	      uint8_t *out, size_t cap, size_t *outlen, enum esp_drop *why);

/*
 * Check and unprotect one ESP packet (from the SPI on).  Writes the inner
 * IP packet to out (TFC padding removed; in transport mode with a
 * rebuilt IP header from the SA's outer addresses).  0, or -errno with
 * *why set.  Order: SPI, replay check, ICV, replay update, padding, next
 * header, traffic selectors (RFC 4303 3.4, RFC 4301 5.2).
 */
int esp_decap(struct esp_sa *sa, const uint8_t *pkt, size_t len,
	      uint8_t *out, size_t cap, size_t *outlen, enum esp_drop *why);

/* Cluster sync: the last outbound number sent and the highest inbound
 * number authenticated. */
void esp_sa_counters(const struct esp_sa *sa, uint64_t *out_seq,
		     uint64_t *in_highest);

/*
 * Takeover: the outbound counter jumps to at least out_seq_min (never
 * backwards; clamped to the end of the space, after which the SA refuses
 * to send), and the inbound window restarts at in_highest (if that is
 * ahead of ours) with everything at or below it counted as received.
 * 0 or -EINVAL.
 */
int esp_sa_jump(struct esp_sa *sa, uint64_t out_seq_min, uint64_t in_highest);

/*
 * Cluster: the highest sequence number the SA may send, i.e. the counter
 * reservation the standbys are known to hold (sync/esp_counters.h).  At
 * the limit esp_encap() drops with ESP_DROP_SEQ_LIMIT instead of sending a
 * number a new active could send again.  Never lowered below what was
 * sent; UINT64_MAX lifts it.
 */
void esp_sa_set_limit(struct esp_sa *sa, uint64_t limit);

/* Last sequence number the SA may send: 2^32 - 1, or 2^64 - 1 with ESN. */
static inline uint64_t esp_sa_seq_max(const struct esp_sa *sa)
{
	return sa->sa_esn ? UINT64_MAX : UINT32_MAX;
}

#endif
