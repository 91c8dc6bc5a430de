/*
 * Inside the configuration parser: the parse context that collects every
 * error with its line, and the table-driven key walker shared by the
 * section parsers (conf.c) and the connection parser (conf_conn.c).
 */
#ifndef HIKE_CONF_INT_H
#define HIKE_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "conf/conf.h"

struct conf_parser {
	const char *name;		/* file name in error lines */
	yaml_document_t *doc;
	char *err;
	size_t errlen, errpos;
	unsigned nerr;
};

/* "name:line: message (hint)"; n may be NULL (no line), hint may be NULL. */
void conf_error(struct conf_parser *p, const yaml_node_t *n, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

enum conf_kind {
	CK_STR,		/* char[size] */
	CK_U16,		/* uint16_t within [min, max] */
	CK_U32,		/* uint32_t within [min, max] */
	CK_BOOL,	/* bool */
	CK_DUR_S,	/* uint32_t seconds from a duration */
	CK_DUR_MS,	/* uint32_t milliseconds from a duration */
	CK_SIZE,	/* uint64_t from a size ("1G") */
	CK_FN,		/* fn() does it all */
};

struct conf_key {
	const char *name;
	enum conf_kind kind;
	size_t off, size;
	uint64_t min, max;
	int (*fn)(struct conf_parser *p, yaml_node_t *n, void *obj);
};

#define CONF_KEYS_MAX 64	/* per table: "seen" is a 64-bit mask */

/* Walk a mapping node against a key table; records which keys were given
 * in *seen (bit i = keys[i]); reports unknown (with "did you mean"),
 * duplicate and ill-typed keys.  Returns the number of new errors. */
unsigned conf_walk_map(struct conf_parser *p, yaml_node_t *map,
		       const struct conf_key *keys, size_t nkeys, void *obj,
		       uint64_t *seen);

/* The scalar text of n, or NULL after reporting "what: expected ...". */
const char *conf_scalar(struct conf_parser *p, yaml_node_t *n, const char *what);

/* Call item() for n itself when it is a scalar or for each element of a
 * sequence of scalars; at most max items (more is an error). */
unsigned conf_each_scalar(struct conf_parser *p, yaml_node_t *n, const char *what,
			  size_t max, void *ctx,
			  int (*item)(struct conf_parser *p, yaml_node_t *n,
				      const char *s, size_t idx, void *ctx));

/* The closest name in the table within a small edit distance, or NULL. */
const char *conf_did_you_mean(const char *word, const char *const *names, size_t n);

/* "what: unknown value 'v' (did you mean 'x'?)" or "(one of a, b, c)". */
void conf_bad_choice(struct conf_parser *p, yaml_node_t *n, const char *what,
		     const char *value, const char *const *names, size_t nnames);

/* One connection: defaults, keys, checks (conf_conn.c). */
unsigned conf_conn_parse(struct conf_parser *p, yaml_node_t *n, struct conf_conn *cc);
int conf_yaml_line(const yaml_node_t *n);

#endif
