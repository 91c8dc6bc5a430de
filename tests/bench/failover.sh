#!/usr/bin/env bash
# Failover time and the cost of sync, on the lab pair (tests/netns/
# lib_cluster.sh: two hiked, each with its own corosync, strongSwan in i).
# A benchmark: it prints figures, asserts nothing.
#
#  1. failover time with 1, 1000 and 10000 established IKE SAs (+ one
#     Child SA each): strongSwan's SA is the measured tunnel, ike_load (from
#     i's extra addresses 192.0.2.100-199, connection "load") opens the
#     others against the VIP.  A timestamped ping (ping -D, every 5 ms)
#     hi -> hr runs through strongSwan's tunnel; kill -9 of the active
#     hiked at T; "traffic back" = the largest gap between two echo replies
#     around T, minus one interval (the outage).  The
#     killed hiked is then restarted, resyncs by snapshot (timed) and is
#     the standby of the next round (the pair alternates).
#  2. handshake rate, sync off vs on: ike_load with RATE_N SAs against a
#     single hiked (sync: none, the VIP added by hand) and then against
#     the active of a fresh pair (sync: corosync, replicate before reply).
#
#   tests/bench/failover.sh
#   COUNTS="1 1000" RATE_N=2000 HIKE_BUILD=build-bench tests/bench/failover.sh
#
# Knobs: COUNTS (1 1000 10000, cumulative), RATE_N (5000), ROUNDS (3),
# WINDOW (64), MAX_S (90, per ike_load run),
# PING_IV (0.005), HIKED_LOG (info: takeover steps are logged at info),
# KEEP=1.
. "$(dirname "$0")/../netns/lib.sh"

COUNTS=${COUNTS:-1 1000 10000}
RATE_N=${RATE_N:-5000}
WINDOW=${WINDOW:-64}
PING_IV=${PING_IV:-0.005}
LOAD=$(lab_bin bench/ike_load)
for b in hiked hikectl bench/ike_load; do
	[ -x "$(lab_bin $b)" ] || { echo "# $(lab_bin $b) not built"; exit 1; }
done
lab_init failover_bench
LAB_CHARON_LOG="default 1 ike 1 cfg 1 net 1 enc 0 knl 1 lib 1 chd 1"
# ike_load's SAs: TSi narrowed to one address, so that hr -> hi traffic
# (203.0.113.128/25) keeps using strongSwan's Child SA
LAB_PAIR_CONF_EXTRA="  - name: load
    local_addrs: [192.0.2.10]
    local_id: 192.0.2.10
    psk: \"$LAB_PAIR_PSK\"
    ike_proposals: [aes256gcm16-prfsha256-x25519]
    esp_proposals: [aes256gcm16]
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.250/32]
    dpd_delay: 0"
# shellcheck disable=SC2034
LAB_PAIR_DPD=300s

is_role() { [ "$(lab_role "$1")" = "$2" ]; }
ike_count() { lab_hikectl "$1" --json status 2>/dev/null | jq -r '.ike_sas // 0'; }
has_count() { [ "$(ike_count "$1")" -ge "$2" ]; }
hiked() { lab_hiked "$1" "$LAB_DIR/$1.yaml" -d "${HIKED_LOG:-info}"; }
other() { [ "$1" = n1 ] && echo n2 || echo n1; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
# log time (hiked's ISO timestamps) of the first line matching $2 after line $3
log_t() {
	tail -n +"$3" "$(lab_hiked_log "$1")" | grep -m1 "$2" | awk '{ print $1 }' |
		sed 's/Z$//' | xargs -I{} date -u -d {} +%s.%N
}

# load N SRC NAME: ike_load opens N SAs against the VIP; prints "ok hs/s"
load() {
	local n=$1 src=$2 name=$3 pid=$4
	lab_exec i "$LOAD" -r 192.0.2.10 -s "$src" -a 50 -p 4 -n "$n" -w "$WINDOW" \
		-t 1000 -T "${MAX_S:-90}" -P "$pid" -k "$LAB_PAIR_PSK" -L "$name" >"$LAB_DIR/load.$name.out" 2>&1
	grep '^RESULT' "$LAB_DIR/load.$name.out" | tr ' ' '\n' | awk -F= '
		$1 == "ok" { ok = $2 } $1 == "hs_per_s" { r = $2 } $1 == "cpu_ms_per_hs" { c = $2 }
		END { printf "%d %.0f %s\n", ok, r, c }'
}

lab_pair_net
for i in $(seq 100 199); do echo "addr add 192.0.2.$i/24 dev eth0"; done |
	ip -n "$(lab_nsname i)" -batch - || lab_die "source addresses"
LAB_PAIR_DPD=300s lab_pair_start || lab_die "pair did not start"
for x in n1 n2; do	# restart at the benchmark's log level
	lab_stop "hiked-$x"
	hiked "$x" || lab_die "hiked $x"
done
lab_wait_for 10 is_role n1 active && lab_wait_for 10 is_role n2 standby || lab_die "roles"
lab_pair_swan
lab_swan_initiate i ha >/dev/null || lab_die "strongSwan did not establish"
spis=$(lab_swan_spis i)
lab_wait_for 5 lab_ping hi 203.0.113.2 || lab_die "no ping through the tunnel"

results=$LAB_DIR/results
: >"$results"
have=1 act=n1 round=0 srcs=(192.0.2.100 192.0.2.150 192.0.2.100 192.0.2.150)
for want in $COUNTS; do
	round=$((round + 1))
	add=$((want - have))
	lrate=- lsecs=-
	if [ "$add" -gt 0 ]; then
		t=$(lab_now)
		read -r ok lrate cpu < <(load "$add" "${srcs[$round]}" "fill$round" "$(lab_pid "hiked-$act")")
		lsecs=$(lab_since "$t")
		lab_log "$want: ike_load opened $ok of $add SAs at $lrate/s ($lsecs s) against the active $act"
		have=$((have + ok))
	fi
	sby=$(other "$act")
	t=$(lab_now)
	lab_wait_for 60 has_count "$sby" "$have" || lab_log "standby $sby holds only $(ike_count "$sby") of $have"
	lab_log "$want: standby $sby holds $(ike_count "$sby") IKE SAs ($(lab_since "$t") s after the load)"
	sleep 1
	from=$(($(wc -l <"$(lab_hiked_log "$sby")") + 1))
	lab_start_bg "ping$round" ip netns exec "$(lab_nsname hi)" ping -D -n -i "$PING_IV" -W 1 203.0.113.2
	sleep 1
	tk=$(lab_now)
	lab_stop "hiked-$act" KILL
	lab_wait_for 20 is_role "$sby" active
	t_act=$(log_t "$sby" 'takeover: step 1/4' "$from")
	t_inst=$(log_t "$sby" 'takeover: step 2/4' "$from")
	t_done=$(log_t "$sby" 'takeover: step 4/4' "$from")
	lab_wait_for 20 lab_ping hi 203.0.113.2
	sleep 0.5
	lab_stop "ping$round" INT
	# outage: the largest gap between two consecutive echo replies
	# from 0.2 s before the kill on (minus one ping interval)
	back=$(awk -v t="$tk" -v iv="$PING_IV" -F'[][]' '/bytes from/ && $2 > t - 0.2 {
		if (p && $2 - p > g) g = $2 - p; p = $2 }
		END { printf "%.0f", (g - iv) * 1000 }' "$LAB_DIR/ping$round.out")
	spis_ok=$([ "$(lab_swan_spis i)" = "$spis" ] && echo yes || echo NO)
	# the killed node returns and resyncs by snapshot
	t=$(lab_now)
	hiked "$act"
	lab_wait_for 120 is_role "$act" standby
	resync=$(lab_since "$t")
	printf '%s %s %s %s %s %s %s %s %s %s\n' "$want" "$have" "$lrate" \
		"$(ms "$tk" "$t_act")" "$(ms "$t_act" "$t_inst")" "$(ms "$tk" "$t_done")" \
		"${back:-none}" "$spis_ok" "$resync" "$(ike_count "$act")" >>"$results"
	lab_log "$want: traffic back after ${back:-?} ms; resync of $act: $resync s"
	act=$sby
done

# ---- handshake rate: sync off (single node) vs on (pair), alternating
# ROUNDS times (the machine is shared: compare neighbours, not runs)
# cpu_ms NAME...: utime + stime of the recorded processes, in ms
cpu_ms() {
	local x tck
	tck=$(getconf CLK_TCK)
	for x in "$@"; do
		awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.0f ", ($12 + $13) * 1000 / t }' "/proc/$(lab_pid "$x")/stat"
	done
}
vips() {	# vips add|del NODE
	lab_exec "$2" ip addr "$1" 192.0.2.10/24 dev eth0 2>/dev/null
	lab_exec "$2" ip addr "$1" 203.0.113.1/25 dev in0 2>/dev/null
	lab_exec i ip neigh flush 192.0.2.10
}
sed -e 's/mode: corosync/mode: none/' "$LAB_DIR/n1.yaml" >"$LAB_DIR/single.yaml"
rates=$LAB_DIR/rates
: >"$rates"
for r in $(seq "${ROUNDS:-3}"); do
	for x in n1 n2; do lab_stop "hiked-$x"; done
	# hiked leaves its VIPs configured when it stops (TERM): clear them
	vips del n1; vips del n2; vips add n1
	lab_hiked n1 "$LAB_DIR/single.yaml" -d warn || lab_die "single hiked"
	read -r ok_off rate_off cpu_off < <(load "$RATE_N" 192.0.2.100 "off$r" "$(lab_pid hiked-n1)")
	lab_stop hiked-n1
	vips del n1
	for x in n1 n2; do
		lab_hiked "$x" "$LAB_DIR/$x.yaml" -d warn || lab_die "pair hiked $x"
		lab_wait_for 10 lab_has_role "$x"
	done
	lab_wait_for 10 is_role n1 active
	c0=$(cpu_ms hiked-n2 corosync-n1 corosync-n2)
	read -r ok_on rate_on cpu_on < <(load "$RATE_N" 192.0.2.150 "on$r" "$(lab_pid hiked-n1)")
	lab_wait_for 30 has_count n2 "$ok_on"
	c1=$(cpu_ms hiked-n2 corosync-n1 corosync-n2)
	echo "$r $ok_off $rate_off $cpu_off $ok_on $rate_on $cpu_on $(ike_count n2) $(cut -d' ' -f1 /proc/loadavg)" >>"$rates"
	paste -d' ' <(echo "$c0" | tr ' ' '\n') <(echo "$c1" | tr ' ' '\n') |
		awk -v n="$ok_on" '{ printf("%s%.3f", (NR > 1 ? " " : ""), ($2 - $1) / (n ? n : 1)) }
			END { print "" }' >>"$LAB_DIR/cpu_on"
done

echo
echo "failover: kill -9 of the active hiked, $(nproc) cores shared by everything, ping -D every $PING_IV s hi -> hr through strongSwan's SA"
printf '%8s | %8s | %10s | %10s %10s %10s | %12s | %5s | %9s\n' "IKE SAs" "held" "load hs/s" "->active" "install" "->step4" "traffic back" SPIs "resync s"
awk '{ printf "%8s | %8s | %10s | %7s ms %7s ms %7s ms | %9s ms | %5s | %9.2f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$results"
echo
echo "handshake rate, $RATE_N SAs per run, window $WINDOW, ike_load in i (same machine), sync off = single hiked (sync: none), on = active of the pair:"
printf '%5s | %8s %10s %9s | %8s %10s %9s | %8s | %6s | %5s\n' round "off ok" "hs/s" "CPU ms" "on ok" "hs/s" "CPU ms" standby "cost" load
awk '{ printf "%5s | %8s %10s %9s | %8s %10s %9s | %8s | %5.1f%% | %5s\n", $1, $2, $3, $4, $5, $6, $7, $8, ($3 > 0 ? (1 - $6 / $3) * 100 : 0), $9 }' "$rates"
awk 'BEGIN { printf "sync-on CPU per handshake besides the active (ms): " }
	{ a += $1; b += $2; c += $3; n++ } END { if (n) printf "standby hiked %.3f, corosync (active) %.3f, corosync (standby) %.3f\n", a / n, b / n, c / n }' "$LAB_DIR/cpu_on"
awk '{ off += $3; on += $6 } END { if (off > 0) printf "sum over rounds: sync costs %.1f %% of the handshake rate\n", (1 - on / off) * 100 }' "$rates"
exit 0
