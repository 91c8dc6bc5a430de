#!/usr/bin/env bash
# (sh -c scripts expand their own variables; functions run through check)
# shellcheck disable=SC2016,SC2317
# Deploys a hike pair FOR REAL with deploy/ansible/site.yml and starts it.
#
# Two fresh Debian bookworm hosts (a debootstrap root file system, cached
# as a tarball under /var/cache/hike-test by tests/deploy/rootfs.sh,
# unpacked twice) are reached with Ansible's chroot connection.  The
# playbook builds the .deb on this (control) machine, installs corosync,
# nftables and hike into the hosts from Debian's mirror, generates and
# distributes the corosync key, templates corosync.conf, hiked.yaml (PSKs
# from an ansible-vault encrypted file) and nftables.conf, and enables the
# units.  Then each host runs in its own network namespace on a shared
# outside bridge (192.0.2.0/24) and sync bridge (198.51.100.0/24): its own
# firewall rules loaded, corosync and hiked started from the chroot; both
# must see 2 corosync members and answer `hikectl status`.  A second run
# of the playbook must change nothing; a third one with another log level
# must reload the running hiked by SIGHUP (same pid).
#
# Runtime: ~1.5 min with the caches warm (debootstrap adds ~2 min once).
# Knobs: HIKE_TEST_CACHE (/var/cache/hike-test), KEEP=1.
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init deploy

HOSTS=(gw1 gw2)
CACHE=${HIKE_TEST_CACHE:-/var/cache/hike-test}
ANSIBLE_DIR=$LAB_ROOT/deploy/ansible
INV=$LAB_DIR/inventory

# Never let a bind mount survive into the work dir's removal (rm -rf would
# walk into /dev): every mount below lives in a private mount namespace,
# this is the belt to those braces.
# The hosts' root file systems live beside the work dir (so a failure's
# log dump shows the test's logs, not the hosts' /var/log).
ROOTS=$(mktemp -d /tmp/hike-deploy-roots.XXXXXX) || exit 1
deploy_cleanup() {
	local rc=$? m i
	# stop what runs from the root file systems before removing them
	for ((i = ${#LAB_PID_ORDER[@]} - 1; i >= 0; i--)); do
		lab_stop "${LAB_PID_ORDER[$i]}"
	done
	for m in $(findmnt -rn -o TARGET 2>/dev/null | grep -e "^$LAB_DIR/" -e "^$ROOTS/" | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	if [ "${KEEP:-}" = 1 ]; then
		echo "# KEEP=1: host root file systems kept in $ROOTS"
	elif ! findmnt -rn -o TARGET | grep -q "^$ROOTS/"; then
		rm -rf --one-file-system "$ROOTS"
	fi
	(exit "$rc")
	lab_cleanup
}
trap deploy_cleanup EXIT

root_of() { echo "$ROOTS/$1"; }

# node HOST CMD...: run CMD inside HOST's root file system and network
# namespace, with /proc and the host's /dev (TUN, libqb's /dev/shm)
# mounted in a private mount namespace that ends with CMD.
node() {
	local h=$1
	shift
	ip netns exec "$(lab_nsname "$h")" sh -c '
		r=$0
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
		exec chroot "$r" "$@"' "$(root_of "$h")" "$@"
}

# node_bg NAME HOST CMD...: node, in the background (recorded as NAME).
node_bg() {
	local name=$1 h=$2
	shift 2
	lab_start_bg "$name" ip netns exec "$(lab_nsname "$h")" sh -c '
		r=$0
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
		exec chroot "$r" "$@"' "$(root_of "$h")" "$@"
}

# in_root HOST CMD...: CMD in HOST's root file system, host network (for
# looking at files; no daemons).
in_root() {
	local h=$1
	shift
	chroot "$(root_of "$h")" "$@"
}

# --- prerequisites -------------------------------------------------------
need=()
command -v ansible-playbook >/dev/null || need+=(ansible)
[ -d /usr/lib/python3/dist-packages/ansible_collections/community/general ] ||
	need+=(ansible)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v zstd >/dev/null || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then
	lab_log "installing ${need[*]}"
	apt_in() {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${need[@]}" >>"$LAB_DIR/apt-prereq.out" 2>&1
	}
	apt_in || { apt-get update -q >>"$LAB_DIR/apt-prereq.out" 2>&1 && apt_in; } ||
		lab_die "apt-get install ${need[*]}"
fi
[ -x "$(lab_bin hiked)" ] || lab_die "hiked is not built ($(lab_bin hiked))"

# --- static checks of the playbook ----------------------------------------
for inv in pair trio; do
	check "ansible-playbook --syntax-check ($inv inventory)" \
		env ANSIBLE_CONFIG="$ANSIBLE_DIR/ansible.cfg" ansible-playbook --syntax-check \
		-i "$ANSIBLE_DIR/inventories/$inv/hosts.yml" "$ANSIBLE_DIR/site.yml"
done
if command -v ansible-lint >/dev/null; then
	check "ansible-lint is clean (passes the production profile)" \
		sh -c "cd '$ANSIBLE_DIR' && ansible-lint -q --nocolor --offline"
else
	lab_log "skipped: ansible-lint is not installed (apt-get install ansible-lint)"
fi

# --- two fresh hosts -------------------------------------------------------
t=$(lab_now)
tarball=$("$LAB_ROOT/tests/deploy/rootfs.sh") || lab_die "debootstrap root file system"
lab_timing "root file system tarball (cached in $CACHE)" "$t"
t=$(lab_now)
for h in "${HOSTS[@]}"; do
	r=$(root_of "$h")
	mkdir -p "$r"
	tar -C "$r" -xaf "$tarball" || lab_die "unpack $tarball"
	# what a container image has: package scripts do not start services
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null
	echo "$h" >"$r/etc/hostname"
	# the hosts' downloaded packages, kept across runs (see apt_cache_save)
	mkdir -p "$CACHE/apt" "$r/var/cache/apt/archives/partial"
	cp "$CACHE"/apt/*.deb "$r/var/cache/apt/archives/" 2>/dev/null
done
lab_timing "two hosts unpacked" "$t"

# --- inventory: the pair example's variables, chroot hosts, vaulted PSKs ---
mkdir -p "$INV/group_vars/hike"
cat >"$INV/hosts.yml" <<EOF
hike:
  vars:
    ansible_connection: community.general.chroot
    ansible_python_interpreter: /usr/bin/python3
    ansible_become: false
  hosts:
    gw1:
      ansible_host: $(root_of gw1)
      hike_sync_addr: 198.51.100.1
      hike_priority: 100
    gw2:
      ansible_host: $(root_of gw2)
      hike_sync_addr: 198.51.100.2
      hike_priority: 50
EOF
cp "$ANSIBLE_DIR/inventories/pair/group_vars/hike/vars.yml" "$INV/group_vars/hike/vars.yml"
PSK1=deploy-test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
PSK2=deploy-test-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$INV/group_vars/hike/vault.yml" <<EOF
vault_hike_psk_site_b: "$PSK1"
vault_hike_psk_roadwarriors: "$PSK2"
EOF
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB_DIR/vault-pass"
check "ansible-vault encrypts the PSK file" \
	ansible-vault encrypt --vault-password-file "$LAB_DIR/vault-pass" \
	"$INV/group_vars/hike/vault.yml"
check "the vault file holds no PSK in clear" \
	sh -c "! grep -q '$PSK1' '$INV/group_vars/hike/vault.yml'"

# apt_cache_save: keep the packages the hosts downloaded for the next run
# (each run works on its own copy: concurrent runs never share apt's lock).
apt_cache_save() {
	local h f
	for h in "${HOSTS[@]}"; do
		for f in "$(root_of "$h")"/var/cache/apt/archives/*.deb; do
			if [ ! -f "$f" ] || [ -f "$CACHE/apt/${f##*/}" ]; then continue; fi
			cp "$f" "$CACHE/apt/.${f##*/}.$$" && mv "$CACHE/apt/.${f##*/}.$$" "$CACHE/apt/${f##*/}"
		done
	done
}

# run_playbook LOG [ARGS]: site.yml against the two hosts.  The hosts get
# /proc and /dev in a private mount namespace that ends with the run.
run_playbook() {
	local log=$1
	shift
	HIKE_BUILD=$LAB_BUILD HIKE_DEB_DIR=$LAB_DIR/deb HIKE_DEB_PREBUILT=1 \
	ANSIBLE_CONFIG=$ANSIBLE_DIR/ansible.cfg ANSIBLE_FORCE_COLOR=0 \
	ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$LAB_DIR/ansible-tmp \
	unshare --mount --propagation private sh -c '
		for h in '"${HOSTS[*]}"'; do
			r='"$ROOTS"'/$h
			mount -t proc proc "$r/proc" || exit 1
			mount --rbind /dev "$r/dev" || exit 1
		done
		exec "$@"' sh \
		ansible-playbook -i "$INV/hosts.yml" \
		--vault-password-file "$LAB_DIR/vault-pass" \
		"$ANSIBLE_DIR/site.yml" "$@" >"$LAB_DIR/$log" 2>&1
}

# recap LOG HOST FIELD: a number from the PLAY RECAP line of HOST
recap() {
	sed -n "s/^$2 *:.* $3=\([0-9]*\).*/\1/p" "$LAB_DIR/$1" | tail -1
}

recap_clean() {	# LOG: every host ok, nothing failed or unreachable
	local h
	for h in localhost "${HOSTS[@]}"; do
		[ "$(recap "$1" "$h" failed)" = 0 ] || return 1
		[ "$(recap "$1" "$h" unreachable)" = 0 ] || return 1
	done
}

recap_changed() {	# LOG: sum of changed= over the hosts
	local h n=0
	for h in localhost "${HOSTS[@]}"; do
		n=$((n + $(recap "$1" "$h" changed)))
	done
	echo $n
}

# --- first run: install and configure ----------------------------------------
t=$(lab_now)
run_playbook play1.log
rc=$?
lab_timing "playbook, first run (installs)" "$t"
apt_cache_save
if [ $rc -ne 0 ] || ! recap_clean play1.log; then
	not_ok "playbook first run succeeds (rc $rc)"
	grep -E '^(fatal|failed)|FAILED|ERROR' -A12 "$LAB_DIR/play1.log" | head -60 | sed 's/^/#   | /'
	tail -15 "$LAB_DIR/play1.log" | sed 's/^/#   | /'
	lab_done
fi
ok "playbook first run succeeds on both hosts"
check "first run changed things ($(recap_changed play1.log) changes)" \
	test "$(recap play1.log gw1 changed)" -gt 5
check "the PSKs never appear in the playbook output (no_log)" \
	sh -c "! grep -q -e '$PSK1' -e '$PSK2' '$LAB_DIR/play1.log'"

for h in "${HOSTS[@]}"; do
	check "$h: packages hike, corosync, nftables installed" \
		in_root "$h" dpkg-query -W hike corosync nftables
	check "$h: hiked --check-config accepts the deployed config" \
		in_root "$h" /usr/sbin/hiked --check-config /etc/hike/hiked.yaml
	check "$h: hiked.yaml is root-only (0600) and holds the vaulted PSK" \
		sh -c "[ \"\$(stat -c %a '$(root_of "$h")/etc/hike/hiked.yaml')\" = 600 ] &&
			grep -q '$PSK1' '$(root_of "$h")/etc/hike/hiked.yaml'"
	check "$h: corosync.conf: knet, crypto, token 300, knet pings, two_node" \
		sh -c "c='$(root_of "$h")/etc/corosync/corosync.conf'
			grep -q 'transport: knet' \$c && grep -q 'crypto_cipher: aes256' \$c &&
			grep -q 'token: 300' \$c && grep -q 'knet_ping_interval: 100' \$c &&
			grep -q 'knet_ping_timeout: 300' \$c && grep -q 'two_node: 1' \$c &&
			grep -q 'ring0_addr: 198.51.100.2' \$c"
	check "$h: corosync key installed 0400" \
		test "$(stat -c %a "$(root_of "$h")/etc/corosync/authkey")" = 400
	check "$h: units enabled (hiked, corosync, nftables)" \
		in_root "$h" systemctl is-enabled hiked corosync nftables
	check "$h: the installed unit passes systemd-analyze verify" \
		in_root "$h" systemd-analyze verify /lib/systemd/system/hiked.service
done
check "both nodes got the same corosync key" \
	cmp "$(root_of gw1)/etc/corosync/authkey" "$(root_of gw2)/etc/corosync/authkey"
check "the key was generated on the control machine, 0600" \
	test "$(stat -c %a "$INV/secrets/vpn-a-corosync.authkey")" = 600

# --- start the deployed pair -------------------------------------------------------
lab_ns sw
lab_bridge sw br0 192.0.2.1/24
lab_bridge sw sy0
lab_bridge sw br1
n=0
for h in "${HOSTS[@]}"; do
	n=$((n + 1))
	lab_ns "$h"
	lab_bridge_port sw br0 "$h" eth0 192.0.2.1$n/24
	lab_bridge_port sw sy0 "$h" sync0 198.51.100.$n/24
	lab_bridge_port sw br1 "$h" eth1 203.0.113.1$n/25
	check "$h: the deployed nftables rules load" \
		node "$h" nft -f /etc/nftables.conf
done
t=$(lab_now)
for h in "${HOSTS[@]}"; do
	node_bg "corosync-$h" "$h" corosync -f
done
members_are_2() { node "$1" corosync-quorumtool -s 2>/dev/null | grep -q '^Nodes: *2$'; }
for h in "${HOSTS[@]}"; do
	check "$h: corosync (through the deployed firewall) sees 2 members" \
		lab_wait_for 20 members_are_2 "$h"
done
lab_timing "deployed corosync pair formed" "$t"
quorate() { node "$1" corosync-quorumtool -s 2>/dev/null | grep -q '^Quorate: *Yes'; }
for h in "${HOSTS[@]}"; do
	check "$h: quorate" quorate "$h"
done

# hikectl status exits 0 healthy, 1 degraded, 2 down or unreachable
status_answers() {
	local rc
	node "$1" hikectl status >/dev/null 2>&1
	rc=$?
	[ "$rc" -le 1 ]
}
t=$(lab_now)
for h in "${HOSTS[@]}"; do
	mkdir -p "$(root_of "$h")/run/hike"	# systemd's RuntimeDirectory=hike
	node_bg "hiked-$h" "$h" /usr/sbin/hiked -f -c /etc/hike/hiked.yaml \
		-p /run/hike/hiked.pid -d debug
done
for h in "${HOSTS[@]}"; do
	check "$h: hiked opens its control socket" \
		lab_wait_for 10 test -S "$(root_of "$h")/run/hike/hiked.sock"
	check "$h: hikectl status answers" status_answers "$h"
done
for h in "${HOSTS[@]}"; do
	check "$h: hikectl status: healthy pair (exit 0, in-sync standby)" \
		lab_wait_for 15 node "$h" hikectl status
done
lab_timing "deployed hiked pair started and in sync" "$t"
node gw1 hikectl status 2>&1 | sed "s/^/#   gw1| /"

holds_vips() {	# NODE: both virtual IPs of the inventory
	ip -n "$(lab_nsname "$1")" -br addr show dev eth0 | grep -q ' 192.0.2.10/24' &&
		ip -n "$(lab_nsname "$1")" -br addr show dev eth1 | grep -q ' 203.0.113.1/25'
}
active_node() { local h; for h in "${HOSTS[@]}"; do holds_vips "$h" && echo "$h"; done; }
one_holds_vips() { [ "$(active_node | wc -l)" = 1 ]; }
check "exactly one node (the active) holds both virtual IPs, outside and inside" \
	lab_wait_for 5 one_holds_vips
before=$(active_node)

# DRILL: a graceful failover drill across the deployed pair, run from the
# control machine (each node's control socket is reachable by path)
sock() { echo "$(root_of "$1")/run/hike/hiked.sock"; }
check "hikectl drill passes on the deployed pair" \
	"$(lab_bin hikectl)" -s "$(sock gw1)" drill --node "gw2=$(sock gw2)"
other_holds() { [ -n "$(active_node)" ] && [ "$(active_node)" != "$before" ]; }
check "after the drill the other node holds both virtual IPs" lab_wait_for 5 other_holds

# --- second run: idempotent ------------------------------------------------------
t=$(lab_now)
run_playbook play2.log
rc=$?
lab_timing "playbook, second run" "$t"
check "playbook second run succeeds" sh -c "[ $rc = 0 ]"
unchanged() { recap_clean "$1" && [ "$(recap_changed "$1")" = 0 ]; }
check "playbook second run changes nothing (changed=0)" unchanged play2.log
[ "$(recap_changed play2.log)" = 0 ] ||
	grep -B2 '^changed:' "$LAB_DIR/play2.log" | head -30 | sed 's/^/#   | /'

# --- third run: a config change reloads the running hiked (SIGHUP) --------------
declare -A pid1
for h in "${HOSTS[@]}"; do
	pid1[$h]=$(lab_pid "hiked-$h")
done
t=$(lab_now)
run_playbook play3.log -e '{"hike_log": {"level": "debug"}}'
rc=$?
lab_timing "playbook, third run (log level change)" "$t"
check "playbook third run succeeds and changes the config" \
	sh -c "[ $rc = 0 ] && grep -q 'RUNNING HANDLER \[hike : Reload hiked through its pid file\]' '$LAB_DIR/play3.log'"
for h in "${HOSTS[@]}"; do
	check "$h: hiked reloaded its config on SIGHUP" \
		lab_wait_for 5 grep -q 'config reloaded' "$LAB_DIR/hiked-$h.out"
	check "$h: hiked.yaml now has log level debug" \
		grep -q 'level: "debug"' "$(root_of "$h")/etc/hike/hiked.yaml"
	check "$h: the same hiked still runs (pid ${pid1[$h]})" \
		sh -c "kill -0 ${pid1[$h]} && [ \"\$(cat '$(root_of "$h")/run/hike/hiked.pid')\" = ${pid1[$h]} ]"
	check "$h: hikectl status answers after the reload" status_answers "$h"
done

lab_done
