/*
 * libFuzzer target for what a standby receives over CPG (sync/sync_rx.c,
 * codec.c, roles.c, snapshot.c, sa_codec.c decoders, node/sa/sa_sync.c
 * apply, sync/esp_counters.c).
 *
 * Per input: two whole nodes over the in-memory bus (each a struct hike
 * with SA tables, sa_sync and sync as tests/sync/test_cluster_takeover.c
 * wires them), pumped until node 1 is active and node 2 its in-sync
 * standby.  The input is a script of envelopes, each [u16 big-endian
 * length][bytes], injected in order into node 2 as CPG messages from
 * node 1 (sync_membus_inject: the transport's deliver upcall, sync_rx);
 * the bus is pumped after each, so node 2's answers (announces, a
 * takeover) reach node 1 too.  After the script node 2's tables must be
 * consistent: ike_sa_count() and child_sa_count() are what a walk finds,
 * every IKE SA is found under its SPI, every Child SA under its inbound
 * SPI and linked to its IKE SA, and every IKE SA and its Child SAs
 * encode (sa_codec, as a snapshot to a joiner would) into records that
 * validate and decode again.  Then both nodes are freed (ASan finds
 * leaks); a full reset per input costs ~1 ms (~300 inputs/s).
 *
 * A custom mutator (below) changes fields of the unpacked envelopes and
 * of the records they carry, half of the time.
 *
 * Seeds (tests/fuzz/seeds/fuzz_sync/) are real envelopes the active sent
 * in replication scenarios, recorded by this binary itself:
 *   FUZZ_SYNC_SEEDS=tests/fuzz/seeds/fuzz_sync build-fuzz/fuzz_sync -runs=0
 * Each recorded envelope is one seed, and each scenario is one more seed
 * holding all of its envelopes in order (IKE SA add, Child SA add, DPD
 * window update, ESP counters, Child SA create/rekey/delete, IKE rekey,
 * IKE delete, switchover; a late joiner's announces and snapshot).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../exchange/harness.h"
#include "../sync/membus_node.h"
#include "esp_counters.h"
#include "sa/sa_sync.h"
#include "sa_codec.h"
#include "sync.h"
#include "takeover.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(x) do { if (!(x)) { \
	fprintf(stderr, "fuzz_sync: %s:%d: %s\n", __FILE__, __LINE__, #x); \
	abort(); } } while (0)

#define FS_MAX_ENV	32	/* envelopes per input */
#define FS_MAX_PUMP	64	/* pump rounds per delivery */

static const char yaml[] =
	"sync:\n"
	"  mode: corosync\n"
	"  counter_packets: 100\n"
	"  vips:\n"
	"    - { address: 192.0.2.10/24, dev: eth0 }\n"
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
	"    remote_ts: [203.0.113.128/25]\n"
	"    pools: [203.0.113.200-203.0.113.207]\n";

/* Envelopes node 2 got from node 1 (seed recording). */
struct rec {
	struct sync_transport_upcalls orig;
	bool on;
	size_t n;
	uint8_t *buf[256];
	size_t len[256];
};

struct node {
	uint32_t id;
	struct world *w;
	struct sa_sync *ss;
	struct rec *rec;
};

struct cluster {
	struct sync_membus *bus;
	struct node n[2];
	size_t count;
};

static int f_child(void *ctx, const struct child_sa *c)
{
	(void)ctx; (void)c;
	return 0;
}

static const struct child_sa_ops fake_dp = { .install = f_child,
					     .remove = f_child };

/* ------------------------------------------------ recording upcalls */

static void rec_deliver(void *ctx, uint32_t nodeid, uint32_t pid,
			const void *buf, size_t len)
{
	struct rec *r = ctx;

	if (r->on && nodeid == 1 && r->n < 256 &&
	    (r->buf[r->n] = malloc(len ? len : 1))) {
		memcpy(r->buf[r->n], buf, len);
		r->len[r->n++] = len;
	}
	r->orig.deliver(r->orig.ctx, nodeid, pid, buf, len);
}

static void rec_confchg(void *ctx, const uint32_t *m, size_t nm,
			const uint32_t *j, size_t nj, const uint32_t *l,
			size_t nl)
{
	struct rec *r = ctx;

	r->orig.confchg(r->orig.ctx, m, nm, j, nj, l, nl);
}

static void rec_quorum(void *ctx, bool q)
{
	struct rec *r = ctx;

	r->orig.quorum(r->orig.ctx, q);
}

static void rec_ready(void *ctx)
{
	struct rec *r = ctx;

	r->orig.ready(r->orig.ctx);
}

/* ------------------------------------------------------- the nodes */

static struct node *c_add(struct cluster *c, uint32_t id, uint32_t prio,
			  struct rec *rec)
{
	struct node *n = &c->n[c->count++];
	const struct mb_spec sp = { yaml, &fake_dp, n,
		{ mb_vip_noop, mb_vip_noop, mb_announce_noop, n }, NULL,
		{ .cluster = "lab", .group = "hike", .priority = prio,
		  .chunk_records = 2 }, NULL };
	struct sync_transport *t;

	n->id = id;
	t = mb_node_start(&n->w, &n->ss, c->bus, id, &sp);
	FZ_CHECK(t);
	if (rec) {
		/* every upcall shares one ctx: wrap them all */
		n->rec = rec;
		rec->orig = t->up;
		t->up = (struct sync_transport_upcalls){ rec_deliver,
			rec_confchg, rec_quorum, rec_ready, rec };
	}
	return n;
}

/* Deliver until quiet.  Two nodes settle in a few rounds; one that
 * never does is a livelock the fuzzer should report. */
static void c_pump(struct cluster *c)
{
	int k, rounds = 0;

	do {
		for (size_t i = 0; i < c->count; i++)
			if (c->n[i].w && c->n[i].w->h.sync)
				sync_flush(c->n[i].w->h.sync);
		k = sync_membus_pump(c->bus, 10000);
		FZ_CHECK(k >= 0);
		FZ_CHECK(++rounds < FS_MAX_PUMP);
	} while (k > 0);
}

static void c_init(struct cluster *c)
{
	memset(c, 0, sizeof(*c));
	c->bus = sync_membus_new();
	FZ_CHECK(c->bus);
}

static void c_free(struct cluster *c)
{
	for (size_t i = 0; i < c->count; i++)
		mb_node_stop(c->n[i].w, c->n[i].ss);
	sync_membus_free(c->bus);
}

/* --------------------------------------------------- invariants */

struct walk {
	struct hike *h;
	size_t nike, nchild;
};

/* What a standby accepted it must be able to hand on: its records, as
 * its snapshot would send them to a joiner, pass validation and decode
 * again. */
static void check_reencode(struct hike *h, struct ike_sa *sa)
{
	struct sa_recs r = { 0 };
	struct ike_sa *tmp = calloc(1, sizeof(*tmp));
	struct child_sa ctmp;
	size_t i = 0;

	FZ_CHECK(tmp);
	FZ_CHECK(sa_codec_ike_add(h, sa, &r) == 0);
	for (struct child_sa *c = sa->sa_children; c; c = c->csa_next)
		FZ_CHECK(sa_codec_child_add(h, c, sa_codec_ike_id(sa), 0, &r) == 0);
	for (; i < r.n; i++) {
		HikeSync__Record *rec = sync_record_unpack(r.v[i].buf, r.v[i].len);

		FZ_CHECK(rec);
		if (rec->kind_case == HIKE_SYNC__RECORD__KIND_IKE_SA_ADD) {
			FZ_CHECK(sa_codec_ike_decode(h, rec->ike_sa_add->sa, tmp) == 0);
			ike_pkts_free(&tmp->sa_resp);
		} else {
			FZ_CHECK(rec->kind_case == HIKE_SYNC__RECORD__KIND_CHILD_SA_ADD);
			FZ_CHECK(sa_codec_child_decode(h, rec->child_sa_add->sa,
						       &ctmp) == 0);
		}
		sync_record_free(rec);
	}
	sa_recs_free(&r);
	free(tmp);
}

static int walk_one(struct ike_sa *sa, void *arg)
{
	struct walk *wk = arg;
	struct child_sa *ch;

	wk->nike++;
	FZ_CHECK(ike_sa_find(wk->h, ike_sa_our_spi(sa)) == sa);
	for (ch = sa->sa_children; ch; ch = ch->csa_next) {
		FZ_CHECK(ch->csa_ike == sa);
		FZ_CHECK(child_sa_find(wk->h, ch->csa_spi_in) == ch);
		wk->nchild++;
	}
	if (sa->sa_state >= IKE_SA_ESTABLISHED && sa->sa_state < IKE_SA_DEAD)
		check_reencode(wk->h, sa);
	return 0;
}

static void check_tables(struct hike *h)
{
	struct walk wk = { h, 0, 0 };

	ike_sa_foreach(h, walk_one, &wk);
	FZ_CHECK(wk.nike == ike_sa_count(h));
	FZ_CHECK(wk.nchild == child_sa_count(h));
}

/* ------------------------------------------------- the fuzz target */

static void cluster_up(struct cluster *c, struct rec *rec)
{
	c_init(c);
	c_add(c, 1, 100, NULL);
	c_add(c, 2, 50, rec);
	c_pump(c);
	FZ_CHECK(sync_is_active(c->n[0].w->h.sync));
	FZ_CHECK(sync_in_sync(c->n[1].w->h.sync));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster c;
	struct rd r = rd_init(data, size);
	const uint8_t *p;
	uint16_t len;
	int n = 0;

	if (size > 256 * 1024)
		return 0;
	cluster_up(&c, NULL);
	while (n++ < FS_MAX_ENV && rd_u16(&r, &len) && rd_ptr(&r, &p, len)) {
		FZ_CHECK(sync_membus_inject(c.bus, 2, 1, p, len) == 0);
		c_pump(&c);
		check_tables(&c.n[1].w->h);
	}
	check_tables(&c.n[0].w->h);
	c_free(&c);
	return 0;
}

/* -------------------------------------- structure-aware mutation */

/*
 * Half of the mutations are libFuzzer's own on the bytes; the other half
 * unpack one envelope of the script with protobuf-c, change one field
 * found through the descriptors (a scalar to an edge value, a "has" flag,
 * the bytes of a string or bytes field in place -- or, for the records of
 * a batch or snapshot chunk, one field of that Record, repacked) and pack
 * it again, so that mutations get past the wire syntax into validation
 * and the appliers.
 */
static uint32_t mut_rnd(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return *st >> 8;
}

static uint64_t mut_value(uint64_t old, uint32_t *st)
{
	static const uint64_t edge[] = {
		0, 1, 2, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000u,
		0xffffffffu, 0x100000000ull, (1ull << 40) + 1, INT64_MAX,
		UINT64_MAX, 18446744073709552ull,
	};

	switch (mut_rnd(st) % 4) {
	case 0:
		return old + 1;
	case 1:
		return old - 1;
	case 2:
		return ((uint64_t)mut_rnd(st) << 32) ^ mut_rnd(st);
	default:
		return edge[mut_rnd(st) % (sizeof(edge) / sizeof(edge[0]))];
	}
}

static bool mut_msg(ProtobufCMessage *m, uint32_t *st, int depth);

/* The i-th serialized Record of a repeated bytes field, mutated. */
static bool mut_record(ProtobufCBinaryData *b, uint32_t *st)
{
	HikeSync__Record *r = hike_sync__record__unpack(NULL, b->len, b->data);
	uint8_t *nb;
	size_t n;

	if (!r)
		return false;
	if (!mut_msg(&r->base, st, 1) ||
	    !(nb = malloc((n = hike_sync__record__get_packed_size(r)) + 1))) {
		hike_sync__record__free_unpacked(r, NULL);
		return false;
	}
	hike_sync__record__pack(r, nb);
	hike_sync__record__free_unpacked(r, NULL);
	free(b->data);
	b->data = nb;
	b->len = n;
	return true;
}

static bool mut_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
		      uint32_t *st, int depth)
{
	uint8_t *base = (uint8_t *)m, *v = base + f->offset;
	size_t n = 1, i = 0;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(uint32_t *)(base + f->quantifier_offset) != f->id)
			return false;
	} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		n = *(size_t *)(base + f->quantifier_offset);
		if (!n)
			return false;
		i = mut_rnd(st) % n;
		v = *(uint8_t **)v;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		   f->quantifier_offset && f->type != PROTOBUF_C_TYPE_MESSAGE &&
		   f->type != PROTOBUF_C_TYPE_STRING && mut_rnd(st) % 4 == 0) {
		protobuf_c_boolean *has = (void *)(base + f->quantifier_offset);

		*has = !*has;
		return true;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_ENUM: {
		uint32_t *p = (uint32_t *)v + i;

		*p = (uint32_t)mut_value(*p, st);
		break;
	}
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t *p = (uint64_t *)v + i;

		*p = mut_value(*p, st);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		((protobuf_c_boolean *)v)[i] = !((protobuf_c_boolean *)v)[i];
		break;
	case PROTOBUF_C_TYPE_STRING: {
		char *p = ((char **)v)[i];
		size_t len = p && p != f->default_value ? strlen(p) : 0;

		if (!len)
			return false;
		p[mut_rnd(st) % len] = (char)(mut_rnd(st) % 255 + 1);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = (ProtobufCBinaryData *)v + i;

		if (f->label == PROTOBUF_C_LABEL_REPEATED && depth == 0 &&
		    !strcmp(f->name, "records"))
			return mut_record(b, st);
		if (!b->len)
			return false;
		b->data[mut_rnd(st) % b->len] ^= (uint8_t)(1u << (mut_rnd(st) % 8));
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub = ((ProtobufCMessage **)v)[i];

		return sub && mut_msg(sub, st, depth);
	}
	default:
		return false;
	}
	return true;
}

static bool mut_msg(ProtobufCMessage *m, uint32_t *st, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (int tries = 0; tries < 8 && d->n_fields; tries++)
		if (mut_field(m, &d->fields[mut_rnd(st) % d->n_fields], st, depth))
			return true;
	return false;
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
			       unsigned seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max,
			       unsigned seed)
{
	static uint8_t out[256 * 1024];
	struct rd r = rd_init(data, size);
	const uint8_t *p, *env[FS_MAX_ENV];
	uint16_t len, lens[FS_MAX_ENV];
	HikeSync__Envelope *e;
	uint32_t st = seed;
	size_t n = 0, k, o = 0, plen;

	while (n < FS_MAX_ENV && rd_u16(&r, &len) && rd_ptr(&r, &p, len)) {
		env[n] = p;
		lens[n++] = len;
	}
	if (!n || mut_rnd(&st) % 2)
		return LLVMFuzzerMutate(data, size, max);
	k = mut_rnd(&st) % n;
	e = hike_sync__envelope__unpack(NULL, lens[k], env[k]);
	if (!e)
		return LLVMFuzzerMutate(data, size, max);
	if (!mut_msg(&e->base, &st, 0) ||
	    (plen = hike_sync__envelope__get_packed_size(e)) > 0xffff) {
		hike_sync__envelope__free_unpacked(e, NULL);
		return LLVMFuzzerMutate(data, size, max);
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = i == k ? plen : lens[i];

		if (o + 2 + l > sizeof(out) || o + 2 + l > max)
			break;
		out[o++] = (uint8_t)(l >> 8);
		out[o++] = (uint8_t)l;
		if (i == k)
			hike_sync__envelope__pack(e, out + o);
		else
			memcpy(out + o, env[i], l);
		o += l;
	}
	hike_sync__envelope__free_unpacked(e, NULL);
	memcpy(data, out, o);
	return o;
}

/* ------------------------------------------------ seed recording */

static void seed_write(const char *dir, const char *name,
		       const struct rec *r, size_t from, size_t to)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	FZ_CHECK(f);
	for (size_t i = from; i < to; i++) {
		uint8_t hdr[2] = { (uint8_t)(r->len[i] >> 8), (uint8_t)r->len[i] };

		FZ_CHECK(r->len[i] <= 0xffff);
		fwrite(hdr, 1, 2, f);
		fwrite(r->buf[i], 1, r->len[i], f);
	}
	FZ_CHECK(fclose(f) == 0);
}

/* Each envelope of r since *mark as one seed <prefix>-<i>.bin. */
static void seed_step(const char *dir, const char *prefix, struct rec *r,
		      size_t *mark)
{
	char name[128];

	for (; *mark < r->n; (*mark)++) {
		snprintf(name, sizeof(name), "%s-%02zu.bin", prefix, *mark);
		seed_write(dir, name, r, *mark, *mark + 1);
	}
}

static void ini_new(struct world *w, struct ini *x, const char *esp,
		    uint64_t spi)
{
	struct ini_conf ic;

	w_ini_conf(w, &ic, "aes256gcm16-prfsha256-x25519", esp,
		   "a shared secret", "alice.example.org");
	ic.msgid_sync = true;
	ic.cp_request = true;
	ic.spi = spi;
	FZ_CHECK(ini_init(x, &ic) == 0);
}

static void to_node(struct cluster *c, struct world *w)
{
	w_rx(w, w->req, w->req_len);
	c_pump(c);
	FZ_CHECK(w->nout == 1);
}

static void establish(struct cluster *c, struct world *w, struct ini *x)
{
	/* IKE_SA_INIT { SAi1, KEi, Ni } --> */
	FZ_CHECK(ini_sa_init(x, w->req, sizeof(w->req), &w->req_len) == 0);
	to_node(c, w);
	FZ_CHECK(ini_sa_init_resp(x, w->out[0].buf, w->out[0].len) == 0);
	/* IKE_AUTH { IDi, AUTH, CP, SAi2, TSi, TSr } --> (replicated) */
	FZ_CHECK(ini_auth(x, w->req, sizeof(w->req), &w->req_len) == 0);
	to_node(c, w);
	FZ_CHECK(ini_auth_resp(x, w->out[0].buf, w->out[0].len) == 0);
}

static void child(struct cluster *c, struct world *w, struct ini *x,
		  int kind, unsigned idx)
{
	/* CREATE_CHILD_SA { [N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr] } --> */
	FZ_CHECK(ini_create_child(x, kind, idx, false, w->req,
				  sizeof(w->req), &w->req_len) == 0);
	to_node(c, w);
	FZ_CHECK(ini_create_child_resp(x, w->out[0].buf, w->out[0].len) == 0);
}

static void info(struct cluster *c, struct world *w, struct ini *x,
		 bool del_ike, int child_idx)
{
	/* INFORMATIONAL { [D] } --> */
	FZ_CHECK(ini_info(x, del_ike, child_idx, w->req, sizeof(w->req),
			  &w->req_len) == 0);
	to_node(c, w);
	FZ_CHECK(ini_info_resp(x, w->out[0].buf, w->out[0].len) == 0);
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->buf[i]);
	memset(r, 0, sizeof(*r));
}

/* Node 2 an in-sync standby (the fuzz baseline), then everything node 1
 * replicates while an initiator works through its SAs. */
static void scenario_standby(const char *dir)
{
	static struct rec r;
	struct cluster c;
	struct ini x, y;
	struct world *w;
	struct child_sa *ch;
	size_t mark = 0;

	cluster_up(&c, &r);
	w = c.n[0].w;
	r.on = true;
	ini_new(w, &x, "aes256gcm16", 0x1122334455667788ULL);
	establish(&c, w, &x);				/* IkeSaAdd + ChildSaAdd */
	seed_step(dir, "auth", &r, &mark);
	ini_new(w, &y, "aes256-sha256", 0x2233445566778899ULL);
	establish(&c, w, &y);				/* AES-CBC + HMAC */
	seed_step(dir, "auth-cbc", &r, &mark);
	info(&c, w, &x, false, -1);			/* DPD: IkeSaUpdate */
	seed_step(dir, "dpd", &r, &mark);
	ch = ike_sa_find(&w->h, x.rspi)->sa_children;
	FZ_CHECK(esp_counters_note(sa_sync_counters(c.n[0].ss),
				   ch->csa_spi_in, 250, 17) == 0);
	c_pump(&c);
	seed_step(dir, "counters", &r, &mark);
	child(&c, w, &x, INI_NEW_CHILD, 0);
	seed_step(dir, "child-new", &r, &mark);
	child(&c, w, &x, INI_REKEY_CHILD, 0);
	seed_step(dir, "child-rekey", &r, &mark);
	info(&c, w, &x, false, 1);			/* delete a Child SA */
	seed_step(dir, "child-delete", &r, &mark);
	child(&c, w, &x, INI_REKEY_IKE, 0);
	seed_step(dir, "ike-rekey", &r, &mark);
	info(&c, w, &x, true, -1);			/* delete the IKE SA */
	seed_step(dir, "ike-delete", &r, &mark);
	FZ_CHECK(sync_switchover(w->h.sync, 2) == 0);
	c_pump(&c);
	seed_step(dir, "switchover", &r, &mark);
	seed_write(dir, "scenario-standby.bin", &r, 0, r.n);
	fprintf(stderr, "fuzz_sync: standby scenario, %zu envelopes\n", r.n);
	ini_free(&x);
	ini_free(&y);
	c_free(&c);
	rec_free(&r);
}

/* Node 2 joins once node 1 holds SAs: announces and a snapshot. */
static void scenario_joiner(const char *dir)
{
	static struct rec r;
	struct cluster c;
	struct ini x;
	struct world *w;
	size_t mark = 0;

	c_init(&c);
	c_add(&c, 1, 100, NULL);
	c_pump(&c);
	w = c.n[0].w;
	ini_new(w, &x, "aes256gcm16", 0x1122334455667788ULL);
	establish(&c, w, &x);
	child(&c, w, &x, INI_NEW_CHILD, 0);
	child(&c, w, &x, INI_REKEY_CHILD, 0);
	r.on = true;
	c_add(&c, 2, 50, &r);
	c_pump(&c);
	FZ_CHECK(sync_in_sync(c.n[1].w->h.sync));
	FZ_CHECK(ike_sa_count(&c.n[1].w->h) == 1);
	seed_step(dir, "join", &r, &mark);
	seed_write(dir, "scenario-joiner.bin", &r, 0, r.n);
	fprintf(stderr, "fuzz_sync: joiner scenario, %zu envelopes\n", r.n);
	ini_free(&x);
	c_free(&c);
	rec_free(&r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_SYNC_SEEDS");

	(void)argc;
	(void)argv;
	if (!dir)
		return 0;
	mkdir(dir, 0755);
	scenario_standby(dir);
	scenario_joiner(dir);
	exit(0);
}
