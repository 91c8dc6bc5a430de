#!/usr/bin/env bash
# Proves the lab harness (tests/netns/lib.sh) with real daemons only:
#
#   hi (203.0.113.130) -- i: strongSwan initiator -- 192.0.2.0/24 -- r: strongSwan responder -- hr (203.0.113.2)
#                          192.0.2.50                                  192.0.2.10
#
# 1. PSK, aes256gcm16-prfsha256-x25519, TS 203.0.113.128/25 <-> 203.0.113.0/25:
#    the tunnel comes up and hi pings hr through it (ESP in UDP 4500 via
#    kernel-libipsec), the keys are in the log, a Child rekey works.
# 2. A corosync pair on the sync network 198.51.100.0/24 sees both members,
#    both quorate; a kill -9 of one is noticed by the other.
# Timings are printed as "# timing: ..." lines.
. "$(dirname "$0")/lib.sh"
lab_init lab_strongswan

# --- topology
lab_ns hi; lab_ns i; lab_ns r; lab_ns hr
lab_link hi eth0 203.0.113.130/25,2001:db8:1:80::130/64 i in0 203.0.113.129/25,2001:db8:1:80::1/64
lab_link i eth0 192.0.2.50/24,2001:db8::50/64 r eth0 192.0.2.10/24,2001:db8::10/64
lab_link r in0 203.0.113.1/25,2001:db8:1::1/64 hr eth0 203.0.113.2/25,2001:db8:1::2/64
lab_router i; lab_router r
lab_route hi default 203.0.113.129
lab_route hr default 203.0.113.1
check "veth: i reaches r (IPv4)" lab_ping i 192.0.2.10
check "veth: i reaches r (IPv6)" lab_ping i 2001:db8::10
check_fails "no tunnel yet: hi cannot reach hr" lab_ping hi 203.0.113.2

# --- strongSwan pair
t=$(lab_now)
lab_charon i
lab_charon r
lab_timing "two charons started" "$t"
lab_swanctl_conf i conn=gw local_addrs=192.0.2.50 remote_addrs=192.0.2.10 \
	local_id=192.0.2.50 remote_id=192.0.2.10 psk=lab-psk-0123456789 \
	proposals=aes256gcm16-prfsha256-x25519 esp_proposals=aes256gcm16 \
	local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25
lab_swanctl_conf r conn=gw local_addrs=192.0.2.10 remote_addrs=192.0.2.50 \
	local_id=192.0.2.10 remote_id=192.0.2.50 psk=lab-psk-0123456789 \
	proposals=aes256gcm16-prfsha256-x25519 esp_proposals=aes256gcm16 \
	local_ts=203.0.113.0/25 remote_ts=203.0.113.128/25
check "swanctl --load-all (initiator)" lab_swanctl i --load-all
check "swanctl --load-all (responder)" lab_swanctl r --load-all

t=$(lab_now)
check "initiate IKE SA + Child SA" lab_swan_initiate i gw
lab_timing "IKE_SA_INIT + IKE_AUTH (strongSwan to strongSwan)" "$t"
check "initiator: ESTABLISHED + INSTALLED" lab_swan_established i
check "responder: ESTABLISHED + INSTALLED" lab_swan_established r

t=$(lab_now)
check "ping through the tunnel (hi -> hr)" lab_wait_for 5 lab_ping hi 203.0.113.2
lab_timing "first ping through the tunnel" "$t"
check "10 pings, no loss" lab_ping hi 203.0.113.2 10

spis=$(lab_swan_spis i)
keys=$(lab_swan_keys i)
check "SPIs listed ($spis)" test -n "$spis"
check "ike 4 log has SK_ei/SK_er" grep -q '^sk_er = [0-9a-f]\{72\}$' <<<"$keys"
check "both ends logged the same keys" test "$keys" = "$(lab_swan_keys r)"

lab_ping_bg pingrk hi 203.0.113.2
sleep 0.5
t=$(lab_now)
check "Child SA rekey (CREATE_CHILD_SA)" lab_swanctl i --rekey --child gw
check "rekeyed Child SA installed" lab_wait_for 5 sh -c \
	"grep -q 'CHILD_SA gw{2} established' '$(lab_swan_dir i)/charon.log'"
lab_timing "Child SA rekey" "$t"
sleep 0.5
read -r tx rx lost outage < <(lab_ping_stats pingrk)
lab_log "ping every 10 ms across the Child rekey: $tx sent, $rx received, $lost lost (~$outage ms)"
check "continuous ping ran across the rekey" test "$rx" -gt 50
check "ping after the rekey" lab_ping hi 203.0.113.2 3
check "IKE SA unchanged by the Child rekey" test "$(lab_swan_spis i)" = "$spis"

# --- corosync pair on the sync network
lab_ns n1; lab_ns n2
lab_link n1 sync0 198.51.100.1/24 n2 sync0 198.51.100.2/24
lab_corosync_cluster 1:n1:198.51.100.1 2:n2:198.51.100.2 crypto=1
t=$(lab_now)
lab_corosync n1
lab_corosync n2
check "corosync: n1 sees 2 members" lab_corosync_wait_members n1 2 10
check "corosync: n2 sees 2 members" lab_corosync_wait_members n2 2 10
lab_timing "corosync pair formed" "$t"
check "corosync: n1 quorate" lab_corosync_quorate n1
check "corosync: cfgtool shows the link to node 2" sh -c \
	"ip netns exec $(lab_nsname n1) corosync-cfgtool -s | grep -A3 'nodeid: *2' | grep -q connected"
t=$(lab_now)
lab_stop corosync-n2 KILL
check "corosync: kill -9 of n2 seen by n1" lab_corosync_wait_members n1 1 5
lab_timing "corosync failure detection (kill -9)" "$t"
check "corosync: n1 still quorate (two_node)" lab_corosync_quorate n1
lab_corosync n2
check "corosync: n2 rejoins" lab_corosync_wait_members n1 2 10

lab_done
