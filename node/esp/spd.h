/*
 * The datapath's SA tables: inbound by SPI, outbound by the inner
 * packet's selectors (the SPD of RFC 4301 4.4.1, reduced to what a
 * responder installs: one policy per Child SA and TS pair).
 *
 * The tables index SAs; they do not own them (esp_dp does).
 */
#ifndef HIKE_ESP_SPD_H
#define HIKE_ESP_SPD_H

#include <stddef.h>
#include <stdint.h>

#include "esp/esp.h"
#include "esp/flow.h"

struct esp_spd;

int esp_spd_new(struct esp_spd **out);
void esp_spd_free(struct esp_spd *spd);	/* leaves the SAs alone */

/* Index sa by sa_spi_in and by every (local TS, remote TS) pair.
 * 0, -EEXIST (SPI in use), -ENOMEM. */
int esp_spd_add(struct esp_spd *spd, struct esp_sa *sa);
/* Remove an indexed SA (no-op if it is not). */
void esp_spd_del(struct esp_spd *spd, struct esp_sa *sa);

/* O(1): the SA whose inbound SPI is spi, or NULL. */
struct esp_sa *esp_spd_by_spi(const struct esp_spd *spd, uint32_t spi);

/* The SA that protects an outbound packet: src inside a local TS, dst
 * inside a remote TS, most specific first, the newest SA on ties (so a
 * rekeyed Child SA takes over from the old one as soon as it is added).
 * Expired SAs are skipped.  NULL when no policy covers it. */
struct esp_sa *esp_spd_out(const struct esp_spd *spd,
			   const struct esp_flow *fl);

size_t esp_spd_count(const struct esp_spd *spd);

/* Visit every SA (order unspecified); cb must not add or remove. */
void esp_spd_foreach(const struct esp_spd *spd,
		     void (*cb)(void *arg, struct esp_sa *sa), void *arg);

#endif
