#!/bin/bash
# install-deps.sh: install everything oak needs to build and test, from Debian
# packages only. Idempotent: apt-get update runs only when a package is missing.
# Usage: tools/install-deps.sh [build|test|demo|all]   (default all; needs root)
# demo: what tools/demo.sh needs (build + namespaces).
# test/all also unpack libreswan into $OAK_LIBRESWAN (default /opt/libreswan):
# its package conflicts with strongSwan's, so it is never installed with dpkg.
set -eu
export DEBIAN_FRONTEND=noninteractive
BUILD_PKGS="gcc clang meson ninja-build pkg-config libssl-dev libevent-dev libmnl-dev
	libcmocka-dev libjansson-dev libcap-ng-dev libseccomp-dev libclang-rt-14-dev
	clang-format clang-tidy cppcheck python3 python3-jsonschema scdoc"
# peers and tools for interop tests (the rig's list: strongSwan, tshark, UML ...)
TEST_PKGS="tshark iproute2 iputils-ping procps util-linux openssl strongswan-charon
	strongswan-swanctl strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins
	libstrongswan-standard-plugins libnss3-tools python3 user-mode-linux kmod
	libcurl3-nss libldap-2.5-0 libnss3 libnspr4 libevent-core-2.1-7 libcap-ng0 ike-scan
	nftables"
# libreswan 4.10 and the libraries of its Depends that are not installed with
# the packages above (the last line of TEST_PKGS holds the others); fetched
# with apt-get download and dpkg -x'ed
LSW_DEBS="libreswan libunbound8 libldns3 libevent-pthreads-2.1-7"
LSW_PREFIX=${OAK_LIBRESWAN:-/opt/libreswan}
case "${1:-all}" in
build) want=$BUILD_PKGS ;;
test) want=$TEST_PKGS ;;
demo) want="$BUILD_PKGS iproute2 procps util-linux" ;;
all) want="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: $0 [build|test|demo|all]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: needs root (apt-get)" >&2; exit 1; }
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# install_pkgs: apt-get install what is missing of $want, starting no service
install_pkgs() {
	local cleanup_rc=0
	echo "install-deps.sh: installing$missing"
	# no service may start during the installation (strongSwan's packages ship units)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		cleanup_rc=1
	fi
	# tshark asks whether non-root users may capture: answer no, non-interactively
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	[ $cleanup_rc = 1 ] && rm -f /usr/sbin/policy-rc.d
	return 0
}

# lsw_unresolved: the libraries pluto, whack and addconn cannot find (or "nopluto")
lsw_unresolved() {
	local b
	[ -x "$LSW_PREFIX/usr/libexec/ipsec/pluto" ] || { echo nopluto; return; }
	for b in pluto whack addconn; do
		LD_LIBRARY_PATH=$(echo "$LSW_PREFIX"/usr/lib/*-linux-gnu*) \
			ldd "$LSW_PREFIX/usr/libexec/ipsec/$b" | awk '/not found/ { print $1 }'
	done | sort -u
}

# install_libreswan: apt-get download + dpkg -x libreswan and its libraries into
# $LSW_PREFIX; nothing is registered with dpkg, no maintainer script runs
install_libreswan() {
	local tmp p need
	echo "install-deps.sh: unpacking libreswan into $LSW_PREFIX"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	id _apt >/dev/null 2>&1 && chown _apt "$tmp" # apt-get download runs as _apt
	# shellcheck disable=SC2086
	if ! (cd "$tmp" && apt-get download -q $LSW_DEBS >/dev/null 2>&1); then
		apt-get update -qq
		# shellcheck disable=SC2086
		(cd "$tmp" && apt-get download -q $LSW_DEBS >/dev/null) || { rm -rf "$tmp"; return 1; }
	fi
	mkdir -p "$LSW_PREFIX"
	for p in "$tmp"/*.deb; do dpkg -x "$p" "$LSW_PREFIX"; done
	rm -rf "$tmp"
	need=$(lsw_unresolved)
	if [ -n "$need" ]; then
		echo "install-deps.sh: pluto still misses:" $need >&2
		return 1
	fi
}

if [ -n "$missing" ]; then
	install_pkgs
fi
case "${1:-all}" in
test | all)
	if [ -n "$(lsw_unresolved)" ]; then
		install_libreswan || exit 1
	fi
	;;
esac
if [ -z "$missing" ]; then
	echo "install-deps.sh: all packages present"
else
	echo "install-deps.sh: done"
fi
