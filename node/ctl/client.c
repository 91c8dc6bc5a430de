/* Control socket client: one request, one reply line. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"

static int ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s%s", path,
			 strerror(errno),
			 errno == EACCES ? " (are you in the control group?)" :
			 errno == ENOENT || errno == ECONNREFUSED ? " (is hiked running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int ctl_send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until a newline; the reply may be large (an SA listing). */
static char *ctl_read_line(int fd, int timeout_ms, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (buf) {
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		if (n + 1 >= cap) {
			char *nb = cap < (256u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf + n - (size_t)r, '\n', (size_t)r)) {
			*len = n;
			return buf;
		}
	}
	free(buf);
	return NULL;
}

json_t *ctl_call(const char *path, const char *cmd, json_t *args,
		 int timeout_ms, char *err, size_t errlen)
{
	json_t *req, *reply, *result = NULL;
	json_error_t jerr;
	char *s, *line;
	size_t len = 0;
	int fd, ok = 0;
	const char *msg = NULL;

	fd = ctl_connect(path, err, errlen);
	if (fd < 0)
		return NULL;
	req = json_pack("{s:i, s:s, s:O?}", "v", CTL_VERSION, "cmd", cmd, "args", args);
	s = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!s || ctl_send_all(fd, s, strlen(s)) < 0 || ctl_send_all(fd, "\n", 1) < 0) {
		snprintf(err, errlen, "cannot send request to %s", path);
		free(s);
		close(fd);
		return NULL;
	}
	free(s);
	line = ctl_read_line(fd, timeout_ms, &len);
	close(fd);
	if (!line) {
		snprintf(err, errlen, "no reply from hiked within %d ms", timeout_ms);
		return NULL;
	}
	reply = json_loadb(line, len, 0, &jerr);
	free(line);
	if (!reply || json_unpack(reply, "{s:b, s?s, s?o}", "ok", &ok, "error", &msg, "result", &result) != 0)
		snprintf(err, errlen, "malformed reply from hiked");
	else if (!ok)
		snprintf(err, errlen, "%s", msg ? msg : "hiked refused the request");
	else if (result)
		json_incref(result);
	else
		result = json_object();
	if (!ok)
		result = NULL;
	json_decref(reply);
	return result;
}
