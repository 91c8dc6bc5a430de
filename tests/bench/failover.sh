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
#     the active of a fresh pair (sync: corosync, replicate before reply),
#     for each knet crypto setting (RATE_CRYPTO) and batch window
#     (RATE_DELAYS, sync.batch_delay_us).  Next to the rates: CPU per
#     handshake of every process from /proc (robust to the other jobs on
#     the machine, unlike the rates), and what corosync did per handshake
#     (CPG messages, token rotations, knet packets: corosync-cmapctl -m
#     stats).  "CPU cost" = 1 - (CPU per handshake off / on), everything
#     on the box counted (ike_load, hikeds, corosyncs): what sync costs
#     when the two cores are the limit, as they are here.
#
#   flock /tmp/hike-bench.lock tests/bench/failover.sh
#   COUNTS="1 1000" RATE_N=2000 HIKE_BUILD=build-bench tests/bench/failover.sh
#   COUNTS=1 RATE_N=3000 ROUNDS=2 RATE_CRYPTO="0 1" RATE_DELAYS="0 1000 5000" ...
#
# Knobs: COUNTS (1 1000 10000, cumulative), RATE_N (5000), ROUNDS (3),
# RATE_CRYPTO (1: knet aes256/sha256 as in production; 0 = none, the lab
# default), RATE_DELAYS (the product default, 1000), LAB_CS_OPTS
# (lib_corosync.sh knobs for every corosync, e.g. "seqno=30"),
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
RATE_CRYPTO=${RATE_CRYPTO:-1}
RATE_DELAYS=${RATE_DELAYS:-1000}
# cpu_ms NAME...: utime + stime of the recorded processes, in ms
cpu_ms() {
	local x tck
	tck=$(getconf CLK_TCK)
	for x in "$@"; do
		awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.0f ", ($12 + $13) * 1000 / t }' "/proc/$(lab_pid "$x")/stat"
	done
}
# cs_stats: n1's corosync: token rotations received, CPG messages sent by
# totem, knet packets sent to node 2; then hiked n1's envelopes sent
cs_stats() {
	lab_exec n1 corosync-cmapctl -m stats 2>/dev/null | awk '
		/^stats.srp.orf_token_rx /	{ t = $NF }
		/^stats.srp.mcast_tx /		{ m = $NF }
		/^stats.knet.node2.link0.tx_data_packets / { p = $NF }
		END { printf "%d %d %d ", t, m, p }'
	lab_hikectl n1 --json status 2>/dev/null | jq -r '.sync_health.tx_msgs // 0'
}
vips() {	# vips add|del NODE
	lab_exec "$2" ip addr "$1" 192.0.2.10/24 dev eth0 2>/dev/null
	lab_exec "$2" ip addr "$1" 203.0.113.1/25 dev in0 2>/dev/null
	lab_exec i ip neigh flush 192.0.2.10
}
cs_cur=0	# lab_pair_start's corosyncs: knet crypto off (LAB_CS_OPTS aside)
case " ${LAB_CS_OPTS:-} " in *" crypto=1 "*) cs_cur=1 ;; esac
# cs_mode 0|1: both corosyncs (re)started with knet crypto off / on
cs_mode() {
	local x
	[ "$cs_cur" = "$1" ] && return 0
	for x in n1 n2; do lab_stop "hiked-$x"; lab_stop "corosync-$x"; done
	lab_shm_sweep
	lab_corosync_cluster 1:n1:198.51.100.1 2:n2:198.51.100.2 "crypto=$1"
	for x in n1 n2; do lab_corosync_conf "$x"; lab_corosync "$x"; done
	for x in n1 n2; do lab_corosync_wait_members "$x" 2 15 || lab_die "corosync $x"; done
	cs_cur=$1
}
# pair_conf DELAY: n1/n2 yaml with sync.batch_delay_us DELAY ("-": the
# default, key left out, for builds that predate it)
pair_conf() {
	local x e="s/^  counter_ms: .*/&\n  batch_delay_us: $1/"
	[ "$1" = - ] && e=
	for x in n1 n2; do
		sed -e '/^  batch_delay_us:/d' -e "$e" "$LAB_DIR/$x.yaml" >"$LAB_DIR/$x.rate.yaml"
	done
}
sed -e 's/mode: corosync/mode: none/' "$LAB_DIR/n1.yaml" >"$LAB_DIR/single.yaml"
rates=$LAB_DIR/rates
: >"$rates"
for r in $(seq "${ROUNDS:-3}"); do
	for x in n1 n2; do lab_stop "hiked-$x"; done
	# hiked leaves its VIPs configured when it stops (TERM): clear them
	vips del n1; vips del n2; vips add n1
	lab_hiked n1 "$LAB_DIR/single.yaml" -d warn || lab_die "single hiked"
	c0=$(cpu_ms hiked-n1)
	read -r ok_off rate_off _ < <(load "$RATE_N" 192.0.2.100 "off$r" "$(lab_pid hiked-n1)")
	c1=$(cpu_ms hiked-n1)
	ini=$(grep '^RESULT' "$LAB_DIR/load.off$r.out" | tr ' ' '\n' | awk -F= '$1 == "ini_cpu_s" { print $2 }')
	echo "off $r $ok_off $rate_off $(awk -v a="$c0" -v b="$c1" -v i="$ini" -v n="$ok_off" \
		'BEGIN { n = n ? n : 1; printf "%.3f %.3f", (b - a) / n, i * 1000 / n }')" >>"$rates"
	lab_stop hiked-n1
	vips del n1
	for cr in $RATE_CRYPTO; do
		cs_mode "$cr"
		for d in $RATE_DELAYS; do
			pair_conf "$d"
			for x in n1 n2; do
				lab_stop "hiked-$x"
				lab_hiked "$x" "$LAB_DIR/$x.rate.yaml" -d warn || lab_die "pair hiked $x"
				lab_wait_for 10 lab_has_role "$x"
			done
			lab_wait_for 10 is_role n1 active
			lab_wait_for 10 is_role n2 standby
			c0=$(cpu_ms hiked-n1 hiked-n2 corosync-n1 corosync-n2)
			s0=$(cs_stats)
			read -r ok_on rate_on _ < <(load "$RATE_N" 192.0.2.150 "on$r.$cr.$d" "$(lab_pid hiked-n1)")
			lab_wait_for 30 has_count n2 "$ok_on"
			c1=$(cpu_ms hiked-n1 hiked-n2 corosync-n1 corosync-n2)
			s1=$(cs_stats)
			ini=$(grep '^RESULT' "$LAB_DIR/load.on$r.$cr.$d.out" | tr ' ' '\n' | awk -F= '$1 == "ini_cpu_s" { print $2 }')
			echo "on $r $cr $d $ok_on $rate_on $(ike_count n2) $(cut -d' ' -f1 /proc/loadavg) $ini $c0 $c1 $s0 $s1" >>"$rates"
		done
	done
done
echo
echo "failover: kill -9 of the active hiked, $(nproc) cores shared by everything, ping -D every $PING_IV s hi -> hr through strongSwan's SA"
printf '%8s | %8s | %10s | %10s %10s %10s | %12s | %5s | %9s\n' "IKE SAs" "held" "load hs/s" "->active" "install" "->step4" "traffic back" SPIs "resync s"
awk '{ printf "%8s | %8s | %10s | %7s ms %7s ms %7s ms | %9s ms | %5s | %9.2f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$results"
echo
echo "handshake rate, $RATE_N SAs per run, window $WINDOW, ike_load in i (same machine), sync off = single hiked (sync: none), on = active of the pair"
echo "(corosync: token ${LAB_CS_OPT[token]} ms, seqno_unchanged_const ${LAB_CS_OPT[seqno]}; crypto 0 = knet crypto none, 1 = aes256/sha256 as in production; delay = sync.batch_delay_us)."
echo "CPU ms per handshake: A = active hiked, S = standby hiked, C1/C2 = corosync n1/n2, L = ike_load; cost = 1 - rate on / rate off (same round);"
echo "CPU cost = 1 - CPU per handshake off (hiked + L) / on (A + S + C1 + C2 + L); per handshake: CPG msgs (hiked envelopes), token rotations, knet packets n1 -> n2"
printf '%5s %6s %6s | %5s %7s | %6s | %5s %5s %5s %5s %5s %6s | %8s | %5s %5s %5s\n' round crypto delay ok hs/s cost A S C1 C2 L total "CPU cost" msgs tokens pkts
awk '$1 == "off" { r = $2; off[r] = $4; offcpu[r] = $5 + $6
		printf "%5s %6s %6s | %5s %7s | %6s | %5.3f %5s %5s %5s %5.3f %6.3f | %8s |\n", r, "off", "-", $3, $4, "-", $5, "-", "-", "-", $6, $5 + $6, "-" }
	$1 == "on" { r = $2; n = $5 ? $5 : 1
		a = ($14 - $10) / n; s = ($15 - $11) / n; c1 = ($16 - $12) / n; c2 = ($17 - $13) / n; l = $9 * 1000 / n
		t = a + s + c1 + c2 + l
		printf "%5s %6s %6s | %5s %7s | %5.1f%% | %5.3f %5.3f %5.3f %5.3f %5.3f %6.3f | %7.1f%% | %5.2f %5.2f %5.2f\n", r, $3, $4, $5, $6,
			(off[r] > 0 ? (1 - $6 / off[r]) * 100 : 0), a, s, c1, c2, l, t, (t > 0 ? (1 - offcpu[r] / t) * 100 : 0),
			($25 - $21) / n, ($22 - $18) / n, ($24 - $20) / n }' "$rates"
awk '$1 == "off" { off += $4; n++ } $1 == "on" { on[$3 " " $4] += $6 }
	END { for (k in on) if (off > 0) printf "sum over rounds, crypto/delay %s: sync costs %.1f %% of the handshake rate\n", k, (1 - on[k] / off) * 100 }' "$rates" | sort
exit 0
