#!/bin/bash
# ikev2_rekey.sh OAKD [OAKCTL]: oakd <-> strongSwan 5.9 (charon, kernel-libipsec),
# IKEv2 PSK, rekeying with short lifetimes over several generations (RFC 7296
# 1.3.2, 1.3.3). Phase 1: oakd rekeys (CHILD every 5 s with PFS, IKE every
# 12 s), strongSwan's lifetimes are long. Phase 2: the same with the roles of
# the rekeys swapped. Checks, after each phase: strongSwan shows one IKE SA
# and one CHILD SA, with SPIs other than the first generation's; strongSwan's
# CHILD SPIs are the ones oakd recorded last (in and out swapped); oakd logged
# CHILD and IKE rekeys; every CHILD SA pair oakd installed before the current
# one was removed again (nothing left over in oakd's kernel record).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak
ESP=aes128-sha256-modp2048

# sw_ike_spi DIR NAME: "SPIi SPIr" of NAME's IKE SA
sw_ike_spi() {
    sw "$1" --list-sas --ike "$2" 2>/dev/null |
        sed -n "s/^$2: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i\*\{0,1\} \([0-9a-f]*\)_r.*/\1 \2/p"
}
# sw_count DIR NAME WORD: lines of NAME's SAs with WORD (ESTABLISHED / INSTALLED)
sw_count() { sw "$1" --list-sas --ike "$2" 2>/dev/null | grep -c " $3"; }
# one_each: strongSwan holds exactly one IKE SA and one CHILD SA
one_each() { [ "$(sw_count "$SW" tun ESTABLISHED)" = 1 ] && [ "$(sw_count "$SW" tun INSTALLED)" = 1 ]; }
# spis_match: strongSwan's CHILD SPIs (SWS) are oakd's last recorded (OAKS) swapped
spis_match() {
    SWS=$(sw_installed_spis "$SW" tun)
    OAKS=$(oak_record "$OAK" spis tun 2>/dev/null)
    [ -n "$SWS" ] && [ "${SWS% *}" = "${OAKS#* }" ] && [ "${SWS#* }" = "${OAKS% *}" ]
}
rekeys() { grep -c "$1 SA #[0-9]* ([^)]*) rekeyed to $1 SA" "$OAK/oakd.log"; }

# phase NAME OAK_OPTS SW_OPTS: start both with these lifetimes, oakd initiates,
# run 20 s, check
phase() {
    local name=$1 oak_opts=$2 sw_opts=$3 ike0 child0 ike1 n_child n_ike
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    [ -n "${SW_PID:-}" ] && nt_stop "$SW_PID"
    sw_peer "$SW"
    # shellcheck disable=SC2086
    sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test \
        remote_id=oak.oak.test local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 esp=$ESP $sw_opts
    start_charon "$NS_A" "$SW"
    SW_PID=$NT_PID
    sw_load "$SW"
    # shellcheck disable=SC2086
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=sw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 esp=$ESP \
        start=start $oak_opts
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
    check "$name: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
    ike0=$(sw_ike_spi "$SW" tun)
    child0=$(sw_child_spis "$SW" tun)
    log "$name: first generation: IKE SPIs ${ike0:-none}, CHILD SPIs ${child0:-none}"
    sleep 20
    check "$name: strongSwan holds one IKE SA and one CHILD SA" wait_for 8 one_each
    sw "$SW" --list-sas >"$NT_WORK/$name.sas.txt" 2>&1
    sed 's/^/    /' "$NT_WORK/$name.sas.txt"
    ike1=$(sw_ike_spi "$SW" tun)
    check "$name: the IKE SA has new SPIs" test -n "$ike1" -a "$ike1" != "$ike0"
    # the rekeys go on: compare both sides between two of them
    check "$name: strongSwan's CHILD SPIs are oakd's, in and out swapped" wait_for 15 spis_match
    log "$name: now: IKE SPIs ${ike1:-none}; strongSwan CHILD in/out ${SWS:-none}; oakd in/out ${OAKS:-none}"
    check "$name: the CHILD SA has new SPIs" test -n "$SWS" -a "$SWS" != "$child0"
    n_child=$(rekeys CHILD)
    n_ike=$(rekeys IKE)
    log "$name: oakd logged $n_child CHILD and $n_ike IKE rekeys"
    check "$name: at least 3 CHILD rekeys" test "$n_child" -ge 3
    check "$name: at least 1 IKE rekey" test "$n_ike" -ge 1
    check "$name: oakd holds exactly one SA pair (old ones deleted)" \
        wait_for 8 oak_one_pair "$OAK"
    check "$name: no rekey error in oakd's log" \
        sh -c "! grep -E 'illegal state|TEMPORARY_FAILURE|rekey failed|unacceptable answer' '$OAK/oakd.log'"
    cp "$OAK/oakd.log" "$NT_WORK/$name.oakd.log"
    cp "$SW/charon.log" "$NT_WORK/$name.charon.log"
}

LONG="rekey=1h life=2h ike_rekey=4h"
phase oak-rekeys "rekey=5s life=30s ike_rekey=12s" "$LONG"
phase sw-rekeys "$LONG" "rekey=5s life=30s ike_rekey=12s"

nt_result "oakd <-> strongSwan IKEv2 rekeying"
