# shellcheck shell=bash
# Packet capture in lab namespaces; sourced by lib.sh.
#
#   lab_capture NS IF FILE [NAME]    start tshark (pcapng) in the background
#   lab_capture_stop [NAME]          stop it and wait until FILE is complete
# NAME defaults to "cap-NS-IF".

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
