#!/usr/bin/env bash
# hikectl against a live hike pair (topology in lib_cluster.sh), with a
# strongSwan initiator holding one IKE SA:
#  - status, human and --json: names and priorities of both members, roles,
#    health, sync figures; exit 0 healthy, 1 degraded (standby's hiked
#    stopped), 2 down (no quorum after corosync died; unreachable socket);
#  - sas and its --peer / --id filters; metrics is OpenMetrics text;
#  - switchover there and back;
#  - malformed requests over the real socket (garbage, > 64 KiB, wrong
#    version, unknown command) get error replies and hiked lives on;
#  - the socket's permissions: nobody is refused (EACCES), a member of the
#    configured ctl.group (n2: nogroup) is let in.
. "$(dirname "$0")/lib.sh"
lab_init hikectl

# n2's control socket belongs to group nogroup (ctl.group)
eval "lab_pair_conf_orig() $(declare -f lab_pair_conf | tail -n +2)"
lab_pair_conf() {
	lab_pair_conf_orig "$@"
	[ "$1" = n2 ] && sed -i 's|^ctl:|ctl:\n  group: nogroup|' "$LAB_DIR/$1.yaml"
	return 0
}

ctl() { lab_hikectl "$@"; }
js() { lab_hikectl "$1" --json status | jq -e "$2"; }
is_role() { [ "$(lab_role "$1")" = "$2" ]; }
rc_is() {	# rc_is N CMD...: CMD exits with status N
	local want=$1 rc
	shift
	"$@"
	rc=$?
	echo "exit status $rc"
	[ "$rc" = "$want" ]
}
raw() {		# raw NODE PYTHON-EXPR-FOR-BYTES: send bytes, print the reply line
	python3 - "$(lab_hiked_sock "$1")" "$2" <<'P'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
try:
    s.sendall(eval(sys.argv[2]))
except (BrokenPipeError, ConnectionResetError):
    pass
buf = b""
while not buf.endswith(b"\n"):
    try:
        d = s.recv(65536)
    except ConnectionResetError:
        break
    if not d:
        break
    buf += d
print(buf.decode())
P
}
metrics_ok() {	# OpenMetrics text: TYPE before samples, numeric values, "# EOF" last
	python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
assert lines[-1] == "" and lines[-2] == "# EOF", "must end with # EOF"
types = {}
for l in lines[:-2]:
    m = re.match(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$", l)
    if m:
        assert m.group(1) not in types, "family twice: " + l
        types[m.group(1)] = m.group(2)
        continue
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? (-?[0-9.e+]+)$", l)
    assert m, "bad line: " + l
    name = m.group(1)
    fam = name[:-6] if name.endswith("_total") else name
    assert fam in types, "no TYPE for " + name
    assert types[fam] != "counter" or name.endswith("_total"), "counter sample without _total: " + name
    float(m.group(4))
assert "hike_ike_sas" in types and "hike_events" in types
'
}
asuser() {	# asuser GROUP SUPPL-GROUPS CMD...: as nobody
	local g=$1 sg=$2
	shift 2
	if [ -n "$sg" ]; then setpriv --reuid=nobody --regid="$g" --groups="$sg" "$@"
	else setpriv --reuid=nobody --regid="$g" --clear-groups "$@"; fi
}

lab_pair_net
check "pair: corosync and hiked up on n1 and n2" lab_pair_start
check "n2 is an in-sync standby" lab_wait_for 5 is_role n2 standby
lab_pair_swan
check "strongSwan establishes through the VIP" lab_swan_initiate i ha
spis=$(lab_swan_spis i)
check "ping through the tunnel" lab_wait_for 5 lab_ping hi 203.0.113.2 3
check "standby n2 holds the IKE SA" lab_wait_for 3 sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n2)' sas | grep -q '${spis%% *}'"

# --- status
ctl n1 status >"$LAB_DIR/status-n1.txt"; lab_log "n1: status exit $?"
sed 's/^/#   /' "$LAB_DIR/status-n1.txt"
check "status n1: healthy pair (exit 0)" rc_is 0 ctl n1 status
check "status n2: healthy pair (exit 0)" rc_is 0 ctl n2 status
check "status text: role, health, SA counts" grep -Eq 'role active, quorate, health healthy' "$LAB_DIR/status-n1.txt"
check "status text: IKE SAs 1" grep -q 'IKE SAs 1, Child SAs 1' "$LAB_DIR/status-n1.txt"
check "status text: n2 listed by name with priority 100" \
	grep -Eq '^  n2 +2 standby +100 in-sync +[0-9]+ ms ago' "$LAB_DIR/status-n1.txt"
check "status text: n1 listed by name with priority 200" \
	grep -Eq '^  n1 +1 active +200 in-sync +\(this node\)' "$LAB_DIR/status-n1.txt"
check "status text: VIP held by n1" grep -Eq 'virtual IP 192.0.2.10/24 +held by n1' "$LAB_DIR/status-n1.txt"
check "status text: sync figures" grep -Eq 'sync: last update [0-9]+ ms ago, lag [0-9]+ msgs' "$LAB_DIR/status-n1.txt"
check "status --json n1: node, role, health, quorate" \
	js n1 '.node == "n1" and .role == "active" and .health == "healthy" and .quorate == true and (.health_reason == null)'
check "status --json n1: members by name and priority" \
	js n1 '[.members[] | "\(.name):\(.priority):\(.role)"] | sort == ["n1:200:active", "n2:100:standby"]'
check "status --json n2: members by name and priority (seen from n2)" \
	js n2 '[.members[] | "\(.name):\(.priority):\(.role)"] | sort == ["n1:200:active", "n2:100:standby"]'
check "status --json n2: VIPs held by n1" js n2 '[.vips[].holder] == ["n1", "n1"]'
check "status --json n2: last update from the active < 1 s ago" \
	js n2 '.sync_health.last_update_ms_ago >= 0 and .sync_health.last_update_ms_ago < 1000'
check "status --json n1: counts, pid, lag" \
	js n1 '.ike_sas == 1 and .child_sas == 1 and (.pid | type) == "number" and .sync_health.lag_msgs >= 0 and .sync_health.snapshot == "complete"'
check "status --json exit 0 when healthy" rc_is 0 ctl n1 --json status

# --- sas
check "sas lists the IKE SA with its Child SA" sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' sas | grep -A3 '192.0.2.50' | grep -q 'child INSTALLED'"
check "sas --peer 192.0.2.50 matches" sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' sas --peer 192.0.2.50 | grep -q '^ike .*192.0.2.50'"
check "sas --peer 192.0.2.99 matches nothing" sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' sas --peer 192.0.2.99 | grep -qx 'no IKE SAs'"
check "sas --id 192.0.2.50 --json: one SA with one child" \
	sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' --json sas --id 192.0.2.50 | jq -e '(.ike_sas | length) == 1 and (.ike_sas[0].children | length) == 1'"
check "sas --id nomatch --json: none" \
	sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' --json sas --id nomatch | jq -e '(.ike_sas | length) == 0'"
check_fails "sas --bogus is a usage error" ctl n1 sas --bogus

# --- metrics
ctl n1 metrics >"$LAB_DIR/metrics.txt"
check "metrics: valid OpenMetrics text" metrics_ok <"$LAB_DIR/metrics.txt"
check "metrics: the active counts the records it replicated" sh -c "grep -Eq '^hike_sync_records_total [1-9]' '$LAB_DIR/metrics.txt'"
check "metrics: hike_ike_sas 1, hike_role active" sh -c "grep -qx 'hike_ike_sas 1' '$LAB_DIR/metrics.txt' && grep -qx 'hike_role{role=\"active\"} 1' '$LAB_DIR/metrics.txt'"

# --- malformed requests over the real socket
check "garbage: error reply" sh -c "$(declare -f raw); LAB_DIR='$LAB_DIR'; $(declare -f lab_hiked_sock); raw n1 'b\"hello world\\n\"' | jq -e '.ok == false and (.error | test(\"malformed\"))'"
check "> 64 KiB without a newline: error reply" sh -c "$(declare -f raw); LAB_DIR='$LAB_DIR'; $(declare -f lab_hiked_sock); raw n1 'b\"{\" + b\"x\" * 70000' | jq -e '.ok == false and (.error | test(\"larger\"))'"
check "wrong version: error reply" sh -c "$(declare -f raw); LAB_DIR='$LAB_DIR'; $(declare -f lab_hiked_sock); raw n1 'b\"{\\\"v\\\":2,\\\"cmd\\\":\\\"status\\\"}\\n\"' | jq -e '.ok == false and (.error | test(\"version\"))'"
check "unknown command: error reply" sh -c "$(declare -f raw); LAB_DIR='$LAB_DIR'; $(declare -f lab_hiked_sock); raw n1 'b\"{\\\"v\\\":1,\\\"cmd\\\":\\\"nope\\\"}\\n\"' | jq -e '.ok == false and (.error | test(\"unknown command\"))'"
check "args not an object: error reply" sh -c "$(declare -f raw); LAB_DIR='$LAB_DIR'; $(declare -f lab_hiked_sock); raw n1 'b\"{\\\"v\\\":1,\\\"cmd\\\":\\\"sas\\\",\\\"args\\\":[1]}\\n\"' | jq -e '.ok == false'"
check "crash refused without ctl.allow_crash" sh -c "$(declare -f raw); LAB_DIR='$LAB_DIR'; $(declare -f lab_hiked_sock); raw n1 'b\"{\\\"v\\\":1,\\\"cmd\\\":\\\"crash\\\"}\\n\"' | jq -e '.ok == false and (.error | test(\"allow_crash\"))'"
check "hiked n1 survived them all" lab_alive hiked-n1
check "... and still answers status" rc_is 0 ctl n1 status

# --- permissions
check_fails "nobody cannot use n1's socket" asuser nogroup "" "$(lab_bin hikectl)" -s "$(lab_hiked_sock n1)" status
check "... refused with EACCES" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups '$(lab_bin hikectl)' -s '$(lab_hiked_sock n1)' status 2>&1 | grep -q 'Permission denied'"
check_fails "nobody outside ctl.group cannot use n2's socket" asuser daemon "" "$(lab_bin hikectl)" -s "$(lab_hiked_sock n2)" status
check "nobody in ctl.group (nogroup) can" asuser daemon nogroup "$(lab_bin hikectl)" -s "$(lab_hiked_sock n2)" status

# --- switchover there and back
check "switchover on n1" ctl n1 switchover
check "n2 becomes active" lab_wait_for 5 is_role n2 active
check "n1 becomes standby" lab_wait_for 5 is_role n1 standby
check "VIPs held by n2 (seen from n1)" lab_wait_for 3 js n1 '[.vips[].holder] == ["n2", "n2"]'
check_fails "switchover refused on the standby" ctl n1 switchover
check "switchover --to n1 on n2" ctl n2 switchover --to n1
check "n1 active again" lab_wait_for 5 is_role n1 active
check "n2 standby again" lab_wait_for 5 is_role n2 standby
check "tunnel carries traffic after both switchovers" lab_wait_for 5 lab_ping hi 203.0.113.2 3

# --- degraded: the standby's hiked stops
lab_stop hiked-n2
check "n2's hiked stopped: n1 degraded (exit 1)" lab_wait_for 5 rc_is 1 ctl n1 status
check "... --json says why" js n1 '.health == "degraded" and (.health_reason | test("standby"))'
check "unreachable socket: exit 2" rc_is 2 ctl n2 status
check "... with a readable reason" sh -c "'$(lab_bin hikectl)' -s '$(lab_hiked_sock n2)' status 2>&1 | grep -q 'is hiked running'"
check "n2's hiked restarts" lab_hiked n2 "$LAB_DIR/n2.yaml"
check "n2 resyncs: n1 healthy again (exit 0)" lab_wait_for 10 rc_is 0 ctl n1 status

# --- down: n2 loses corosync, so its hiked has no quorum
lab_stop corosync-n2 KILL
check "n2 without corosync: down (exit 2)" lab_wait_for 5 rc_is 2 ctl n2 status
ctl n2 status >"$LAB_DIR/status-n2-down.txt"
sed 's/^/#   /' "$LAB_DIR/status-n2-down.txt"
check "n1 alone: degraded (exit 1)" lab_wait_for 5 rc_is 1 ctl n1 status
check "hiked n1 still running" lab_alive hiked-n1
lab_done
