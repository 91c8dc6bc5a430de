#!/usr/bin/env bash
# Graceful switchover on a live pair (topology in lib_cluster.sh), with a
# continuous ping (every 10 ms) through strongSwan's tunnel:
#  1. `hikectl switchover` on the active n1: n2 becomes active, n1 an
#     in-sync standby, the virtual IPs move (on n2, gone from n1),
#     strongSwan's IKE SA keeps its SPIs, no IKE_SA_INIT; lost pings are
#     counted (DESIGN.md: zero is the goal) and no (SPI, ESP sequence) pair
#     is sent twice;
#  2. `hikectl switchover --to 1` on n2: back to n1, the same checks;
#  3. refused cases: switchover on a standby, --to a node that is no
#     member.
. "$(dirname "$0")/lib.sh"
lab_init cluster_switchover

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
ike_inits() { grep -c 'generating IKE_SA_INIT request' "$(lab_swan_dir i)/charon.log"; }
has_vip() { ip -n "$(lab_nsname "$1")" -br addr show dev "$2" | grep -q " $3/"; }
vips_on() { has_vip "$1" eth0 192.0.2.10 && has_vip "$1" in0 203.0.113.1; }
vips_off() { ! has_vip "$1" eth0 192.0.2.10 && ! has_vip "$1" in0 203.0.113.1; }
esp_dups() {
	tshark -r "$1" -n -Y "esp && ip.src == 192.0.2.10" -T fields -e esp.spi -e esp.sequence 2>/dev/null |
		sort | uniq -d | wc -l
}
esp_count() { tshark -r "$1" -n -Y "esp && ip.src == 192.0.2.10" -T fields -e esp.sequence 2>/dev/null | wc -l; }

# switch FROM TO NAME [ARGS]: switchover run on FROM, checked end to end.
switch() {
	local from=$1 to=$2 tag=$3 t tx rx lost outage cap=$LAB_DIR/$3.pcapng
	shift 3
	lab_capture i eth0 "$cap" "cap-$tag"
	lab_ping_bg "ping-$tag" hi 203.0.113.2
	sleep 1
	t=$(lab_now)
	check "$tag: hikectl switchover${*:+ $*} on $from" lab_hikectl "$from" switchover "$@"
	check "$tag: $to becomes active" lab_wait_for 5 is_role "$to" active
	lab_timing "$tag: switchover -> $to active" "$t"
	check "$tag: $from is an in-sync standby" lab_wait_for 5 is_role "$from" standby
	check "$tag: the VIPs are on $to" lab_wait_for 3 vips_on "$to"
	check "$tag: the VIPs left $from" lab_wait_for 3 vips_off "$from"
	check "$tag: traffic flows through $to" lab_wait_for 5 lab_ping hi 203.0.113.2
	sleep 1
	read -r tx rx lost outage < <(lab_ping_stats "ping-$tag")
	lab_log "$tag: ping every 10 ms across the switchover: $tx sent, $rx received, $lost lost (~$outage ms)"
	echo "$tag $tx $rx $lost" >>"$LAB_DIR/losses"
	lab_capture_stop "cap-$tag"
	check "$tag: strongSwan's IKE SA kept its SPIs" test "$(lab_swan_spis i)" = "$spis"
	check "$tag: strongSwan still ESTABLISHED + INSTALLED" lab_swan_established i
	check "$tag: no new IKE_SA_INIT on the wire" test "$(ike_inits)" = 1
	check "$tag: capture saw ESP from the gateway ($(esp_count "$cap") packets)" \
		test "$(esp_count "$cap")" -gt 100
	check "$tag: no (SPI, sequence) pair sent twice" test "$(esp_dups "$cap")" = 0
	# a loss of more than 0.5 s would be a failover, not a switchover
	check "$tag: at most 50 pings lost ($lost)" test "$lost" -le 50
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
if lab_hikectl n1 switchover --to 7 >"$LAB_DIR/to7.out" 2>&1; then
	lab_log "switchover --to 7 (no such member) accepted: $(cat "$LAB_DIR/to7.out")"
else
	lab_log "switchover --to 7 (no such member) refused: $(cat "$LAB_DIR/to7.out")"
fi
sleep 0.5
check "n1 still active after the refusals" is_role n1 active

switch n1 n2 sw1
switch n2 n1 sw2 --to 1

check "hiked n1 and n2 still running" sh -c "kill -0 $(lab_pid hiked-n1) && kill -0 $(lab_pid hiked-n2)"
check "hikectl status: healthy pair again (exit 0)" lab_hikectl n1 status
lab_done
