/* SA lookup: inbound by SPI, outbound by selectors (node/esp/spd.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "esp/spd.h"

/* The tables read only selectors, SPI and the expired flag, so these
 * SAs carry no crypto. */
static struct esp_sa *sa_mk(uint32_t spi)
{
	struct esp_sa *sa = calloc(1, sizeof(*sa));

	assert_non_null(sa);
	sa->sa_spi_in = spi;
	return sa;
}

/* Remove from the tables (no-op if not there) and free. */
static void sa_drop(struct esp_spd *spd, struct esp_sa *sa)
{
	esp_spd_del(spd, sa);
	free(sa);
}

static void ts_add(struct esp_ts *ts, size_t *n, const char *lo,
		   const char *hi, uint8_t proto, uint16_t plo, uint16_t phi)
{
	struct esp_ts *t = &ts[(*n)++];
	int fam = strchr(lo, ':') ? AF_INET6 : AF_INET;

	memset(t, 0, sizeof(*t));
	t->ts_family = (uint8_t)fam;
	t->ts_proto = proto;
	t->ts_port_lo = plo;
	t->ts_port_hi = phi;
	assert_int_equal(inet_pton(fam, lo, t->ts_start), 1);
	assert_int_equal(inet_pton(fam, hi, t->ts_end), 1);
}

static void local_any(struct esp_sa *sa)
{
	ts_add(sa->sa_local_ts, &sa->sa_nlocal_ts, "203.0.113.0",
	       "203.0.113.127", 0, 0, 0xffff);
}

static struct esp_flow flow(const char *src, const char *dst, uint8_t proto,
			    uint16_t dport)
{
	struct esp_flow fl;
	int fam = strchr(src, ':') ? AF_INET6 : AF_INET;

	memset(&fl, 0, sizeof(fl));
	fl.fl_family = (uint8_t)fam;
	fl.fl_proto = proto;
	fl.fl_ports = true;
	fl.fl_sport = 40000;
	fl.fl_dport = dport;
	inet_pton(fam, src, fl.fl_src);
	inet_pton(fam, dst, fl.fl_dst);
	return fl;
}

static void test_spi_table(void **state)
{
	enum { N = 5000 };
	struct esp_spd *spd;
	struct esp_sa **sas = calloc(N, sizeof(*sas));

	(void)state;
	assert_int_equal(esp_spd_new(&spd), 0);
	for (uint32_t i = 0; i < N; i++) {
		char ip[32];

		sas[i] = sa_mk(0xc1000000u + i * 977);
		local_any(sas[i]);
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		ts_add(sas[i]->sa_remote_ts, &sas[i]->sa_nremote_ts, ip, ip, 0, 0, 0xffff);
		assert_int_equal(esp_spd_add(spd, sas[i]), 0);
	}
	assert_int_equal(esp_spd_count(spd), N);
	struct esp_sa *dup = sa_mk(0xc1000000u + 977);
	assert_int_equal(esp_spd_add(spd, dup), -EEXIST);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(esp_spd_by_spi(spd, 0xc1000000u + i * 977), sas[i]);
	assert_null(esp_spd_by_spi(spd, 0xc1000001u));
	/* every host found by its remote address */
	for (uint32_t i = 0; i < N; i += 7) {
		char ip[32];
		struct esp_flow fl;

		snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		fl = flow("203.0.113.9", ip, IPPROTO_UDP, 53);
		assert_ptr_equal(esp_spd_out(spd, &fl), sas[i]);
	}
	/* remove the even ones */
	for (uint32_t i = 0; i < N; i += 2)
		esp_spd_del(spd, sas[i]);
	esp_spd_del(spd, sas[0]);		/* twice: no-op */
	assert_int_equal(esp_spd_count(spd), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		struct esp_flow fl = flow("203.0.113.9", "10.0.0.0", 6, 1);

		fl.fl_dst[1] = (uint8_t)(i >> 16), fl.fl_dst[2] = (uint8_t)(i >> 8);
		fl.fl_dst[3] = (uint8_t)i;
		assert_ptr_equal(esp_spd_by_spi(spd, sas[i]->sa_spi_in),
				 i % 2 ? sas[i] : NULL);
		assert_ptr_equal(esp_spd_out(spd, &fl), i % 2 ? sas[i] : NULL);
	}
	for (uint32_t i = 0; i < N; i++) {
		esp_spd_del(spd, sas[i]);
		free(sas[i]);
	}
	assert_int_equal(esp_spd_count(spd), 0);
	free(dup);
	free(sas);
	esp_spd_free(spd);
}

/* Ranges: the most specific remote range wins, whatever the order in
 * which SAs were added; then specific local ranges, protocols, ports. */
static void test_most_specific(void **state)
{
	struct esp_spd *spd;
	struct esp_sa *wide = sa_mk(1), *mid = sa_mk(2), *narrow = sa_mk(3);
	struct esp_sa *host = sa_mk(4), *web = sa_mk(5), *v6 = sa_mk(6);
	struct esp_flow fl;

	(void)state;
	assert_int_equal(esp_spd_new(&spd), 0);
	local_any(wide);
	ts_add(wide->sa_remote_ts, &wide->sa_nremote_ts, "0.0.0.0", "255.255.255.255", 0, 0, 0xffff);
	local_any(mid);
	ts_add(mid->sa_remote_ts, &mid->sa_nremote_ts, "203.0.113.128", "203.0.113.255", 0, 0, 0xffff);
	local_any(narrow);
	ts_add(narrow->sa_remote_ts, &narrow->sa_nremote_ts, "203.0.113.192", "203.0.113.223", 0, 0, 0xffff);
	local_any(host);
	ts_add(host->sa_remote_ts, &host->sa_nremote_ts, "203.0.113.200", "203.0.113.200", 0, 0, 0xffff);
	local_any(web);
	ts_add(web->sa_remote_ts, &web->sa_nremote_ts, "203.0.113.128", "203.0.113.255", IPPROTO_TCP, 443, 443);
	ts_add(v6->sa_local_ts, &v6->sa_nlocal_ts, "2001:db8::", "2001:db8::ffff", 0, 0, 0xffff);
	ts_add(v6->sa_remote_ts, &v6->sa_nremote_ts, "2001:db8:1::", "2001:db8:1::ffff", 0, 0, 0xffff);
	/* deliberately least specific last and first */
	assert_int_equal(esp_spd_add(spd, mid), 0);
	assert_int_equal(esp_spd_add(spd, narrow), 0);
	assert_int_equal(esp_spd_add(spd, host), 0);
	assert_int_equal(esp_spd_add(spd, web), 0);
	assert_int_equal(esp_spd_add(spd, v6), 0);
	assert_int_equal(esp_spd_add(spd, wide), 0);

	fl = flow("203.0.113.9", "203.0.113.200", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), host);
	fl = flow("203.0.113.9", "203.0.113.201", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), narrow);
	fl = flow("203.0.113.9", "203.0.113.130", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), mid);
	fl = flow("203.0.113.9", "203.0.113.130", IPPROTO_TCP, 443);
	assert_ptr_equal(esp_spd_out(spd, &fl), web);
	fl = flow("203.0.113.9", "198.51.100.1", IPPROTO_TCP, 443);
	assert_ptr_equal(esp_spd_out(spd, &fl), wide);
	/* source outside every local TS */
	fl = flow("203.0.113.200", "203.0.113.130", IPPROTO_UDP, 53);
	assert_null(esp_spd_out(spd, &fl));
	fl = flow("2001:db8::5", "2001:db8:1::7", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), v6);
	fl = flow("2001:db8::5", "2001:db8:2::7", IPPROTO_UDP, 53);
	assert_null(esp_spd_out(spd, &fl));
	/* later fragments have no ports: a port-specific SA cannot take
	 * them (RFC 4301 7), the next one does */
	fl = flow("203.0.113.9", "203.0.113.130", IPPROTO_TCP, 443);
	fl.fl_ports = false;
	assert_ptr_equal(esp_spd_out(spd, &fl), mid);

	esp_spd_del(spd, narrow);
	fl = flow("203.0.113.9", "203.0.113.201", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), mid);
	esp_spd_del(spd, mid);
	esp_spd_del(spd, host);
	fl = flow("203.0.113.9", "203.0.113.200", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), wide);
	sa_drop(spd, wide), sa_drop(spd, mid), sa_drop(spd, narrow);
	sa_drop(spd, host), sa_drop(spd, web), sa_drop(spd, v6);
	assert_int_equal(esp_spd_count(spd), 0);
	esp_spd_free(spd);
}

/* Child SA rekey: the new SA has the same selectors and takes the
 * outbound traffic as soon as it is added; an expired SA is skipped. */
static void test_rekey_newest_wins(void **state)
{
	struct esp_spd *spd;
	struct esp_sa *old = sa_mk(10), *neu = sa_mk(11);
	struct esp_sa *rold = sa_mk(12), *rneu = sa_mk(13);
	struct esp_flow fl;

	(void)state;
	assert_int_equal(esp_spd_new(&spd), 0);
	local_any(old);
	ts_add(old->sa_remote_ts, &old->sa_nremote_ts, "192.0.2.77", "192.0.2.77", 0, 0, 0xffff);
	*neu = *old;
	neu->sa_spi_in = 11;
	local_any(rold);
	ts_add(rold->sa_remote_ts, &rold->sa_nremote_ts, "198.51.100.0", "198.51.100.255", 0, 0, 0xffff);
	*rneu = *rold;
	rneu->sa_spi_in = 13;
	assert_int_equal(esp_spd_add(spd, old), 0);
	assert_int_equal(esp_spd_add(spd, rold), 0);
	fl = flow("203.0.113.9", "192.0.2.77", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), old);
	assert_int_equal(esp_spd_add(spd, neu), 0);
	assert_int_equal(esp_spd_add(spd, rneu), 0);
	assert_ptr_equal(esp_spd_out(spd, &fl), neu);
	neu->sa_expired = true;
	assert_ptr_equal(esp_spd_out(spd, &fl), old);
	fl = flow("203.0.113.9", "198.51.100.3", IPPROTO_UDP, 53);
	assert_ptr_equal(esp_spd_out(spd, &fl), rneu);
	esp_spd_del(spd, rneu);
	assert_ptr_equal(esp_spd_out(spd, &fl), rold);
	sa_drop(spd, old), sa_drop(spd, neu), sa_drop(spd, rold), sa_drop(spd, rneu);
	esp_spd_free(spd);
}

static void count_cb(void *arg, struct esp_sa *sa)
{
	(void)sa;
	(*(int *)arg)++;
}

/* Several TS on each side: every pair is a policy. */
static void test_multi_ts_and_foreach(void **state)
{
	struct esp_spd *spd;
	struct esp_sa *sa = sa_mk(20);
	struct esp_flow fl;
	int n = 0;

	(void)state;
	assert_int_equal(esp_spd_new(&spd), 0);
	ts_add(sa->sa_local_ts, &sa->sa_nlocal_ts, "203.0.113.1", "203.0.113.1", 0, 0, 0xffff);
	ts_add(sa->sa_local_ts, &sa->sa_nlocal_ts, "203.0.113.64", "203.0.113.127", 0, 0, 0xffff);
	ts_add(sa->sa_remote_ts, &sa->sa_nremote_ts, "203.0.113.129", "203.0.113.129", 0, 0, 0xffff);
	ts_add(sa->sa_remote_ts, &sa->sa_nremote_ts, "203.0.113.192", "203.0.113.255", 0, 0, 0xffff);
	assert_int_equal(esp_spd_add(spd, sa), 0);
	fl = flow("203.0.113.1", "203.0.113.129", 17, 1);
	assert_ptr_equal(esp_spd_out(spd, &fl), sa);
	fl = flow("203.0.113.70", "203.0.113.200", 17, 1);
	assert_ptr_equal(esp_spd_out(spd, &fl), sa);
	fl = flow("203.0.113.2", "203.0.113.200", 17, 1);
	assert_null(esp_spd_out(spd, &fl));
	esp_spd_foreach(spd, count_cb, &n);
	assert_int_equal(n, 1);
	esp_spd_del(spd, sa);
	fl = flow("203.0.113.1", "203.0.113.129", 17, 1);
	assert_null(esp_spd_out(spd, &fl));
	esp_spd_free(spd);
	free(sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spi_table),
		cmocka_unit_test(test_most_specific),
		cmocka_unit_test(test_rekey_newest_wins),
		cmocka_unit_test(test_multi_ts_and_foreach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
