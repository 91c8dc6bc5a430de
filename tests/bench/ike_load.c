/*
 * IKE load generator: opens N IKE SAs (PSK, one Child SA each) against a
 * responder as fast as it answers, with a window of handshakes in flight,
 * from many source addresses and ports, retransmitting on timeout.  The
 * initiator is tests/common/initiator.c (hike's codec and crypto, AUTH
 * computed independently).  Prints figures; asserts nothing.
 *
 *   ike_load -r 192.0.2.10 -s 192.0.2.100 -a 100 -n 1000 [-w 64] [-P pid]
 *
 *   -r ADDR   responder (IKE port 500, or -R PORT)
 *   -s ADDR   first source address; -a COUNT consecutive ones (bound
 *             round-robin), -p PORTS sockets per address (ephemeral ports)
 *   -n N      IKE SAs to open (default 1000)
 *   -w W      handshakes in flight (default 64)
 *   -t MS     first retransmit timeout (default 1000, doubles), -m TRIES
 *             (default 5) before a handshake counts as failed
 *   -T SECS   stop after this long (default 170)
 *   -P PID    responder process: its CPU (utime+stime, all threads) and
 *             RSS are read from /proc before the first and after the
 *             last handshake
 *   -k PSK    pre-shared key; -i PROPOSAL (aes256gcm16-prfsha256-x25519),
 *             -e PROPOSAL (aes256gcm16)
 *   -L LABEL  first word of the result line
 *   -C CAFILE the responder signs (public-key AUTH): verify its chain and
 *             signature against this CA (loaded once); we still use PSK
 *
 * The last line is "RESULT LABEL key=value ..." for scripts (ike_load.sh).
 * Each SA has IDi fqdn "lN.bench.test", TSi 203.0.113.128/25 and TSr
 * 203.0.113.0/25 (the lab's protected networks); SAs stay up (no DELETE)
 * so the responder's memory per SA can be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include "hike/ikev2.h"
#include "crypto/cert.h"
#include "../common/initiator.h"

#define PKT_MAX		4096
#define MAX_SOCKS	4096

enum ld_state { LD_FREE, LD_INIT, LD_AUTH };

/* One handshake in flight. */
struct ld_slot {
	struct ini x;
	enum ld_state state;
	uint32_t sa;			/* index of the SA, 0..N-1 */
	int sock;
	unsigned tries;
	double t0, deadline;
	uint8_t req[PKT_MAX];
	size_t req_len;
	char id[32];			/* IDi: ini_init keeps a pointer */
};

struct ld_opts {
	struct in_addr resp, src;
	uint16_t port;
	unsigned nsrc, ports, n, window, tries, timeout_ms;
	double max_s;
	int pid;
	const char *psk, *ike, *esp, *label, *ca;
};

struct ld_stats {
	unsigned started, ok, fail_timeout, fail_notify, fail_other;
	unsigned retx, cookies, invalid_ke;
	uint16_t last_notify;
	double *lat_ms;
};

struct ld {
	struct ld_opts o;
	struct ld_stats st;
	struct ld_slot *slots;
	int *socks;
	struct sockaddr_in *sock_addr;
	unsigned nsocks;
	int ep;
	uint32_t spi_hi;		/* high half of every IKE SPI of the run */
	uint32_t next_sa;
	unsigned busy;
	struct cert_store *store;	/* -C */
};

static double ld_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- the responder process, from /proc ------------------------------------ */

/* utime+stime of the process (tid 0: all threads) or of its thread tid
 * (tid == pid: the main thread, hiked's event loop). */
static double proc_cpu_s(int pid, int tid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	int i;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 0;
	/* after "pid (comm)": field 3 is state; utime is 14, stime 15 */
	for (i = 3; i < 14 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- sockets -------------------------------------------------------------- */

static int ld_socket(struct ld *l, struct in_addr src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = src };
	struct sockaddr_in peer = { .sin_family = AF_INET,
		.sin_addr = l->o.resp, .sin_port = htons(l->o.port) };
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t slen = sizeof(sa);
	int fd, big = 1 << 20;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    connect(fd, (struct sockaddr *)&peer, sizeof(peer)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &slen)) {
		int e = -errno;

		close(fd);
		return e;
	}
	ev.data.u32 = l->nsocks;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -errno;
	}
	l->sock_addr[l->nsocks] = sa;
	l->socks[l->nsocks++] = fd;
	return 0;
}

static int ld_sockets(struct ld *l)
{
	unsigned a, p;
	int rc;

	l->socks = calloc(MAX_SOCKS, sizeof(*l->socks));
	l->sock_addr = calloc(MAX_SOCKS, sizeof(*l->sock_addr));
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!l->socks || !l->sock_addr || l->ep < 0)
		return -ENOMEM;
	for (p = 0; p < l->o.ports; p++)
		for (a = 0; a < l->o.nsrc && l->nsocks < MAX_SOCKS; a++) {
			struct in_addr s = { htonl(ntohl(l->o.src.s_addr) + a) };

			rc = ld_socket(l, s);
			if (rc) {
				fprintf(stderr, "ike_load: bind %s: %s\n",
					inet_ntoa(s), strerror(-rc));
				return rc;
			}
		}
	return 0;
}

/* --- handshakes ----------------------------------------------------------- */

static void ld_send(struct ld *l, struct ld_slot *s, double now)
{
	double to = l->o.timeout_ms / 1000.0 * (double)(1u << s->tries);

	if (send(l->socks[s->sock], s->req, s->req_len, 0) < 0 &&
	    errno != EAGAIN && errno != ENOBUFS)
		perror("ike_load: send");
	s->deadline = now + to;
}

static void ld_conf(struct ld *l, uint32_t sa, unsigned sock, char *id,
		    size_t idcap, struct ini_conf *c)
{
	struct sockaddr_in *me = (struct sockaddr_in *)&c->me;
	struct sockaddr_in *peer = (struct sockaddr_in *)&c->peer;

	memset(c, 0, sizeof(*c));
	c->ike_proposal = l->o.ike;
	c->esp_proposal = l->o.esp;
	c->psk = l->o.psk;
	c->shared_store = l->store;
	snprintf(id, idcap, "l%u.bench.test", sa);
	c->idi_type = IKE_ID_FQDN;
	c->idi = (const uint8_t *)id;
	c->idi_len = strlen(id);
	c->spi = (uint64_t)l->spi_hi << 32 | sa;
	c->seed = (uint8_t)sa;
	*me = l->sock_addr[sock];
	*peer = (struct sockaddr_in){ .sin_family = AF_INET,
		.sin_addr = l->o.resp, .sin_port = htons(l->o.port) };
	c->ntsi = c->ntsr = 1;
	c->tsi[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.eport = 0xffff, .start = { 203, 0, 113, 128 },
		.end = { 203, 0, 113, 255 } };
	c->tsr[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
		.eport = 0xffff, .start = { 203, 0, 113, 0 },
		.end = { 203, 0, 113, 127 } };
}

/* Start SA number l->next_sa in slot s: IKE_SA_INIT --> */
static int ld_start(struct ld *l, struct ld_slot *s, double now)
{
	struct ini_conf c;
	uint32_t sa = l->next_sa++;
	unsigned sock = sa % l->nsocks;
	int rc;

	ld_conf(l, sa, sock, s->id, sizeof(s->id), &c);
	rc = ini_init(&s->x, &c);
	if (rc)
		return rc;
	s->x.counter = (uint8_t)(sa >> 8);
	if (RAND_bytes(s->x.ni, sizeof(s->x.ni)) != 1)
		return -EIO;
	s->x.ni[0] |= 1;		/* non-zero: ini_sa_init keeps it */
	rc = ini_sa_init(&s->x, s->req, PKT_MAX, &s->req_len);
	if (rc)
		return rc;
	s->sa = sa;
	s->sock = (int)sock;
	s->state = LD_INIT;
	s->tries = 0;
	s->t0 = now;
	l->st.started++;
	l->busy++;
	ld_send(l, s, now);
	return 0;
}

static void ld_finish(struct ld *l, struct ld_slot *s, int rc, double now)
{
	if (rc == 0) {
		l->st.lat_ms[l->st.ok++] = (now - s->t0) * 1000.0;
	} else if (rc > 0) {
		l->st.fail_notify++;
		l->st.last_notify = (uint16_t)rc;
	} else if (rc == -ETIMEDOUT) {
		l->st.fail_timeout++;
	} else {
		l->st.fail_other++;
	}
	ini_free(&s->x);
	s->state = LD_FREE;
	l->busy--;
}

/* initiator.c derives the Child SPI from (seed * 29 + counter * 7) mod
 * 256 only: 256 SPIs.  strongSwan's SAD refuses an outbound SPI it has
 * already installed towards the same address, so give the SAs of each
 * source address distinct values (unique up to 256 SAs per address:
 * N <= 256 * NSRC).  7 * 183 == 1 (mod 256). */
static void ld_child_spi(struct ld *l, struct ld_slot *s)
{
	uint8_t v = (uint8_t)(s->sa / l->o.nsrc);

	s->x.counter = (uint8_t)((uint8_t)(v - s->x.c.seed * 29) * 183);
}

/* <-- IKE_SA_INIT response; then IKE_AUTH { IDi, AUTH, SAi2, TSi, TSr } --> */
static void ld_on_init(struct ld *l, struct ld_slot *s, const uint8_t *buf,
		       size_t len, double now)
{
	int rc = ini_sa_init_resp(&s->x, buf, len);

	if (rc == IKE_N_COOKIE || rc == IKE_N_INVALID_KE_PAYLOAD) {
		/* RFC 7296 2.6 / 1.2: the same request again, with the
		 * cookie or the group asked for */
		if (rc == IKE_N_COOKIE)
			l->st.cookies++;
		else
			l->st.invalid_ke++;
		rc = ini_sa_init(&s->x, s->req, PKT_MAX, &s->req_len);
		if (!rc) {
			s->tries = 0;
			ld_send(l, s, now);
			return;
		}
	}
	if (!rc) {
		ld_child_spi(l, s);
		rc = ini_auth(&s->x, s->req, PKT_MAX, &s->req_len);
	}
	if (rc) {
		ld_finish(l, s, rc, now);
		return;
	}
	s->state = LD_AUTH;
	s->tries = 0;
	ld_send(l, s, now);
}

static void ld_on_auth(struct ld *l, struct ld_slot *s, const uint8_t *buf,
		       size_t len, double now)
{
	int rc = ini_auth_resp(&s->x, buf, len);

	if (rc == -EINVAL && s->x.msgid == 1)
		return;		/* not our message ID: a stale duplicate */
	if (!rc && (s->x.nchild != 1 || !s->x.child[0].live))
		rc = -ENOENT;	/* IKE SA without its Child SA */
	ld_finish(l, s, rc, now);
}

static struct ld_slot *ld_slot_of(struct ld *l, const uint8_t *buf, size_t len)
{
	uint64_t ispi = 0;
	uint32_t sa;
	unsigned i;

	if (len < 28)
		return NULL;
	for (i = 0; i < 8; i++)
		ispi = ispi << 8 | buf[i];
	if ((uint32_t)(ispi >> 32) != l->spi_hi)
		return NULL;
	sa = (uint32_t)ispi;
	/* slot = the one running SA sa (the window is small: scan) */
	for (i = 0; i < l->o.window; i++)
		if (l->slots[i].state != LD_FREE && l->slots[i].sa == sa)
			return &l->slots[i];
	return NULL;
}

static void ld_rx(struct ld *l, unsigned sock, double now)
{
	static uint8_t buf[65536];
	struct ld_slot *s;
	ssize_t n;

	while ((n = recv(l->socks[sock], buf, sizeof(buf), 0)) > 0) {
		s = ld_slot_of(l, buf, (size_t)n);
		/* responses only (flag R); requests (DPD) are ignored */
		if (!s || !(buf[19] & IKE_FLAG_RESPONSE))
			continue;
		if (s->state == LD_INIT && buf[18] == IKE_SA_INIT)
			ld_on_init(l, s, buf, (size_t)n, now);
		else if (s->state == LD_AUTH && buf[18] == IKE_AUTH)
			ld_on_auth(l, s, buf, (size_t)n, now);
	}
}

static void ld_timers(struct ld *l, double now)
{
	unsigned i;

	for (i = 0; i < l->o.window; i++) {
		struct ld_slot *s = &l->slots[i];

		if (s->state == LD_FREE || now < s->deadline)
			continue;
		if (++s->tries >= l->o.tries) {
			ld_finish(l, s, -ETIMEDOUT, now);
			continue;
		}
		l->st.retx++;
		ld_send(l, s, now);
	}
}

static void ld_fill(struct ld *l, double now)
{
	unsigned i;

	for (i = 0; i < l->o.window && l->next_sa < l->o.n; i++)
		if (l->slots[i].state == LD_FREE) {
			int rc = ld_start(l, &l->slots[i], now);

			if (rc) {
				fprintf(stderr, "ike_load: start: %s\n", strerror(-rc));
				l->st.fail_other++;
			}
		}
}

static double ld_next_deadline(struct ld *l, double now)
{
	double d = now + 0.1;
	unsigned i;

	for (i = 0; i < l->o.window; i++)
		if (l->slots[i].state != LD_FREE && l->slots[i].deadline < d)
			d = l->slots[i].deadline;
	return d;
}

static void ld_run(struct ld *l, double t_end)
{
	struct epoll_event ev[64];
	double now = ld_now(), last_report = now;
	int n, i, ms;

	ld_fill(l, now);
	while ((l->busy || l->next_sa < l->o.n) && now < t_end) {
		ms = (int)((ld_next_deadline(l, now) - now) * 1000.0) + 1;
		n = epoll_wait(l->ep, ev, 64, ms < 0 ? 0 : ms);
		now = ld_now();
		for (i = 0; i < n; i++)
			ld_rx(l, ev[i].data.u32, now);
		ld_timers(l, now);
		ld_fill(l, now);
		if (now - last_report >= 5.0) {
			fprintf(stderr, "# ike_load: %u/%u established, %u failed, %u retransmits\n",
				l->st.ok, l->o.n, l->st.fail_timeout + l->st.fail_notify +
				l->st.fail_other, l->st.retx);
			last_report = now;
		}
	}
}

/* --- figures -------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, unsigned n, double p)
{
	return n ? v[(unsigned)((n - 1) * p)] : 0;
}

static double ru_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ike_load -r RESPONDER -s FIRST_SRC [-a NSRC] [-p PORTS] [-n N]\n"
		"                [-w WINDOW] [-t TIMEOUT_MS] [-m TRIES] [-T SECS]\n"
		"                [-P RESPONDER_PID] [-k PSK] [-i IKE] [-e ESP] [-R PORT] [-L LABEL]\n"
		"                [-C CAFILE]\n");
}

static int ld_opts(int argc, char **argv, struct ld_opts *o)
{
	int c;

	*o = (struct ld_opts){ .port = 500, .nsrc = 1, .ports = 4, .n = 1000,
		.window = 64, .tries = 5, .timeout_ms = 1000, .max_s = 170,
		.psk = "hike-bench-secret", .ike = "aes256gcm16-prfsha256-x25519",
		.esp = "aes256gcm16", .label = "responder" };
	while ((c = getopt(argc, argv, "r:s:a:p:n:w:t:m:T:P:k:i:e:R:L:C:h")) != -1) {
		switch (c) {
		case 'r': if (!inet_aton(optarg, &o->resp)) return -1; break;
		case 's': if (!inet_aton(optarg, &o->src)) return -1; break;
		case 'a': o->nsrc = (unsigned)atoi(optarg); break;
		case 'p': o->ports = (unsigned)atoi(optarg); break;
		case 'n': o->n = (unsigned)atoi(optarg); break;
		case 'w': o->window = (unsigned)atoi(optarg); break;
		case 't': o->timeout_ms = (unsigned)atoi(optarg); break;
		case 'm': o->tries = (unsigned)atoi(optarg); break;
		case 'T': o->max_s = atof(optarg); break;
		case 'P': o->pid = atoi(optarg); break;
		case 'k': o->psk = optarg; break;
		case 'i': o->ike = optarg; break;
		case 'e': o->esp = optarg; break;
		case 'R': o->port = (uint16_t)atoi(optarg); break;
		case 'L': o->label = optarg; break;
		case 'C': o->ca = optarg; break;
		default: return -1;
		}
	}
	if (!o->resp.s_addr || !o->src.s_addr || !o->n || !o->window ||
	    !o->nsrc || !o->ports || o->window > 65536)
		return -1;
	if (o->n > 256 * o->nsrc)
		fprintf(stderr, "ike_load: warning: more than 256 SAs per source "
			"address repeat Child SPIs (strongSwan refuses them)\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct ld l = { 0 };
	double t0, t1, cpu0 = 0, cpu1 = 0, loop0 = 0, loop1 = 0, my0, secs;
	long rss0 = 0, rss1 = 0;
	unsigned failed;

	if (ld_opts(argc, argv, &l.o)) {
		usage();
		return 2;
	}
	l.slots = calloc(l.o.window, sizeof(*l.slots));
	l.st.lat_ms = calloc(l.o.n, sizeof(double));
	if (!l.slots || !l.st.lat_ms || ld_sockets(&l))
		return 1;
	if (l.o.ca) {
		char err[256];

		if (cert_store_load(&l.o.ca, 1, &l.store, err, sizeof(err))) {
			fprintf(stderr, "ike_load: %s: %s\n", l.o.ca, err);
			return 1;
		}
	}
	if (RAND_bytes((uint8_t *)&l.spi_hi, sizeof(l.spi_hi)) != 1)
		return 1;
	l.spi_hi |= 0x80000000u;
	if (l.o.pid) {
		rss0 = proc_rss_kb(l.o.pid);
		cpu0 = proc_cpu_s(l.o.pid, 0);
		loop0 = proc_cpu_s(l.o.pid, l.o.pid);
	}
	my0 = ru_cpu_s();
	t0 = ld_now();
	ld_run(&l, t0 + l.o.max_s);
	t1 = ld_now();
	if (l.o.pid) {
		cpu1 = proc_cpu_s(l.o.pid, 0);
		loop1 = proc_cpu_s(l.o.pid, l.o.pid);
		rss1 = proc_rss_kb(l.o.pid);
	}
	secs = t1 - t0;
	failed = l.st.fail_timeout + l.st.fail_notify + l.st.fail_other;
	qsort(l.st.lat_ms, l.st.ok, sizeof(double), cmp_d);
	printf("# %s: %u IKE SAs + Child SAs established of %u (%u started), %u failed "
	       "(%u timeouts, %u notifies, last %u, %u other), %u retransmits, %u cookies, "
	       "in %.2f s: %.0f/s; latency p50 %.1f ms p99 %.1f ms; initiator CPU %.2f s\n",
	       l.o.label, l.st.ok, l.o.n, l.st.started, failed, l.st.fail_timeout,
	       l.st.fail_notify, l.st.last_notify, l.st.fail_other, l.st.retx,
	       l.st.cookies, secs, l.st.ok / secs, pct(l.st.lat_ms, l.st.ok, 0.5),
	       pct(l.st.lat_ms, l.st.ok, 0.99), ru_cpu_s() - my0);
	if (l.o.pid)
		printf("# %s: responder pid %d CPU %.2f s, RSS %ld kB -> %ld kB\n",
		       l.o.label, l.o.pid, cpu1 - cpu0, rss0, rss1);
	printf("RESULT %s n=%u ok=%u fail=%u retx=%u secs=%.3f hs_per_s=%.1f "
	       "cpu_ms_per_hs=%.3f loop_cpu_ms_per_hs=%.3f rss0_kb=%ld rss1_kb=%ld bytes_per_sa=%.0f "
	       "p50_ms=%.1f p99_ms=%.1f ini_cpu_s=%.2f\n",
	       l.o.label, l.o.n, l.st.ok, failed, l.st.retx, secs, l.st.ok / secs,
	       l.st.ok ? (cpu1 - cpu0) * 1000.0 / l.st.ok : 0,
	       l.st.ok ? (loop1 - loop0) * 1000.0 / l.st.ok : 0, rss0, rss1,
	       l.st.ok ? (double)(rss1 - rss0) * 1024.0 / l.st.ok : 0,
	       pct(l.st.lat_ms, l.st.ok, 0.5), pct(l.st.lat_ms, l.st.ok, 0.99),
	       ru_cpu_s() - my0);
	return 0;
}
