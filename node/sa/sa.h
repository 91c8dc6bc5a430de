/*
 * IKE SAs and Child SAs: the objects, their state machines, the tables
 * that find them in O(1), and the responder's entry point ike_rx().
 *
 * Everything hangs off struct hike (h->ike_sas, h->child_sas): no
 * globals.  Exchange handlers never touch the tables: they stage a
 * change (struct sa_update, repl.h), replicate it, and the commit
 * callback applies it (sa_commit.c).
 */
#ifndef HIKE_SA_SA_H
#define HIKE_SA_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/hike.h"
#include "crypto/keys.h"
#include "ike/msg.h"

struct conf_conn;
struct loop_timer;

/* RFC 7296 2.2 / 2.3: one state setter per SA kind (STYLE.md habit 4). */
enum ike_sa_state {
	IKE_SA_NEW = 0,		/* staged, not in the tables */
	IKE_SA_HALF_OPEN,	/* IKE_SA_INIT answered, waiting for IKE_AUTH */
	IKE_SA_ESTABLISHED,
	IKE_SA_REKEYING,	/* we sent a CREATE_CHILD_SA rekeying it */
	IKE_SA_REKEYED,		/* superseded by a new IKE SA (2.18) */
	IKE_SA_DELETING,	/* we sent an INFORMATIONAL DELETE */
	IKE_SA_DEAD,		/* removed from the tables, about to be freed */
	IKE_SA_NSTATES
};

enum child_sa_state {
	CHILD_SA_NEW = 0,	/* staged */
	CHILD_SA_INSTALLED,
	CHILD_SA_REKEYING,	/* we sent a CREATE_CHILD_SA rekeying it */
	CHILD_SA_REKEYED,	/* replaced, waiting for its DELETE */
	CHILD_SA_DELETING,	/* we sent a DELETE for it */
	CHILD_SA_DEAD,
	CHILD_SA_NSTATES
};

const char *ike_sa_state_name(enum ike_sa_state s);
const char *child_sa_state_name(enum child_sa_state s);

/* Datagrams kept for retransmission: one or more fragments (RFC 7383),
 * each as [u16 length | bytes] in one allocation of exact size. */
struct ike_pkts {
	uint8_t *buf;
	size_t len;
	uint16_t n;
};

#define CHILD_MAX_TS	4

/* One direction of an ESP SA's keys (salt included in ekey for AEAD). */
struct child_sa_dir {
	uint8_t ekey[KEY_MAX], akey[KEY_MAX];
};

struct child_sa {
	uint64_t csa_serial;
	struct ike_sa *csa_ike;		/* owner */
	enum child_sa_state csa_state;
	uint32_t csa_spi_in;		/* ours, host order, random */
	uint32_t csa_spi_out;		/* the peer's */
	struct esp_suite csa_suite;
	uint8_t csa_e_len, csa_a_len;
	struct child_sa_dir csa_in, csa_out;
	bool csa_transport;		/* USE_TRANSPORT_MODE agreed */
	uint8_t csa_nts_local, csa_nts_remote;
	struct ike_ts csa_ts_local[CHILD_MAX_TS];	/* TSr for us */
	struct ike_ts csa_ts_remote[CHILD_MAX_TS];	/* TSi */
	uint32_t csa_rekey_of;		/* spi_in of the SA this one replaces */
	bool csa_delete_due;		/* we send its DELETE (we rekeyed it,
					   or it lost a rekey collision) */
	uint8_t csa_peer_rekey_nonce[16];	/* RFC 7296 2.8.1: the lowest
					   nonce of the peer's rekey of it */
	uint64_t csa_created_ms;
	uint64_t csa_rekey_ms, csa_expire_ms;	/* absolute, 0 = never */
	/* ESP counters for a cluster takeover (sync/esp_counters.c, RFC
	 * 6311 5.2): the datapath starts the SA at csa_seq_out (last sent)
	 * and csa_seq_in (highest received), 0 for a new SA, the jumped and
	 * synced values after a takeover.  csa_seq_resv is the outbound
	 * reservation the standbys hold; csa_seq_limit the one confirmed by
	 * self-delivery, which the active's datapath never sends past. */
	uint64_t csa_seq_out, csa_seq_in, csa_seq_resv, csa_seq_limit;
	struct child_sa *csa_hnext;	/* bucket chain (child table) */
	struct child_sa *csa_next;	/* list of the owner's children */
};

/* Our own outstanding request (RFC 7296 2.1: window of one). */
enum ike_req_kind {
	IKE_REQ_NONE = 0,
	IKE_REQ_DPD,		/* empty INFORMATIONAL */
	IKE_REQ_DELETE_IKE,
	IKE_REQ_DELETE_CHILD,
	IKE_REQ_REKEY_CHILD,
	IKE_REQ_REKEY_IKE,
};

struct ike_req {
	enum ike_req_kind kind;
	uint32_t msgid;
	uint32_t tries;
	uint64_t sent_ms;
	struct ike_pkts pkts;
	uint32_t child_spi;		/* the Child SA concerned (spi_in) */
	struct kex *kex;		/* rekey with KE: our private value */
	uint8_t nonce[64];
	uint8_t nonce_len;
	uint64_t new_spi;		/* IKE rekey: our new SPI */
	uint32_t new_child_spi;		/* child rekey: our new inbound SPI */
};

/* Flags learnt in IKE_SA_INIT / IKE_AUTH. */
#define IKE_SA_F_FRAG		0x0001	/* peer sent FRAGMENTATION_SUPPORTED */
#define IKE_SA_F_NAT_LOCAL	0x0002	/* we are behind a NAT */
#define IKE_SA_F_NAT_REMOTE	0x0004	/* the peer is (or claims to be) */
#define IKE_SA_F_MSGID_SYNC	0x0008	/* RFC 6311 announced by both */
#define IKE_SA_F_REPLAY_SYNC	0x0010
#define IKE_SA_F_SIG_HASH	0x0020	/* peer sent SIGNATURE_HASH_ALGORITHMS */
#define IKE_SA_F_INITIATOR	0x0040	/* we are this SA's original
					   initiator (IKE rekey we started) */
#define IKE_SA_F_BUSY		0x0080	/* a request is being processed */

/* The peer's ID as authenticated (IDi data), kept for logs, hikectl and
 * INITIAL_CONTACT (same connection + same ID). */
#define SA_PEER_ID_MAX		255
/* A rekeyed IKE SA that nobody deleted this long after its successor
 * arrived is removed (a peer that dropped a redundant SA silently). */
#define IKE_REKEYED_GRACE_MS	10000

struct ike_sa {
	uint64_t sa_serial;
	enum ike_sa_state sa_state;
	uint32_t sa_flags;		/* IKE_SA_F_* */
	uint64_t sa_ispi, sa_rspi;	/* as in the IKE header */
	struct sockaddr_storage sa_local, sa_remote;
	const struct conf_conn *sa_conn;	/* NULL until IKE_AUTH */
	struct ike_suite sa_suite;
	struct ike_keys sa_keys;
	uint64_t sa_iv_seq;		/* AEAD IV counter for what we send */

	/* IKE_SA_INIT material kept until IKE_AUTH (RFC 7296 2.15) */
	uint8_t *sa_ni, *sa_nr;
	uint16_t sa_ni_len, sa_nr_len;
	uint8_t *sa_msg1, *sa_msg2;	/* peer's request, our response */
	size_t sa_msg1_len, sa_msg2_len;

	/* peer's requests (responder side of the window) */
	uint32_t sa_peer_next;		/* next request msgid expected */
	struct ike_pkts sa_resp;	/* response to sa_peer_next - 1 */
	struct ike_frag_asm *sa_frag;	/* SKF reassembly in progress */

	/* our requests */
	uint32_t sa_our_next;
	struct ike_req sa_req;

	/* peer identity and virtual IP */
	uint8_t sa_peer_id_type;
	uint8_t sa_peer_id_len;
	uint8_t sa_peer_id[SA_PEER_ID_MAX];	/* longer IDs are cut: a
					 * length of SA_PEER_ID_MAX may be cut */
	int sa_lease_pool;		/* -1: none */
	uint8_t sa_lease[16];

	uint64_t sa_created_ms, sa_last_rx_ms;
	uint64_t sa_rekey_ms, sa_expire_ms;	/* absolute, 0 = never */
	uint64_t sa_successor;		/* IKE rekey: serial of the new SA */
	uint8_t sa_peer_rekey_nonce[16];	/* RFC 7296 2.8.2: the lowest
					 * nonce of the peer's rekey of it */
	struct loop_timer *sa_timer;	/* DPD, rekey, lifetime, retransmit */
	struct hike *sa_h;		/* for the timer callback */

	struct child_sa *sa_children;
	struct ike_sa *sa_hnext;	/* chain by our SPI */
	struct ike_sa *sa_hnext_half;	/* chain by (peer SPI, peer addr) */
	uint64_t sa_half_hash;		/* its hash at insertion: sa_remote
					 * may move (to port 4500) while on it */
	struct ike_sa *sa_hnext_peer;	/* chain by peer ID (INITIAL_CONTACT) */
	uint64_t sa_peer_hash;		/* the peer ID's hash it is filed by */
	bool sa_in_spi, sa_in_half;	/* which chains it is on */
	bool sa_in_peer;
	bool sa_del_pending;		/* a local delete is replicating:
					 * never a second one (not synced) */
};

/* Our SPI / the peer's in the IKE header. */
static inline uint64_t ike_sa_our_spi(const struct ike_sa *sa)
{
	return (sa->sa_flags & IKE_SA_F_INITIATOR) ? sa->sa_ispi : sa->sa_rspi;
}
static inline uint64_t ike_sa_peer_spi(const struct ike_sa *sa)
{
	return (sa->sa_flags & IKE_SA_F_INITIATOR) ? sa->sa_rspi : sa->sa_ispi;
}

/* Installs Child SAs into a datapath (esp/ or xfrm); NULL in pure IKE
 * tests.  0 or -errno. */
struct child_sa_ops {
	int (*install)(void *ctx, const struct child_sa *c);
	int (*remove)(void *ctx, const struct child_sa *c);
	/* the owning IKE SA's addresses/ports changed (NAT rebinding,
	 * RFC 7296 2.23): ESP follows them.  May be NULL. */
	int (*moved)(void *ctx, const struct child_sa *c);
};

/* Why a datagram was dropped: each has a counter (hikectl status). */
enum ike_drop {
	IKE_DROP_DECODE = 0,
	IKE_DROP_NO_SA,
	IKE_DROP_MSGID,
	IKE_DROP_BUSY,
	IKE_DROP_ICV,
	IKE_DROP_RULES,
	IKE_DROP_HALF_OPEN_MAX,
	IKE_DROP_COOKIE,
	IKE_DROP_FRAG,
	IKE_DROP_RESPONSE,
	IKE_DROP_NOMEM,
	IKE_DROP_N
};
const char *ike_drop_name(enum ike_drop d);

struct ike_sa_stats {
	uint64_t drops[IKE_DROP_N];
	uint64_t retransmits_answered;
	uint64_t established, deleted, auth_failed, rekeyed;
	uint64_t dpd_sent, requests_sent, request_timeouts;
};

/* struct ike_sa_table is private to table.c; struct child_sa_table too. */
struct ike_sa_table;
struct child_sa_table;

int sa_tables_init(struct hike *h);
void sa_tables_free(struct hike *h);	/* frees every SA; no callbacks */

void sa_set_child_ops(struct hike *h, const struct child_sa_ops *ops,
		      void *ctx);
struct ike_sa_stats *sa_stats(struct hike *h);
size_t ike_sa_count(const struct hike *h);	/* incl. half-open */
size_t ike_sa_half_open_count(const struct hike *h);
size_t child_sa_count(const struct hike *h);

/* Lookups, O(1). */
struct ike_sa *ike_sa_find(struct hike *h, uint64_t our_spi);
/* By serial (hikectl's "ike N"): a walk over every SA, for rare paths. */
struct ike_sa *ike_sa_find_serial(struct hike *h, uint64_t serial);
struct ike_sa *ike_sa_find_half(struct hike *h, uint64_t peer_spi,
				const struct sockaddr_storage *peer);
struct child_sa *child_sa_find(struct hike *h, uint32_t spi_in);
/* Iterate (snapshots for sync, hikectl): cb returns non-zero to stop. */
int ike_sa_foreach(struct hike *h, int (*cb)(struct ike_sa *, void *),
		   void *arg);

/* Table changes: only the commit path (sa_commit.c) and sync/ apply. */
int ike_sa_insert(struct hike *h, struct ike_sa *sa);
void ike_sa_remove(struct hike *h, struct ike_sa *sa);
/* The staged-SA marker: an IKE_SA_INIT whose DH is in a worker sits in
 * the half-open index only, so a retransmit is dropped rather than
 * starting a second DH.  Not replicated. */
int ike_sa_insert_half(struct hike *h, struct ike_sa *sa);
int child_sa_insert(struct hike *h, struct child_sa *c);
void child_sa_remove(struct hike *h, struct child_sa *c);
/* A random SPI not in use (0 is never chosen). */
int ike_sa_new_spi(struct hike *h, uint64_t *spi);
int child_sa_new_spi(struct hike *h, uint32_t *spi);

/* Objects (ike_sa.c, child_sa.c). */
struct ike_sa *ike_sa_new(struct hike *h);
void ike_sa_free(struct hike *h, struct ike_sa *sa);	/* wipes keys */
int ike_sa_set_state(struct hike *h, struct ike_sa *sa,
		     enum ike_sa_state st);
struct child_sa *child_sa_new(struct hike *h);
void child_sa_free(struct child_sa *c);
int child_sa_set_state(struct hike *h, struct child_sa *c,
		       enum child_sa_state st);
void ike_sa_link_child(struct ike_sa *sa, struct child_sa *c);
void ike_sa_unlink_child(struct ike_sa *sa, struct child_sa *c);
void ike_sa_drop_init_material(struct ike_sa *sa);
void ike_req_clear(struct ike_req *r);	/* frees pkts and kex, wipes */

void ike_pkts_free(struct ike_pkts *p);
int ike_pkts_add(struct ike_pkts *p, const uint8_t *buf, size_t len);
/* Send every datagram of p from local to remote.  0 or -errno. */
int ike_pkts_send(struct hike *h, const struct ike_pkts *p,
		  const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote);

/* Logging with the tag "[ike <serial> peer <addr>]". */
void ike_sa_log(struct hike *h, const struct ike_sa *sa, int level,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *sa_addr_str(const struct sockaddr_storage *ss, char *buf,
			size_t len);

/* Milliseconds now: the loop's clock, else env.wall_s (tests). */
uint64_t sa_now_ms(struct hike *h);
int sa_random(struct hike *h, void *buf, size_t len);

/* The SA's timer: lifetimes, rekeys, DPD, retransmission of our
 * request (requests.c).  Called by its loop timer; tests without a loop
 * call it after moving their clock. */
void ike_sa_timer_fire(struct hike *h, struct ike_sa *sa);
/* Send an INFORMATIONAL DELETE for the IKE SA now (and remove it when
 * answered or given up).  0 or -errno. */
int ike_sa_start_delete(struct hike *h, struct ike_sa *sa);
/* Operator actions (ops.c): rekey the IKE SA (child_spi_in 0) or one of
 * its Child SAs (by our inbound SPI); DELETE the IKE SA.  0, -EINVAL
 * (not established), -EBUSY (an exchange of ours is in flight: try
 * again), -ENOENT (no such Child SA, or no connection any more). */
int ike_sa_rekey_now(struct hike *h, struct ike_sa *sa, uint32_t child_spi_in);
int ike_sa_delete_now(struct hike *h, struct ike_sa *sa);

/* h->conf was replaced (SIGHUP); old is freed after this returns.  Every
 * SA's connection is looked up again by name in h->conf; an SA whose
 * connection is gone keeps running without one (no rekeys, no new Child
 * SAs, DPD off) until it is deleted. */
struct conf;
void sa_conf_swapped(struct hike *h, const struct conf *old);
/* Free (or keep until in-flight work is done) the replaced conf: call
 * instead of conf_free() after sa_conf_swapped(). */
void sa_conf_release(struct hike *h, struct conf *old);

/* The responder's entry point: one IKE datagram (non-ESP marker already
 * stripped). */
void ike_rx(struct hike *h, const struct sockaddr_storage *local,
	    const struct sockaddr_storage *remote, const uint8_t *buf,
	    size_t len);

#endif
