/* Event/drop counters: a fixed array of relaxed atomics. */
#include "core/counters.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct counters {
	_Atomic uint64_t cnt[CNT__MAX];
};

static const struct {
	const char *name, *help;
} counters_table[CNT__MAX] = {
#define COUNTERS_ROW(id, name, help) [CNT_##id] = { name, help },
	COUNTERS_LIST(COUNTERS_ROW)
#undef COUNTERS_ROW
};

struct counters *counters_new(void)
{
	struct counters *c = malloc(sizeof(*c));

	if (c)
		counters_reset(c);
	return c;
}

void counters_free(struct counters *c)
{
	free(c);
}

void counters_add(struct counters *c, enum counter_id id, uint64_t n)
{
	if (c && (unsigned)id < CNT__MAX)
		atomic_fetch_add_explicit(&c->cnt[id], n, memory_order_relaxed);
}

void counters_inc(struct counters *c, enum counter_id id)
{
	counters_add(c, id, 1);
}

uint64_t counters_get(const struct counters *c, enum counter_id id)
{
	if (!c || (unsigned)id >= CNT__MAX)
		return 0;
	return atomic_load_explicit(&((struct counters *)c)->cnt[id], memory_order_relaxed);
}

void counters_reset(struct counters *c)
{
	for (unsigned i = 0; i < CNT__MAX; i++)
		atomic_init(&c->cnt[i], 0);
}

const char *counters_name(enum counter_id id)
{
	return (unsigned)id < CNT__MAX ? counters_table[id].name : "?";
}

const char *counters_help(enum counter_id id)
{
	return (unsigned)id < CNT__MAX ? counters_table[id].help : "?";
}

enum counter_id counters_by_name(const char *name)
{
	for (unsigned i = 0; i < CNT__MAX; i++) {
		if (strcmp(counters_table[i].name, name) == 0)
			return (enum counter_id)i;
	}
	return CNT__MAX;
}

int counters_each(const struct counters *c,
		  int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	for (unsigned i = 0; i < CNT__MAX; i++) {
		int rc = fn(ctx, counters_table[i].name, counters_get(c, (enum counter_id)i));

		if (rc)
			return rc;
	}
	return 0;
}
