/* Control socket server: see ctl.h for the protocol. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/hike.h"
#include "core/loop.h"
#include "ctl/ctl.h"

#define CTL_CLIENT_TIMEOUT_MS 5000

struct ctl_cmd {
	char name[32];
	ctl_cmd_fn fn;
	void *arg;
};

struct ctl_client {
	struct ctl *ctl;
	int fd;
	size_t len;
	char *buf;			/* CTL_MAX_REQUEST + 1 */
	struct loop_timer *timeout;
};

struct ctl {
	struct hike *h;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t ncmds;
	struct ctl_cmd cmds[CTL_MAX_COMMANDS];
	struct ctl_client *clients[CTL_MAX_CLIENTS];
	struct ctl_stats stats;
};

/* JSON strings must be UTF-8, but an error text may quote the request
 * (jansson's "near '...'" stops inside a character) or be cut inside
 * one by snprintf: every byte that does not start a whole, valid
 * sequence (RFC 3629 4) becomes '?'. */
static void ctl_utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 :
			   p[0] >= 0xe0 && p[0] <= 0xef ? 3 :
			   p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0, i = 1;

		while (i < n && (p[i] & 0xc0) == 0x80)
			i++;
		if (!n || i < n ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||	/* overlong */
		    (p[0] == 0xed && p[1] >= 0xa0) ||	/* surrogate */
		    (p[0] == 0xf0 && p[1] < 0x90) ||	/* overlong */
		    (p[0] == 0xf4 && p[1] >= 0x90)) {	/* > U+10FFFF */
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/* Never NULL: ctl_handle() promises a reply. */
static json_t *ctl_error(const char *fmt, const char *arg)
{
	char msg[256];
	json_t *reply;

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	ctl_utf8_clean(msg);
	reply = json_pack("{s:i, s:b, s:s}", "v", CTL_VERSION, "ok", 0,
			  "error", msg);
	if (!reply)	/* still not UTF-8, or out of memory */
		reply = json_pack("{s:i, s:b, s:s}", "v", CTL_VERSION, "ok", 0,
				  "error", "request refused");
	return reply;
}

static const struct ctl_cmd *ctl_find(const struct ctl *c, const char *name)
{
	for (size_t i = 0; i < c->ncmds; i++)
		if (strcmp(c->cmds[i].name, name) == 0)
			return &c->cmds[i];
	return NULL;
}

json_t *ctl_handle(struct ctl *c, const char *req, size_t len)
{
	json_error_t jerr;
	json_t *root, *args, *result, *reply;
	const char *name;
	json_int_t v;
	const struct ctl_cmd *cmd;
	char err[256] = "";

	c->stats.requests++;
	root = json_loadb(req, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		c->stats.errors++;
		return ctl_error("malformed request: %s", root ? "not an object" : jerr.text);
	}
	args = json_object_get(root, "args");
	if (json_is_null(args))
		args = NULL;
	if (json_unpack(root, "{s:I, s:s}", "v", &v, "cmd", &name) != 0 ||
	    (args && !json_is_object(args))) {
		json_decref(root);
		c->stats.errors++;
		return ctl_error("malformed request: need {\"v\":1,\"cmd\":...,\"args\":{}}%s", NULL);
	}
	if (v != CTL_VERSION) {
		json_decref(root);
		c->stats.errors++;
		return ctl_error("unsupported protocol version (this hiked speaks 1)%s", NULL);
	}
	cmd = ctl_find(c, name);
	if (!cmd) {
		reply = ctl_error("unknown command '%s'", name);
		json_decref(root);
		c->stats.errors++;
		return reply;
	}
	result = cmd->fn(c->h, cmd->arg, args, err, sizeof(err));
	json_decref(root);
	if (!result) {
		c->stats.errors++;
		return ctl_error("%s", err[0] ? err : "command failed");
	}
	reply = json_pack("{s:i, s:b, s:o}", "v", CTL_VERSION, "ok", 1,
			  "result", result);
	return reply ? reply : ctl_error("out of memory%s", NULL);
}

int ctl_register(struct ctl *c, const char *name, ctl_cmd_fn fn, void *arg)
{
	if (c->ncmds >= CTL_MAX_COMMANDS || strlen(name) >= sizeof(c->cmds[0].name))
		return -ENOSPC;
	if (ctl_find(c, name))
		return -EEXIST;
	snprintf(c->cmds[c->ncmds].name, sizeof(c->cmds[0].name), "%s", name);
	c->cmds[c->ncmds].fn = fn;
	c->cmds[c->ncmds].arg = arg;
	c->ncmds++;
	return 0;
}

static void ctl_client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;

	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	if (c->h->loop)
		loop_fd_del(c->h->loop, cl->fd);
	loop_timer_free(cl->timeout);
	close(cl->fd);
	free(cl->buf);
	free(cl);
}

/* Replies are small and the client is waiting for them: a blocking write
 * with a send timeout is simpler than buffering and cannot stall long. */
static void ctl_reply(struct ctl_client *cl, json_t *reply)
{
	char *s = json_dumps(reply, JSON_COMPACT);
	size_t off = 0, n;

	json_decref(reply);
	if (!s)
		return;
	n = strlen(s);
	s[n] = '\n';
	while (off <= n) {
		ssize_t w = send(cl->fd, s + off, n + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(s);
}

static void ctl_client_timeout(void *arg)
{
	ctl_client_free(arg);
}

static void ctl_client_read(void *arg, int fd, uint32_t events)
{
	struct ctl_client *cl = arg;
	char *nl;
	ssize_t r;

	(void)events;
	r = recv(fd, cl->buf + cl->len, CTL_MAX_REQUEST - cl->len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		ctl_client_free(cl);
		return;
	}
	cl->len += (size_t)r;
	cl->buf[cl->len] = '\0';
	nl = memchr(cl->buf, '\n', cl->len);
	if (!nl && cl->len >= CTL_MAX_REQUEST) {
		cl->ctl->stats.oversize++;
		ctl_reply(cl, ctl_error("request larger than %s bytes", "65536"));
		ctl_client_free(cl);
		return;
	}
	if (!nl)
		return;
	ctl_reply(cl, ctl_handle(cl->ctl, cl->buf, (size_t)(nl - cl->buf)));
	ctl_client_free(cl);
}

static void ctl_accept(void *arg, int fd, uint32_t events)
{
	struct ctl *c = arg;
	struct ctl_client *cl;
	size_t slot;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (slot = 0; slot < CTL_MAX_CLIENTS && c->clients[slot]; slot++)
		;
	cl = slot < CTL_MAX_CLIENTS ? calloc(1, sizeof(*cl)) : NULL;
	if (cl)
		cl->buf = malloc(CTL_MAX_REQUEST + 1);
	if (!cl || !cl->buf) {
		c->stats.clients_refused++;
		free(cl);
		close(cfd);
		return;
	}
	cl->ctl = c;
	cl->fd = cfd;
	cl->timeout = loop_timer_new(c->h->loop, ctl_client_timeout, cl);
	if (!cl->timeout || loop_fd_add(c->h->loop, cfd, EPOLLIN, ctl_client_read, cl) < 0) {
		loop_timer_free(cl->timeout);
		free(cl->buf);
		free(cl);
		close(cfd);
		return;
	}
	loop_timer_arm(cl->timeout, CTL_CLIENT_TIMEOUT_MS);
	c->clients[slot] = cl;
}

static int ctl_mkparent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int ctl_listen(struct ctl *c, const char *path, const char *group)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct group *gr;
	mode_t old;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((err = ctl_mkparent(path)) < 0)
		return err;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	unlink(path);
	/* no window in which the socket is wider open than 0660 */
	old = umask(0117);
	err = bind(c->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (err < 0 || listen(c->fd, 16) < 0)
		return -errno;
	if (group && group[0]) {
		gr = getgrnam(group);
		if (!gr)
			return -ENOENT;
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			return -errno;
	}
	return loop_fd_add(c->h->loop, c->fd, EPOLLIN, ctl_accept, c);
}

int ctl_open(struct hike *h, const char *path, const char *group, struct ctl **out)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->h = h;
	c->fd = -1;
	if (path) {
		err = ctl_listen(c, path, group);
		if (err < 0) {
			if (c->fd >= 0)
				close(c->fd);
			if (c->path[0])
				unlink(c->path);
			free(c);
			return err;
		}
	}
	*out = c;
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i])
			ctl_client_free(c->clients[i]);
	if (c->fd >= 0) {
		if (c->h->loop)
			loop_fd_del(c->h->loop, c->fd);
		close(c->fd);
		unlink(c->path);
	}
	free(c);
}

const struct ctl_stats *ctl_stats(const struct ctl *c)
{
	return &c->stats;
}
