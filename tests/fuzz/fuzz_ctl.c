/*
 * libFuzzer target for the control socket's request handling
 * (node/ctl/ctl.c ctl_handle) with the command table a single-node
 * hiked registers (node/app/app_ctl.c, app_ctl_sa.c: status, sas,
 * rekey, delete, crash).
 *
 * The node: a struct hike from the exchange harness with a loop (never
 * run: timers are armed, none fires), h->app as app_start leaves it for
 * "status", and two IKE SAs with a Child SA each (AES-GCM and AES-CBC +
 * HMAC), established by the test initiator.  The input is split at
 * '\n' into requests, each handled as one connection's line would be
 * (a line of more than CTL_MAX_REQUEST bytes gets the server's
 * oversize answer instead).  Every reply must exist, say v:1 and ok:
 * true/false, carry an error text when false, and serialize to JSON
 * (ctl_reply sends json_dumps of it: no text, no answer).
 *
 * "rekey" and "delete" change the SAs: after an input in which one of
 * them succeeded, the node is rebuilt, so each input starts from the
 * same two SAs (serials 1 and 2).
 *
 * Seeds: tests/fuzz/seeds/fuzz_ctl/, written by
 *   FUZZ_CTL_SEEDS=tests/fuzz/seeds/fuzz_ctl build-fuzz/fuzz_ctl -runs=0
 * (one per command, with the Child SA SPIs of the harness's SAs).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../exchange/harness.h"
#include "app/app.h"
#include "app/app_int.h"
#include "core/loop.h"
#include "ctl/ctl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(x) do { if (!(x)) { \
	fprintf(stderr, "fuzz_ctl: %s:%d: %s\n", __FILE__, __LINE__, #x); \
	abort(); } } while (0)

#define FC_MAX_LINES	16

static const char yaml[] =
	"connections:\n"
	"  - name: site\n"
	"    remote_addrs: [192.0.2.0/24]\n"
	"    local_id: fqdn:vpn.example.org\n"
	"    remote_id: fqdn:alice.example.org\n"
	"    auth: psk\n"
	"    psk: 'a shared secret'\n"
	"    ike_proposals: [aes256gcm16-prfsha256-x25519]\n"
	"    esp_proposals: [aes256gcm16, aes256-sha256]\n"
	"    local_ts: [203.0.113.0/25]\n"
	"    remote_ts: [203.0.113.128/25]\n";

static struct world *node;

static void establish(struct world *w, const char *esp, uint64_t spi)
{
	struct ini_conf ic;
	struct ini x;

	w_ini_conf(w, &ic, "aes256gcm16-prfsha256-x25519", esp,
		   "a shared secret", "alice.example.org");
	ic.spi = spi;
	FZ_CHECK(ini_init(&x, &ic) == 0);
	FZ_CHECK(w_establish(w, &x) == 0);
	ini_free(&x);
}

static struct world *node_new(void)
{
	struct world *w = world_new(yaml);

	FZ_CHECK(w);
	w->h.loop = loop_new();
	w->h.app = calloc(1, sizeof(*w->h.app));
	FZ_CHECK(w->h.loop && w->h.app);
	w->h.app->started_ms = loop_now_ms(w->h.loop);
	FZ_CHECK(ctl_open(&w->h, NULL, NULL, &w->h.ctl) == 0);
	FZ_CHECK(app_ctl_register(&w->h) == 0);
	establish(w, "aes256gcm16", 0x1122334455667788ULL);
	establish(w, "aes256-sha256", 0x2233445566778899ULL);
	FZ_CHECK(ike_sa_count(&w->h) == 2 && child_sa_count(&w->h) == 2);
	return w;
}

static void node_free(struct world *w)
{
	struct loop *l = w->h.loop;

	ctl_close(w->h.ctl);
	free(w->h.app);
	world_free(w);		/* frees the SAs' timers: before the loop */
	loop_free(l);
}

/* The reply as ctl_reply() would send it (and frees it); true if it
 * was ok:true. */
static bool check_reply(json_t *reply)
{
	json_int_t v = 0;
	int ok = -1;
	const char *err = NULL;
	char *s;

	FZ_CHECK(reply);
	FZ_CHECK(json_unpack(reply, "{s:I, s:b, s?s}", "v", &v, "ok", &ok,
			     "error", &err) == 0);
	FZ_CHECK(v == CTL_VERSION);
	FZ_CHECK(ok || (err && err[0]));
	FZ_CHECK(!ok || json_object_get(reply, "result"));
	s = json_dumps(reply, JSON_COMPACT);
	FZ_CHECK(s);
	free(s);
	json_decref(reply);
	return ok;
}

/* rekey and delete are the commands that change the node */
static bool changes_state(const char *line, size_t len)
{
	return memmem(line, len, "rekey", 5) || memmem(line, len, "delete", 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	bool dirty = false;
	int n = 0;

	if (!node)
		node = node_new();
	while (p < end && n++ < FC_MAX_LINES) {
		size_t len;

		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl ? nl : end) - p);
		if (len < CTL_MAX_REQUEST &&
		    check_reply(ctl_handle(node->h.ctl, p, len)) &&
		    changes_state(p, len))
			dirty = true;
		p += len + 1;
	}
	if (dirty) {
		node_free(node);
		node = NULL;
	}
	return 0;
}

/* ------------------------------------------------ seed recording */

struct spis {
	uint32_t spi[4];
	size_t n;
};

static int spi_of(struct ike_sa *sa, void *arg)
{
	struct spis *s = arg;

	for (struct child_sa *c = sa->sa_children; c && s->n < 4; c = c->csa_next)
		s->spi[s->n++] = c->csa_spi_in;
	return 0;
}

static void seed(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	FZ_CHECK(f);
	fputs(text, f);
	FZ_CHECK(fclose(f) == 0);
}

static void seeds_write(const char *dir)
{
	struct world *w = node_new();
	struct spis s = { .n = 0 };
	char buf[512];

	ike_sa_foreach(&w->h, spi_of, &s);
	FZ_CHECK(s.n == 2);
	mkdir(dir, 0755);
	seed(dir, "status.json", "{\"v\":1,\"cmd\":\"status\"}\n");
	seed(dir, "sas.json", "{\"v\":1,\"cmd\":\"sas\",\"args\":{}}\n");
	seed(dir, "sas-filter.json", "{\"v\":1,\"cmd\":\"sas\",\"args\":"
	     "{\"peer\":\"192.0.2.50\",\"id\":\"alice\"}}\n");
	seed(dir, "rekey-ike.json", "{\"v\":1,\"cmd\":\"rekey\",\"args\":"
	     "{\"serial\":1}}\n");
	snprintf(buf, sizeof(buf), "{\"v\":1,\"cmd\":\"rekey\",\"args\":"
		 "{\"serial\":1,\"child\":\"%08x\"}}\n", s.spi[0]);
	seed(dir, "rekey-child.json", buf);
	snprintf(buf, sizeof(buf), "{\"v\":1,\"cmd\":\"rekey\",\"args\":"
		 "{\"serial\":2,\"child\":\"%x\"}}\n"
		 "{\"v\":1,\"cmd\":\"sas\"}\n", s.spi[1]);
	seed(dir, "rekey-child-then-sas.json", buf);
	seed(dir, "delete.json", "{\"v\":1,\"cmd\":\"delete\",\"args\":"
	     "{\"serial\":2}}\n{\"v\":1,\"cmd\":\"status\",\"args\":null}\n");
	seed(dir, "crash.json", "{\"v\":1,\"cmd\":\"crash\"}\n");
	seed(dir, "errors.json",
	     "{\"v\":2,\"cmd\":\"status\"}\n"
	     "{\"v\":1,\"cmd\":\"nope\"}\n"
	     "{\"v\":1,\"cmd\":\"rekey\",\"args\":{\"serial\":\"1\"}}\n"
	     "{\"v\":1,\"cmd\":\"rekey\",\"args\":{\"serial\":99999999999999999999}}\n"
	     "{\"v\":1,\"cmd\":\"rekey\",\"args\":{\"serial\":1,\"child\":\"zz\"}}\n"
	     "{\"v\":1,\"cmd\":\"delete\",\"args\":[]}\n"
	     "{\"v\":1,\"v\":1}\n"
	     "[1,2]\n"
	     "{\"v\":1,\"cmd\":\"sas\",\"args\":{\"peer\":7}}\n");
	node_free(w);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_CTL_SEEDS");

	(void)argc;
	(void)argv;
	if (!dir)
		return 0;
	seeds_write(dir);
	exit(0);
}
