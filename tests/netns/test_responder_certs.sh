#!/usr/bin/env bash
# hiked as the responder with X.509 authentication, strongSwan 5.9.8 as
# the initiator: RSA and ECDSA certificates (RFC 7427 signatures),
# asymmetric auth (initiator PSK, responder certificate) and IKE
# fragmentation (RFC 7383) forced by a long RSA-4096 chain.  Checked on
# both sides.  One hiked, one connection per local address:
#
#   hi 203.0.113.130 -- i (strongSwan) 192.0.2.50 ==== r (hiked) -- hr 203.0.113.2
#        192.0.2.10 rsa, .11 ecdsa, .12 asym (psk/pubkey), .13 big (fragmented),
#        .14 dn (identities are Distinguished Names)
. "$(dirname "$0")/lib.sh"
lab_init responder-certs

lab_ns hi; lab_ns i; lab_ns r; lab_ns hr
lab_link hi eth0 203.0.113.130/25 i in0 203.0.113.129/25
lab_link i eth0 192.0.2.50/24 r eth0 192.0.2.10/24,192.0.2.11/24,192.0.2.12/24,192.0.2.13/24,192.0.2.14/24
lab_link r in0 203.0.113.1/25 hr eth0 203.0.113.2/25
lab_router i; lab_router r
lab_route hi default 203.0.113.129
lab_route hr default 203.0.113.1

CERTS=$LAB_ROOT/tests/fixtures/certs
PSK=lab-psk-asym-0123456789
conf=$LAB_DIR/hiked.yaml
# conn NAME ADDR CHAIN KEY [more yaml lines]
conn() {
	cat <<Y
  - name: $1
    local_addrs: [$2]
    remote_addrs: [192.0.2.50]
    local_id: gw.hike.test
    remote_id: peer.hike.test
    cert: $CERTS/$3
    key: $CERTS/$4
    local_ts: [203.0.113.0/25]
    remote_ts: [203.0.113.128/25]
Y
	shift 4
	local l
	for l in "$@"; do echo "    $l"; done
}
{
	cat <<Y
node:
  name: gw1
log:
  keylog: $LAB_DIR/ike-keys.txt
ike:
  retransmit_base: 500ms
ctl:
  socket: $(lab_hiked_sock r)
connections:
Y
	conn rsa 192.0.2.10 gw-rsa-chain.pem gw-rsa.key "auth: pubkey" "cacerts: [$CERTS/ca.crt]"
	conn ecdsa 192.0.2.11 gw-ecdsa-chain.pem gw-ecdsa.key "auth: pubkey" "cacerts: [$CERTS/ca.crt]" \
		"ike_proposals: [aes128gcm16-prfsha256-ecp256]"
	conn asym 192.0.2.12 gw-rsa-chain.pem gw-rsa.key "local_auth: pubkey" "remote_auth: psk" "psk: \"$PSK\""
	conn big 192.0.2.13 gw-big-chain.pem gw-big.key "auth: pubkey" "cacerts: [$CERTS/ca.crt]"
	conn dn 192.0.2.14 gw-rsa-chain.pem gw-rsa.key "auth: pubkey" "cacerts: [$CERTS/ca.crt]" |
		sed 's/local_id: gw.hike.test/local_id: "dn:CN=gw.hike.test"/; s/remote_id: peer.hike.test/remote_id: "dn:CN=peer.hike.test"/'
} >"$conf"
check "hiked --check-config accepts the test config" "$(lab_bin hiked)" --check-config "$conf"
check "hiked starts" lab_hiked r "$conf"

# strongSwan trusts only the root; the intermediates (int, long1..3) are
# plain certificates it may send, never named in its CERTREQ, so hiked
# has to send its own intermediates too.
sdir=$(lab_swan_dir i)
lab_strongswan_conf "$sdir" "	retransmit_timeout = 1"
cp "$CERTS/ca.crt" "$sdir/swanctl/x509ca/"
for c in peer-rsa peer-ecdsa peer-big int long1 long2 long3 other-peer expired; do
	cp "$CERTS/$c.crt" "$sdir/swanctl/x509/"
done
for k in peer-rsa peer-ecdsa peer-big other-peer expired; do
	cp "$CERTS/$k.key" "$sdir/swanctl/private/$k.pem"
done
lab_charon i
log=$sdir/charon.log

# swan CONN HIKED-ADDR CERT [more lab_swanctl_conf args]
swan() {
	local c=$1 addr=$2 cert=$3
	shift 3
	lab_swanctl_conf i conn="$c" local_addrs=192.0.2.50 remote_addrs="$addr" \
		local_id=peer.hike.test remote_id=gw.hike.test auth=pubkey \
		cert="$cert" cacert=ca.crt key="$cert" \
		local_ts=203.0.113.128/25 remote_ts=203.0.113.0/25 "$@"
	# the private keys are loaded from private/ anyway
	sed -i '/^secrets {/,$d' "$sdir/swanctl/conf.d/$c.conf"
}
swan rsa 192.0.2.10 peer-rsa.crt
swan ecdsa 192.0.2.11 peer-ecdsa.crt proposals=aes128gcm16-prfsha256-ecp256
swan big 192.0.2.13 peer-big.crt fragmentation=yes
swan dn 192.0.2.14 peer-rsa.crt local_id='"CN=peer.hike.test"' remote_id='"CN=gw.hike.test"'
swan untrusted 192.0.2.10 other-peer.crt
swan expired 192.0.2.10 expired.crt
cat >"$sdir/swanctl/conf.d/asym.conf" <<EOF
connections {
	asym {
		version = 2
		local_addrs = 192.0.2.50
		remote_addrs = 192.0.2.12
		proposals = aes256gcm16-prfsha256-x25519
		mobike = no
		local {
			auth = psk
			id = peer.hike.test
		}
		remote {
			auth = pubkey
			id = gw.hike.test
			cacerts = ca.crt
		}
		children {
			asym {
				local_ts = 203.0.113.128/25
				remote_ts = 203.0.113.0/25
				esp_proposals = aes256gcm16
			}
		}
	}
}
secrets {
	ike-asym {
		secret = "$PSK"
		id-l = peer.hike.test
		id-r = gw.hike.test
	}
}
EOF
check "swanctl loads certificates, keys and connections" sh -c \
	"STRONGSWAN_CONF='$sdir/strongswan.conf' SWANCTL_DIR='$sdir/swanctl' swanctl --load-all >/dev/null"

hiked_conn_sa() {	# CONN: spi_i of hiked's ESTABLISHED IKE SA of CONN
	lab_hikectl r --json sas | jq -r --arg c "$1" \
		'.ike_sas[] | select(.conn == $c and .state == "ESTABLISHED") | .spi_i'
}
hiked_empty() {
	[ "$(lab_hikectl r --json status | jq '.ike_sas + .child_sas')" = 0 ]
}
# swan_sa CONN: strongSwan's --list-sas of CONN
swan_sa() { lab_swanctl i --list-sas --ike "$1" 2>/dev/null; }

# up CONN: establish, check both sides, ping through.
up() {
	local c=$1 spis
	check "$c: established" lab_swan_initiate i "$c"
	check "$c: strongSwan ESTABLISHED + INSTALLED" lab_swan_established i
	spis=$(lab_swan_spis i)
	check "$c: hiked has the IKE SA on connection $c (${spis%% *})" \
		test "$(hiked_conn_sa "$c")" = "${spis%% *}"
	check "$c: hiked installed a Child SA" test "$(lab_hikectl r --json sas |
		jq --arg c "$c" '[.ike_sas[] | select(.conn == $c) | .children[] | select(.state == "INSTALLED")] | length')" -ge 1
	check "$c: hiked saw IDi peer.hike.test" sh -c \
		"'$(lab_bin hikectl)' -s '$(lab_hiked_sock r)' --json sas | jq -e '.ike_sas[] | select(.remote_id == \"peer.hike.test\")' >/dev/null"
	check "$c: ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
}
down() {
	check "$1: terminate" lab_swanctl i --terminate --ike "$1" --timeout 5
	check "$1: hiked removed the SAs" lab_wait_for 5 hiked_empty
}

# --- RSA certificates both ways
n0=$(wc -l <"$log")
up rsa
check "rsa: hiked announced SIGNATURE_HASH_ALGORITHMS" sh -c \
	"tail -n +$n0 '$log' | grep -E 'parsed IKE_SA_INIT response' | grep -q 'N(HASH_ALG)'"
check "rsa: hiked sent a CERTREQ, strongSwan its certificate" sh -c \
	"tail -n +$n0 '$log' | grep -E 'parsed IKE_SA_INIT response' | grep -q 'CERTREQ' &&
	 tail -n +$n0 '$log' | grep -E 'generating IKE_AUTH request' | grep -q 'CERT '"
check "rsa: strongSwan verified hiked's RFC 7427 RSA signature" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .gw.hike.test. with RSA_EMSA_PKCS1_SHA2_256 successful'"
check "rsa: strongSwan signed with RFC 7427" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .peer.hike.test. \(myself\) with RSA_EMSA_PKCS1_SHA2_256 successful'"
check "rsa: hiked verified AUTH method 14 (digital signature)" lab_wait_for 2 sh -c \
	"grep -c 'peer authenticated by CN = peer.hike.test (AUTH method 14)' '$(lab_hiked_log r)' | grep -qx 1"
down rsa

# --- ECDSA certificates both ways
n0=$(wc -l <"$log")
up ecdsa
check "ecdsa: strongSwan verified hiked's ECDSA signature" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .gw.hike.test. with ECDSA_WITH_SHA256_DER successful'"
check "ecdsa: strongSwan signed with ECDSA (RFC 7427)" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .peer.hike.test. \(myself\) with ECDSA_WITH_SHA256_DER successful'"
check "ecdsa: hiked verified AUTH method 14" lab_wait_for 2 sh -c \
	"grep -c 'peer authenticated by CN = peer.hike.test (AUTH method 14)' '$(lab_hiked_log r)' | grep -qx 2"
down ecdsa

# --- asymmetric: the initiator uses its PSK, hiked its certificate
n0=$(wc -l <"$log")
up asym
check "asym: strongSwan authenticated with the PSK" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .peer.hike.test. \(myself\) with pre-shared key'"
check "asym: strongSwan verified hiked's certificate signature" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .gw.hike.test. with RSA_EMSA_PKCS1_SHA2_256 successful'"
check "asym: hiked authenticated the peer by PSK" grep -q 'IKE_AUTH: peer authenticated (PSK), connection asym' "$(lab_hiked_log r)"
down asym

# --- fragmentation: RSA-4096 leaves with three intermediates each
# hiked's first fragment of its IKE_AUTH answer is lost once: strongSwan
# retransmits its fragmented request, hiked answers from its cache (RFC
# 7383 2.6.1: on fragment 1), with every fragment again
lab_exec r nft -f - <<'EOF'
table ip drop1 {
	set once {
		type ipv4_addr
		flags dynamic
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ip saddr 192.0.2.13 udp sport 4500 ip daddr @once accept
		ip saddr 192.0.2.13 udp sport 4500 add @once { ip daddr } counter drop
	}
}
EOF
counter() { lab_hiked_counter r "$1"; }
ra0=$(counter ike.retransmit.answered)
n0=$(wc -l <"$log")
lab_capture r eth0 "$LAB_DIR/big.pcapng" big
up big
lab_capture_stop big
lab_exec r nft delete table ip drop1
check "big: strongSwan retransmitted its fragmented IKE_AUTH" sh -c \
	"tail -n +$n0 '$log' | grep -q 'retransmit 1 of request with message ID 1'"
check "big: hiked answered the retransmit from its cache" test "$(counter ike.retransmit.answered)" -gt "$ra0"
check "big: hiked authenticated the peer once" test "$(grep -c 'connection big' "$(lab_hiked_log r)")" = 1
check "big: strongSwan fragmented its IKE_AUTH request" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'splitting IKE message .* into [0-9]+ fragments'"
check "big: strongSwan reassembled hiked's fragmented IKE_AUTH response" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'received fragment #1 of [0-9]+, waiting|reassembled fragmented IKE message'"
check "big: hiked sent the long chain (strongSwan received 4 certificates)" sh -c \
	"tail -n +$n0 '$log' | grep -E 'parsed IKE_AUTH response' | grep -q 'CERT CERT CERT CERT'"
nfrag=$(ip netns exec "$(lab_nsname r)" tshark -r "$LAB_DIR/big.pcapng" -Y 'isakmp.nextpayload == 53 || isakmp.exchangetype == 35' \
	-T fields -e frame.number 2>/dev/null | wc -l)
check "big: IKE_AUTH on the wire in several datagrams ($nfrag)" test "$nfrag" -ge 4
down big

# --- Distinguished Names as identities (ID_DER_ASN1_DN both ways)
n0=$(wc -l <"$log")
check "dn: established" lab_swan_initiate i dn
check "dn: strongSwan ESTABLISHED + INSTALLED" lab_swan_established i
check "dn: hiked has the IKE SA on connection dn, IDi CN=peer.hike.test" test \
	"$(lab_hikectl r --json sas | jq -r '.ike_sas[] | select(.conn == "dn" and .state == "ESTABLISHED") | .remote_id')" = "/CN=peer.hike.test"
check "dn: strongSwan verified hiked's DN" sh -c \
	"tail -n +$n0 '$log' | grep -qE 'authentication of .CN=gw.hike.test. with RSA_EMSA_PKCS1_SHA2_256 successful'"
check "dn: ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2
down dn

# --- certificates hiked must refuse: an unknown CA, an expired one
for c in untrusted expired; do
	n0=$(wc -l <"$log")
	check_fails "$c: initiation fails" lab_swan_initiate i "$c" 5
	check "$c: strongSwan got AUTHENTICATION_FAILED" sh -c \
		"tail -n +$n0 '$log' | grep -q 'AUTHENTICATION_FAILED'"
	check "$c: hiked keeps no SA" hiked_empty
done
check "hiked logged why (unknown CA, expired)" sh -c \
	"grep -iqE 'unable to get local issuer|unknown CA|issuer' '$(lab_hiked_log r)' && grep -iq 'expired' '$(lab_hiked_log r)'"

check "hiked is still running" lab_alive hiked-r
lab_done
