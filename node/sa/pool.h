/* Virtual IP address pools (Configuration payload, RFC 7296 3.15): one
 * allocator per configured pool, a bitmap of leased addresses.  Leases
 * live on the IKE SA (sa_lease_pool, sa_lease). */
#ifndef HIKE_SA_POOL_H
#define HIKE_SA_POOL_H

#include <stdint.h>

#include "core/hike.h"

struct conf_conn;
struct ike_sa_table;

/* Lease the next free address (round robin from the last one leased,
 * so a released address is not handed out again at once) of the first
 * pool of conn with this family (AF_INET / AF_INET6).  *pool_idx gets the pool's index in
 * conn->pools.  0, -ENOENT (no such pool), -ENOSPC (exhausted). */
int sa_pool_lease(struct hike *h, const struct conf_conn *conn, int family,
		  int *pool_idx, uint8_t addr[16]);
/* Mark an address leased (a standby applying a replicated lease). */
int sa_pool_mark(struct hike *h, const struct conf_conn *conn, int pool_idx,
		 const uint8_t addr[16]);
void sa_pool_release(struct hike *h, const struct conf_conn *conn,
		     int pool_idx, const uint8_t addr[16]);
void sa_pools_free(struct ike_sa_table *t);

#endif
