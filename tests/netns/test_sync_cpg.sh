#!/usr/bin/env bash
# sync/transport_cpg.c over real corosync: two namespaces on the sync
# network 198.51.100.0/24, one corosync each (two_node, token 300 ms with
# knet pings, LAB.md), and in each a probe (test_transport_cpg --probe)
# that joins the CPG group through the transport, multicasts numbered
# messages in agreed order, and must see the configuration change when
# the other node's corosync is killed with -9.
. "$(dirname "$0")/lib.sh"
lab_init sync_cpg

PROBE=$(lab_bin tests/sync/test_transport_cpg)
COUNT=2000
[ -x "$PROBE" ] || lab_die "missing $PROBE (build first)"

lab_ns n1; lab_ns n2
lab_link n1 sync0 198.51.100.1/24 n2 sync0 198.51.100.2/24
check "sync network: n1 reaches n2" lab_ping n1 198.51.100.2

lab_corosync_cluster 1:n1:198.51.100.1 2:n2:198.51.100.2
lab_corosync n1; lab_corosync n2
check "corosync: n1 sees 2 members" lab_corosync_wait_members n1 2 15
check "corosync: n2 sees 2 members" lab_corosync_wait_members n2 2 15

for n in n1 n2; do
	lab_start_bg "probe-$n" ip netns exec "$(lab_nsname $n)" \
		"$PROBE" --probe 2 $COUNT "$LAB_DIR/$n.order"
done
delivered() { grep -q '^delivered' "$LAB_DIR/probe-$1.out"; }
t=$(lab_now)
check "cpg: n1 got all $((2 * COUNT)) messages" lab_wait_for 40 delivered n1
check "cpg: n2 got all $((2 * COUNT)) messages" lab_wait_for 40 delivered n2
lab_timing "cpg: $((2 * COUNT)) messages delivered to both" "$t"
check "cpg: agreed order identical on both nodes" \
	cmp "$LAB_DIR/n1.order" "$LAB_DIR/n2.order"
check "cpg: every message delivered exactly once" sh -c \
	"[ \$(sort -u '$LAB_DIR/n1.order' | wc -l) -eq $((2 * COUNT)) ]"
check "cpg: both senders interleaved in one stream" sh -c \
	"grep -q '^1 ' '$LAB_DIR/n1.order' && grep -q '^2 ' '$LAB_DIR/n1.order'"

t=$(lab_now)
lab_stop corosync-n2 KILL
left_seen() { grep -q '^left 2' "$LAB_DIR/probe-n1.out"; }
check "kill -9 of n2's corosync: n1's probe sees node 2 leave" \
	lab_wait_for 10 left_seen
lab_timing "cpg: confchg after kill -9 of the peer's corosync" "$t"
probe_ok() { ! lab_alive probe-n1 && wait "$(lab_pid probe-n1)"; }
check "probe on n1 exits 0 (own messages in order, no bad message)" \
	lab_wait_for 5 probe_ok
lab_stop probe-n2
lab_done
