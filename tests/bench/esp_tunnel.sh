#!/usr/bin/env bash
# ESP through a tunnel: iperf3 TCP with hiked as the responder, then with
# strongSwan's charon (kernel-libipsec, userspace ESP) as the responder,
# the same strongSwan initiator and the same namespaces, in one run.
# Prints a side-by-side table: throughput and the responder's CPU-seconds
# per GB carried (utime+stime of the responder process, all threads, read
# from /proc/PID/stat before and after each iperf3 run).  A benchmark: it
# prints figures and asserts nothing.
#
#   hi 203.0.113.130 -- i (strongSwan initiator) 192.0.2.50 === 192.0.2.10 r (responder) -- hr 203.0.113.2
#
#   tests/bench/esp_tunnel.sh                      # aes256gcm16, 3 rounds of 8 s each way
#   SUITES="aes256gcm16 aes256-sha256 chacha20poly1305" SECONDS_PER_RUN=10 \
#   DIRS="up down" ROUNDS=1 tests/bench/esp_tunnel.sh
#   PERF=1 tests/bench/esp_tunnel.sh              # also perf record -g hiked (first suite, up)
#
# "up": iperf3 client at hi sends to hr: the initiator encrypts, the
# responder decrypts.  "down" (-R): the responder encrypts.
# Knobs: HIKE_BUILD (default build), SUITES, DIRS, SECONDS_PER_RUN,
# ROUNDS (each round runs hiked then charon; more rounds average out a
# busy machine), PERF=1, KEEP=1 (keep the work dir: logs, iperf3 JSON,
# perf.data), OFFLOAD=0 (hiked with esp.offload: false, the datapath
# without TUN/UDP segmentation offloads, for an A/B), COALESCE_US=N
# (hiked's esp.coalesce_us; 0 = no interrupt moderation, for an A/B).  After hiked's runs
# its esp.* counters and non-zero drops are printed.  VETH_GRO=1: GRO
# (veth NAPI) on r's eth0, where ESP from the initiator arrives -- for
# both responders alike; only a socket with UDP_GRO (hiked's) then gets
# coalesced ESP datagrams.
. "$(dirname "$0")/../netns/lib.sh"

SUITES=${SUITES:-aes256gcm16}
DIRS=${DIRS:-up down}
T=${SECONDS_PER_RUN:-8}
ROUNDS=${ROUNDS:-3}	# pooled: single runs scatter by +-0.03 in the ratio
PSK=bench-psk-0123456789

[ -x "$(lab_bin hiked)" ] || { echo "# $(lab_bin hiked) not built (make B=... or HIKE_BUILD=...)"; exit 1; }
lab_init esp_tunnel
# Benchmarks: quiet loggers on both sides.
# shellcheck disable=SC2034 # read by lib_swan.sh
LAB_CHARON_LOG="default 0 ike 0 cfg 0 net 0 enc 0 knl 0 lib 0 chd 0"

lab_ns hi; lab_ns i; lab_ns r; lab_ns hr
lab_link hi eth0 203.0.113.130/25 i in0 203.0.113.129/25
lab_link i eth0 192.0.2.50/24 r eth0 192.0.2.10/24
lab_link r in0 203.0.113.1/25 hr eth0 203.0.113.2/25
lab_router i; lab_router r
if [ "${VETH_GRO:-0}" = 1 ]; then
	lab_exec r ethtool -K eth0 gro on >/dev/null 2>&1 ||
		lab_die "VETH_GRO=1: ethtool -K eth0 gro on failed in r (apt-get install ethtool)"
fi
lab_route hi default 203.0.113.129
lab_route hr default 203.0.113.1

# ---- responders

hiked_conf=$LAB_DIR/hiked.yaml
cat >"$hiked_conf" <<Y
node:
  name: bench
log:
  level: warn
ctl:
  socket: $(lab_hiked_sock r)
connections:
  - name: site
    local_addrs: [192.0.2.10]
    remote_addrs: [192.0.2.50]
    local_id: 192.0.2.10
    remote_id: 192.0.2.50
    psk: "$PSK"
    ike_proposals: [aes256gcm16-prfsha256-x25519]
    esp_proposals: [aes256gcm16, aes256-sha256, chacha20poly1305, aes128-sha256]
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
    dpd_delay: 0
esp:
  offload: $([ "${OFFLOAD:-1}" = 0 ] && echo false || echo true)
$([ -n "${COALESCE_US:-}" ] && echo "  coalesce_us: $COALESCE_US")
Y

start_hiked() {
	lab_start_ns hiked r "$(lab_bin hiked)" -f -c "$hiked_conf" -d warn
	lab_wait_for 5 test -S "$(lab_hiked_sock r)" ||
		lab_die "hiked did not start: $(tail -5 "$LAB_DIR/hiked.out")"
	RESP_PID=$(lab_pid hiked)
}
stop_hiked() { lab_stop hiked; }

# charon as the responder: kernel-libipsec, like the initiator.
lab_strongswan_conf "$LAB_DIR/r/charon"
start_charon_r() {
	lab_swanctl_conf r conn=site local_addrs=192.0.2.10 remote_addrs=192.0.2.50 \
		local_id=192.0.2.10 remote_id=192.0.2.50 psk=$PSK \
		proposals=aes256gcm16-prfsha256-x25519 \
		esp_proposals=aes256gcm16,aes256-sha256,chacha20poly1305,aes128-sha256 \
		local_ts=203.0.113.0/25 remote_ts=203.0.113.128/25
	lab_charon r
	lab_swanctl r --load-all >/dev/null || lab_die "swanctl --load-all in r"
	RESP_PID=$(lab_pid charon-r)
}
stop_charon_r() { lab_stop charon-r; }

lab_charon i
lab_start_ns iperf hr iperf3 -s -B 203.0.113.2
lab_wait_for 5 lab_exec hr sh -c 'ss -ltn | grep -q ":5201 "' || lab_die "iperf3 server"

# cpu_ticks PID: utime + stime (clock ticks) of the whole process.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# run_one WHO SUITE DIR: bring the tunnel up with ESP SUITE, iperf3 for T
# seconds, print "WHO SUITE DIR mbit cpu_s bytes".
run_one() {
	local who=$1 suite=$2 dir=$3 c0 c1 json bytes mbit r=""
	lab_swanctl_conf i conn=b local_addrs=192.0.2.50 remote_addrs=192.0.2.10 \
		local_id=192.0.2.50 remote_id=192.0.2.10 psk=$PSK \
		proposals=aes256gcm16-prfsha256-x25519 esp_proposals="$suite" \
		local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25
	lab_swanctl i --load-all >/dev/null
	if ! lab_swan_initiate i b 10 >"$LAB_DIR/init.$who.$suite.out" 2>&1; then
		lab_log "$who $suite: tunnel did not come up"
		echo "$who $suite $dir 0 0 0"
		return
	fi
	lab_wait_for 5 lab_ping hi 203.0.113.2 || lab_log "$who $suite: no ping through"
	[ "$dir" = down ] && r=-R
	json=$LAB_DIR/iperf.$who.$suite.$dir.$round.json
	if [ "${PERF:-}" = 1 ] && [ "$who" = hiked ] && [ -z "${perf_done:-}" ]; then
		perf_done=1
		perf record -g -o "$LAB_DIR/perf.data" -p "$RESP_PID" -- sleep "$T" \
			>"$LAB_DIR/perf.out" 2>&1 &
		perf_pid=$!
	fi
	c0=$(cpu_ticks "$RESP_PID")
	lab_exec hi iperf3 -c 203.0.113.2 -t "$T" $r -J >"$json" 2>&1
	c1=$(cpu_ticks "$RESP_PID")
	[ -n "${perf_pid:-}" ] && { wait "$perf_pid"; perf_pid=; }
	bytes=$(jq '.end.sum_received.bytes // 0' "$json" 2>/dev/null || echo 0)
	mbit=$(jq '(.end.sum_received.bits_per_second // 0) / 1e6' "$json" 2>/dev/null || echo 0)
	lab_swanctl i --terminate --ike b --timeout 5 >/dev/null 2>&1
	echo "$who $suite $dir $mbit $(awk -v d=$((c1 - c0)) -v hz="$HZ" 'BEGIN { print d / hz }') $bytes"
}

results=$LAB_DIR/results
: >"$results"
for round in $(seq "$ROUNDS"); do
	start_hiked
	for s in $SUITES; do for d in $DIRS; do
		run_one hiked "$s" "$d" | tee -a "$results" | sed 's/^/# /'
	done; done
	lab_log "hiked RSS at the end: $(awk '/VmRSS/ { print $2, $3 }' "/proc/$RESP_PID/status")"
	lab_log "hiked counters: $(lab_hikectl r --json status 2>/dev/null |
		jq -c '.counters | with_entries(select((.key | startswith("esp.")) or
			((.key | startswith("drop")) and .value > 0)))')"
	stop_hiked
	start_charon_r
	for s in $SUITES; do for d in $DIRS; do
		run_one charon "$s" "$d" | tee -a "$results" | sed 's/^/# /'
	done; done
	stop_charon_r
done

echo
echo "ESP through the tunnel: iperf3 TCP ${T} s, strongSwan 5.9.8 initiator (kernel-libipsec), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg), hiked esp.offload=$([ "${OFFLOAD:-1}" = 0 ] && echo off || echo on) esp.coalesce_us=${COALESCE_US:-default}, veth GRO in r: $([ "${VETH_GRO:-0}" = 1 ] && echo on || echo off)"
echo "responder CPU = utime+stime of the responder process (all threads); CPU-s/GB = responder CPU seconds per 10^9 bytes received by iperf3"
printf '%-18s %-5s | %12s %10s | %12s %10s | %s\n' suite dir "hiked Mbit/s" "CPU-s/GB" "charon Mbit/s" "CPU-s/GB" "hiked/charon CPU per byte"
for s in $SUITES; do for d in $DIRS; do
	awk -v s="$s" -v d="$d" '
	$2 == s && $3 == d { mb[$1] += $4; n[$1]++; cpu[$1] += $5; by[$1] += $6 }
	END {
		for (w in n) { m[w] = mb[w] / n[w]; g[w] = by[w] > 0 ? cpu[w] / (by[w] / 1e9) : 0 }
		ratio = g["charon"] > 0 ? sprintf("%.2f", g["hiked"] / g["charon"]) : "-"
		printf "%-18s %-5s | %12.0f %10.2f | %12.0f %10.2f | %s\n", s, d,
			m["hiked"], g["hiked"], m["charon"], g["charon"], ratio
	}' "$results"
done; done
[ "${PERF:-}" = 1 ] && [ -s "$LAB_DIR/perf.data" ] && {
	echo
	echo "perf (hiked, first suite, $(echo "$DIRS" | cut -d' ' -f1)): top symbols, self time"
	perf report -i "$LAB_DIR/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -25
	cp "$LAB_DIR/perf.data" /tmp/esp_tunnel.perf.data 2>/dev/null &&
		echo "# perf data copied to /tmp/esp_tunnel.perf.data"
}
exit 0
