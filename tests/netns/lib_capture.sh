# shellcheck shell=bash
# Packet capture in lab namespaces; sourced by lib.sh.
#
#   lab_capture NS IF FILE [NAME]    start tshark (pcapng) in the background
#   lab_capture_stop [NAME]          stop it and wait until FILE is complete
# NAME defaults to "cap-NS-IF".
#   lab_ike_extract PCAP OUTDIR      IKE messages as .bin files (fixture format)
#   lab_ike_show PCAP KEYS.TXT       tshark's decrypted view, given keys in
#                                    the tests/fixtures keys.txt format

# lab_capture NS IF FILE [NAME]: capture on IF inside NS into FILE; returns
# once the capture is running.
lab_capture() {
	local ns=$1 ifc=$2 file=$3 name=${4:-cap-$1-$2} i
	rm -f "$file"
	lab_start_bg "$name" ip netns exec "$LAB_PFX$ns" \
		tshark -q -n -i "$ifc" -w "$file"
	for i in $(seq 50); do
		grep -q "Capturing on" "$LAB_DIR/$name.out" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.2
	LAB_CAPTURE_LAST=$name
}

# lab_capture_stop [NAME]: INT lets tshark/dumpcap flush the file.
lab_capture_stop() {
	local name=${1:-$LAB_CAPTURE_LAST}
	sleep 0.3
	lab_stop "$name" INT
}

# lab_ike_extract PCAP OUTDIR: every IKE message of a capture as
# OUTDIR/NN-<exchange>-<i|r>.bin (UDP payload, non-ESP marker of port
# 4500 stripped; i/r = I flag) plus OUTDIR/messages.txt; prints the count.
# The fixture format of tests/fixtures/ (see its README.md).
lab_ike_extract() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys, struct
from scapy.all import rdpcap, UDP, IP
pcap, out = sys.argv[1], sys.argv[2]
names = {34: "ike_sa_init", 35: "ike_auth", 36: "create_child_sa", 37: "informational"}
lines = []
n = 0
for p in rdpcap(pcap):
    if UDP not in p:
        continue
    u = p[UDP]
    data = bytes(u.payload)
    if 4500 in (u.sport, u.dport):
        if len(data) < 4 or data[:4] != b"\0\0\0\0":
            continue            # ESP in UDP, or a NAT keepalive
        data = data[4:]
    elif 500 not in (u.sport, u.dport):
        continue
    if len(data) < 28:
        continue
    ispi, rspi, nxt, ver, exch, flags, msgid, length = struct.unpack("!QQBBBBII", data[:28])
    n += 1
    who = "i" if flags & 0x08 else "r"
    kind = "response" if flags & 0x20 else "request"
    fn = "%02d-%s-%s.bin" % (n, names.get(exch, "exch%d" % exch), who)
    open("%s/%s" % (out, fn), "wb").write(data)
    lines.append("%s %s msgid=%d %s:%d->%s:%d len=%d ispi=%016x rspi=%016x" %
                 (fn, kind, msgid, p[IP].src, u.sport, p[IP].dst, u.dport,
                  len(data), ispi, rspi))
open(out + "/messages.txt", "w").write("\n".join(lines) + "\n")
print(n)
EOF
}


# lab_ike_show PCAP KEYS [tshark options...]: decode PCAP with tshark,
# decrypting IKE with every SA block of KEYS (tests/fixtures/*/keys.txt
# format).  Suites: AES-GCM-16 (128/256), AES-CBC (128/256) with
# HMAC-SHA2-256-128.
lab_ike_show() {
	local pcap=$1 keys=$2 uat=() enc integ
	shift 2
	local encr keylen
	encr=$(sed -n 's/^encr = //p' "$keys")
	keylen=$(sed -n 's/^encr_keylen = //p' "$keys")
	case $encr in
	20) enc="AES-GCM-$keylen with 16 octet ICV [RFC5282]" integ="NONE [RFC4306]" ;;
	12) enc="AES-CBC-$keylen [RFC3602]" integ="HMAC_SHA2_256_128 [RFC4868]" ;;
	*) echo "lab_ike_show: encr $encr not mapped" >&2; return 1 ;;
	esac
	while read -r ispi rspi ei er ai ar; do
		uat+=(-o "uat:ikev2_decryption_table:$ispi,$rspi,$ei,$er,\"$enc\",$ai,$ar,\"$integ\"")
	done < <(awk '
		function out() { if (i != "") print i, r, ei, er, ai, ar; i = r = ei = er = ai = ar = "" }
		$1 == "ispi" { out(); i = $3 } $1 == "rspi" { r = $3 }
		$1 == "sk_ei" { ei = $3 } $1 == "sk_er" { er = $3 }
		$1 == "sk_ai" { ai = $3 } $1 == "sk_ar" { ar = $3 }
		END { out() }' "$keys")
	tshark -r "$pcap" -n "${uat[@]}" "$@" 2>/dev/null
}
