/* Helpers shared by the files of node/esp/ only. */
#ifndef HIKE_ESP_SA_INTERNAL_H
#define HIKE_ESP_SA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "esp/esp.h"

/* Count one packet (inner bytes) and raise soft/hard/sync events. */
void esp_sa_account(struct esp_sa *sa, bool out, size_t bytes);

#endif
