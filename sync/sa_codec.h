/*
 * struct ike_sa / struct child_sa / struct sa_update <-> hike_sync
 * Records (proto/hike_sync.proto), both directions.
 *
 * Encoding happens on the active at submit time (repl_submit), before the
 * update is applied: the IKE SA record describes the SA *as it will be*
 * once the update is committed (state, flags, message-ID window, cached
 * response), so a standby that applies the records in order ends up with
 * the same SA as the active after its commit.
 *
 * Decoding is the standby's side: sync_record_validate() has checked
 * presence and sizes; the decoders here check everything that needs the
 * SA layer's knowledge (key lengths against the suite, the connection
 * name against the configuration, the lease against its pool, states)
 * and fill a caller-provided struct, which the caller copies into the
 * tables only when decoding succeeded (commit on success).
 *
 * Identity: an IKE SA is named cluster-wide by *our* SPI (ike_id), which
 * is the key of h->ike_sas on every node; ike_id == spi_i means we were
 * the original initiator (an IKE rekey we started, RFC 7296 2.18).  A
 * Child SA is named by its inbound SPI.
 *
 * Times: the SA layer keeps absolute deadlines on the node's own clock
 * (sa_now_ms()); records carry wall-clock seconds (the nodes' clocks are
 * NTP-synchronised), converted on both sides.
 */
#ifndef HIKE_SYNC_SA_CODEC_H
#define HIKE_SYNC_SA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hike_sync.pb-c.h"
#include "sa/repl.h"
#include "sa/sa.h"

/* Serialized records of one update, in the order a standby applies them. */
struct sa_rec {
	uint8_t *buf;
	size_t len;
};

struct sa_recs {
	struct sa_rec *v;
	size_t n, cap;
};

/* Records are freed with their contents wiped (they carry keys). */
void sa_recs_free(struct sa_recs *r);

/* Our SPI: the cluster-wide name of an IKE SA. */
uint64_t sa_codec_ike_id(const struct ike_sa *sa);

/*
 * The records of update u, before it is applied:
 *   - the IKE SA whole (IkeSaAdd, an upsert) with its message-ID window
 *     not yet moved, unless only the window / state / addresses change;
 *   - Child SA deletes, then Child SA adds (a rekey as ChildSaRekey);
 *   - an IKE rekey's successor (whole) and the Child SAs it inherits;
 *   - last IkeSaDelete, or the IkeSaUpdate moving the window (with the
 *     response bytes and the new state),
 * so a record prefix never holds a moved message-ID window without the
 * SAs that answer created.  (sa_sync.c submits the records of one update
 * as one group, sync_submitv(), which rides in one envelope: standbys get
 * all of them or none.)  A half-open SA (IKE_SA_INIT) yields no records,
 * nor does an update that leaves it half-open or deletes it: a standby
 * could not finish its IKE_AUTH (RFC 7296 2.15 needs Ni, Nr and both
 * IKE_SA_INIT messages, which are not replicated), so the peer simply
 * starts over.  The update that establishes a half-open SA (IKE_AUTH) is
 * the standbys' first sight of it: one IkeSaAdd with the moved window
 * and the IKE_AUTH answer (not the IKE_SA_INIT one), then its Child SAs;
 * no IkeSaUpdate.
 * 0 (possibly with out->n == 0) or -errno.
 */
int sa_codec_update(struct hike *h, const struct sa_update *u,
		    struct sa_recs *out);

/* One whole IKE SA (IkeSaAdd) / Child SA (ChildSaAdd, or ChildSaRekey
 * when old_spi_in != 0) as it stands: snapshots and tests. */
int sa_codec_ike_add(struct hike *h, const struct ike_sa *sa,
		     struct sa_recs *out);
int sa_codec_child_add(struct hike *h, const struct child_sa *c,
		       uint64_t ike_id, uint32_t old_spi_in,
		       struct sa_recs *out);
/* EspCounters for n SAs: spi_in[i], out_seq[i], in_highest[i], and for
 * a graceful hand-over out_final[i] and the successor. */
struct sa_counters {
	const uint32_t *spi_in;
	const uint64_t *out_seq, *in_highest;
	const uint64_t *out_final;	/* NULL: none */
	uint32_t successor;		/* 0: none */
	size_t n;
};
int sa_codec_counters(const struct sa_counters *k, struct sa_recs *out);

/*
 * Decoders (standby).  out is zeroed and filled; on success the caller
 * owns out->sa_resp (ike_pkts_free) and out's keys (wipe).  The lease,
 * when the record has one, is returned in out->sa_lease_pool/sa_lease
 * but not marked in the pool.  0, -EINVAL (inconsistent record),
 * -ENOENT (unknown connection), -ENOMEM.
 */
int sa_codec_ike_decode(struct hike *h, const HikeSync__IkeSaState *s,
			struct ike_sa *out);
int sa_codec_child_decode(struct hike *h, const HikeSync__ChildSaState *s,
			  struct child_sa *out);

/* Parts of an IkeSaUpdate: the window (out->sa_peer_next, sa_our_next,
 * sa_resp) and an endpoint. */
int sa_codec_window_decode(const HikeSync__MsgIdState *m,
			   const HikeSync__CachedResponse *r,
			   struct ike_sa *out);
int sa_codec_endpoint_decode(const HikeSync__Endpoint *ep,
			     struct sockaddr_storage *out);

/* Time conversions between the node clock and wall-clock seconds. */
uint64_t sa_codec_ms_to_wall(struct hike *h, uint64_t ms);
uint64_t sa_codec_wall_to_ms(struct hike *h, uint64_t wall_s);

#endif
