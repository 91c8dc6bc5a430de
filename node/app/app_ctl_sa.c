/*
 * Control socket commands that act on one IKE SA, as `swanctl --rekey` /
 * `--terminate` do: "rekey" {serial, [child]} and "delete" {serial}.
 * Only the active node (or a single node) starts exchanges.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/hike.h"
#include "ctl/ctl.h"
#include "sa/sa.h"
#include "sync.h"

/* The SA named by args.serial, or NULL with err set. */
static struct ike_sa *sa_arg(struct hike *h, json_t *args, char *err,
			     size_t errlen)
{
	json_t *v = json_object_get(args, "serial");
	struct ike_sa *sa;

	if (h->sync && !sync_is_active(h->sync)) {
		snprintf(err, errlen, "this node is not the active one");
		return NULL;
	}
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		snprintf(err, errlen, "serial: an IKE SA's serial (hikectl sas) is needed");
		return NULL;
	}
	sa = ike_sa_find_serial(h, (uint64_t)json_integer_value(v));
	if (!sa)
		snprintf(err, errlen, "no IKE SA %" PRIu64,
			 (uint64_t)json_integer_value(v));
	return sa;
}

static json_t *sa_result(struct ike_sa *sa, int rc, const char *what,
			 char *err, size_t errlen)
{
	if (!rc)
		return json_pack("{s:s, s:I}", "result", what,
				 "serial", (json_int_t)sa->sa_serial);
	snprintf(err, errlen, "%s", rc == -EBUSY ? "an exchange is in flight on this SA, try again" :
		 rc == -EINVAL ? "the IKE SA is not established" :
		 rc == -ENOENT ? "no such Child SA (or its connection is gone)" :
		 "the request could not be sent");
	return NULL;
}

static json_t *app_cmd_rekey(struct hike *h, void *arg, json_t *args,
			     char *err, size_t errlen)
{
	struct ike_sa *sa = sa_arg(h, args, err, errlen);
	const char *child = json_string_value(json_object_get(args, "child"));
	unsigned long spi = 0;
	char *end = NULL;

	(void)arg;
	if (!sa)
		return NULL;
	if (child) {
		spi = strtoul(child, &end, 16);
		if (!*child || *end || !spi || spi > 0xffffffffUL) {
			snprintf(err, errlen, "child: a Child SA's inbound SPI in hex (hikectl sas)");
			return NULL;
		}
	}
	return sa_result(sa, ike_sa_rekey_now(h, sa, (uint32_t)spi),
			 child ? "child rekey started" : "IKE rekey started",
			 err, errlen);
}

static json_t *app_cmd_delete(struct hike *h, void *arg, json_t *args,
			      char *err, size_t errlen)
{
	struct ike_sa *sa = sa_arg(h, args, err, errlen);

	(void)arg;
	if (!sa)
		return NULL;
	return sa_result(sa, ike_sa_delete_now(h, sa), "DELETE sent", err, errlen);
}

int app_ctl_sa_register(struct hike *h)
{
	int rc = ctl_register(h->ctl, "rekey", app_cmd_rekey, NULL);

	return rc < 0 ? rc : ctl_register(h->ctl, "delete", app_cmd_delete, NULL);
}
