/*
 * IKEv2 wire codec (RFC 7296 section 3, RFC 7383 SKF): pure functions.
 *
 * Decoding fills a struct ike_msg from bytes: no daemon state, no
 * allocation, no recursion over payload chains.  Variable-length payload
 * bodies are *borrowed* pointers into the caller's buffer (and, for the
 * encrypted part, into the caller's plaintext buffer), so both must outlive
 * the struct.  Bounds: every array below has a fixed maximum; a message
 * with more instances fails with IKE_ERR_TOO_MANY.
 *
 * An ike_msg remembers the order (and critical bits) of its payloads, so
 * ike_encode(ike_decode(x)) == x byte for byte.
 *
 * Decoding an encrypted message takes two steps:
 *   1. ike_decode(buf) decodes the header and the unencrypted chain up to
 *      and including SK (or SKF); msg->sk says where the IV starts.
 *   2. the caller decrypts (crypto/sk.h) and calls
 *      ike_decode_inner(msg, plaintext, ptlen, msg->sk.first) to decode the
 *      inner chain into the same struct; those payloads are counted in
 *      msg->count_enc[] instead of msg->count_clear[].
 * ike_rules_check() then judges the message against the per-exchange table.
 */
#ifndef HIKE_IKE_MSG_H
#define HIKE_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hike/cursor.h"
#include "hike/ikev2.h"

#define IKE_HDR_LEN		28
#define IKE_MAX_PROPOSALS	16
#define IKE_MAX_TRANSFORMS	32
#define IKE_MAX_TS		16
#define IKE_MAX_NOTIFY		32
#define IKE_MAX_CERT		8
#define IKE_MAX_CERTREQ		8
#define IKE_MAX_DELETE		8
#define IKE_MAX_VENDOR		16
#define IKE_MAX_CP_ATTR		32
#define IKE_MAX_PAYLOADS	96	/* all payloads of a message, clear + inner */
#define IKE_MAX_SPI		8	/* IKE SPIs are 8 bytes, ESP/AH 4 */
#define IKE_MSG_MAX		65535	/* a UDP datagram */

/* Decoder results (0 = ok).  The responder maps these onto notifies. */
enum ike_err {
	IKE_OK = 0,
	IKE_ERR_TRUNCATED = 1,		/* a length runs past its container */
	IKE_ERR_BAD_LENGTH,		/* header/payload length field lies */
	IKE_ERR_BAD_VERSION,		/* major version != 2: INVALID_MAJOR_VERSION */
	IKE_ERR_UNSUPPORTED_CRITICAL,	/* msg->unsupported_critical says which */
	IKE_ERR_TOO_MANY,		/* more instances than the bounds above */
	IKE_ERR_BAD_PAYLOAD,		/* a payload's body is malformed */
	IKE_ERR_SK_NOT_LAST,		/* SK/SKF must be the last payload */
	IKE_ERR_RULES,			/* decoded fine, but not allowed here */
	IKE_ERR_NOSPACE,		/* encode: the output buffer is too small */
	IKE_ERR_INVALID,		/* encode: msg is inconsistent (a count
					   or length beyond its field) */
};
const char *ike_err_name(int err);
/* The notify a responder answers a decode error with (RFC 7296 2.21.1,
 * 3.10.1): INVALID_MAJOR_VERSION, UNSUPPORTED_CRITICAL_PAYLOAD (data: the
 * payload type, msg->unsupported_critical) or INVALID_SYNTAX; 0 for
 * IKE_OK.  Whether to answer at all is the caller's call (2.21.1: only
 * for an authenticated request, except IKE_SA_INIT). */
uint16_t ike_err_notify(int err);

struct ike_hdr {
	uint64_t ispi;
	uint64_t rspi;
	uint8_t next;			/* first payload type */
	uint8_t version;		/* 0x20 */
	uint8_t exchange;
	uint8_t flags;			/* IKE_FLAG_* */
	uint32_t msgid;
	uint32_t length;
};

struct ike_transform {
	uint8_t type;			/* IKE_TRANSFORM_* */
	uint16_t id;
	uint16_t keylen;		/* Key Length attribute in bits, 0 if absent */
	bool unknown_attr;		/* carried an attribute we do not know:
					   RFC 7296 3.3.6 says reject this
					   transform (decode only, not encoded) */
};

struct ike_proposal {
	uint8_t num;
	uint8_t proto;			/* IKE_PROTO_IKE / ESP / AH */
	uint8_t spi_len;
	uint8_t spi[IKE_MAX_SPI];
	uint8_t ntr;
	struct ike_transform tr[IKE_MAX_TRANSFORMS];
};

struct ike_sa_pl {
	uint8_t nprop;
	struct ike_proposal prop[IKE_MAX_PROPOSALS];
};

struct ike_ke_pl {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

struct ike_blob {			/* Ni/Nr, V, EAP, ... */
	const uint8_t *data;
	size_t len;
};

struct ike_id_pl {
	uint8_t type;			/* IKE_ID_* */
	const uint8_t *data;		/* identification data */
	size_t len;
	const uint8_t *raw;		/* the whole body incl. the 4-byte
					   header: what AUTH signs (RFC 7296 2.15) */
	size_t raw_len;
};

struct ike_cert_pl {			/* CERT and CERTREQ */
	uint8_t encoding;		/* IKE_CERT_* */
	const uint8_t *data;
	size_t len;
};

struct ike_auth_pl {
	uint8_t method;			/* IKE_AUTH_* */
	const uint8_t *data;
	size_t len;
};

struct ike_notify_pl {
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKE_MAX_SPI];
	uint16_t type;			/* IKE_N_* */
	const uint8_t *data;
	size_t len;
};

struct ike_delete_pl {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t nspi;
	const uint8_t *spis;		/* nspi * spi_len bytes */
};

struct ike_ts {
	uint8_t type;			/* IKE_TS_IPV4_ADDR_RANGE / IPV6 */
	uint8_t ipproto;		/* 0 = any */
	uint16_t sport, eport;
	uint8_t start[16], end[16];	/* 4 bytes used for IPv4 */
};

struct ike_ts_pl {
	uint8_t nts;
	struct ike_ts ts[IKE_MAX_TS];
};

struct ike_cp_attr {
	uint16_t type;			/* IKE_CP_ATTR_* (R bit cleared) */
	const uint8_t *data;
	uint16_t len;
};

struct ike_cp_pl {
	uint8_t type;			/* IKE_CFG_REQUEST / REPLY / SET / ACK */
	uint8_t nattr;
	struct ike_cp_attr attr[IKE_MAX_CP_ATTR];
};

/* SK (RFC 7296 3.14) or SKF (RFC 7383 2.5): the last clear payload. */
struct ike_sk {
	bool present;			/* encode: set it for an encrypted message
					   with an empty inner chain (liveness
					   check); entries with .encrypted set
					   imply it */
	bool fragment;			/* SKF */
	uint8_t first;			/* next payload of SK: the first inner type
					   (0 in SKF fragments other than number 1) */
	uint16_t frag_num, frag_total;	/* SKF only */
	size_t sk_off;			/* offset of the SK generic header in the msg */
	size_t iv_off;			/* offset where IV | ciphertext | ICV start */
	size_t end;			/* end of the SK payload (== hdr.length) */
};

/* One entry per payload, in wire order, so encoding can reproduce it. */
struct ike_pl_ref {
	uint8_t type;
	bool critical;
	bool encrypted;
	uint8_t index;			/* instance number of this type */
};

struct ike_msg {
	struct ike_hdr hdr;

	uint8_t norder;
	struct ike_pl_ref order[IKE_MAX_PAYLOADS];

	/* how many of each payload type, outside and inside SK; index is
	 * the payload type (0..255) */
	uint8_t count_clear[256];
	uint8_t count_enc[256];
	uint8_t unsupported_critical;	/* type of an unknown critical payload */

	struct ike_sa_pl sa;
	struct ike_ke_pl ke;
	struct ike_blob nonce;
	struct ike_id_pl idi, idr;
	struct ike_auth_pl auth;
	struct ike_ts_pl tsi, tsr;
	struct ike_cp_pl cp;
	struct ike_blob eap;

	uint8_t nnotify;
	struct ike_notify_pl notify[IKE_MAX_NOTIFY];
	uint8_t ncert;
	struct ike_cert_pl cert[IKE_MAX_CERT];
	uint8_t ncertreq;
	struct ike_cert_pl certreq[IKE_MAX_CERTREQ];
	uint8_t ndelete;
	struct ike_delete_pl del[IKE_MAX_DELETE];
	uint8_t nvendor;
	struct ike_blob vendor[IKE_MAX_VENDOR];

	struct ike_sk sk;
};

/* Header only: enough to route a datagram to its SA.  Checks the version
 * and that hdr.length equals len. */
int ike_decode_hdr(const uint8_t *buf, size_t len, struct ike_hdr *hdr);

/* Decode the header and the clear payload chain (step 1 above). */
int ike_decode(const uint8_t *buf, size_t len, struct ike_msg *msg);

/* Decode a decrypted inner chain into msg (step 2 above). */
int ike_decode_inner(struct ike_msg *msg, const uint8_t *pt, size_t len,
		     uint8_t first);

/*
 * Encoding.  ike_encode() writes the header and every payload in
 * msg->order.  A clear message is complete on return.  For an encrypted
 * message (order has encrypted entries) it writes the header, the clear
 * payloads, the SK generic header and then the *plaintext* inner chain;
 * it fills msg->sk (sk_off, iv_off) so crypto/sk.h can seal it in place:
 * see sk_seal().  Returns 0 or an ike_err; *len is the bytes written.
 */
int ike_encode(struct ike_msg *msg, uint8_t *buf, size_t cap, size_t *len);

/* (A message decoded from an SKF fragment re-encodes as one SK message.) */

/* Encode just the inner chain (what goes inside SK); *first gets the
 * first inner payload type. */
int ike_encode_inner(const struct ike_msg *msg, struct wr *w, uint8_t *first);

/*
 * Builder helpers: append a payload to msg->order (and bump the count).
 * Fill the payload's struct yourself: for single ones (msg->sa, msg->ke,
 * ...) directly, for repeated ones the new slot is the last one
 * (msg->cert[msg->ncert - 1], msg->vendor[msg->nvendor - 1], ...).
 * false when the order or that payload's array is full, or the type is
 * one the message holds once and already has.  Adding an encrypted
 * payload sets msg->sk.present.
 */
bool ike_msg_add(struct ike_msg *msg, uint8_t type, bool encrypted);
struct ike_notify_pl *ike_msg_add_notify(struct ike_msg *msg, bool encrypted,
					 uint16_t type, const void *data,
					 size_t len);

/* Find the first notify of a type, or NULL. */
const struct ike_notify_pl *ike_msg_notify(const struct ike_msg *msg,
					   uint16_t type);

/*
 * Per-exchange payload rules (RFC 7296 section 1 and 3, RFC 7383):
 * for each (exchange, request/response, phase) a table row per payload
 * type: min, max, must be encrypted.  Returns IKE_OK or IKE_ERR_RULES and
 * sets *bad_type to the offending payload type.
 */
enum ike_rules_phase {
	IKE_RULES_INIT,		/* IKE_SA_INIT */
	IKE_RULES_AUTH,		/* IKE_AUTH, first message (carries IDi) */
	IKE_RULES_AUTH_EAP,	/* IKE_AUTH request of a later EAP round
				   (RFC 7296 2.16: no IDi, EAP or AUTH) */
	IKE_RULES_CHILD,	/* CREATE_CHILD_SA */
	IKE_RULES_INFO,		/* INFORMATIONAL */
	IKE_RULES_INTERMEDIATE,	/* IKE_INTERMEDIATE (RFC 9242) */
	IKE_RULES_NONE,		/* an exchange we have no rules for */
};
/* Which rows ike_rules_check() applies to msg (after ike_decode_inner). */
enum ike_rules_phase ike_rules_phase_of(const struct ike_msg *msg);
int ike_rules_check(const struct ike_msg *msg, uint8_t *bad_type);

/*
 * Fragments (RFC 7383), pure: the caller owns state and storage, the
 * encryption and the ICV check (crypto/sk.h) happen outside.
 *
 * Receiving (2.6): each SKF message is decoded with ike_decode() (msg->sk
 * has frag_num, frag_total, first), opened with sk_open(), and its
 * plaintext handed to ike_frag_asm_add().  When ike_frag_asm_done(), the
 * inner chain is ike_frag_asm_finish()ed into one buffer and decoded with
 * ike_decode_inner(msg, chain, len, first).
 */
#define IKE_FRAG_MAX		64
struct ike_frag_asm {
	uint32_t msgid;			/* the caller matches fragments to it */
	uint16_t total;			/* 0 until the first fragment */
	uint16_t have;			/* count of distinct fragments held */
	uint8_t first;			/* inner first payload (fragment 1) */
	uint8_t *buf;			/* caller storage for all plaintexts */
	size_t cap;
	size_t used;
	size_t off[IKE_FRAG_MAX];	/* per fragment number - 1 */
	size_t len[IKE_FRAG_MAX];	/* 0 and off 0: not held yet */
	bool held[IKE_FRAG_MAX];
};

void ike_frag_asm_init(struct ike_frag_asm *a, uint32_t msgid, uint8_t *buf,
		       size_t cap);
/* Add one decrypted fragment.  0: held; -EINVAL: number 0, number >
 * total, total > IKE_FRAG_MAX or total smaller than the one in use
 * (stale); -EEXIST: duplicate (retransmit); -ENOSPC: storage full.  A
 * larger total than the one in use restarts reassembly (RFC 7383 2.6.2:
 * the sender re-fragmented with a smaller size). */
int ike_frag_asm_add(struct ike_frag_asm *a, uint16_t num, uint16_t total,
		     uint8_t first, const uint8_t *pt, size_t len);
bool ike_frag_asm_done(const struct ike_frag_asm *a);
/* Concatenate in number order into out; *first is the inner first payload
 * type.  -EAGAIN if incomplete, -ENOSPC if out is too small. */
int ike_frag_asm_finish(const struct ike_frag_asm *a, uint8_t *out,
			size_t cap, size_t *len, uint8_t *first);
/* Wipe the held plaintexts (they are decrypted IKE payloads). */
void ike_frag_asm_clear(struct ike_frag_asm *a);

/*
 * Sending (2.5): split an inner chain (from ike_encode_inner()) into
 * fragments of at most max plaintext bytes each.  ike_frag_count() is the
 * number of fragments (0 if it would exceed IKE_FRAG_MAX or max is 0);
 * ike_frag_slice() gives fragment num (1-based).
 */
uint16_t ike_frag_count(size_t ptlen, size_t max);
int ike_frag_slice(const uint8_t *pt, size_t ptlen, size_t max,
		   uint16_t num, struct ike_blob *out);

/*
 * Write one SKF message ready for sk_seal(): the header (next = SKF,
 * length patched), the SKF generic header with fragment number and total
 * (next payload = first for fragment 1, 0 otherwise: RFC 7383 2.5) and
 * the plaintext slice.  sk gets sk_off/iv_off/end for sk_seal().
 */
int ike_encode_skf(const struct ike_hdr *hdr, uint16_t num, uint16_t total,
		   uint8_t first, const uint8_t *pt, size_t ptlen,
		   uint8_t *buf, size_t cap, struct ike_sk *sk, size_t *len);

/* Start a message to build: zero everything and copy the header. */
void ike_msg_init(struct ike_msg *msg, const struct ike_hdr *hdr);

#endif
