/*
 * The datapath end to end inside a private network namespace: two
 * datapaths ("gw" and "peer") on 192.0.2.10 and 192.0.2.50 (on lo), each
 * with a socketpair standing in for its TUN, real UDP sockets between
 * them.  Checks RFC 3948 demux (IKE marker, keepalive, ESP), source
 * address selection for IKE replies, and a real TUN device.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "hike/ikev2.h"
#include "core/loop.h"
#include "esp/dp.h"
#include "esp/esp_crypto.h"
#include "net/nl.h"

struct ike_seen {
	int n;
	struct sockaddr_storage local, remote;
	uint8_t buf[256];
	size_t len;
};

struct side {
	struct esp_dp *dp;
	int tun[2];		/* [0] the dp's end, [1] the test's */
	struct ike_seen ike;
};

struct fx {
	struct nl *nl;
	struct side gw, peer;
};

static void on_ike(void *arg, const struct sockaddr_storage *local,
		   const struct sockaddr_storage *remote,
		   const uint8_t *buf, size_t len)
{
	struct ike_seen *s = arg;

	s->n++;
	s->local = *local;
	s->remote = *remote;
	s->len = len < sizeof(s->buf) ? len : sizeof(s->buf);
	memcpy(s->buf, buf, s->len);
}

static void side_open_paced(struct side *s, uint32_t coalesce_us)
{
	struct esp_dp_conf c = { .natt_port = ESP_DP_EPHEMERAL,
				 .ike_port = ESP_DP_EPHEMERAL,
				 .coalesce_us = coalesce_us,
				 .ike_rx = on_ike };

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, s->tun), 0);
	c.tun_fd = s->tun[0];
	c.ike_arg = &s->ike;
	assert_int_equal(esp_dp_new(NULL, &c, &s->dp), 0);
	assert_int_not_equal(esp_dp_natt_port(s->dp), 0);
}

static void side_open(struct side *s)
{
	side_open_paced(s, 0);
}

static void side_close(struct side *s)
{
	esp_dp_free(s->dp);
	close(s->tun[0]);
	close(s->tun[1]);
	memset(s, 0, sizeof(*s));
}

static void addr4(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, a, &sin->sin_addr);
}

static int setup(void **state)
{
	static struct fx fx;
	uint8_t a[4];

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare: %s (needs root)\n", strerror(errno));
		return -1;
	}
	if (nl_open(&fx.nl) || nl_link_up(fx.nl, "lo", 0))
		return -1;
	inet_pton(AF_INET, "192.0.2.10", a);
	if (nl_addr_add(fx.nl, "lo", AF_INET, a, 32))
		return -1;
	inet_pton(AF_INET, "192.0.2.50", a);
	if (nl_addr_add(fx.nl, "lo", AF_INET, a, 32))
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	nl_close(fx->nl);
	return 0;
}

static int each(void **state)
{
	struct fx *fx = *state;

	side_open(&fx->gw);
	side_open(&fx->peer);
	return 0;
}

static int each_end(void **state)
{
	struct fx *fx = *state;

	side_close(&fx->gw);
	side_close(&fx->peer);
	return 0;
}

static uint8_t ek_i[36], ek_r[36];

/* gw protects 203.0.113.0/25, peer 203.0.113.128/25 (DESIGN.md). */
static void sa_pair(struct fx *fx)
{
	struct esp_sa_params p;

	memset(ek_i, 0x5a, sizeof(ek_i));
	memset(ek_r, 0xa5, sizeof(ek_r));
	for (int peer = 0; peer < 2; peer++) {
		struct side *me = peer ? &fx->peer : &fx->gw;
		struct side *other = peer ? &fx->gw : &fx->peer;

		memset(&p, 0, sizeof(p));
		p.spi_in = peer ? 0xd0000002 : 0xd0000001;
		p.spi_out = peer ? 0xd0000001 : 0xd0000002;
		p.encr = IKE_ENCR_AES_GCM_16;
		p.encr_keylen = 256;
		p.encap = true;
		p.ekey_in = peer ? ek_r : ek_i;
		p.ekey_out = peer ? ek_i : ek_r;
		p.ekey_len = 36;
		addr4(&p.local, peer ? "192.0.2.50" : "192.0.2.10",
		      esp_dp_natt_port(me->dp));
		addr4(&p.remote, peer ? "192.0.2.10" : "192.0.2.50",
		      esp_dp_natt_port(other->dp));
		p.nlocal_ts = p.nremote_ts = 1;
		p.local_ts[0].ts_family = p.remote_ts[0].ts_family = AF_INET;
		p.local_ts[0].ts_port_hi = p.remote_ts[0].ts_port_hi = 0xffff;
		inet_pton(AF_INET, peer ? "203.0.113.128" : "203.0.113.0", p.local_ts[0].ts_start);
		inet_pton(AF_INET, peer ? "203.0.113.255" : "203.0.113.127", p.local_ts[0].ts_end);
		inet_pton(AF_INET, peer ? "203.0.113.0" : "203.0.113.128", p.remote_ts[0].ts_start);
		inet_pton(AF_INET, peer ? "203.0.113.127" : "203.0.113.255", p.remote_ts[0].ts_end);
		assert_int_equal(esp_dp_sa_add(me->dp, &p, NULL), 0);
		assert_int_equal(esp_dp_sa_add(me->dp, &p, NULL), -EEXIST);
	}
}

static size_t ip4_udp(uint8_t *b, size_t len, const char *src, const char *dst)
{
	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8), b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	for (size_t i = 20; i < len; i++)
		b[i] = (uint8_t)(i ^ 0x5c);
	return len;
}

static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 2000), 1);
}

/* TUN(gw) -> ESP/UDP -> peer -> TUN(peer), and back. */
static void test_esp_both_ways(void **state)
{
	struct fx *fx = *state;
	uint8_t in[1400], out[2000];
	struct esp_dp_stats st;
	ssize_t n;

	sa_pair(fx);
	for (int i = 0; i < 40; i++) {	/* more than one batch */
		size_t len = ip4_udp(in, 100 + (size_t)i * 30, "203.0.113.5", "203.0.113.200");

		assert_int_equal(write(fx->gw.tun[1], in, len), (ssize_t)len);
	}
	while (esp_dp_poll_tun(fx->gw.dp) > 0)
		;
	/* the peer may need several polls to drain 40 datagrams */
	for (int tries = 0; tries < 100; tries++) {
		esp_dp_stats(fx->peer.dp, &st);
		if (st.tun_tx == 40)
			break;
		if (esp_dp_poll_udp(fx->peer.dp) == 0)
			usleep(1000);
	}
	for (int i = 0; i < 40; i++) {
		size_t len = ip4_udp(in, 100 + (size_t)i * 30, "203.0.113.5", "203.0.113.200");

		n = read(fx->peer.tun[1], out, sizeof(out));
		assert_int_equal(n, (ssize_t)len);
		assert_memory_equal(out, in, len);
	}
	esp_dp_stats(fx->gw.dp, &st);
	assert_int_equal(st.tun_rx, 40);
	assert_int_equal(st.esp_tx, 40);
	esp_dp_stats(fx->peer.dp, &st);
	assert_int_equal(st.esp_rx, 40);
	assert_int_equal(st.tun_tx, 40);
	assert_int_equal(esp_dp_sa_find(fx->peer.dp, 0xd0000002)->sa_st.in_packets, 40);

	/* back: peer -> gw */
	size_t len = ip4_udp(in, 1400, "203.0.113.200", "203.0.113.5");
	assert_int_equal(write(fx->peer.tun[1], in, len), (ssize_t)len);
	assert_int_equal(esp_dp_poll_tun(fx->peer.dp), 1);
	for (int tries = 0; tries < 100 && esp_dp_poll_udp(fx->gw.dp) == 0; tries++)
		usleep(1000);
	n = read(fx->gw.tun[1], out, sizeof(out));
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(out, in, len);
}

/* esp_dp_pace(): a pause only after a round that moved a bulk of ESP
 * packets, and only when configured. */
static void send_n(struct fx *fx, int n)
{
	uint8_t in[200];

	for (int i = 0; i < n; i++) {
		size_t len = ip4_udp(in, sizeof(in), "203.0.113.5", "203.0.113.200");

		assert_int_equal(write(fx->gw.tun[1], in, len), (ssize_t)len);
	}
	while (esp_dp_poll_tun(fx->gw.dp) > 0)
		;
}

static void test_pace(void **state)
{
	struct fx *fx = *state;
	struct esp_dp_stats st;

	side_close(&fx->gw);
	side_open_paced(&fx->gw, 150);
	sa_pair(fx);
	assert_int_equal(esp_dp_pace(fx->gw.dp), 0);	/* idle */
	send_n(fx, ESP_DP_PACE_MIN - 1);
	assert_int_equal(esp_dp_pace(fx->gw.dp), 0);	/* light */
	send_n(fx, ESP_DP_PACE_MIN);
	assert_int_equal(esp_dp_pace(fx->gw.dp), 150);	/* bulk */
	assert_int_equal(esp_dp_pace(fx->gw.dp), 0);	/* counted afresh */
	esp_dp_stats(fx->gw.dp, &st);
	assert_int_equal(st.esp_tx, 2 * ESP_DP_PACE_MIN - 1);
	assert_int_equal(st.paced, 1);
	/* the peer received them all but has no coalescing configured */
	for (int tries = 0; tries < 100; tries++) {
		esp_dp_stats(fx->peer.dp, &st);
		if (st.esp_rx == 2 * ESP_DP_PACE_MIN - 1)
			break;
		if (esp_dp_poll_udp(fx->peer.dp) == 0)
			usleep(1000);
	}
	assert_int_equal(st.esp_rx, 2 * ESP_DP_PACE_MIN - 1);
	assert_int_equal(esp_dp_pace(fx->peer.dp), 0);
	esp_dp_stats(fx->peer.dp, &st);
	assert_int_equal(st.paced, 0);
}

static void test_outbound_drops(void **state)
{
	struct fx *fx = *state;
	uint8_t in[200];
	struct esp_dp_stats st;

	sa_pair(fx);
	/* no policy for this destination */
	ip4_udp(in, 100, "203.0.113.5", "198.51.100.1");
	assert_int_equal(write(fx->gw.tun[1], in, 100), 100);
	/* not IP */
	memset(in, 0, sizeof(in));
	assert_int_equal(write(fx->gw.tun[1], in, 50), 50);
	assert_int_equal(esp_dp_poll_tun(fx->gw.dp), 2);
	esp_dp_stats(fx->gw.dp, &st);
	assert_int_equal(st.drops[ESP_DROP_NOPOLICY], 1);
	assert_int_equal(st.drops[ESP_DROP_PROTO], 1);
	assert_int_equal(st.esp_tx, 0);
	/* deleting the SA removes its policy too */
	assert_int_equal(esp_dp_sa_del(fx->gw.dp, 0xd0000001), 0);
	assert_int_equal(esp_dp_sa_del(fx->gw.dp, 0xd0000001), -ENOENT);
	assert_int_equal(esp_dp_sa_count(fx->gw.dp), 0);
	ip4_udp(in, 100, "203.0.113.5", "203.0.113.200");
	assert_int_equal(write(fx->gw.tun[1], in, 100), 100);
	assert_int_equal(esp_dp_poll_tun(fx->gw.dp), 1);
	esp_dp_stats(fx->gw.dp, &st);
	assert_int_equal(st.drops[ESP_DROP_NOPOLICY], 2);
}

static int udp_client(const char *src, struct sockaddr_storage *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t sl = sizeof(*bound);

	assert_true(fd >= 0);
	addr4(bound, src, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)bound, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)bound, &sl), 0);
	return fd;
}

/* RFC 3948 2.2/2.3 on port 4500, plain IKE on the IKE port, and IKE
 * replies from the address the peer sent to. */
static void test_natt_demux_and_ike(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_storage me, gw;
	struct esp_dp_stats st;
	uint8_t buf[64];
	int fd = udp_client("192.0.2.50", &me);

	addr4(&gw, "192.0.2.10", esp_dp_natt_port(fx->gw.dp));
	/* non-ESP marker + IKE header bytes */
	assert_int_equal(sendto(fd, "\0\0\0\0IKEMSG", 10, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), 10);
	/* NAT-keepalive */
	assert_int_equal(sendto(fd, "\xff", 1, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), 1);
	/* ESP for an unknown SPI */
	assert_int_equal(sendto(fd, "\x12\x34\x56\x78\0\0\0\1xxxxxxxxxxxxxxxx", 24, 0,
				(struct sockaddr *)&gw, sizeof(struct sockaddr_in)), 24);
	/* shorter than an ESP header */
	assert_int_equal(sendto(fd, "\x12\x34", 2, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), 2);
	usleep(20000);
	assert_int_equal(esp_dp_poll_udp(fx->gw.dp), 4);
	assert_int_equal(fx->gw.ike.n, 1);
	assert_int_equal(fx->gw.ike.len, 6);
	assert_memory_equal(fx->gw.ike.buf, "IKEMSG", 6);
	/* local = the address and port the datagram was sent to */
	assert_memory_equal(&((struct sockaddr_in *)&fx->gw.ike.local)->sin_addr,
			    &((struct sockaddr_in *)&gw)->sin_addr, 4);
	assert_int_equal(((struct sockaddr_in *)&fx->gw.ike.local)->sin_port,
			 ((struct sockaddr_in *)&gw)->sin_port);
	assert_int_equal(((struct sockaddr_in *)&fx->gw.ike.remote)->sin_port,
			 ((struct sockaddr_in *)&me)->sin_port);
	esp_dp_stats(fx->gw.dp, &st);
	assert_int_equal(st.keepalives, 1);
	assert_int_equal(st.drops[ESP_DROP_SPI], 1);
	assert_int_equal(st.drops[ESP_DROP_SHORT], 1);

	/* reply on 4500: gets the marker, leaves from 192.0.2.10 */
	assert_int_equal(esp_send_ike(fx->gw.dp, &fx->gw.ike.local, &fx->gw.ike.remote,
				      (const uint8_t *)"REPLY", 5), 0);
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	wait_readable(fd);
	assert_int_equal(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 9);
	assert_memory_equal(buf, "\0\0\0\0REPLY", 9);
	assert_memory_equal(&((struct sockaddr_in *)&from)->sin_addr,
			    &((struct sockaddr_in *)&gw)->sin_addr, 4);

	/* port 500 style: no marker either way */
	addr4(&gw, "192.0.2.10", esp_dp_ike_port(fx->gw.dp));
	assert_int_equal(sendto(fd, "IKE500", 6, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), 6);
	usleep(20000);
	assert_int_equal(esp_dp_poll_udp(fx->gw.dp), 1);
	assert_int_equal(fx->gw.ike.n, 2);
	assert_memory_equal(fx->gw.ike.buf, "IKE500", 6);
	assert_int_equal(esp_dp_send_ike_env(fx->gw.dp, &fx->gw.ike.local,
					     &fx->gw.ike.remote,
					     (const uint8_t *)"R500", 4), 0);
	wait_readable(fd);
	fl = sizeof(from);
	assert_int_equal(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 4);
	assert_memory_equal(buf, "R500", 4);
	assert_int_equal(((struct sockaddr_in *)&from)->sin_port,
			 htons(esp_dp_ike_port(fx->gw.dp)));
	close(fd);
}

/* A tampered ESP packet over the wire is counted under its reason. */
static void test_tampered_on_wire(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_storage me, gw;
	struct esp_dp_stats st;
	uint8_t in[200], pkt[400];
	size_t olen;
	enum esp_drop why;
	int fd = udp_client("192.0.2.50", &me);
	struct esp_sa *psa;

	sa_pair(fx);
	psa = esp_dp_sa_find(fx->peer.dp, 0xd0000002);
	ip4_udp(in, 120, "203.0.113.200", "203.0.113.5");
	assert_int_equal(esp_encap(psa, in, 120, pkt, sizeof(pkt), &olen, &why), 0);
	pkt[olen - 1] ^= 1;
	addr4(&gw, "192.0.2.10", esp_dp_natt_port(fx->gw.dp));
	assert_int_equal(sendto(fd, pkt, olen, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), (ssize_t)olen);
	pkt[olen - 1] ^= 1;
	assert_int_equal(sendto(fd, pkt, olen, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), (ssize_t)olen);
	assert_int_equal(sendto(fd, pkt, olen, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), (ssize_t)olen);
	usleep(20000);
	assert_int_equal(esp_dp_poll_udp(fx->gw.dp), 3);
	esp_dp_stats(fx->gw.dp, &st);
	assert_int_equal(st.drops[ESP_DROP_ICV], 1);
	assert_int_equal(st.drops[ESP_DROP_REPLAY], 1);
	assert_int_equal(st.tun_tx, 1);
	close(fd);
}

/* The datapath on a real event loop and a real TUN device. */
static void test_loop_and_tun(void **state)
{
	struct fx *fx = *state;
	struct loop *l = loop_new();
	struct esp_dp_conf c = { .tun_fd = -1, .natt_port = ESP_DP_EPHEMERAL };
	struct esp_dp *dp;
	struct sockaddr_storage me, gw;
	struct esp_dp_stats st;
	int fd = udp_client("192.0.2.50", &me);

	assert_non_null(l);
	strcpy(c.tun_name, "hiketest0");
	assert_int_equal(esp_dp_new(l, &c, &dp), 0);
	assert_int_equal(nl_link_up(fx->nl, "hiketest0", 1400), 0);
	addr4(&gw, "192.0.2.10", esp_dp_natt_port(dp));
	assert_int_equal(sendto(fd, "\xff", 1, 0, (struct sockaddr *)&gw,
				sizeof(struct sockaddr_in)), 1);
	for (int i = 0; i < 20; i++) {
		esp_dp_stats(dp, &st);
		if (st.keepalives)
			break;
		loop_once(l, 100);
	}
	assert_int_equal(st.keepalives, 1);
	/* a packet routed into the TUN reaches the datapath (no policy) */
	uint8_t dst[4];
	inet_pton(AF_INET, "203.0.113.128", dst);
	assert_int_equal(nl_route_add(fx->nl, AF_INET, dst, 25, "hiketest0", 0, NULL), 0);
	struct sockaddr_storage far;
	addr4(&far, "203.0.113.200", 9);
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&far,
				sizeof(struct sockaddr_in)), 1);
	for (int i = 0; i < 20; i++) {
		esp_dp_stats(dp, &st);
		if (st.tun_rx)
			break;
		loop_once(l, 100);
	}
	assert_true(st.tun_rx >= 1);
	assert_true(st.drops[ESP_DROP_NOPOLICY] >= 1);
	esp_dp_free(dp);
	loop_free(l);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_esp_both_ways, each, each_end),
		cmocka_unit_test_setup_teardown(test_pace, each, each_end),
		cmocka_unit_test_setup_teardown(test_outbound_drops, each, each_end),
		cmocka_unit_test_setup_teardown(test_natt_demux_and_ike, each, each_end),
		cmocka_unit_test_setup_teardown(test_tampered_on_wire, each, each_end),
		cmocka_unit_test(test_loop_and_tun),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
