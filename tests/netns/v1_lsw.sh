#!/bin/bash
# v1_lsw.sh OAKD [OAKCTL]: oakd <-> libreswan 4.10 (pluto), IKEv1 PSK, tunnel
# 198.51.100.0/24 (libreswan, 192.0.2.1) <-> 203.0.113.0/24 (oakd, 192.0.2.2):
# Main Mode and Aggressive Mode, each side initiating.
#
# libreswan's IKEv1 default is pfs=yes, so both ESP proposals carry modp2048.
# Only Phase 1 is asserted on this host: pluto installs its IPsec SAs through
# XFRM and the host kernel has no ESP (errno 93; see oak_lsw.sh); the Quick
# Mode with libreswan is the uml suite's job. Checks: pluto reached its
# established Phase 1 state (STATE_MAIN_I4 / STATE_MAIN_R3, STATE_AGGR_I2 /
# STATE_AGGR_R2) and oakd has the ISAKMP SA ESTABLISHED.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer libreswan
nt_sites
LSW=$NT_WORK/lsw
OAK=$NT_WORK/oak
LSW_PID=""
OAKD_PID=""

# lsw_reached STATE: pluto shows or logged STATE for conn tun
lsw_reached() { lsw_state "$LSW" tun "$1" || grep -q "\"tun\".*$1" "$LSW/pluto.log"; }

# setup MODE: a fresh pluto with conn tun for MODE (mm or am)
setup() {
    local agg=no
    [ "$1" = am ] && agg=yes
    [ -n "$LSW_PID" ] && nt_stop "$LSW_PID"
    rm -rf "$LSW"
    lsw_peer "$LSW"
    lsw_conn "$LSW" tun local=192.0.2.1 remote=192.0.2.2 local_id=lsw.oak.test \
        remote_id=oak.oak.test local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version=1 \
        aggressive=$agg esp=aes128-sha2_256-modp2048
    start_pluto "$NS_A" "$LSW"
    LSW_PID=$NT_PID
    lsw_load "$LSW"
}

# oakd_for MODE START
oakd_for() {
    local agg=no
    [ "$1" = am ] && agg=yes
    [ -n "$OAKD_PID" ] && nt_stop "$OAKD_PID"
    rm -rf "$OAK"
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=lsw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start="$2" \
        version=1 aggressive=$agg esp=aes128-sha256-modp2048
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
}

# one MODE INITIATOR I-STATE R-STATE
one() {
    local mode=$1 init=$2 who="$1, $2 initiates" want
    setup "$mode"
    if [ "$init" = libreswan ]; then
        oakd_for "$mode" none
        whack "$LSW" --initiate --name tun --asynchronous >/dev/null 2>&1
        want=$3
    else
        oakd_for "$mode" start
        want=$4
    fi
    check "$who: libreswan reached $want" wait_for 15 lsw_reached "$want"
    check "$who: ISAKMP SA up on oakd" wait_for 10 oak_v1_ike_up "$OAK" tun
    check "$who: oakd authenticated libreswan as lsw.oak.test" \
        grep -q "ISAKMP SA #[0-9]* (tun) established with 192.0.2.1 \[lsw.oak.test\]" "$OAK/oakd.log"
    whack "$LSW" --showstates >"$NT_WORK/$mode-$init.states" 2>&1
    sed 's/^/    /' "$NT_WORK/$mode-$init.states"
    cp "$OAK/oakd.log" "$NT_WORK/$mode-$init.oakd.log"
    cp "$LSW/pluto.log" "$NT_WORK/$mode-$init.pluto.log"
}

one mm libreswan STATE_MAIN_I4 STATE_MAIN_R3
one mm oakd STATE_MAIN_I4 STATE_MAIN_R3
one am libreswan STATE_AGGR_I2 STATE_AGGR_R2
one am oakd STATE_AGGR_I2 STATE_AGGR_R2
nt_result "oakd <-> libreswan IKEv1 PSK (Main and Aggressive Mode)"
