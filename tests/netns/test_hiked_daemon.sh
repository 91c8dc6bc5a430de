#!/usr/bin/env bash
# hiked as a process: --check-config, start in the foreground with the
# systemd notify protocol (READY/WATCHDOG/RELOADING/STOPPING to a socket
# we listen on), SIGHUP with a good and a bad file, pid file, SIGTERM.
# No namespace needed; TAP lines "ok - ..." / "not ok - ...".
set -u
# A private network namespace: the daemon's sockets, TUN device and
# abstract notify socket stay out of everyone else's way.
if [ -z "${HIKE_DAEMON_NETNS:-}" ]; then
	exec unshare -n env HIKE_DAEMON_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
cd "$(dirname "$0")/../.."
B=${HIKE_BUILD:-build}
HIKED=$B/hiked
PY=/usr/bin/python3
if [ ! -x "$HIKED" ]; then
	echo "not ok - $HIKED is built"
	exit 1
fi
dir=$(mktemp -d /tmp/hike-daemon.XXXXXX)
fails=0
pid=
lpid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	if [ "$fails" -eq 0 ]; then rm -rf "$dir"; else echo "# kept $dir"; fi
}
trap cleanup EXIT

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }

# wait_for FILE PATTERN [tenths]: poll until FILE has a line matching PATTERN
wait_for() {
	local i
	for ((i = 0; i < ${3:-50}; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

cat >"$dir/good.yaml" <<'Y'
node: { name: gw-test }
ctl: { socket: /tmp/hike-daemon-test.sock }
connections:
  - name: cisco-peer
    local_addrs: [192.0.2.10]
    remote_addrs: [192.0.2.50]
    local_id: 192.0.2.10
    remote_id: 192.0.2.50
    auth: psk
    psk: "cisco123-shared"
    ike_proposals: [aes256-sha256-prfsha256-modp1536]
    esp_proposals: [aes128-sha1]
    local_ts: [192.168.1.100/32]
    remote_ts: [192.168.2.100/32]
Y
cat >"$dir/two.yaml" <<'Y'
connections:
  - { name: a, psk: one }
  - { name: b, psk: two }
Y
cat >"$dir/bad.yaml" <<'Y'
connections:
  - name: a
    auth: psk
    lifetime: 1h
Y

out=$("$HIKED" --check-config "$dir/good.yaml" 2>&1); rc=$?
check "check-config accepts the Cisco example" [ $rc -eq 0 ]
check "check-config prints the count" [ "$out" = "config OK: 1 connections" ]
out=$("$HIKED" --check-config "$dir/bad.yaml" 2>&1); rc=$?
check "check-config rejects a bad file" [ $rc -eq 1 ]
check "check-config names line 4 with a hint" grep -q "bad.yaml:4: unknown key 'lifetime' (did you mean" <<<"$out"
check "check-config reports every error" grep -q "bad.yaml:2: connection 'a': auth psk needs a psk" <<<"$out"
check "--version prints it" grep -q "^hiked [0-9]" <<<"$("$HIKED" --version)"
"$HIKED" --bogus >/dev/null 2>&1; check "unknown option exits 2" [ $? -eq 2 ]

# A notify socket (abstract name, as systemd can use) that logs datagrams.
sock="@hike-notify-$$"
"$PY" - "$sock" "$dir/notify.log" <<'P' &
import socket, sys
name, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:])
with open(log, "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
P
lpid=$!
sleep 0.3

cp "$dir/good.yaml" "$dir/run.yaml"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 "$HIKED" -f -c "$dir/run.yaml" -p "$dir/hiked.pid" \
	2>"$dir/hiked.log" &
pid=$!
check "READY=1 sent" wait_for "$dir/notify.log" "READY=1"
check "pid file holds the pid" wait_for "$dir/hiked.pid" "^$pid\$"
check "watchdog pinged at half the interval" wait_for "$dir/notify.log" "WATCHDOG=1"
sleep 0.5
check "watchdog keeps pinging" [ "$(grep -c WATCHDOG=1 "$dir/notify.log")" -ge 3 ]
check "log line carries level and node" grep -q "INFO gw-test: hiked .* started: 1 connections" "$dir/hiked.log"
"$HIKED" -f -c "$dir/run.yaml" -p "$dir/hiked.pid" 2>"$dir/second.log"; rc=$?
check "a second hiked on the same pid file refuses" [ $rc -eq 1 ]
check "and says why" grep -q "pid file .*busy" "$dir/second.log"

cp "$dir/two.yaml" "$dir/run.yaml"
kill -HUP "$pid"
check "SIGHUP with a good file reloads" wait_for "$dir/hiked.log" "config reloaded: 2 connections"
check "RELOADING=1 sent" grep -q "RELOADING=1" "$dir/notify.log"

cp "$dir/bad.yaml" "$dir/run.yaml"
kill -HUP "$pid"
check "SIGHUP with a bad file keeps the old one" wait_for "$dir/hiked.log" "config reload failed, keeping the running one"
check "each reload error is logged with its line" wait_for "$dir/hiked.log" "run.yaml:4: unknown key 'lifetime'"
check "still running after a bad reload" kill -0 "$pid"

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
check "SIGTERM exits 0" [ $rc -eq 0 ]
check "STOPPING=1 sent" wait_for "$dir/notify.log" "STOPPING=1"
check "pid file removed" [ ! -e "$dir/hiked.pid" ]
[ "$fails" -eq 0 ]
