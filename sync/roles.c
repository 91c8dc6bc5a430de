/*
 * Role election from delivered events only (virtual synchrony, DESIGN.md
 * "Cluster roles").  After every configuration change each member
 * multicasts a RoleAnnounce tagged with the member list it saw; once an
 * announce with the current tag has been delivered from every member,
 * every member runs the same pure function over the same announces:
 *
 *  1. the members that claim to be active and are quorate (after a merge
 *     of partitions there can be several): the best of them stays active;
 *  2. otherwise the best in-sync quorate member;
 *  3. otherwise (cold start: nobody holds replicated state) the best
 *     quorate member, which is then in-sync by definition;
 * "best" = highest priority, then lowest node id.  A member whose data
 * descends from another active than the winner's (the other side of a
 * healed split) becomes syncing and gets a snapshot.
 *
 * Between a change and the end of its announce round the old active
 * stays active if it is still a member (no flapping, no pause).
 */
#include <errno.h>
#include <stdio.h>

#include "core/log.h"
#include "sync_int.h"

bool sync_in_set(const uint32_t *set, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == id)
			return true;
	return false;
}

static uint64_t sync_view_tag(const struct sync_member *m, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++) {
			h ^= (m[i].nodeid >> (8 * b)) & 0xff;
			h *= 0x100000001b3ULL;
		}
	return h;
}

int sync_roles_announce(struct sync *s)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__RoleAnnounce a = HIKE_SYNC__ROLE_ANNOUNCE__INIT;
	int rc;

	a.has_node_id = a.has_priority = a.has_state = a.has_active = true;
	a.has_believed_active = a.has_quorate = a.has_view = true;
	a.node_id = s->nodeid;
	a.priority = s->conf.priority;
	a.state = s->state == SYNC_MEMBER_IN_SYNC ?
		  HIKE_SYNC__MEMBER_STATE__MEMBER_STATE_IN_SYNC :
		  HIKE_SYNC__MEMBER_STATE__MEMBER_STATE_SYNCING;
	a.active = s->is_active;
	a.believed_active = s->is_active ? s->nodeid : s->lineage;
	a.quorate = s->quorate;
	a.view = s->view;
	a.node_name = s->name[0] ? s->name : NULL;	/* not written through */
	env.body_case = HIKE_SYNC__ENVELOPE__BODY_ROLE_ANNOUNCE;
	env.role_announce = &a;
	rc = sync_send_env(s, &env);
	if (rc == 0)
		sync_poke(s);
	return rc;
}

/* Report this node's role to the takeover code when it changes. */
static void sync_roles_report(struct sync *s)
{
	const struct sync_ops *o = &s->conf.ops;
	bool want = s->active == s->nodeid && s->quorate &&
		    s->state == SYNC_MEMBER_IN_SYNC;
	int role = want ? SYNC_ROLE_ACTIVE :
		   s->active ? SYNC_ROLE_STANDBY : s->role;

	if (!want && s->role == SYNC_ROLE_ACTIVE)
		role = SYNC_ROLE_STANDBY;
	if (role == s->role)
		return;
	s->role = role;
	s->is_active = role == SYNC_ROLE_ACTIVE;
	sync_log(s, LOG_INFO_, "node %u is now %s (active %u)", s->nodeid,
		 s->is_active ? "active" : "standby", s->active);
	if (s->is_active && o->became_active)
		o->became_active(o->ctx);
	else if (!s->is_active && o->became_standby)
		o->became_standby(o->ctx);
}

void sync_roles_confchg(struct sync *s, const uint32_t *members, size_t n)
{
	struct sync_member next[SYNC_MAX_MEMBERS] = { 0 };
	size_t k = 0;

	for (size_t i = 0; i < n && k < SYNC_MAX_MEMBERS; i++) {
		struct sync_member *old = sync_member_find(s, members[i]);

		if (old)
			next[k] = *old;
		else
			next[k] = (struct sync_member){ .nodeid = members[i],
					.state = SYNC_MEMBER_SYNCING };
		next[k].announced = false;
		k++;
	}
	for (size_t i = 0; i < k; i++)
		s->members[i] = next[i];
	s->nmembers = k;
	s->view = sync_view_tag(s->members, k);
	s->gathered = false;
	if (s->active && !sync_member_find(s, s->active))
		s->active = 0;
	sync_roles_report(s);
	sync_roles_announce(s);
}

static bool sync_better(const struct sync_member *a, const struct sync_member *b)
{
	if (!b)
		return true;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->nodeid < b->nodeid;
}

/* 0 = claimants, 1 = in-sync, 2 = anyone quorate (cold start). */
static struct sync_member *sync_best(struct sync *s, int rule)
{
	struct sync_member *best = NULL;

	for (size_t i = 0; i < s->nmembers; i++) {
		struct sync_member *m = &s->members[i];

		if (!m->quorate || (rule == 0 && !m->claims_active) ||
		    (rule == 1 && m->state != SYNC_MEMBER_IN_SYNC))
			continue;
		if (sync_better(m, best))
			best = m;
	}
	return best;
}

void sync_roles_elect(struct sync *s)
{
	struct sync_member *w = NULL, *me;
	uint32_t lineage;
	bool rival = false, was_active = s->is_active;

	for (size_t i = 0; i < s->nmembers; i++)
		if (s->members[i].nodeid != s->nodeid && s->members[i].claims_active)
			rival = true;
	for (int rule = 0; rule < 3 && !w; rule++)
		w = sync_best(s, rule);
	s->stats.elections++;
	if (w) {
		lineage = w->claims_active ? w->nodeid : w->believed_active;
		for (size_t i = 0; i < s->nmembers; i++) {
			struct sync_member *m = &s->members[i];

			if (m != w && m->believed_active != lineage)
				m->state = SYNC_MEMBER_SYNCING;
			m->claims_active = m == w;
			if (m->state == SYNC_MEMBER_IN_SYNC || m == w)
				m->believed_active = w->nodeid;
		}
		w->state = SYNC_MEMBER_IN_SYNC;
		s->lineage = w->nodeid;
	}
	s->active = w ? w->nodeid : 0;
	me = sync_member_find(s, s->nodeid);
	if (me && me->state != s->state) {
		s->state = me->state;
		if (s->state == SYNC_MEMBER_SYNCING)
			s->srx.running = false;	/* wait for a new Begin */
	}
	sync_roles_report(s);
	if (rival && was_active && s->is_active && s->conf.ops.reannounce) {
		sync_log(s, LOG_INFO_, "merged with another active: node %u stays "
			 "active, announcing the VIPs again", s->nodeid);
		s->conf.ops.reannounce(s->conf.ops.ctx);
	}
	sync_snap_check(s);
}

void sync_roles_rx_announce(struct sync *s, uint32_t from,
			    const HikeSync__RoleAnnounce *a)
{
	struct sync_member *m = sync_member_find(s, from);

	if (!m || a->view != s->view)
		return;		/* sent before the sender saw this view */
	m->priority = a->priority;
	if (a->node_name) {	/* the sender's bytes: printable ASCII only */
		size_t i;

		for (i = 0; a->node_name[i] && i + 1 < sizeof(m->name); i++)
			m->name[i] = a->node_name[i] >= 0x20 && a->node_name[i] < 0x7f ?
				     a->node_name[i] : '?';
		m->name[i] = '\0';
	}
	m->state = a->state == HIKE_SYNC__MEMBER_STATE__MEMBER_STATE_IN_SYNC ?
		   SYNC_MEMBER_IN_SYNC : SYNC_MEMBER_SYNCING;
	m->claims_active = a->has_active && a->active;
	m->believed_active = a->has_believed_active ? a->believed_active : 0;
	m->quorate = a->has_quorate && a->quorate;
	m->announced = true;
	m->awaiting = false;
	if (!s->gathered) {
		for (size_t i = 0; i < s->nmembers; i++)
			if (!s->members[i].announced)
				return;
		s->gathered = true;
	}
	sync_roles_elect(s);
}

static void sync_switchover_result(struct sync *s, uint32_t from, uint32_t to)
{
	if (s->conf.ops.switchover)
		s->conf.ops.switchover(s->conf.ops.ctx, from, to);
}

void sync_roles_rx_switchover(struct sync *s, uint32_t from,
			      const HikeSync__SwitchoverRequest *r)
{
	struct sync_member *to = NULL;

	if (from != s->active || !s->gathered) {
		if (from == s->nodeid)
			sync_log(s, LOG_WARN_, "switchover refused: %s",
				 from != s->active ? "no longer active" :
				 "membership change under way");
		sync_switchover_result(s, from, 0);
		return;
	}
	for (size_t i = 0; i < s->nmembers; i++) {
		struct sync_member *m = &s->members[i];

		if (m->nodeid == from || !m->quorate ||
		    m->state != SYNC_MEMBER_IN_SYNC ||
		    (r->to_node && m->nodeid != r->to_node))
			continue;
		if (sync_better(m, to))
			to = m;
	}
	if (!to) {
		if (from == s->nodeid)
			sync_log(s, LOG_WARN_, "switchover refused: no in-sync "
				 "quorate member%s", r->to_node ? " of that id" : "");
		sync_switchover_result(s, from, 0);
		return;
	}
	sync_log(s, LOG_INFO_, "switchover %u -> %u", from, to->nodeid);
	sync_switchover_result(s, from, to->nodeid);
	for (size_t i = 0; i < s->nmembers; i++)
		s->members[i].claims_active = &s->members[i] == to;
	for (size_t i = 0; i < s->nmembers; i++)
		if (s->members[i].believed_active == from)
			s->members[i].believed_active = to->nodeid;
	sync_roles_elect(s);
	/*
	 * What we submitted after the request is delivered after it, when
	 * every member already follows the new active and drops it
	 * (SYNC_DROP_NOT_ACTIVE): it must not count as replicated here
	 * either (replicate before reply), so its callbacks fail now.
	 */
	if (from == s->nodeid) {
		sync_snap_stop_tx(s);	/* the new active snapshots joiners */
		sync_tx_cancel(s);
	}
}

int sync_switchover(struct sync *s, uint32_t to)
{
	HikeSync__Envelope env = HIKE_SYNC__ENVELOPE__INIT;
	HikeSync__SwitchoverRequest r = HIKE_SYNC__SWITCHOVER_REQUEST__INIT;
	int rc;

	if (!s->is_active)
		return -EPERM;
	r.has_from_node = r.has_to_node = true;
	r.from_node = s->nodeid;
	r.to_node = to;
	env.body_case = HIKE_SYNC__ENVELOPE__BODY_SWITCHOVER_REQUEST;
	env.switchover_request = &r;
	rc = sync_send_env(s, &env);
	if (rc == 0)
		sync_poke(s);
	return rc;
}

void sync_roles_quorum(struct sync *s, bool quorate)
{
	if (quorate == s->quorate)
		return;
	s->quorate = quorate;
	sync_log(s, LOG_INFO_, "quorum %s", quorate ? "gained" : "lost");
	sync_roles_report(s);	/* losing quorum stops being active at once */
	if (s->nmembers)
		sync_roles_announce(s);
}
