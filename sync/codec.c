/*
 * Validation of everything protobuf-c unpacks (STYLE.md "parse first,
 * judge second"): protobuf-c checks the wire syntax, these functions check
 * presence, lengths and ranges before any field is used.  Keys are wiped
 * when unpacked records are freed.
 */
#include <errno.h>
#include <string.h>

#include "sync_int.h"

#define SYNC_MAX_KEY		64	/* bytes, any SK_* or ESP key */
#define SYNC_MAX_FRAGS		64	/* RFC 7383 fragments of a response */
#define SYNC_MAX_FRAG		65535
#define SYNC_MAX_TRANSFORMS	16
#define SYNC_MAX_TS		16
#define SYNC_MAX_ID		256
/* Wall-clock seconds (about 34,800 years): sa_codec_wall_to_ms()
 * multiplies by 1000, and a larger value wrapped around 2^64 into a
 * deadline in the past or the next second. */
#define SYNC_MAX_WALL_S		(1ull << 40)

static bool v_addr(const ProtobufCBinaryData *b)
{
	return b->len == 4 || b->len == 16;
}

static bool v_endpoint(const HikeSync__Endpoint *e)
{
	return !e || (v_addr(&e->addr) && e->has_port && e->port <= 65535);
}

static bool v_key(const ProtobufCBinaryData *b)
{
	return b->len <= SYNC_MAX_KEY;
}

static bool v_transforms(HikeSync__Transform **t, size_t n)
{
	if (n > SYNC_MAX_TRANSFORMS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!t[i]->has_type || t[i]->type < 1 || t[i]->type > 5 ||
		    !t[i]->has_id || t[i]->id > 65535 || t[i]->key_bits > 1024)
			return false;
	return true;
}

static bool v_msgid(const HikeSync__MsgIdState *m)
{
	return !m || (m->has_next_expected_request && m->has_next_own_request &&
		      (!m->has_window || (m->window >= 1 && m->window <= 4096)));
}

static bool v_response(const HikeSync__CachedResponse *r)
{
	if (!r)
		return true;
	if (!r->has_message_id || r->n_fragments > SYNC_MAX_FRAGS)
		return false;
	for (size_t i = 0; i < r->n_fragments; i++)
		if (!r->fragments[i].len || r->fragments[i].len > SYNC_MAX_FRAG)
			return false;
	return true;
}

static bool v_ike_keys(const HikeSync__IkeKeys *k)
{
	return k && v_key(&k->sk_d) && v_key(&k->sk_ai) && v_key(&k->sk_ar) &&
	       v_key(&k->sk_ei) && v_key(&k->sk_er) && v_key(&k->sk_pi) &&
	       v_key(&k->sk_pr) && k->sk_d.len && k->sk_ei.len && k->sk_er.len;
}

static bool v_wall(uint64_t s)
{
	return s <= SYNC_MAX_WALL_S;
}

static bool v_ike_state(const HikeSync__IkeSaState *s)
{
	return s && s->has_ike_id && s->has_spi_i && s->spi_i &&
	       v_wall(s->established_s) && v_wall(s->rekey_at_s) &&
	       v_wall(s->expire_at_s) &&
	       s->has_spi_r && v_ike_keys(s->keys) &&
	       v_transforms(s->transforms, s->n_transforms) &&
	       s->local && s->peer && v_endpoint(s->local) &&
	       v_endpoint(s->peer) && v_msgid(s->msgid) &&
	       v_response(s->last_response) &&
	       (!s->has_peer_id || s->peer_id.len <= SYNC_MAX_ID) &&
	       (!s->has_vip || v_addr(&s->vip));
}

static bool v_ike_update(const HikeSync__IkeSaUpdate *u)
{
	return u->has_ike_id && u->has_spi_i && u->has_spi_r &&
	       v_msgid(u->msgid) && v_response(u->last_response) &&
	       v_endpoint(u->local) && v_endpoint(u->peer);
}

static bool v_ts(HikeSync__TrafficSelector **ts, size_t n)
{
	if (n > SYNC_MAX_TS)
		return false;
	for (size_t i = 0; i < n; i++) {
		const HikeSync__TrafficSelector *t = ts[i];
		size_t alen = t->ts_type == 7 ? 4 : t->ts_type == 8 ? 16 : 0;

		if (!alen || t->start_addr.len != alen ||
		    t->end_addr.len != alen || t->ip_proto > 255 ||
		    t->start_port > 65535 || t->end_port > 65535 ||
		    memcmp(t->start_addr.data, t->end_addr.data, alen) > 0 ||
		    t->start_port > t->end_port)
			return false;
	}
	return true;
}

static bool v_child_keys(const HikeSync__ChildKeys *k)
{
	return k && v_key(&k->enc_in) && v_key(&k->integ_in) &&
	       v_key(&k->enc_out) && v_key(&k->integ_out) &&
	       k->enc_in.len && k->enc_out.len;
}

static bool v_child_state(const HikeSync__ChildSaState *c)
{
	return c && c->has_ike_id && c->has_spi_in && c->spi_in &&
	       c->has_spi_out && c->spi_out && v_child_keys(c->keys) &&
	       v_transforms(c->transforms, c->n_transforms) &&
	       c->mode <= 1 && v_wall(c->created_s) &&
	       (!c->lifetimes || (v_wall(c->lifetimes->soft_s) &&
				  v_wall(c->lifetimes->hard_s))) &&
	       v_ts(c->ts_local, c->n_ts_local) &&
	       v_ts(c->ts_remote, c->n_ts_remote) &&
	       c->n_ts_local && c->n_ts_remote;
}

static bool v_counters(const HikeSync__EspCounters *c)
{
	if (c->n_counters > SYNC_MAX_RECORDS)
		return false;
	for (size_t i = 0; i < c->n_counters; i++)
		if (!c->counters[i]->has_spi_in || !c->counters[i]->spi_in)
			return false;
	return true;
}

int sync_record_validate(const HikeSync__Record *r)
{
	bool ok = false;

	switch (r->kind_case) {
	case HIKE_SYNC__RECORD__KIND_IKE_SA_ADD:
		ok = v_ike_state(r->ike_sa_add->sa);
		break;
	case HIKE_SYNC__RECORD__KIND_IKE_SA_UPDATE:
		ok = v_ike_update(r->ike_sa_update);
		break;
	case HIKE_SYNC__RECORD__KIND_IKE_SA_DELETE:
		ok = r->ike_sa_delete->has_ike_id &&
		     r->ike_sa_delete->has_spi_i && r->ike_sa_delete->has_spi_r;
		break;
	case HIKE_SYNC__RECORD__KIND_CHILD_SA_ADD:
		ok = v_child_state(r->child_sa_add->sa);
		break;
	case HIKE_SYNC__RECORD__KIND_CHILD_SA_REKEY:
		ok = r->child_sa_rekey->has_old_spi_in &&
		     v_child_state(r->child_sa_rekey->sa);
		break;
	case HIKE_SYNC__RECORD__KIND_CHILD_SA_DELETE:
		ok = r->child_sa_delete->has_spi_in && r->child_sa_delete->spi_in;
		break;
	case HIKE_SYNC__RECORD__KIND_ESP_COUNTERS:
		ok = v_counters(r->esp_counters);
		break;
	case HIKE_SYNC__RECORD__KIND_OPAQUE:
		ok = true;
		break;
	default:
		break;
	}
	return ok ? 0 : -EINVAL;
}

static void wipe(ProtobufCBinaryData *b)
{
	if (b->data && b->len)
		explicit_bzero(b->data, b->len);
}

static void wipe_child(HikeSync__ChildSaState *c)
{
	if (!c || !c->keys)
		return;
	wipe(&c->keys->enc_in);
	wipe(&c->keys->integ_in);
	wipe(&c->keys->enc_out);
	wipe(&c->keys->integ_out);
}

static void wipe_record(HikeSync__Record *r)
{
	HikeSync__IkeKeys *k = NULL;

	if (r->kind_case == HIKE_SYNC__RECORD__KIND_IKE_SA_ADD && r->ike_sa_add->sa)
		k = r->ike_sa_add->sa->keys;
	if (k) {
		wipe(&k->sk_d);
		wipe(&k->sk_ai);
		wipe(&k->sk_ar);
		wipe(&k->sk_ei);
		wipe(&k->sk_er);
		wipe(&k->sk_pi);
		wipe(&k->sk_pr);
	}
	if (r->kind_case == HIKE_SYNC__RECORD__KIND_CHILD_SA_ADD)
		wipe_child(r->child_sa_add->sa);
	if (r->kind_case == HIKE_SYNC__RECORD__KIND_CHILD_SA_REKEY)
		wipe_child(r->child_sa_rekey->sa);
}

void sync_record_free(HikeSync__Record *r)
{
	if (!r)
		return;
	wipe_record(r);
	hike_sync__record__free_unpacked(r, NULL);
}

HikeSync__Record *sync_record_unpack(const void *buf, size_t len)
{
	HikeSync__Record *r;

	if (len > SYNC_MAX_RECORD)
		return NULL;
	r = hike_sync__record__unpack(NULL, len, buf);
	if (r && sync_record_validate(r)) {
		sync_record_free(r);
		r = NULL;
	}
	return r;
}

static bool v_records(const ProtobufCBinaryData *recs, size_t n)
{
	if (n > SYNC_MAX_RECORDS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!recs[i].len || recs[i].len > SYNC_MAX_RECORD)
			return false;
	return true;
}

static bool v_gen(bool has, uint64_t gen, const HikeSync__Envelope *e)
{
	return has && gen && gen == e->generation;
}

static bool v_body(const HikeSync__Envelope *e)
{
	switch (e->body_case) {
	case HIKE_SYNC__ENVELOPE__BODY_BATCH:
		return e->batch->n_records &&
		       v_records(e->batch->records, e->batch->n_records);
	case HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_BEGIN:
		return v_gen(e->snapshot_begin->has_generation,
			     e->snapshot_begin->generation, e) &&
		       e->snapshot_begin->n_targets <= SYNC_MAX_MEMBERS;
	case HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_CHUNK:
		return v_gen(e->snapshot_chunk->has_generation,
			     e->snapshot_chunk->generation, e) &&
		       e->snapshot_chunk->has_index &&
		       v_records(e->snapshot_chunk->records,
				 e->snapshot_chunk->n_records);
	case HIKE_SYNC__ENVELOPE__BODY_SNAPSHOT_END:
		return v_gen(e->snapshot_end->has_generation,
			     e->snapshot_end->generation, e) &&
		       e->snapshot_end->has_chunks && e->snapshot_end->has_records;
	case HIKE_SYNC__ENVELOPE__BODY_ROLE_ANNOUNCE:
		return e->role_announce->has_node_id &&
		       e->role_announce->node_id == e->sender &&
		       e->role_announce->has_state &&
		       (e->role_announce->state == HIKE_SYNC__MEMBER_STATE__MEMBER_STATE_SYNCING ||
			e->role_announce->state == HIKE_SYNC__MEMBER_STATE__MEMBER_STATE_IN_SYNC) &&
		       e->role_announce->has_view;
	case HIKE_SYNC__ENVELOPE__BODY_SWITCHOVER_REQUEST:
		return e->switchover_request->has_from_node &&
		       e->switchover_request->from_node == e->sender &&
		       e->switchover_request->has_to_node;
	default:
		return false;
	}
}

int sync_env_validate(const struct sync *s, const HikeSync__Envelope *e,
		      uint32_t nodeid, enum sync_drop *why)
{
	if (!e->has_version || e->version != SYNC_VERSION)
		*why = SYNC_DROP_VERSION;
	else if (!e->cluster || strcmp(e->cluster, s->cluster))
		*why = SYNC_DROP_CLUSTER;
	else if (!e->has_sender || e->sender != nodeid)
		*why = SYNC_DROP_SENDER;
	else if (!e->has_seq || !e->seq || !e->has_generation || !v_body(e))
		*why = SYNC_DROP_BAD_BODY;
	else
		return 0;
	return -EINVAL;
}

void sync_env_init(const struct sync *s, HikeSync__Envelope *e, uint64_t seq)
{
	e->has_version = true;
	e->version = SYNC_VERSION;
	e->cluster = (char *)s->cluster;
	e->has_sender = true;
	e->sender = s->nodeid;
	e->has_seq = true;
	e->seq = seq;
	e->has_generation = true;
	e->generation = s->generation;
}
