#!/usr/bin/env bash
# A pair with a quorum device instead of two_node (docs/cluster.md,
# "Partitions"): corosync-qnetd in namespace q (192.0.2.60, on the outside
# LAN), corosync-qdevice on n1 and n2 (model net, ffsplit, TLS with the
# documented certificate flow).  Expected votes 3: a half with the device's
# vote is quorate, the other is not, so a partition never makes two actives.
#
#  A. cut the sync link of the standby n2: both halves still reach qnetd,
#     ffsplit (tie_breaker lowest) keeps n1's half: n1 stays the only
#     active, n2 has no quorum and holds no VIP; heal: n2 resyncs.
#  B. isolate the active n1 (sync link and outside link down): qnetd sees
#     only n2, n2 keeps quorum with the device's vote and takes over with
#     strongSwan's SPIs; n1 loses quorum and releases the VIPs; heal: n1
#     is an in-sync standby again, one active.
#  C. kill -9 the active's corosync: the survivor stays quorate (2 of 3
#     votes) and takes over; two_node's "both halves quorate" is gone
#     without losing the pair's ability to survive one node.
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_qdevice.sh
. "$(dirname "$0")/lib_qdevice.sh"
lab_init cluster_qdevice

QNETD=192.0.2.60
is_role() { [ "$(lab_role "$1")" = "$2" ]; }
has_vip() { ip -n "$(lab_nsname "$1")" -br addr show dev eth0 | grep -q " 192.0.2.10/"; }
actives() { local x n=0; for x in n1 n2; do is_role "$x" active && n=$((n + 1)); done; echo $n; }
tunnel() { lab_ping hi 203.0.113.2; }
votes_are() { [ "$(lab_votes "$1")" = "$2" ]; }

lab_pair_net
lab_ns q
lab_bridge_port sw br0 q eth0 "$QNETD/24"
lab_qnetd q "$QNETD"
check "qnetd: CA certificate exported" test -s "$(lab_qd_dir q)/etc/qnetd/nssdb/qnetd-cacert.crt"
check "qdevice certificates: CA on both nodes, cluster certificate signed by qnetd" \
	lab_qdevice_certs q hike-lab n1 n2

lab_corosync_cluster two_node=0 1:n1:198.51.100.1 2:n2:198.51.100.2
for x in n1 n2; do
	lab_qdevice_conf "$x" "$QNETD"
	lab_corosync "$x"
done
check "corosync.conf: no two_node, a net device" sh -c \
	"! grep -q two_node $(lab_corosync_dir n1)/corosync.conf && grep -q 'model: net' $(lab_corosync_dir n1)/corosync.conf"
for x in n1 n2; do lab_qdevice "$x"; done
for x in n1 n2; do check "qdevice on $x connected to qnetd (TLS)" lab_qdevice_connected "$x"; done
check "corosync: 2 members on n1" lab_corosync_wait_members n1 2 15
check "votequorum: expected 3, total 3 (two nodes + the device)" lab_wait_for 10 votes_are n1 "3 3"
check "n1 quorate" lab_corosync_quorate n1
check "n2 quorate" lab_corosync_quorate n2
prio=200
for x in n1 n2; do
	lab_pair_conf "$x" "$prio"
	prio=$((prio - 100))
	lab_hiked "$x" "$LAB_DIR/$x.yaml" || lab_die "hiked $x"
	lab_wait_for 10 lab_has_role "$x" || lab_die "hiked $x took no role"
done
check "n1 active, n2 in-sync standby" lab_wait_for 5 is_role n2 standby
check "n1 is the active" is_role n1 active
lab_pair_swan
check "strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
check "tunnel works via n1" lab_wait_for 5 tunnel

# ------------------------------------------- A. standby's sync link cut
t=$(lab_now)
ip -n "$(lab_nsname n2)" link set sync0 down
check "A: corosync on n1 sees one member" lab_corosync_wait_members n1 1 5
check "A: n2 loses quorum (qnetd's vote went to n1's half)" lab_wait_for 10 lab_not lab_corosync_quorate n2
lab_timing "A: sync0 down on n2 -> n2 without quorum" "$t"
check "A: n1 keeps quorum (1 node + the device)" lab_corosync_quorate n1
check "A: n1 stays active" is_role n1 active
check "A: n2 says no-quorum" lab_wait_for 5 is_role n2 no-quorum
check "A: only n1 holds the VIP" sh -c "$(declare -f has_vip lab_nsname); LAB_PFX=$LAB_PFX; has_vip n1 && ! has_vip n2"
check "A: exactly one active" test "$(actives)" = 1
check "A: tunnel still works via n1" lab_wait_for 3 tunnel
lab_log "A: votes n1 $(lab_votes n1), n2 $(lab_votes n2)"
t=$(lab_now)
ip -n "$(lab_nsname n2)" link set sync0 up
check "A: heal: 2 members" lab_corosync_wait_members n1 2 10
check "A: heal: n2 resyncs, in-sync standby" lab_wait_for 15 is_role n2 standby
lab_timing "A: sync0 up -> n2 standby" "$t"
check "A: heal: n1 still the active" is_role n1 active
check "A: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"

# ------------------------------------------------ B. active isolated
sleep 0.5
t=$(lab_now)
ip -n "$(lab_nsname n1)" link set sync0 down
ip -n "$(lab_nsname n1)" link set eth0 down
check "B: isolated n1 loses quorum" lab_wait_for 10 lab_not lab_corosync_quorate n1
check "B: n1 is no longer active" lab_wait_for 5 is_role n1 no-quorum
check "B: n2 keeps quorum (the device's vote)" lab_wait_for 10 lab_corosync_quorate n2
check "B: n2 takes over" lab_wait_for 10 is_role n2 active
lab_timing "B: n1 isolated -> n2 active" "$t"
check "B: n2 holds the VIP" has_vip n2
check "B: tunnel works via n2" lab_wait_for 5 tunnel
lab_timing "B: n1 isolated -> tunnel via n2" "$t"
check "B: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
lab_log "B: votes n1 $(lab_votes n1), n2 $(lab_votes n2)"
# How long both believed they were active: n1 (links down, so harmless
# here) keeps the device's vote until its qdevice times out (timeout
# 1000 ms) while qnetd already gave it to n2.  Documented in docs/cluster.md.
ts() { grep -m1 "$2" "$(lab_hiked_log "$1")" | tail -1 | cut -c12-23; }
lab_log "B: n2 active at $(ts n2 'node 2 is now active'), n1 lost quorum at $(grep 'quorum lost' "$(lab_hiked_log n1)" | tail -1 | cut -c12-23)"
t=$(lab_now)
ip -n "$(lab_nsname n1)" link set eth0 up
ip -n "$(lab_nsname n1)" link set sync0 up
check "B: heal: 2 members" lab_corosync_wait_members n2 2 10
check "B: heal: n1 back as an in-sync standby" lab_wait_for 15 is_role n1 standby
lab_timing "B: heal -> n1 standby" "$t"
check "B: heal: n2 stays active (sticky)" is_role n2 active
check "B: heal: exactly one active" test "$(actives)" = 1
check "B: heal: n1 released the VIP" lab_wait_for 3 lab_not has_vip n1
check "B: heal: tunnel works" lab_wait_for 5 tunnel

# ---------------------------------------- C. kill -9 the active's corosync
sleep 0.5
t=$(lab_now)
lab_stop corosync-n2 KILL
check "C: survivor n1 stays quorate (own vote + device)" lab_wait_for 10 sh -c \
	"$(declare -f lab_exec lab_corosync_quorate); LAB_PFX=$LAB_PFX; lab_corosync_quorate n1 && [ \"\$(ip netns exec ${LAB_PFX}n1 corosync-quorumtool -s | awk '/^Nodes:/ { print \$2 }')\" = 1 ]"
check "C: n1 takes over" lab_wait_for 10 is_role n1 active
lab_timing "C: corosync of n2 killed -> n1 active" "$t"
check "C: tunnel works via n1" lab_wait_for 5 tunnel
lab_timing "C: corosync of n2 killed -> tunnel via n1" "$t"
check "C: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
lab_done
