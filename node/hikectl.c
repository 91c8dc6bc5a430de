/*
 * hikectl: the cluster status and control tool.  Talks to the local hiked
 * over its control socket (ctl/ctl.h); every subcommand has a readable
 * table and --json.  Subcommands are dispatched from one table.
 *
 * Exit status of `status`: 0 healthy, 1 degraded, 2 down (or unreachable);
 * of `drill`: 0 PASS, 1 FAIL; 2 for usage errors everywhere.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "hikectl/drill.h"
#include "hikectl/render.h"

#define DEFAULT_SOCKET "/run/hike/hiked.sock"

struct opts {
	const char *socket;
	bool json;
	int timeout_ms;
};

struct subcmd {
	const char *name;
	int (*fn)(const struct opts *o, int argc, char **argv);
	const char *usage;
};

static int print_json(json_t *res)
{
	char *s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s)
		puts(s);
	free(s);
	return s ? 0 : 1;
}

/* One request; prints the result as JSON or through render; returns the
 * exit status (render decides health for `status`). */
static int run(const struct opts *o, const char *cmd, json_t *args,
	       int (*render)(json_t *res))
{
	char err[512];
	json_t *res = ctl_call(o->socket, cmd, args, o->timeout_ms, err, sizeof(err));
	int rc;

	json_decref(args);
	if (!res) {
		fprintf(stderr, "hikectl %s: %s\n", cmd, err);
		return 2;
	}
	rc = o->json ? print_json(res) : render(res);
	if (o->json && render == hikectl_render_status)
		rc = hikectl_status_health(res);
	json_decref(res);
	return rc;
}

static int cmd_status(const struct opts *o, int argc, char **argv)
{
	(void)argc; (void)argv;
	return run(o, "status", NULL, hikectl_render_status);
}

static int cmd_sas(const struct opts *o, int argc, char **argv)
{
	json_t *args = json_object();

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--peer") == 0)
			json_object_set_new(args, "peer", json_string(argv[++i]));
		else if (i + 1 < argc && strcmp(argv[i], "--id") == 0)
			json_object_set_new(args, "id", json_string(argv[++i]));
		else {
			fprintf(stderr, "hikectl sas: unexpected '%s' (usage: sas [--peer ADDR] [--id ID])\n", argv[i]);
			json_decref(args);
			return 2;
		}
	}
	return run(o, "sas", args, hikectl_render_sas);
}

static int cmd_metrics(const struct opts *o, int argc, char **argv)
{
	(void)argc; (void)argv;
	return run(o, "status", NULL, hikectl_render_metrics);
}

static int cmd_switchover(const struct opts *o, int argc, char **argv)
{
	json_t *args = json_object();

	if (argc == 3 && strcmp(argv[1], "--to") == 0)
		json_object_set_new(args, "to", json_string(argv[2]));
	else if (argc != 1) {
		fprintf(stderr, "hikectl switchover: usage: switchover [--to NODE]\n");
		json_decref(args);
		return 2;
	}
	return run(o, "switchover", args, hikectl_render_generic);
}

/* rekey SERIAL [--child SPI] / delete SERIAL */
static int cmd_sa_action(const struct opts *o, int argc, char **argv)
{
	bool rekey = strcmp(argv[0], "rekey") == 0;
	json_t *args = json_object();
	char *end = NULL;
	long long serial = argc > 1 ? strtoll(argv[1], &end, 10) : 0;

	if (argc > 1 && *end == '\0' && serial > 0 &&
	    (argc == 2 || (rekey && argc == 4 && strcmp(argv[2], "--child") == 0))) {
		json_object_set_new(args, "serial", json_integer(serial));
		if (argc == 4)
			json_object_set_new(args, "child", json_string(argv[3]));
		return run(o, argv[0], args, hikectl_render_generic);
	}
	fprintf(stderr, "hikectl %s: usage: %s\n", argv[0], rekey ?
		"rekey SERIAL [--child SPI]  (SERIAL and SPI as hikectl sas shows them)" :
		"delete SERIAL  (as hikectl sas shows it)");
	json_decref(args);
	return 2;
}

/* drill [--crash] [--json] [--timeout SECS] [--node NAME=SOCKET ...] */
static int cmd_drill(const struct opts *o, int argc, char **argv)
{
	struct drill_opts d = { .json = o->json, .timeout_ms = 10000 };

	d.sockets[d.nsockets++] = o->socket;
	for (int i = 1; i < argc; i++) {
		char *eq;

		if (strcmp(argv[i], "--crash") == 0)
			d.crash = true;
		else if (strcmp(argv[i], "--json") == 0)
			d.json = true;
		else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0)
			d.timeout_ms = atoi(argv[++i]) * 1000;
		else if (i + 1 < argc && strcmp(argv[i], "--node") == 0 &&
			 (eq = strchr(argv[i + 1], '=')) && eq[1] &&
			 d.nsockets < DRILL_MAX_NODES) {
			*eq = '\0';
			d.names[d.nsockets] = argv[++i];
			d.sockets[d.nsockets++] = eq + 1;
		} else {
			fprintf(stderr, "hikectl drill: unexpected '%s' (usage: drill [--crash] [--json] "
				"[--timeout SECS] [--node NAME=SOCKET ...])\n", argv[i]);
			return 2;
		}
	}
	if (d.timeout_ms <= 0)
		d.timeout_ms = 10000;
	return hikectl_drill(&d);
}

static const struct subcmd subcmds[] = {
	{ "status", cmd_status, "status                      cluster, roles, quorum, SA counts, drops" },
	{ "sas", cmd_sas, "sas [--peer ADDR] [--id ID] IKE SAs with their Child SAs" },
	{ "switchover", cmd_switchover, "switchover [--to NODE]      graceful hand-over to a standby" },
	{ "rekey", cmd_sa_action, "rekey SERIAL [--child SPI]  rekey an IKE SA (or one Child SA) now" },
	{ "delete", cmd_sa_action, "delete SERIAL               DELETE an IKE SA (the peer is told)" },
	{ "metrics", cmd_metrics, "metrics                     OpenMetrics text for a scraper" },
	{ "drill", cmd_drill, "drill [--crash] [--timeout SECS] [--node NAME=SOCKET ...]\n"
	  "                              failover drill: survey SAs, hand over, verify; PASS/FAIL" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hikectl [-s SOCKET] [--json] [-t MS] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(f, "  %s\n", subcmds[i].usage);
	fprintf(f, "\n-s SOCKET  control socket (default %s, or $HIKE_SOCKET)\n"
		   "--json     machine-readable output\n"
		   "-t MS      reply timeout (default 5000)\n", DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { getenv("HIKE_SOCKET"), false, 5000 };
	int c;

	if (!o.socket)
		o.socket = DEFAULT_SOCKET;
	while ((c = getopt_long(argc, argv, "+s:jt:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o.socket = optarg; break;
		case 'j': o.json = true; break;
		case 't': o.timeout_ms = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[optind], subcmds[i].name) == 0)
			return subcmds[i].fn(&o, argc - optind, argv + optind);
	fprintf(stderr, "hikectl: unknown command '%s' (try hikectl --help)\n", argv[optind]);
	return 2;
}
