/* A provider's dispatch table for one algorithm; see esp_prov.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "esp/esp_prov.h"

/* The first of an entry's names ("A:B:OID") into first[]; false when
 * there is none or it is too long. */
static bool ep_first(const char *names, char first[64])
{
	size_t n = strcspn(names, ":");

	if (n == 0 || n >= 64)
		return false;
	memcpy(first, names, n);
	first[n] = '\0';
	return true;
}

static const OSSL_ALGORITHM *ep_scan(const OSSL_ALGORITHM *algs,
				     const char *name, esp_prov_is_fn is,
				     const void *obj)
{
	char first[64];

	for (const OSSL_ALGORITHM *a = algs; a && a->algorithm_names; a++) {
		if (!ep_first(a->algorithm_names, first))
			continue;
		if (name ? strcasecmp(first, name) == 0 : is(obj, first))
			return a;
	}
	return NULL;
}

int esp_prov_find(const OSSL_PROVIDER *prov, int op, const char *name,
		  esp_prov_is_fn is, const void *obj, esp_prov_take_fn take,
		  void *arg)
{
	const OSSL_ALGORITHM *algs, *a;
	int no_store = 0;

	if (!prov)
		return -ENOSYS;
	algs = OSSL_PROVIDER_query_operation(prov, op, &no_store);
	a = ep_scan(algs, name, is, obj);	/* by the name: cheap */
	if (!a)
		a = ep_scan(algs, NULL, is, obj);	/* by any alias */
	if (a)
		take(arg, a->implementation);
	if (algs)
		OSSL_PROVIDER_unquery_operation(prov, op, algs);
	return a ? 0 : -ENOSYS;
}
