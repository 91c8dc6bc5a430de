/*
 * The control socket: hiked listens on a UNIX stream socket (mode 0660,
 * owned by a configurable group, so the socket's permissions decide who
 * may ask).  Protocol, version 1, one JSON object per line each way:
 *
 *   --> {"v":1,"cmd":"status","args":{...}}
 *   <-- {"v":1,"ok":true,"result":{...}}
 *   <-- {"v":1,"ok":false,"error":"unknown command 'x'"}
 *
 * A request is at most CTL_MAX_REQUEST bytes; anything malformed or too
 * large gets an error reply and the connection is closed, never a crash.
 * Subsystems register their commands with ctl_register(), so the server
 * knows nothing of SAs or roles.
 */
#ifndef HIKE_CTL_H
#define HIKE_CTL_H

#include <jansson.h>
#include <stddef.h>

#define CTL_VERSION		1
#define CTL_MAX_REQUEST		(64 * 1024)
#define CTL_MAX_CLIENTS		32
#define CTL_MAX_COMMANDS	32

struct hike;
struct ctl;

/* A command handler: returns a new JSON result, or NULL with a message in
 * err (then the reply is ok:false). */
typedef json_t *(*ctl_cmd_fn)(struct hike *h, void *arg, json_t *args,
			      char *err, size_t errlen);

/* Listen on path (created fresh; parent directory created 0755); group may
 * be NULL or "" for the daemon's own group.  0 or -errno. */
int ctl_open(struct hike *h, const char *path, const char *group, struct ctl **out);
void ctl_close(struct ctl *c);		/* NULL is a no-op; unlinks the path */

int ctl_register(struct ctl *c, const char *name, ctl_cmd_fn fn, void *arg);

/* Dispatch one request line (no I/O): the reply object (never NULL).
 * Exposed for tests and for the fuzzer. */
json_t *ctl_handle(struct ctl *c, const char *req, size_t len);

/* Counters of the server itself. */
struct ctl_stats {
	unsigned long requests, errors, oversize, clients_refused;
};
const struct ctl_stats *ctl_stats(const struct ctl *c);

#endif
