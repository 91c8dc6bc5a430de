#!/usr/bin/env bash
# Installs every Debian package hike's build, tests and demo need.
# Idempotent: does nothing (and needs no network) when all are present.
set -eu
pkgs=(
	build-essential pkg-config make gcc clang libclang-rt-14-dev
	libssl-dev libmnl-dev libprotobuf-c-dev protobuf-c-compiler libyaml-dev
	libcmocka-dev libjansson-dev corosync libcpg-dev libcmap-dev libquorum-dev
	libvotequorum-dev libcfg-dev libcorosync-common-dev corosync-qdevice corosync-qnetd
	strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-extra-plugins libstrongswan-standard-plugins
	iproute2 iputils-ping nftables iperf3 tshark python3-scapy jq procps psmisc
	ansible ansible-lint debootstrap zstd util-linux
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run as root (sudo) to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
