#!/usr/bin/env bash
# A hike pair (each node with its own corosync) behind virtual IPs, a
# strongSwan initiator, an inside host, a continuous ping through the
# tunnel (topology in lib_cluster.sh):
#  1. kill -9 the active hiked: the standby takes over; strongSwan's IKE SA
#     keeps its SPIs (one IKE_SA_INIT on the wire, ever); the RFC 6311
#     IKEV2_MESSAGE_ID_SYNC is accepted; DPD, a Child rekey and an IKE
#     rekey against the new active succeed; across the failover no (SPI,
#     ESP sequence number) pair is sent twice.
#  2. the old node's hiked restarts, resyncs by snapshot, is an in-sync
#     standby; then kill -9 the new active's corosync: the restarted node
#     takes over in turn, again without renegotiation.
#  3. graceful switchover back.
. "$(dirname "$0")/lib.sh"
lab_init cluster_failover

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
ike_inits() { grep -c 'generating IKE_SA_INIT request' "$(lab_swan_dir i)/charon.log"; }
swan_ok() { lab_swan_established i; }
hiked_has_spi() { lab_hikectl "$1" sas 2>/dev/null | grep -q "${2%% *}"; }
esp_dups() {	# (SPI, seq) pairs sent twice by the gateway side in a capture
	tshark -r "$1" -n -Y "esp && ip.src == 192.0.2.10" -T fields -e esp.spi -e esp.sequence 2>/dev/null |
		sort | uniq -d | wc -l
}
esp_count() { tshark -r "$1" -n -Y "esp && ip.src == 192.0.2.10" -T fields -e esp.sequence 2>/dev/null | wc -l; }

# n1 sends no request of its own before it dies, so the new active's
# IKEV2_MESSAGE_ID_SYNC is one strongSwan can answer (msgid_sync: auto, see
# docs/cluster.md); n2 runs DPD every 2 s, so after the second failover
# auto mode must skip the notify and strongSwan's SA must survive anyway.
LAB_PAIR_DPD_n2=2s
lab_pair_net
check "pair: corosync and hiked up on n1 and n2" lab_pair_start
check "n1 is active (priority 200)" is_role n1 active
check "n2 is an in-sync standby" lab_wait_for 5 is_role n2 standby
check "hikectl status: healthy pair (exit 0)" lab_hikectl n1 status
lab_pair_swan
check "strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
check "ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
check "standby n2 holds the IKE SA ($spis)" lab_wait_for 3 hiked_has_spi n2 "$spis"

# --- 1. kill -9 the active hiked
lab_capture i eth0 "$LAB_DIR/failover1.pcapng" cap1
lab_ping_bg fo1 hi 203.0.113.2
sleep 1
t=$(lab_now)
lab_stop hiked-n1 KILL
check "n2 becomes active" lab_wait_for 5 is_role n2 active
lab_timing "kill -9 hiked -> n2 active" "$t"
check "traffic resumes through n2" lab_wait_for 10 lab_ping hi 203.0.113.2
lab_timing "kill -9 hiked -> ping through n2" "$t"
sleep 1
read -r tx rx lost outage < <(lab_ping_stats fo1)
lab_log "failover 1: ping every 10 ms: $tx sent, $rx received, $lost lost (~$outage ms)"
lab_capture_stop cap1
check "strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
check "strongSwan still ESTABLISHED + INSTALLED" swan_ok
check "no new IKE_SA_INIT on the wire" test "$(ike_inits)" = 1
check "strongSwan accepted IKEV2_MESSAGE_ID_SYNC (RFC 6311)" \
	grep -q 'parsed INFORMATIONAL request 0 \[ N(MSG_ID_SYN) \]' "$(lab_swan_dir i)/charon.log"
check "capture saw ESP from the gateway ($(esp_count "$LAB_DIR/failover1.pcapng") packets)" \
	test "$(esp_count "$LAB_DIR/failover1.pcapng")" -gt 100
check "no (SPI, sequence) pair sent twice across the failover" \
	test "$(esp_dups "$LAB_DIR/failover1.pcapng")" = 0
dpd_in() { grep -c 'parsed INFORMATIONAL request [0-9]* \[ \]' "$(lab_swan_dir i)/charon.log"; }
n=$(dpd_in)
check "the new active's own DPD reaches strongSwan" lab_wait_for 6 sh -c "[ \$(grep -c 'parsed INFORMATIONAL request [0-9]* \\[ \\]' '$(lab_swan_dir i)/charon.log') -gt $n ]"
check "Child rekey against the new active" lab_swanctl i --rekey --child ha
check "IKE rekey against the new active" lab_swanctl i --rekey --ike ha
check "tunnel carries traffic after both rekeys" lab_wait_for 5 lab_ping hi 203.0.113.2 3
spis=$(lab_swan_spis i)
check "n2 lists the rekeyed IKE SA" lab_wait_for 3 hiked_has_spi n2 "$spis"

# --- 2. the old node returns, resyncs, and takes over in turn
check "n1's hiked restarts" lab_hiked n1 "$LAB_DIR/n1.yaml"
check "n1 resyncs and is an in-sync standby (n2 stays active)" lab_wait_for 10 is_role n1 standby
check "n1 received the SAs by snapshot" lab_wait_for 3 hiked_has_spi n1 "$spis"
check "n2 still active (no flapping back to priority 200)" is_role n2 active
lab_capture i eth0 "$LAB_DIR/failover2.pcapng" cap2
lab_ping_bg fo2 hi 203.0.113.2
sleep 1
t=$(lab_now)
lab_stop corosync-n2 KILL
check "kill -9 of n2's corosync: n1 becomes active" lab_wait_for 5 is_role n1 active
lab_timing "kill -9 corosync -> n1 active" "$t"
check "traffic resumes through n1" lab_wait_for 10 lab_ping hi 203.0.113.2
sleep 1
read -r tx rx lost outage < <(lab_ping_stats fo2)
lab_log "failover 2: ping every 10 ms: $tx sent, $rx received, $lost lost (~$outage ms)"
lab_capture_stop cap2
check "n2 without corosync is no longer active" lab_wait_for 5 lab_not is_role n2 active
check "IKE SA kept its SPIs again" test "$(lab_swan_spis i)" = "$spis"
check "still only one IKE_SA_INIT ever" test "$(ike_inits)" = 1
check "n1 skipped MESSAGE_ID_SYNC: strongSwan had answered n2's DPDs" \
	grep -q 'IKEV2_MESSAGE_ID_SYNC skipped' "$(lab_hiked_log n1)"
check "strongSwan still ESTABLISHED + INSTALLED after the second failover" swan_ok
check "no (SPI, sequence) pair sent twice across the second failover" \
	test "$(esp_dups "$LAB_DIR/failover2.pcapng")" = 0

check "hiked n1 still running" lab_alive hiked-n1
lab_done
