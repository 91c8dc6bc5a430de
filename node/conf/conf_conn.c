/*
 * One connection of the configuration: its keys, its defaults, and the
 * checks that need several keys at once (auth needs its secret, rekey
 * comes before lifetime, ...).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "conf/conf_value.h"
#include "hike/ikev2.h"

/* Used when a connection names none.  Group 5 (modp1536) is deliberately
 * absent: it is accepted only where an operator names it. */
static const char *const conf_default_ike[] = {
	"aes256gcm16-prfsha256-x25519",
	"aes256-sha256-modp2048",
	"chacha20poly1305-prfsha256-x25519",
};
static const char *const conf_default_esp[] = {
	"aes256gcm16",
	"aes256-sha256",
};

#define CFLD(f)		offsetof(struct conf_conn, f), sizeof(((struct conf_conn *)0)->f)
#define CK_STRF(n, f)	{ n, CK_STR, CFLD(f), 0, 0, NULL }
#define CK_BOOLF(n, f)	{ n, CK_BOOL, CFLD(f), 0, 0, NULL }
#define CK_NUMF(n, k, f, lo, hi) { n, k, CFLD(f), lo, hi, NULL }
#define CK_FNF(n, fn)	{ n, CK_FN, 0, 0, 0, 0, fn }

/* --- list items ---------------------------------------------------------- */

static int conn_addr_item(struct conf_parser *p, yaml_node_t *n, const char *s,
			  size_t idx, void *ctx, const char *what,
			  enum conf_net_kind kind, struct conf_net *arr, size_t *count)
{
	const char *why;

	(void)ctx;
	if (conf_parse_net(s, kind, &arr[idx], &why) < 0) {
		conf_error(p, n, NULL, "%s: '%s': %s", what, s, why);
		return -EINVAL;
	}
	*count = idx + 1;
	return 0;
}

static int conn_local_addr(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;

	return conn_addr_item(p, n, s, idx, ctx, "local_addrs", CONF_NET_ADDR,
			      cc->local_addrs, &cc->nlocal_addrs);
}

static int conn_remote_addr(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;

	return conn_addr_item(p, n, s, idx, ctx, "remote_addrs", CONF_NET_PREFIX,
			      cc->remote_addrs, &cc->nremote_addrs);
}

static int conn_dns(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;

	return conn_addr_item(p, n, s, idx, ctx, "dns", CONF_NET_ADDR, cc->dns, &cc->ndns);
}

static int conn_ts_item(struct conf_parser *p, yaml_node_t *n, const char *s,
			const char *what, struct conf_ts *ts)
{
	const char *why;

	if (conf_parse_ts(s, ts, &why) < 0) {
		conf_error(p, n, "e.g. 203.0.113.0/25 or 10.1.0.0/16[tcp/443]",
			   "%s: '%s': %s", what, s, why);
		return -EINVAL;
	}
	return 0;
}

static int conn_local_ts(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;

	cc->nlocal_ts = idx + 1;
	return conn_ts_item(p, n, s, "local_ts", &cc->local_ts[idx]);
}

static int conn_remote_ts(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;

	cc->nremote_ts = idx + 1;
	return conn_ts_item(p, n, s, "remote_ts", &cc->remote_ts[idx]);
}

static int conn_pool(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;
	const char *why;

	if (conf_parse_pool(s, &cc->pools[idx], &why) < 0) {
		conf_error(p, n, "e.g. 203.0.113.200-203.0.113.207 or 10.3.0.0/24",
			   "pools: '%s': %s", s, why);
		return -EINVAL;
	}
	cc->npools = idx + 1;
	return 0;
}

static int conn_cacert(struct conf_parser *p, yaml_node_t *n, const char *s, size_t idx, void *ctx)
{
	struct conf_conn *cc = ctx;

	if (strlen(s) >= CONF_PATH_MAX) {
		conf_error(p, n, NULL, "cacerts: path longer than %d", CONF_PATH_MAX - 1);
		return -EINVAL;
	}
	strcpy(cc->cacerts[idx], s);
	cc->ncacerts = idx + 1;
	return 0;
}

#define CONN_LIST(fname, what, max, item) \
	static int fname(struct conf_parser *p, yaml_node_t *n, void *obj) \
	{ \
		return conf_each_scalar(p, n, what, max, obj, item) ? -EINVAL : 0; \
	}
CONN_LIST(conn_local_addrs, "local_addrs", CONF_MAX_ADDRS, conn_local_addr)
CONN_LIST(conn_remote_addrs, "remote_addrs", CONF_MAX_ADDRS, conn_remote_addr)
CONN_LIST(conn_dnss, "dns", CONF_MAX_DNS, conn_dns)
CONN_LIST(conn_local_tss, "local_ts", CONF_MAX_TS, conn_local_ts)
CONN_LIST(conn_remote_tss, "remote_ts", CONF_MAX_TS, conn_remote_ts)
CONN_LIST(conn_pools, "pools", CONF_MAX_POOLS, conn_pool)
CONN_LIST(conn_cacerts, "cacerts", CONF_MAX_CA, conn_cacert)

/* --- proposals ---------------------------------------------------------- */

struct conn_props {
	const char *what;
	uint8_t proto;
	struct prop_conf *arr;
	size_t *count;
};

/* One list entry; strongSwan users also write several proposals in one
 * string separated by commas, so split on them. */
static int conn_prop_item(struct conf_parser *p, yaml_node_t *n, const char *s,
			  size_t idx, void *ctx)
{
	struct conn_props *cp = ctx;
	char tok[128], msg[160];
	const char *q = s;

	(void)idx;
	while (*q) {
		size_t len = strcspn(q, ",");

		if (len == 0 || len >= sizeof(tok)) {
			conf_error(p, n, NULL, "%s: empty or too long proposal in '%s'", cp->what, s);
			return -EINVAL;
		}
		memcpy(tok, q, len);
		tok[len] = '\0';
		q += len + (q[len] == ',');
		if (*cp->count >= CONF_MAX_PROPOSALS) {
			conf_error(p, n, NULL, "%s: at most %d proposals", cp->what, CONF_MAX_PROPOSALS);
			return -EINVAL;
		}
		msg[0] = '\0';
		if (prop_parse(tok, cp->proto, &cp->arr[*cp->count], msg, sizeof(msg)) < 0) {
			conf_error(p, n, NULL, "%s: '%s': %s", cp->what, tok,
				   msg[0] ? msg : "not a valid proposal");
			return -EINVAL;
		}
		(*cp->count)++;
	}
	return 0;
}

static int conn_ike_props(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf_conn *cc = obj;
	struct conn_props cp = { "ike_proposals", IKE_PROTO_IKE, cc->ike_props, &cc->nike_props };

	return conf_each_scalar(p, n, cp.what, CONF_MAX_PROPOSALS, &cp, conn_prop_item) ? -EINVAL : 0;
}

static int conn_esp_props(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf_conn *cc = obj;
	struct conn_props cp = { "esp_proposals", IKE_PROTO_ESP, cc->esp_props, &cc->nesp_props };

	return conf_each_scalar(p, n, cp.what, CONF_MAX_PROPOSALS, &cp, conn_prop_item) ? -EINVAL : 0;
}

static void conn_default_props(struct conf_parser *p, yaml_node_t *n, struct conf_conn *cc)
{
	struct conn_props ike = { "ike_proposals (default)", IKE_PROTO_IKE, cc->ike_props, &cc->nike_props };
	struct conn_props esp = { "esp_proposals (default)", IKE_PROTO_ESP, cc->esp_props, &cc->nesp_props };

	bool no_ike = cc->nike_props == 0, no_esp = cc->nesp_props == 0;

	for (size_t i = 0; no_ike && i < sizeof(conf_default_ike) / sizeof(conf_default_ike[0]); i++)
		conn_prop_item(p, n, conf_default_ike[i], i, &ike);
	for (size_t i = 0; no_esp && i < sizeof(conf_default_esp) / sizeof(conf_default_esp[0]); i++)
		conn_prop_item(p, n, conf_default_esp[i], i, &esp);
}

/* --- identities, auth, mode ----------------------------------------------- */

static int conn_id(struct conf_parser *p, yaml_node_t *n, const char *what, struct conf_id *id)
{
	const char *s = conf_scalar(p, n, what), *why;

	if (!s)
		return -EINVAL;
	if (conf_parse_id(s, id, &why) < 0) {
		conf_error(p, n, NULL, "%s: '%s': %s", what, s, why);
		return -EINVAL;
	}
	return 0;
}

static int conn_local_id(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	return conn_id(p, n, "local_id", &((struct conf_conn *)obj)->local_id);
}

static int conn_remote_id(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	return conn_id(p, n, "remote_id", &((struct conf_conn *)obj)->remote_id);
}

static int conn_auth_value(struct conf_parser *p, yaml_node_t *n, const char *what,
			   enum conf_auth *out)
{
	static const char *const names[] = { "psk", "pubkey" };
	const char *s = conf_scalar(p, n, what);

	if (!s)
		return -EINVAL;
	if (strcmp(s, "psk") == 0) {
		*out = CONF_AUTH_PSK;
	} else if (strcmp(s, "pubkey") == 0) {
		*out = CONF_AUTH_PUBKEY;
	} else {
		conf_bad_choice(p, n, what, s, names, 2);
		return -EINVAL;
	}
	return 0;
}

/* "auth" sets both sides, but never overrides a side set by its own key,
 * whatever order they come in. */
static int conn_auth(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf_conn *cc = obj;
	enum conf_auth a;

	if (conn_auth_value(p, n, "auth", &a) < 0)
		return -EINVAL;
	if (!cc->local_auth)
		cc->local_auth = a;
	if (!cc->remote_auth)
		cc->remote_auth = a;
	return 0;
}

static int conn_local_auth(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	return conn_auth_value(p, n, "local_auth", &((struct conf_conn *)obj)->local_auth);
}

static int conn_remote_auth(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	return conn_auth_value(p, n, "remote_auth", &((struct conf_conn *)obj)->remote_auth);
}

static int conn_psk(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf_conn *cc = obj;
	const char *s = conf_scalar(p, n, "psk"), *why;

	if (!s)
		return -EINVAL;
	if (conf_parse_psk(s, cc->psk, sizeof(cc->psk), &cc->psk_len, &why) < 0) {
		/* never echo the secret */
		conf_error(p, n, NULL, "psk: %s", why);
		return -EINVAL;
	}
	return 0;
}

static int conn_mode(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	static const char *const names[] = { "tunnel", "transport" };
	struct conf_conn *cc = obj;
	const char *s = conf_scalar(p, n, "mode");

	if (!s)
		return -EINVAL;
	if (strcmp(s, "tunnel") == 0) {
		cc->mode = CONF_MODE_TUNNEL;
	} else if (strcmp(s, "transport") == 0) {
		cc->mode = CONF_MODE_TRANSPORT;
	} else {
		conf_bad_choice(p, n, "mode", s, names, 2);
		return -EINVAL;
	}
	return 0;
}

/* --- the table ------------------------------------------------------------ */

/* Indexes into conn_keys that conn_check asks "was it given?" about. */
enum {
	CONN_K_NAME, CONN_K_IKE_LIFETIME, CONN_K_IKE_REKEY,
	CONN_K_CHILD_LIFETIME, CONN_K_CHILD_REKEY,
};

static const struct conf_key conn_keys[] = {
	[CONN_K_NAME] = CK_STRF("name", name),
	[CONN_K_IKE_LIFETIME] = CK_NUMF("ike_lifetime", CK_DUR_S, ike_lifetime_s, 60, 30 * 86400),
	[CONN_K_IKE_REKEY] = CK_NUMF("ike_rekey", CK_DUR_S, ike_rekey_s, 30, 30 * 86400),
	[CONN_K_CHILD_LIFETIME] = CK_NUMF("child_lifetime", CK_DUR_S, child_lifetime_s, 60, 30 * 86400),
	[CONN_K_CHILD_REKEY] = CK_NUMF("child_rekey", CK_DUR_S, child_rekey_s, 30, 30 * 86400),
	CK_FNF("local_addrs", conn_local_addrs),
	CK_FNF("remote_addrs", conn_remote_addrs),
	CK_FNF("local_id", conn_local_id),
	CK_FNF("remote_id", conn_remote_id),
	CK_FNF("auth", conn_auth),
	CK_FNF("local_auth", conn_local_auth),
	CK_FNF("remote_auth", conn_remote_auth),
	CK_FNF("psk", conn_psk),
	CK_STRF("cert", cert),
	CK_STRF("key", key),
	CK_FNF("cacerts", conn_cacerts),
	CK_FNF("ike_proposals", conn_ike_props),
	CK_FNF("esp_proposals", conn_esp_props),
	CK_FNF("local_ts", conn_local_tss),
	CK_FNF("remote_ts", conn_remote_tss),
	CK_FNF("pools", conn_pools),
	CK_FNF("dns", conn_dnss),
	CK_FNF("mode", conn_mode),
	CK_NUMF("child_life_bytes", CK_SIZE, child_life_bytes, 0, UINT64_MAX),
	CK_NUMF("child_life_packets", CK_SIZE, child_life_packets, 0, UINT64_MAX),
	CK_NUMF("dpd_delay", CK_DUR_S, dpd_delay_s, 0, 86400),
	CK_BOOLF("fragmentation", fragmentation),
	CK_BOOLF("mobike", mobike),
};

static void conn_defaults(struct conf_conn *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->remote_id.any = true;
	cc->mode = CONF_MODE_TUNNEL;
	cc->ike_lifetime_s = 4 * 3600;
	cc->ike_rekey_s = 3 * 3600 + 30 * 60;
	cc->child_lifetime_s = 3600;
	cc->child_rekey_s = 50 * 60;
	cc->dpd_delay_s = 30;
	cc->fragmentation = true;
}

/* A rekey left at its default but not below a configured lifetime moves
 * to 7/8 of it; one given explicitly is the operator's mistake to see. */
static void conn_check_rekey(struct conf_parser *p, yaml_node_t *n, uint64_t seen,
			     unsigned k_life, unsigned k_rekey,
			     uint32_t life, uint32_t *rekey)
{
	if (*rekey < life)
		return;
	if (!(seen & (1ull << k_rekey))) {
		*rekey = life - life / 8;
		return;
	}
	conf_error(p, n, "rekey must come before the lifetime ends",
		   "%s %us is not below %s %us", conn_keys[k_rekey].name, *rekey,
		   conn_keys[k_life].name, life);
}

static void conn_check_file(struct conf_parser *p, yaml_node_t *n, const char *what,
			    const char *path)
{
	if (access(path, R_OK) < 0)
		conf_error(p, n, NULL, "%s: cannot read '%s': %s", what, path, strerror(errno));
}

static void conn_check_auth(struct conf_parser *p, yaml_node_t *n, struct conf_conn *cc)
{
	/* no auth key: what the secrets given imply */
	if (!cc->local_auth && !cc->remote_auth && cc->psk_len)
		cc->local_auth = cc->remote_auth = CONF_AUTH_PSK;
	if (!cc->local_auth || !cc->remote_auth) {
		conf_error(p, n, "add 'auth: psk' or 'auth: pubkey'",
			   "connection '%s': no authentication method", cc->name);
		return;
	}
	if ((cc->local_auth == CONF_AUTH_PSK || cc->remote_auth == CONF_AUTH_PSK) && !cc->psk_len)
		conf_error(p, n, "add 'psk: ...'", "connection '%s': auth psk needs a psk", cc->name);
	if (cc->local_auth == CONF_AUTH_PUBKEY) {
		if (!cc->cert[0] || !cc->key[0])
			conf_error(p, n, "add 'cert:' and 'key:'",
				   "connection '%s': local pubkey auth needs cert and key", cc->name);
		if (cc->cert[0])
			conn_check_file(p, n, "cert", cc->cert);
		if (cc->key[0])
			conn_check_file(p, n, "key", cc->key);
	}
	if (cc->remote_auth == CONF_AUTH_PUBKEY && !cc->ncacerts)
		conf_error(p, n, "add 'cacerts: [...]'",
			   "connection '%s': remote pubkey auth needs cacerts", cc->name);
	for (size_t i = 0; i < cc->ncacerts; i++)
		conn_check_file(p, n, "cacerts", cc->cacerts[i]);
}

static bool ts_has_family(const struct conf_ts *ts, size_t n, int family)
{
	for (size_t i = 0; i < n; i++) {
		if (ts[i].family == family)
			return true;
	}
	return false;
}

static void conn_check_ts(struct conf_parser *p, yaml_node_t *n, const struct conf_conn *cc)
{
	bool v4, v6;

	if (cc->npools && cc->mode == CONF_MODE_TRANSPORT)
		conf_error(p, n, NULL, "connection '%s': pools need mode tunnel", cc->name);
	if (!cc->nlocal_ts || !cc->nremote_ts)
		return;		/* empty = dynamic: the SA's own addresses */
	v4 = ts_has_family(cc->local_ts, cc->nlocal_ts, AF_INET) &&
	     ts_has_family(cc->remote_ts, cc->nremote_ts, AF_INET);
	v6 = ts_has_family(cc->local_ts, cc->nlocal_ts, AF_INET6) &&
	     ts_has_family(cc->remote_ts, cc->nremote_ts, AF_INET6);
	if (!v4 && !v6)
		conf_error(p, n, NULL, "connection '%s': local_ts and remote_ts share no address family",
			   cc->name);
}

static bool conn_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("-_.", *s))
			return false;
	}
	return true;
}

unsigned conf_conn_parse(struct conf_parser *p, yaml_node_t *n, struct conf_conn *cc)
{
	unsigned before = p->nerr;
	uint64_t seen = 0;

	conn_defaults(cc);
	if (conf_walk_map(p, n, conn_keys, sizeof(conn_keys) / sizeof(conn_keys[0]), cc, &seen) &&
	    n->type != YAML_MAPPING_NODE)
		return p->nerr - before;
	if (!(seen & (1ull << CONN_K_NAME)))
		conf_error(p, n, NULL, "connection without a name");
	else if (!conn_name_ok(cc->name))
		conf_error(p, n, "letters, digits, '-', '_', '.'",
			   "connection name '%s' has other characters", cc->name);
	conn_check_auth(p, n, cc);
	conn_check_rekey(p, n, seen, CONN_K_IKE_LIFETIME, CONN_K_IKE_REKEY,
			 cc->ike_lifetime_s, &cc->ike_rekey_s);
	conn_check_rekey(p, n, seen, CONN_K_CHILD_LIFETIME, CONN_K_CHILD_REKEY,
			 cc->child_lifetime_s, &cc->child_rekey_s);
	conn_check_ts(p, n, cc);
	conn_default_props(p, n, cc);
	return p->nerr - before;
}
