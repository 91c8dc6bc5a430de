/* ESP SA lifecycle, limits and cluster counters; see esp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hike/ikev2.h"
#include "esp/esp.h"
#include "esp/esp_crypto.h"
#include "esp/sa_internal.h"

static const char *const esp_drop_names[ESP_DROP_MAX] = {
	[ESP_DROP_NONE] = "none",
	[ESP_DROP_SHORT] = "short",
	[ESP_DROP_SPI] = "unknown-spi",
	[ESP_DROP_SEQ] = "bad-seq",
	[ESP_DROP_REPLAY] = "replay",
	[ESP_DROP_STALE] = "stale",
	[ESP_DROP_ICV] = "icv",
	[ESP_DROP_PAD] = "padding",
	[ESP_DROP_PROTO] = "next-header",
	[ESP_DROP_DUMMY] = "dummy",
	[ESP_DROP_TS] = "ts-mismatch",
	[ESP_DROP_EXPIRED] = "expired",
	[ESP_DROP_SEQ_EXHAUSTED] = "seq-exhausted",
	[ESP_DROP_NOSPACE] = "no-space",
	[ESP_DROP_CRYPTO] = "crypto",
	[ESP_DROP_NOPOLICY] = "no-policy",
	[ESP_DROP_SEQ_LIMIT] = "seq-unsynced",
	[ESP_DROP_OFFLOAD] = "offload",
};

const char *esp_drop_name(unsigned v)
{
	return v < ESP_DROP_MAX ? esp_drop_names[v] : "unknown";
}

int esp_suite_check(uint16_t encr, uint16_t keylen, uint16_t integ)
{
	struct esp_alg a;

	return esp_alg_get(encr, keylen, integ, &a);
}

/* Soft event when 15/16 of the sequence space is used: leaves a rekey
 * (and any takeover jump, which must stay far below 1/16 of the space)
 * plenty of room before the counter runs out. */
static uint64_t esp_seq_soft(bool esn)
{
	uint64_t max = esn ? UINT64_MAX : UINT32_MAX;

	return max - (max >> 4);
}

static int esp_ts_check(const struct esp_ts *ts, size_t n)
{
	if (n == 0 || n > ESP_MAX_TS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t alen = ts[i].ts_family == AF_INET ? 4 : 16;

		if (ts[i].ts_family != AF_INET && ts[i].ts_family != AF_INET6)
			return -EINVAL;
		if (memcmp(ts[i].ts_start, ts[i].ts_end, alen) > 0 ||
		    ts[i].ts_port_lo > ts[i].ts_port_hi)
			return -EINVAL;
	}
	return 0;
}

static void esp_sa_copy(struct esp_sa *sa, const struct esp_sa_params *p)
{
	sa->sa_spi_in = p->spi_in;
	sa->sa_spi_out = p->spi_out;
	sa->sa_encr = p->encr;
	sa->sa_encr_keylen = p->encr_keylen;
	sa->sa_integ = p->integ;
	sa->sa_esn = p->esn;
	sa->sa_mode = p->mode;
	sa->sa_encap = p->encap;
	sa->sa_local = p->local;
	sa->sa_remote = p->remote;
	sa->sa_nlocal_ts = p->nlocal_ts;
	sa->sa_nremote_ts = p->nremote_ts;
	memcpy(sa->sa_local_ts, p->local_ts, sizeof(p->local_ts));
	memcpy(sa->sa_remote_ts, p->remote_ts, sizeof(p->remote_ts));
	sa->sa_seq_out = p->seq_out;
	sa->sa_seq_limit = p->seq_limit ? p->seq_limit : UINT64_MAX;
	sa->sa_seq_soft = esp_seq_soft(p->esn);
	sa->sa_soft = p->soft;
	sa->sa_hard = p->hard;
	sa->sa_sync_every = p->sync_every;
	sa->sa_cb = p->cb;
	sa->sa_cb_arg = p->cb_arg;
	sa->sa_owner_id = p->owner_id;
}

int esp_sa_new(const struct esp_sa_params *p, struct esp_sa **out)
{
	struct esp_sa *sa;
	int rc;

	*out = NULL;
	if (p->spi_in == 0 || p->spi_out == 0 ||	/* RFC 4303 2.1 */
	    (!p->esn && p->seq_out > UINT32_MAX) ||
	    esp_ts_check(p->local_ts, p->nlocal_ts) ||
	    esp_ts_check(p->remote_ts, p->nremote_ts))
		return -EINVAL;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	esp_sa_copy(sa, p);
	rc = esp_replay_init(&sa->sa_replay, p->replay_window ?
			     p->replay_window : ESP_REPLAY_DEFAULT, p->esn,
			     p->seq_in);
	if (rc == 0)
		rc = esp_crypto_new(p->encr, p->encr_keylen, p->integ, false,
				    p->ekey_in, p->ekey_len, p->akey_in,
				    p->akey_len, &sa->sa_in);
	if (rc == 0)
		rc = esp_crypto_new(p->encr, p->encr_keylen, p->integ, true,
				    p->ekey_out, p->ekey_len, p->akey_out,
				    p->akey_len, &sa->sa_out);
	if (rc) {
		esp_sa_free(sa);
		return rc;
	}
	*out = sa;
	return 0;
}

void esp_sa_free(struct esp_sa *sa)
{
	if (!sa)
		return;
	esp_crypto_free(sa->sa_in);
	esp_crypto_free(sa->sa_out);
	free(sa->sa_spd);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static void esp_sa_event(struct esp_sa *sa, enum esp_event ev)
{
	if (sa->sa_cb)
		sa->sa_cb(sa->sa_cb_arg, sa, ev);
}

static bool esp_limit_hit(const struct esp_limits *l, uint64_t packets,
			  uint64_t bytes)
{
	return (l->packets && packets >= l->packets) ||
	       (l->bytes && bytes >= l->bytes);
}

/* Count one packet of a direction and raise the events it crosses. */
void esp_sa_account(struct esp_sa *sa, bool out, size_t bytes)
{
	struct esp_stats *st = &sa->sa_st;
	uint64_t pk, by;

	if (out) {
		pk = ++st->out_packets;
		by = st->out_bytes += bytes;
	} else {
		pk = ++st->in_packets;
		by = st->in_bytes += bytes;
	}
	if (!sa->sa_soft_fired && (esp_limit_hit(&sa->sa_soft, pk, by) ||
				   sa->sa_seq_out >= sa->sa_seq_soft)) {
		sa->sa_soft_fired = true;
		esp_sa_event(sa, ESP_EV_SOFT);
	}
	if (!sa->sa_expired && esp_limit_hit(&sa->sa_hard, pk, by)) {
		sa->sa_expired = true;
		esp_sa_event(sa, ESP_EV_HARD);
	}
	if (sa->sa_sync_every && ++sa->sa_since_sync >= sa->sa_sync_every) {
		sa->sa_since_sync = 0;
		esp_sa_event(sa, ESP_EV_SYNC);
	}
}

void esp_sa_counters(const struct esp_sa *sa, uint64_t *out_seq,
		     uint64_t *in_highest)
{
	*out_seq = sa->sa_seq_out;
	*in_highest = esp_replay_top(&sa->sa_replay);
}

int esp_sa_jump(struct esp_sa *sa, uint64_t out_seq_min, uint64_t in_highest)
{
	uint64_t max = esp_sa_seq_max(sa);

	if (in_highest > max)
		return -EINVAL;
	if (out_seq_min > max)
		out_seq_min = max;	/* exhausted: refuse rather than wrap */
	if (out_seq_min > sa->sa_seq_out)
		sa->sa_seq_out = out_seq_min;
	if (in_highest > esp_replay_top(&sa->sa_replay))
		return esp_replay_init(&sa->sa_replay, sa->sa_replay.rp_size,
				       sa->sa_esn, in_highest);
	return 0;
}

void esp_sa_set_limit(struct esp_sa *sa, uint64_t limit)
{
	sa->sa_seq_limit = limit < sa->sa_seq_out ? sa->sa_seq_out : limit;
}
