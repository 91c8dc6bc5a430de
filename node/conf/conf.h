/*
 * hiked configuration: one YAML file (Ansible templates it), parsed with
 * libyaml into these plain structs.  conf_load() either returns a complete,
 * validated configuration or fails with every error as "file:line: msg
 * (hint)": nothing is half-applied on a bad reload.
 *
 * Example (docs/config.md has the full reference and the translation of a
 * Cisco IKEv2 profile):
 *
 *   node: { name: gw1, priority: 100 }
 *   connections:
 *     - name: site-b
 *       local_addrs: [192.0.2.10]
 *       remote_addrs: [192.0.2.50]
 *       local_id: 192.0.2.10
 *       remote_id: 192.0.2.50
 *       auth: psk                      # or local_auth/remote_auth
 *       psk: "..."
 *       ike_proposals: [aes256-sha256-prfsha256-modp1536]
 *       esp_proposals: [aes256-sha1]
 *       local_ts: [192.168.1.100/32]
 *       remote_ts: [192.168.2.100/32]
 */
#ifndef HIKE_CONF_H
#define HIKE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/proposal.h"

#define CONF_MAX_CONNS		64
#define CONF_MAX_ADDRS		8
#define CONF_MAX_TS		8
#define CONF_MAX_PROPOSALS	8
#define CONF_MAX_POOLS		4
#define CONF_MAX_DNS		4
#define CONF_MAX_CA		8
#define CONF_MAX_VIPS		8
#define CONF_MAX_ID		256
#define CONF_PATH_MAX		256

/* An address with a prefix length; family AF_INET or AF_INET6; any=true
 * for "%any" (then family may be 0 = either). */
struct conf_net {
	int family;
	uint8_t addr[16];
	uint8_t plen;
	bool any;
};

/* A traffic selector: address range, protocol, port range. */
struct conf_ts {
	int family;
	uint8_t start[16], end[16];
	uint8_t ipproto;		/* 0 = any */
	uint16_t port_lo, port_hi;	/* 0..65535 = any */
};

/* An address pool for the Configuration payload (virtual IPs). */
struct conf_pool {
	int family;
	uint8_t start[16], end[16];	/* inclusive */
};

/* An identity.  type is an IKE_ID_* value; any matches every peer ID. */
struct conf_id {
	uint8_t type;
	bool any;
	size_t len;
	uint8_t data[CONF_MAX_ID];	/* wire form: 4/16 bytes, text, DER DN */
};

enum conf_auth { CONF_AUTH_PSK = 1, CONF_AUTH_PUBKEY = 2 };
enum conf_mode { CONF_MODE_TUNNEL = 0, CONF_MODE_TRANSPORT = 1 };

struct conf_conn {
	char name[64];
	size_t nlocal_addrs, nremote_addrs;
	struct conf_net local_addrs[CONF_MAX_ADDRS];	/* empty = any */
	struct conf_net remote_addrs[CONF_MAX_ADDRS];	/* empty = any */
	/* local_id type 0 (not configured) = the IKE address the request
	 * arrived on; remote_id defaults to %any. */
	struct conf_id local_id, remote_id;
	enum conf_auth local_auth, remote_auth;
	char psk[256];			/* wiped when the conf is freed */
	size_t psk_len;
	char cert[CONF_PATH_MAX];	/* our certificate (PEM) */
	char key[CONF_PATH_MAX];	/* our private key (PEM) */
	size_t ncacerts;
	char cacerts[CONF_MAX_CA][CONF_PATH_MAX];
	size_t nike_props, nesp_props;
	struct prop_conf ike_props[CONF_MAX_PROPOSALS];
	struct prop_conf esp_props[CONF_MAX_PROPOSALS];
	/* empty = dynamic: our own address / the peer's (or its virtual IP) */
	size_t nlocal_ts, nremote_ts;
	struct conf_ts local_ts[CONF_MAX_TS];
	struct conf_ts remote_ts[CONF_MAX_TS];
	size_t npools, ndns;
	struct conf_pool pools[CONF_MAX_POOLS];
	struct conf_net dns[CONF_MAX_DNS];
	enum conf_mode mode;
	uint32_t ike_lifetime_s, ike_rekey_s;		/* hard, soft */
	uint32_t child_lifetime_s, child_rekey_s;
	uint64_t child_life_bytes, child_life_packets;	/* 0 = unlimited */
	uint32_t dpd_delay_s;				/* 0 = off */
	bool fragmentation;				/* RFC 7383, default on */
	bool mobike;					/* default off */
};

enum conf_sync_mode { CONF_SYNC_NONE = 0, CONF_SYNC_COROSYNC = 1 };

/* When a new active sends RFC 6311 IKEV2_MESSAGE_ID_SYNC (see
 * docs/cluster.md): auto = only on IKE SAs where no request of ours was
 * ever answered (strongSwan 5.9 refuses a second message-ID-0 response
 * under one key and deletes the IKE SA; hike's message IDs are exact
 * anyway, being replicated before use), always, never. */
enum conf_msgid_sync { CONF_MSGID_SYNC_AUTO = 0, CONF_MSGID_SYNC_ALWAYS, CONF_MSGID_SYNC_NEVER };

struct conf_vip {
	struct conf_net net;		/* address/prefix */
	char dev[16];			/* interface to put it on */
};

struct conf {
	char path[CONF_PATH_MAX];
	struct {
		char name[64];
		uint32_t priority;	/* higher wins an election */
	} node;
	struct {
		int level;		/* enum log_level */
		bool syslog;
		char keylog[CONF_PATH_MAX];	/* debug: tshark IKEv2 key table */
	} log;
	struct {
		size_t nlisten;
		struct conf_net listen[CONF_MAX_ADDRS];	/* empty = wildcard */
		uint16_t port, natt_port;		/* 500, 4500 */
		uint32_t cookie_threshold;		/* half-open SAs */
		uint32_t half_open_max;
		uint32_t workers;			/* DH threads; 0 = nproc */
		uint32_t retransmit_base_ms, retransmit_tries;
		uint32_t fragment_size;			/* bytes, default 1280 */
	} ike;
	struct {
		char tun[16];		/* TUN device name, default "hike0" */
		uint32_t replay_window;	/* packets, default 1024 */
		bool raw_esp;		/* open a raw IPPROTO_ESP socket */
		bool offload;		/* TUN TSO/GRO, UDP GSO/GRO (default on) */
		uint32_t coalesce_us;	/* pause under bulk load (esp_dp_pace) */
	} esp;
	struct {
		enum conf_sync_mode mode;
		char group[64];		/* CPG group name */
		char cluster[64];	/* cluster name, in every sync envelope */
		uint32_t counter_packets;	/* ESP counter sync every N packets */
		uint32_t counter_ms;		/* ... or T ms */
		uint32_t batch_delay_us;	/* batch window under load (sync.h) */
		enum conf_msgid_sync msgid_sync;
		size_t nvips;
		struct conf_vip vips[CONF_MAX_VIPS];
	} sync;
	struct {
		char socket[CONF_PATH_MAX];	/* default /run/hike/hiked.sock */
		char group[64];			/* owning group, mode 0660 */
		bool allow_crash;		/* lab only: the "crash" command (hikectl drill --crash) */
	} ctl;
	size_t nconns;
	struct conf_conn conns[CONF_MAX_CONNS];
};

/* Parse and validate.  On error returns NULL and writes every error (one
 * per line, "file:line: message (hint)") into err.  On SIGHUP hiked swaps
 * in a new struct conf and frees the old one: subsystems must not keep
 * pointers into it past hiked_conf_swapped() (node/hiked.c). */
struct conf *conf_load(const char *path, char *err, size_t errlen);
/* The same from a string (tests); name is used in error lines. */
struct conf *conf_load_string(const char *name, const char *yaml,
			      char *err, size_t errlen);
void conf_free(struct conf *c);		/* wipes PSKs; NULL is a no-op */

#endif
