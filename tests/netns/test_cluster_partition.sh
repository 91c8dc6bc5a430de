#!/usr/bin/env bash
# Partitions (topology in lib_cluster.sh; findings in docs/cluster.md,
# "Partitions measured"):
#  A. a pair with two_node: 1; cut the sync link (sync0 down on n2).  Both
#     halves stay quorate, so both are active (split brain): both hold the
#     VIP, `hikectl status` on each says active + degraded with one member.
#     Heal the link: the cluster converges to one active (n1, priority),
#     n2 resyncs and is a standby without VIP, n1 announces the VIPs again
#     (the router learnt n2's MAC during the split), the tunnel works.
#  B. the fix, a third vote: three nodes (no two_node); cut the active n1
#     off: it loses quorum, says no-quorum / down, releases the VIPs; n2
#     takes over and the tunnel keeps its SPIs.  Heal: one active (n2,
#     sticky), n1 back as an in-sync standby.
. "$(dirname "$0")/lib.sh"
lab_init cluster_partition

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
field() { lab_hikectl "$1" --json status 2>/dev/null | jq -r "$2"; }
has_vip() { ip -n "$(lab_nsname "$1")" -br addr show dev eth0 | grep -q " 192.0.2.10/"; }
actives() { local x n=0; for x in $1; do is_role "$x" active && n=$((n + 1)); done; echo $n; }
one_active() { [ "$(actives "$1")" = 1 ]; }
tunnel() { lab_ping hi 203.0.113.2; }
show() {	# record what each side says
	local x
	for x in $1; do
		lab_log "$2: $x: $(field "$x" '"role=\(.role) quorate=\(.quorate) health=\(.health) (\(.health_reason // "-")) members=\([.members[].nodeid] | join(","))"') vip=$(has_vip "$x" && echo yes || echo no)"
	done
}

# ----------------------------------------------------------- A. two_node
lab_pair_net
check "A: pair (two_node) up" lab_pair_start
check "A: n1 active, n2 standby" lab_wait_for 5 sh -c "[ \"\$($(lab_bin hikectl) -s $(lab_hiked_sock n2) --json status | jq -r .role)\" = standby ]"
lab_pair_swan
check "A: strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
check "A: tunnel works" lab_wait_for 5 tunnel
sleep 0.5
t=$(lab_now)
ip -n "$(lab_nsname n2)" link set sync0 down
check "A: corosync on both halves sees one member" lab_wait_for 5 sh -c \
	"[ \"\$(ip netns exec $(lab_nsname n1) corosync-quorumtool -s | awk '/^Nodes:/ { print \$2 }')\" = 1 ] && \
	 [ \"\$(ip netns exec $(lab_nsname n2) corosync-quorumtool -s | awk '/^Nodes:/ { print \$2 }')\" = 1 ]"
check "A: both halves stay quorate (two_node)" sh -c "ip netns exec $(lab_nsname n1) corosync-quorumtool -s | grep -q 'Quorate: *Yes' && ip netns exec $(lab_nsname n2) corosync-quorumtool -s | grep -q 'Quorate: *Yes'"
check "A: split brain: n2 becomes active too" lab_wait_for 5 is_role n2 active
lab_timing "A: sync0 down -> n2 active" "$t"
check "A: n1 stays active" is_role n1 active
check "A: both hold the VIP" sh -c "ip -n $(lab_nsname n1) -br addr show dev eth0 | grep -q ' 192.0.2.10/' && ip -n $(lab_nsname n2) -br addr show dev eth0 | grep -q ' 192.0.2.10/'"
check "A: hikectl status on n1: active, quorate, degraded, 1 member" \
	test "$(field n1 '"\(.role) \(.quorate) \(.health) \(.members | length)"')" = "active true degraded 1"
check "A: hikectl status on n2: active, quorate, degraded, 1 member" \
	test "$(field n2 '"\(.role) \(.quorate) \(.health) \(.members | length)"')" = "active true degraded 1"
check "A: hikectl status exits non-zero when degraded" lab_not lab_hikectl n2 status
check "A: n2 logged its takeover" grep -q 'takeover: step 4/4' "$(lab_hiked_log n2)"
show "n1 n2" "A: split"
lab_log "A: n2's log: $(grep -E 'is now active|takeover: step 1' "$(lab_hiked_log n2)" | tail -2 | tr '\n' '|')"
lab_log "A: i's ARP entry for the VIP now: $(lab_neigh_mac i 192.0.2.10) (n1 $(lab_mac n1 eth0), n2 $(lab_mac n2 eth0))"

t=$(lab_now)
ip -n "$(lab_nsname n2)" link set sync0 up
check "A: heal: corosync merges (2 members)" lab_corosync_wait_members n1 2 10
check "A: heal: exactly one active" lab_wait_for 5 one_active "n1 n2"
lab_timing "A: sync0 up -> one active" "$t"
check "A: heal: n1 (priority, sticky among claimants) is the active" is_role n1 active
check "A: heal: n2 resyncs and is an in-sync standby" lab_wait_for 10 is_role n2 standby
lab_timing "A: sync0 up -> n2 in-sync standby" "$t"
check "A: heal: n2 released the VIP" lab_wait_for 3 lab_not has_vip n2
check "A: heal: n1 still holds the VIP" has_vip n1
show "n1 n2" "A: healed"
t=$(lab_now)
check "A: heal: n1 announced the VIPs again (merged with another active)" \
	lab_wait_for 3 grep -q 'merged with another active' "$(lab_hiked_log n1)"
check "A: heal: the tunnel works via n1 within 2 s" lab_wait_for 2 tunnel
lab_timing "A: sync0 up -> tunnel works" "$t"
lab_log "A: i's ARP entry for the VIP after the heal: $(lab_neigh_mac i 192.0.2.10)"
check "A: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
check "A: hikectl status healthy again" lab_hikectl n1 status

# stop part A
lab_stop charon-i
for x in n1 n2; do lab_stop "hiked-$x"; done
for x in n1 n2; do lab_stop "corosync-$x"; done
for ns in sw i hi hr n1 n2; do ip netns del "$(lab_nsname $ns)"; done
LAB_NSES=()
rm -rf "${LAB_DIR:?}"/{sw,i,hi,hr,n1,n2}
lab_shm_sweep

# -------------------------------------------------------- B. third vote
lab_trio_net
check "B: three nodes up" lab_trio_start
check "B: n2 and n3 in-sync standbys" lab_wait_for 5 sh -c "[ \"\$($(lab_bin hikectl) -s $(lab_hiked_sock n3) --json status | jq -r .role)\" = standby ]"
lab_pair_swan
check "B: strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
check "B: tunnel works via n1" lab_wait_for 5 tunnel
sleep 0.5
lab_ping_bg pB hi 203.0.113.2
sleep 0.5
t=$(lab_now)
ip -n "$(lab_nsname n1)" link set sync0 down
check "B: isolated n1 loses quorum" lab_wait_for 5 lab_not lab_corosync_quorate n1
check "B: n1 is no longer active (no-quorum)" lab_wait_for 5 is_role n1 no-quorum
check "B: n1 released the VIP" lab_wait_for 3 lab_not has_vip n1
check "B: n2 (priority 200) takes over" lab_wait_for 5 is_role n2 active
lab_timing "B: sync0 down on n1 -> n2 active" "$t"
check "B: n3 follows as in-sync standby" lab_wait_for 5 is_role n3 standby
check "B: hikectl status on n1: down, quorate false" test "$(field n1 '"\(.health) \(.quorate)"')" = "down false"
check "B: hikectl status on n1 exits non-zero" lab_not lab_hikectl n1 status
check "B: tunnel works via n2" lab_wait_for 5 tunnel
lab_timing "B: sync0 down on n1 -> tunnel via n2" "$t"
sleep 0.5
read -r tx rx lost outage < <(lab_ping_stats pB)
lab_log "B: ping every 10 ms across the partition: $tx sent, $rx received, $lost lost (~$outage ms)"
show "n1 n2 n3" "B: partition"
check "B: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
t=$(lab_now)
ip -n "$(lab_nsname n1)" link set sync0 up
check "B: heal: three members" lab_corosync_wait_members n1 3 10
check "B: heal: n1 back as in-sync standby" lab_wait_for 10 is_role n1 standby
lab_timing "B: sync0 up -> n1 in-sync standby" "$t"
check "B: heal: exactly one active (n2, sticky)" sh -c "[ \"\$($(lab_bin hikectl) -s $(lab_hiked_sock n2) --json status | jq -r .role)\" = active ]"
check "B: heal: one active among three" one_active "n1 n2 n3"
check "B: tunnel works" lab_wait_for 5 tunnel
check "B: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
lab_done
