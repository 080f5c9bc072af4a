#!/bin/bash
# uml-run.sh GUEST_SCRIPT [KEY=VALUE...]: boot User-Mode Linux (Debian's
# linux.uml: real XFRM and ESP, which build hosts may lack) with the host's
# root fs over hostfs, run GUEST_SCRIPT with bash as root inside it (init.sh
# is PID 1), print the guest's output and exit with the guest's status.
#
# KEY=VALUE pairs go on the kernel command line and reach the guest script as
# environment (so: no spaces in values or paths). The guest also gets
#   OAK_UML_WORK  its work dir: a guest-private tmpfs (TMPDIR and HOME too)
#   OAK_UML_OUT   a host-visible dir; init.sh copies OAK_UML_WORK there at exit
# The host fs is the guest's root and the guest is root on it: a guest script
# writes only below OAK_UML_WORK (init.sh puts tmpfs on /run, /var/log,
# /var/tmp, /lib/modules too); OAK_UML_OUT is the one place written through.
#
# Exit 77 (skipped) when not root or without linux.uml (tools/install-deps.sh
# installs user-mode-linux). The host work dir (console.log, out/) is removed
# after a pass unless OAK_UML_KEEP=1, and kept and named after a failure.
# OAK_UML_TIMEOUT (s, default 300; a long test's meson.build entry passes it
# as a KEY=VALUE argument, which wins), OAK_UML_MEM (default 384M). A test
# given OAK_UML_OPTIN=1 is skipped unless the environment has OAK_UML_LONG=1
# (minutes-long boots kept out of CI's 30 minutes).
set -u
here=$(dirname "$(readlink -f "$0")")
guest=$(readlink -f "${1:?usage: uml-run.sh GUEST_SCRIPT [KEY=VALUE...]}") || exit 2
shift
optin=0
for kv in "$@"; do
	case $kv in
	OAK_UML_TIMEOUT=*) OAK_UML_TIMEOUT=${kv#*=} ;;
	OAK_UML_OPTIN=1) optin=1 ;;
	esac
done
[ -f "$guest" ] || { echo "uml-run.sh: no guest script $guest" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
	echo "uml-run.sh: SKIP: needs root (the guest's root fs is the host's)"
	exit 77
fi
if [ "$optin" = 1 ] && [ "${OAK_UML_LONG:-0}" != 1 ]; then
	echo "uml-run.sh: SKIP: a long test, run it with OAK_UML_LONG=1 in the environment"
	exit 77
fi
if ! command -v linux.uml >/dev/null; then
	echo "uml-run.sh: SKIP: no linux.uml (apt-get install user-mode-linux, or tools/install-deps.sh)"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/oak-uml.XXXXXX") || exit 1
for kv in "$work" "$guest" "$here" "$@"; do
	case "$kv" in *[[:space:]]*)
		echo "uml-run.sh: no spaces allowed on the kernel command line: '$kv'" >&2
		exit 2 ;;
	esac
done
mkdir -p "$work/guest" "$work/out" "$work/uml"
console=$work/console.log
t0=$(date +%s)
# con0 on our stdin/stdout (redirected to the console log), other consoles off;
# umid/uml_dir keep UML's control files in the work dir
timeout "${OAK_UML_TIMEOUT:-300}" linux.uml mem="${OAK_UML_MEM:-384M}" \
	root=/dev/root rootfstype=hostfs rootflags=/ rw init="$here/init.sh" \
	OAK_UML_GUEST="$guest" OAK_UML_WORK="$work/guest" OAK_UML_OUT="$work/out" "$@" \
	con=null con0=fd:0,fd:1 umid="oak$$" uml_dir="$work/uml" </dev/null >"$console" 2>&1
rc=$?
sed -n '/^OAK-UML: guest ready/,$p' "$console" | grep -v -e '^reboot:' -e '^Halting'
st=$(sed -n 's/^OAK-UML-EXIT=\([0-9]*\).*/\1/p' "$console" | tail -1)
echo "uml-run.sh: $(($(date +%s) - t0)) s, linux.uml exit $rc, guest exit ${st:-none}"
if [ -z "$st" ]; then
	echo "uml-run.sh: the guest never reported its status; console tail:"
	tail -20 "$console"
	[ "$rc" = 124 ] && echo "uml-run.sh: timed out after ${OAK_UML_TIMEOUT:-300} s"
	st=99
fi
if [ "$st" = 0 ] && [ "${OAK_UML_KEEP:-0}" != 1 ]; then
	rm -rf "$work"
else
	echo "uml-run.sh: console and guest files kept in $work"
fi
exit "$st"
