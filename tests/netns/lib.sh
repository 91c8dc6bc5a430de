# shellcheck shell=bash
# hike's network-namespace lab: a sourced library for end-to-end tests
# (hiked against strongSwan, clusters over corosync).  Everything a test
# starts lives in namespaces named with a per-run prefix, every process it
# starts is recorded by pid, and lab_cleanup (run on EXIT/INT/TERM) kills
# exactly those, deletes the namespaces and the work dir.
#
#   . "$(dirname "$0")/lib.sh"
#   lab_init mytest                       # work dir, prefix, traps
#   lab_ns a; lab_ns b
#   lab_link a eth0 192.0.2.50/24,2001:db8::50/64  b eth0 192.0.2.10/24
#   lab_exec a ping -c1 192.0.2.10
#   check "a reaches b" lab_exec a ping -c1 -W1 192.0.2.10
#   lab_done                              # exit status: 0 iff no "not ok"
#
# Output is TAP without a plan: "ok - name" / "not ok - name", comments
# start with "# ".  Short names (a, b, r1) are what tests use; the real
# namespace is "$LAB_PFX<name>" (lab_nsname prints it).
#
# Knobs (environment): KEEP=1 keeps the work dir even on success (it is
# always kept on failure, unless KEEP=0); LAB_VERBOSE=1 traces commands.
#
# The strongSwan, corosync and capture helpers live in lib_swan.sh,
# lib_corosync.sh and lib_capture.sh next to this file; lib.sh sources
# them.
#
# Index (details above each function):
#   run      lab_init NAME, lab_done, lab_cleanup (EXIT trap), lab_log
#   TAP      ok, not_ok, check NAME CMD..., check_fails NAME CMD..., lab_not CMD...
#   time     lab_now, lab_since T, lab_timing WHAT T, lab_wait_for SECS CMD...
#   procs    lab_start_bg NAME CMD..., lab_start_ns NAME NS CMD..., lab_stop NAME [SIG],
#            lab_alive NAME, lab_pid NAME
#   net      lab_ns NS, lab_exec NS CMD..., lab_nsname NS, lab_router NS,
#            lab_link NS1 IF1 ADDRS1 NS2 IF2 ADDRS2, lab_addr NS IF ADDRS,
#            lab_bridge NS BR [ADDRS], lab_bridge_port NS BR MEMBERNS IF ADDRS,
#            lab_route NS DEST VIA [opts], lab_ping NS DEST [COUNT],
#            lab_ping_bg NAME NS DEST [IV] / lab_ping_stats NAME,
#            lab_mac NS IF, lab_neigh_mac NS IP, lab_garp NS IF IP [COUNT]
#   swan     lab_charon NS [DIR], lab_strongswan_conf DIR [EXTRA],
#            lab_swanctl NS ARGS..., lab_swanctl_conf NS key=value...,
#            lab_swan_initiate NS CHILD [SECS], lab_swan_established NS,
#            lab_swan_spis NS, lab_swan_keys NS [LOG], lab_swan_dir NS
#   corosync lab_corosync_cluster [opts] ID:NS:ADDR..., lab_corosync NS,
#            lab_corosync_conf NS [KEYFILE], lab_corosync_members NS,
#            lab_corosync_quorate NS, lab_corosync_wait_members NS N [SECS]
#   capture  lab_capture NS IF FILE [NAME], lab_capture_stop [NAME]
#   misc     lab_bin NAME (built binaries under $HIKE_BUILD)

LAB_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=$(cd "$LAB_LIBDIR/../.." && pwd)
LAB_BUILD=${HIKE_BUILD:-build}
case $LAB_BUILD in /*) ;; *) LAB_BUILD=$LAB_ROOT/$LAB_BUILD ;; esac

declare -gA LAB_PIDS=()		# name -> pid of background processes
declare -ga LAB_PID_ORDER=()	# names in start order (killed in reverse)
declare -ga LAB_NSES=()		# short namespace names created
LAB_FAILS=0
LAB_PASSES=0
LAB_DIR=
LAB_PFX=
LAB_NAME=

# ---------------------------------------------------------------- basics

lab_log() { echo "# $*"; }
lab_die() { echo "not ok - ${LAB_NAME:-lab}: $*"; LAB_FAILS=$((LAB_FAILS + 1)); exit 1; }

# lab_init NAME: unique work dir and namespace prefix, traps.
lab_init() {
	LAB_NAME=${1:?lab_init NAME}
	[ "$(id -u)" -eq 0 ] || { echo "not ok - $LAB_NAME: needs root"; exit 1; }
	LAB_DIR=$(mktemp -d "/tmp/hike-lab.XXXXXX") || exit 1
	chmod 755 "$LAB_DIR"
	# Short and unique: "h" + 4 hex digits from the work dir + pid.
	local h
	h=$(printf '%s' "$LAB_DIR$$" | md5sum | cut -c1-4)
	LAB_PFX="h$h-"
	while ip netns list 2>/dev/null | grep -q "^$LAB_PFX"; do
		h=$(printf '%04x' $((RANDOM % 65536)))
		LAB_PFX="h$h-"
	done
	trap 'lab_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[ -n "${LAB_VERBOSE:-}" ] && set -x
	lab_log "lab $LAB_NAME: dir $LAB_DIR, namespaces $LAB_PFX*"
	LAB_T0=$(date +%s.%N)
}

# TAP helpers.
ok() { echo "ok - $*"; LAB_PASSES=$((LAB_PASSES + 1)); }
not_ok() { echo "not ok - $*"; LAB_FAILS=$((LAB_FAILS + 1)); }

# check NAME CMD...: run CMD (output to the work dir), ok if it succeeds.
check() {
	local name=$1 out rc
	shift
	out=$LAB_DIR/check.$((LAB_PASSES + LAB_FAILS)).out
	"$@" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "#   command: $* (rc $rc)"
		tail -15 "$out" | sed 's/^/#   | /'
	fi
	return $rc
}

# check_fails NAME CMD...: ok if CMD fails.
check_fails() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then not_ok "$name"; return 1; fi
	ok "$name"
}

# lab_done: end of a test script; exit status says whether all passed.
lab_done() {
	lab_log "$LAB_PASSES passed, $LAB_FAILS failed in $(lab_since "$LAB_T0") s"
	[ "$LAB_FAILS" -eq 0 ]
	exit $?
}

# Timing: t=$(lab_now); ...; lab_timing "what" "$t"  -> "# timing: what 0.123 s"
lab_now() { date +%s.%N; }
lab_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
lab_timing() {
	local d
	d=$(lab_since "$2")
	echo "# timing: $1 $d s"
	echo "$1 $d" >>"$LAB_DIR/timings"
}

# lab_wait_for TIMEOUT CMD...: poll CMD every 0.1 s until it succeeds;
# returns 1 on timeout.  TIMEOUT in seconds (may be fractional).
lab_wait_for() {
	local timeout=$1 end
	shift
	end=$(awk -v t="$timeout" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n + t }')
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		awk -v e="$end" -v n="$(date +%s.%N)" 'BEGIN { exit !(n > e) }' && break
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# lab_not CMD...: negation usable where a command is expected
# (lab_wait_for 5 lab_not lab_corosync_quorate c).
lab_not() { ! "$@"; }

# ---------------------------------------------------------------- processes

# lab_start_bg NAME CMD...: start CMD in the background, output to
# $LAB_DIR/NAME.out; the pid is recorded (LAB_PIDS[NAME]) and printed.
# Use lab_exec/ip netns exec inside CMD to run it in a namespace: ip netns
# exec execs, so the recorded pid is the daemon's own.
lab_start_bg() {
	local name=$1
	shift
	[ -n "${LAB_PIDS[$name]:-}" ] && lab_stop "$name"
	"$@" >"$LAB_DIR/$name.out" 2>&1 </dev/null &
	LAB_PIDS[$name]=$!
	LAB_PID_ORDER+=("$name")
}

lab_pid() { echo "${LAB_PIDS[$1]:-}"; }

# lab_alive NAME: is the recorded process still running?
lab_alive() {
	local pid=${LAB_PIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# lab_stop NAME [SIGNAL]: signal it (default TERM), wait up to 5 s, then
# KILL.  With SIGNAL KILL it is a crash (kill -9) drill.
lab_stop() {
	local name=$1 sig=${2:-TERM} pid i
	pid=${LAB_PIDS[$name]:-}
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	unset "LAB_PIDS[$name]"
	return 0
}

# lab_cleanup: the EXIT trap.  Kills what we started, removes namespaces,
# leaked libqb shm of dead pids, and the work dir.
lab_cleanup() {
	local rc=$? i name pid ns
	trap - EXIT INT TERM
	set +x
	[ "$LAB_FAILS" -gt 0 ] && [ $rc -eq 0 ] && rc=1
	# TERM everything first (reverse start order), then wait, then KILL.
	for ((i = ${#LAB_PID_ORDER[@]} - 1; i >= 0; i--)); do
		pid=${LAB_PIDS[${LAB_PID_ORDER[$i]}]:-}
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	done
	for name in "${!LAB_PIDS[@]}"; do
		pid=${LAB_PIDS[$name]}
		for i in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Whatever still runs inside our own namespaces are children of what
	# we started (dumpcap, updown scripts): end them by pid too.
	for ns in "${LAB_NSES[@]}"; do
		for pid in $(ip netns pids "$LAB_PFX$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ns in "${LAB_NSES[@]}"; do
		ip netns del "$LAB_PFX$ns" 2>/dev/null
	done
	lab_shm_sweep
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ $rc -ne 0 ] && [ "${KEEP:-}" != 0 ]; then
			lab_dump_logs
			echo "# $LAB_NAME failed (rc $rc): logs kept in $LAB_DIR"
		elif [ "${KEEP:-}" = 1 ]; then
			echo "# KEEP=1: logs kept in $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	exit $rc
}

# Tail every log and output file of the run (as TAP comments).
lab_dump_logs() {
	local f
	while IFS= read -r f; do
		[ -s "$f" ] || continue
		echo "# ---- ${f#"$LAB_DIR"/} (last 25 lines)"
		tail -25 "$f" | sed 's/^/#   /'
	done < <(find "$LAB_DIR" -type f \( -name '*.log' -o -name '*.out' \) | sort)
}

# Remove /dev/shm/qb-* (libqb IPC and blackbox, leaked by kill -9) whose
# pids are all dead.  Names look like qb-<pid>-<pid>-<n>-<rand>... (IPC)
# or qb-<name>-<pid>-blackbox-... (logs); entries of live processes (other
# runs, other engineers) are left alone.
lab_shm_sweep() {
	local f base pids p alive
	for f in /dev/shm/qb-*; do
		[ -e "$f" ] || continue
		base=${f##*/qb-}
		if [[ $base =~ ^([0-9]+)-([0-9]+)- ]]; then
			pids="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
		elif [[ $base =~ ^[a-z_]+-([0-9]+)- ]]; then
			pids=${BASH_REMATCH[1]}
		else
			continue
		fi
		alive=0
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && rm -rf "$f"
	done
}

# ---------------------------------------------------------------- namespaces

lab_nsname() { echo "$LAB_PFX$1"; }

# lab_exec NS CMD...: run CMD in namespace NS (short name).
lab_exec() {
	local ns=$1
	shift
	ip netns exec "$LAB_PFX$ns" "$@"
}

# lab_ns NAME: create a namespace with lo up, IPv6 DAD off (addresses
# usable at once), ping allowed for root.
lab_ns() {
	local ns=$1 full=$LAB_PFX$1
	ip netns add "$full" || lab_die "ip netns add $full"
	LAB_NSES+=("$ns")
	ip -n "$full" link set lo up
	lab_exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.keep_addr_on_down=1 2>/dev/null
	mkdir -p "$LAB_DIR/$ns"
}

# lab_router NS: enable IPv4 and IPv6 forwarding in NS.
lab_router() {
	lab_exec "$1" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
}

# lab_addr NS IF ADDRS: add comma-separated addresses ("-" for none).
lab_addr() {
	local ns=$1 ifc=$2 a
	[ "${3:--}" = - ] && return 0
	for a in ${3//,/ }; do
		case $a in
		*:*) ip -n "$LAB_PFX$ns" -6 addr add "$a" dev "$ifc" nodad ;;
		*) ip -n "$LAB_PFX$ns" addr add "$a" dev "$ifc" ;;
		esac || lab_die "addr $a on $ns/$ifc"
	done
}

# lab_link NS1 IF1 ADDRS1 NS2 IF2 ADDRS2: a veth pair between two
# namespaces, both ends up; ADDRS are comma-separated CIDRs or "-".
lab_link() {
	local n1=$1 i1=$2 a1=$3 n2=$4 i2=$5 a2=$6
	ip link add "$i1" netns "$LAB_PFX$n1" type veth peer name "$i2" \
		netns "$LAB_PFX$n2" || lab_die "veth $n1/$i1 - $n2/$i2"
	lab_addr "$n1" "$i1" "$a1"
	lab_addr "$n2" "$i2" "$a2"
	ip -n "$LAB_PFX$n1" link set "$i1" up
	ip -n "$LAB_PFX$n2" link set "$i2" up
}

# lab_bridge NS BR [ADDRS]: a bridge (one L2 segment) inside NS, e.g. in
# the outside router's namespace; attach members with lab_bridge_port.
# STP off and no forward delay: ports forward at once, so a virtual IP
# can move between members with a gratuitous ARP.
lab_bridge() {
	local ns=$1 br=$2
	ip -n "$LAB_PFX$ns" link add "$br" type bridge stp_state 0 \
		forward_delay 0 || lab_die "bridge $ns/$br"
	lab_addr "$ns" "$br" "${3:--}"
	ip -n "$LAB_PFX$ns" link set "$br" up
}

# lab_bridge_port NS BR MEMBERNS IF ADDRS: veth from MEMBERNS (named IF
# there, with ADDRS) into bridge BR of NS (port named p-MEMBERNS-IF,
# truncated to 15 characters).
lab_bridge_port() {
	local ns=$1 br=$2 mns=$3 ifc=$4 addrs=$5 port
	port="p${mns}${ifc}"
	port=${port:0:15}
	lab_link "$ns" "$port" - "$mns" "$ifc" "$addrs"
	ip -n "$LAB_PFX$ns" link set "$port" master "$br" ||
		lab_die "port $port into $br"
}

# lab_route NS DEST VIA [ip route options...]: "default" works as DEST.
lab_route() {
	local ns=$1 dest=$2 via=$3 fam=-4
	shift 3
	case $via in *:*) fam=-6 ;; esac
	ip -n "$LAB_PFX$ns" $fam route add "$dest" via "$via" "$@" ||
		lab_die "route $dest via $via in $ns"
}

# lab_ping NS DEST [COUNT]: quiet ping with a 1 s deadline per packet.
lab_ping() {
	lab_exec "$1" ping -q -n -c "${3:-1}" -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# lab_bin NAME: path of a built binary (hiked, hikectl), HIKE_BUILD aware.
lab_bin() { echo "$LAB_BUILD/$1"; }

# lab_start_ns NAME NS CMD...: start a daemon in NS (recorded as NAME)
# with a private /run: $LAB_DIR/NS/run, shared by every lab_start_ns
# daemon of NS (charon and corosync have their own).  From outside, reach
# its sockets under $LAB_DIR/NS/run/.
lab_start_ns() {
	local name=$1 ns=$2 run=$LAB_DIR/$2/run
	shift 2
	mkdir -p "$run"
	lab_start_bg "$name" ip netns exec "$LAB_PFX$ns" sh -c \
		'mount --bind "$0" /run && exec "$@"' "$run" "$@"
}

# lab_ping_bg NAME NS DEST [INTERVAL]: a continuous ping (default every
# 10 ms) for failover drills; lab_ping_stats NAME stops it and prints
# "sent received lost outage_ms" (outage = lost * interval).
lab_ping_bg() {
	local name=$1 ns=$2 dest=$3 iv=${4:-0.01}
	LAB_PING_IV[$name]=$iv
	lab_start_bg "$name" ip netns exec "$LAB_PFX$ns" ping -n -i "$iv" -W 1 "$dest"
}
declare -gA LAB_PING_IV=()
lab_ping_stats() {
	local name=$1 tx rx
	lab_stop "$name" INT
	read -r tx rx < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) \(packets \)\{0,1\}received.*/\1 \2/p' \
		"$LAB_DIR/$name.out")
	tx=${tx:-0} rx=${rx:-0}
	awk -v t="$tx" -v r="$rx" -v i="${LAB_PING_IV[$name]}" \
		'BEGIN { printf "%d %d %d %.0f\n", t, r, t - r, (t - r) * i * 1000 }'
}

# lab_ping_lost NAME: "answered highest lost" of a background ping (stop
# it first): lost = echo requests below the highest answered one that got
# no reply (ping's own count also includes the request in flight when it
# is stopped).
lab_ping_lost() {
	grep -o 'icmp_seq=[0-9]*' "$LAB_DIR/$1.out" | cut -d= -f2 | sort -nu |
		awk '{ n++; m = $1 } END { printf "%d %d %d\n", n, m, m - n }'
}

# shellcheck source=lib_swan.sh
. "$LAB_LIBDIR/lib_swan.sh"
# shellcheck source=lib_hiked.sh
. "$LAB_LIBDIR/lib_hiked.sh"
# shellcheck source=lib_corosync.sh
. "$LAB_LIBDIR/lib_corosync.sh"
# shellcheck source=lib_cluster.sh
. "$LAB_LIBDIR/lib_cluster.sh"
# shellcheck source=lib_capture.sh
. "$LAB_LIBDIR/lib_capture.sh"

# lab_mac NS IF: the interface's MAC address.
lab_mac() { ip -n "$LAB_PFX$1" -br link show "$2" | awk '{ print $3 }'; }

# lab_garp NS IF IP [COUNT]: send gratuitous ARP replies for IP from IF
# (what a node taking over a virtual IP does; iputils-arping is not in
# the package set, so scapy).
lab_garp() {
	lab_exec "$1" /usr/bin/python3 -c "
import logging; logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
from scapy.all import Ether, ARP, sendp, get_if_hwaddr
mac = get_if_hwaddr('$2')
p = Ether(src=mac, dst='ff:ff:ff:ff:ff:ff') / ARP(op=2, hwsrc=mac, psrc='$3', hwdst='ff:ff:ff:ff:ff:ff', pdst='$3')
sendp(p, iface='$2', count=${4:-1}, verbose=False)
"
}

# lab_neigh_mac NS IP: the MAC NS's neighbour table holds for IP (empty if none).
lab_neigh_mac() {
	ip -n "$LAB_PFX$1" neigh show "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'
}
