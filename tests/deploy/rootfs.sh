#!/usr/bin/env bash
# Prints the path of a cached tarball of a minimal Debian bookworm root
# file system (what a freshly installed host has that Ansible needs:
# python3, python3-apt, systemd), building it with debootstrap the first
# time.  The cache lives in $HIKE_TEST_CACHE (/var/cache/hike-test); its
# name carries a hash of the recipe, so a changed recipe builds anew.
#
#   tarball=$(tests/deploy/rootfs.sh)
#   mkdir R && tar -C R -xaf "$tarball"
set -eu
cache=${HIKE_TEST_CACHE:-/var/cache/hike-test}
suite=bookworm
include=python3,python3-apt,systemd
# the host's own Debian mirror (deb822 or one-line sources)
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\{0,1\} *$/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' \
	/etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}
if command -v zstd >/dev/null; then ext=tar.zst; else ext=tar.gz; fi
key=$(printf '%s %s %s' "$suite" "$include" "$(dpkg --print-architecture)" | md5sum | cut -c1-8)
tarball=$cache/$suite-minbase-$key.$ext
if [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi
command -v debootstrap >/dev/null || {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
}
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "# rootfs: debootstrap $suite ($include) from $mirror" >&2
debootstrap --variant=minbase --include="$include" "$suite" "$tmp/root" \
	"$mirror" >"$tmp/debootstrap.log" 2>&1 || {
	tail -20 "$tmp/debootstrap.log" | sed 's/^/# /' >&2
	exit 1
}
# what a real host has: the same sources as the control machine
cp /etc/apt/sources.list "$tmp/root/etc/apt/" 2>/dev/null || true
mkdir -p "$tmp/root/etc/apt/sources.list.d"
cp /etc/apt/sources.list.d/debian.sources "$tmp/root/etc/apt/sources.list.d/" 2>/dev/null || true
[ -s "$tmp/root/etc/apt/sources.list.d/debian.sources" ] &&
	rm -f "$tmp/root/etc/apt/sources.list"
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
tar -C "$tmp/root" -caf "$tmp/rootfs.$ext" --numeric-owner .
mv "$tmp/rootfs.$ext" "$tarball"
echo "$tarball"
