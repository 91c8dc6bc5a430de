/*
 * Configuration loading: libyaml's document API gives a tree whose nodes
 * carry line numbers; table-driven walkers fill struct conf and collect
 * every error.  The result is all or nothing: conf_load() returns a
 * complete, validated conf or NULL with nothing left allocated.
 */
#include "conf/conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf_int.h"
#include "conf/conf_value.h"
#include "core/log.h"

int conf_yaml_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

void conf_error(struct conf_parser *p, const yaml_node_t *n, const char *hint,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int m;

	p->nerr++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!p->err || p->errpos + 1 >= p->errlen)
		return;
	if (n)
		m = snprintf(p->err + p->errpos, p->errlen - p->errpos, "%s:%d: %s%s%s%s\n",
			     p->name, conf_yaml_line(n), msg, hint ? " (" : "",
			     hint ? hint : "", hint ? ")" : "");
	else
		m = snprintf(p->err + p->errpos, p->errlen - p->errpos, "%s: %s\n", p->name, msg);
	if (m > 0)
		p->errpos += (size_t)m < p->errlen - p->errpos ? (size_t)m : p->errlen - p->errpos - 1;
}

const char *conf_did_you_mean(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	unsigned best_d = 3;	/* beyond 2 edits a guess confuses more than helps */

	for (size_t i = 0; i < n; i++) {
		unsigned d = conf_edit_distance(word, names[i]);

		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

void conf_bad_choice(struct conf_parser *p, yaml_node_t *n, const char *what,
		     const char *value, const char *const *names, size_t nnames)
{
	const char *guess = conf_did_you_mean(value, names, nnames);
	char hint[160];
	size_t pos = 0;

	if (guess) {
		snprintf(hint, sizeof(hint), "did you mean '%s'?", guess);
	} else {
		pos = (size_t)snprintf(hint, sizeof(hint), "one of");
		for (size_t i = 0; i < nnames && pos < sizeof(hint); i++)
			pos += (size_t)snprintf(hint + pos, sizeof(hint) - pos, "%s %s",
						i ? "," : "", names[i]);
	}
	conf_error(p, n, hint, "%s: unknown value '%s'", what, value);
}

const char *conf_scalar(struct conf_parser *p, yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		conf_error(p, n, NULL, "%s: expected a single value", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

unsigned conf_each_scalar(struct conf_parser *p, yaml_node_t *n, const char *what,
			  size_t max, void *ctx,
			  int (*item)(struct conf_parser *p, yaml_node_t *n,
				      const char *s, size_t idx, void *ctx))
{
	unsigned before = p->nerr;
	size_t idx = 0;

	if (n->type == YAML_SCALAR_NODE) {
		item(p, n, (const char *)n->data.scalar.value, 0, ctx);
		return p->nerr - before;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		conf_error(p, n, NULL, "%s: expected a value or a list", what);
		return p->nerr - before;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, idx++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		const char *s;

		if (idx >= max) {
			conf_error(p, e, NULL, "%s: at most %zu entries", what, max);
			break;
		}
		s = conf_scalar(p, e, what);
		if (s)
			item(p, e, s, idx, ctx);
	}
	return p->nerr - before;
}

static int conf_set_number(struct conf_parser *p, yaml_node_t *n,
			   const struct conf_key *k, const char *s, void *field)
{
	const char *why = NULL;
	uint64_t v;
	int rc;

	switch (k->kind) {
	case CK_DUR_S:
	case CK_DUR_MS:
		rc = conf_parse_duration(s, k->kind == CK_DUR_S ? 1000 : 1, &v, &why);
		if (rc == 0 && k->kind == CK_DUR_S) {
			if (v % 1000) {
				conf_error(p, n, "use whole seconds", "%s: '%s' is not a whole number of seconds", k->name, s);
				return -EINVAL;
			}
			v /= 1000;
		}
		break;
	case CK_SIZE:
		rc = conf_parse_size(s, &v, &why);
		break;
	default:
		rc = conf_parse_u64(s, &v, &why);
		break;
	}
	if (rc < 0) {
		conf_error(p, n, NULL, "%s: '%s': %s", k->name, s, why);
		return rc;
	}
	if (v < k->min || v > k->max) {
		conf_error(p, n, NULL, "%s: %llu is out of range %llu..%llu", k->name,
			   (unsigned long long)v, (unsigned long long)k->min,
			   (unsigned long long)k->max);
		return -ERANGE;
	}
	if (k->kind == CK_U16)
		*(uint16_t *)field = (uint16_t)v;
	else if (k->kind == CK_SIZE)
		*(uint64_t *)field = v;
	else
		*(uint32_t *)field = (uint32_t)v;
	return 0;
}

static int conf_set_value(struct conf_parser *p, yaml_node_t *n,
			  const struct conf_key *k, void *obj)
{
	void *field = (char *)obj + k->off;
	const char *why, *s;

	if (k->kind == CK_FN)
		return k->fn(p, n, obj);
	s = conf_scalar(p, n, k->name);
	if (!s)
		return -EINVAL;
	if (k->kind == CK_STR) {
		if (strlen(s) >= k->size) {
			conf_error(p, n, NULL, "%s: longer than %zu characters", k->name, k->size - 1);
			return -EINVAL;
		}
		strcpy(field, s);
		return 0;
	}
	if (k->kind == CK_BOOL) {
		if (conf_parse_bool(s, field, &why) < 0) {
			conf_error(p, n, NULL, "%s: '%s': %s", k->name, s, why);
			return -EINVAL;
		}
		return 0;
	}
	return conf_set_number(p, n, k, s, field);
}

/* Keys that contain the unknown word ("lifetime" -> ike_lifetime,
 * child_lifetime): the names operators bring from other daemons are often
 * a part of ours.  Writes "'a' or 'b'" into buf; returns how many. */
static int conf_containing(const char *word, const struct conf_key *keys, size_t nkeys,
			   char *buf, size_t len)
{
	size_t pos = 0;
	int n = 0;

	buf[0] = '\0';
	if (strlen(word) < 3)
		return 0;
	for (size_t i = 0; i < nkeys && n < 3; i++) {
		int m;

		if (!strstr(keys[i].name, word))
			continue;
		m = snprintf(buf + pos, len - pos, "%s'%s'", n ? " or " : "", keys[i].name);
		if (m < 0 || (size_t)m >= len - pos)
			break;
		pos += (size_t)m;
		n++;
	}
	return n;
}

static void conf_unknown_key(struct conf_parser *p, yaml_node_t *kn, const char *key,
			     const struct conf_key *keys, size_t nkeys)
{
	const char *names[CONF_KEYS_MAX], *guess;
	char hint[160], alts[120];

	for (size_t i = 0; i < nkeys; i++)
		names[i] = keys[i].name;
	guess = conf_did_you_mean(key, names, nkeys);
	if (guess)
		snprintf(hint, sizeof(hint), "did you mean '%s'?", guess);
	else if (conf_containing(key, keys, nkeys, alts, sizeof(alts)))
		snprintf(hint, sizeof(hint), "did you mean %s?", alts);
	else
		hint[0] = '\0';
	conf_error(p, kn, hint[0] ? hint : NULL, "unknown key '%s'", key);
}

unsigned conf_walk_map(struct conf_parser *p, yaml_node_t *map,
		       const struct conf_key *keys, size_t nkeys, void *obj,
		       uint64_t *seen)
{
	unsigned before = p->nerr;

	if (!map || map->type != YAML_MAPPING_NODE) {
		conf_error(p, map, NULL, "expected a mapping of 'key: value'");
		return p->nerr - before;
	}
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pr->value);
		const char *key = conf_scalar(p, kn, "key");
		size_t i;

		if (!key)
			continue;
		for (i = 0; i < nkeys && strcmp(keys[i].name, key) != 0; i++)
			;
		if (i == nkeys) {
			conf_unknown_key(p, kn, key, keys, nkeys);
			continue;
		}
		if (*seen & (1ull << i)) {
			conf_error(p, kn, NULL, "duplicate key '%s'", key);
			continue;
		}
		*seen |= 1ull << i;
		conf_set_value(p, vn, &keys[i], obj);
	}
	return p->nerr - before;
}

/* --- sections --------------------------------------------------------- */

#define FLD(f)		offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define K_STR(n, f)	{ n, CK_STR, FLD(f), 0, 0, NULL }
#define K_BOOL(n, f)	{ n, CK_BOOL, FLD(f), 0, 0, NULL }
#define K_NUM(n, k, f, lo, hi) { n, k, FLD(f), lo, hi, NULL }
#define K_FN(n, fn)	{ n, CK_FN, 0, 0, 0, 0, fn }
#define NKEYS(t)	(sizeof(t) / sizeof((t)[0]))

static int conf_log_level(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	static const char *const levels[] = { "err", "warn", "info", "debug", "trace" };
	struct conf *c = obj;
	const char *s = conf_scalar(p, n, "level");
	int lvl;

	if (!s)
		return -EINVAL;
	lvl = log_level_parse(s);
	if (lvl < 0) {
		conf_bad_choice(p, n, "level", s, levels, 5);
		return -EINVAL;
	}
	c->log.level = lvl;
	return 0;
}

static int conf_listen_item(struct conf_parser *p, yaml_node_t *n, const char *s,
			    size_t idx, void *ctx)
{
	struct conf *c = ctx;
	const char *why;

	if (conf_parse_net(s, CONF_NET_ADDR, &c->ike.listen[idx], &why) < 0) {
		conf_error(p, n, NULL, "listen: '%s': %s", s, why);
		return -EINVAL;
	}
	c->ike.nlisten = idx + 1;
	return 0;
}

static int conf_listen(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	return conf_each_scalar(p, n, "listen", CONF_MAX_ADDRS, obj, conf_listen_item) ? -EINVAL : 0;
}

static int conf_sync_mode(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	static const char *const modes[] = { "none", "corosync" };
	struct conf *c = obj;
	const char *s = conf_scalar(p, n, "mode");

	if (!s)
		return -EINVAL;
	if (strcmp(s, "none") == 0) {
		c->sync.mode = CONF_SYNC_NONE;
	} else if (strcmp(s, "corosync") == 0) {
		c->sync.mode = CONF_SYNC_COROSYNC;
	} else {
		conf_bad_choice(p, n, "mode", s, modes, 2);
		return -EINVAL;
	}
	return 0;
}

static int conf_msgid_sync(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	static const char *const modes[] = { "auto", "always", "never" };
	struct conf *c = obj;
	const char *s = conf_scalar(p, n, "msgid_sync");

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (strcmp(s, modes[i]) == 0) {
			c->sync.msgid_sync = (enum conf_msgid_sync)i;
			return 0;
		}
	conf_bad_choice(p, n, "msgid_sync", s, modes, 3);
	return -EINVAL;
}

static int conf_vip_address(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf_vip *v = obj;
	const char *s = conf_scalar(p, n, "address"), *why;

	if (!s)
		return -EINVAL;
	if (conf_parse_net(s, CONF_NET_IFADDR, &v->net, &why) < 0 || v->net.any) {
		conf_error(p, n, "e.g. 192.0.2.10/24", "address: '%s': %s", s, v->net.any ? "%any is not an address" : why);
		return -EINVAL;
	}
	return 0;
}

static const struct conf_key conf_vip_keys[] = {
	K_FN("address", conf_vip_address),
	{ "dev", CK_STR, offsetof(struct conf_vip, dev), sizeof(((struct conf_vip *)0)->dev), 0, 0, NULL },
};

static int conf_vips(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf *c = obj;
	size_t idx = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		conf_error(p, n, "a list of {address, dev}", "vips: expected a list");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, idx++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);
		struct conf_vip *v = &c->sync.vips[idx];
		uint64_t seen = 0;

		if (idx >= CONF_MAX_VIPS) {
			conf_error(p, e, NULL, "vips: at most %d entries", CONF_MAX_VIPS);
			return -EINVAL;
		}
		conf_walk_map(p, e, conf_vip_keys, NKEYS(conf_vip_keys), v, &seen);
		if (e->type == YAML_MAPPING_NODE && (seen & 3) != 3)
			conf_error(p, e, NULL, "vips: each entry needs address and dev");
		c->sync.nvips = idx + 1;
	}
	return 0;
}

static const struct conf_key conf_node_keys[] = {
	K_STR("name", node.name),
	K_NUM("priority", CK_U32, node.priority, 0, UINT32_MAX),
};

static const struct conf_key conf_log_keys[] = {
	K_FN("level", conf_log_level),
	K_BOOL("syslog", log.syslog),
	K_STR("keylog", log.keylog),
};

static const struct conf_key conf_ike_keys[] = {
	K_FN("listen", conf_listen),
	K_NUM("port", CK_U16, ike.port, 1, 65535),
	K_NUM("natt_port", CK_U16, ike.natt_port, 1, 65535),
	K_NUM("cookie_threshold", CK_U32, ike.cookie_threshold, 0, 10000000),
	K_NUM("half_open_max", CK_U32, ike.half_open_max, 1, 10000000),
	K_NUM("workers", CK_U32, ike.workers, 0, 256),
	K_NUM("retransmit_base", CK_DUR_MS, ike.retransmit_base_ms, 100, 60000),
	K_NUM("retransmit_tries", CK_U32, ike.retransmit_tries, 1, 20),
	/* RFC 7383 2.5.1: 576 is the smallest IPv4 datagram every host takes */
	K_NUM("fragment_size", CK_U32, ike.fragment_size, 576, 65535),
};

static const struct conf_key conf_esp_keys[] = {
	K_STR("tun", esp.tun),
	K_NUM("replay_window", CK_U32, esp.replay_window, 1, 4096),
	K_BOOL("raw_esp", esp.raw_esp),
	K_BOOL("offload", esp.offload),
	K_NUM("coalesce_us", CK_U32, esp.coalesce_us, 0, 1000),
};

static const struct conf_key conf_sync_keys[] = {
	K_FN("mode", conf_sync_mode),
	K_STR("group", sync.group),
	K_STR("cluster", sync.cluster),
	K_NUM("counter_packets", CK_U32, sync.counter_packets, 1, 1u << 30),
	K_NUM("counter_ms", CK_DUR_MS, sync.counter_ms, 10, 60000),
	K_NUM("batch_delay_us", CK_U32, sync.batch_delay_us, 0, 100000),
	K_FN("vips", conf_vips),
	K_FN("msgid_sync", conf_msgid_sync),
};

static const struct conf_key conf_ctl_keys[] = {
	K_STR("socket", ctl.socket),
	K_STR("group", ctl.group),
	K_BOOL("allow_crash", ctl.allow_crash),
};

#define CONF_SECTION(fname, table) \
	static int fname(struct conf_parser *p, yaml_node_t *n, void *obj) \
	{ \
		uint64_t seen = 0; \
		return conf_walk_map(p, n, table, NKEYS(table), obj, &seen) ? -EINVAL : 0; \
	}
CONF_SECTION(conf_sec_node, conf_node_keys)
CONF_SECTION(conf_sec_log, conf_log_keys)
CONF_SECTION(conf_sec_ike, conf_ike_keys)
CONF_SECTION(conf_sec_esp, conf_esp_keys)
CONF_SECTION(conf_sec_sync, conf_sync_keys)
CONF_SECTION(conf_sec_ctl, conf_ctl_keys)

static int conf_connections(struct conf_parser *p, yaml_node_t *n, void *obj)
{
	struct conf *c = obj;
	size_t idx = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		conf_error(p, n, "each connection starts with '- name: ...'", "connections: expected a list");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, idx++) {
		yaml_node_t *e = yaml_document_get_node(p->doc, *it);

		if (idx >= CONF_MAX_CONNS) {
			conf_error(p, e, NULL, "connections: at most %d", CONF_MAX_CONNS);
			return -EINVAL;
		}
		conf_conn_parse(p, e, &c->conns[idx]);
		c->nconns = idx + 1;
		for (size_t j = 0; j < idx; j++) {
			if (c->conns[idx].name[0] && strcmp(c->conns[j].name, c->conns[idx].name) == 0)
				conf_error(p, e, NULL, "connection '%s' defined twice", c->conns[idx].name);
		}
	}
	return 0;
}

static const struct conf_key conf_top_keys[] = {
	K_FN("node", conf_sec_node),
	K_FN("log", conf_sec_log),
	K_FN("ike", conf_sec_ike),
	K_FN("esp", conf_sec_esp),
	K_FN("sync", conf_sec_sync),
	K_FN("ctl", conf_sec_ctl),
	K_FN("connections", conf_connections),
};

/* --- whole file --------------------------------------------------------- */

static void conf_defaults(struct conf *c)
{
	c->log.level = LOG_INFO_;
	c->ike.port = 500;
	c->ike.natt_port = 4500;
	c->ike.cookie_threshold = 1000;
	c->ike.half_open_max = 20000;
	c->ike.retransmit_base_ms = 2000;
	c->ike.retransmit_tries = 5;
	c->ike.fragment_size = 1280;
	strcpy(c->esp.tun, "hike0");
	c->esp.replay_window = 1024;
	c->esp.offload = true;
	c->esp.coalesce_us = 200;
	strcpy(c->sync.group, "hike");
	strcpy(c->sync.cluster, "hike");
	c->sync.counter_packets = 1024;
	c->sync.counter_ms = 200;
	c->sync.batch_delay_us = 1000;
	strcpy(c->ctl.socket, "/run/hike/hiked.sock");
}

/* Checks across keys, once everything is read. */
static void conf_check(struct conf_parser *p, yaml_node_t *root, const struct conf *c)
{
	if (c->ike.port == c->ike.natt_port)
		conf_error(p, root, NULL, "ike: port and natt_port are both %u", c->ike.port);
	if (c->ike.cookie_threshold > c->ike.half_open_max)
		conf_error(p, root, "lower cookie_threshold",
			   "ike: cookie_threshold %u is above half_open_max %u: cookies would never be asked",
			   c->ike.cookie_threshold, c->ike.half_open_max);
	if (c->sync.mode == CONF_SYNC_COROSYNC && !c->sync.group[0])
		conf_error(p, root, NULL, "sync: corosync needs a group name");
	if (!c->esp.tun[0])
		conf_error(p, root, NULL, "esp: tun must name a device");
	if (!c->ctl.socket[0])
		conf_error(p, root, NULL, "ctl: socket must be a path");
}

static struct conf *conf_parse(const char *name, yaml_parser_t *yp, char *err, size_t errlen)
{
	struct conf_parser p = { .name = name, .err = err, .errlen = errlen };
	yaml_document_t doc;
	yaml_node_t *root;
	struct conf *c;
	uint64_t seen = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!yaml_parser_load(yp, &doc)) {
		p.nerr++;
		if (err)
			snprintf(err, errlen, "%s:%zu: %s%s%s\n", name, yp->problem_mark.line + 1,
				 yp->problem ? yp->problem : "YAML syntax error",
				 yp->context ? " " : "", yp->context ? yp->context : "");
		return NULL;
	}
	p.doc = &doc;
	c = calloc(1, sizeof(*c));
	if (!c) {
		conf_error(&p, NULL, NULL, "out of memory");
		yaml_document_delete(&doc);
		return NULL;
	}
	conf_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", name);
	root = yaml_document_get_root_node(&doc);
	if (!root)
		conf_error(&p, NULL, NULL, "empty configuration");
	else if (conf_walk_map(&p, root, conf_top_keys, NKEYS(conf_top_keys), c, &seen) == 0)
		conf_check(&p, root, c);
	yaml_document_delete(&doc);
	if (p.nerr) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *conf_load_string(const char *name, const char *yaml, char *err, size_t errlen)
{
	yaml_parser_t yp;
	struct conf *c;

	if (!yaml_parser_initialize(&yp)) {
		snprintf(err, errlen, "%s: out of memory\n", name);
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)yaml, strlen(yaml));
	c = conf_parse(name, &yp, err, errlen);
	yaml_parser_delete(&yp);
	return c;
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	yaml_parser_t yp;
	struct conf *c;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!yaml_parser_initialize(&yp)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory\n", path);
		return NULL;
	}
	yaml_parser_set_input_file(&yp, f);
	c = conf_parse(path, &yp, err, errlen);
	yaml_parser_delete(&yp);
	fclose(f);
	return c;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	/* PSKs live in the conns; wiping the whole struct is simplest */
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}
