#!/usr/bin/env bash
# IKE handshake load: ike_load (an IKEv2 initiator built from hike's codec
# and crypto) opens N IKE SAs + Child SAs (PSK, aes256gcm16-prfsha256-x25519)
# against hiked, then against strongSwan's charon (kernel-libipsec) as the
# responder, in the same namespaces and the same run.  Prints a side-by-side
# table: handshakes/s, responder CPU ms per handshake, responder memory per
# SA (RSS delta / N).  A benchmark: it prints figures, asserts nothing.
#
#   l (ike_load) 192.0.2.50 + 192.0.2.100-199 ==== 192.0.2.10 r (responder)
#
#   tests/bench/ike_load.sh                 # N=1000
#   N=10000 tests/bench/ike_load.sh
#   N=5000 WINDOW=128 ROUNDS=2 RESPONDERS="hiked charon" tests/bench/ike_load.sh
#
# Knobs: HIKE_BUILD (default build: hiked and bench/ike_load), N, WINDOW
# (handshakes in flight, 64), NSRC (source addresses, 100), PORTS (sockets
# per address, 4), TIMEOUT_MS (first retransmit, 1000), MAX_S (per
# responder, 170), ROUNDS, RESPONDERS (hiked charon), PERF=1 (perf record
# -g hiked during its first run), KEEP=1, BENCH_CHARON_LOG (charon's
# log levels, default all 0), HIKED_LOG (warn), HIKED_AUTH (psk; rsa or
# ecdsa: hiked signs its AUTH with tests/fixtures/certs/gw-*.key, the
# initiator still uses its PSK and verifies hiked's chain and signature;
# hiked only), HIKED_BIN (default \$HIKE_BUILD/hiked: to compare builds).
. "$(dirname "$0")/../netns/lib.sh"

N=${N:-1000}
WINDOW=${WINDOW:-64}
NSRC=${NSRC:-100}
PORTS=${PORTS:-4}
TIMEOUT_MS=${TIMEOUT_MS:-1000}
MAX_S=${MAX_S:-170}
ROUNDS=${ROUNDS:-1}
HIKED_AUTH=${HIKED_AUTH:-psk}
RESPONDERS=${RESPONDERS:-hiked charon}
[ "$HIKED_AUTH" = psk ] || RESPONDERS=hiked
CERTS=$(cd "$(dirname "$0")/../fixtures/certs" && pwd)
PSK=bench-load-psk-0123456789

LOAD=$(lab_bin bench/ike_load)
for b in hiked bench/ike_load; do
	[ -x "$(lab_bin $b)" ] || { echo "# $(lab_bin $b) not built (make B=... all, or HIKE_BUILD=...)"; exit 1; }
done
[ "$NSRC" -le 155 ] || { echo "# NSRC at most 155 (192.0.2.100-254)"; exit 1; }
lab_init ike_load
# shellcheck disable=SC2034 # read by lib_swan.sh
LAB_CHARON_LOG=${BENCH_CHARON_LOG:-"default 0 ike 0 cfg 0 net 0 enc 0 knl 0 lib 0 chd 0"}

lab_ns l; lab_ns r
lab_link l eth0 192.0.2.50/24 r eth0 192.0.2.10/24
for i in $(seq 0 $((NSRC - 1))); do
	echo "addr add 192.0.2.$((100 + i))/24 dev eth0"
done | ip -n "$(lab_nsname l)" -batch - || lab_die "source addresses"
# an address inside the responder's local TS: charon's kernel-libipsec
# routes need one (hiked does not)
lab_addr r lo 203.0.113.1/32

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
  - name: load
    local_addrs: [192.0.2.10]
$(if [ "$HIKED_AUTH" = psk ]; then
	echo "    local_id: 192.0.2.10"
else
	echo "    local_id: gw.hike.test"
	echo "    local_auth: pubkey"
	echo "    remote_auth: psk"
	echo "    cert: $CERTS/gw-$HIKED_AUTH-chain.pem"
	echo "    key: $CERTS/gw-$HIKED_AUTH.key"
fi)
    psk: "$PSK"
    ike_proposals: [aes256gcm16-prfsha256-x25519]
    esp_proposals: [aes256gcm16]
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
    dpd_delay: 0
Y

start_hiked() {
	lab_start_ns hiked r "${HIKED_BIN:-$(lab_bin hiked)}" -f -c "$hiked_conf" -d "${HIKED_LOG:-warn}"
	lab_wait_for 5 test -S "$(lab_hiked_sock r)" ||
		lab_die "hiked did not start: $(tail -5 "$LAB_DIR/hiked.out")"
	RESP_PID=$(lab_pid hiked)
}
count_hiked() {
	lab_hikectl r --json status | jq -r '"\(.ike_sas) IKE SAs, \(.child_sas) Child SAs, \(.half_open) half-open; non-zero drops: \([.counters // {} | to_entries[] | select((.key | test("drop")) and .value > 0) | "\(.key)=\(.value)"] | join(" "))"'
}
stop_hiked() { lab_stop hiked; }

# charon: a PSK connection for any initiator ID from any address (its own
# ID defaults to its address; a secret without IDs, since IKE_AUTH carries
# no IDr and charon looks the key up as %any - IDi), its
# hash table raised, no cookies or per-IP blocking below the window.
lab_strongswan_conf "$LAB_DIR/r/charon" "	ikesa_table_size = 16384
	ikesa_table_segments = 16
	cookie_threshold = 1000000
	block_threshold = 1000000
	init_limit_half_open = 0"
lab_swanctl_conf r conn=load local_addrs=192.0.2.10 remote_addrs=%any \
	psk=$PSK proposals=aes256gcm16-prfsha256-x25519 \
	esp_proposals=aes256gcm16 local_ts=203.0.113.0/25 remote_ts=203.0.113.128/25
start_charon() {
	lab_charon r
	lab_swanctl r --load-all >/dev/null || lab_die "swanctl --load-all in r"
	RESP_PID=$(lab_pid charon-r)
}
count_charon() { lab_swanctl r --stats | grep -E 'IKE_SAs:' | sed 's/^ *//'; }
stop_charon() { lab_stop charon-r; }

# udp_rcv_errors NS: the namespace's UDP RcvbufErrors so far.
udp_rcv_errors() {
	lab_exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "RcvbufErrors") print $i }' /proc/net/snmp
}

ca_opt=
[ "$HIKED_AUTH" = psk ] || ca_opt="-C $CERTS/ca.crt"
results=$LAB_DIR/results
: >"$results"
for round in $(seq "$ROUNDS"); do
	for who in $RESPONDERS; do
		"start_$who"
		sleep 0.5
		perf_pid=
		if [ "${PERF:-}" = 1 ] && [ "$who" = hiked ] && [ -z "${perf_done:-}" ]; then
			perf_done=1
			perf record -g -o "$LAB_DIR/perf.data" -p "$RESP_PID" \
				>"$LAB_DIR/perf.out" 2>&1 &
			perf_pid=$!
			sleep 0.5
		fi
		lab_exec l "$LOAD" -r 192.0.2.10 -s 192.0.2.100 -a "$NSRC" -p "$PORTS" \
			-n "$N" -w "$WINDOW" -t "$TIMEOUT_MS" -T "$MAX_S" -P "$RESP_PID" \
			-k "$PSK" -L "$who" $ca_opt >"$LAB_DIR/load.$who.$round.out" 2>&1
		[ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid"; }
		grep '^#' "$LAB_DIR/load.$who.$round.out" | grep -v '^# ike_load:'
		grep '^RESULT' "$LAB_DIR/load.$who.$round.out" >>"$results" ||
			lab_log "$who: no result: $(tail -3 "$LAB_DIR/load.$who.$round.out")"
		lab_log "$who says: $("count_$who")"
		lab_log "UDP receive errors (buffer overflows) initiator: $(udp_rcv_errors l), responder: $(udp_rcv_errors r)"
		"stop_$who"
	done
done

echo
echo "IKE load: $N IKE SAs + Child SAs (initiator PSK, responder $HIKED_AUTH, aes256gcm16-prfsha256-x25519, esp aes256gcm16), window $WINDOW, $NSRC source addresses x $PORTS ports, $(nproc) cores shared by initiator and responder, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CPU ms/hs: the responder's threads together; loop ms/hs: its main thread alone (hiked's event loop: its ceiling is 1000 / that handshakes/s, the rest runs on worker threads)"
printf '%-8s | %8s %6s %6s | %12s %10s %10s | %12s %10s | %s\n' responder ok fail retx "handshakes/s" "CPU ms/hs" "loop ms/hs" "bytes/SA" "p99 ms" "initiator CPU s"
awk '
{
	who = $2
	for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "%-8s | %8d %6d %6d | %12.0f %10.3f %10.3f | %12.0f %10.1f | %s\n", who,
		v["ok"], v["fail"], v["retx"], v["hs_per_s"], v["cpu_ms_per_hs"], v["loop_cpu_ms_per_hs"],
		v["bytes_per_sa"], v["p99_ms"], v["ini_cpu_s"]
}' "$results"
[ "${PERF:-}" = 1 ] && [ -s "$LAB_DIR/perf.data" ] && {
	echo
	echo "perf (hiked): top symbols, self time"
	perf report -i "$LAB_DIR/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -25
}
exit 0
