#!/usr/bin/env bash
# hiked as the responder against strongSwan 5.9.8, the rest of the matrix:
# a virtual IP from a pool, an initiator behind a real NAT (nftables
# masquerade with random ports), cookies on for every IKE_SA_INIT
# (cookie_threshold 0), a retransmitted IKE_AUTH answered from the cache,
# hiked deleting (the old SAs after its own IKE and Child rekeys) and
# strongSwan's DPD answered.  Checked on both sides.
#
#            i (strongSwan) 192.0.2.50 ==== 192.0.2.10 site (DPD from strongSwan)
#                                           192.0.2.11 rw (virtual IP pool)
#                                           192.0.2.12 retx (first IKE_AUTH answer dropped)
#                                           192.0.2.13 short (hiked rekeys after 30 s)
#   ni (strongSwan) 198.51.100.130 -- n (NAT) 198.51.100.2 ==== 198.51.100.1 nat
#                                           r (hiked) -- hr 203.0.113.2
. "$(dirname "$0")/lib.sh"
lab_init responder-more

lab_ns i; lab_ns ni; lab_ns n; lab_ns r; lab_ns hr
lab_link i eth0 192.0.2.50/24 r eth0 192.0.2.10/24,192.0.2.11/24,192.0.2.12/24,192.0.2.13/24
lab_link n eth0 198.51.100.2/25 r eth1 198.51.100.1/25
lab_link ni eth0 198.51.100.130/25 n in0 198.51.100.129/25
lab_link r in0 203.0.113.1/25 hr eth0 203.0.113.2/25
lab_router n; lab_router r
# strongSwan installs a route per Child SA with a source address from its
# local selector: give it one for each
lab_addr i lo 203.0.113.133/32,203.0.113.134/32,203.0.113.135/32
lab_route ni default 198.51.100.129
lab_route hr default 203.0.113.1
# the NAT: masquerade with random source ports, so hiked must answer to
# the translated port
lab_exec n nft -f - <<'EOF'
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade random
	}
}
EOF

PSK=lab-psk-more-0123456789
conf=$LAB_DIR/hiked.yaml
cat >"$conf" <<Y
node:
  name: gw1
log:
  keylog: $LAB_DIR/ike-keys.txt
ike:
  retransmit_base: 500ms
  cookie_threshold: 0
ctl:
  socket: $(lab_hiked_sock r)
connections:
  - name: site
    local_addrs: [192.0.2.10]
    remote_addrs: [192.0.2.50]
    remote_id: 192.0.2.50
    psk: "$PSK"
    local_ts: [203.0.113.5/32]
    remote_ts: [203.0.113.133/32]
    dpd_delay: 0
  - name: rw
    local_addrs: [192.0.2.11]
    remote_id: rw.hike.test
    psk: "$PSK"
    local_ts: [203.0.113.0/25]
    pools: [203.0.113.200-203.0.113.207]
    dpd_delay: 0
  - name: retx
    local_addrs: [192.0.2.12]
    remote_addrs: [192.0.2.50]
    remote_id: 192.0.2.50
    psk: "$PSK"
    local_ts: [203.0.113.6/32]
    remote_ts: [203.0.113.134/32]
    dpd_delay: 0
  - name: short
    local_addrs: [192.0.2.13]
    remote_addrs: [192.0.2.50]
    remote_id: 192.0.2.50
    psk: "$PSK"
    local_ts: [203.0.113.7/32]
    remote_ts: [203.0.113.135/32]
    ike_rekey: 30s
    child_rekey: 30s
    dpd_delay: 0
  - name: nat
    local_addrs: [198.51.100.1]
    remote_id: nat.hike.test
    psk: "$PSK"
    local_ts: [203.0.113.0/25]
    remote_ts: [198.51.100.128/25]
    dpd_delay: 0
Y
check "hiked --check-config accepts the test config" "$(lab_bin hiked)" --check-config "$conf"
check "hiked starts" lab_hiked r "$conf"
# strongSwan retransmits after 1 s (default 4 s)
lab_strongswan_conf "$(lab_swan_dir i)" "	retransmit_timeout = 1"
lab_charon i
lab_charon ni
log=$(lab_swan_dir i)/charon.log
nlog=$(lab_swan_dir ni)/charon.log
hlog=$(lab_hiked_log r)

# swan NS CONN HIKED-ADDR LOCAL-ID [more lab_swanctl_conf args]
swan() {
	local ns=$1 c=$2 addr=$3 id=$4
	shift 4
	lab_swanctl_conf "$ns" conn="$c" remote_addrs="$addr" local_id="$id" \
		remote_id="$addr" psk=$PSK "$@"
}
swan i site 192.0.2.10 192.0.2.50 local_ts=203.0.113.133/32 remote_ts=203.0.113.5/32 dpd_delay=2s
swan i rw 192.0.2.11 rw.hike.test vips=0.0.0.0 remote_ts=203.0.113.0/25
swan i retx 192.0.2.12 192.0.2.50 local_ts=203.0.113.134/32 remote_ts=203.0.113.6/32
swan i short 192.0.2.13 192.0.2.50 local_ts=203.0.113.135/32 remote_ts=203.0.113.7/32
swan ni nat 198.51.100.1 nat.hike.test local_ts=198.51.100.128/25 remote_ts=203.0.113.0/25 dpd_delay=2s
lab_swanctl i --load-all >/dev/null
lab_swanctl ni --load-all >/dev/null

hiked_sas() {	# CONN [jq filter on its IKE SAs]: hiked's ESTABLISHED IKE SAs of CONN
	lab_hikectl r --json sas | jq -c --arg c "$1" \
		"[.ike_sas[] | select(.conn == \$c and .state == \"ESTABLISHED\")${2:+ | $2}]"
}
counter() { lab_hiked_counter r "$1"; }
swan_sa() { lab_swanctl "$1" --list-sas --ike "$2" 2>/dev/null; }
# rspi of strongSwan's IKE SA CONN in NS
swan_rspi() { lab_swanctl "$1" --list-sas --raw --ike "$2" 2>/dev/null | grep -oE 'responder-spi=[0-9a-f]+' | head -1 | cut -d= -f2; }
hiked_has_rspi() { hiked_sas "$1" .spi_r | grep -q "\"$2\""; }
gone() { [ "$(lab_hikectl r --json sas | jq --arg c "$1" '[.ike_sas[] | select(.conn == $c)] | length')" = 0 ]; }
swan_has() { swan_sa "$1" "$2" | grep -q "$3"; }

# --- hiked rekeys (IKE SA and Child SA) after 30 s and deletes the old
# ones: started first, checked last
check "short: established" lab_swan_initiate i short
short_rspi=$(swan_rspi i short)
short_t0=$(lab_now)
check "short: hiked has the IKE SA ($short_rspi)" hiked_has_rspi short "$short_rspi"
# strongSwan initiates DPD on site every 2 s
check "site: established (DPD from strongSwan every 2 s)" lab_swan_initiate i site

# --- cookies: every IKE_SA_INIT so far was answered with a COOKIE first
check "cookies: strongSwan got N(COOKIE) and retried" sh -c \
	"grep -q 'parsed IKE_SA_INIT response 0 \[ N(COOKIE) \]' '$log' &&
	 grep -q 'generating IKE_SA_INIT request 0 \[ N(COOKIE) SA KE' '$log'"
lab_hikectl r --json status >"$LAB_DIR/status-cookies.json"
check "cookies: hiked counted the cookies it sent" test "$(counter ike.cookie.sent)" -ge 2

# --- virtual IP from the pool
check "rw: established with a virtual IP" lab_swan_initiate i rw
vip=$(swan_sa i rw | grep -oE '203\.0\.113\.2(0[0-7])' | head -1)
check "rw: strongSwan got a virtual IP from the pool ($vip)" test -n "$vip"
check "rw: strongSwan installed the virtual IP" sh -c "ip -n '$(lab_nsname i)' addr | grep -q 'inet $vip/'"
check "rw: hiked's Child SA selects the virtual IP" test "$(hiked_sas rw '.children[0].remote_ts')" = "[\"$vip-$vip\"]"
check "rw: ping from the virtual IP through the tunnel" lab_wait_for 5 lab_ping i 203.0.113.2
check "rw: 10 pings, no loss" lab_ping i 203.0.113.2 10
check "rw: pings left from $vip" sh -c "ip -n '$(lab_nsname i)' route get 203.0.113.2 | grep -q 'src $vip'"
check "rw: hiked counted ESP both ways" test "$(hiked_sas rw '.children[] | select(.packets_in >= 10 and .packets_out >= 10)' | jq length)" -ge 1
check "rw: terminate" lab_swanctl i --terminate --ike rw --timeout 5
check "rw: hiked removed it" lab_wait_for 5 gone rw
check "rw: the address is handed out again" lab_swan_initiate i rw
check "rw: again an address of the pool" swan_has i rw '203\.0\.113\.20[0-7]'
lab_swanctl i --terminate --ike rw --timeout 5 >/dev/null

# --- a retransmitted IKE_AUTH: hiked's first answer from 192.0.2.12:4500
# is dropped once, strongSwan retransmits, hiked answers from its cache
lab_exec r nft -f - <<'EOF'
table ip drop1 {
	set once {
		type ipv4_addr
		flags dynamic
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ip saddr 192.0.2.12 udp sport 4500 ip daddr @once accept
		ip saddr 192.0.2.12 udp sport 4500 add @once { ip daddr } counter drop
	}
}
EOF
ra0=$(counter ike.retransmit.answered)
check "retx: established despite the lost IKE_AUTH answer" lab_swan_initiate i retx
check "retx: the nftables rule dropped one packet" sh -c \
	"ip netns exec '$(lab_nsname r)' nft list table ip drop1 | grep -q 'counter packets 1 '"
check "retx: strongSwan retransmitted IKE_AUTH" grep -q 'retransmit 1 of request with message ID 1' "$log"
ra1=$(counter ike.retransmit.answered)
check "retx: hiked answered the retransmit from its cache ($ra0 -> $ra1)" test "$ra1" -gt "$ra0"
check "retx: hiked authenticated once" test "$(grep -c 'IKE_AUTH: peer authenticated (PSK), connection retx' "$hlog")" = 1
check "retx: hiked has one IKE SA with one Child SA" test "$(hiked_sas retx '.children | length')" = "[1]"
check "retx: strongSwan ESTABLISHED + INSTALLED" swan_has i retx INSTALLED
lab_exec r nft delete table ip drop1
lab_swanctl i --terminate --ike retx --timeout 5 >/dev/null

# --- initiator behind a NAT
lab_capture r eth1 "$LAB_DIR/nat.pcapng" natcap
check "nat: established through the NAT" lab_swan_initiate ni nat
check "nat: strongSwan detected the NAT" grep -q 'local host is behind NAT' "$nlog"
check "nat: strongSwan ESTABLISHED + INSTALLED" lab_swan_established ni
check "nat: hiked sees the peer at the NAT's address 198.51.100.2" test "$(hiked_sas nat .remote)" = '["198.51.100.2"]'
nport=$(ip netns exec "$(lab_nsname n)" conntrack -L -p udp --orig-port-src 4500 2>/dev/null | grep -oE 'dport=[0-9]+' | tail -1)
lab_log "NAT mapping of 198.51.100.130:4500: ${nport:-conntrack not available}"
check "nat: ping through the tunnel (ESP in UDP through the NAT)" lab_wait_for 5 lab_ping ni 203.0.113.2
check "nat: 10 pings, no loss" lab_ping ni 203.0.113.2 10
check "nat: hiked counted ESP both ways" test "$(hiked_sas nat '.children[] | select(.packets_in >= 10 and .packets_out >= 10)' | jq length)" -ge 1
# NAT rebinding: the mapping expires and the next packets leave from a
# new random port; hiked must follow the peer there, ESP-in-UDP included
# (RFC 7296 2.23).  A ping refreshes the mapping with a 1 s UDP timeout,
# then the NAT sees nothing for 3 s (dropped before conntrack).
lab_exec n sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1 net.netfilter.nf_conntrack_udp_timeout_stream=1
lab_ping ni 203.0.113.2
lab_exec n nft -f - <<'NFT'
table ip blk {
	chain pre {
		type filter hook prerouting priority -400; policy drop;
	}
}
NFT
sleep 3
lab_exec n nft delete table ip blk
lab_exec n sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30 net.netfilter.nf_conntrack_udp_timeout_stream=120
check "nat: rebinding: ping through the tunnel again" lab_wait_for 10 lab_ping ni 203.0.113.2
check "nat: rebinding: 10 pings, no loss" lab_ping ni 203.0.113.2 10
check "nat: rebinding: still one IKE SA on hiked" test "$(hiked_sas nat | jq length)" = 1
lab_capture_stop natcap
ports=$(tshark -r "$LAB_DIR/nat.pcapng" -Y 'ip.src == 198.51.100.2 && udp.dstport == 4500' -T fields -e udp.srcport 2>/dev/null | sort -u | tr '\n' ' ')
lab_log "the NAT's source ports seen by hiked: $ports"
check "nat: rebinding: the NAT gave the peer a new port" test "$(wc -w <<<"$ports")" -ge 2
oports=$(tshark -r "$LAB_DIR/nat.pcapng" -Y 'ip.dst == 198.51.100.2 && udp' -T fields -e udp.dstport 2>/dev/null | tail -1)
check "nat: rebinding: hiked's last packets went to the new port ($oports)" test "$oports" = "$(tshark -r "$LAB_DIR/nat.pcapng" -Y 'ip.src == 198.51.100.2 && udp' -T fields -e udp.srcport 2>/dev/null | tail -1)"

# --- INITIAL_CONTACT (RFC 7296 2.4): strongSwan restarts without a word
# (kill -9); hiked still holds its IKE SA.  The new IKE_AUTH carries
# N(INITIAL_CONTACT): hiked forgets the stale SA and its Child SA at once
# instead of waiting for DPD or the lifetime.
old_rspi=$(swan_rspi ni nat)
nlog_from=$(($(wc -l <"$nlog") + 1))	# both logs are appended to
hlog_from=$(($(wc -l <"$hlog") + 1))
lab_stop charon-ni KILL
check "initial contact: hiked still has the SA of the killed charon" hiked_has_rspi nat "$old_rspi"
lab_charon ni
lab_swanctl ni --load-all >/dev/null
check "initial contact: strongSwan establishes again" lab_swan_initiate ni nat
ic_sent() { tail -n "+$nlog_from" "$nlog" | grep -qE 'generating IKE_AUTH request 1 \[ .*N\(INIT_CONTACT\)'; }
check "initial contact: the restarted strongSwan sent N(INITIAL_CONTACT)" ic_sent
ic_logged() { tail -n "+$hlog_from" "$hlog" | grep -q 'INITIAL_CONTACT in IKE SA'; }
check "initial contact: hiked logged it" ic_logged
nat_sas() { lab_hikectl r --json sas | jq '[.ike_sas[] | select(.conn == "nat")] | length'; }
check "initial contact: hiked has exactly one IKE SA for nat, the new one" test "$(nat_sas)" = 1
check "initial contact: the old one ($old_rspi) is gone" lab_not hiked_has_rspi nat "$old_rspi"
check "initial contact: counted" test "$(counter ike.initial_contact.deleted)" = 1
check "initial contact: ping through the new tunnel" lab_wait_for 5 lab_ping ni 203.0.113.2
check "nat: terminate" lab_swanctl ni --terminate --ike nat --timeout 5
check "nat: hiked removed it" lab_wait_for 5 gone nat

# --- DPD from strongSwan (dpd_delay 2s on site, hiked's own DPD off)
check "site: strongSwan sent DPD and hiked answered" lab_wait_for 8 sh -c \
	"grep -E '<site\|[0-9]+> parsed INFORMATIONAL response [0-9]+ \[ \]' '$log' | grep -q ."
check "site: strongSwan still ESTABLISHED" swan_has i site ESTABLISHED
check "site: hiked still ESTABLISHED" test "$(hiked_sas site | jq length)" = 1
lab_swanctl i --terminate --ike site --timeout 5 >/dev/null

# --- hiked's rekeys: new IKE SA, DELETE of the old one; new Child SA,
# DELETE of the old one (all initiated by hiked)
wait_s=$((32 - $(lab_since "$short_t0" | cut -d. -f1)))
[ "$wait_s" -gt 0 ] && lab_log "waiting ${wait_s}s for hiked's rekeys" && sleep "$wait_s"
check "short: strongSwan got hiked's IKE rekey (CREATE_CHILD_SA request)" lab_wait_for 5 grep -qE \
	'<short\|[0-9]+> parsed CREATE_CHILD_SA request [0-9]+ \[ SA No KE' "$log"
check "short: strongSwan got hiked's DELETE of the old IKE SA" lab_wait_for 5 grep -qE \
	'<short\|[0-9]+> parsed INFORMATIONAL request [0-9]+ \[ D \]' "$log"
new_short() { local r; r=$(swan_rspi i short); [ -n "$r" ] && [ "$r" != "$short_rspi" ]; }
check "short: strongSwan has the new IKE SA" lab_wait_for 5 new_short
new_rspi=$(swan_rspi i short)
check "short: hiked has the same new IKE SA ($new_rspi)" hiked_has_rspi short "$new_rspi"
check "short: strongSwan got hiked's Child rekey and DELETE of the old Child SA" lab_wait_for 8 sh -c \
	"grep -qE 'received DELETE for ESP CHILD_SA with SPI' '$log'"
one_child() {
	[ "$(swan_sa i short | grep -c INSTALLED)" = 1 ] &&
		[ "$(hiked_sas short '.children[] | select(.state == "INSTALLED")' | jq length)" = 1 ]
}
check "short: one Child SA INSTALLED on both sides" lab_wait_for 8 one_child

check "hiked is still running" lab_alive hiked-r
lab_done
