/*
 * ESP encap and decap throughput per suite, one core, 1400-byte inner
 * packets (the TUN MTU strongSwan's kernel-libipsec uses).  Prints
 * figures; asserts nothing.
 *
 *   build/bench/esp_bench [seconds-per-suite]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "hike/ikev2.h"
#include "esp/esp.h"
#include "esp/esp_crypto.h"

struct suite { uint16_t encr, bits, integ; const char *name; };

static const struct suite suites[] = {
	{ IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, "aes128gcm16" },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, "aes256gcm16" },
	{ IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE, "chacha20poly1305" },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96, "aes128-sha1" },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, "aes256-sha256" },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, "aes256-sha512" },
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct esp_sa *mk(const struct suite *s, bool peer)
{
	static uint8_t ki[64], kr[64], ai[64], ar[64];
	struct esp_sa_params p;
	struct esp_alg a;
	struct esp_sa *sa;

	memset(ki, 1, sizeof(ki)), memset(kr, 2, sizeof(kr));
	memset(ai, 3, sizeof(ai)), memset(ar, 4, sizeof(ar));
	if (esp_alg_get(s->encr, s->bits, s->integ, &a))
		return NULL;
	memset(&p, 0, sizeof(p));
	p.spi_in = peer ? 2 : 1;
	p.spi_out = peer ? 1 : 2;
	p.encr = s->encr, p.encr_keylen = s->bits, p.integ = s->integ;
	p.esn = true;
	p.ekey_in = peer ? kr : ki, p.ekey_out = peer ? ki : kr;
	p.akey_in = peer ? ar : ai, p.akey_out = peer ? ai : ar;
	p.ekey_len = a.ekey_len, p.akey_len = a.akey_len;
	p.nlocal_ts = p.nremote_ts = 1;
	p.local_ts[0].ts_family = p.remote_ts[0].ts_family = AF_INET;
	memset(p.local_ts[0].ts_end, 0xff, 4);
	memset(p.remote_ts[0].ts_end, 0xff, 4);
	p.local_ts[0].ts_port_hi = p.remote_ts[0].ts_port_hi = 0xffff;
	return esp_sa_new(&p, &sa) ? NULL : sa;
}

static void bench(const struct suite *s, double secs)
{
	struct esp_sa *gw = mk(s, false), *peer = mk(s, true);
	uint8_t in[1400], pkt[1600], out[1600];
	size_t olen, dlen;
	enum esp_drop why;
	double t0, te = 0, td = 0;
	uint64_t n = 0;

	if (!gw || !peer) {
		printf("%-18s unsupported\n", s->name);
		return;
	}
	memset(in, 0x42, sizeof(in));
	in[0] = 0x45, in[2] = 1400 >> 8, in[3] = 1400 & 0xff, in[9] = 17;
	inet_pton(AF_INET, "203.0.113.5", in + 12);
	inet_pton(AF_INET, "203.0.113.200", in + 16);
	while (te + td < secs) {
		for (int i = 0; i < 1000; i++, n++) {
			t0 = now_s();
			if (esp_encap(gw, in, sizeof(in), pkt, sizeof(pkt), &olen, &why))
				abort();
			te += now_s() - t0;
			t0 = now_s();
			if (esp_decap(peer, pkt, olen, out, sizeof(out), &dlen, &why))
				abort();
			td += now_s() - t0;
		}
	}
	printf("%-18s encap %6.2f Gbit/s  decap %6.2f Gbit/s  both %6.2f Gbit/s  (%llu pkts)\n",
	       s->name, n * 1400.0 * 8 / te / 1e9, n * 1400.0 * 8 / td / 1e9,
	       n * 1400.0 * 8 / (te + td) / 1e9, (unsigned long long)n);
	esp_sa_free(gw);
	esp_sa_free(peer);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;

	printf("ESP, 1400-byte inner packets, one core, ESN on\n");
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		bench(&suites[i], secs);
	return 0;
}
