/*
 * ESP encap and decap throughput per suite, one core, 1400-byte inner
 * packets (the TUN MTU strongSwan's kernel-libipsec uses); then the
 * TUN offload split (node/esp/gso.c) of a 64 KB TCP super-packet and the
 * checksum alone.  Prints figures; asserts nothing.
 *
 *   build/bench/esp_bench [seconds-per-suite [suite|gso]]
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
#include "esp/offload.h"

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

/* A TCPv4 super-packet as the kernel hands it over with TSO: IP, TCP
 * with timestamps (32 bytes), 65483 bytes of payload, the pseudo-header
 * sum in the checksum field (NEEDS_CSUM). */
static size_t mk_super(uint8_t *b, struct virtio_net_hdr *vh, uint16_t mss)
{
	size_t len = ESP_GSO_MAX, l4 = 20, hlen = 52;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 2654435761u >> 13);
	memset(b, 0, hlen);
	b[0] = 0x45, b[2] = (uint8_t)(len >> 8), b[3] = (uint8_t)len;
	b[6] = 0x40, b[8] = 64, b[9] = IPPROTO_TCP;
	inet_pton(AF_INET, "203.0.113.130", b + 12);
	inet_pton(AF_INET, "203.0.113.2", b + 16);
	b[l4 + 12] = 8 << 4, b[l4 + 13] = 0x18;		/* ACK PSH */
	b[l4 + 20] = 1, b[l4 + 21] = 1, b[l4 + 22] = 8, b[l4 + 23] = 10;
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = (uint16_t)hlen, vh->gso_size = mss;
	vh->csum_start = (uint16_t)l4, vh->csum_offset = 16;
	return len;
}

/* Split into segments written round the datapath's 64 output slots (at
 * its 16-byte headroom), as dp_tun_split() does.  GB/s of payload in the
 * best 0.1 s round: the figure least disturbed by a shared core. */
static void bench_gso(double secs)
{
	static uint8_t sp[ESP_GSO_MAX], slot[64][9216 + 64];
	struct virtio_net_hdr vh;
	size_t len = mk_super(sp, &vh, 1400), k = 0, l;
	volatile uint8_t sink = 0;
	double best = 0, t0, t, end = now_s() + secs;
	unsigned long long n = 0;
	struct esp_gso g;

	do {
		uint64_t bytes = 0;

		t0 = now_s();
		do {
			if (esp_gso_start(&g, &vh, sp, len, 9216))
				abort();
			while ((l = esp_gso_next(&g, slot[k] + 16)) > 0) {
				sink ^= slot[k][16 + 36];	/* the checksum */
				bytes += l - 52;
				k = (k + 1) % 64;
			}
			n++;
		} while ((t = now_s() - t0) < 0.1);
		if (bytes / t > best)
			best = bytes / t;
	} while (now_s() < end);
	printf("gso split 64 KB TCPv4 super-packet into 1400-byte segments: "
	       "%6.2f GB/s  (best 0.1 s round, %llu super-packets)\n",
	       best / 1e9, n);
	(void)sink;
}

/* esp_csum_add over one 1400-byte segment in L1 cache, the same way. */
static void bench_csum(double secs)
{
	static uint8_t buf[1400];
	double best = 0, t0, t, end = now_s() + secs;
	uint32_t acc = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	do {
		uint64_t n = 0;

		t0 = now_s();
		do {
			for (int i = 0; i < 1000; i++, n++)
				acc += esp_csum_add(buf, sizeof(buf), acc & 0xffff);
		} while ((t = now_s() - t0) < 0.1);
		if (n * (double)sizeof(buf) / t > best)
			best = n * (double)sizeof(buf) / t;
	} while (now_s() < end);
	printf("esp_csum_add over 1400 bytes in L1: %6.2f GB/s  "
	       "(best 0.1 s round; %08x)\n", best / 1e9, acc);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	const char *only = argc > 2 ? argv[2] : NULL;

	printf("ESP, 1400-byte inner packets, one core, ESN on\n");
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (!only || !strcmp(only, suites[i].name))
			bench(&suites[i], secs);
	if (!only || !strcmp(only, "gso")) {
		bench_gso(secs);
		bench_csum(secs);
	}
	return 0;
}
