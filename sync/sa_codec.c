/* SA state <-> hike_sync Records (see sa_codec.h for the rules). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "sa_codec.h"
#include "sync.h"

#define ENC_MAX_FRAGS	64	/* = SYNC_MAX_FRAGS of codec.c */
#define ENC_NTR		5

/* ------------------------------------------------------------ records */

void sa_recs_free(struct sa_recs *r)
{
	for (size_t i = 0; r && i < r->n; i++) {
		OPENSSL_cleanse(r->v[i].buf, r->v[i].len);
		free(r->v[i].buf);
	}
	if (r) {
		free(r->v);
		memset(r, 0, sizeof(*r));
	}
}

static int recs_push(struct sa_recs *out, const HikeSync__Record *rec)
{
	size_t len = hike_sync__record__get_packed_size(rec);
	struct sa_rec *nv;
	uint8_t *buf;

	if (!len || len > SYNC_MAX_RECORD)
		return -EMSGSIZE;
	if (out->n == out->cap) {
		nv = realloc(out->v, (out->cap ? out->cap * 2 : 8) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		out->v = nv;
		out->cap = out->cap ? out->cap * 2 : 8;
	}
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	hike_sync__record__pack(rec, buf);
	out->v[out->n++] = (struct sa_rec){ buf, len };
	return 0;
}

/* -------------------------------------------------------------- time */

static uint64_t wall_now(struct hike *h)
{
	if (h->env.wall_s)
		return h->env.wall_s(h->env.ctx);
	return (uint64_t)time(NULL);
}

uint64_t sa_codec_ms_to_wall(struct hike *h, uint64_t ms)
{
	uint64_t now = sa_now_ms(h), w = wall_now(h);

	if (!ms)
		return 0;
	if (ms >= now)
		return w + (ms - now + 999) / 1000;	/* never earlier */
	return (now - ms) / 1000 >= w ? 1 : w - (now - ms) / 1000;
}

uint64_t sa_codec_wall_to_ms(struct hike *h, uint64_t wall_s)
{
	uint64_t now = sa_now_ms(h), w = wall_now(h), d;

	if (!wall_s)
		return 0;
	/* saturating: validation bounds the times (codec.c), this does not
	 * rely on it */
	if (wall_s >= w) {
		d = wall_s - w;
		return d > (UINT64_MAX - now) / 1000 ? UINT64_MAX : now + d * 1000;
	}
	d = w - wall_s;
	return d >= now / 1000 ? 1 : now - d * 1000;
}

/* --------------------------------------------------------- addresses */

static void ep_from_ss(const struct sockaddr_storage *ss, uint8_t addr[16],
		       HikeSync__Endpoint *ep)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;

	hike_sync__endpoint__init(ep);
	ep->has_addr = ep->has_port = true;
	ep->addr.data = addr;
	if (ss->ss_family == AF_INET6) {
		memcpy(addr, &s6->sin6_addr, 16);
		ep->addr.len = 16;
		ep->port = ntohs(s6->sin6_port);
	} else {
		memcpy(addr, &s4->sin_addr, 4);
		ep->addr.len = 4;
		ep->port = ntohs(s4->sin_port);
	}
}

int sa_codec_endpoint_decode(const HikeSync__Endpoint *ep, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!ep || !ep->has_port || ep->port > 65535)
		return -EINVAL;
	if (ep->addr.len == 4) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, ep->addr.data, 4);
		s4->sin_port = htons((uint16_t)ep->port);
	} else if (ep->addr.len == 16) {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ep->addr.data, 16);
		s6->sin6_port = htons((uint16_t)ep->port);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------ transforms and keys */

static size_t tr_put(HikeSync__Transform *tr, HikeSync__Transform **trp,
		     size_t n, uint32_t type, uint32_t id, uint32_t bits)
{
	hike_sync__transform__init(&tr[n]);
	tr[n].has_type = tr[n].has_id = true;
	tr[n].type = type;
	tr[n].id = id;
	tr[n].has_key_bits = bits != 0;
	tr[n].key_bits = bits;
	trp[n] = &tr[n];
	return n + 1;
}

/* Each transform type at most once (RFC 7296 3.3.2: one of each kind is
 * negotiated); ids[type] gets the id, bits the ENCR key length. */
static int tr_get(HikeSync__Transform *const *t, size_t n, uint32_t ids[6],
		  bool seen[6], uint32_t *bits)
{
	memset(seen, 0, 6 * sizeof(bool));
	memset(ids, 0, 6 * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		uint32_t ty = t[i]->type;

		if (ty < 1 || ty > 5 || seen[ty] || t[i]->id > 0xffff)
			return -EINVAL;
		seen[ty] = true;
		ids[ty] = t[i]->id;
		if (ty == IKE_TRANSFORM_ENCR)
			*bits = t[i]->key_bits;
	}
	return seen[IKE_TRANSFORM_ENCR] ? 0 : -EINVAL;
}

static void bin(ProtobufCBinaryData *b, protobuf_c_boolean *has,
		const uint8_t *p, size_t len)
{
	b->data = (uint8_t *)p;
	b->len = len;
	if (has)
		*has = true;
}

/* A key field into dst (KEY_MAX): exactly want bytes. */
static int key_get(const ProtobufCBinaryData *b, size_t want, uint8_t *dst)
{
	if (b->len != want || want > KEY_MAX)
		return -EINVAL;
	if (want)
		memcpy(dst, b->data, want);
	return 0;
}

/* ------------------------------------------------- IKE SA, encoding */

/* The IKE SA as it will be once u is applied (u may be NULL). */
struct ike_view {
	enum ike_sa_state state;
	uint32_t flags;
	const struct conf_conn *conn;
	int lease_pool;
	const uint8_t *lease;
	uint8_t peer_id_type, peer_id_len;
	const uint8_t *peer_id;
	uint64_t rekey_ms, expire_ms;
	uint32_t peer_next, our_next;
	bool own_unacked;
	const struct ike_pkts *resp;
	const struct sockaddr_storage *local, *remote;
};

static void view_of(const struct ike_sa *sa, struct ike_view *v)
{
	*v = (struct ike_view){
		.state = sa->sa_state, .flags = sa->sa_flags,
		.conn = sa->sa_conn, .lease_pool = sa->sa_lease_pool,
		.lease = sa->sa_lease, .peer_id_type = sa->sa_peer_id_type,
		.peer_id_len = sa->sa_peer_id_len, .peer_id = sa->sa_peer_id,
		.rekey_ms = sa->sa_rekey_ms, .expire_ms = sa->sa_expire_ms,
		.peer_next = sa->sa_peer_next, .our_next = sa->sa_our_next,
		.own_unacked = sa->sa_req.kind != IKE_REQ_NONE,
		.resp = &sa->sa_resp, .local = &sa->sa_local,
		.remote = &sa->sa_remote,
	};
}

/* Mirrors sa_update_apply() (sa_commit.c) field by field. */
static void view_apply(const struct sa_update *u, struct ike_view *v)
{
	if (u->set_state)
		v->state = u->state;
	v->flags = (v->flags | u->flags_set) & ~u->flags_clear;
	if (u->conn)
		v->conn = u->conn;
	if (u->lease_pool >= 0) {
		v->lease_pool = u->lease_pool;
		v->lease = u->lease;
	}
	if (u->peer_id_len) {
		v->peer_id_type = u->peer_id_type;
		v->peer_id_len = u->peer_id_len;
		v->peer_id = u->peer_id;
	}
	if (u->set_times) {
		v->rekey_ms = u->rekey_ms;
		v->expire_ms = u->expire_ms;
	}
	if (u->answers) {
		v->peer_next = u->msgid + 1;
		v->resp = &u->resp;
		v->local = &u->local;
		v->remote = &u->remote;
	}
	if (u->has_req) {
		v->our_next = u->req.msgid + 1;
		v->own_unacked = true;
	}
	if (u->ike_new && u->owns_ike_new)
		v->lease_pool = -1;	/* RFC 7296 2.18: moves to the new SA */
}

struct enc_ike {
	HikeSync__IkeSaState st;
	HikeSync__IkeKeys keys;
	HikeSync__Endpoint local, peer;
	HikeSync__MsgIdState msgid;
	HikeSync__CachedResponse resp;
	ProtobufCBinaryData frags[ENC_MAX_FRAGS];
	HikeSync__Transform tr[ENC_NTR], *trp[ENC_NTR];
	uint8_t laddr[16], paddr[16];
};

uint64_t sa_codec_ike_id(const struct ike_sa *sa)
{
	return ike_sa_our_spi(sa);
}

/* The datagrams of p as fragments ([u16 len | bytes] each). */
static int enc_pkts(const struct ike_pkts *p, ProtobufCBinaryData *frags,
		    size_t *n)
{
	struct rd r = rd_init(p->buf, p->len);
	const uint8_t *pkt;
	uint16_t len;

	*n = 0;
	while (rd_u16(&r, &len) && rd_ptr(&r, &pkt, len)) {
		if (*n == ENC_MAX_FRAGS)
			return -EMSGSIZE;
		frags[*n].data = (uint8_t *)pkt;
		frags[(*n)++].len = len;
	}
	return 0;
}

static void enc_keys(const struct ike_keys *k, HikeSync__IkeKeys *o)
{
	hike_sync__ike_keys__init(o);
	bin(&o->sk_d, &o->has_sk_d, k->sk_d, k->d_len);
	bin(&o->sk_ai, &o->has_sk_ai, k->sk_ai, k->a_len);
	bin(&o->sk_ar, &o->has_sk_ar, k->sk_ar, k->a_len);
	bin(&o->sk_ei, &o->has_sk_ei, k->sk_ei, k->e_len);
	bin(&o->sk_er, &o->has_sk_er, k->sk_er, k->e_len);
	bin(&o->sk_pi, &o->has_sk_pi, k->sk_pi, k->p_len);
	bin(&o->sk_pr, &o->has_sk_pr, k->sk_pr, k->p_len);
}

static int enc_window(const struct ike_view *v, struct enc_ike *e)
{
	size_t n = 0;
	int rc;

	hike_sync__msg_id_state__init(&e->msgid);
	e->msgid.has_next_expected_request = e->msgid.has_next_own_request = true;
	e->msgid.next_expected_request = v->peer_next;
	e->msgid.next_own_request = v->our_next;
	e->msgid.has_window = e->msgid.has_own_unacked = true;
	e->msgid.window = 1;		/* RFC 7296 2.3: we never widen it */
	e->msgid.own_unacked = v->own_unacked;
	if (!v->resp || !v->resp->n || !v->peer_next)
		return 0;
	rc = enc_pkts(v->resp, e->frags, &n);
	if (rc)
		return rc;
	hike_sync__cached_response__init(&e->resp);
	e->resp.has_message_id = true;
	e->resp.message_id = v->peer_next - 1;
	e->resp.n_fragments = n;
	e->resp.fragments = e->frags;
	return 0;
}

static size_t enc_ike_transforms(const struct ike_suite *s, struct enc_ike *e)
{
	size_t n = 0;

	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_ENCR, s->encr, s->encr_keylen);
	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_PRF, s->prf, 0);
	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_INTEG, s->integ, 0);
	return tr_put(e->tr, e->trp, n, IKE_TRANSFORM_DH, s->dh, 0);
}

static int enc_ike_state(struct hike *h, const struct ike_sa *sa,
			 const struct ike_view *v, struct enc_ike *e)
{
	HikeSync__IkeSaState *st = &e->st;

	hike_sync__ike_sa_state__init(st);
	st->has_ike_id = st->has_spi_i = st->has_spi_r = st->has_state = true;
	st->ike_id = sa_codec_ike_id(sa);
	st->spi_i = sa->sa_ispi;
	st->spi_r = sa->sa_rspi;
	st->state = v->state;
	st->n_transforms = enc_ike_transforms(&sa->sa_suite, e);
	st->transforms = e->trp;
	enc_keys(&sa->sa_keys, &e->keys);
	st->keys = &e->keys;
	ep_from_ss(v->local, e->laddr, &e->local);
	ep_from_ss(v->remote, e->paddr, &e->peer);
	st->local = &e->local;
	st->peer = &e->peer;
	st->has_nat_local = st->has_nat_peer = true;
	st->nat_local = !!(v->flags & IKE_SA_F_NAT_LOCAL);
	st->nat_peer = !!(v->flags & IKE_SA_F_NAT_REMOTE);
	/* RFC 6311 3: what the peer announced in IKE_AUTH */
	st->has_msgid_sync = st->has_replay_sync = true;
	st->msgid_sync = !!(v->flags & IKE_SA_F_MSGID_SYNC);
	st->replay_sync = !!(v->flags & IKE_SA_F_REPLAY_SYNC);
	st->has_fragmentation = true;
	st->fragmentation = !!(v->flags & IKE_SA_F_FRAG);
	st->msgid = &e->msgid;
	if (e->resp.n_fragments)
		st->last_response = &e->resp;
	st->conn = v->conn ? (char *)v->conn->name : NULL;
	if (v->peer_id_len) {
		st->has_peer_id_type = true;
		st->peer_id_type = v->peer_id_type;
		bin(&st->peer_id, &st->has_peer_id, v->peer_id, v->peer_id_len);
	}
	st->has_established_s = st->has_rekey_at_s = st->has_expire_at_s = true;
	st->established_s = sa_codec_ms_to_wall(h, sa->sa_created_ms);
	st->rekey_at_s = sa_codec_ms_to_wall(h, v->rekey_ms);
	st->expire_at_s = sa_codec_ms_to_wall(h, v->expire_ms);
	if (v->lease_pool >= 0 && v->conn &&
	    (size_t)v->lease_pool < v->conn->npools)
		bin(&st->vip, &st->has_vip, v->lease,
		    v->conn->pools[v->lease_pool].family == AF_INET6 ? 16 : 4);
	return 0;
}

static int push_ike_add(struct hike *h, const struct ike_sa *sa,
			const struct ike_view *v, struct sa_recs *out)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__IkeSaAdd add = HIKE_SYNC__IKE_SA_ADD__INIT;
	struct enc_ike *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	rc = enc_window(v, e);
	if (!rc)
		rc = enc_ike_state(h, sa, v, e);
	if (!rc) {
		add.sa = &e->st;
		rec.kind_case = HIKE_SYNC__RECORD__KIND_IKE_SA_ADD;
		rec.ike_sa_add = &add;
		rc = recs_push(out, &rec);
	}
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
	return rc;
}

int sa_codec_ike_add(struct hike *h, const struct ike_sa *sa,
		     struct sa_recs *out)
{
	struct ike_view v;

	view_of(sa, &v);
	return push_ike_add(h, sa, &v, out);
}

/* Only the window, the state and the addresses move: IkeSaUpdate. */
static bool update_is_light(const struct sa_update *u)
{
	uint32_t nat = IKE_SA_F_NAT_LOCAL | IKE_SA_F_NAT_REMOTE;

	return !u->owns_ike && !u->ike_new && !u->conn && u->lease_pool < 0 &&
	       !u->peer_id_len && !u->set_times && !u->drop_init_material &&
	       !((u->flags_set | u->flags_clear) & ~nat);
}

static int push_ike_update(const struct ike_sa *sa, const struct ike_view *v,
			   struct sa_recs *out)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__IkeSaUpdate up = HIKE_SYNC__IKE_SA_UPDATE__INIT;
	struct enc_ike *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	rc = enc_window(v, e);
	up.has_ike_id = up.has_spi_i = up.has_spi_r = up.has_state = true;
	up.ike_id = sa_codec_ike_id(sa);
	up.spi_i = sa->sa_ispi;
	up.spi_r = sa->sa_rspi;
	up.state = v->state;
	up.msgid = &e->msgid;
	if (e->resp.n_fragments)
		up.last_response = &e->resp;
	ep_from_ss(v->local, e->laddr, &e->local);
	ep_from_ss(v->remote, e->paddr, &e->peer);
	up.local = &e->local;
	up.peer = &e->peer;
	up.has_nat_local = up.has_nat_peer = true;
	up.nat_local = !!(v->flags & IKE_SA_F_NAT_LOCAL);
	up.nat_peer = !!(v->flags & IKE_SA_F_NAT_REMOTE);
	rec.kind_case = HIKE_SYNC__RECORD__KIND_IKE_SA_UPDATE;
	rec.ike_sa_update = &up;
	if (!rc)
		rc = recs_push(out, &rec);
	free(e);
	return rc;
}

static int push_ike_delete(const struct ike_sa *sa, struct sa_recs *out)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__IkeSaDelete d = HIKE_SYNC__IKE_SA_DELETE__INIT;

	d.has_ike_id = d.has_spi_i = d.has_spi_r = true;
	d.ike_id = sa_codec_ike_id(sa);
	d.spi_i = sa->sa_ispi;
	d.spi_r = sa->sa_rspi;
	rec.kind_case = HIKE_SYNC__RECORD__KIND_IKE_SA_DELETE;
	rec.ike_sa_delete = &d;
	return recs_push(out, &rec);
}

/* ----------------------------------------------- Child SA, encoding */

struct enc_child {
	HikeSync__ChildSaState st;
	HikeSync__ChildKeys keys;
	HikeSync__Transform tr[ENC_NTR], *trp[ENC_NTR];
	HikeSync__TrafficSelector tsl[CHILD_MAX_TS], tsr[CHILD_MAX_TS];
	HikeSync__TrafficSelector *tslp[CHILD_MAX_TS], *tsrp[CHILD_MAX_TS];
	HikeSync__Lifetimes life;
};

static size_t enc_ts(const struct ike_ts *ts, size_t n,
		     HikeSync__TrafficSelector *o, HikeSync__TrafficSelector **op)
{
	for (size_t i = 0; i < n; i++) {
		size_t alen = ts[i].type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 4;

		hike_sync__traffic_selector__init(&o[i]);
		o[i].has_ts_type = o[i].has_ip_proto = true;
		o[i].has_start_port = o[i].has_end_port = true;
		o[i].ts_type = ts[i].type;
		o[i].ip_proto = ts[i].ipproto;
		o[i].start_port = ts[i].sport;
		o[i].end_port = ts[i].eport;
		bin(&o[i].start_addr, &o[i].has_start_addr, ts[i].start, alen);
		bin(&o[i].end_addr, &o[i].has_end_addr, ts[i].end, alen);
		op[i] = &o[i];
	}
	return n;
}

static void enc_child_state(struct hike *h, const struct child_sa *c,
			    uint64_t ike_id, const struct conf_conn *conn,
			    struct enc_child *e)
{
	HikeSync__ChildSaState *st = &e->st;
	const struct esp_suite *s = &c->csa_suite;
	size_t n = 0;

	hike_sync__child_sa_state__init(st);
	st->has_child_id = st->has_ike_id = st->has_spi_in = true;
	st->has_spi_out = st->has_protocol = st->has_mode = true;
	st->child_id = c->csa_spi_in;
	st->ike_id = ike_id;
	st->spi_in = c->csa_spi_in;
	st->spi_out = c->csa_spi_out;
	st->protocol = IKE_PROTO_ESP;
	st->mode = c->csa_transport ? 1 : 0;
	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_ENCR, s->encr, s->encr_keylen);
	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_INTEG, s->integ, 0);
	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_DH, s->dh, 0);
	n = tr_put(e->tr, e->trp, n, IKE_TRANSFORM_ESN, s->esn, 0);
	st->n_transforms = n;
	st->transforms = e->trp;
	hike_sync__child_keys__init(&e->keys);
	bin(&e->keys.enc_in, &e->keys.has_enc_in, c->csa_in.ekey, c->csa_e_len);
	bin(&e->keys.integ_in, &e->keys.has_integ_in, c->csa_in.akey, c->csa_a_len);
	bin(&e->keys.enc_out, &e->keys.has_enc_out, c->csa_out.ekey, c->csa_e_len);
	bin(&e->keys.integ_out, &e->keys.has_integ_out, c->csa_out.akey,
	    c->csa_a_len);
	st->keys = &e->keys;
	st->n_ts_local = enc_ts(c->csa_ts_local, c->csa_nts_local, e->tsl, e->tslp);
	st->ts_local = e->tslp;
	st->n_ts_remote = enc_ts(c->csa_ts_remote, c->csa_nts_remote, e->tsr,
				 e->tsrp);
	st->ts_remote = e->tsrp;
	st->has_esn = true;
	st->esn = s->esn == IKE_ESN_YES;
	/* soft_s / hard_s: absolute wall-clock moments of rekey / expiry */
	hike_sync__lifetimes__init(&e->life);
	e->life.has_soft_s = e->life.has_hard_s = true;
	e->life.soft_s = sa_codec_ms_to_wall(h, c->csa_rekey_ms);
	e->life.hard_s = sa_codec_ms_to_wall(h, c->csa_expire_ms);
	st->lifetimes = &e->life;
	st->has_created_s = true;
	st->created_s = sa_codec_ms_to_wall(h, c->csa_created_ms);
	/* RFC 6311 5.2 / DESIGN "ESP counters": the standbys hold the
	 * outbound *reservation*, never less than what was sent */
	st->has_out_seq = st->has_in_highest = true;
	st->out_seq = c->csa_seq_resv > c->csa_seq_out ? c->csa_seq_resv :
		      c->csa_seq_out;
	st->in_highest = c->csa_seq_in;
	st->conn = conn ? (char *)conn->name : NULL;
}

static int push_child(struct hike *h, const struct child_sa *c,
		      uint64_t ike_id, const struct conf_conn *conn,
		      uint32_t old_spi_in, struct sa_recs *out)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__ChildSaAdd add = HIKE_SYNC__CHILD_SA_ADD__INIT;
	HikeSync__ChildSaRekey rk = HIKE_SYNC__CHILD_SA_REKEY__INIT;
	struct enc_child *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	enc_child_state(h, c, ike_id, conn, e);
	if (old_spi_in) {
		rk.has_old_spi_in = true;
		rk.old_spi_in = old_spi_in;
		rk.sa = &e->st;
		rec.kind_case = HIKE_SYNC__RECORD__KIND_CHILD_SA_REKEY;
		rec.child_sa_rekey = &rk;
	} else {
		add.sa = &e->st;
		rec.kind_case = HIKE_SYNC__RECORD__KIND_CHILD_SA_ADD;
		rec.child_sa_add = &add;
	}
	rc = recs_push(out, &rec);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
	return rc;
}

int sa_codec_child_add(struct hike *h, const struct child_sa *c,
		       uint64_t ike_id, uint32_t old_spi_in,
		       struct sa_recs *out)
{
	const struct conf_conn *conn = c->csa_ike ? c->csa_ike->sa_conn : NULL;

	return push_child(h, c, ike_id, conn, old_spi_in, out);
}

static int push_child_delete(const struct child_sa *c, uint64_t ike_id,
			     struct sa_recs *out)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__ChildSaDelete d = HIKE_SYNC__CHILD_SA_DELETE__INIT;

	d.has_ike_id = d.has_spi_in = true;
	d.ike_id = ike_id;
	d.spi_in = c->csa_spi_in;
	rec.kind_case = HIKE_SYNC__RECORD__KIND_CHILD_SA_DELETE;
	rec.child_sa_delete = &d;
	return recs_push(out, &rec);
}

int sa_codec_counters(const struct sa_counters *k, struct sa_recs *out)
{
	HikeSync__Record rec = HIKE_SYNC__RECORD__INIT;
	HikeSync__EspCounters ec = HIKE_SYNC__ESP_COUNTERS__INIT;
	HikeSync__EspCounter *v = calloc(k->n ? k->n : 1, sizeof(*v));
	HikeSync__EspCounter **vp = calloc(k->n ? k->n : 1, sizeof(*vp));
	int rc = -ENOMEM;

	if (!v || !vp)
		goto out;
	for (size_t i = 0; i < k->n; i++) {
		hike_sync__esp_counter__init(&v[i]);
		v[i].has_spi_in = v[i].has_out_seq = v[i].has_in_highest = true;
		v[i].spi_in = k->spi_in[i];
		v[i].out_seq = k->out_seq[i];
		v[i].in_highest = k->in_highest[i];
		if (k->out_final) {
			v[i].has_out_final = true;
			v[i].out_final = k->out_final[i];
		}
		vp[i] = &v[i];
	}
	ec.n_counters = k->n;
	ec.counters = vp;
	if (k->successor) {
		ec.has_successor = true;
		ec.successor = k->successor;
	}
	rec.kind_case = HIKE_SYNC__RECORD__KIND_ESP_COUNTERS;
	rec.esp_counters = &ec;
	rc = recs_push(out, &rec);
out:
	free(v);
	free(vp);
	return rc;
}

/* ------------------------------------------------- updates, encoding */

static int push_children(struct hike *h, const struct sa_update *u,
			 uint64_t ike_id, const struct conf_conn *conn,
			 struct sa_recs *out)
{
	uint32_t old;
	int rc = 0;

	for (unsigned i = 0; i < u->nchild_del && !rc; i++)
		rc = push_child_delete(u->child_del[i], ike_id, out);
	for (unsigned i = 0; i < u->nchild_add && !rc; i++) {
		/* RFC 7296 2.8: the new SA replaces child_rekeyed */
		old = (u->kind == SA_UPD_CHILD_SA_REKEY && i == 0 &&
		       u->child_rekeyed) ? u->child_rekeyed->csa_spi_in : 0;
		rc = push_child(h, u->child_add[i], ike_id, conn, old, out);
	}
	return rc;
}

/* RFC 7296 2.18: the successor, whole, then every Child SA moved to it. */
static int push_ike_rekey(struct hike *h, const struct sa_update *u,
			  struct sa_recs *out)
{
	const struct ike_sa *old = u->ike, *nsa = u->ike_new;
	struct ike_view v;
	const struct child_sa *c;
	int rc;

	view_of(nsa, &v);
	v.state = IKE_SA_ESTABLISHED;
	v.conn = v.conn ? v.conn : old->sa_conn;
	v.lease_pool = old->sa_lease_pool;
	v.lease = old->sa_lease;
	rc = push_ike_add(h, nsa, &v, out);
	for (c = old->sa_children; c && !rc; c = c->csa_next)
		rc = push_child(h, c, sa_codec_ike_id(nsa), v.conn, 0, out);
	return rc;
}

int sa_codec_update(struct hike *h, const struct sa_update *u,
		    struct sa_recs *out)
{
	const struct ike_sa *sa = u->ike;
	struct ike_view v, pre;
	bool first;
	int rc;

	if (!sa)
		return -EINVAL;
	view_of(sa, &v);
	view_apply(u, &v);
	/* a half-open SA was never sent (see sa_codec.h): while it stays
	 * half-open, or dies so, the standbys have nothing to learn */
	first = sa->sa_state <= IKE_SA_HALF_OPEN;
	if ((u->owns_ike || first) &&
	    (u->delete_ike || v.state == IKE_SA_HALF_OPEN))
		return 0;
	rc = 0;
	if (!u->delete_ike && !update_is_light(u)) {
		/* whole SA first (its Child SAs need it); the window unmoved,
		 * unless the standbys see this SA for the first time (IKE_AUTH):
		 * then it carries the moved window and its answer, and no
		 * IkeSaUpdate follows (the group rides in one envelope) */
		pre = v;
		if (!first) {
			pre.peer_next = sa->sa_peer_next;
			pre.our_next = sa->sa_our_next;
			pre.own_unacked = sa->sa_req.kind != IKE_REQ_NONE;
			pre.resp = &sa->sa_resp;
		}
		rc = push_ike_add(h, sa, &pre, out);
	}
	if (!rc)
		rc = push_children(h, u, sa_codec_ike_id(sa), v.conn, out);
	if (!rc && u->ike_new && u->owns_ike_new)
		rc = push_ike_rekey(h, u, out);
	if (rc)
		return rc;
	if (u->delete_ike)
		return push_ike_delete(sa, out);
	if (first && !update_is_light(u))
		return 0;
	/* last: the window moves, with the response that moved it */
	return push_ike_update(sa, &v, out);
}

/* ------------------------------------------------- IKE SA, decoding */

static int dec_ike_keys(const HikeSync__IkeKeys *k, const struct ike_suite *s,
			struct ike_keys *o)
{
	size_t e = encr_key_len(s->encr, s->encr_keylen);
	size_t a = s->integ ? integ_key_len(s->integ) : 0;
	size_t d = prf_len(s->prf);

	/* the lengths RFC 7296 2.14 gives the suite, nothing else */
	if (!k || !e || !d || (s->integ && !a) || encr_is_aead(s->encr) != !a)
		return -EINVAL;
	if (key_get(&k->sk_d, d, o->sk_d) || key_get(&k->sk_ai, a, o->sk_ai) ||
	    key_get(&k->sk_ar, a, o->sk_ar) || key_get(&k->sk_ei, e, o->sk_ei) ||
	    key_get(&k->sk_er, e, o->sk_er) || key_get(&k->sk_pi, d, o->sk_pi) ||
	    key_get(&k->sk_pr, d, o->sk_pr))
		return -EINVAL;
	o->d_len = o->p_len = (uint8_t)d;
	o->a_len = (uint8_t)a;
	o->e_len = (uint8_t)e;
	return 0;
}

static int dec_ike_suite(const HikeSync__IkeSaState *s, struct ike_suite *o)
{
	uint32_t ids[6], bits = 0;
	bool seen[6];

	if (tr_get(s->transforms, s->n_transforms, ids, seen, &bits) ||
	    !seen[IKE_TRANSFORM_PRF] || seen[IKE_TRANSFORM_ESN] || bits > 0xffff)
		return -EINVAL;
	o->encr = (uint16_t)ids[IKE_TRANSFORM_ENCR];
	o->encr_keylen = (uint16_t)bits;
	o->prf = (uint16_t)ids[IKE_TRANSFORM_PRF];
	o->integ = (uint16_t)ids[IKE_TRANSFORM_INTEG];
	o->dh = (uint16_t)ids[IKE_TRANSFORM_DH];
	return 0;
}

static const struct conf_conn *conn_by_name(struct hike *h, const char *name)
{
	for (size_t i = 0; h->conf && name && i < h->conf->nconns; i++)
		if (!strcmp(h->conf->conns[i].name, name))
			return &h->conf->conns[i];
	return NULL;
}

/* The pool of conn holding addr: the lease a standby marks. */
static int dec_lease(const struct conf_conn *conn, const ProtobufCBinaryData *vip,
		     struct ike_sa *o)
{
	for (size_t i = 0; conn && i < conn->npools; i++) {
		const struct conf_pool *p = &conn->pools[i];
		size_t alen = p->family == AF_INET6 ? 16 : 4;

		if (vip->len != alen || memcmp(vip->data, p->start, alen) < 0 ||
		    memcmp(vip->data, p->end, alen) > 0)
			continue;
		o->sa_lease_pool = (int)i;
		memset(o->sa_lease, 0, sizeof(o->sa_lease));
		memcpy(o->sa_lease, vip->data, alen);
		return 0;
	}
	return -EINVAL;
}

/* RFC 7296 2.1: the cached answer is the one to request peer_next - 1. */
int sa_codec_window_decode(const HikeSync__MsgIdState *m,
		      const HikeSync__CachedResponse *r, struct ike_sa *o)
{
	if (!m || !m->has_next_expected_request || !m->has_next_own_request)
		return -EINVAL;
	o->sa_peer_next = m->next_expected_request;
	o->sa_our_next = m->next_own_request;
	if (!r)
		return 0;
	ike_pkts_free(&o->sa_resp);
	if (!r->has_message_id || !o->sa_peer_next ||
	    r->message_id != o->sa_peer_next - 1 || r->n_fragments > ENC_MAX_FRAGS)
		return -EINVAL;
	for (size_t i = 0; i < r->n_fragments; i++)
		if (ike_pkts_add(&o->sa_resp, r->fragments[i].data,
				 r->fragments[i].len))
			return -ENOMEM;
	return 0;
}

static int dec_ike_ids(const HikeSync__IkeSaState *s, struct ike_sa *o)
{
	if (!s->has_ike_id || !s->ike_id || !s->has_spi_i || !s->has_spi_r ||
	    !s->spi_i || !s->spi_r || !s->has_state)
		return -EINVAL;
	o->sa_ispi = s->spi_i;
	o->sa_rspi = s->spi_r;
	/* which SPI is ours says who initiated (RFC 7296 2.18 rekeys) */
	if (s->ike_id == s->spi_r)
		o->sa_flags = 0;
	else if (s->ike_id == s->spi_i)
		o->sa_flags = IKE_SA_F_INITIATOR;
	else
		return -EINVAL;
	/* a standby holds established SAs only (sa_codec.h) */
	if (s->state < IKE_SA_ESTABLISHED || s->state >= IKE_SA_DEAD)
		return -EINVAL;
	o->sa_state = (enum ike_sa_state)s->state;
	return 0;
}

static void dec_ike_flags(const HikeSync__IkeSaState *s, struct ike_sa *o)
{
	if (s->nat_local)
		o->sa_flags |= IKE_SA_F_NAT_LOCAL;
	if (s->nat_peer)
		o->sa_flags |= IKE_SA_F_NAT_REMOTE;
	if (s->msgid_sync)
		o->sa_flags |= IKE_SA_F_MSGID_SYNC;
	if (s->replay_sync)
		o->sa_flags |= IKE_SA_F_REPLAY_SYNC;
	if (s->fragmentation)
		o->sa_flags |= IKE_SA_F_FRAG;
}

static int dec_ike_rest(struct hike *h, const HikeSync__IkeSaState *s,
			struct ike_sa *o)
{
	size_t idlen;

	o->sa_conn = conn_by_name(h, s->conn);
	if (!o->sa_conn)
		return -ENOENT;
	if (sa_codec_endpoint_decode(s->local, &o->sa_local) || sa_codec_endpoint_decode(s->peer, &o->sa_remote))
		return -EINVAL;
	if (s->has_peer_id) {
		if (!s->has_peer_id_type || s->peer_id_type > 255)
			return -EINVAL;
		/* sa_peer_id is a truncated copy for logs (sa.h) */
		idlen = s->peer_id.len < sizeof(o->sa_peer_id) ?
			s->peer_id.len : sizeof(o->sa_peer_id);
		o->sa_peer_id_type = (uint8_t)s->peer_id_type;
		o->sa_peer_id_len = (uint8_t)idlen;
		memcpy(o->sa_peer_id, s->peer_id.data, idlen);
	}
	o->sa_lease_pool = -1;
	if (s->has_vip && dec_lease(o->sa_conn, &s->vip, o))
		return -EINVAL;
	o->sa_created_ms = sa_codec_wall_to_ms(h, s->established_s);
	o->sa_rekey_ms = sa_codec_wall_to_ms(h, s->rekey_at_s);
	o->sa_expire_ms = sa_codec_wall_to_ms(h, s->expire_at_s);
	o->sa_last_rx_ms = sa_now_ms(h);
	return 0;
}

int sa_codec_ike_decode(struct hike *h, const HikeSync__IkeSaState *s,
			struct ike_sa *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->sa_lease_pool = -1;
	if (!s)
		return -EINVAL;
	rc = dec_ike_ids(s, o);
	if (!rc)
		rc = dec_ike_suite(s, &o->sa_suite);
	if (!rc)
		rc = dec_ike_keys(s->keys, &o->sa_suite, &o->sa_keys);
	if (!rc)
		rc = dec_ike_rest(h, s, o);
	if (!rc)
		rc = sa_codec_window_decode(s->msgid, s->last_response, o);
	if (!rc)
		dec_ike_flags(s, o);
	if (rc) {
		ike_pkts_free(&o->sa_resp);
		OPENSSL_cleanse(o, sizeof(*o));
		o->sa_lease_pool = -1;
	}
	return rc;
}

/* ----------------------------------------------- Child SA, decoding */

static int dec_ts(HikeSync__TrafficSelector *const *ts, size_t n,
		  struct ike_ts *o, uint8_t *on)
{
	if (!n || n > CHILD_MAX_TS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const HikeSync__TrafficSelector *t = ts[i];
		size_t alen = t->ts_type == IKE_TS_IPV4_ADDR_RANGE ? 4 :
			      t->ts_type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 0;

		if (!alen || t->start_addr.len != alen ||
		    t->end_addr.len != alen || t->ip_proto > 255 ||
		    t->start_port > t->end_port || t->end_port > 65535)
			return -EINVAL;
		memset(&o[i], 0, sizeof(o[i]));
		o[i].type = (uint8_t)t->ts_type;
		o[i].ipproto = (uint8_t)t->ip_proto;
		o[i].sport = (uint16_t)t->start_port;
		o[i].eport = (uint16_t)t->end_port;
		memcpy(o[i].start, t->start_addr.data, alen);
		memcpy(o[i].end, t->end_addr.data, alen);
	}
	*on = (uint8_t)n;
	return 0;
}

static int dec_child_suite(const HikeSync__ChildSaState *s,
			   struct esp_suite *o)
{
	uint32_t ids[6], bits = 0;
	bool seen[6];

	if (tr_get(s->transforms, s->n_transforms, ids, seen, &bits) ||
	    seen[IKE_TRANSFORM_PRF] || bits > 0xffff || ids[IKE_TRANSFORM_ESN] > 1)
		return -EINVAL;
	o->encr = (uint16_t)ids[IKE_TRANSFORM_ENCR];
	o->encr_keylen = (uint16_t)bits;
	o->integ = (uint16_t)ids[IKE_TRANSFORM_INTEG];
	o->dh = (uint16_t)ids[IKE_TRANSFORM_DH];
	o->esn = (uint16_t)ids[IKE_TRANSFORM_ESN];
	/* the esn flag and the ESN transform must agree */
	return s->has_esn && s->esn != (o->esn == IKE_ESN_YES) ? -EINVAL : 0;
}

static int dec_child_keys(const HikeSync__ChildKeys *k, struct child_sa *o)
{
	const struct esp_suite *s = &o->csa_suite;
	size_t e = encr_key_len(s->encr, s->encr_keylen);
	size_t a = s->integ ? integ_key_len(s->integ) : 0;

	if (!k || !e || (s->integ && !a) || encr_is_aead(s->encr) != !a)
		return -EINVAL;
	if (key_get(&k->enc_in, e, o->csa_in.ekey) ||
	    key_get(&k->integ_in, a, o->csa_in.akey) ||
	    key_get(&k->enc_out, e, o->csa_out.ekey) ||
	    key_get(&k->integ_out, a, o->csa_out.akey))
		return -EINVAL;
	o->csa_e_len = (uint8_t)e;
	o->csa_a_len = (uint8_t)a;
	return 0;
}

static void dec_child_times(struct hike *h, const HikeSync__ChildSaState *s,
			    struct child_sa *o)
{
	o->csa_created_ms = sa_codec_wall_to_ms(h, s->created_s);
	if (s->lifetimes) {
		o->csa_rekey_ms = sa_codec_wall_to_ms(h, s->lifetimes->soft_s);
		o->csa_expire_ms = sa_codec_wall_to_ms(h, s->lifetimes->hard_s);
	}
	o->csa_seq_resv = s->out_seq;
	o->csa_seq_out = s->out_seq;
	o->csa_seq_in = s->in_highest;
}

int sa_codec_child_decode(struct hike *h, const HikeSync__ChildSaState *s,
			  struct child_sa *o)
{
	int rc = -EINVAL;

	memset(o, 0, sizeof(*o));
	if (!s || !s->has_spi_in || s->spi_in < 256 || !s->has_spi_out ||
	    !s->spi_out || !s->has_ike_id || !s->ike_id ||
	    (s->has_protocol && s->protocol != IKE_PROTO_ESP) || s->mode > 1)
		goto out;
	o->csa_spi_in = s->spi_in;
	o->csa_spi_out = s->spi_out;
	o->csa_transport = s->mode == 1;
	if (dec_child_suite(s, &o->csa_suite) || dec_child_keys(s->keys, o) ||
	    dec_ts(s->ts_local, s->n_ts_local, o->csa_ts_local,
		   &o->csa_nts_local) ||
	    dec_ts(s->ts_remote, s->n_ts_remote, o->csa_ts_remote,
		   &o->csa_nts_remote))
		goto out;
	dec_child_times(h, s, o);
	o->csa_state = CHILD_SA_INSTALLED;
	rc = 0;
out:
	if (rc)
		OPENSSL_cleanse(o, sizeof(*o));
	return rc;
}
