#!/bin/bash
# t-rekey-guest.sh: CHILD SA rekeying driven by the kernel's packet limit,
# two oakd, real ESP, a continuous ping. Runs inside UML:
#   uml-run.sh t-rekey-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl [VERSION=2]
#
# Tunnel 198.51.100.1/32 <-> 203.0.113.1/32, A initiates. The child has a
# packet soft limit (rekey_packets = 40), which only the kernel counts:
# while A pings B five times a second for 12 s, its soft EXPIRE must start
# the rekey ("soft lifetime reached in the kernel"): new SPIs in the kernel,
# the old SAs gone, every ping answered. Rekeys on a time lifetime (the
# kernel's soft EXPIRE of add-expire seconds, oakd as initiator and as
# responder) are t-peer-rekey-guest.sh's, against strongSwan: this test had
# a 10-second phase of its own before.
TAG=t-rekey
. "$(dirname "$(readlink -f "$0")")/oak-lib.sh"

spis() { ip -n "$1" xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' '; }
# ping_run SECONDS: A -> B at 5/s; the loss percentage ping reports
ping_run() {
	ip netns exec $A ping -c $(($1 * 5)) -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 |
		sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}
# replaced "SPIS": two states in A's kernel, none with an SPI of SPIS
replaced() {
	local now s
	now=$(spis $A)
	[ "$(nstates $A)" = 2 ] || return 1
	for s in $1; do
		case " $now " in *" $s "*) return 1 ;; esac
	done
}
rekeyed() { grep -c "CHILD SA #[0-9]* (oak) of IKE SA #[0-9]* installed" "$work/a/oakd.log"; }

# phase NAME SECONDS LIMIT CHILD_KEY=VALUE...: fresh oakd pair with these
# child lifetimes (LIMIT: how `ip -s xfrm state` shows them), ping for
# SECONDS, check the rekey
phase() {
	local name=$1 secs=$2 limit=$3 before loss n0
	shift 3
	conf "$work/b" 192.0.2.2 192.0.2.1 203.0.113.1/32 198.51.100.1/32 none tunnel "$@"
	conf "$work/a" 192.0.2.1 192.0.2.2 198.51.100.1/32 203.0.113.1/32 start tunnel "$@"
	: >"$work/a/oakd.log"
	: >"$work/b/oakd.log"
	check "$name: oakd B starts" start $B b
	check "$name: oakd A starts" start $A a
	check "$name: CHILD SA installed on A" wait_for 15 child_up a
	check "$name: CHILD SA installed on B" wait_for 5 child_up b
	check "$name: the kernel holds the lifetimes: $limit" \
		sh -c "ip -n $A -s xfrm state | grep -q '$limit'"
	before=$(spis $A)
	n0=$(rekeyed)
	log "$name: SPIs before: $before"
	loss=$(ping_run "$secs")
	log "$name: $((secs * 5)) pings over $secs s, ${loss:-?}% lost; SPIs after: $(spis $A)"
	check "$name: no ping lost during the rekey" [ "${loss:-100}" = 0 ]
	if grep -q "soft lifetime reached in the kernel, rekeying" "$work/a/oakd.log" "$work/b/oakd.log"; then
		log "$name: the rekey was started by the kernel's soft EXPIRE"
	else
		log "$name: the rekey was started by oakd's own timer"
	fi
	check "$name: a new CHILD SA was installed" [ "$(rekeyed)" -gt "$n0" ]
	check "$name: A's kernel holds 2 states, none of the old SPIs" replaced "$before"
	grep -E "EXPIRE|rekey|installed|deleted" "$work/a/oakd.log" | grep -v '^debug' | sed 's/^/    /'
	check "$name: oakd A stops" stop a
	check "$name: oakd B stops" stop b
	check "$name: nothing left on A" empty_xfrm $A
	check "$name: nothing left on B" empty_xfrm $B
}

[ -x "$oakd" ] || { log "FAIL no oakd at $oakd"; exit 1; }
check "namespaces, veth and plain ping" setup || exit 1
phase "40 packet soft limit" 12 "soft 40(packets), hard 100000(packets)" \
	rekey_packets=40 life_packets=100000
check "packet limit: oakd logged the kernel's soft EXPIRE" \
	grep -q "kernel soft EXPIRE of esp SA" "$work/a/oakd.log" "$work/b/oakd.log"
check "packet limit: the rekey came from the kernel's EXPIRE" \
	grep -q "soft lifetime reached in the kernel, rekeying" "$work/a/oakd.log" "$work/b/oakd.log"
finish
