/*
 * libFuzzer target for the configuration parser (node/conf): any bytes
 * as a YAML file.  The parser must return a conf or NULL with a non-empty
 * error text, never crash, leak or read past the input; a conf it returns
 * must hold its own invariants (counts within the arrays).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_conf_check(const struct conf *c)
{
	if (c->nconns > CONF_MAX_CONNS || c->ike.nlisten > CONF_MAX_ADDRS ||
	    c->sync.nvips > CONF_MAX_VIPS)
		abort();
	for (size_t i = 0; i < c->nconns; i++) {
		const struct conf_conn *cc = &c->conns[i];

		if (cc->nike_props == 0 || cc->nike_props > CONF_MAX_PROPOSALS ||
		    cc->nesp_props == 0 || cc->nesp_props > CONF_MAX_PROPOSALS ||
		    cc->nlocal_ts > CONF_MAX_TS || cc->nremote_ts > CONF_MAX_TS ||
		    cc->npools > CONF_MAX_POOLS || cc->ncacerts > CONF_MAX_CA ||
		    cc->psk_len > sizeof(cc->psk) || cc->local_id.len > CONF_MAX_ID ||
		    cc->ike_rekey_s >= cc->ike_lifetime_s ||
		    cc->child_rekey_s >= cc->child_lifetime_s)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char err[4096];
	char *yaml;
	struct conf *c;

	if (size > 64 * 1024)
		return 0;
	yaml = malloc(size + 1);
	if (!yaml)
		return 0;
	memcpy(yaml, data, size);
	yaml[size] = '\0';
	c = conf_load_string("fuzz.yaml", yaml, err, sizeof(err));
	if (c)
		fuzz_conf_check(c);
	else if (!err[0])
		abort();	/* a rejection always says why */
	conf_free(c);
	free(yaml);
	return 0;
}
