#!/bin/bash
# t-peer-guest.sh: oakd (kernel = xfrm) against strongSwan 5.9 (charon with
# kernel-netlink) or libreswan 4.10 (pluto), real kernel ESP on both ends.
# Runs inside UML:
#   uml-run.sh t-peer-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl PEER=strongswan|libreswan [VERSION=1|2]
# The peers and their generators come from the netns suite's harness
# (tests/netns/lib.sh); oakd's config is its oak_conf with kernel = xfrm.
#
# The peer in namespace A (192.0.2.1, 198.51.100.0/24 behind it), oakd in B
# (192.0.2.2, 203.0.113.0/24), IKEv2 (or with VERSION=1 IKEv1 Main Mode +
# Quick Mode) PSK, tunnel 198.51.100.0/24 <->
# 203.0.113.0/24. Each side initiates once. What a user checks: both ends
# show the CHILD SA; pings 203.0.113.1 -> 198.51.100.1 and back are all
# answered; oakd's kernel counts the packets on both SAs; when the peer
# deletes the IKE SA (or oakd stops on SIGTERM) oakd leaves no state and no
# policy in its namespace.
oakd=${OAKD:-} oakctl=${OAKCTL:-} # lib.sh resets OAKD and OAKCTL
. "$(dirname "$(readlink -f "$0")")/../netns/lib.sh"
peer=${PEER:-strongswan}
version=${VERSION:-2}
NT_WORK=${OAK_UML_WORK:-}/peer
nt_init "$oakd" "$oakctl"
[ -d "/usr/lib/uml/modules/$(uname -r)" ] || die "run me with tests/uml/uml-run.sh"
nt_need_peer "$peer"
nt_sites
ip -n "$NS_A" route add 203.0.113.0/24 via 192.0.2.2 src 198.51.100.1
ip -n "$NS_B" route add 198.51.100.0/24 via 192.0.2.1 src 203.0.113.1
P=$NT_WORK/peer
OAK=$NT_WORK/oak

# warm_crypto NS: one ESP state added and deleted, so the kernel's crypto
# modules are loaded before the first negotiation (seconds in UML)
warm_crypto() {
    local k=000102030405060708090a0b0c0d0e0f
    ip -n "$1" xfrm state add src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x100 \
        mode tunnel enc 'cbc(aes)' 0x$k auth-trunc 'hmac(sha256)' 0x$k$k 128 &&
        ip -n "$1" xfrm state del src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x100
}
warm_crypto "$NS_A"
warm_crypto "$NS_B"

# pkts NS: the packets counted by every state of NS, summed
pkts() {
    ip -n "$1" -s xfrm state | awk '/lifetime current:/ { getline; sub(/\(packets\)/, "", $2); s += $2 } END { print s + 0 }'
}
nstates() { ip -n "$1" xfrm state | grep -c '^src'; }
# oak_clean: no state and no policy but oakd's per-socket bypass ones in B
oak_clean() { [ "$(nstates "$NS_B")" = 0 ] && ! ip -n "$NS_B" xfrm policy | grep -Eq 'dir (in|out|fwd)'; }
ping_b_a() { ip netns exec "$NS_B" ping -c 3 -i 0.3 -W 2 -I 203.0.113.1 198.51.100.1 >/dev/null; }
ping_a_b() { ip netns exec "$NS_A" ping -c 3 -i 0.3 -W 2 -I 198.51.100.1 203.0.113.1 >/dev/null; }

# traffic WHO: pings both ways through the CHILD SA, counted by oakd's kernel
traffic() {
    local before after
    before=$(pkts "$NS_B")
    check "$1: ping oakd's side -> $peer's side" ping_b_a
    check "$1: ping $peer's side -> oakd's side" ping_a_b
    after=$(pkts "$NS_B")
    log "$1: oakd's ESP packet counters $before -> $after"
    check "$1: oakd's kernel counted the 12 packets" test "$after" -ge $((before + 12))
    check "$1: oakd's kernel holds 2 ESP states" test "$(nstates "$NS_B")" = 2
    ip -n "$NS_B" -s xfrm state >"$NT_WORK/$1.oak-states.txt"
}

case $peer in
strongswan)
    sw_peer "$P" kernel=netlink
    sw_conn "$P" tun local=192.0.2.1 remote=192.0.2.2 local_id=peer.oak.test remote_id=oak.oak.test \
        local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version="$version"
    start_charon "$NS_A" "$P"
    sw_load "$P"
    peer_up() { sw_child_up "$P" tun; }
    peer_initiate() { sw "$P" --initiate --child tun --timeout 15 >"$NT_WORK/initiate.out" 2>&1; }
    peer_delete() { sw "$P" --terminate --ike tun --timeout 10 >/dev/null 2>&1; }
    ;;
libreswan)
    lsw_peer "$P"
    lsw_conn "$P" tun local=192.0.2.1 remote=192.0.2.2 local_id=peer.oak.test remote_id=oak.oak.test \
        local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version="$version"
    start_pluto "$NS_A" "$P"
    lsw_load "$P"
    if [ "$version" = 1 ]; then
        # Quick Mode done as initiator (I2) or responder (R2)
        peer_up() { lsw_state "$P" tun 'STATE_QUICK_[IR]2'; }
    else
        peer_up() { lsw_state "$P" tun STATE_V2_ESTABLISHED_CHILD_SA; }
    fi
    peer_initiate() { whack "$P" --initiate --name tun --asynchronous >/dev/null 2>&1; }
    # delete the conn's states (a Delete goes to oakd), then load it again
    peer_delete() { whack "$P" --delete --name tun >/dev/null 2>&1 && lsw_load "$P"; }
    ;;
*) die "PEER=$peer: expected strongswan or libreswan" ;;
esac

# libreswan's IKEv1 Quick Mode wants PFS (pfs=yes, the IKE group) and
# refuses an offer without it
esp=aes128-sha256
[ "$peer$version" = libreswan1 ] && esp=aes128-sha256-modp2048
oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=peer.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 version="$version" esp="$esp"
sed -i 's/^    kernel = record$/    kernel = xfrm/' "$OAK/oak.conf"
grep -q '^    kernel = xfrm$' "$OAK/oak.conf" || die "oak_conf's daemon section changed: no kernel = xfrm"
start_oakd "$NS_B" "$OAK" || die "no oakd"
OAKD_PID=$NT_PID

# 1. the peer initiates
peer_initiate
check "$peer initiates: CHILD SA up on $peer" wait_for 15 peer_up
check "$peer initiates: CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
traffic "$peer-initiates"
peer_delete
check "$peer initiates: after $peer's delete oakd left nothing in the kernel" wait_for 10 oak_clean

# 2. oakd initiates
check "oakd initiates: oakctl up tun" oak "$OAK" up tun
check "oakd initiates: CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
check "oakd initiates: CHILD SA up on $peer" wait_for 10 peer_up
traffic oak-initiates
oak_show "$OAK" | sed 's/^/    /'
nt_stop "$OAKD_PID"
check "oakd initiates: after SIGTERM oakd left nothing in the kernel" oak_clean
cp "$OAK/oakd.log" "$NT_WORK/oakd.log"
nt_result "oakd <-> $peer IKEv$version PSK, real ESP in UML"
