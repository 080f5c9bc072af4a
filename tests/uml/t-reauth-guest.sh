#!/bin/bash
# t-reauth-guest.sh: IKEv2 reauthentication, make-before-break (RFC 7296
# 2.8.3), two oakd, real ESP, a continuous ping. Runs inside UML:
#   uml-run.sh t-reauth-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl
#
# Tunnel 198.51.100.1/32 <-> 203.0.113.1/32, A initiates and has reauth_time
# = 6s (rand_time 0), B has none. While A pings B five times a second for
# 16 s, A reauthenticates at least twice: each time a new IKE SA with a new
# CHILD SA replaces the old ones. The new CHILD SA takes the old one's reqid
# and policies, so the kernel always has a policy and an SA for the traffic:
# every ping answered. Afterwards each kernel holds one SA pair with new
# SPIs and the tunnel's three policies, and nothing is left after SIGTERM.
TAG=t-reauth
. "$(dirname "$(readlink -f "$0")")/oak-lib.sh"

spis() { ip -n "$1" xfrm state | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p' | sort | tr '\n' ' '; }
npolicies() { ip -n "$1" xfrm policy | grep -Ec 'dir (in|out|fwd)'; }
reauths() { grep -c "reauthenticated: IKE SA #[0-9]* replaces it" "$work/a/oakd.log"; }
# replaced NS "SPIS": two states in NS's kernel, none with an SPI of SPIS
replaced() {
	local now s
	now=$(spis "$1")
	[ "$(nstates "$1")" = 2 ] || return 1
	for s in $2; do
		case " $now " in *" $s "*) return 1 ;; esac
	done
}
# reauth_conf DIR: reauthentication every 6 s in DIR's connection
reauth_conf() {
	sed -i 's/^\( *\)proposals = \(.*\)$/\1proposals = \2\n\1reauth_time = 6s\n\1over_time = 10s\n\1rand_time = 0s/' \
		"$1/oak.conf"
}

[ -x "$oakd" ] || { log "FAIL no oakd at $oakd"; exit 1; }
check "namespaces, veth and plain ping" setup || exit 1
conf "$work/b" 192.0.2.2 192.0.2.1 203.0.113.1/32 198.51.100.1/32 none tunnel
conf "$work/a" 192.0.2.1 192.0.2.2 198.51.100.1/32 203.0.113.1/32 start tunnel
reauth_conf "$work/a"
check "A's connection reauthenticates every 6 s" grep -q "reauth_time = 6s" "$work/a/oak.conf"
check "oakd B starts" start $B b
check "oakd A starts" start $A a
check "CHILD SA installed on A" wait_for 15 child_up a
check "CHILD SA installed on B" wait_for 5 child_up b
before_a=$(spis $A)
before_b=$(spis $B)
log "SPIs before: A $before_a B $before_b"
got=$(ip netns exec $A ping -c 80 -i 0.2 -W 2 -I 198.51.100.1 203.0.113.1 |
	sed -n 's/.* \([0-9]*\) received.*/\1/p')
lost=$((80 - ${got:-0}))
log "80 pings over 16 s, $lost lost; SPIs after: A $(spis $A) B $(spis $B)"
# No ping may be lost: B, the responder of every exchange that re-creates
# the CHILD SA, sends on the old CHILD SA until A deletes it (the kernel
# sends on the newest SA, and A has the new inbound SA only once B's answer
# reached it). Before B waited, 1 of 80 was lost in 1 of 2 runs.
check "no ping lost while A reauthenticated ($lost)" [ "$lost" = 0 ]
check "A reauthenticated at least twice ($(reauths))" [ "$(reauths)" -ge 2 ]
check "B took the policies over for its new CHILD SAs" \
	grep -q "takes over the policies of CHILD SA" "$work/b/oakd.log"
check "A: one IKE SA left" [ "$(ctl a status | grep -Ec '^oak #[0-9]+ ESTABLISHED')" = 1 ]
check "B: one IKE SA left" wait_for 5 sh -c "[ \"\$(timeout 20 '$oakctl' -s '$work/b/oak.vici' status | grep -Ec '^oak #[0-9]+ ESTABLISHED')\" = 1 ]"
check "A's kernel: one SA pair, none of the first SPIs" wait_for 5 replaced $A "$before_a"
check "B's kernel: one SA pair, none of the first SPIs" wait_for 5 replaced $B "$before_b"
check "A's kernel: the tunnel's 3 policies" [ "$(npolicies $A)" = 3 ]
check "B's kernel: the tunnel's 3 policies" [ "$(npolicies $B)" = 3 ]
check "a ping still goes through" ping_ok $A 198.51.100.1 203.0.113.1
show $A "A after the reauthentications"
grep -E "reauth|takes over|installed|deleted" "$work/a/oakd.log" | grep -v '^debug' | sed 's/^/    /'
check "oakd A stops" stop a
check "oakd B stops" stop b
check "nothing left on A" empty_xfrm $A
check "nothing left on B" empty_xfrm $B
finish
