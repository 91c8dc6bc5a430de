/*
 * hiked: the node daemon.  Loads the configuration, builds struct hike
 * (log, env, loop, workers, counters), starts the subsystems and runs the
 * loop.  SIGHUP reloads the configuration all-or-nothing; SIGTERM/SIGINT
 * stop cleanly.  Speaks the systemd notify protocol itself.
 *
 *   hiked -c FILE [-f] [-d LEVEL] [-p PIDFILE]
 *   hiked --check-config FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

#include <openssl/rand.h>

#include "app/app.h"
#include "conf/conf.h"
#include "core/counters.h"
#include "core/hike.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/notify.h"
#include "sa/sa.h"
#include "core/workers.h"

#define HIKED_VERSION "0.1.0"
#define HIKED_ERRLEN 16384

/* Everything main() owns; lives on main's stack for the whole run. */
struct hiked {
	struct hike h;
	const char *conf_path;
	const char *pidfile;
	int pidfd;
	bool foreground;
	int debug_level;		/* -d, or -1: the configuration decides */
	char node_name[64];
	struct loop_timer *watchdog;
	uint64_t watchdog_ms;
};

static void hiked_usage(FILE *f)
{
	fprintf(f,
		"usage: hiked -c FILE [-f] [-d LEVEL] [-p PIDFILE]\n"
		"       hiked --check-config FILE\n"
		"  -c, --config FILE     configuration (YAML, see docs/config.md)\n"
		"  -f, --foreground      stay in the foreground, log to stderr\n"
		"  -d, --debug LEVEL     log level: err, warn, info, debug, trace (overrides log.level)\n"
		"  -p, --pidfile FILE    write (and lock) a pid file\n"
		"      --check-config FILE  report every error in FILE; exit 0 if valid\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n");
}

/* --- env: the seams that tests replace ----------------------------------- */

static int hiked_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

static uint64_t hiked_wall_s(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

/* --- subsystems ------------------------------------------------------------- */

/*
 * WIRING SPOT for the lead: start the IKE responder (node/sa: SA tables,
 * IKE sockets on ike.port/natt_port and the env.send_ike seam), the ESP
 * datapath (node/esp: TUN esp.tun, raw ESP / UDP 4500), the replicator
 * (sync/, when sync.mode is corosync) and the control socket (node/ctl,
 * ctl.socket).  Each registers its fds and timers on h->loop.  Return 0
 * or -errno; on error main() stops before READY=1.
 */
static int hiked_start_subsystems(struct hike *h)
{
	return app_start(h);
}

/* WIRING SPOT: stop in reverse order of hiked_start_subsystems(). */
static void hiked_stop_subsystems(struct hike *h)
{
	app_stop(h);
}

/*
 * WIRING SPOT: h->conf has just been replaced by a new, valid
 * configuration; old is freed right after this returns.  Subsystems must
 * drop every pointer into old here (e.g. an IKE SA's struct conf_conn *:
 * look the connection up again by name in h->conf, or keep the SA on a
 * copy).  Established SAs are kept; new exchanges use the new conf.
 */
static void hiked_conf_swapped(struct hike *h, const struct conf *old)
{
	app_conf_swapped(h, old);
}

/* --- configuration ---------------------------------------------------------- */

/* Log a multi-line error text one line per event. */
static void hiked_log_lines(const struct log *lg, int level, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		log_msg(lg, level, "%.*s", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static void hiked_apply_log(struct hiked *d)
{
	d->h.log.level = d->debug_level >= 0 ? d->debug_level : d->h.conf->log.level;
}

static void hiked_reload(struct hiked *d)
{
	struct hike *h = &d->h;
	char *err = malloc(HIKED_ERRLEN);
	struct conf *nc, *old = h->conf;

	notify_send("RELOADING=1");
	nc = err ? conf_load(d->conf_path, err, HIKED_ERRLEN) : NULL;
	if (!nc) {
		log_err(&h->log, "config reload failed, keeping the running one:");
		hiked_log_lines(&h->log, LOG_ERR_, err ? err : "out of memory");
		counters_inc(h->counters, CNT_CONF_RELOAD_FAILED);
	} else {
		h->conf = nc;
		hiked_conf_swapped(h, old);
		sa_conf_release(h, old);	/* now, or after work in flight */
		hiked_apply_log(d);
		counters_inc(h->counters, CNT_CONF_RELOADED);
		log_info(&h->log, "config reloaded: %zu connections", nc->nconns);
	}
	free(err);
	notify_send("READY=1");
}

static int hiked_check_config(const char *path)
{
	char *err = malloc(HIKED_ERRLEN);
	struct conf *c;

	if (!err)
		return 1;
	c = conf_load(path, err, HIKED_ERRLEN);
	if (!c) {
		fputs(err, stderr);
		free(err);
		return 1;
	}
	printf("config OK: %zu connections\n", c->nconns);
	conf_free(c);
	free(err);
	return 0;
}

/* --- signals, watchdog, pid file ------------------------------------------- */

static void hiked_on_signal(void *arg, int signo)
{
	struct hiked *d = arg;

	if (signo == SIGHUP) {
		log_info(&d->h.log, "SIGHUP: reloading %s", d->conf_path);
		hiked_reload(d);
		return;
	}
	log_info(&d->h.log, "%s: stopping", strsignal(signo));
	notify_send("STOPPING=1");
	loop_stop(d->h.loop);
}

/* systemd restarts us if these stop: half the interval leaves margin. */
static void hiked_on_watchdog(void *arg)
{
	struct hiked *d = arg;

	notify_send("WATCHDOG=1");
	loop_timer_arm(d->watchdog, d->watchdog_ms / 2);
}

static int hiked_pidfile(struct hiked *d)
{
	char buf[32];
	int n;

	d->pidfd = open(d->pidfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (d->pidfd < 0)
		return -errno;
	/* the lock, not the file's existence, says a hiked is running */
	if (flock(d->pidfd, LOCK_EX | LOCK_NB) < 0)
		return -EBUSY;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(d->pidfd, 0) < 0 || write(d->pidfd, buf, (size_t)n) != n)
		return -errno;
	return 0;
}

static void hiked_pidfile_remove(struct hiked *d)
{
	if (d->pidfd < 0)
		return;
	unlink(d->pidfile);
	close(d->pidfd);
	d->pidfd = -1;
}

/* --- setup and teardown ---------------------------------------------------- */

static unsigned hiked_nthreads(const struct conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (c->ike.workers)
		return c->ike.workers;
	return n > 0 ? (unsigned)n : 1;
}

static int hiked_signals(struct hiked *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int rc = loop_signal(d->h.loop, sigs[i], hiked_on_signal, d);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Builds struct hike around an already loaded conf.  Signals are routed
 * before the workers start so no worker thread ever takes one. */
static int hiked_setup(struct hiked *d)
{
	struct hike *h = &d->h;
	int rc;

	if (h->conf->node.name[0])
		snprintf(d->node_name, sizeof(d->node_name), "%s", h->conf->node.name);
	else if (gethostname(d->node_name, sizeof(d->node_name) - 1) < 0)
		strcpy(d->node_name, "hiked");
	h->node_name = d->node_name;
	h->log.node = d->node_name;
	h->env.random = hiked_random;
	h->env.wall_s = hiked_wall_s;
	h->loop = loop_new();
	h->counters = counters_new();
	if (!h->loop || !h->counters)
		return -ENOMEM;
	rc = hiked_signals(d);
	if (rc < 0)
		return rc;
	h->workers = workers_new(h->loop, hiked_nthreads(h->conf));
	if (!h->workers)
		return -ENOMEM;
	d->watchdog_ms = notify_watchdog_ms();
	if (d->watchdog_ms) {
		d->watchdog = loop_timer_new(h->loop, hiked_on_watchdog, d);
		if (!d->watchdog)
			return -ENOMEM;
		hiked_on_watchdog(d);
	}
	return 0;
}

static void hiked_teardown(struct hiked *d)
{
	struct hike *h = &d->h;

	/* first: cancelled jobs' callbacks still find the SA tables; and
	 * before the loop, which may hold a post of theirs */
	workers_free(h->workers);
	h->workers = NULL;
	hiked_stop_subsystems(h);
	loop_timer_free(d->watchdog);
	loop_free(h->loop);
	counters_free(h->counters);
	conf_free(h->conf);
	hiked_pidfile_remove(d);
}

static int hiked_run(struct hiked *d)
{
	struct hike *h = &d->h;
	int rc;

	rc = hiked_setup(d);
	if (rc == 0)
		rc = hiked_start_subsystems(h);
	if (rc < 0) {
		log_err(&h->log, "startup failed: %s", strerror(-rc));
		return 1;
	}
	log_info(&h->log, "hiked %s started: %zu connections, %u worker threads",
		 HIKED_VERSION, h->conf->nconns, workers_threads(h->workers));
	notify_send("READY=1\nSTATUS=running");
	rc = loop_run(h->loop);
	if (rc < 0)
		log_err(&h->log, "event loop failed: %s", strerror(-rc));
	log_info(&h->log, "stopped");
	return rc < 0;
}

/* --- main ---------------------------------------------------------------------- */

enum { OPT_CHECK = 0x100 };

static const struct option hiked_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "debug", required_argument, NULL, 'd' },
	{ "pidfile", required_argument, NULL, 'p' },
	{ "check-config", required_argument, NULL, OPT_CHECK },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0: go on; >0: exit with (code - 1) now. */
static int hiked_args(struct hiked *d, int argc, char **argv)
{
	int o;

	while ((o = getopt_long(argc, argv, "c:fd:p:Vh", hiked_opts, NULL)) != -1) {
		switch (o) {
		case 'c': d->conf_path = optarg; break;
		case 'f': d->foreground = true; break;
		case 'p': d->pidfile = optarg; break;
		case 'd':
			d->debug_level = log_level_parse(optarg);
			if (d->debug_level < 0) {
				fprintf(stderr, "hiked: bad log level '%s'\n", optarg);
				return 2 + 1;
			}
			break;
		case OPT_CHECK: return hiked_check_config(optarg) + 1;
		case 'V': printf("hiked %s\n", HIKED_VERSION); return 0 + 1;
		case 'h': hiked_usage(stdout); return 0 + 1;
		default: hiked_usage(stderr); return 2 + 1;
		}
	}
	if (!d->conf_path || optind != argc) {
		hiked_usage(stderr);
		return 2 + 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct hiked d = { .pidfd = -1, .debug_level = -1,
			   .h.log = { .level = LOG_INFO_ } };
	char *err = malloc(HIKED_ERRLEN);
	int rc = hiked_args(&d, argc, argv);

	if (rc > 0 || !err) {
		free(err);
		return rc > 0 ? rc - 1 : 1;
	}
	d.h.conf = conf_load(d.conf_path, err, HIKED_ERRLEN);
	if (!d.h.conf) {
		fputs(err, stderr);
		free(err);
		return 1;
	}
	free(err);
	hiked_apply_log(&d);
	if (!d.foreground || d.h.conf->log.syslog) {
		openlog("hiked", LOG_PID, LOG_DAEMON);
		d.h.log.use_syslog = 1;
	}
	if (!d.foreground && daemon(0, 0) < 0) {
		perror("hiked: daemon");
		conf_free(d.h.conf);
		return 1;
	}
	if (d.pidfile && (rc = hiked_pidfile(&d)) < 0) {
		log_err(&d.h.log, "pid file %s: %s", d.pidfile, strerror(-rc));
		d.pidfd = -1;	/* not ours: leave it in place */
		conf_free(d.h.conf);
		return 1;
	}
	rc = hiked_run(&d);
	hiked_teardown(&d);
	return rc;
}
