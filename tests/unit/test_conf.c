/*
 * Configuration: a full valid file, the Cisco example of DESIGN.md, each
 * kind of error with its line number and hint, the value parsers, and the
 * all-or-nothing reload contract.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/conf_value.h"
#include "hike/ikev2.h"

static char err[8192];

static struct conf *load(const char *yaml)
{
	return conf_load_string("t.yaml", yaml, err, sizeof(err));
}

/* The error text must contain this line. */
static void assert_err(const char *line)
{
	if (!strstr(err, line)) {
		print_error("expected error line:\n  %s\ngot:\n%s", line, err);
		fail();
	}
}

static const char full_yaml[] =
	"node: { name: gw1, priority: 100 }\n"				/* 1 */
	"log: { level: debug, syslog: false }\n"			/* 2 */
	"ike:\n"							/* 3 */
	"  listen: [192.0.2.10, 2001:db8::10]\n"			/* 4 */
	"  cookie_threshold: 500\n"					/* 5 */
	"  half_open_max: 5000\n"					/* 6 */
	"  workers: 2\n"						/* 7 */
	"  retransmit_base: 500ms\n"					/* 8 */
	"  fragment_size: 1400\n"					/* 9 */
	"esp: { tun: vpn0, replay_window: 2048, raw_esp: yes, coalesce_us: 0 }\n"	/* 10 */
	"sync:\n"							/* 11 */
	"  mode: corosync\n"						/* 12 */
	"  group: hike-gw\n"						/* 13 */
	"  counter_packets: 512\n"					/* 14 */
	"  counter_ms: 100ms\n"						/* 15 */
	"  vips:\n"							/* 16 */
	"    - { address: 192.0.2.10/24, dev: eth0 }\n"			/* 17 */
	"ctl: { socket: /tmp/hiked.sock, group: hike }\n"		/* 18 */
	"connections:\n"						/* 19 */
	"  - name: roadwarriors\n"					/* 20 */
	"    local_addrs: 192.0.2.10\n"					/* 21 */
	"    remote_addrs: ['%any']\n"					/* 22 */
	"    local_id: fqdn:vpn.example.org\n"				/* 23 */
	"    remote_id: '%any'\n"					/* 24 */
	"    auth: psk\n"						/* 25 */
	"    psk: 0x00112233445566778899aabbccddeeff\n"			/* 26 */
	"    ike_proposals: [aes256gcm16-prfsha256-x25519, 'aes128-sha256-ecp256,aes256-sha384-modp3072']\n"
	"    esp_proposals: [chacha20poly1305]\n"			/* 28 */
	"    local_ts: [203.0.113.0/25, '2001:db8:1::/48[tcp/443]']\n"	/* 29 */
	"    pools: [203.0.113.200-203.0.113.207, 10.3.0.0/24]\n"	/* 30 */
	"    dns: [203.0.113.53]\n"					/* 31 */
	"    ike_lifetime: 8h\n"					/* 32 */
	"    child_lifetime: 2h\n"					/* 33 */
	"    child_rekey: 1h30m\n"					/* 34 */
	"    child_life_bytes: 4G\n"					/* 35 */
	"    dpd_delay: 0\n"						/* 36 */
	"    mobike: true\n"						/* 37 */
	"  - name: site-b\n"						/* 38 */
	"    remote_addrs: [198.51.100.0/24]\n"				/* 39 */
	"    auth: psk\n"						/* 40 */
	"    psk: 'a secret'\n";					/* 41 */

static void test_full_config(void **state)
{
	struct conf *c = load(full_yaml);
	const struct conf_conn *rw, *sb;

	(void)state;
	if (!c)
		print_error("%s", err);
	assert_non_null(c);
	assert_string_equal(err, "");
	assert_string_equal(c->node.name, "gw1");
	assert_int_equal(c->node.priority, 100);
	assert_int_equal(c->log.level, 3);
	assert_int_equal(c->ike.nlisten, 2);
	assert_int_equal(c->ike.listen[1].family, AF_INET6);
	assert_int_equal(c->ike.port, 500);
	assert_int_equal(c->ike.natt_port, 4500);
	assert_int_equal(c->ike.cookie_threshold, 500);
	assert_int_equal(c->ike.retransmit_base_ms, 500);
	assert_int_equal(c->ike.fragment_size, 1400);
	assert_string_equal(c->esp.tun, "vpn0");
	assert_int_equal(c->esp.replay_window, 2048);
	assert_true(c->esp.raw_esp);
	assert_int_equal(c->esp.coalesce_us, 0);
	assert_int_equal(c->sync.mode, CONF_SYNC_COROSYNC);
	assert_string_equal(c->sync.group, "hike-gw");
	assert_int_equal(c->sync.counter_ms, 100);
	assert_int_equal(c->sync.nvips, 1);
	assert_int_equal(c->sync.vips[0].net.plen, 24);
	assert_string_equal(c->sync.vips[0].dev, "eth0");
	assert_string_equal(c->ctl.socket, "/tmp/hiked.sock");
	assert_int_equal(c->nconns, 2);

	rw = &c->conns[0];
	assert_string_equal(rw->name, "roadwarriors");
	assert_true(rw->remote_addrs[0].any);
	assert_int_equal(rw->local_id.type, IKE_ID_FQDN);
	assert_memory_equal(rw->local_id.data, "vpn.example.org", 15);
	assert_true(rw->remote_id.any);
	assert_int_equal(rw->psk_len, 16);
	assert_int_equal((uint8_t)rw->psk[15], 0xff);
	assert_int_equal(rw->nike_props, 3);		/* comma split */
	assert_int_equal(rw->ike_props[2].alg[4][0].id, IKE_DH_MODP3072);
	assert_int_equal(rw->nesp_props, 1);
	assert_int_equal(rw->nlocal_ts, 2);
	assert_int_equal(rw->local_ts[1].ipproto, 6);
	assert_int_equal(rw->local_ts[1].port_lo, 443);
	assert_int_equal(rw->nremote_ts, 0);		/* dynamic */
	assert_int_equal(rw->npools, 2);
	assert_int_equal(rw->pools[1].start[3], 1);	/* no network address */
	assert_int_equal(rw->pools[1].end[3], 254);	/* nor broadcast */
	assert_int_equal(rw->ike_lifetime_s, 8 * 3600);
	assert_int_equal(rw->ike_rekey_s, 3 * 3600 + 1800);
	assert_int_equal(rw->child_rekey_s, 5400);
	assert_int_equal(rw->child_life_bytes, 4ull << 30);
	assert_int_equal(rw->dpd_delay_s, 0);
	assert_true(rw->mobike);
	assert_true(rw->fragmentation);

	sb = &c->conns[1];
	assert_int_equal(sb->local_auth, CONF_AUTH_PSK);
	assert_int_equal(sb->psk_len, 8);
	/* defaults: never group 5 */
	assert_true(sb->nike_props >= 2);
	for (size_t i = 0; i < sb->nike_props; i++)
		for (size_t j = 0; j < sb->ike_props[i].n[4]; j++)
			assert_int_not_equal(sb->ike_props[i].alg[4][j].id, IKE_DH_MODP1536);
	assert_int_equal(sb->nesp_props, 2);
	assert_int_equal(sb->ike_lifetime_s, 4 * 3600);
	assert_int_equal(sb->child_rekey_s, 50 * 60);
	assert_int_equal(sb->dpd_delay_s, 30);
	conf_free(c);
}

/*
 * DESIGN.md's Cisco pair, line for line:
 *   crypto ikev2 proposal P  encryption aes-cbc-256 / integrity sha256 /
 *                            prf sha256 / group 5
 *   crypto ikev2 profile:    match identity remote address 192.0.2.50,
 *                            identity local address 192.0.2.10,
 *                            authentication local/remote pre-share
 *   crypto ipsec transform-set T esp-aes esp-sha-hmac   (esp-aes = 128 bit)
 *   access-list 101 permit ip host 192.168.1.100 host 192.168.2.100
 */
static const char cisco_yaml[] =
	"connections:\n"
	"  - name: cisco-peer\n"
	"    local_addrs: [192.0.2.10]\n"
	"    remote_addrs: [192.0.2.50]\n"
	"    local_id: 192.0.2.10\n"
	"    remote_id: 192.0.2.50\n"
	"    auth: psk\n"
	"    psk: \"cisco123-shared\"\n"
	"    ike_proposals: [aes256-sha256-prfsha256-modp1536]\n"
	"    esp_proposals: [aes128-sha1]\n"
	"    local_ts: [192.168.1.100/32]\n"
	"    remote_ts: [192.168.2.100]\n";

static void test_cisco_example(void **state)
{
	struct conf *c = load(cisco_yaml);
	const struct conf_conn *cc;
	const uint8_t peer[4] = { 192, 0, 2, 50 };
	const uint8_t host[4] = { 192, 168, 2, 100 };

	(void)state;
	if (!c)
		print_error("%s", err);
	assert_non_null(c);
	assert_true(c->esp.offload);			/* defaults */
	assert_int_equal(c->esp.coalesce_us, 200);
	cc = &c->conns[0];
	assert_int_equal(cc->remote_id.type, IKE_ID_IPV4_ADDR);
	assert_int_equal(cc->remote_id.len, 4);
	assert_memory_equal(cc->remote_id.data, peer, 4);
	assert_int_equal(cc->local_auth, CONF_AUTH_PSK);
	assert_int_equal(cc->remote_auth, CONF_AUTH_PSK);
	assert_int_equal(cc->nike_props, 1);
	assert_int_equal(cc->ike_props[0].alg[1][0].id, IKE_ENCR_AES_CBC);
	assert_int_equal(cc->ike_props[0].alg[1][0].keylen, 256);
	assert_int_equal(cc->ike_props[0].alg[2][0].id, IKE_PRF_HMAC_SHA2_256);
	assert_int_equal(cc->ike_props[0].alg[3][0].id, IKE_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(cc->ike_props[0].n[4], 1);
	assert_int_equal(cc->ike_props[0].alg[4][0].id, IKE_DH_MODP1536);
	assert_int_equal(cc->esp_props[0].alg[1][0].keylen, 128);
	assert_int_equal(cc->esp_props[0].alg[3][0].id, IKE_INTEG_HMAC_SHA1_96);
	/* host-to-host: a single address both ends */
	assert_int_equal(cc->nremote_ts, 1);
	assert_memory_equal(cc->remote_ts[0].start, host, 4);
	assert_memory_equal(cc->remote_ts[0].end, host, 4);
	assert_int_equal(cc->remote_ts[0].ipproto, 0);
	assert_int_equal(cc->remote_ts[0].port_hi, 65535);
	conf_free(c);
}

/* Every error is reported, each with its own line, not only the first. */
static void test_errors_with_lines(void **state)
{
	static const char bad[] =
		"ike:\n"						/* 1 */
		"  prot: 600\n"						/* 2 */
		"  fragment_size: 100\n"				/* 3 */
		"esp: { replay_window: lots }\n"			/* 4 */
		"sync: { mode: corosnyc }\n"				/* 5 */
		"connections:\n"					/* 6 */
		"  - name: a\n"						/* 7 */
		"    auth: psk\n"					/* 8 */
		"    remote_addrs: [198.51.100.1/24]\n"			/* 9 */
		"    local_ts: ['10.0.0.0/8[tcp/99999]']\n"		/* 10 */
		"    remote_id: 'not an id!'\n"				/* 11 */
		"    ike_proposals: [aes256-sha256-modp1234]\n"		/* 12 */
		"    ike_lifetime: 1h\n"				/* 13 */
		"    ike_rekey: 2h\n"					/* 14 */
		"    dpd_delay: 10x\n"					/* 15 */
		"    mode: tunel\n"					/* 16 */
		"    psk: x\n"						/* 17 */
		"    psk: y\n"						/* 18 */
		"  - name: a\n"						/* 19 */
		"    auth: pubkey\n"					/* 20 */
		"    pools: 10.0.0.9-10.0.0.1\n";			/* 21 */
	struct conf *c = load(bad);

	(void)state;
	assert_null(c);
	assert_err("t.yaml:2: unknown key 'prot' (did you mean 'port'?)");
	assert_err("t.yaml:3: fragment_size: 100 is out of range 576..65535");
	assert_err("t.yaml:4: replay_window: 'lots': not a number");
	assert_err("t.yaml:5: mode: unknown value 'corosnyc' (did you mean 'corosync'?)");
	assert_err("t.yaml:9: remote_addrs: '198.51.100.1/24': host bits set");
	assert_err("t.yaml:10: local_ts: '10.0.0.0/8[tcp/99999]': bad port");
	assert_err("t.yaml:11: remote_id: 'not an id!': not an identity");
	assert_err("t.yaml:12: ike_proposals: 'aes256-sha256-modp1234':");
	assert_err("t.yaml:7: ike_rekey 7200s is not below ike_lifetime 3600s");
	assert_err("t.yaml:15: dpd_delay: '10x': unknown time unit");
	assert_err("t.yaml:16: mode: unknown value 'tunel' (did you mean 'tunnel'?)");
	assert_err("t.yaml:18: duplicate key 'psk'");
	assert_err("t.yaml:19: connection 'a' defined twice");
	assert_err("t.yaml:19: connection 'a': local pubkey auth needs cert and key");
	assert_err("t.yaml:19: connection 'a': remote pubkey auth needs cacerts");
	assert_err("t.yaml:21: pools: '10.0.0.9-10.0.0.1': range start is above its end");
}

static void test_auth_errors(void **state)
{
	(void)state;
	assert_null(load("connections:\n  - name: x\n    auth: psk\n"));
	assert_err("t.yaml:2: connection 'x': auth psk needs a psk (add 'psk: ...')");
	assert_null(load("connections:\n  - name: y\n    psk: s\n    lifetime: 1h\n"));
	assert_err("t.yaml:4: unknown key 'lifetime' (did you mean 'ike_lifetime' or 'child_lifetime'?)");
	assert_null(load("connections:\n  - name: y\n"));
	assert_err("t.yaml:2: connection 'y': no authentication method (add 'auth: psk' or 'auth: pubkey')");
	assert_null(load("connections:\n  - name: z\n    auth: pubkey\n    cert: /nonexistent/c.pem\n"
			 "    key: /nonexistent/k.pem\n    cacerts: [/nonexistent/ca.pem]\n"));
	assert_err("cert: cannot read '/nonexistent/c.pem'");
	assert_err("cacerts: cannot read '/nonexistent/ca.pem'");
	assert_null(load("connections:\n  - auth: psk\n    psk: s\n"));
	assert_err("t.yaml:2: connection without a name");
	assert_null(load("connections:\n  - name: 'a b'\n    psk: s\n"));
	assert_err("connection name 'a b' has other characters");
}

static void test_pubkey_ok(void **state)
{
	char dir[] = "/tmp/hike-conf-XXXXXX", yaml[2048], path[3][64];
	struct conf *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		FILE *f;

		snprintf(path[i], sizeof(path[i]), "%s/f%d.pem", dir, i);
		f = fopen(path[i], "w");
		assert_non_null(f);
		fputs("-----BEGIN X-----\n", f);
		fclose(f);
	}
	snprintf(yaml, sizeof(yaml),
		 "connections:\n  - name: pk\n    auth: pubkey\n    cert: %s\n    key: %s\n"
		 "    cacerts: %s\n    local_id: 'dn:C=CH, O=Example, CN=gw1'\n"
		 "    remote_id: alice@example.org\n", path[0], path[1], path[2]);
	c = load(yaml);
	if (!c)
		print_error("%s", err);
	assert_non_null(c);
	assert_int_equal(c->conns[0].local_id.type, IKE_ID_DER_ASN1_DN);
	assert_int_equal(c->conns[0].local_id.data[0], 0x30);	/* DER SEQUENCE */
	assert_int_equal(c->conns[0].remote_id.type, IKE_ID_RFC822_ADDR);
	assert_int_equal(c->conns[0].ncacerts, 1);
	conf_free(c);
	for (int i = 0; i < 3; i++)
		unlink(path[i]);
	rmdir(dir);
}

static void test_syntax_and_shape_errors(void **state)
{
	(void)state;
	assert_null(load("ike:\n  port: [1\n"));
	assert_true(strncmp(err, "t.yaml:", 7) == 0);
	assert_null(load(""));
	assert_err("t.yaml: empty configuration");
	assert_null(load("- a\n- b\n"));
	assert_err("t.yaml:1: expected a mapping");
	assert_null(load("connections: {name: x}\n"));
	assert_err("t.yaml:1: connections: expected a list");
	assert_null(load("ike: { port: 500, natt_port: 500 }\n"));
	assert_err("port and natt_port are both 500");
	assert_null(load("ike: { cookie_threshold: 50000, half_open_max: 100 }\n"));
	assert_err("cookie_threshold 50000 is above half_open_max 100");
	assert_null(load("log:\n  level: loud\n"));
	assert_err("t.yaml:2: level: unknown value 'loud' (one of err, warn, info, debug, trace)");
	assert_null(load("node:\n  name: " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"));
	assert_err("t.yaml:2: name: longer than 63 characters");
	assert_null(load("esp:\n  tun: [a]\n"));
	assert_err("t.yaml:2: tun: expected a single value");
	assert_null(load("connections:\n  - name: a\n    psk: s\n    child_lifetime: 1500ms\n"));
	assert_err("t.yaml:4: child_lifetime: '1500ms' is not a whole number of seconds");
}

/* Many connections referring to one anchor: bounded by CONF_MAX_CONNS. */
static void test_too_many(void **state)
{
	static char yaml[64 * 1024];
	size_t n;

	(void)state;
	n = (size_t)snprintf(yaml, sizeof(yaml), "connections:\n");
	for (int i = 0; i < CONF_MAX_CONNS + 1; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
				      "  - { name: c%d, psk: s }\n", i);
	assert_null(load(yaml));
	assert_err("connections: at most 64");
	assert_null(load("connections:\n  - name: a\n    psk: s\n    local_ts: [1.0.0.0/8, 2.0.0.0/8, "
			 "3.0.0.0/8, 4.0.0.0/8, 5.0.0.0/8, 6.0.0.0/8, 7.0.0.0/8, 8.0.0.0/8, 9.0.0.0/8]\n"));
	assert_err("t.yaml:4: local_ts: at most 8 entries");
}

/* A default rekey above a short lifetime follows the lifetime down. */
static void test_rekey_follows_lifetime(void **state)
{
	struct conf *c = load("connections:\n  - name: a\n    psk: s\n    ike_lifetime: 2h\n"
			      "    child_lifetime: 40m\n");

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->conns[0].ike_rekey_s, 7200 - 900);
	assert_int_equal(c->conns[0].child_rekey_s, 2400 - 300);
	assert_int_equal(c->conns[0].local_auth, CONF_AUTH_PSK);	/* psk implies it */
	conf_free(c);
}

/* Reload contract: a bad file gives NULL and frees all it allocated (run
 * under valgrind/ASan to see the "nothing leaked" half). */
static void test_reload_from_file(void **state)
{
	char path[] = "/tmp/hike-conf-XXXXXX";
	int fd = mkstemp(path);
	struct conf *good, *bad;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(cisco_yaml, f);
	fclose(f);
	good = conf_load(path, err, sizeof(err));
	assert_non_null(good);
	assert_string_equal(good->path, path);
	f = fopen(path, "w");
	fputs("connections:\n  - name: a\n    auth: psk\n    bogus: 1\n", f);
	fclose(f);
	bad = conf_load(path, err, sizeof(err));
	assert_null(bad);
	assert_non_null(strstr(err, ":4: unknown key 'bogus'\n"));	/* no hint: nothing close */
	assert_non_null(strstr(err, ":2: connection 'a': auth psk needs a psk"));
	unlink(path);
	assert_null(conf_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	/* the old one is untouched */
	assert_string_equal(good->conns[0].name, "cisco-peer");
	conf_free(good);
	conf_free(NULL);
}

static void test_value_parsers(void **state)
{
	const char *why;
	uint64_t v;
	struct conf_ts ts;
	struct conf_id id;
	struct conf_pool pool;
	struct conf_net net;

	(void)state;
	assert_int_equal(conf_parse_duration("3h30m", 1000, &v, &why), 0);
	assert_int_equal(v, 12600000);
	assert_int_equal(conf_parse_duration("90", 1000, &v, &why), 0);
	assert_int_equal(v, 90000);
	assert_int_equal(conf_parse_duration("1d", 1, &v, &why), 0);
	assert_int_equal(v, 86400000);
	assert_int_equal(conf_parse_duration("h", 1, &v, &why), -EINVAL);
	assert_int_equal(conf_parse_duration("99999999999999999999s", 1, &v, &why), -EINVAL);
	assert_int_equal(conf_parse_size("1G", &v, &why), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(conf_parse_size("64kB", &v, &why), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(conf_parse_size("1Q", &v, &why), -EINVAL);
	assert_int_equal(conf_parse_size("99999999999T", &v, &why), -EINVAL);

	assert_int_equal(conf_parse_ts("203.0.113.0/25[udp]", &ts, &why), 0);
	assert_int_equal(ts.start[3], 0);
	assert_int_equal(ts.end[3], 127);
	assert_int_equal(ts.ipproto, 17);
	assert_int_equal(ts.port_lo, 0);
	assert_int_equal(ts.port_hi, 65535);
	assert_int_equal(conf_parse_ts("::/0[icmp6/128]", &ts, &why), 0);
	assert_int_equal(ts.family, AF_INET6);
	assert_int_equal(ts.end[0], 0xff);
	assert_int_equal(ts.port_lo, 128 << 8);	/* RFC 7296 3.13.1: type high */
	assert_int_equal(ts.port_hi, (128 << 8) | 0xff);
	assert_int_equal(conf_parse_ts("10.0.0.1-10.0.0.9[tcp/1000-2000]", &ts, &why), 0);
	assert_int_equal(ts.port_lo, 1000);
	assert_int_equal(ts.port_hi, 2000);
	assert_int_equal(conf_parse_ts("10.0.0.0/8[/80]", &ts, &why), -EINVAL);
	assert_int_equal(conf_parse_ts("10.0.0.0/8[tcp/80", &ts, &why), -EINVAL);
	assert_int_equal(conf_parse_ts("10.0.0.1-::1", &ts, &why), -EINVAL);
	assert_int_equal(conf_parse_ts("10.0.0.0/33", &ts, &why), -EINVAL);

	assert_int_equal(conf_parse_pool("203.0.113.200-203.0.113.207", &pool, &why), 0);
	assert_int_equal(pool.start[3], 200);
	assert_int_equal(pool.end[3], 207);
	assert_int_equal(conf_parse_pool("2001:db8::/120", &pool, &why), 0);
	assert_int_equal(pool.start[15], 0);
	assert_int_equal(pool.end[15], 255);

	assert_int_equal(conf_parse_net("192.0.2.10/24", CONF_NET_IFADDR, &net, &why), 0);
	assert_int_equal(conf_parse_net("192.0.2.10/24", CONF_NET_PREFIX, &net, &why), -EINVAL);
	assert_int_equal(conf_parse_net("192.0.2.0/24", CONF_NET_ADDR, &net, &why), -EINVAL);
	assert_int_equal(conf_parse_net("example.org", CONF_NET_ADDR, &net, &why), -EINVAL);

	assert_int_equal(conf_parse_id("2001:db8::1", &id, &why), 0);
	assert_int_equal(id.type, IKE_ID_IPV6_ADDR);
	assert_int_equal(id.len, 16);
	assert_int_equal(conf_parse_id("gw.example.org", &id, &why), 0);
	assert_int_equal(id.type, IKE_ID_FQDN);
	assert_int_equal(conf_parse_id("keyid:0x0a0B", &id, &why), 0);
	assert_int_equal(id.type, IKE_ID_KEY_ID);
	assert_int_equal(id.len, 2);
	assert_int_equal(id.data[1], 0x0b);
	assert_int_equal(conf_parse_id("keyid:0xabc", &id, &why), -EINVAL);
	assert_int_equal(conf_parse_id("dn:CN", &id, &why), -EINVAL);
	assert_int_equal(conf_parse_id("dn:XX=1", &id, &why), -EINVAL);
	assert_int_equal(conf_parse_id("email:ops", &id, &why), 0);
	assert_int_equal(id.type, IKE_ID_RFC822_ADDR);

	assert_int_equal(conf_edit_distance("corosnyc", "corosync"), 2);
	assert_int_equal(conf_edit_distance("port", "port"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_cisco_example),
		cmocka_unit_test(test_errors_with_lines),
		cmocka_unit_test(test_auth_errors),
		cmocka_unit_test(test_pubkey_ok),
		cmocka_unit_test(test_syntax_and_shape_errors),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_rekey_follows_lifetime),
		cmocka_unit_test(test_reload_from_file),
		cmocka_unit_test(test_value_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
