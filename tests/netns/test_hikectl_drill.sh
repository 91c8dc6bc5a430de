#!/usr/bin/env bash
# hikectl drill on a live hike pair (topology in lib_cluster.sh) with a
# strongSwan tunnel and a continuous ping through it:
#  1. graceful drill n1 -> n2: PASS, exit 0, SAs and counters carried,
#     the traffic gap reported (none: make before break);
#  2. crash drill (--crash --json, ctl.allow_crash) n2 -> n1: PASS, n2's
#     hiked gone; restarted, it resyncs;
#  3. sync cut: n2's sync link goes down after the SA exists, then a Child
#     rekey makes one node hold an SA the other lacks: the drill FAILs
#     (exit 1), names the missing Child SA, and does not hand over.
. "$(dirname "$0")/lib.sh"
lab_init hikectl_drill

# the lab-only "crash" command on both nodes
eval "lab_pair_conf_orig() $(declare -f lab_pair_conf | tail -n +2)"
lab_pair_conf() {
	lab_pair_conf_orig "$@"
	sed -i 's|^ctl:|ctl:\n  allow_crash: true|' "$LAB_DIR/$1.yaml"
}

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
drill() {	# drill LOCAL OTHER [ARGS]: hikectl drill from LOCAL's socket
	local l=$1 o=$2
	shift 2
	lab_hikectl "$l" drill --node "$o=$(lab_hiked_sock "$o")" "$@"
}
rc_is() { local want=$1 rc; shift; "$@"; rc=$?; echo "exit status $rc"; [ "$rc" = "$want" ]; }
child_spi() { lab_hikectl "$1" --json sas | jq -r '.ike_sas[].children[].spi_in' | sort | tr '\n' ' '; }

lab_pair_net
check "pair: corosync and hiked up on n1 and n2" lab_pair_start
check "n2 is an in-sync standby" lab_wait_for 5 is_role n2 standby
lab_pair_swan
check "strongSwan establishes through the VIP" lab_swan_initiate i ha
check "ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2 3
check "n2 holds the Child SA" lab_wait_for 3 sh -c "[ '$(child_spi n1)' = \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock n2)' --json sas | jq -r '.ike_sas[].children[].spi_in' | sort | tr '\n' ' ')\" ]"
lab_ping_bg ping hi 203.0.113.2

# --- 1. graceful
sleep 0.5
drill n1 n2 >"$LAB_DIR/drill1.txt" 2>&1
rc=$?
sed 's/^/#   /' "$LAB_DIR/drill1.txt"
check "graceful drill n1 -> n2: exit 0" test "$rc" = 0
check "... says PASS" grep -q '^PASS: n1 -> n2 in [0-9]* ms' "$LAB_DIR/drill1.txt"
check "... saw the first ESP packet through n2" grep -q 'ok   first ESP packet through n2' "$LAB_DIR/drill1.txt"
check "... checked the Child SA's counters" grep -Eq 'ok   Child SA [0-9a-f]{8} on n2, seq out' "$LAB_DIR/drill1.txt"
check "... reports the hand-over steps (no jump)" grep -q 'ok   hand-over as the nodes logged it: n1 stopped 1 Child SA(s) at final sequence numbers.* n2 resumed 1 of them' "$LAB_DIR/drill1.txt"
check "... reports the traffic gap: none (make before break)" grep -q 'ok   traffic gap: none (make before break' "$LAB_DIR/drill1.txt"
check "n2 is active, n1 standby" sh -c "[ \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock n2)' --json status | jq -r .role)\" = active ]"
check "n1 is standby" lab_wait_for 5 is_role n1 standby

# --- 2. crash
sleep 0.5
drill n2 n1 --crash --json >"$LAB_DIR/drill2.json" 2>&1
rc=$?
jq -c '{verdict, mode, from, to, takeover_ms, first_esp_ms}' "$LAB_DIR/drill2.json" | sed 's/^/#   /'
check "crash drill n2 -> n1: exit 0" test "$rc" = 0
check "... --json: PASS, from n2 to n1, takeover time" \
	jq -e '.verdict == "PASS" and .mode == "crash" and .from == "n2" and .to == "n1" and (.takeover_ms | type) == "number" and .failed_checks == 0 and (.child_sas | length) >= 1 and all(.child_sas[]; .ok and .seq_out_after >= .seq_out_before)' "$LAB_DIR/drill2.json"
check "n2's hiked is gone" lab_wait_for 3 lab_not lab_alive hiked-n2
check "n1 is active" is_role n1 active
check "traffic flows through n1" lab_wait_for 5 lab_ping hi 203.0.113.2 3
check "n2's hiked restarts" lab_hiked n2 "$LAB_DIR/n2.yaml"
check "n2 resyncs and is an in-sync standby" lab_wait_for 10 is_role n2 standby
check "drill refuses without a peer's socket (exit 1)" rc_is 1 lab_hikectl n1 drill

# --- 3. sync cut: one node misses a Child SA
check "n2 holds the Child SA again" lab_wait_for 3 sh -c "[ '$(child_spi n1)' = \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock n2)' --json sas | jq -r '.ike_sas[].children[].spi_in' | sort | tr '\n' ' ')\" ]"
lab_exec n2 ip link set sync0 down
check "n1 loses n2 from its membership" lab_wait_for 5 sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' --json status | jq -e '(.members | length) == 1'"
check "Child rekey while sync is cut" lab_swanctl i --rekey --child ha
sleep 0.5
lab_log "child SAs: n1 $(child_spi n1)/ n2 $(child_spi n2)"
drill n1 n2 >"$LAB_DIR/drill3.txt" 2>&1
rc=$?
sed 's/^/#   /' "$LAB_DIR/drill3.txt"
check "drill with sync cut: exit 1" test "$rc" = 1
check "... says FAIL" grep -q '^FAIL' "$LAB_DIR/drill3.txt"
check "... names the Child SA a node lacks" grep -Eq 'FAIL (n1|n2) lacks Child SA [0-9a-f]{8}' "$LAB_DIR/drill3.txt"
check "... and did not hand over" grep -q 'FAIL not handing over' "$LAB_DIR/drill3.txt"
check "hiked n1 still running" lab_alive hiked-n1
lab_done
