/*
 * ESP anti-replay window (RFC 4303 3.4.3) with Extended Sequence Numbers
 * (RFC 4303 appendix A2: the high 32 bits are never sent, the receiver
 * infers them from the low 32 bits and its window).
 *
 * Two phases, because a forged packet must not move the window: the
 * caller runs esp_replay_check() before verifying the ICV (cheap drop of
 * replays) and esp_replay_update() only once the ICV verified.
 *
 * The bitmap is a ring of 64-bit blocks indexed by sequence number (the
 * layout of RFC 6479): advancing the window clears whole blocks instead
 * of shifting bits, so the cost per packet does not grow with the window.
 */
#ifndef HIKE_ESP_REPLAY_H
#define HIKE_ESP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define ESP_REPLAY_MAX		4096	/* largest window, in packets */
#define ESP_REPLAY_DEFAULT	1024
/* One spare block: the window can slide inside the ring without the
 * block holding the oldest still-valid numbers being cleared. */
#define ESP_REPLAY_BLOCKS	(ESP_REPLAY_MAX / 64 + 1)

struct esp_replay {
	uint64_t rp_top;	/* highest authenticated sequence number */
	uint32_t rp_size;	/* window size W, packets */
	uint32_t rp_nblocks;	/* ring blocks in use */
	bool rp_esn;
	uint64_t rp_bits[ESP_REPLAY_BLOCKS];
};

/*
 * Start a window of size packets (1 .. ESP_REPLAY_MAX) whose highest
 * received number is start.  start 0 is a fresh SA.  A window restarted
 * at a synced value (cluster takeover) treats every number <= start as
 * already received: packets between the last sync and the takeover are
 * then dropped, which is the price of never accepting a replay.
 * 0 or -EINVAL.
 */
int esp_replay_init(struct esp_replay *rp, uint32_t size, bool esn,
		    uint64_t start);

/*
 * Phase 1: may seq_lo (the 32 bits on the wire) be accepted?  Writes the
 * full 64-bit number (ESN high bits inferred per RFC 4303 A2.1) to *seq,
 * which the caller feeds into the ICV and then to esp_replay_update().
 * 0; -EALREADY for a duplicate; -ESTALE when left of the window; -EINVAL
 * for sequence number 0 (never sent, RFC 4303 3.3.3) or a number that
 * would lie before the first subspace.
 */
int esp_replay_check(const struct esp_replay *rp, uint32_t seq_lo,
		     uint64_t *seq);

/* Phase 2, after the ICV verified: mark seq received, sliding the window
 * if it is the new highest. */
void esp_replay_update(struct esp_replay *rp, uint64_t seq);

static inline uint64_t esp_replay_top(const struct esp_replay *rp)
{
	return rp->rp_top;
}

#endif
