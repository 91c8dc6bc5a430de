/* IKE SA objects: allocation, the one state setter, log tag, packets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/loop.h"
#include "crypto/kex.h"
#include "sa/sa.h"
#include "sa/table.h"

static const char *const ike_state_names[IKE_SA_NSTATES] = {
	[IKE_SA_NEW] = "NEW",
	[IKE_SA_HALF_OPEN] = "HALF_OPEN",
	[IKE_SA_ESTABLISHED] = "ESTABLISHED",
	[IKE_SA_REKEYING] = "REKEYING",
	[IKE_SA_REKEYED] = "REKEYED",
	[IKE_SA_DELETING] = "DELETING",
	[IKE_SA_DEAD] = "DEAD",
};

const char *ike_sa_state_name(enum ike_sa_state s)
{
	return (unsigned)s < IKE_SA_NSTATES ? ike_state_names[s] : "?";
}

#define B(s) (1u << (s))
/* Allowed successors of each state. */
static const unsigned ike_sa_next[IKE_SA_NSTATES] = {
	[IKE_SA_NEW] = B(IKE_SA_HALF_OPEN) | B(IKE_SA_ESTABLISHED) |
		       B(IKE_SA_DEAD),
	[IKE_SA_HALF_OPEN] = B(IKE_SA_ESTABLISHED) | B(IKE_SA_DEAD),
	[IKE_SA_ESTABLISHED] = B(IKE_SA_REKEYING) | B(IKE_SA_REKEYED) |
			       B(IKE_SA_DELETING) | B(IKE_SA_DEAD),
	[IKE_SA_REKEYING] = B(IKE_SA_ESTABLISHED) | B(IKE_SA_REKEYED) |
			    B(IKE_SA_DELETING) | B(IKE_SA_DEAD),
	[IKE_SA_REKEYED] = B(IKE_SA_DELETING) | B(IKE_SA_DEAD),
	[IKE_SA_DELETING] = B(IKE_SA_DEAD),
	[IKE_SA_DEAD] = 0,
};

int ike_sa_set_state(struct hike *h, struct ike_sa *sa, enum ike_sa_state st)
{
	enum ike_sa_state old = sa->sa_state;

	if (old == st)
		return 0;
	if ((unsigned)st >= IKE_SA_NSTATES || !(ike_sa_next[old] & B(st))) {
		ike_sa_log(h, sa, LOG_ERR_, "refused state %s -> %s",
			   ike_sa_state_name(old), ike_sa_state_name(st));
		return -EINVAL;
	}
	sa->sa_state = st;
	ike_sa_table_state_changed(h, sa);
	ike_sa_log(h, sa, LOG_INFO_, "%s -> %s", ike_sa_state_name(old),
		   ike_sa_state_name(st));
	return 0;
}

struct ike_sa *ike_sa_new(struct hike *h)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->sa_serial = sa_table_next_serial(h);
	sa->sa_h = h;
	sa->sa_lease_pool = -1;
	sa->sa_created_ms = sa_now_ms(h);
	sa->sa_last_rx_ms = sa->sa_created_ms;
	return sa;
}

static void free_wiped(uint8_t **p, size_t len)
{
	if (*p)
		OPENSSL_cleanse(*p, len);
	free(*p);
	*p = NULL;
}

/* RFC 7296 2.15: Ni, Nr and the IKE_SA_INIT messages are only needed to
 * compute AUTH; drop them once IKE_AUTH is done. */
void ike_sa_drop_init_material(struct ike_sa *sa)
{
	free_wiped(&sa->sa_ni, sa->sa_ni_len);
	free_wiped(&sa->sa_nr, sa->sa_nr_len);
	free(sa->sa_msg1);
	free(sa->sa_msg2);
	sa->sa_msg1 = sa->sa_msg2 = NULL;
	sa->sa_ni_len = sa->sa_nr_len = 0;
	sa->sa_msg1_len = sa->sa_msg2_len = 0;
}

void ike_req_clear(struct ike_req *r)
{
	ike_pkts_free(&r->pkts);
	kex_free(r->kex);
	OPENSSL_cleanse(r, sizeof(*r));
}

void ike_sa_free(struct hike *h, struct ike_sa *sa)
{
	struct child_sa *c, *next;

	(void)h;
	if (!sa)
		return;
	for (c = sa->sa_children; c; c = next) {
		next = c->csa_next;
		child_sa_free(c);
	}
	if (sa->sa_timer)
		loop_timer_free(sa->sa_timer);
	ike_sa_drop_init_material(sa);
	ike_pkts_free(&sa->sa_resp);
	ike_req_clear(&sa->sa_req);
	if (sa->sa_frag) {
		ike_frag_asm_clear(sa->sa_frag);
		free(sa->sa_frag->buf);
		free(sa->sa_frag);
	}
	ike_keys_wipe(&sa->sa_keys);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void ike_sa_link_child(struct ike_sa *sa, struct child_sa *c)
{
	c->csa_ike = sa;
	c->csa_next = sa->sa_children;
	sa->sa_children = c;
}

void ike_sa_unlink_child(struct ike_sa *sa, struct child_sa *c)
{
	struct child_sa **pp;

	for (pp = &sa->sa_children; *pp; pp = &(*pp)->csa_next) {
		if (*pp == c) {
			*pp = c->csa_next;
			c->csa_next = NULL;
			return;
		}
	}
}

const char *sa_addr_str(const struct sockaddr_storage *ss, char *buf,
			size_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "?");
	return buf;
}

void ike_sa_log(struct hike *h, const struct ike_sa *sa, int level,
		const char *fmt, ...)
{
	char addr[INET6_ADDRSTRLEN], line[512];
	va_list ap;

	if (level > h->log.level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(&h->log, level, "[ike %llu peer %s] %s",
		(unsigned long long)sa->sa_serial,
		sa_addr_str(&sa->sa_remote, addr, sizeof(addr)), line);
}

uint64_t sa_now_ms(struct hike *h)
{
	if (h->loop)
		return loop_now_ms(h->loop);
	if (h->env.wall_s)
		return h->env.wall_s(h->env.ctx) * 1000;
	return 0;
}

int sa_random(struct hike *h, void *buf, size_t len)
{
	if (!h->env.random)
		return -ENOSYS;
	return h->env.random(h->env.ctx, buf, len);
}

void ike_pkts_free(struct ike_pkts *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

int ike_pkts_add(struct ike_pkts *p, const uint8_t *buf, size_t len)
{
	uint8_t *nb;

	if (len > 0xffff)
		return -EMSGSIZE;
	nb = realloc(p->buf, p->len + 2 + len);
	if (!nb)
		return -ENOMEM;
	nb[p->len] = (uint8_t)(len >> 8);
	nb[p->len + 1] = (uint8_t)len;
	memcpy(nb + p->len + 2, buf, len);
	p->buf = nb;
	p->len += 2 + len;
	p->n++;
	return 0;
}

int ike_pkts_send(struct hike *h, const struct ike_pkts *p,
		  const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote)
{
	struct rd r = rd_init(p->buf, p->len);
	const uint8_t *pkt;
	uint16_t len;
	int rc, err = 0;

	if (!h->env.send_ike)
		return -ENOSYS;
	while (rd_u16(&r, &len) && rd_ptr(&r, &pkt, len)) {
		rc = h->env.send_ike(h->env.ctx, local, remote, pkt, len);
		if (rc < 0)
			err = rc;
	}
	return err;
}
