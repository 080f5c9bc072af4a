#!/bin/bash
# t-xfrm-guest.sh: the xfrm backend against a real kernel ESP/AH path. Runs
# inside UML (uml-run.sh t-xfrm-guest.sh XFRM_PROBE=/path/to/xfrm_probe).
#
# Two namespaces joined by a veth pair, outer 192.0.2.1 (L) / 192.0.2.2 (R),
# inner 198.51.100.1 (L) / 203.0.113.1 (R) on lo. For each of AES-GCM-128,
# AES-CBC-128 + HMAC-SHA256-128 (ESP) and HMAC-SHA256-128 (AH): xfrm_probe
# allocates the inbound SPIs (ALLOCSPI), installs both SAs (UPDSA + NEWSA)
# and tunnel policies on each side, L pings R's inner address, and each SA's
# packet counter in `ip -s xfrm state` must show the pings; then
# xfrm_flush_own() must remove exactly oak's five entries per side and leave
# an `ip xfrm policy` of someone else alone.
set -u
probe=${XFRM_PROBE:?usage: uml-run.sh t-xfrm-guest.sh XFRM_PROBE=/path/to/xfrm_probe}
work=${OAK_UML_WORK:-$(mktemp -d)}
L=oakl R=oakr
fails=0

log() { echo "t-xfrm: $*"; }
check() { # check WHAT CMD...: run CMD, count a failure
	local what=$1
	shift
	if "$@"; then log "ok   $what"; else log "FAIL $what"; fails=$((fails + 1)); fi
}
pl() { ip netns exec $L "$probe" "$@"; }
pr() { ip netns exec $R "$probe" "$@"; }

# packets NS SRC DST PROTO SPI: the SA's "lifetime current" packet count
packets() {
	ip -n "$1" -s xfrm state get src "$2" dst "$3" proto "$4" spi "0x$5" 2>/dev/null |
		grep -A1 'lifetime current:' | tail -1 |
		sed -n 's/.*(bytes), *\([0-9]*\)(packets).*/\1/p'
}
at_least() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }

setup() {
	ip netns add $L && ip netns add $R || return 1
	ip link add eth0 netns $L type veth peer name eth0 netns $R || return 1
	ip -n $L addr add 192.0.2.1/24 dev eth0
	ip -n $R addr add 192.0.2.2/24 dev eth0
	for ns in $L $R; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
	done
	ip -n $L addr add 198.51.100.1/32 dev lo
	ip -n $R addr add 203.0.113.1/32 dev lo
	# the inner routes (the tunnel policies pick the outer addresses)
	ip -n $L route add 203.0.113.0/24 via 192.0.2.2 src 198.51.100.1
	ip -n $R route add 198.51.100.0/24 via 192.0.2.1 src 203.0.113.1
	ip netns exec $L ping -c 1 -W 2 192.0.2.2 >/dev/null
}

# scenario ALG PROTO REQID ALGNAME
scenario() {
	local alg=$1 proto=$2 reqid=$3 name=$4 in_l in_r n
	log "--- $alg ($proto, $name)"
	in_l=$(pl alloc "$proto" 192.0.2.1 192.0.2.2 "$reqid" 2>>"$work/$alg-probe.log")
	in_r=$(pr alloc "$proto" 192.0.2.2 192.0.2.1 "$reqid" 2>>"$work/$alg-probe.log")
	check "$alg: ALLOCSPI gave SPIs ($in_l, $in_r)" test -n "$in_l" -a -n "$in_r"
	check "$alg: L installs" pl install "$alg" 192.0.2.1 192.0.2.2 198.51.100.1/32 \
		203.0.113.1/32 "$in_r" "$in_l" "$reqid" 2>>"$work/$alg-probe.log"
	check "$alg: R installs" pr install "$alg" 192.0.2.2 192.0.2.1 203.0.113.1/32 \
		198.51.100.1/32 "$in_l" "$in_r" "$reqid" 2>>"$work/$alg-probe.log"
	ip -n $L xfrm state >"$work/$alg-L-state.txt"
	ip -n $L xfrm policy >"$work/$alg-L-policy.txt"
	check "$alg: the kernel shows $name" grep -q "$name" "$work/$alg-L-state.txt"
	check "$alg: ping through the tunnel" \
		ip netns exec $L ping -c 3 -i 0.3 -W 2 -I 198.51.100.1 203.0.113.1
	ip -n $L -s xfrm state >"$work/$alg-L-stats.txt"
	ip -n $R -s xfrm state >"$work/$alg-R-stats.txt"
	n=$(packets $L 192.0.2.1 192.0.2.2 "$proto" "$in_r")
	check "$alg: L out SA counted $n packets (>= 3)" at_least "$n" 3
	n=$(packets $L 192.0.2.2 192.0.2.1 "$proto" "$in_l")
	check "$alg: L in SA counted $n packets (>= 3)" at_least "$n" 3
	n=$(packets $R 192.0.2.2 192.0.2.1 "$proto" "$in_l")
	check "$alg: R out SA counted $n packets (>= 3)" at_least "$n" 3
	n=$(packets $R 192.0.2.1 192.0.2.2 "$proto" "$in_r")
	check "$alg: R in SA counted $n packets (>= 3)" at_least "$n" 3
	# someone else's policy: flush_own must leave it
	ip -n $L xfrm policy add src 10.9.9.0/24 dst 10.8.8.0/24 dir out priority 5
	n=$(pl flush 2>>"$work/$alg-probe.log")
	check "$alg: L flush_own removed 5 entries (got $n)" [ "$n" = 5 ]
	n=$(pr flush 2>>"$work/$alg-probe.log")
	check "$alg: R flush_own removed 5 entries (got $n)" [ "$n" = 5 ]
	check "$alg: no SA left on L" [ -z "$(ip -n $L xfrm state)" ]
	check "$alg: the foreign policy is still there" \
		sh -c "ip -n $L xfrm policy | grep -q '10.9.9.0/24'"
	check "$alg: no other policy left on L" \
		[ "$(ip -n $L xfrm policy | grep -c '^src')" = 1 ]
	ip -n $L xfrm policy del src 10.9.9.0/24 dst 10.8.8.0/24 dir out
	check "$alg: after the flush plain ping works (no policy left behind)" \
		ip netns exec $L ping -c 1 -W 2 -I 198.51.100.1 203.0.113.1
}

[ -x "$probe" ] || { log "FAIL no xfrm_probe at $probe"; exit 1; }
check "namespaces, veth and plain ping" setup || exit 1
scenario gcm esp 1 'rfc4106(gcm(aes))'
scenario cbc esp 2 'cbc(aes)'
scenario ah ah 3 'hmac(sha256)'
ip netns del $L
ip netns del $R
log "$fails failed"
[ "$fails" = 0 ]
