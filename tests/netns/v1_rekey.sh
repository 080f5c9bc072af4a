#!/bin/bash
# v1_rekey.sh: IKEv1 rekeying between oakd and strongSwan 5.9 with short
# lifetimes, over several generations, each side rekeying in turn. oakd
# initiates; in the first phase oakd's lifetimes are short (Quick Mode 5 s,
# ISAKMP SA 12 s: a new Quick Mode at 90% of each IPsec SA's life, a new Main
# Mode at 90% of the ISAKMP SA's, the old SAs deleted); in the second
# strongSwan's are. What a user checks: strongSwan keeps one ISAKMP SA and one
# CHILD SA installed, its SPIs are new and are oakd's (in and out swapped),
# oakd installed several generations and holds exactly one SA pair in the
# kernel, and no exchange failed.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak
ESP=aes128-sha256-modp2048

sw_ike_spi() {
    sw "$1" --list-sas --ike "$2" 2>/dev/null |
        sed -n "s/^$2: #[0-9]*, ESTABLISHED, IKEv1, \([0-9a-f]*\)_i\*\{0,1\} \([0-9a-f]*\)_r.*/\1 \2/p" |
        tail -1
}
sw_count() { sw "$1" --list-sas --ike "$2" 2>/dev/null | grep -c " $3"; }
one_child() { [ "$(sw_count "$SW" tun INSTALLED)" = 1 ]; }
spis_match() {
    SWS=$(sw_installed_spis "$SW" tun)
    OAKS=$(oak_record "$OAK" spis tun 2>/dev/null)
    [ -n "$SWS" ] && [ "${SWS% *}" = "${OAKS#* }" ] && [ "${SWS#* }" = "${OAKS% *}" ]
}
installs() { grep -c "IPsec SA #[0-9]* (tun) of ISAKMP SA #[0-9]* installed" "$OAK/oakd.log"; }
main_modes() { grep -c "ISAKMP SA #[0-9]* (tun) established with" "$OAK/oakd.log"; }

phase() {
    local name=$1 oak_opts=$2 sw_opts=$3 ike0 child0 ike1 n_child n_ike
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    [ -n "${SW_PID:-}" ] && nt_stop "$SW_PID"
    sw_peer "$SW"
    # IKEv1 strongSwan keeps a rekeyed CHILD SA until it expires unless told
    # to delete it (charon.delete_rekeyed): with it, the Delete it sends must
    # take the old pair out of oakd's kernel too
    sed -i 's/^charon {$/charon {\n    delete_rekeyed = yes/' "$SW/strongswan.conf"
    # shellcheck disable=SC2086
    sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test \
        remote_id=oak.oak.test local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 esp=$ESP \
        version=1 $sw_opts
    start_charon "$NS_A" "$SW"
    SW_PID=$NT_PID
    sw_load "$SW"
    # shellcheck disable=SC2086
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=sw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 esp=$ESP \
        start=start version=1 $oak_opts
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
    check "$name: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
    ike0=$(sw_ike_spi "$SW" tun)
    child0=$(sw_child_spis "$SW" tun)
    log "$name: first generation: IKE SPIs ${ike0:-none}, CHILD SPIs ${child0:-none}"
    sleep 20
    check "$name: strongSwan holds one CHILD SA installed" wait_for 8 one_child
    sw "$SW" --list-sas >"$NT_WORK/$name.sas.txt" 2>&1
    sed 's/^/    /' "$NT_WORK/$name.sas.txt"
    ike1=$(sw_ike_spi "$SW" tun)
    check "$name: the ISAKMP SA has new SPIs" test -n "$ike1" -a "$ike1" != "$ike0"
    check "$name: strongSwan's CHILD SPIs are oakd's, in and out swapped" wait_for 15 spis_match
    log "$name: now: IKE SPIs ${ike1:-none}; strongSwan CHILD in/out ${SWS:-none}; oakd in/out ${OAKS:-none}"
    check "$name: the CHILD SA has new SPIs" test -n "$SWS" -a "$SWS" != "$child0"
    n_child=$(installs)
    n_ike=$(main_modes)
    log "$name: oakd installed $n_child IPsec SA pairs over $n_ike Main Modes"
    check "$name: at least 4 generations of IPsec SAs" test "$n_child" -ge 4
    check "$name: at least 2 ISAKMP SAs" test "$n_ike" -ge 2
    check "$name: oakd holds exactly one SA pair (old ones deleted)" \
        wait_for 8 oak_one_pair "$OAK"
    check "$name: no exchange failed in oakd's log" \
        sh -c "! grep -E 'Quick Mode [0-9a-f]* failed|deleted: (no answer|authentication)|refused' '$OAK/oakd.log'"
    cp "$OAK/oakd.log" "$NT_WORK/$name.oakd.log"
    cp "$SW/charon.log" "$NT_WORK/$name.charon.log"
}

LONG="rekey=1h life=2h ike_rekey=4h"
phase oak-rekeys "rekey=5s life=30s ike_rekey=12s" "$LONG"
phase sw-rekeys "$LONG" "rekey=5s life=30s ike_rekey=12s"

nt_result "oakd <-> strongSwan IKEv1 rekeying"
