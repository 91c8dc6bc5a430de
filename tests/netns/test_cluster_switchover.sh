#!/usr/bin/env bash
# Graceful switchover on a live pair (topology in lib_cluster.sh), with a
# continuous ping (every 10 ms) from behind strongSwan through the tunnel
# to the inside host and back (docs/cluster.md "Switchover, step by step"):
#  1. refused cases first: switchover on the standby, --to a node that is
#     no member; n1 stays active;
#  2. three switchovers back and forth (n1 -> n2, n2 -> n1 with --to 1,
#     n1 -> n2), each checked end to end:
#     - roles and virtual IPs moved (on the new active, gone from the old);
#     - ZERO pings lost (DESIGN.md): every echo request up to the last one
#       answered got its reply -- counted from ping's per-packet output,
#       so the one request in flight when ping is stopped does not count;
#     - make before break, from the nodes' own hand-over record (hikectl
#       status .handover): the old active stopped at final sequence
#       numbers, the new one resumed right after them (no jump), and the
#       old one released its VIPs only after the new one announced them;
#     - on the wire (capture on strongSwan's side): no (SPI, ESP sequence)
#       pair sent twice by the gateway, and the new active's first ESP
#       sequence number on the SA is at most 16 + 1 above the old one's
#       last (the headroom of esp_counters.h, not a 2W jump);
#     - strongSwan's IKE SA kept its SPIs, no new IKE_SA_INIT.
. "$(dirname "$0")/lib.sh"
lab_init cluster_switchover

SWITCHES=${SWITCHES:-3}

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
ike_inits() { grep -c 'generating IKE_SA_INIT request' "$(lab_swan_dir i)/charon.log"; }
has_vip() { ip -n "$(lab_nsname "$1")" -br addr show dev "$2" | grep -q " $3/"; }
vips_on() { has_vip "$1" eth0 192.0.2.10 && has_vip "$1" in0 203.0.113.1; }
vips_off() { ! has_vip "$1" eth0 192.0.2.10 && ! has_vip "$1" in0 203.0.113.1; }
esp_out() {	# PCAP: "time mac spi seq" of the gateway's ESP
	tshark -r "$1" -n -Y "esp && ip.src == 192.0.2.10" -T fields \
		-e frame.time_epoch -e eth.src -e esp.spi -e esp.sequence 2>/dev/null
}
esp_dups() { esp_out "$1" | awk '{ print $3, $4 }' | sort | uniq -d | wc -l; }
esp_count() { esp_out "$1" | wc -l; }
# The largest step of the gateway's outbound sequence numbers on one SA
# where the sending MAC changes (the hand-over): old's last -> new's first.
esp_handover_step() {
	esp_out "$1" | awk -v from="$2" -v to="$3" '
		$2 == from { last[$3] = $4 }
		$2 == to && ($3 in last) && !($3 in first) { first[$3] = $4; print $4 - last[$3] }'
}
ho() { lab_hikectl "$1" --json status | jq -r ".handover.$2"; }

# switch FROM TO NAME [ARGS]: switchover run on FROM, checked end to end.
switch() {
	local from=$1 to=$2 tag=$3 t n m lost cap=$LAB_DIR/$3.pcapng mf mt steps
	shift 3
	mf=$(lab_mac "$from" eth0) mt=$(lab_mac "$to" eth0)
	lab_capture i eth0 "$cap" "cap-$tag"
	lab_ping_bg "ping-$tag" hi 203.0.113.2 0.01
	sleep 1
	t=$(lab_now)
	check "$tag: hikectl switchover${*:+ $*} on $from" lab_hikectl "$from" switchover "$@"
	check "$tag: $to becomes active" lab_wait_for 5 is_role "$to" active
	lab_timing "$tag: switchover -> $to active" "$t"
	check "$tag: $from is an in-sync standby" lab_wait_for 5 is_role "$from" standby
	check "$tag: the VIPs are on $to" lab_wait_for 3 vips_on "$to"
	check "$tag: the VIPs left $from" lab_wait_for 3 vips_off "$from"
	check "$tag: $from's hand-over is done" lab_wait_for 3 sh -c \
		"[ \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock "$from")' --json status | jq -r .handover.result)\" = done ]"
	sleep 1
	lab_stop "ping-$tag" INT
	lab_capture_stop "cap-$tag"
	read -r n m lost < <(lab_ping_lost "ping-$tag")
	lab_log "$tag: ping every 10 ms across the switchover: $n of the first $m answered, $lost lost ($(tail -2 "$LAB_DIR/ping-$tag.out" | head -1))"
	echo "$tag $n $m $lost" >>"$LAB_DIR/losses"
	check "$tag: pings answered before and after the switchover ($n)" test "$n" -ge 100
	check "$tag: no ping lost across the switchover ($lost of $m)" test "$lost" -eq 0
	# the hand-over as both nodes recorded it
	lab_log "$tag: $from: $(lab_hikectl "$from" --json status | jq -c .handover)"
	lab_log "$tag: $to: $(lab_hikectl "$to" --json status | jq -c .handover)"
	check "$tag: $from stopped its Child SA at a final sequence number" test "$(ho "$from" final_sas)" -ge 1
	check "$tag: $to resumed right after it (no jump)" test "$(ho "$to" exact_sas)" -ge 1
	check "$tag: $from kept forwarding until $to announced the VIPs" \
		test "$(ho "$from" released_ms)" -ge "$(ho "$to" announced_ms)"
	# the wire
	check "$tag: capture saw ESP from the gateway ($(esp_count "$cap") packets)" \
		test "$(esp_count "$cap")" -gt 100
	check "$tag: no (SPI, sequence) pair sent twice" test "$(esp_dups "$cap")" = 0
	steps=$(esp_handover_step "$cap" "$mf" "$mt" | tr '\n' ' ')
	lab_log "$tag: ESP sequence step at the hand-over ($from's last -> $to's first): $steps"
	check "$tag: $to's first ESP follows $from's last within the headroom ($steps)" \
		sh -c "[ -n '$steps' ] && for s in $steps; do [ \$s -ge 1 ] && [ \$s -le 17 ] || exit 1; done"
	check "$tag: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
	check "$tag: strongSwan still ESTABLISHED + INSTALLED" lab_swan_established i
	check "$tag: no new IKE_SA_INIT on the wire" test "$(ike_inits)" = 1
}

lab_pair_net
check "pair: corosync and hiked up on n1 and n2" lab_pair_start
check "n1 is active (priority 200)" is_role n1 active
check "n2 is an in-sync standby" lab_wait_for 5 is_role n2 standby
lab_pair_swan
check "strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
check "ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
check "VIPs on n1 only" vips_on n1
check "standby n2 holds no VIP" vips_off n2
sleep 0.5	# let n2 receive the IKE SA

check_fails "switchover refused on the standby n2" lab_hikectl n2 switchover
check_fails "switchover --to 7 (no such member) refused" lab_hikectl n1 switchover --to 7
check_fails "switchover --to 1 (itself) refused" lab_hikectl n1 switchover --to 1
sleep 0.5
check "n1 still active after the refusals" is_role n1 active

from=n1 to=n2
for k in $(seq "$SWITCHES"); do
	if [ $((k % 2)) = 0 ]; then
		switch "$from" "$to" "sw$k" --to "${to#n}"
	else
		switch "$from" "$to" "sw$k"
	fi
	x=$from from=$to to=$x
done
lab_log "losses (tag answered highest lost): $(tr '\n' ';' <"$LAB_DIR/losses")"

check "hiked n1 and n2 still running" sh -c "kill -0 $(lab_pid hiked-n1) && kill -0 $(lab_pid hiked-n2)"
check "hikectl status: healthy pair again (exit 0)" lab_hikectl "$from" status
lab_done
