#!/usr/bin/env bash
# Operator actions and rekey collisions against strongSwan 5.9.8:
#  - `hikectl rekey SERIAL` (IKE SA) and `--child SPI` (Child SA): hiked
#    initiates, strongSwan follows, the tunnel keeps working;
#  - `hikectl delete SERIAL`: strongSwan is told and drops the SA;
#  - RFC 7296 2.8.2: both ends rekey the IKE SA at once.  hiked's IKE
#    packets to strongSwan are held back (nftables) while hiked starts its
#    rekey and strongSwan starts its own, so each request is out before the
#    other side's answer arrives; then released.  Both sides must end with
#    the same single IKE SA carrying the Child SA, whichever SA was
#    redundant (the nonces decide; both are logged).
#
#   hi 203.0.113.130 -- i (strongSwan) 192.0.2.50 ==== 192.0.2.10 r (hiked) -- hr 203.0.113.2
. "$(dirname "$0")/lib.sh"
lab_init responder_ops

lab_ns hi; lab_ns i; lab_ns r; lab_ns hr
lab_link hi eth0 203.0.113.130/25 i in0 203.0.113.129/25
lab_link i eth0 192.0.2.50/24 r eth0 192.0.2.10/24
lab_link r in0 203.0.113.1/25 hr eth0 203.0.113.2/25
lab_router i; lab_router r
lab_route hi default 203.0.113.129
lab_route hr default 203.0.113.1

PSK=lab-psk-ops-0123456789
conf=$LAB_DIR/hiked.yaml
cat >"$conf" <<Y
node:
  name: gw1
ike:
  retransmit_base: 500ms
ctl:
  socket: $(lab_hiked_sock r)
connections:
  - name: site
    local_addrs: [192.0.2.10]
    remote_addrs: [192.0.2.50]
    local_id: 192.0.2.10
    remote_id: 192.0.2.50
    auth: psk
    psk: "$PSK"
    ike_proposals: [aes256gcm16-prfsha256-x25519]
    esp_proposals: [aes256gcm16]
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
    dpd_delay: 0
Y
check "hiked starts" lab_hiked r "$conf"
# strongSwan retransmits after 1 s (default 4 s)
lab_strongswan_conf "$(lab_swan_dir i)" "	retransmit_timeout = 1"
lab_charon i
lab_swanctl_conf i conn=site local_addrs=192.0.2.50 remote_addrs=192.0.2.10 \
	local_id=192.0.2.50 remote_id=192.0.2.10 psk=$PSK \
	proposals=aes256gcm16-prfsha256-x25519 esp_proposals=aes256gcm16 \
	local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25
lab_swanctl i --load-all >/dev/null
slog=$(lab_swan_dir i)/charon.log
hlog=$(lab_hiked_log r)

est() { lab_hikectl r --json sas | jq -c '[.ike_sas[] | select(.state == "ESTABLISHED")]'; }
serial() { est | jq -r '.[0].serial'; }
hiked_spis() { est | jq -r '.[0] | "\(.spi_i) \(.spi_r)"'; }
hiked_child() { printf '%08x' "$(est | jq -r '.[0].children[0].spi_in')"; }
swan_ike_n() { lab_swanctl i --list-sas --raw 2>/dev/null | grep -c 'state=ESTABLISHED'; }
swan_child_n() { lab_swanctl i --list-sas --raw 2>/dev/null | grep -o 'state=INSTALLED' | wc -l; }
# both ends agree: one IKE SA with the same SPIs, one Child SA, traffic
agreed() {
	[ "$(est | jq length)" = 1 ] && [ "$(swan_ike_n)" = 1 ] &&
		[ "$(hiked_spis)" = "$(lab_swan_spis i)" ] &&
		[ "$(est | jq '.[0].children | length')" = 1 ] && [ "$(swan_child_n)" = 1 ]
}
tunnel() { lab_ping hi 203.0.113.2; }

check "strongSwan establishes" lab_swan_initiate i site
check "tunnel works" lab_wait_for 5 tunnel

# --- hikectl rekey / rekey --child
s0=$(serial); spis0=$(hiked_spis)
check "hikectl rekey $s0: IKE rekey started" lab_hikectl r rekey "$s0"
new_ike() { [ -n "$(lab_swan_spis i)" ] && [ "$(lab_swan_spis i)" != "$spis0" ]; }
check "IKE rekey: strongSwan has the new IKE SA" lab_wait_for 10 new_ike
check "IKE rekey: both ends agree (one IKE SA, same SPIs, one Child SA)" lab_wait_for 10 agreed
check "IKE rekey: hiked logged the operator's request" grep -q 'operator: rekeying the IKE SA' "$hlog"
check "IKE rekey: tunnel works" lab_wait_for 5 tunnel
s1=$(serial); c1=$(hiked_child)
check "hikectl rekey $s1 --child $c1: Child rekey started" lab_hikectl r rekey "$s1" --child "$c1"
new_child() { [ -n "$(est | jq -r --argjson c $((16#$c1)) '.[0].children[] | select(.state == "INSTALLED" and .spi_in != $c) | .spi_in')" ]; }
check "Child rekey: a new Child SA on hiked" lab_wait_for 5 new_child
check "Child rekey: both ends agree" lab_wait_for 15 agreed
check "Child rekey: tunnel works" lab_wait_for 5 tunnel
check_fails "hikectl rekey 999999: no such IKE SA" lab_hikectl r rekey 999999
check_fails "hikectl rekey --child 0badf00d: no such Child SA" lab_hikectl r rekey "$s1" --child 0badf00d
check_fails "hikectl rekey abc: usage error" lab_hikectl r rekey abc

# --- IKE rekey collisions (2.8.2), three times
hold() {	# hold back (1) or release (0) hiked's IKE packets to strongSwan
	if [ "$1" = 1 ]; then
		lab_exec r nft -f - <<'NFT'
table ip hold {
	chain out {
		type filter hook output priority 0; policy accept;
		udp dport 4500 @th,64,32 0 drop
		udp dport 500 drop
	}
}
NFT
	else
		lab_exec r nft delete table ip hold
	fi
}
more_collisions() { [ "$(grep -c 'IKE rekey collision' "$hlog")" -gt "$1" ]; }
for n in 1 2 3; do
	s=$(serial)
	c0=$(grep -c 'IKE rekey collision' "$hlog")
	hold 1
	check "collision $n: hikectl rekey $s" lab_hikectl r rekey "$s"
	check "collision $n: strongSwan rekeys too" lab_swanctl i --rekey --ike site
	sleep 0.3	# strongSwan's request reached hiked and was answered (held back)
	hold 0
	check "collision $n: hiked saw the collision" lab_wait_for 15 more_collisions "$c0"
	check "collision $n: both ends agree on one IKE SA with the Child SA" lab_wait_for 20 agreed
	check "collision $n: tunnel works" lab_wait_for 10 tunnel
	lab_log "collision $n: hiked: $(grep 'IKE rekey collision' "$hlog" | tail -1 | sed 's/.*IKE rekey/IKE rekey/')"
	lab_log "collision $n: strongSwan: $(grep -iE 'collision' "$slog" | tail -1 | sed 's/.*\] //')"
done
check "strongSwan saw collisions too" grep -qi 'collision' "$slog"

# --- hikectl delete
s=$(serial)
check "hikectl delete $s" lab_hikectl r delete "$s"
swan_none() { [ "$(swan_ike_n)" = 0 ]; }
hiked_none() { [ "$(lab_hikectl r --json sas | jq '.ike_sas | length')" = 0 ]; }
check "delete: strongSwan dropped the IKE SA" lab_wait_for 5 swan_none
# a peer SA that strongSwan dropped without a DELETE after losing a
# collision ("abort active rekeying") goes after IKE_REKEYED_GRACE_MS
check "delete: hiked has no IKE SA left (rekeyed ones within their 10 s grace)" lab_wait_for 20 hiked_none

# --- dead peer: strongSwan killed with -9.  hiked's DPD (1 s after the
# last message) is retransmitted after 0.5, 1 and 2 s, then the peer is
# declared dead and the SA goes (this needs the SA timer re-armed after
# each retransmission).
sed -i 's/dpd_delay: 0/dpd_delay: 1s/; s/retransmit_base: 500ms/retransmit_base: 500ms\n  retransmit_tries: 3/' "$conf"
counter() { lab_hiked_counter r "$1"; }
kill -HUP "$(lab_pid hiked-r)"
reloaded() { [ "$(counter conf.reloaded)" -ge 1 ]; }
check "dpd: hiked reloaded its configuration (dpd_delay 1s, 3 tries)" lab_wait_for 5 reloaded
check "dpd: strongSwan establishes again" lab_swan_initiate i site
check "dpd: tunnel works" lab_wait_for 5 tunnel
lab_stop charon-i KILL
t=$(lab_now)
check "dpd: hiked declares the peer dead" lab_wait_for 25 grep -q 'peer is dead (DPD)' "$hlog"
lab_timing "dpd: kill -9 of charon -> peer declared dead" "$t"
check "dpd: at least three retransmissions before that" test "$(grep -c 'retransmit DPD' "$hlog")" -ge 3
check "dpd: counted (ike.dpd.timeout)" test "$(counter ike.dpd.timeout)" = 1
check "dpd: hiked has no IKE SA" lab_wait_for 3 hiked_none
check "hiked is still running" lab_alive hiked-r
lab_done
