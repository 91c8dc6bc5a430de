# hiked in the lab: sourced after lib.sh.
#
#   lab_hiked_conf NS FILE        write nothing; just remembers FILE for NS
#   lab_hiked NS YAML-FILE [ARGS] start hiked in NS (private /run), control
#                                 socket at $LAB_DIR/NS/hiked.sock (the YAML
#                                 must name it: use $(lab_hiked_sock NS))
#   lab_hikectl NS ARGS...        hikectl against NS's hiked
#   lab_hiked_log NS              path of its log

lab_hiked_sock() { echo "$LAB_DIR/$1/hiked.sock"; }
lab_hiked_log() { echo "$LAB_DIR/hiked-$1.out"; }

lab_hiked() {
	local ns=$1 conf=$2
	shift 2
	mkdir -p "$LAB_DIR/$ns"
	lab_start_ns "hiked-$ns" "$ns" "$(lab_bin hiked)" -f -c "$conf" -d debug "$@"
	lab_wait_for 5 test -S "$(lab_hiked_sock "$ns")" ||
		{ lab_log "hiked in $ns did not open its control socket"; return 1; }
}

lab_hikectl() {
	local ns=$1
	shift
	"$(lab_bin hikectl)" -s "$(lab_hiked_sock "$ns")" "$@"
}

# lab_hiked_counter NS NAME: a counter of hikectl status (0 when absent)
lab_hiked_counter() {
	lab_hikectl "$1" --json status | jq ".counters[\"$2\"] // 0"
}
