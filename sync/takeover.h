/*
 * Takeover steps of a node that becomes the active (DESIGN.md "Cluster
 * roles"), and their reverse when it becomes a standby:
 *
 *   1. add the virtual IPs (conf sync.vips, RTM_NEWADDR) and announce
 *      them (gratuitous ARP, RFC 5227 3 / unsolicited NA, RFC 4861 7.2.6);
 *   2. install every synced Child SA into the datapath with its outbound
 *      counter jumped past anything the old active may have sent, inbound
 *      windows at the synced value (sa_sync_activate(), esp_counters.h);
 *      IKE timers (DPD, rekey, lifetimes) started;
 *   3. for IKE SAs whose peer announced RFC 6311 support, an INFORMATIONAL
 *      request with message ID 0 carrying N(IKEV2_MESSAGE_ID_SYNC) and,
 *      where negotiated, N(IPSEC_REPLAY_COUNTER_SYNC).
 * Each step is logged and counted (struct takeover_stats; the daemon's
 * sync.takeover counter counts whole takeovers).
 */
#ifndef HIKE_SYNC_TAKEOVER_H
#define HIKE_SYNC_TAKEOVER_H

#include <stdbool.h>
#include <stdint.h>

struct hike;
struct ike_sa;
struct nl;
struct takeover;

/* RFC 6311 5.1: our next request ID is announced this far ahead of the
 * replicated one.  Replicate-before-reply makes the replicated value
 * exact; the margin covers a request sealed but not yet replicated when
 * the old active died (its message ID may have reached the peer). */
#define TAKEOVER_MSGID_MARGIN	1

/* Virtual IP seam: netlink in the daemon, fakes in tests. */
struct takeover_net {
	int (*addr_add)(void *ctx, const char *dev, int family,
			const void *addr, uint8_t plen);
	int (*addr_del)(void *ctx, const char *dev, int family,
			const void *addr, uint8_t plen);
	/* gratuitous ARP (AF_INET) / unsolicited NA (AF_INET6) */
	int (*announce)(void *ctx, const char *dev, int family,
			const void *addr);
	void *ctx;
};

/* The daemon's wiring: nl_addr_add/del, nl_garp_send, nl_una_send. */
void takeover_net_netlink(struct takeover_net *out, struct nl *nl);

struct takeover_stats {
	uint64_t takeovers, releases;
	uint64_t vips_added, vips_announced, vips_released;
	uint64_t children_installed, children_removed, timers_started;
	uint64_t msgid_sync_sent, replay_sync_sent, msgid_sync_skipped;
	uint64_t errors;
};

/* net may be NULL (no virtual IPs). */
struct takeover *takeover_new(struct hike *h, const struct takeover_net *net);
void takeover_free(struct takeover *t);		/* NULL is a no-op */
struct takeover_stats *takeover_stats(struct takeover *t);

/* Step 1 and its reverse.  0 or the first -errno (all VIPs tried). */
int takeover_vips_up(struct takeover *t);
int takeover_vips_down(struct takeover *t);

/*
 * Make before break (docs/cluster.md "Switchover, step by step").
 * takeover_defer_announce(t, true): vips_up adds the addresses but keeps
 * the announcements (gratuitous ARP / unsolicited NA) until
 * takeover_defer_announce(t, false), called once the datapath holds every
 * SA -- neighbours then never reach a node that cannot handle their
 * packets.  takeover_vips_announce() announces every VIP again (returns
 * how many).
 */
void takeover_defer_announce(struct takeover *t, bool on);
int takeover_vips_announce(struct takeover *t);
/*
 * takeover_linger(t, true): vips_down keeps the VIPs (an old active
 * still forwards until the new one has announced them);
 * takeover_vips_release() drops them then (0 when none were kept).
 * vips_up while they linger just keeps them.
 */
void takeover_linger(struct takeover *t, bool on);
bool takeover_vips_lingering(const struct takeover *t);
int takeover_vips_release(struct takeover *t);

/* Step 3 for one IKE SA: the message-ID (and replay counter) sync
 * request, replicated before it is sent.  0, -ENOTSUP (peer did not
 * announce RFC 6311), or -errno. */
int takeover_msgid_sync(struct takeover *t, struct ike_sa *sa);
/* Step 3 for every IKE SA; returns how many requests were sent. */
int takeover_msgid_sync_all(struct takeover *t);

#endif
