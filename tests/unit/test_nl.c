/*
 * node/net: links, addresses, routes and takeover announcements, against
 * the real kernel inside a network namespace this process creates
 * (unshare(CLONE_NEWNET); the suite runs as root).  A TAP device stands
 * in for the outside interface: what the code sends on it can be read
 * back from the TAP file descriptor.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <cmocka.h>

#include "net/nl.h"

#define TAP "hiketap0"

struct fx { struct nl *nl; int tap; };

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup(void **state)
{
	static struct fx fx;

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (needs root)\n", strerror(errno));
		return -1;
	}
	if (nl_open(&fx.nl) != 0)
		return -1;
	fx.tap = tap_open(TAP);
	if (fx.tap < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	nl_close(fx->nl);
	close(fx->tap);
	return 0;
}

/* Does a line of cmd's output contain needle (and also2, if given)? */
static int sh_has2(const char *cmd, const char *needle, const char *also2)
{
	char line[512];
	FILE *p = popen(cmd, "r");
	int found = 0;

	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, needle) && (!also2 || strstr(line, also2)))
			found = 1;
	pclose(p);
	return found;
}

static int sh_has(const char *cmd, const char *needle)
{
	return sh_has2(cmd, needle, NULL);
}

static void test_link(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(nl_link_up(fx->nl, "lo", 0), 0);
	assert_int_equal(nl_link_up(fx->nl, "nosuchdev0", 0), -ENODEV);
	assert_int_equal(nl_link_up(fx->nl, TAP, 1400), 0);
	assert_true(sh_has("ip -o link show dev " TAP, ",UP"));
	assert_true(sh_has("ip -o link show dev " TAP, "mtu 1400 "));
	/* a value the kernel refuses comes back as its error */
	assert_int_equal(nl_link_up(fx->nl, TAP, 10), -EINVAL);
}

static void test_addr(void **state)
{
	struct fx *fx = *state;
	uint8_t a4[4], a6[16];

	inet_pton(AF_INET, "192.0.2.10", a4);
	inet_pton(AF_INET6, "2001:db8::10", a6);
	assert_int_equal(nl_addr_has(fx->nl, "lo", AF_INET, a4, 32), 0);
	assert_int_equal(nl_addr_add(fx->nl, "lo", AF_INET, a4, 32), 0);
	assert_int_equal(nl_addr_has(fx->nl, "lo", AF_INET, a4, 32), 1);
	assert_int_equal(nl_addr_has(fx->nl, "lo", AF_INET, a4, 24), 0);
	assert_true(sh_has("ip -o -4 addr show dev lo", "192.0.2.10/32"));
	assert_int_equal(nl_addr_add(fx->nl, "lo", AF_INET, a4, 32), -EEXIST);
	assert_int_equal(nl_addr_del(fx->nl, "lo", AF_INET, a4, 32), 0);
	assert_int_equal(nl_addr_has(fx->nl, "lo", AF_INET, a4, 32), 0);
	assert_int_equal(nl_addr_del(fx->nl, "lo", AF_INET, a4, 32), -EADDRNOTAVAIL);
	assert_false(sh_has("ip -o -4 addr show dev lo", "192.0.2.10/32"));

	assert_int_equal(nl_addr_add(fx->nl, TAP, AF_INET6, a6, 64), 0);
	assert_int_equal(nl_addr_has(fx->nl, TAP, AF_INET6, a6, 64), 1);
	/* NODAD: usable at once, never "tentative" */
	assert_true(sh_has("ip -o -6 addr show dev " TAP, "2001:db8::10/64"));
	assert_false(sh_has2("ip -o -6 addr show dev " TAP, "2001:db8::10/64", "tentative"));
	assert_int_equal(nl_addr_del(fx->nl, TAP, AF_INET6, a6, 64), 0);
	assert_int_equal(nl_addr_has(fx->nl, TAP, AF_INET6, a6, 64), 0);
	assert_int_equal(nl_addr_add(fx->nl, "nosuchdev0", AF_INET, a4, 32), -ENODEV);
	assert_int_equal(nl_addr_add(fx->nl, "lo", AF_INET, a4, 33), -EINVAL);
}

static void test_route(void **state)
{
	struct fx *fx = *state;
	uint8_t dst[4], src[4], d6[16];

	inet_pton(AF_INET, "203.0.113.128", dst);
	inet_pton(AF_INET, "203.0.113.1", src);
	inet_pton(AF_INET6, "2001:db8:1::", d6);
	assert_int_equal(nl_link_up(fx->nl, TAP, 0), 0);
	assert_int_equal(nl_addr_add(fx->nl, TAP, AF_INET, src, 32), 0);
	assert_int_equal(nl_route_add(fx->nl, AF_INET, dst, 25, TAP, 220, src), 0);
	assert_true(sh_has("ip route show table 220",
			   "203.0.113.128/25 dev " TAP " proto static scope link src 203.0.113.1"));
	assert_int_equal(nl_route_add(fx->nl, AF_INET, dst, 25, TAP, 220, src), -EEXIST);
	/* main table, and a table id above 255 */
	assert_int_equal(nl_route_add(fx->nl, AF_INET, dst, 25, TAP, 0, NULL), 0);
	assert_true(sh_has("ip route show", "203.0.113.128/25 dev " TAP));
	assert_int_equal(nl_route_add(fx->nl, AF_INET, dst, 25, TAP, 1000, NULL), 0);
	assert_true(sh_has("ip route show table 1000", "203.0.113.128/25 dev " TAP));
	assert_int_equal(nl_route_add(fx->nl, AF_INET6, d6, 48, TAP, 220, NULL), 0);
	assert_true(sh_has("ip -6 route show table 220", "2001:db8:1::/48 dev " TAP));

	assert_int_equal(nl_route_del(fx->nl, AF_INET, dst, 25, TAP, 220), 0);
	assert_false(sh_has("ip route show table 220", "203.0.113.128/25"));
	assert_int_equal(nl_route_del(fx->nl, AF_INET, dst, 25, TAP, 220), -ESRCH);
	assert_int_equal(nl_route_del(fx->nl, AF_INET, dst, 25, TAP, 0), 0);
	assert_int_equal(nl_route_del(fx->nl, AF_INET, dst, 25, TAP, 1000), 0);
	assert_int_equal(nl_route_del(fx->nl, AF_INET6, d6, 48, TAP, 220), 0);
	assert_int_equal(nl_addr_del(fx->nl, TAP, AF_INET, src, 32), 0);
}

/* Read frames from the TAP until one with ethertype et arrives (the
 * kernel also sends its own IPv6 chatter there). */
static ssize_t tap_frame(int fd, uint16_t et, uint8_t proto6, uint8_t *buf,
			 size_t cap)
{
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			return -1;
		n = read(fd, buf, cap);
		if (n < 14 || buf[12] != et >> 8 || buf[13] != (et & 0xff))
			continue;
		if (et == 0x86dd && (n < 14 + 41 || buf[14 + 6] != 58 ||
				     buf[14 + 40] != proto6))
			continue;
		return n;
	}
	return -1;
}

static void test_garp(void **state)
{
	struct fx *fx = *state;
	uint8_t vip[4], f[2048];
	ssize_t n;

	inet_pton(AF_INET, "192.0.2.10", vip);
	assert_int_equal(nl_link_up(fx->nl, TAP, 0), 0);
	assert_int_equal(nl_garp_send(TAP, vip), 0);
	n = tap_frame(fx->tap, 0x0806, 0, f, sizeof(f));
	assert_true(n >= 14 + 28);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(f + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	assert_memory_equal(f + 14 + 8, f + 6, 6);	/* sender MAC = source */
	assert_memory_equal(f + 14 + 14, vip, 4);	/* sender IP */
	assert_memory_equal(f + 14 + 18, "\0\0\0\0\0\0", 6);
	assert_memory_equal(f + 14 + 24, vip, 4);	/* target IP */
	assert_int_equal(nl_garp_send("nosuchdev0", vip), -ENODEV);
}

static void test_una(void **state)
{
	struct fx *fx = *state;
	uint8_t vip[16], ff02[16], f[2048];
	const uint8_t *ip6, *na;
	ssize_t n;

	inet_pton(AF_INET6, "2001:db8::10", vip);
	inet_pton(AF_INET6, "ff02::1", ff02);
	assert_int_equal(nl_link_up(fx->nl, TAP, 0), 0);
	assert_int_equal(nl_addr_add(fx->nl, TAP, AF_INET6, vip, 64), 0);
	assert_int_equal(nl_una_send(TAP, vip), 0);
	n = tap_frame(fx->tap, 0x86dd, 136, f, sizeof(f));
	assert_true(n >= 14 + 40 + 32);
	ip6 = f + 14;
	na = ip6 + 40;
	assert_int_equal(ip6[7], 255);			/* hop limit */
	assert_memory_equal(ip6 + 8, vip, 16);		/* from the VIP */
	assert_memory_equal(ip6 + 24, ff02, 16);	/* to all nodes */
	assert_int_equal(na[4] & 0xe0, 0x20);		/* O only */
	assert_memory_equal(na + 8, vip, 16);
	assert_int_equal(na[24], 2);			/* target link-layer */
	assert_memory_equal(na + 26, f + 6, 6);
	assert_int_equal(nl_addr_del(fx->nl, TAP, AF_INET6, vip, 64), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_garp),
		cmocka_unit_test(test_una),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
