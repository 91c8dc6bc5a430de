#!/usr/bin/env bash
# Three hike nodes (priorities 300/200/100, each with its own corosync, no
# two_node, token_coefficient 0), strongSwan through the VIP, a 10 ms ping:
#  1. kill -9 the active n1's hiked: n2 (the highest-priority in-sync
#     survivor) takes over, n3 stays an in-sync standby and follows n2
#     (it receives n2's replication: a Child rekey done on n2 shows up on
#     n3); the tunnel survives with its SPIs.
#  2. kill -9 n2's corosync: n3 (still quorate, 2 of 3 votes with n1's
#     corosync) takes over; the tunnel survives again.
. "$(dirname "$0")/lib.sh"
lab_init cluster_three

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
ike_inits() { grep -c 'generating IKE_SA_INIT request' "$(lab_swan_dir i)/charon.log"; }
hiked_has_spi() { lab_hikectl "$1" sas 2>/dev/null | grep -q "$2"; }
kids() { lab_hikectl "$1" --json sas 2>/dev/null | jq -r '[.ike_sas[].children[].spi_in] | sort | join(",")'; }
kids_match() { local a; a=$(kids n2); [ -n "$a" ] && [ "$a" = "$(kids n3)" ]; }
has_vip() { ip -n "$(lab_nsname "$1")" -br addr show dev eth0 | grep -q " 192.0.2.10/"; }
members_are() { [ "$(lab_hikectl "$1" --json status | jq '.members | length')" = "$2" ]; }

lab_trio_net
check "three nodes: corosync and hiked up on n1 n2 n3" lab_trio_start
check "n1 is active (priority 300)" is_role n1 active
check "n2 is an in-sync standby" lab_wait_for 5 is_role n2 standby
check "n3 is an in-sync standby" lab_wait_for 5 is_role n3 standby
check "n1 sees three members" members_are n1 3
check "corosync: quorate without two_node" lab_corosync_quorate n3
lab_pair_swan
check "strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
ispi=${spis%% *}
check "ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
check "n2 holds the IKE SA" lab_wait_for 3 hiked_has_spi n2 "$ispi"
check "n3 holds the IKE SA" lab_wait_for 3 hiked_has_spi n3 "$ispi"

# --- 1. kill -9 the active's hiked
lab_ping_bg fo1 hi 203.0.113.2
sleep 1
t=$(lab_now)
lab_stop hiked-n1 KILL
check "n2 (priority 200) becomes active" lab_wait_for 5 is_role n2 active
lab_timing "kill -9 hiked n1 -> n2 active" "$t"
check "traffic resumes through n2" lab_wait_for 10 lab_ping hi 203.0.113.2
lab_timing "kill -9 hiked n1 -> ping through n2" "$t"
check "n3 follows n2: in-sync standby" lab_wait_for 5 is_role n3 standby
check "n3 names n2's node as active" sh -c "[ \"\$($(lab_bin hikectl) -s $(lab_hiked_sock n3) --json status | jq -r '.members[] | select(.role == \"active\") | .nodeid')\" = 2 ]"
check "only n2 holds the VIP" sh -c "! ip -n $(lab_nsname n3) -br addr show dev eth0 | grep -q ' 192.0.2.10/' && ip -n $(lab_nsname n2) -br addr show dev eth0 | grep -q ' 192.0.2.10/'"
sleep 1
read -r tx rx lost outage < <(lab_ping_stats fo1)
lab_log "failover 1 (3 nodes): ping every 10 ms: $tx sent, $rx received, $lost lost (~$outage ms)"
check "strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
check "strongSwan still ESTABLISHED + INSTALLED" lab_swan_established i
check "no new IKE_SA_INIT on the wire" test "$(ike_inits)" = 1
before=$(kids n2)
check "Child rekey against n2" lab_swanctl i --rekey --child ha
check "tunnel carries traffic after the rekey" lab_wait_for 5 lab_ping hi 203.0.113.2 3
check "n2 holds the rekeyed Child SA" lab_wait_for 8 sh -c "[ \"\$($(lab_bin hikectl) -s $(lab_hiked_sock n2) --json sas | jq -r '[.ike_sas[].children[].spi_in] | sort | join(\",\")')\" != '$before' ]"
check "n3 follows n2's replication: same Child SAs ($(kids n2))" lab_wait_for 8 kids_match

# --- 2. kill -9 n2's corosync: n3 with n1's corosync keeps quorum
lab_ping_bg fo2 hi 203.0.113.2
sleep 1
t=$(lab_now)
lab_stop corosync-n2 KILL
check "n3 becomes active" lab_wait_for 5 is_role n3 active
lab_timing "kill -9 corosync n2 -> n3 active" "$t"
check "traffic resumes through n3" lab_wait_for 10 lab_ping hi 203.0.113.2
lab_timing "kill -9 corosync n2 -> ping through n3" "$t"
check "n2 without corosync is no longer active" lab_wait_for 5 lab_not is_role n2 active
check "n2 released the VIP" lab_wait_for 5 lab_not has_vip n2
sleep 1
read -r tx rx lost outage < <(lab_ping_stats fo2)
lab_log "failover 2 (3 nodes): ping every 10 ms: $tx sent, $rx received, $lost lost (~$outage ms)"
check "IKE SA kept its SPIs again" test "$(lab_swan_spis i)" = "$spis"
check "still only one IKE_SA_INIT ever" test "$(ike_inits)" = 1
check "strongSwan still ESTABLISHED + INSTALLED" lab_swan_established i
check "hiked n3 still running" lab_alive hiked-n3
lab_done
