/* ESP anti-replay window; see replay.h. */
#include <errno.h>
#include <string.h>

#include "esp/replay.h"

static inline uint64_t *rp_block(struct esp_replay *rp, uint64_t seq)
{
	return &rp->rp_bits[(seq >> 6) % rp->rp_nblocks];
}

static inline uint64_t rp_mask(uint64_t seq)
{
	return UINT64_C(1) << (seq & 63);
}

int esp_replay_init(struct esp_replay *rp, uint32_t size, bool esn,
		    uint64_t start)
{
	if (size == 0 || size > ESP_REPLAY_MAX)
		return -EINVAL;
	if (!esn && start > UINT32_MAX)
		return -EINVAL;
	memset(rp, 0, sizeof(*rp));
	rp->rp_size = size;
	rp->rp_nblocks = (size + 63) / 64 + 1;
	rp->rp_esn = esn;
	rp->rp_top = start;
	if (start == 0)
		return 0;
	/* Everything at or below the synced value counts as received:
	 * we cannot know which of those the old active saw. */
	memset(rp->rp_bits, 0xff, sizeof(rp->rp_bits));
	if ((start & 63) != 63)
		*rp_block(rp, start) = (rp_mask(start) << 1) - 1;
	return 0;
}

/*
 * RFC 4303 A2.1: with T = top, W = window, Tl/Th its halves and
 * B = Tl - W + 1 the bottom of the window (mod 2^32):
 *   case A (Tl >= W - 1, window inside one subspace):
 *     Seql >= B ? Th : Th + 1
 *   case B (window straddles a 2^32 boundary):
 *     Seql >= B ? Th - 1 : Th
 */
static int rp_infer(const struct esp_replay *rp, uint32_t seq_lo,
		    uint64_t *seq)
{
	uint32_t tl = (uint32_t)rp->rp_top;
	uint32_t th = (uint32_t)(rp->rp_top >> 32);
	uint32_t bottom = tl - (rp->rp_size - 1);
	uint32_t sh;

	if (tl >= rp->rp_size - 1) {
		if (seq_lo >= bottom) {
			sh = th;
		} else {
			if (th == UINT32_MAX)
				return -EINVAL;	/* would pass 2^64 */
			sh = th + 1;
		}
	} else {
		if (seq_lo >= bottom) {
			if (th == 0)
				return -ESTALE;	/* before the first packet */
			sh = th - 1;
		} else {
			sh = th;
		}
	}
	*seq = (uint64_t)sh << 32 | seq_lo;
	return 0;
}

int esp_replay_check(const struct esp_replay *rp, uint32_t seq_lo,
		     uint64_t *seq)
{
	uint64_t s = seq_lo;
	int rc;

	if (rp->rp_esn) {
		rc = rp_infer(rp, seq_lo, &s);
		if (rc)
			return rc;
	}
	*seq = s;
	if (s == 0)
		return -EINVAL;
	if (s > rp->rp_top)
		return 0;
	if (rp->rp_top - s >= rp->rp_size)
		return -ESTALE;
	if (rp->rp_bits[(s >> 6) % rp->rp_nblocks] & rp_mask(s))
		return -EALREADY;
	return 0;
}

void esp_replay_update(struct esp_replay *rp, uint64_t seq)
{
	if (seq > rp->rp_top) {
		uint64_t ob = rp->rp_top >> 6, nb = seq >> 6;

		if (nb - ob >= rp->rp_nblocks) {
			memset(rp->rp_bits, 0, sizeof(rp->rp_bits));
		} else {
			for (uint64_t b = ob + 1; b <= nb; b++)
				rp->rp_bits[b % rp->rp_nblocks] = 0;
		}
		rp->rp_top = seq;
	} else if (rp->rp_top - seq >= rp->rp_size) {
		/* Slid out since the check (another packet of the same
		 * batch moved the window): its block now holds newer
		 * numbers, so setting the bit would corrupt them. */
		return;
	}
	*rp_block(rp, seq) |= rp_mask(seq);
}
