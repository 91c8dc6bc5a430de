#!/usr/bin/env bash
# Builds the hike .deb (hiked, hikectl, the systemd unit, docs and an
# example config) from this tree with `make install DESTDIR=` and
# dpkg-deb, for the Debian release and architecture of this machine.
#
#   deploy/debian/build-deb.sh [OUTDIR]      (env: B=build dir, default build;
#                                             HIKE_DEB_PREBUILT=1: no recompile)
#
# Prints "built PATH" or "unchanged PATH" as its last line.  The version is
# hiked's own plus a hash of the installed files (0.1.0+h1a2b3c4d5e), so
# the same binaries give the same version, and a rebuild of them a new
# one that apt will install; the archive itself is reproducible
# (SOURCE_DATE_EPOCH, root-owned), and an existing file of the same
# version is left alone.  Ansible's role copies it only when it differs.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${B:-build}
out=${1:-$B/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/hike-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root

# HIKE_DEB_PREBUILT=1: package the binaries as built, never recompile
prebuilt=()
[ "${HIKE_DEB_PREBUILT:-}" = 1 ] && prebuilt=(-o "$B/hiked" -o "$B/hikectl")
make -s -j"$(nproc)" B="$B" "${prebuilt[@]}" install PREFIX=/usr UNITDIR=/lib/systemd/system \
	DESTDIR="$root" >"$stage/make.log" 2>&1 || {
	tail -30 "$stage/make.log" >&2
	exit 1
}
# debug symbols stay in the build tree
strip --strip-unneeded "$root/usr/sbin/hiked" "$root/usr/bin/hikectl"

base=$("$root/usr/sbin/hiked" -V | awk '{ print $2 }')
hash=$(cd "$root" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-10)
version=$base+h$hash
arch=$(dpkg --print-architecture)
deb=$out/hike_${version}_$arch.deb
if [ -s "$deb" ]; then
	echo "unchanged $deb"
	exit 0
fi

# Depends: the packages owning the shared libraries the binaries link
depends=$(for f in "$root/usr/sbin/hiked" "$root/usr/bin/hikectl"; do
		ldd "$f" | awk '$3 ~ /^\// { print $3 }'
	done | sort -u | while read -r lib; do
		dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null
	done | cut -d: -f1 | sort -u | grep -vx 'libc6' | paste -sd, | sed 's/,/, /g')

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CTRL
Package: hike
Version: $version
Architecture: $arch
Maintainer: hike developers <hike@example.org>
Section: net
Priority: optional
Depends: libc6, procps, $depends
Recommends: corosync, nftables
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Description: high-availability clustered IKEv2 responder
 hiked answers IKEv2 (RFC 7296) and carries ESP in userspace over a TUN
 device; two or more nodes replicate every SA through corosync CPG so a
 standby takes over the virtual IPs without renegotiation.  hikectl is
 its status and control tool.
CTRL
cat >"$root/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
# The unit changed on disk; a running hiked keeps running (restart it node
# by node: the standby carries the SAs meanwhile).
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
SH
cat >"$root/DEBIAN/postrm" <<'SH'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
SH
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
find "$root" -type d -exec chmod 0755 {} +
SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Zxz -b "$root" "$stage/hike.deb" >/dev/null
mv "$stage/hike.deb" "$deb"
echo "built $deb"
