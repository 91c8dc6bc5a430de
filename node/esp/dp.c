/* The userspace ESP datapath; see dp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "hike/ikev2.h"
#include "core/counters.h"
#include "core/loop.h"
#include "esp/dp.h"
#include "esp/dp_internal.h"
#include "esp/flow.h"
#include "esp/io.h"
#include "esp/spd.h"

/* RFC 3948 2.2: IKE on port 4500 starts with four zero bytes */
static const uint8_t dp_non_esp_marker[4];

static void dp_drop(struct esp_dp *dp, enum esp_drop why)
{
	static const enum counter_id map[ESP_DROP_MAX] = {
		[ESP_DROP_SHORT] = CNT_DROP_ESP_MALFORMED,
		[ESP_DROP_SEQ] = CNT_DROP_ESP_MALFORMED,
		[ESP_DROP_PAD] = CNT_DROP_ESP_MALFORMED,
		[ESP_DROP_PROTO] = CNT_DROP_ESP_MALFORMED,
		[ESP_DROP_SPI] = CNT_DROP_ESP_NO_SA,
		[ESP_DROP_EXPIRED] = CNT_DROP_ESP_NO_SA,
		[ESP_DROP_REPLAY] = CNT_DROP_ESP_REPLAY,
		[ESP_DROP_STALE] = CNT_DROP_ESP_REPLAY,
		[ESP_DROP_ICV] = CNT_DROP_ESP_ICV,
		[ESP_DROP_TS] = CNT_DROP_ESP_TS,
		[ESP_DROP_NOPOLICY] = CNT_DROP_ESP_NO_POLICY,
		[ESP_DROP_SEQ_EXHAUSTED] = CNT_DROP_ESP_SEQ_EXHAUSTED,
		[ESP_DROP_SEQ_LIMIT] = CNT_DROP_ESP_SEQ_UNSYNCED,
		[ESP_DROP_OFFLOAD] = CNT_DROP_ESP_MALFORMED,
	};

	if (why <= ESP_DROP_NONE || why >= ESP_DROP_MAX)
		return;
	dp->st.drops[why]++;
	if (map[why])
		counters_inc(dp->cnt, map[why]);
}

static uint64_t dp_now(const struct esp_dp *dp)
{
	return dp->loop ? loop_now_ms(dp->loop) : 0;
}

static struct dp_sock *dp_sock_for(struct esp_dp *dp, int family,
				   enum dp_kind kind)
{
	for (size_t i = 0; i < dp->nsocks; i++) {
		if (dp->socks[i].family == family && dp->socks[i].kind == kind)
			return &dp->socks[i];
	}
	return NULL;
}

/* ---- outbound: TUN -> ESP ---- */

/* Address slot k's message to sa's peer for the shared socket. */
static void dp_msg_addr(struct esp_dp *dp, size_t k, const struct esp_sa *sa)
{
	struct msghdr *h = &dp->msgs[k].msg_hdr;

	dp->addrs[k] = sa->sa_remote;
	if (!sa->sa_encap)	/* raw sockets take no port */
		((struct sockaddr_in *)&dp->addrs[k])->sin_port = 0;
	h->msg_name = &dp->addrs[k];
	h->msg_namelen = sizeof(dp->addrs[k]);
	esp_cmsg_src(h, &sa->sa_local, dp->cbuf[k]);
}

/* Where an inner packet goes: its SA, and the socket it leaves by. */
struct dp_route {
	struct esp_sa *sa;
	struct dp_sock *s;	/* the shared socket of that family */
	struct dp_conn *c;	/* the connected one, or NULL */
};

/* Look the packet's selectors up (RFC 4301 5.1); false when it is
 * dropped. */
static bool dp_route(struct esp_dp *dp, const uint8_t *pkt, size_t len,
		     struct dp_route *rt, uint64_t now)
{
	struct esp_flow fl;

	if (esp_flow_parse(pkt, len, &fl)) {
		dp_drop(dp, ESP_DROP_PROTO);
		return false;
	}
	rt->sa = esp_spd_out(dp->spd, &fl);
	if (!rt->sa) {
		dp_drop(dp, ESP_DROP_NOPOLICY);
		return false;
	}
	rt->s = dp_sock_for(dp, rt->sa->sa_remote.ss_family,
			    rt->sa->sa_encap ? DP_NATT : DP_RAW);
	if (!rt->s) {
		dp_drop(dp, ESP_DROP_NOPOLICY);
		return false;
	}
	rt->c = dp_conn_get(dp, rt->sa, now);
	return true;
}

/* Encap one inner packet into slot k along rt; false when it is
 * dropped. */
static bool dp_out_encap(struct esp_dp *dp, const uint8_t *pkt, size_t len,
			 size_t k, const struct dp_route *rt, uint64_t now)
{
	struct esp_sa *sa = rt->sa;
	enum esp_drop why;
	size_t olen;

	if (esp_encap(sa, pkt, len, dp->tx[k], sizeof(dp->tx[k]), &olen, &why)) {
		dp_drop(dp, why);
		return false;
	}
	sa->sa_st.last_out_ms = now;
	dp->iov[k] = (struct iovec){ dp->tx[k], olen };
	memset(&dp->msgs[k], 0, sizeof(dp->msgs[k]));
	dp->msgs[k].msg_hdr.msg_iov = &dp->iov[k];
	dp->msgs[k].msg_hdr.msg_iovlen = 1;
	dp->tx_conn[k] = rt->c;
	if (rt->c) {	/* connected: no address, no route lookup */
		dp->tx_fd[k] = rt->c->s.fd;
		dp->addrs[k] = sa->sa_remote;	/* for a fallback */
		return true;
	}
	dp_msg_addr(dp, k, sa);
	dp->tx_fd[k] = rt->s->fd;
	return true;
}

static bool dp_out_one(struct esp_dp *dp, const uint8_t *pkt, size_t len,
		       size_t k, uint64_t now)
{
	struct dp_route rt;

	return dp_route(dp, pkt, len, &rt, now) &&
	       dp_out_encap(dp, pkt, len, k, &rt, now);
}

/* sendmmsg one run [i, j) on one socket; the number sent. */
static size_t dp_send_run(int fd, struct mmsghdr *m, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int sent = sendmmsg(fd, m + done, (unsigned)(n - done), 0);

		if (sent <= 0)
			break;
		done += (size_t)sent;
	}
	return done;
}

/* Slots [i, j) were for connected socket c, which failed: send them
 * through the shared socket.  The number sent. */
static size_t dp_fallback(struct esp_dp *dp, struct dp_conn *c, size_t i,
			  size_t j)
{
	struct dp_sock *s = dp_sock_for(dp, c->remote.ss_family, DP_NATT);

	if (!s)
		return 0;
	for (size_t k = i; k < j; k++) {
		struct msghdr *h = &dp->msgs[k].msg_hdr;

		h->msg_name = &dp->addrs[k];
		h->msg_namelen = sizeof(dp->addrs[k]);
		esp_cmsg_src(h, &c->local, dp->cbuf[k]);
	}
	return dp_send_run(s->fd, &dp->msgs[i], j - i);
}

static bool dp_hard_err(void)
{
	return errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS;
}

/* UDP GSO groups of slots [i, i + n): runs of equal-sized ESP packets
 * (the last of a run may be shorter), each one message whose iovecs the
 * kernel sends as one skb and splits at the UDP_SEGMENT size.  The
 * number of groups. */
static size_t dp_gso_group(struct esp_dp *dp, size_t i, size_t n)
{
	size_t ng = 0, end = i + n;

	for (size_t k = i; k < end; ng++) {
		size_t sz = dp->iov[k].iov_len, m = 1, tot = sz;
		struct msghdr *h = &dp->gmsgs[ng].msg_hdr;

		while (k + m < end && m < DP_GSO_SEGS &&
		       dp->iov[k + m].iov_len <= sz &&
		       tot + dp->iov[k + m].iov_len <= DP_GSO_BYTES) {
			tot += dp->iov[k + m].iov_len;
			if (dp->iov[k + m++].iov_len < sz)
				break;
		}
		memset(h, 0, sizeof(*h));
		h->msg_iov = &dp->iov[k];
		h->msg_iovlen = m;
		if (m > 1) {
			struct cmsghdr *c;
			uint16_t gso = (uint16_t)sz;

			memset(dp->gcbuf[ng], 0, DP_GSO_CMSG);
			h->msg_control = dp->gcbuf[ng];
			h->msg_controllen = DP_GSO_CMSG;
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gso));
			memcpy(CMSG_DATA(c), &gso, sizeof(gso));
		}
		dp->gslot[ng] = (uint16_t)k;
		dp->gcount[ng] = (uint16_t)m;
		k += m;
	}
	return ng;
}

/* Slots [i, i + n) on connected socket c with UDP GSO; a group the
 * kernel refuses (EIO: no checksum offload on the route; EINVAL or
 * EMSGSIZE: a segment above the path MTU) goes out one by one.  The
 * number of slots sent (a prefix); errno tells why it stopped. */
static size_t dp_send_gso(struct esp_dp *dp, struct dp_conn *c, size_t i,
			  size_t n)
{
	size_t ng = dp_gso_group(dp, i, n), g = 0, sent = 0;

	while (g < ng) {
		int r = sendmmsg(c->s.fd, &dp->gmsgs[g], (unsigned)(ng - g), 0);

		if (r > 0) {
			for (int q = 0; q < r; q++, g++) {
				sent += dp->gcount[g];
				dp->st.udp_gso += dp->gcount[g] > 1;
			}
			continue;
		}
		if (dp->gcount[g] < 2 ||
		    (errno != EIO && errno != EINVAL && errno != EMSGSIZE))
			break;
		/* the rest one by one, and no GSO on this connection until
		 * it is made anew */
		dp->st.gso_fallbacks++;
		c->no_gso = true;
		sent += dp_send_run(c->s.fd, &dp->msgs[dp->gslot[g]],
				    i + n - dp->gslot[g]);
		break;
	}
	return sent;
}

/* Slots [i, i + n) on connected socket c: the number sent (a prefix). */
static size_t dp_send_conn(struct esp_dp *dp, struct dp_conn *c, size_t i,
			   size_t n)
{
	if (dp->udp_gso && !c->no_gso && n > 1)
		return dp_send_gso(dp, c, i, n);
	return dp_send_run(c->s.fd, &dp->msgs[i], n);
}

/* sendmmsg runs of consecutive packets for the same socket. */
static void dp_flush(struct esp_dp *dp, size_t n, uint64_t now)
{
	size_t i = 0;

	while (i < n) {
		struct dp_conn *c = dp->tx_conn[i];
		size_t j = i + 1, sent = 0;

		while (j < n && dp->tx_fd[j] == dp->tx_fd[i])
			j++;
		if (c && c->s.fd != dp->tx_fd[i]) {	/* failed earlier */
			sent = dp_fallback(dp, c, i, j);
		} else if (!c) {
			sent = dp_send_run(dp->tx_fd[i], &dp->msgs[i], j - i);
		} else {
			sent = dp_send_conn(dp, c, i, j - i);
			/* ICMP errors show on connected sockets once
			 * (reading clears them): retry, then fall back */
			if (sent < j - i && dp_hard_err())
				sent += dp_send_conn(dp, c, i + sent, j - i - sent);
			if (sent < j - i && dp_hard_err()) {
				dp_conn_fail(dp, c, now);
				sent += dp_fallback(dp, c, i + sent, j);
			}
		}
		dp->st.esp_tx += (uint64_t)sent;
		/* a full send buffer drops the rest, as a NIC queue would */
		dp->st.send_errors += (uint64_t)(j - i - sent);
		i = j;
	}
}

/* One TUN read with its virtio_net_hdr in dp->tun_buf: split it (RFC
 * 4301 5.1: each segment is looked up and checked on its own) into slots
 * from k on, flushing when they are full.  The next free slot. */
static size_t dp_tun_split(struct esp_dp *dp, size_t len, size_t k,
			   uint64_t now)
{
	struct virtio_net_hdr vh;
	struct dp_route rt;
	bool routed = false;
	struct esp_gso g;
	size_t slen;

	if (len < ESP_VNET_LEN) {
		dp_drop(dp, ESP_DROP_OFFLOAD);
		return k;
	}
	memcpy(&vh, dp->tun_buf, sizeof(vh));
	if (esp_gso_start(&g, &vh, dp->tun_buf + ESP_VNET_LEN,
			  len - ESP_VNET_LEN, DP_BUF)) {
		dp_drop(dp, ESP_DROP_OFFLOAD);
		return k;
	}
	dp->st.tun_gso += vh.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	/* the segments share addresses, protocol and ports: one lookup
	 * serves them all (again after a flush, which may fail a socket) */
	while ((slen = esp_gso_next(&g, dp->tx[k] + DP_HEADROOM)) > 0) {
		uint8_t *seg = dp->tx[k] + DP_HEADROOM;

		if (!routed && !dp_route(dp, seg, slen, &rt, now))
			continue;	/* dropped and counted: each segment */
		routed = true;
		if (dp_out_encap(dp, seg, slen, k, &rt, now))
			k++;
		if (k == DP_SLOTS) {
			dp_flush(dp, k, now);
			k = 0;
			routed = false;
		}
	}
	return k;
}

static bool dp_read_err(struct esp_dp *dp)
{
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		dp->st.tun_errors++;
	return true;
}

/* One batch: up to DP_BATCH reads, one flush.  The number read. */
static int dp_tun_batch(struct esp_dp *dp, uint64_t now)
{
	size_t k = 0;
	int n = 0;

	for (int i = 0; i < DP_BATCH; i++) {
		ssize_t len;

		if (dp->tun_vnet) {
			len = read(dp->tun_fd, dp->tun_buf, sizeof(dp->tun_buf));
			if (len < 0 && dp_read_err(dp))
				break;
			k = dp_tun_split(dp, (size_t)len, k, now);
		} else {
			len = read(dp->tun_fd, dp->tx[k] + DP_HEADROOM, DP_BUF);
			if (len < 0 && dp_read_err(dp))
				break;
			if (dp_out_one(dp, dp->tx[k] + DP_HEADROOM, (size_t)len, k, now))
				k++;
		}
		n++;
		dp->st.tun_rx++;
	}
	dp_flush(dp, k, now);
	return n;
}

int esp_dp_poll_tun(struct esp_dp *dp)
{
	uint64_t now = dp_now(dp);
	int n = 0, got = DP_BATCH;

	if (now - dp->conn_gc_ms >= DP_CONN_IDLE_MS / 4) {
		dp->conn_gc_ms = now;
		dp_conn_gc(dp, now);
	}
	/* drain: fewer wake-ups (epoll_wait, context switches) */
	for (int r = 0; r < DP_DRAIN && got == DP_BATCH; r++) {
		got = dp_tun_batch(dp, now);
		n += got;
	}
	return n;
}

/* ---- inbound: ESP -> TUN ---- */

static bool dp_same_peer(const struct sockaddr_storage *a,
			 const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return true;
}

/*
 * RFC 3948, RFC 7296 2.23: a NAT in front of the peer may drop its
 * mapping and give the peer a new port (or address).  An ESP-in-UDP
 * packet that authenticated and advanced the replay window (the newest
 * the peer sent, so no replayed or late one) is proof enough: our ESP
 * follows it, as strongSwan does on the kernel's NAT-mapping events.
 * The IKE SA follows the peer's next authenticated IKE message.
 */
static void dp_follow_peer(struct esp_sa *sa, const uint8_t *buf,
			   const struct sockaddr_storage *remote)
{
	uint64_t out, top;
	uint32_t seq;

	if (!remote || !sa->sa_encap || dp_same_peer(remote, &sa->sa_remote) ||
	    remote->ss_family != sa->sa_remote.ss_family)
		return;
	seq = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 |
	      (uint32_t)buf[6] << 8 | buf[7];
	esp_sa_counters(sa, &out, &top);
	if ((uint32_t)top == seq)
		sa->sa_remote = *remote;
}

static void dp_tun_put(struct esp_dp *dp, const uint8_t *buf, size_t len)
{
	if (write(dp->tun_fd, buf, len) < 0) {
		dp->st.tun_errors++;
		/* a GSO write the TUN refused is a malformed one of ours */
		if (errno == EINVAL)
			dp_drop(dp, ESP_DROP_OFFLOAD);
	} else {
		dp->st.tun_tx++;
	}
}

static void dp_gro_flush(struct esp_dp *dp, struct esp_gro *it)
{
	dp->st.gro_writes += it->gr_nseg > 1;
	dp_tun_put(dp, it->gr_buf, esp_gro_finish(it));
}

/* Write what a receive batch still holds. */
static void dp_gro_flush_all(struct esp_dp *dp)
{
	for (size_t i = 0; i < DP_GRO_ITEMS; i++) {
		if (dp->gro[i].gr_used)
			dp_gro_flush(dp, &dp->gro[i]);
	}
}

/*
 * A decrypted packet (ESP_VNET_LEN bytes of room before pkt) to the TUN.
 * With virtio_net_hdr, in-order TCP segments of one flow are coalesced
 * into one GSO write (userspace GRO) until the receive batch ends; a
 * packet of a flow that cannot join writes that flow's pending segments
 * first, so no flow is reordered.
 */
static void dp_tun_out(struct esp_dp *dp, uint8_t *pkt, size_t len)
{
	struct esp_gro *slot = NULL;
	bool cand;

	if (!dp->tun_vnet) {
		dp_tun_put(dp, pkt, len);
		return;
	}
	cand = esp_gro_candidate(pkt, len);
	for (size_t i = 0; i < DP_GRO_ITEMS; i++) {
		struct esp_gro *it = &dp->gro[i];

		if (!it->gr_used) {
			slot = slot ? slot : it;
			continue;
		}
		if (!esp_gro_same_flow(it, pkt, len))
			continue;
		if (cand && esp_gro_append(it, pkt, len))
			return;
		dp_gro_flush(dp, it);	/* at most one per flow */
		slot = it;
		break;
	}
	if (cand) {
		if (!slot) {	/* all busy: write one, in turn */
			slot = &dp->gro[dp->gro_next++ % DP_GRO_ITEMS];
			dp_gro_flush(dp, slot);
		}
		esp_gro_start(slot, pkt, len);
		return;
	}
	memset(pkt - ESP_VNET_LEN, 0, ESP_VNET_LEN);	/* GSO_NONE */
	dp_tun_put(dp, pkt - ESP_VNET_LEN, ESP_VNET_LEN + len);
}

static void dp_esp_in(struct esp_dp *dp, const uint8_t *buf, size_t len,
		      const struct sockaddr_storage *remote)
{
	struct esp_sa *sa;
	enum esp_drop why;
	size_t olen;
	uint32_t spi;

	dp->st.esp_rx++;
	if (len < ESP_HDR_LEN) {
		dp_drop(dp, ESP_DROP_SHORT);
		return;
	}
	spi = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	      (uint32_t)buf[2] << 8 | buf[3];
	sa = esp_spd_by_spi(dp->spd, spi);
	if (!sa) {
		dp_drop(dp, ESP_DROP_SPI);
		return;
	}
	if (esp_decap(sa, buf, len, dp->inner + ESP_VNET_LEN,
		      sizeof(dp->inner) - ESP_VNET_LEN, &olen, &why)) {
		dp_drop(dp, why);
		return;
	}
	sa->sa_st.last_in_ms = dp->rx_now_ms;
	dp_follow_peer(sa, buf, remote);
	dp_tun_out(dp, dp->inner + ESP_VNET_LEN, olen);
}

static void dp_ike_in(struct esp_dp *dp, const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote,
		      const uint8_t *buf, size_t len)
{
	dp->st.ike_rx++;
	if (dp->ike_rx)
		dp->ike_rx(dp->ike_arg, local, remote, buf, len);
}

/* RFC 3948 2.2-2.3: the first bytes tell the three kinds apart. */
static void dp_natt_in(struct esp_dp *dp, const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote,
		       const uint8_t *buf, size_t len)
{
	if (len == 1 && buf[0] == 0xff) {
		dp->st.keepalives++;
		return;
	}
	if (len >= 4 && memcmp(buf, dp_non_esp_marker, 4) == 0) {
		dp_ike_in(dp, local, remote, buf + 4, len - 4);
		return;
	}
	dp_esp_in(dp, buf, len, remote);
}

/* A UDP_GRO read holds datagrams of one flow of seg bytes each (the last
 * may be shorter): each is demuxed on its own, so an IKE message or a
 * keepalive among ESP packets still goes its way. */
static void dp_natt_gro(struct esp_dp *dp, struct msghdr *m,
			const struct sockaddr_storage *local,
			const uint8_t *buf, size_t len)
{
	size_t seg = esp_cmsg_gro(m);

	if (seg == 0 || seg >= len) {
		dp_natt_in(dp, local, m->msg_name, buf, len);
		return;
	}
	dp->st.udp_gro++;
	for (size_t off = 0; off < len; off += seg)
		dp_natt_in(dp, local, m->msg_name, buf + off,
			   len - off < seg ? len - off : seg);
}

static void dp_dispatch(struct dp_sock *s, struct msghdr *m, size_t len)
{
	struct esp_dp *dp = s->dp;
	const uint8_t *buf = m->msg_iov[0].iov_base;
	struct sockaddr_storage local;
	size_t hl;

	if (m->msg_flags & MSG_TRUNC) {
		dp->st.truncated++;
		return;
	}
	if (s->conn) {
		local = s->conn->local;
		m->msg_name = &s->conn->remote;
	} else {
		esp_cmsg_local(m, s->family, s->port, &local);
	}
	switch (s->kind) {
	case DP_IKE:
		dp_ike_in(dp, &local, m->msg_name, buf, len);
		break;
	case DP_NATT:
		dp_natt_gro(dp, m, &local, buf, len);
		break;
	case DP_RAW:
		/* raw IPv4 sockets hand over the IP header too */
		hl = s->family == AF_INET && len ? (size_t)(buf[0] & 0x0f) * 4 : 0;
		if (hl > len) {
			dp_drop(dp, ESP_DROP_SHORT);
			break;
		}
		dp_esp_in(dp, buf + hl, len - hl, NULL);
		break;
	}
}

int dp_poll_sock(struct dp_sock *s)
{
	struct esp_dp *dp = s->dp;
	int n;

	for (int i = 0; i < DP_BATCH; i++) {
		struct msghdr *h = &dp->msgs[i].msg_hdr;

		dp->iov[i] = (struct iovec){ dp->rx[i],
					     s->gro ? sizeof(dp->rx[i]) : DP_BUF };
		memset(h, 0, sizeof(*h));
		h->msg_iov = &dp->iov[i];
		h->msg_iovlen = 1;
		if (s->conn && !s->gro)
			continue;	/* nothing to learn per datagram */
		h->msg_control = dp->cbuf[i];
		h->msg_controllen = sizeof(dp->cbuf[i]);
		if (s->conn)
			continue;
		h->msg_name = &dp->addrs[i];
		h->msg_namelen = sizeof(dp->addrs[i]);
	}
	n = recvmmsg(s->fd, dp->msgs, DP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	dp->rx_now_ms = dp_now(dp);
	for (int i = 0; i < n; i++)
		dp_dispatch(s, &dp->msgs[i].msg_hdr, dp->msgs[i].msg_len);
	return n;
}

int esp_dp_poll_udp(struct esp_dp *dp)
{
	int n = 0;

	for (size_t i = 0; i < dp->nsocks; i++)
		n += dp_poll_sock(&dp->socks[i]);
	n += dp_poll_conns(dp);
	dp_gro_flush_all(dp);
	return n;
}

void dp_on_sock(void *arg, int fd, uint32_t events)
{
	struct dp_sock *s = arg;

	(void)fd;
	(void)events;
	for (int r = 0; r < DP_DRAIN && dp_poll_sock(s) == DP_BATCH; r++)
		;
	dp_gro_flush_all(s->dp);
}

void dp_on_tun(void *arg, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	esp_dp_poll_tun(arg);
}

/* ---- IKE out ---- */

int esp_send_ike(struct esp_dp *dp, const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote,
		 const uint8_t *buf, size_t len)
{
	uint16_t lport = 0;
	struct dp_sock *s;
	struct iovec iov[2];
	struct msghdr m;
	uint8_t cbuf[ESP_CMSG_SPACE];
	bool natt;

	if (local && local->ss_family == AF_INET)
		lport = ntohs(((const struct sockaddr_in *)local)->sin_port);
	else if (local && local->ss_family == AF_INET6)
		lport = ntohs(((const struct sockaddr_in6 *)local)->sin6_port);
	natt = lport == dp->natt_port || !dp_sock_for(dp, remote->ss_family, DP_IKE);
	s = dp_sock_for(dp, remote->ss_family, natt ? DP_NATT : DP_IKE);
	if (!s)
		return -EAFNOSUPPORT;
	iov[0] = (struct iovec){ (void *)dp_non_esp_marker, natt ? 4 : 0 };
	iov[1] = (struct iovec){ (void *)buf, len };
	memset(&m, 0, sizeof(m));
	m.msg_name = (void *)remote;
	m.msg_namelen = remote->ss_family == AF_INET ?
			sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	esp_cmsg_src(&m, local, cbuf);
	if (sendmsg(s->fd, &m, 0) < 0) {
		dp->st.send_errors++;
		return -errno;
	}
	dp->st.ike_tx++;
	return 0;
}

int esp_dp_send_ike_env(void *ctx, const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote,
			const uint8_t *buf, size_t len)
{
	return esp_send_ike(ctx, local, remote, buf, len);
}
