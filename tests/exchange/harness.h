/*
 * The responder side of the exchange tests: one struct hike in this
 * process, h->env.send_ike captured into a list, deterministic
 * randomness, a wall clock the test moves by hand, inline workers (NULL:
 * sa_offload runs the DH at once).  Header-only, included by each test.
 */
#ifndef HIKE_TESTS_EXCHANGE_HARNESS_H
#define HIKE_TESTS_EXCHANGE_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/counters.h"
#include "core/hike.h"
#include "sa/repl.h"
#include "sa/sa.h"
#include "../common/initiator.h"

#define W_MAX_OUT	16

struct w_pkt {
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
	struct sockaddr_storage to, from;
};

struct world {
	struct hike h;
	uint64_t now_s;
	uint32_t rnd;
	unsigned nout;
	struct w_pkt out[W_MAX_OUT];
	struct sockaddr_storage resp, ini;	/* 192.0.2.10, 192.0.2.50 */
	uint8_t req[IKE_MSG_MAX];		/* scratch for requests */
	size_t req_len;
};

static int w_random(void *ctx, void *buf, size_t len)
{
	struct world *w = ctx;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		w->rnd = w->rnd * 1103515245u + 12345u;
		p[i] = (uint8_t)(w->rnd >> 16);
	}
	return 0;
}

static uint64_t w_wall(void *ctx)
{
	return ((struct world *)ctx)->now_s;
}

static int w_send(void *ctx, const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote, const uint8_t *buf,
		  size_t len)
{
	struct world *w = ctx;
	struct w_pkt *p;

	if (w->nout >= W_MAX_OUT || len > sizeof(p->buf))
		return -ENOSPC;
	p = &w->out[w->nout++];
	memcpy(p->buf, buf, len);
	p->len = len;
	p->to = *remote;
	p->from = *local;
	return 0;
}

static void w_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

static struct world *world_new(const char *yaml)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[2048] = "";

	if (!w)
		return NULL;
	w->h.conf = conf_load_string("test.yaml", yaml, err, sizeof(err));
	if (!w->h.conf) {
		fprintf(stderr, "conf: %s\n", err);
		free(w);
		return NULL;
	}
	w->h.log.level = getenv("HIKE_TEST_LOG") ? LOG_DEBUG_ : LOG_ERR_;
	w->h.log.node = "resp";
	w->h.env = (struct hike_env){ w_random, w_wall, w_send, w };
	w->h.counters = counters_new();
	w->now_s = 1000;
	w->rnd = 42;
	w_addr(&w->resp, "192.0.2.10", 500);
	w_addr(&w->ini, "192.0.2.50", 500);
	if (sa_tables_init(&w->h)) {
		conf_free(w->h.conf);
		free(w);
		return NULL;
	}
	return w;
}

static void world_free(struct world *w)
{
	if (!w)
		return;
	sa_tables_free(&w->h);
	counters_free(w->h.counters);
	conf_free(w->h.conf);
	free(w);
}

/* Deliver one datagram from the initiator; responses land in w->out. */
static inline void w_rx(struct world *w, const uint8_t *buf, size_t len)
{
	w->nout = 0;
	ike_rx(&w->h, &w->resp, &w->ini, buf, len);
}

static inline uint64_t w_count(struct world *w, enum counter_id id)
{
	return counters_get(w->h.counters, id);
}

/* An initiator with the usual test identity, addresses and selectors. */
static inline void w_ini_conf(struct world *w, struct ini_conf *c, const char *ike,
		       const char *esp, const char *psk, const char *id)
{
	memset(c, 0, sizeof(*c));
	c->ike_proposal = ike;
	c->esp_proposal = esp;
	c->psk = psk;
	c->idi_type = IKE_ID_FQDN;
	c->idi = (const uint8_t *)id;
	c->idi_len = strlen(id);
	c->spi = 0x1122334455667788ULL;
	c->seed = 7;
	c->me = w->ini;
	c->peer = w->resp;
	c->ntsi = c->ntsr = 1;
	/* TSi 203.0.113.128/25, TSr 203.0.113.0/25 (DESIGN.md addressing) */
	c->tsi[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.eport = 0xffff, .start = { 203, 0, 113, 128 },
		.end = { 203, 0, 113, 255 } };
	c->tsr[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.eport = 0xffff, .start = { 203, 0, 113, 0 },
		.end = { 203, 0, 113, 127 } };
}

/* A replicator that holds each update until the test calls done (only
 * the latest is kept): sa_set_replicator(&w->h, &(struct sa_replicator)
 * { fake_submit, &f }). */
struct fake_repl {
	unsigned n;
	enum sa_update_kind kind;
	void (*done)(void *arg, int status);
	void *arg;
};

static inline int fake_submit(void *ctx, const struct sa_update *u,
			      void (*done)(void *arg, int status), void *arg)
{
	struct fake_repl *f = ctx;

	f->n++;
	f->kind = u->kind;
	f->done = done;
	f->arg = arg;
	return 0;
}

/* IKE_SA_INIT and IKE_AUTH; returns the last *_resp() result. */
static inline int w_establish(struct world *w, struct ini *x)
{
	int rc;

	/* IKE_SA_INIT { HDR, SAi1, KEi, Ni } --> */
	if (ini_sa_init(x, w->req, sizeof(w->req), &w->req_len))
		return -1;
	w_rx(w, w->req, w->req_len);
	if (w->nout != 1)
		return -2;
	/* <-- { HDR, SAr1, KEr, Nr, [CERTREQ] } */
	rc = ini_sa_init_resp(x, w->out[0].buf, w->out[0].len);
	if (rc)
		return rc;
	/* IKE_AUTH { HDR, SK { IDi, AUTH, SAi2, TSi, TSr } } --> */
	if (ini_auth(x, w->req, sizeof(w->req), &w->req_len))
		return -3;
	w_rx(w, w->req, w->req_len);
	if (w->nout != 1)
		return -4;
	/* <-- { HDR, SK { IDr, AUTH, SAr2, TSi, TSr } } */
	return ini_auth_resp(x, w->out[0].buf, w->out[0].len);
}

#endif
