/* Connected per-peer UDP sockets for ESP-in-UDP output; see dp_internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include "core/loop.h"
#include "esp/dp_internal.h"

static bool conn_addr_eq(const struct sockaddr_storage *a,
			 const struct sockaddr_storage *b, bool port)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return (!port || a4->sin_port == b4->sin_port) &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return (!port || a6->sin6_port == b6->sin6_port) &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return false;
}

static bool conn_specific(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr != INADDR_ANY;
	if (a->ss_family == AF_INET6)
		return !IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return false;
}

static unsigned conn_hash(const struct sockaddr_storage *r)
{
	const uint8_t *p;
	size_t n;
	uint32_t h = 2166136261u;

	if (r->ss_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)r)->sin_addr;
		n = 4;
		h = (h ^ ((const struct sockaddr_in *)r)->sin_port) * 16777619u;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)r)->sin6_addr;
		n = 16;
		h = (h ^ ((const struct sockaddr_in6 *)r)->sin6_port) * 16777619u;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % DP_CONN_BUCKETS;
}

static void conn_close(struct esp_dp *dp, struct dp_conn *c)
{
	if (c->s.fd >= 0) {
		if (dp->loop)
			loop_fd_del(dp->loop, c->s.fd);
		close(c->s.fd);
		c->s.fd = -1;
	}
}

struct dp_conn *dp_conn_get(struct esp_dp *dp, const struct esp_sa *sa,
			    uint64_t now)
{
	unsigned h;
	struct dp_conn *c;
	int fd;

	if (!sa->sa_encap || !conn_specific(&sa->sa_local) ||
	    sa->sa_local.ss_family != sa->sa_remote.ss_family)
		return NULL;
	h = conn_hash(&sa->sa_remote);
	for (c = dp->conns[h]; c; c = c->next) {
		if (conn_addr_eq(&c->remote, &sa->sa_remote, true) &&
		    conn_addr_eq(&c->local, &sa->sa_local, false))
			break;
	}
	if (c && c->s.fd >= 0) {
		c->used_ms = now;
		return c;
	}
	if (c) {		/* failed before: retry now and then */
		if (now - c->used_ms < DP_CONN_RETRY_MS)
			return NULL;
	} else {
		if (dp->nconns >= DP_CONN_MAX)
			return NULL;
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->s = (struct dp_sock){ .dp = dp, .fd = -1,
					 .family = sa->sa_remote.ss_family,
					 .kind = DP_NATT, .port = dp->natt_port,
					 .gro = dp->udp_gro };
		c->s.conn = c;
		c->local = sa->sa_local;
		esp_ss_set_port(&c->local, dp->natt_port);
		c->remote = sa->sa_remote;
		c->next = dp->conns[h];
		dp->conns[h] = c;
		dp->nconns++;
	}
	c->used_ms = now;
	c->no_gso = false;	/* a new socket tries GSO again */
	fd = esp_udp_connect(&c->local, dp->natt_port, &c->remote, dp->udp_gro);
	if (fd < 0)
		return NULL;
	c->s.fd = fd;
	if (dp->loop && loop_fd_add(dp->loop, fd, EPOLLIN, dp_on_sock, &c->s)) {
		conn_close(dp, c);
		return NULL;
	}
	return c;
}

void dp_conn_fail(struct esp_dp *dp, struct dp_conn *c, uint64_t now)
{
	conn_close(dp, c);
	c->used_ms = now;
}

void dp_conn_gc(struct esp_dp *dp, uint64_t now)
{
	for (size_t h = 0; h < DP_CONN_BUCKETS; h++) {
		for (struct dp_conn **pp = &dp->conns[h]; *pp;) {
			struct dp_conn *c = *pp;

			if (now - c->used_ms < DP_CONN_IDLE_MS) {
				pp = &c->next;
				continue;
			}
			*pp = c->next;
			conn_close(dp, c);
			free(c);
			dp->nconns--;
		}
	}
}

void dp_conn_free_all(struct esp_dp *dp)
{
	for (size_t h = 0; h < DP_CONN_BUCKETS; h++) {
		while (dp->conns[h]) {
			struct dp_conn *c = dp->conns[h];

			dp->conns[h] = c->next;
			conn_close(dp, c);
			free(c);
		}
	}
	dp->nconns = 0;
}

int dp_poll_conns(struct esp_dp *dp)
{
	int n = 0;

	for (size_t h = 0; h < DP_CONN_BUCKETS && dp->nconns; h++) {
		for (struct dp_conn *c = dp->conns[h]; c; c = c->next) {
			if (c->s.fd >= 0)
				n += dp_poll_sock(&c->s);
		}
	}
	return n;
}
