#!/usr/bin/env bash
# hiked as the responder, strongSwan 5.9.8 (charon + kernel-libipsec) as
# the initiator, each in its own namespace; checked on both sides.
#
#   hi 203.0.113.130 -- i (strongSwan) 192.0.2.50 ==== 192.0.2.10 r (hiked) -- hr 203.0.113.2
#                          2001:db8::50                2001:db8::10
. "$(dirname "$0")/lib.sh"
lab_init responder

lab_ns hi; lab_ns i; lab_ns r; lab_ns hr
lab_link hi eth0 203.0.113.130/25 i in0 203.0.113.129/25
lab_link i eth0 192.0.2.50/24,2001:db8::50/64 r eth0 192.0.2.10/24,2001:db8::10/64
lab_link r in0 203.0.113.1/25 hr eth0 203.0.113.2/25
lab_router i; lab_router r
lab_route hi default 203.0.113.129
lab_route hr default 203.0.113.1

PSK=lab-psk-0123456789
conf=$LAB_DIR/hiked.yaml
cat >"$conf" <<Y
node:
  name: gw1
log:
  keylog: $LAB_DIR/ike-keys.txt
ike:
  retransmit_base: 500ms
ctl:
  socket: $(lab_hiked_sock r)
connections:
  - name: site
    local_addrs: [192.0.2.10, 2001:db8::10]
    remote_addrs: [192.0.2.50, 2001:db8::50]
    local_id: 192.0.2.10
    remote_id: 192.0.2.50
    auth: psk
    psk: "$PSK"
    ike_proposals: [aes256gcm16-prfsha256-x25519, aes256-sha256-modp2048,
                    aes128-sha256-ecp256, chacha20poly1305-prfsha256-x25519]
    esp_proposals: [aes256gcm16, aes256-sha256, aes128-sha256, chacha20poly1305]
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
    dpd_delay: 2s
  - name: wrongpsk
    remote_addrs: [192.0.2.50]
    local_id: 192.0.2.10
    remote_id: bad.hike.test
    auth: psk
    psk: "the-right-secret-is-this-one"
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
Y
check "hiked --check-config accepts the test config" "$(lab_bin hiked)" --check-config "$conf"
check "hiked starts" lab_hiked r "$conf"
lab_charon i

# swan CONN IKE-PROPOSAL ESP-PROPOSAL [more lab_swanctl_conf args]
swan() {
	local c=$1 ike=$2 esp=$3
	shift 3
	lab_swanctl_conf i conn="$c" local_addrs=192.0.2.50 remote_addrs=192.0.2.10 \
		local_id=192.0.2.50 remote_id=192.0.2.10 psk=$PSK \
		proposals="$ike" esp_proposals="$esp" \
		local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25 "$@"
}
hiked_ike_sas() { lab_hikectl r --json sas | jq '[.ike_sas[] | select(.state == "ESTABLISHED")] | length'; }
hiked_child_sas() { lab_hikectl r --json status | jq .child_sas; }
swan_ike_count() { lab_swanctl i --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED'; }

# One suite: establish, check both sides, ping through, look at counters, close.
suite() {
	local c=$1 ike=$2 esp=$3 out spis
	swan "$c" "$ike" "$esp"
	lab_swanctl i --load-all >/dev/null
	check "$c: $ike / $esp established" lab_swan_initiate i "$c"
	check "$c: strongSwan ESTABLISHED + INSTALLED" lab_swan_established i
	spis=$(lab_swan_spis i | tr ' ' '\n' | head -1)
	check "$c: hiked lists the IKE SA ($spis)" sh -c \
		"'$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' sas | grep -q '$spis'"
	check "$c: ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
	check "$c: 20 pings, no loss" lab_ping hi 203.0.113.2 20
	out=$(lab_hikectl r --json sas)
	check "$c: hiked counted ESP both ways" test "$(jq '[.ike_sas[].children[] | select(.packets_in >= 20 and .packets_out >= 20)] | length' <<<"$out")" -ge 1
	if [ "${4:-}" = iperf ]; then
		local got dir r tso gso gro
		# up: hiked decrypts and coalesces into the TUN (GRO writes);
		# down (-R): it splits TUN super-packets (TSO) and sends UDP GSO
		for dir in up down; do
			r=; [ "$dir" = down ] && r=-R
			tso=$(lab_hiked_counter r esp.tun_gso)
			gso=$(lab_hiked_counter r esp.udp_gso)
			gro=$(lab_hiked_counter r esp.gro_writes)
			got=$(lab_exec hi iperf3 -c 203.0.113.2 -t 2 $r -J 2>/dev/null | jq '.end.sum_received.bytes // 0')
			lab_log "$c: iperf3 TCP $dir through the tunnel: $((got / 1000000)) MB in 2 s"
			check "$c: iperf3 TCP $dir through the tunnel moved data (${got:-0} bytes)" test "${got:-0}" -gt 1000000
			if [ "$dir" = up ]; then
				check "$c: up: decrypted segments went into the TUN coalesced" \
					test "$(lab_hiked_counter r esp.gro_writes)" -gt "$gro"
			else
				check "$c: down: TUN super-packets split (TSO)" \
					test "$(lab_hiked_counter r esp.tun_gso)" -gt "$tso"
				check "$c: down: ESP sent with UDP GSO" \
					test "$(lab_hiked_counter r esp.udp_gso)" -gt "$gso"
			fi
		done
		check "$c: no offload drops or GSO fallbacks" \
			test "$(lab_hiked_counter r esp.drop_offload)$(lab_hiked_counter r esp.gso_fallbacks)" = 00
	fi
	check "$c: terminate from strongSwan" lab_swanctl i --terminate --ike "$c" --timeout 5
	check "$c: hiked removed the SAs" lab_wait_for 5 sh -c "[ \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' --json status | jq '.ike_sas + .child_sas')\" = 0 ]"
}

lab_start_bg iperf3 ip netns exec "$(lab_nsname hr)" iperf3 -s
suite gcm aes256gcm16-prfsha256-x25519 aes256gcm16 iperf
suite cbc aes256-sha256-modp2048 aes256-sha256 iperf
suite ecp aes128-sha256-ecp256 aes128-sha256
suite chacha chacha20poly1305-prfsha256-x25519 chacha20poly1305 iperf

# --- rekeys, DPD, delete (on the gcm connection)
lab_swanctl i --initiate --child gcm --timeout 10 >/dev/null
spis=$(lab_swan_spis i)
child_spi() { lab_swanctl i --list-sas --raw 2>/dev/null | grep -oE 'spi-in=[0-9a-f]+' | head -1; }
old_child=$(child_spi)
lab_ping_bg rk hi 203.0.113.2
check "child rekey (CREATE_CHILD_SA from strongSwan)" lab_swanctl i --rekey --child gcm
# hiked's outbound SPI of the installed Child SA is strongSwan's inbound one
child_rekeyed() {
	local now
	now=$(lab_hikectl r --json sas | jq -r '.ike_sas[].children[] | select(.state == "INSTALLED") | .spi_out')
	[ -n "$now" ] && ! grep -qx "$((16#${old_child#spi-in=}))" <<<"$now"
}
check "child rekey: hiked installed the new Child SA (old ${old_child#spi-in=})" lab_wait_for 5 child_rekeyed
check "child rekey: ping after" lab_wait_for 5 lab_ping hi 203.0.113.2 3
read -r tx rx lost outage < <(lab_ping_stats rk)
lab_log "ping every 10 ms across the child rekey: $tx sent, $rx received, $lost lost"
check "child rekey lost at most a handful of packets ($lost)" test "$lost" -le 5
check "child rekey: IKE SA unchanged" test "$(lab_swan_spis i)" = "$spis"
check "IKE rekey (CREATE_CHILD_SA, new SPIs)" lab_swanctl i --rekey --ike gcm
check "IKE rekey: strongSwan has new SPIs" lab_wait_for 5 sh -c "[ \"\$(lab_swan_spis i)\" != '$spis' ] 2>/dev/null || ! true"
newspis=$(lab_swan_spis i)
check "IKE rekey: SPIs changed ($spis -> $newspis)" test "$newspis" != "$spis"
check "IKE rekey: hiked has one IKE SA with the new SPI" lab_wait_for 5 sh -c \
	"'$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' sas | grep -q '${newspis%% *}'"
check "IKE rekey: tunnel still carries traffic" lab_ping hi 203.0.113.2 3
check "DPD from hiked answered (dpd_delay 2s)" lab_wait_for 8 \
	grep -q 'parsed INFORMATIONAL request [0-9]* \[ \]' "$(lab_swan_dir i)/charon.log"
check "delete from strongSwan" lab_swanctl i --terminate --ike gcm --timeout 5
check "hiked has no SA left" lab_wait_for 5 sh -c "[ \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' --json status | jq '.ike_sas + .child_sas')\" = 0 ]"

# --- wrong PSK: AUTHENTICATION_FAILED, nothing left behind
lab_swanctl_conf i conn=bad local_addrs=192.0.2.50 remote_addrs=192.0.2.10 \
	local_id=bad.hike.test remote_id=192.0.2.10 psk=not-the-right-secret \
	local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25
lab_swanctl i --load-all >/dev/null
check_fails "wrong PSK: initiation fails" lab_swan_initiate i bad 5
check "wrong PSK: strongSwan saw AUTHENTICATION_FAILED" grep -q 'AUTHENTICATION_FAILED' "$(lab_swan_dir i)/charon.log"
check "wrong PSK: hiked keeps no SA" sh -c "[ \"\$('$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' --json status | jq '.ike_sas + .child_sas + .half_open')\" = 0 ]"

# --- IPv6 outer addresses
lab_swanctl_conf i conn=v6 local_addrs=2001:db8::50 remote_addrs=2001:db8::10 \
	local_id=192.0.2.50 remote_id=192.0.2.10 psk=$PSK \
	local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25
lab_swanctl i --load-all >/dev/null
check "IPv6 outer: established" lab_swan_initiate i v6
check "IPv6 outer: hiked sees the peer at 2001:db8::50" sh -c \
	"'$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' sas | grep -q '2001:db8::50'"
check "IPv6 outer: ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
lab_swanctl i --terminate --ike v6 --timeout 5 >/dev/null

check "hiked is still running" lab_alive hiked-r
lab_done
