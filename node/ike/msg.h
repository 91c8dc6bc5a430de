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
};
const char *ike_err_name(int err);

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
	bool present;
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

/* Encode just the inner chain (what goes inside SK); *first gets the
 * first inner payload type. */
int ike_encode_inner(const struct ike_msg *msg, struct wr *w, uint8_t *first);

/* Builder helpers: append a payload to msg->order (and bump the count). */
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
	IKE_RULES_AUTH,		/* IKE_AUTH, first message (non-EAP) */
	IKE_RULES_CHILD,	/* CREATE_CHILD_SA */
	IKE_RULES_INFO,		/* INFORMATIONAL */
};
int ike_rules_check(const struct ike_msg *msg, uint8_t *bad_type);

/*
 * Fragment reassembly (RFC 7383 2.6), pure: the caller owns the state.
 * Fragments are decrypted one by one; each plaintext is added here.
 */
#define IKE_FRAG_MAX		32
struct ike_frag_asm {
	uint32_t msgid;
	uint16_t total;
	uint16_t have;		/* count of distinct fragments held */
	uint8_t first;		/* inner first payload type (from fragment 1) */
	size_t len[IKE_FRAG_MAX];
	uint8_t *data[IKE_FRAG_MAX];	/* caller-provided storage per slot */
	size_t cap;			/* capacity of each slot */
};

#endif
