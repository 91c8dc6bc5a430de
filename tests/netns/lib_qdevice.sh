# shellcheck shell=bash
# corosync-qnetd (the arbiter) and corosync-qdevice (its client on every
# node) in the lab; sourced after lib.sh by the tests that use them.
#
#   lab_qnetd q 192.0.2.60                 CA + server certificate, start qnetd
#   lab_qdevice_certs q hike-lab n1 n2     cluster certificate on every node
#   lab_qdevice_conf n1 192.0.2.60         corosync.conf: no two_node, a
#                                          device { model: net } (ffsplit, TLS)
#   lab_qdevice n1                         start corosync-qdevice in n1
#
# The certutil scripts and both daemons use fixed paths (/etc/corosync/
# qnetd, /etc/corosync/qdevice/net, /run/corosync-q*): every namespace
# gets its own by bind mounts inside `ip netns exec` (a private mount
# namespace), as lib_corosync.sh does for /run.  Timeouts are shortened
# (device timeout 1 s, sync_timeout 2 s) so that a partition is decided in
# about the time corosync's own token takes.

lab_qd_dir() { echo "$LAB_DIR/$1/qd"; }

LAB_QD_SH='mount --bind "$0/etc" /etc/corosync && mount --bind "$0/run" /run && exec "$@"'

# lab_qd_exec NS CMD...: CMD in NS with NS's private /etc/corosync and /run.
lab_qd_exec() {
	local ns=$1 d
	shift
	d=$(lab_qd_dir "$ns")
	mkdir -p "$d/etc" "$d/run"
	ip netns exec "$LAB_PFX$ns" sh -c "$LAB_QD_SH" "$d" "$@"
}

# lab_qd_start NAME NS CMD...: the same as a recorded background process
# (ip netns exec and sh exec, so the recorded pid is the daemon's).
lab_qd_start() {
	local name=$1 ns=$2 d
	shift 2
	d=$(lab_qd_dir "$ns")
	mkdir -p "$d/etc" "$d/run"
	lab_start_bg "$name" ip netns exec "$LAB_PFX$ns" sh -c "$LAB_QD_SH" "$d" "$@"
}

# lab_qnetd NS ADDR: initialise the qnetd CA and start corosync-qnetd.
lab_qnetd() {
	local ns=$1 addr=$2
	lab_qd_exec "$ns" corosync-qnetd-certutil -i -G >"$LAB_DIR/qnetd-certutil.out" 2>&1 ||
		lab_die "qnetd certutil -i: $(tail -3 "$LAB_DIR/qnetd-certutil.out")"
	lab_qd_start "qnetd-$ns" "$ns" corosync-qnetd -f -l "$addr"
	lab_wait_for 10 lab_exec "$ns" sh -c "ss -ltn | grep -q '$addr:5403 '" ||
		lab_die "corosync-qnetd did not listen (see $LAB_DIR/qnetd-$ns.out)"
}

# lab_qdevice_certs QNS CLUSTER NODE...: the documented certificate flow:
# every node trusts qnetd's CA; the first node makes the cluster's
# certificate request, qnetd signs it, the first node exports it with its
# key (pk12) and the others import that.
lab_qdevice_certs() {
	local q=$1 cluster=$2 first=$3 n qd nd
	shift 2
	qd=$(lab_qd_dir "$q")/etc/qnetd/nssdb
	for n in "$@"; do
		nd=$(lab_qd_dir "$n")/etc/qdevice/net
		mkdir -p "$nd"
		lab_qd_exec "$n" corosync-qdevice-net-certutil -i -c "$qd/qnetd-cacert.crt" || return 1
	done
	nd=$(lab_qd_dir "$first")/etc/qdevice/net/nssdb
	lab_qd_exec "$first" corosync-qdevice-net-certutil -r -n "$cluster" || return 1
	lab_qd_exec "$q" corosync-qnetd-certutil -s -c "$nd/qdevice-net-node.crq" -n "$cluster" || return 1
	lab_qd_exec "$first" corosync-qdevice-net-certutil -M -c "$qd/cluster-$cluster.crt" || return 1
	for n in "$@"; do
		[ "$n" = "$first" ] && continue
		lab_qd_exec "$n" corosync-qdevice-net-certutil -m -c "$nd/qdevice-net-node.p12" || return 1
	done
}

# lab_qdevice_conf NS QNETD_ADDR: rewrite NS's corosync.conf quorum block
# (written by lab_corosync_conf) for a quorum device.  two_node goes:
# votequorum refuses it together with a device.
lab_qdevice_conf() {
	local ns=$1 addr=$2 f
	f=$(lab_corosync_dir "$ns")/corosync.conf
	[ -f "$f" ] || lab_corosync_conf "$ns"
	sed -i '/two_node:/d' "$f"
	sed -i '/provider: corosync_votequorum/a\
	device {\
		model: net\
		votes: 1\
		timeout: 1000\
		sync_timeout: 2000\
		net {\
			host: '"$addr"'\
			algorithm: ffsplit\
			tie_breaker: lowest\
			tls: on\
		}\
	}' "$f"
}

# lab_qdevice NS: start corosync-qdevice in NS (after its corosync).
lab_qdevice() {
	local ns=$1
	lab_qd_start "qdevice-$ns" "$ns" corosync-qdevice -f
	lab_wait_for 10 lab_qdevice_connected "$ns" ||
		lab_die "corosync-qdevice in $ns did not connect (see $LAB_DIR/qdevice-$ns.out)"
}

# lab_qdevice_connected NS: qdevice in NS reports its qnetd connection.
lab_qdevice_connected() {
	lab_qd_exec "$1" corosync-qdevice-tool -s 2>/dev/null | grep -q 'State:[[:space:]]*Connected'
}

# lab_votes NS: "expected total" votes as NS's votequorum sees them.
lab_votes() {
	lab_exec "$1" corosync-quorumtool -s 2>/dev/null |
		awk '/^Expected votes:/ { e = $3 } /^Total votes:/ { t = $3 } END { print e + 0, t + 0 }'
}
