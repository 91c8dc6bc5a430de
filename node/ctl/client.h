/* The client side of the control socket (hikectl, tests, the drill). */
#ifndef HIKE_CTL_CLIENT_H
#define HIKE_CTL_CLIENT_H

#include <jansson.h>
#include <stddef.h>

/* Send one command and wait for the reply (timeout_ms).  Returns the
 * "result" object (caller frees) or NULL with a message in err: the
 * server's error text, or why the socket could not be used. */
json_t *ctl_call(const char *path, const char *cmd, json_t *args,
		 int timeout_ms, char *err, size_t errlen);

#endif
