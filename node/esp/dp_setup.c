/* Datapath set-up and teardown, SA installation, accessors; see dp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "core/loop.h"
#include "esp/dp.h"
#include "esp/dp_internal.h"

static int dp_add_sock(struct esp_dp *dp, int family, enum dp_kind kind,
		       uint16_t port)
{
	struct dp_sock *s = &dp->socks[dp->nsocks];
	uint16_t bound = 0;
	int fd;

	if (dp->nsocks == DP_MAX_SOCKS)
		return -ENOSPC;
	if (kind == DP_RAW)
		fd = esp_raw_open(family);
	else
		fd = esp_udp_open(family, port == ESP_DP_EPHEMERAL ? 0 : port, &bound,
				  kind == DP_NATT && dp->udp_gro);
	if (fd < 0)
		return fd;
	*s = (struct dp_sock){ .dp = dp, .fd = fd, .family = family,
			       .kind = kind, .port = bound,
			       .gro = kind == DP_NATT && dp->udp_gro };
	dp->nsocks++;
	if (kind == DP_NATT)
		dp->natt_port = bound;
	else if (kind == DP_IKE)
		dp->ike_port = bound;
	return 0;
}

static int dp_open_socks(struct esp_dp *dp, const struct esp_dp_conf *c)
{
	int fams[2] = { AF_INET, AF_INET6 };
	int rc = 0;

	for (size_t f = 0; f < (c->ipv6 ? 2u : 1u) && rc == 0; f++) {
		/* the same port on both families: bind v6 to what v4 got */
		uint16_t natt = f && dp->natt_port ? dp->natt_port : c->natt_port;
		uint16_t ike = f && dp->ike_port ? dp->ike_port : c->ike_port;

		if (c->natt_port)
			rc = dp_add_sock(dp, fams[f], DP_NATT, natt);
		if (rc == 0 && c->ike_port)
			rc = dp_add_sock(dp, fams[f], DP_IKE, ike);
		if (rc == 0 && c->raw_esp)
			rc = dp_add_sock(dp, fams[f], DP_RAW, 0);
	}
	return rc;
}

static int dp_register(struct esp_dp *dp)
{
	int rc = 0;

	if (!dp->loop)
		return 0;
	for (size_t i = 0; i < dp->nsocks && rc == 0; i++)
		rc = loop_fd_add(dp->loop, dp->socks[i].fd, EPOLLIN, dp_on_sock,
				 &dp->socks[i]);
	if (rc == 0)
		rc = loop_fd_add(dp->loop, dp->tun_fd, EPOLLIN, dp_on_tun, dp);
	return rc;
}

int esp_dp_new(struct loop *loop, const struct esp_dp_conf *c,
	       struct esp_dp **out)
{
	struct esp_dp *dp = calloc(1, sizeof(*dp));
	char name[16];
	int rc;

	*out = NULL;
	if (!dp)
		return -ENOMEM;
	dp->loop = loop;
	dp->cnt = c->counters;
	dp->ike_rx = c->ike_rx;
	dp->ike_arg = c->ike_arg;
	dp->tun_fd = c->tun_fd;
	dp->tun_vnet = c->tun_vnet;
	if (c->tun_fd < 0) {
		dp->tun_vnet = c->offload;
		dp->tun_fd = esp_tun_open(c->tun_name[0] ? c->tun_name : "hike0",
					  name, &dp->tun_vnet);
		dp->own_tun = true;
	}
	dp->udp_gso = c->offload;
	dp->udp_gro = c->offload;
	dp->coalesce_us = c->coalesce_us;
	for (size_t i = 0; i < DP_GRO_ITEMS; i++)
		dp->gro[i].gr_buf = dp->gro_buf[i];
	rc = dp->tun_fd < 0 ? dp->tun_fd : esp_spd_new(&dp->spd);
	if (rc == 0)
		rc = dp_open_socks(dp, c);
	if (rc == 0)
		rc = dp_register(dp);
	if (rc) {
		esp_dp_free(dp);
		return rc;
	}
	*out = dp;
	return 0;
}

static void dp_collect(void *arg, struct esp_sa *sa)
{
	struct esp_sa ***pp = arg;

	*(*pp)++ = sa;
}

static void dp_free_sas(struct esp_dp *dp)
{
	size_t n = esp_spd_count(dp->spd);
	struct esp_sa **all = calloc(n ? n : 1, sizeof(*all)), **p = all;

	if (!all)
		return;		/* leak rather than walk a changing table */
	esp_spd_foreach(dp->spd, dp_collect, &p);
	for (size_t i = 0; i < n; i++) {
		esp_spd_del(dp->spd, all[i]);
		esp_sa_free(all[i]);
	}
	free(all);
}

void esp_dp_free(struct esp_dp *dp)
{
	if (!dp)
		return;
	for (size_t i = 0; i < dp->nsocks; i++) {
		if (dp->loop)
			loop_fd_del(dp->loop, dp->socks[i].fd);
		close(dp->socks[i].fd);
	}
	dp_conn_free_all(dp);
	if (dp->tun_fd >= 0) {
		if (dp->loop)
			loop_fd_del(dp->loop, dp->tun_fd);
		if (dp->own_tun)
			close(dp->tun_fd);
	}
	if (dp->spd) {
		dp_free_sas(dp);
		esp_spd_free(dp->spd);
	}
	free(dp);
}

int esp_dp_sa_add(struct esp_dp *dp, const struct esp_sa_params *p,
		  struct esp_sa **out)
{
	struct esp_sa *sa;
	int rc;

	if (out)
		*out = NULL;
	if (esp_spd_by_spi(dp->spd, p->spi_in))
		return -EEXIST;
	rc = esp_sa_new(p, &sa);
	if (rc)
		return rc;
	rc = esp_spd_add(dp->spd, sa);
	if (rc) {
		esp_sa_free(sa);
		return rc;
	}
	if (out)
		*out = sa;
	return 0;
}

int esp_dp_sa_del(struct esp_dp *dp, uint32_t spi_in)
{
	struct esp_sa *sa = esp_spd_by_spi(dp->spd, spi_in);

	if (!sa)
		return -ENOENT;
	esp_spd_del(dp->spd, sa);
	esp_sa_free(sa);
	return 0;
}

struct esp_sa *esp_dp_sa_find(const struct esp_dp *dp, uint32_t spi_in)
{
	return esp_spd_by_spi(dp->spd, spi_in);
}

size_t esp_dp_sa_count(const struct esp_dp *dp)
{
	return esp_spd_count(dp->spd);
}

void esp_dp_sa_foreach(const struct esp_dp *dp,
		       void (*cb)(void *arg, struct esp_sa *sa), void *arg)
{
	esp_spd_foreach(dp->spd, cb, arg);
}

uint16_t esp_dp_natt_port(const struct esp_dp *dp)
{
	return dp->natt_port;
}

uint16_t esp_dp_ike_port(const struct esp_dp *dp)
{
	return dp->ike_port;
}

int esp_dp_tun_fd(const struct esp_dp *dp)
{
	return dp->tun_fd;
}

void esp_dp_stats(const struct esp_dp *dp, struct esp_dp_stats *out)
{
	*out = dp->st;
}

uint32_t esp_dp_pace(void *arg)
{
	struct esp_dp *dp = arg;
	uint64_t now = dp->st.esp_rx + dp->st.esp_tx;
	bool bulk = now - dp->pace_mark >= ESP_DP_PACE_MIN;

	dp->pace_mark = now;
	if (!bulk || !dp->coalesce_us)
		return 0;
	dp->st.paced++;
	return dp->coalesce_us;
}
