/*
 * Named event and drop counters: every dropped packet has a reason that
 * `hikectl status` can show (STYLE.md habit 6).  Adding a counter is one
 * line in COUNTERS_LIST: the enum and the name table come from it.
 *
 * Counters are relaxed atomics: the loop thread and datapath threads may
 * both count; a reader sees each counter exactly, not a snapshot of all.
 */
#ifndef HIKE_CORE_COUNTERS_H
#define HIKE_CORE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* X(ID, "name", "what it counts") -- names are dotted, stable (they are
 * the JSON keys of hikectl and what tests grep for). */
#define COUNTERS_LIST(X) \
	X(DROP_IKE_MALFORMED,  "drop.ike.malformed",   "IKE datagram failed to decode") \
	X(DROP_IKE_NO_SA,      "drop.ike.no_sa",       "IKE message for an unknown SPI") \
	X(DROP_IKE_BAD_MSGID,  "drop.ike.bad_msgid",   "message ID outside the window") \
	X(DROP_IKE_ICV,        "drop.ike.icv",         "SK payload integrity check failed") \
	X(DROP_IKE_RULES,      "drop.ike.rules",       "payloads not allowed for the exchange") \
	X(DROP_IKE_COOKIE,     "drop.ike.cookie",      "missing or wrong COOKIE under load") \
	X(DROP_IKE_HALF_OPEN,  "drop.ike.half_open",   "half-open SA limit reached") \
	X(DROP_IKE_BUSY,       "drop.ike.busy",        "worker queue full") \
	X(DROP_IKE_FRAGMENT,   "drop.ike.fragment",    "bad or excess IKE fragment") \
	X(DROP_IKE_NOT_ACTIVE, "drop.ike.not_active",  "IKE message reached a standby") \
	X(DROP_ESP_MALFORMED,  "drop.esp.malformed",   "ESP packet too short or bad padding") \
	X(DROP_ESP_NO_SA,      "drop.esp.no_sa",       "ESP packet for an unknown SPI") \
	X(DROP_ESP_REPLAY,     "drop.esp.replay",      "ESP sequence number replayed or too old") \
	X(DROP_ESP_ICV,        "drop.esp.icv",         "ESP integrity check failed") \
	X(DROP_ESP_TS,         "drop.esp.ts",          "inner packet outside the Child SA selectors") \
	X(DROP_ESP_NO_POLICY,  "drop.esp.no_policy",   "outbound packet matched no Child SA") \
	X(DROP_ESP_SEQ_EXHAUSTED, "drop.esp.seq_exhausted", "outbound sequence number space used up") \
	X(DROP_ESP_SEQ_UNSYNCED, "drop.esp.seq_unsynced", "outbound counter at its replicated limit") \
	X(IKE_SA_INIT_RECEIVED, "ike.sa_init.received", "IKE_SA_INIT requests received") \
	X(IKE_SA_ESTABLISHED,  "ike.sa.established",   "IKE SAs established") \
	X(IKE_SA_DELETED,      "ike.sa.deleted",       "IKE SAs deleted") \
	X(IKE_SA_REKEYED,      "ike.sa.rekeyed",       "IKE SAs rekeyed") \
	X(IKE_AUTH_FAILED,     "ike.auth.failed",      "IKE_AUTH with a wrong AUTH or ID") \
	X(IKE_NO_PROPOSAL,     "ike.no_proposal",      "NO_PROPOSAL_CHOSEN answered") \
	X(IKE_INVALID_KE,      "ike.invalid_ke",       "INVALID_KE_PAYLOAD answered") \
	X(IKE_RETRANSMIT_ANSWERED, "ike.retransmit.answered", "retransmits answered from cache") \
	X(IKE_DPD_TIMEOUT,     "ike.dpd.timeout",      "peers declared dead") \
	X(IKE_INITIAL_CONTACT, "ike.initial_contact.deleted", "IKE SAs forgotten on a peer's INITIAL_CONTACT") \
	X(HALF_OPEN_COOKIE,    "ike.cookie.sent",      "COOKIE notifies sent") \
	X(CHILD_SA_ESTABLISHED, "child.sa.established", "Child SAs established") \
	X(CHILD_SA_REKEYED,    "child.sa.rekeyed",     "Child SAs rekeyed") \
	X(CHILD_SA_DELETED,    "child.sa.deleted",     "Child SAs deleted") \
	X(CONF_RELOADED,       "conf.reloaded",        "configuration reloads that succeeded") \
	X(CONF_RELOAD_FAILED,  "conf.reload_failed",   "configuration reloads rejected") \
	X(SYNC_SENT,           "sync.sent",            "replication messages sent") \
	X(SYNC_RECEIVED,       "sync.received",        "replication messages received") \
	X(SYNC_TAKEOVER,       "sync.takeover",        "takeovers performed")

enum counter_id {
#define COUNTERS_ENUM(id, name, help) CNT_##id,
	COUNTERS_LIST(COUNTERS_ENUM)
#undef COUNTERS_ENUM
	CNT__MAX
};

struct counters;

struct counters *counters_new(void);
void counters_free(struct counters *c);		/* NULL is a no-op */

/* c may be NULL (tests without counters): then nothing happens. */
void counters_inc(struct counters *c, enum counter_id id);
void counters_add(struct counters *c, enum counter_id id, uint64_t n);
uint64_t counters_get(const struct counters *c, enum counter_id id);
void counters_reset(struct counters *c);

/* Name and help text of a counter; "?" when out of range. */
const char *counters_name(enum counter_id id);
const char *counters_help(enum counter_id id);
/* CNT__MAX when no counter has that name. */
enum counter_id counters_by_name(const char *name);

/* Call fn for every counter in enum order; stops early when fn returns
 * non-zero and returns that value. */
int counters_each(const struct counters *c,
		  int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx);

#endif
