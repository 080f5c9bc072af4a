#!/bin/bash
# ikev2_reauth.sh OAKD [OAKCTL]: oakd <-> strongSwan 5.9 (charon, kernel-libipsec),
# IKEv2 PSK, reauthentication with make-before-break (RFC 7296 2.8.3) over
# several generations. Phase oak-reauths: oakd has reauth_time = 8s, strongSwan
# none. Phase sw-reauths: strongSwan has reauth_time = 8s with
# charon.make_before_break = yes, oakd none. Then, with neither, oakctl rekey
# --reauth and strongSwan's swanctl --rekey --reauth against oakd's VICI socket
# start one each. Checks, per phase: the CHILD SA is INSTALLED on strongSwan at every
# poll (each second) and up in oakctl status; afterwards each side holds
# exactly one IKE SA (the old ones are gone) with SPIs other than before, one
# CHILD SA with new SPIs that are the same on both sides; oakd never took the
# CHILD SA's policies out of its kernel record (the new CHILD SAs take them
# over) and holds exactly one SA pair.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak

# sw_ike_spi DIR NAME: "SPIi SPIr" of NAME's IKE SA(s), one line each
sw_ike_spi() {
    sw "$1" --list-sas --ike "$2" 2>/dev/null |
        sed -n "s/^$2: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i\*\{0,1\} \([0-9a-f]*\)_r.*/\1 \2/p"
}
sw_count() { sw "$1" --list-sas --ike "$2" 2>/dev/null | grep -c " $3"; }
oak_ike_count() { oak "$OAK" status 2>/dev/null | grep -Ec "^tun #[0-9]+ "; }
# settled: one IKE SA and one CHILD SA on each side
settled() {
    [ "$(sw_count "$SW" tun ESTABLISHED)" = 1 ] && [ "$(sw_count "$SW" tun INSTALLED)" = 1 ] &&
        [ "$(oak_ike_count)" = 1 ]
}
# spis_match: strongSwan's CHILD SPIs (SWS) are oakd's last recorded (OAKS) swapped
spis_match() {
    SWS=$(sw_installed_spis "$SW" tun)
    OAKS=$(oak_record "$OAK" spis tun 2>/dev/null)
    [ -n "$SWS" ] && [ "${SWS% *}" = "${OAKS#* }" ] && [ "${SWS#* }" = "${OAKS% *}" ]
}
# ike_spis_seen: the IKE SPIs strongSwan showed at the polls of this start (distinct)
ike_spis_seen() { sort -u "$NT_WORK/ike_spis.txt" | grep -c .; }
# watch SECS: poll each second that the CHILD SA stays INSTALLED (strongSwan) and
# up (oakd); note strongSwan's IKE SPIs. GAPS counts polls without one.
watch() {
    local _
    GAPS=0
    for _ in $(seq "$1"); do
        sw_child_up "$SW" tun && oak_child_up "$OAK" tun || GAPS=$((GAPS + 1))
        sw_ike_spi "$SW" tun >>"$NT_WORK/ike_spis.txt"
        sleep 1
    done
}
# reauths_seen N: strongSwan showed at least N+1 distinct IKE SAs
reauths_seen() { [ "$(ike_spis_seen)" -gt "$1" ]; }

# start SW_CONN_OPTS OAK_CONF_OPTS: both daemons afresh, oakd initiates
start() {
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    [ -n "${SW_PID:-}" ] && nt_stop "$SW_PID"
    : >"$NT_WORK/ike_spis.txt"
    sw_peer "$SW" mbb=yes
    # shellcheck disable=SC2086
    sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test \
        remote_id=oak.oak.test local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 $1
    start_charon "$NS_A" "$SW"
    SW_PID=$NT_PID
    sw_load "$SW"
    # shellcheck disable=SC2086
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=sw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=start $2
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
    check "CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
    check "CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
    IKE0=$(sw_ike_spi "$SW" tun)
    CHILD0=$(sw_child_spis "$SW" tun)
    log "first generation: IKE SPIs ${IKE0:-none}, CHILD SPIs ${CHILD0:-none}"
}

# after NAME: the checks once a phase's reauthentications are done
after() {
    local name=$1 ike1
    check "$name: one IKE SA and one CHILD SA on each side (old IKE SAs gone)" wait_for 15 settled
    sw "$SW" --list-sas >"$NT_WORK/$name.sas.txt" 2>&1
    sed 's/^/    /' "$NT_WORK/$name.sas.txt"
    oak "$OAK" show sas | sed 's/^/    /'
    ike1=$(sw_ike_spi "$SW" tun)
    check "$name: the IKE SA has new SPIs" test -n "$ike1" -a "$ike1" != "$IKE0"
    check "$name: strongSwan's CHILD SPIs are oakd's, in and out swapped" wait_for 10 spis_match
    check "$name: the CHILD SA has new SPIs" test -n "$SWS" -a "$SWS" != "$CHILD0"
    check "$name: oakd never removed the CHILD SA's policies" \
        test "$(oak_record "$OAK" summary | grep -c '^del_policy')" = 0
    check "$name: oakd holds exactly one SA pair (old ones deleted)" \
        wait_for 10 oak_one_pair "$OAK"
    check "$name: no error in oakd's log" \
        sh -c "! grep -E 'illegal state|reauthentication failed|installing in the kernel failed' '$OAK/oakd.log'"
    cp "$OAK/oakd.log" "$NT_WORK/$name.oakd.log"
    cp "$SW/charon.log" "$NT_WORK/$name.charon.log"
}

# --- oakd reauthenticates every 8 s (at least 2 generations)
start "ike_rekey=4h" "reauth=8s"
shows_reauth() { oak "$OAK" show sas | grep -q 'reauth in [0-9]*s'; }
check "oak-reauths: oakctl show sas says when oakd reauthenticates" shows_reauth
watch 20
log "oak-reauths: strongSwan showed $(ike_spis_seen) IKE SAs; polls without a CHILD SA: $GAPS"
check "oak-reauths: at least 2 reauthentications (3 IKE SAs seen)" reauths_seen 2
check "oak-reauths: a CHILD SA at every poll" test "$GAPS" = 0
check "oak-reauths: oakd logged its reauthentications" \
    test "$(grep -c 'reauthenticated: IKE SA #[0-9]* replaces it' "$OAK/oakd.log")" -ge 2
check "oak-reauths: strongSwan kept the old IKE SA until oakd deleted it" \
    grep -q "received DELETE for IKE_SA" "$SW/charon.log"
after oak-reauths

# --- strongSwan reauthenticates every 8 s (make_before_break = yes)
start "ike_rekey=4h reauth=8s" ""
watch 20
log "sw-reauths: strongSwan showed $(ike_spis_seen) IKE SAs; polls without a CHILD SA: $GAPS"
check "sw-reauths: at least 2 reauthentications (3 IKE SAs seen)" reauths_seen 2
check "sw-reauths: a CHILD SA at every poll" test "$GAPS" = 0
check "sw-reauths: oakd took the CHILD SA's policies over" \
    grep -q "takes over the policies of CHILD SA" "$OAK/oakd.log"
check "sw-reauths: oakd was told to delete the old IKE SA" \
    grep -q "deleted by the peer" "$OAK/oakd.log"
after sw-reauths

# --- on request (neither side has reauth_time): oakctl rekey --reauth, then
# strongSwan's swanctl --rekey --reauth against oakd's VICI socket
start "ike_rekey=4h" ""
n=$(ike_spis_seen)
check "oakctl rekey --reauth tun is accepted" oak "$OAK" rekey --reauth tun
watch 4
check "oakctl: the IKE SA was reauthenticated" reauths_seen "$n"
check "oakctl: a CHILD SA at every poll" test "$GAPS" = 0
after oakctl-reauth
IKE0=$(sw_ike_spi "$SW" tun)
CHILD0=$(sw_child_spis "$SW" tun)
n=$(ike_spis_seen)
check "swanctl --rekey --reauth --ike tun against oakd is accepted" \
    env STRONGSWAN_CONF="$SW/strongswan.conf" timeout 30 swanctl --rekey --reauth --ike tun \
    --uri "unix://$OAK/oak.vici"
watch 4
check "swanctl: the IKE SA was reauthenticated" reauths_seen "$n"
check "swanctl: a CHILD SA at every poll" test "$GAPS" = 0
after swanctl-reauth

nt_result "oakd <-> strongSwan IKEv2 reauthentication"
