# A hike pair in the lab (sourced after lib.sh): the topology shared by the
# failover tests and the demo.
#
#   hi 203.0.113.130 -- i (strongSwan) 192.0.2.50 --[sw:br0 192.0.2.0/24]-- n1 .11 / n2 .12  (VIP 192.0.2.10)
#                                                   [sw:sy0 198.51.100.0/24]  n1 .1 / n2 .2   (corosync)
#                        hr 203.0.113.2 ----------[sw:br1 203.0.113.0/25]---- n1 .11 / n2 .12 (VIP 203.0.113.1)
#
#   lab_pair_net                 namespaces, bridges, addresses, routes
#   lab_pair_conf NODE PRIO      write $LAB_DIR/NODE.yaml (dpd_delay from
#                                LAB_PAIR_DPD_<node> or LAB_PAIR_DPD, 30s;
#                                LAB_PAIR_CONF_EXTRA appended: more
#                                connections, list items indented 2)
#   lab_pair_start [NODES]       corosync on every node, then hiked (n1 first);
#                                priorities LAB_PAIR_PRIO (200), then 100 less
#                                for each next node
#   lab_trio_net / lab_trio_start   the same with three nodes n1 n2 n3
#                                (priorities 300/200/100, no two_node,
#                                token_coefficient 0: LAB.md); sets
#                                LAB_PAIR_NODES for lab_active
#   lab_pair_swan [ARGS]         strongSwan initiator config "ha" (PSK, gcm)
#   lab_role NODE                "active" / "standby" / ... from hikectl status
#   lab_active                   the node whose hiked is active (or "")
LAB_PAIR_PSK=lab-pair-psk-0123456789

lab_pair_net() {
	local nodes=${1:-n1 n2} n=0 x
	lab_ns sw; lab_ns i; lab_ns hi; lab_ns hr
	for x in $nodes; do lab_ns "$x"; done
	lab_bridge sw br0
	lab_bridge sw sy0
	lab_bridge sw br1
	lab_bridge_port sw br0 i eth0 192.0.2.50/24
	lab_bridge_port sw br1 hr eth0 203.0.113.2/25
	for x in $nodes; do
		n=$((n + 1))
		lab_bridge_port sw br0 "$x" eth0 "192.0.2.1$n/24"
		lab_bridge_port sw sy0 "$x" sync0 "198.51.100.$n/24"
		lab_bridge_port sw br1 "$x" in0 "203.0.113.1$n/25"
		lab_router "$x"
	done
	lab_link hi eth0 203.0.113.130/25 i in0 203.0.113.129/25
	lab_router i
	lab_route hi default 203.0.113.129
	lab_route hr default 203.0.113.1
}

lab_pair_conf() {
	local node=$1 prio=$2 dpd=LAB_PAIR_DPD_$1
	dpd=${!dpd:-${LAB_PAIR_DPD:-30s}}
	cat >"$LAB_DIR/$node.yaml" <<Y
node:
  name: $node
  priority: $prio
log:
  keylog: $LAB_DIR/$node-ike-keys.txt
ctl:
  socket: $(lab_hiked_sock "$node")
ike:
  retransmit_base: 500ms
sync:
  mode: corosync
  cluster: hike-lab
  group: hike
  counter_packets: ${LAB_PAIR_COUNTER_PACKETS:-256}
  counter_ms: 100ms
  vips:
    - { address: 192.0.2.10/24, dev: eth0 }
    - { address: 203.0.113.1/25, dev: in0 }
connections:
  - name: site
    local_addrs: [192.0.2.10]
    remote_addrs: [192.0.2.50]
    local_id: 192.0.2.10
    remote_id: 192.0.2.50
    auth: psk
    psk: "$LAB_PAIR_PSK"
    ike_proposals: [aes256gcm16-prfsha256-x25519]
    esp_proposals: [aes256gcm16]
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
    dpd_delay: $dpd
${LAB_PAIR_CONF_EXTRA:-}
Y
}

lab_pair_start() {
	local nodes=${1:-n1 n2} spec=() n=0 x prio=${LAB_PAIR_PRIO:-200}
	for x in $nodes; do
		n=$((n + 1))
		spec+=("$n:$x:198.51.100.$n")
	done
	lab_corosync_cluster "${spec[@]}"
	for x in $nodes; do lab_corosync "$x"; done
	for x in $nodes; do
		lab_corosync_wait_members "$x" "$n" 15 || return 1
	done
	for x in $nodes; do
		lab_pair_conf "$x" "$prio"
		prio=$((prio - 100))
		lab_hiked "$x" "$LAB_DIR/$x.yaml" || return 1
		lab_wait_for 10 lab_has_role "$x" || return 1
	done
}

lab_pair_swan() {
	lab_charon i
	lab_swanctl_conf i conn=ha local_addrs=192.0.2.50 remote_addrs=192.0.2.10 \
		local_id=192.0.2.50 remote_id=192.0.2.10 psk="$LAB_PAIR_PSK" \
		proposals=aes256gcm16-prfsha256-x25519 esp_proposals=aes256gcm16 \
		local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25 "$@"
	lab_swanctl i --load-all >/dev/null
}

# the node took a role: active, or an in-sync standby
lab_has_role() { case "$(lab_role "$1")" in active|standby) return 0 ;; esac; return 1; }
lab_role() { lab_hikectl "$1" --json status 2>/dev/null | jq -r .role; }
lab_active() {
	local x
	for x in ${LAB_PAIR_NODES:-n1 n2}; do
		[ "$(lab_role "$x")" = active ] && { echo "$x"; return 0; }
	done
	echo ""
}

lab_trio_net() { lab_pair_net "n1 n2 n3"; }
lab_trio_start() {
	LAB_PAIR_NODES="n1 n2 n3"
	LAB_PAIR_PRIO=300 lab_pair_start "n1 n2 n3"
}
