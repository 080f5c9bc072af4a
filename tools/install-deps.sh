#!/bin/bash
# install-deps.sh: install everything oak needs to build and test, from Debian
# packages only. Idempotent: apt-get update runs only when a package is missing.
# Usage: tools/install-deps.sh [build|test|all]   (default all; needs root)
set -eu
export DEBIAN_FRONTEND=noninteractive
BUILD_PKGS="gcc clang meson ninja-build pkg-config libssl-dev libevent-dev libmnl-dev
	libcmocka-dev libjansson-dev libcap-ng-dev libseccomp-dev libclang-rt-14-dev
	clang-format clang-tidy cppcheck python3"
# peers and tools for interop tests (the rig's list: strongSwan, tshark, UML ...)
TEST_PKGS="tshark iproute2 iputils-ping procps util-linux openssl strongswan-charon
	strongswan-swanctl strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins
	libstrongswan-standard-plugins"
case "${1:-all}" in
build) want=$BUILD_PKGS ;;
test) want=$TEST_PKGS ;;
all) want="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: needs root (apt-get)" >&2; exit 1; }
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps.sh: all packages present"
	exit 0
fi
echo "install-deps.sh: installing$missing"
# no service may start during the installation (strongSwan's packages ship units)
cleanup_rc=0
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
echo "install-deps.sh: done"
