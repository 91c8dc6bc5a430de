#!/usr/bin/env bash
# Proves the cluster parts of the lab harness with real daemons only:
# a switch namespace with two bridges (outside 192.0.2.0/24 with a router
# address, sync 198.51.100.0/24), three nodes on both, a virtual IP that
# moves between nodes with a gratuitous ARP, and a three-node corosync
# (token 300 ms, knet pings, token_coefficient 0) where an isolated node
# loses quorum and the other two keep it.
. "$(dirname "$0")/lib.sh"
lab_init lab_cluster

lab_ns sw; lab_ns a; lab_ns b; lab_ns c
lab_bridge sw br0 192.0.2.1/24,2001:db8::1/64
lab_bridge sw sy0
n=0
for x in a b c; do
	n=$((n + 1))
	lab_bridge_port sw br0 $x eth0 192.0.2.1$n/24,2001:db8::1$n/64
	lab_bridge_port sw sy0 $x sync0 198.51.100.$n/24
done
for n in 1 2 3; do
	check "bridge: router reaches 192.0.2.1$n" lab_ping sw 192.0.2.1$n
done
check "bridge: IPv6 across the segment" lab_ping a 2001:db8::13
check "sync bridge: a reaches c" lab_ping a 198.51.100.3

# --- a virtual IP moves from a to b
lab_addr a eth0 192.0.2.10/32
check "VIP on a answers" lab_ping sw 192.0.2.10
check "router learnt a's MAC for the VIP" test "$(lab_neigh_mac sw 192.0.2.10)" = "$(lab_mac a eth0)"
ip -n "$(lab_nsname a)" addr del 192.0.2.10/32 dev eth0
lab_addr b eth0 192.0.2.10/32
sleep 1.1	# neigh locktime (1 s): an update sooner after the last is ignored
t=$(lab_now)
check "gratuitous ARP sent from b" lab_garp b eth0 192.0.2.10
neigh_is_b() { [ "$(lab_neigh_mac sw 192.0.2.10)" = "$(lab_mac b eth0)" ]; }
check "router now maps the VIP to b's MAC" lab_wait_for 2 neigh_is_b
lab_timing "VIP move a -> b (GARP incl. ~0.8 s scapy start)" "$t"
check "VIP on b answers" lab_ping sw 192.0.2.10

# --- three-node corosync
lab_corosync_cluster 1:a:198.51.100.1 2:b:198.51.100.2 3:c:198.51.100.3
t=$(lab_now)
lab_corosync a; lab_corosync b; lab_corosync c
for x in a b c; do
	check "corosync: $x sees 3 members" lab_corosync_wait_members $x 3 10
done
lab_timing "three-node corosync formed" "$t"
check "corosync: no two_node with three nodes" sh -c \
	"! grep -q two_node $LAB_DIR/a/corosync/corosync.conf"
t=$(lab_now)
ip -n "$(lab_nsname c)" link set sync0 down
check "isolated c: a sees 2 members" lab_corosync_wait_members a 2 5
lab_timing "three-node corosync: isolation detected" "$t"
check "isolated c: a stays quorate" lab_corosync_quorate a
check "isolated c: b stays quorate" lab_corosync_quorate b
check "isolated c: c loses quorum" lab_wait_for 5 lab_not lab_corosync_quorate c
ip -n "$(lab_nsname c)" link set sync0 up
t=$(lab_now)
check "c rejoins: a sees 3 members" lab_corosync_wait_members a 3 10
lab_timing "three-node corosync: rejoin after the link is back" "$t"
check "c rejoins: c quorate" lab_wait_for 5 lab_corosync_quorate c

lab_done
