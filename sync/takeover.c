/* Takeover: virtual IPs and the RFC 6311 resynchronisation requests. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/counters.h"
#include "net/nl.h"
#include "sa/exchange.h"
#include "sa_codec.h"
#include "sync.h"
#include "takeover.h"

struct takeover {
	struct hike *h;
	struct takeover_net net;
	bool have_net;
	bool defer_announce;		/* vips_up adds, announce later */
	bool announce_due;
	bool linger;			/* vips_down keeps them (hand-over) */
	bool lingering;			/* kept: released by vips_release */
	struct takeover_stats st;
};

/* ------------------------------------------------ netlink wiring */

static int nl_add(void *ctx, const char *dev, int family, const void *addr,
		  uint8_t plen)
{
	return nl_addr_add(ctx, dev, family, addr, plen);
}

static int nl_del(void *ctx, const char *dev, int family, const void *addr,
		  uint8_t plen)
{
	return nl_addr_del(ctx, dev, family, addr, plen);
}

static int nl_announce(void *ctx, const char *dev, int family,
		       const void *addr)
{
	(void)ctx;
	return family == AF_INET6 ? nl_una_send(dev, addr) :
	       nl_garp_send(dev, addr);
}

void takeover_net_netlink(struct takeover_net *out, struct nl *nl)
{
	*out = (struct takeover_net){ .addr_add = nl_add, .addr_del = nl_del,
				      .announce = nl_announce, .ctx = nl };
}

/* ------------------------------------------------------ objects */

struct takeover *takeover_new(struct hike *h, const struct takeover_net *net)
{
	struct takeover *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->h = h;
	if (net) {
		t->net = *net;
		t->have_net = true;
	}
	return t;
}

void takeover_free(struct takeover *t)
{
	free(t);
}

struct takeover_stats *takeover_stats(struct takeover *t)
{
	return &t->st;
}

/* ---------------------------------------------------- step 1: VIPs */

/* Neighbours still point at the old node's MAC: tell them. */
/* true when announced */
static bool vip_announce(struct takeover *t, size_t i)
{
	const struct conf_vip *v = &t->h->conf->sync.vips[i];
	int rc = t->net.announce ? t->net.announce(t->net.ctx, v->dev,
				   v->net.family, v->net.addr) : 0;

	if (rc) {
		t->st.errors++;
		log_warn(&t->h->log, "takeover: vip %zu: announce failed: %d",
			 i, rc);
		return false;
	}
	t->st.vips_announced++;
	return true;
}

int takeover_vips_up(struct takeover *t)
{
	const struct conf *c = t->h->conf;
	int rc, first = 0;

	if (t->lingering) {	/* active again before the hand-over ended */
		t->lingering = false;
		log_info(&t->h->log, "takeover: virtual IPs kept (active again)");
	}
	for (size_t i = 0; c && t->have_net && i < c->sync.nvips; i++) {
		const struct conf_vip *v = &c->sync.vips[i];

		rc = t->net.addr_add(t->net.ctx, v->dev, v->net.family,
				     v->net.addr, v->net.plen);
		if (rc && rc != -EEXIST) {
			log_err(&t->h->log, "takeover: vip %zu on %s: add "
				"failed: %d", i, v->dev, rc);
			t->st.errors++;
			first = first ? first : rc;
			continue;
		}
		t->st.vips_added++;
		if (t->defer_announce) {
			t->announce_due = true;
			log_info(&t->h->log, "takeover: vip %zu up on %s "
				 "(announced once the datapath is ready)", i, v->dev);
			continue;
		}
		vip_announce(t, i);
		log_info(&t->h->log, "takeover: vip %zu up on %s", i, v->dev);
	}
	return first;
}

int takeover_vips_announce(struct takeover *t)
{
	const struct conf *c = t->h->conf;
	int n = 0;

	for (size_t i = 0; c && t->have_net && i < c->sync.nvips; i++)
		n += vip_announce(t, i);
	return n;
}

void takeover_defer_announce(struct takeover *t, bool on)
{
	t->defer_announce = on;
	if (on || !t->announce_due)
		return;
	t->announce_due = false;
	log_info(&t->h->log, "takeover: %d virtual IP(s) announced",
		 takeover_vips_announce(t));
}

void takeover_linger(struct takeover *t, bool on)
{
	t->linger = on;
}

bool takeover_vips_lingering(const struct takeover *t)
{
	return t->lingering;
}

int takeover_vips_release(struct takeover *t)
{
	if (!t->lingering)
		return 0;
	t->lingering = false;
	return takeover_vips_down(t);
}

int takeover_vips_down(struct takeover *t)
{
	const struct conf *c = t->h->conf;
	int rc, first = 0;

	if (t->linger) {
		t->lingering = c && t->have_net && c->sync.nvips;
		if (t->lingering)
			log_info(&t->h->log, "standby: virtual IPs kept until the "
				 "new active has announced them");
		return 0;
	}
	for (size_t i = 0; c && t->have_net && i < c->sync.nvips; i++) {
		const struct conf_vip *v = &c->sync.vips[i];

		rc = t->net.addr_del(t->net.ctx, v->dev, v->net.family,
				     v->net.addr, v->net.plen);
		if (rc && rc != -EADDRNOTAVAIL) {
			t->st.errors++;
			first = first ? first : rc;
			continue;
		}
		t->st.vips_released++;
		log_info(&t->h->log, "standby: vip %zu released", i);
	}
	return first;
}

/* ---------------------------------------------- step 3: RFC 6311 */

struct sync_send {
	struct takeover *t;
	uint64_t spi;			/* our SPI: the SA may go meanwhile */
};

/* The jump is on every standby: now the peer may learn it. */
static void msgid_sync_send(void *arg, int status)
{
	struct sync_send *x = arg;
	struct ike_sa *sa = status ? NULL : ike_sa_find(x->t->h, x->spi);

	if (sa && sa->sa_req.kind != IKE_REQ_NONE && sa->sa_req.msgid == 0 &&
	    ike_pkts_send(x->t->h, &sa->sa_req.pkts, &sa->sa_local,
			  &sa->sa_remote) == 0)
		x->t->st.msgid_sync_sent++;
	free(x);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * RFC 6311 5.2: one value for every Child SA of the IKE SA, the next
 * outbound sequence number; sa_sync_activate() jumped them all to the
 * same value for such peers.  4 octets, or 8 with ESN (the peer's
 * windows are 64-bit then).  Protocol ID and SPI size are zero.
 */
static bool add_replay_sync(struct ike_sa *sa, struct ike_msg *m,
			    uint8_t buf[8])
{
	const struct child_sa *c = sa->sa_children;
	uint64_t next;
	bool esn;

	if (!(sa->sa_flags & IKE_SA_F_REPLAY_SYNC) || !c)
		return false;
	next = c->csa_seq_out + 1;
	esn = c->csa_suite.esn == IKE_ESN_YES;
	if (esn) {
		put32(buf, (uint32_t)(next >> 32));
		put32(buf + 4, (uint32_t)next);
	} else {
		put32(buf, (uint32_t)next);
	}
	return ike_msg_add_notify(m, true, IKE_N_IPSEC_REPLAY_COUNTER_SYNC, buf,
				  esn ? 8 : 4) != NULL;
}

/*
 * RFC 6311 5.1: Nonce (4) | EXPECTED_SEND_REQ_MESSAGE_ID (4) |
 * EXPECTED_RECV_REQ_MESSAGE_ID (4).  We announce our next request ID
 * past anything possibly unsynced (TAKEOVER_MSGID_MARGIN); the next
 * request we expect stays the replicated one -- every response we sent
 * was replicated first, so it is exact, and keeping it keeps the cached
 * last response valid for a retransmit (RFC 7296 2.1).
 */
static int build_sync(struct takeover *t, struct ike_sa *sa, struct ike_msg *m,
		      struct ike_req *req)
{
	uint8_t data[12], rc_buf[8];
	uint32_t send_id = sa->sa_our_next + TAKEOVER_MSGID_MARGIN;
	struct ike_hdr hdr;
	int rc;

	rc = sa_random(t->h, data, 4);
	if (rc)
		return rc;
	put32(data + 4, send_id);
	put32(data + 8, sa->sa_peer_next);
	/* RFC 6311 4.2.1: message ID zero, protected by the IKE SA */
	ike_sa_hdr(sa, IKE_INFORMATIONAL, 0, false, &hdr);
	ike_msg_init(m, &hdr);
	m->sk.present = true;
	if (!ike_msg_add_notify(m, true, IKE_N_IKEV2_MESSAGE_ID_SYNC, data, 12))
		return -ENOSPC;
	if (add_replay_sync(sa, m, rc_buf))
		t->st.replay_sync_sent++;
	*req = (struct ike_req){ .kind = IKE_REQ_DPD, .msgid = 0 };
	rc = ike_sa_seal(t->h, sa, m, &req->pkts);
	if (!rc)
		sa->sa_our_next = send_id;
	return rc;
}

/* The updated SA (jumped message IDs, request in flight) to the other
 * standbys first, so a second takeover never announces less. */
static int replicate_then_send(struct takeover *t, struct ike_sa *sa)
{
	struct sync_send *x = malloc(sizeof(*x));
	struct sa_recs r = { 0 };
	int rc;

	if (!x)
		return -ENOMEM;
	x->t = t;
	x->spi = ike_sa_our_spi(sa);
	rc = sa_codec_ike_add(t->h, sa, &r);
	if (!rc && t->h->sync)
		rc = sync_submit(t->h->sync, r.v[0].buf, r.v[0].len,
				 msgid_sync_send, x);
	else if (!rc)
		msgid_sync_send(x, 0);
	sa_recs_free(&r);
	if (rc)
		free(x);
	return rc;
}

int takeover_msgid_sync(struct takeover *t, struct ike_sa *sa)
{
	struct ike_msg *m;
	struct ike_req req;
	int rc;

	if (!(sa->sa_flags & IKE_SA_F_MSGID_SYNC) ||
	    t->h->conf->sync.msgid_sync == CONF_MSGID_SYNC_NEVER)
		return -ENOTSUP;
	if (sa->sa_state != IKE_SA_ESTABLISHED)
		return -EAGAIN;
	/*
	 * The peer answers with message ID 0.  strongSwan (5.9) derives its
	 * AEAD IV from the message ID and allows each ID twice per key: once
	 * for its own requests, once more "above" them; an answer to one of
	 * our requests already used that second slot for ID 0, so a second
	 * answer with ID 0 fails and it deletes the IKE SA.  Our message IDs
	 * are exact without the notify (replicated before use, and an
	 * outstanding request is simply retransmitted, RFC 7296 2.1), so in
	 * auto mode it goes only where it cannot hurt.
	 */
	if (t->h->conf->sync.msgid_sync == CONF_MSGID_SYNC_AUTO && sa->sa_our_next > 0) {
		ike_sa_log(t->h, sa, LOG_INFO_, "takeover: IKEV2_MESSAGE_ID_SYNC skipped "
			   "(msgid_sync auto: the peer answered our request(s) 0..%u; IDs are exact)",
			   sa->sa_our_next - 1);
		t->st.msgid_sync_skipped++;
		return -ECANCELED;
	}
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = build_sync(t, sa, m, &req);
	free(m);
	if (rc) {
		ike_req_clear(&req);
		t->st.errors++;
		return rc;
	}
	/* whatever the dead node had in flight is superseded (4.2.1) */
	ike_req_clear(&sa->sa_req);
	sa->sa_req = req;
	sa->sa_req.sent_ms = sa_now_ms(t->h);
	ike_sa_log(t->h, sa, LOG_INFO_, "takeover: IKEV2_MESSAGE_ID_SYNC "
		   "(send %u, recv %u)", sa->sa_our_next, sa->sa_peer_next);
	rc = replicate_then_send(t, sa);
	if (rc)
		t->st.errors++;
	return rc;
}

struct sync_all {
	struct takeover *t;
	int sent;
};

static int sync_each(struct ike_sa *sa, void *arg)
{
	struct sync_all *a = arg;

	if (takeover_msgid_sync(a->t, sa) == 0)
		a->sent++;
	return 0;
}

int takeover_msgid_sync_all(struct takeover *t)
{
	struct sync_all a = { t, 0 };

	ike_sa_foreach(t->h, sync_each, &a);
	log_info(&t->h->log, "takeover: %d IKEV2_MESSAGE_ID_SYNC request(s)",
		 a.sent);
	return a.sent;
}
