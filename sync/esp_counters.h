/*
 * Lazy replication of ESP sequence counters (DESIGN.md "ESP counters",
 * RFC 6311 section 5.2), built so that the takeover jump is *proved*
 * sufficient rather than estimated.
 *
 * Reservations.  The active never replicates "what I have sent"; it
 * replicates an outbound *reservation* R per Child SA and its datapath
 * may only send sequence numbers up to the last reservation whose record
 * came back through the agreed-order transport (the confirmed limit L):
 *
 *   invariant  sent <= L <= R_standby
 *
 * L is raised only in the self-delivery callback of the record carrying
 * R, and a standby has every record the active saw delivered (DESIGN.md
 * "replicate before reply"), so R_standby >= L >= anything ever sent.
 * The new active therefore starts at R_standby (next packet R_standby +
 * 1): no sequence number is sent twice, which is also what keeps the
 * AES-GCM / ChaCha20-Poly1305 (key, nonce) pairs unique, since the
 * explicit IV is the 64-bit sequence number (esp.h, like Linux seqiv).
 *
 * Window W = conf sync.counter_packets.  A new Child SA is reserved
 * [0, 2W] before its record is submitted (it reaches the datapath only on
 * commit, i.e. after self-delivery, so L = R from the start).  Whenever
 * the datapath reports a counter (ESP_EV_SYNC every W packets, or the
 * counter_ms tick) with less than W numbers left, R = out + 2W is
 * submitted; the datapath then has W packets' worth of time for the
 * record to come back before it would stall at L.  Inbound "highest" is
 * lazy (it only narrows the replay window of the new active, RFC 4303
 * 3.4.3) and rides along in the same records.
 *
 * The datapath enforcement (hooks->set_limit) is what turns the estimate
 * into a proof; docs/cluster.md has the whole argument and what holds
 * without it.
 */
#ifndef HIKE_SYNC_ESP_COUNTERS_H
#define HIKE_SYNC_ESP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hike_sync.pb-c.h"

struct hike;
struct child_sa;
struct esp_counters;

#define ESP_COUNTERS_DEFAULT_W	1024	/* packets, conf counter_packets = 0 */

/*
 * Graceful switchover (docs/cluster.md "Switchover, step by step").  The
 * old active keeps forwarding while the successor gets ready, but only up
 * to a final sequence number F = (current counter) + HEADROOM per Child
 * SA, which it reports exactly; the successor starts at F + 1.  Both may
 * send for a moment (until the neighbours follow the successor's
 * announcement), so the peer can receive the old active's last packets
 * after the successor's first ones: they differ by at most HEADROOM plus
 * the successor's packets in that moment, which must stay inside the
 * peer's replay window (32 at least, RFC 4303 3.4.3; strongSwan's
 * libipsec 128, Linux' default 32).  An SA that carries more than
 * HEADROOM packets during the hand-over loses the rest on the old active.
 */
#define ESP_COUNTERS_HANDOVER_HEADROOM	16

/* The datapath seam (the userspace esp/ datapath or xfrm). */
struct esp_counters_hooks {
	/* Live counters of the Child SA with inbound SPI spi_in. */
	int (*read)(void *ctx, uint32_t spi_in, uint64_t *out_seq,
		    uint64_t *in_highest);
	/* The datapath may send sequence numbers up to limit on it. */
	void (*set_limit)(void *ctx, uint32_t spi_in, uint64_t limit);
	void *ctx;
	/* Standby: the active says it announced the virtual IPs
	 * (EspCounters.vips_announced).  May be NULL. */
	void (*vips_announced)(void *ctx, uint32_t from);
};

struct esp_counters_stats {
	uint64_t reports, records_sent, counters_sent, confirmed;
	uint64_t applied, unknown_spi;
	/* graceful switchover: SAs stopped at a final value (old active),
	 * final values held for this node (standby), SAs taken over at the
	 * final value (new active: no jump) */
	uint64_t finals_sent, finals_held, takeovers_exact;
};

/* hooks may be NULL. */
struct esp_counters *esp_counters_new(struct hike *h,
				      const struct esp_counters_hooks *hooks);
void esp_counters_free(struct esp_counters *ec);	/* NULL is a no-op */
const struct esp_counters_stats *esp_counters_stats(const struct esp_counters *ec);

/* W of h's configuration. */
uint64_t esp_counters_window(struct hike *h);

/* A staged Child SA: reserve [csa_seq_out, csa_seq_out + 2W]. */
void esp_counters_reserve_new(struct hike *h, struct child_sa *c);

/* Takeover: c starts at esp_counters_takeover_out() (set by the
 * caller in csa_seq_out); reserve 2W beyond it, limit = csa_seq_out until
 * the reservation is confirmed, and queue it for the next flush. */
int esp_counters_reserve_takeover(struct esp_counters *ec, struct child_sa *c);

/* Active: the datapath reports a Child SA's counters.  Queues a new
 * reservation when less than W numbers are left (flushed at once). */
int esp_counters_note(struct esp_counters *ec, uint32_t spi_in,
		      uint64_t out_seq, uint64_t in_highest);
/* Active, every counter_ms: read every Child SA through hooks->read,
 * note it, and send what is pending in one EspCounters record. */
int esp_counters_tick(struct esp_counters *ec);
/* Send what is pending.  0 or -errno. */
int esp_counters_flush(struct esp_counters *ec);

/* Standby: store the counters of a validated record (never backwards). */
int esp_counters_apply(struct esp_counters *ec, const HikeSync__EspCounters *r);

/* Takeover: the last sequence number to count as sent on c (the new
 * active sends from the value + 1), i.e. the replicated reservation.
 * esp_counters_reserve_takeover() lowers it to the old active's final
 * value where one is held for this node (graceful switchover). */
uint64_t esp_counters_takeover_out(const struct child_sa *c);

/*
 * Graceful switchover, old active (docs/cluster.md).  Freeze: every
 * Child SA in the datapath gets its final value F = out + HEADROOM
 * (never above the confirmed limit) as its datapath limit, and no
 * reservation raises a limit any more; then one or more EspCounters
 * records carry, per SA, F (out_final), a reservation S = max(own
 * reservation, F + 2W) (out_seq) and successor.  Every member raises its
 * reservation to S; the successor alone remembers F and, if it is the
 * next to take over, starts at F + 1 with S as its confirmed limit.
 * Nothing is sent past F by anyone before that.
 *
 * Returns the number of records submitted (done(arg, status) runs once,
 * after the last one came back), 0 when there is no SA (done is not
 * called), or -errno (frozen nonetheless: call _abort).
 */
int esp_counters_handover_begin(struct esp_counters *ec, uint32_t successor,
				void (*done)(void *arg, int status), void *arg);
/* Still active (the switchover did not happen): lift the freeze.  New
 * (non-final) reservations go out first, which make every member forget
 * the final values, and the limits rise when they come back. */
int esp_counters_handover_abort(struct esp_counters *ec);
/* No longer active: forget the freeze (the SAs leave the datapath). */
void esp_counters_handover_end(struct esp_counters *ec);
bool esp_counters_frozen(const struct esp_counters *ec);
/* New active, after the takeover: forget the final values held. */
void esp_counters_handover_forget(struct esp_counters *ec);
/* New active: tell the others that the virtual IPs are announced. */
int esp_counters_vips_announced(struct esp_counters *ec);

#endif
