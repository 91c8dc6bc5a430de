/* A provider's dispatch table for one algorithm; see esp_prov.h. */
#include <errno.h>
#include <string.h>

#include "esp/esp_prov.h"

/* True when obj has the first of an entry's names ("A:B:OID"). */
static bool ep_first_name(esp_prov_is_fn is, const void *obj,
			  const char *names)
{
	char first[64];
	size_t n = strcspn(names, ":");

	if (n == 0 || n >= sizeof(first))
		return false;
	memcpy(first, names, n);
	first[n] = '\0';
	return is(obj, first);
}

int esp_prov_find(const OSSL_PROVIDER *prov, int op, esp_prov_is_fn is,
		  const void *obj, esp_prov_take_fn take, void *arg)
{
	const OSSL_ALGORITHM *algs, *a;
	int no_store = 0, rc = -ENOSYS;

	if (!prov)
		return -ENOSYS;
	algs = OSSL_PROVIDER_query_operation(prov, op, &no_store);
	for (a = algs; a && a->algorithm_names; a++) {
		if (ep_first_name(is, obj, a->algorithm_names)) {
			take(arg, a->implementation);
			rc = 0;
			break;
		}
	}
	if (algs)
		OSSL_PROVIDER_unquery_operation(prov, op, algs);
	return rc;
}
