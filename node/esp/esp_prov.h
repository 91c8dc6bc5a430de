/*
 * The dispatch table a provider offers for one algorithm (internal to
 * node/esp/): esp_cipher.c and esp_hmac.c fetch an algorithm through EVP
 * once, then call that provider's own functions per packet.
 */
#ifndef HIKE_ESP_PROV_H
#define HIKE_ESP_PROV_H

#include <stdbool.h>

#include <openssl/core.h>
#include <openssl/provider.h>

/* is(obj, name): obj (an EVP_CIPHER, an EVP_MD, ...) has that name. */
typedef bool (*esp_prov_is_fn)(const void *obj, const char *name);
/* take(arg, d): copy what is needed out of d (valid during the call). */
typedef void (*esp_prov_take_fn)(void *arg, const OSSL_DISPATCH *d);

/* Finds, among prov's implementations of operation op (OSSL_OP_CIPHER,
 * OSSL_OP_DIGEST), the one whose first name obj has, and hands its
 * dispatch table to take.  name (what obj was fetched by) is tried
 * against the first names first: asking is() of every entry costs a
 * name-map lookup each (~10 us for a whole table, per SA).  0, or
 * -ENOSYS when there is none. */
int esp_prov_find(const OSSL_PROVIDER *prov, int op, const char *name,
		  esp_prov_is_fn is, const void *obj, esp_prov_take_fn take,
		  void *arg);

#endif
