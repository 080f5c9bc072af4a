#!/bin/bash
# v1_dpd.sh OAKD [OAKCTL]: IKEv1 dead peer detection (RFC 3706) of oakd against
# strongSwan 5.9 (charon, kernel-libipsec), with dpd_action = restart. oakd
# initiates with dpd_delay = 3s, dpd_timeout = 6s. Checks: while strongSwan
# lives, oakd's R-U-THERE are answered and the SAs stay; then charon crashes
# and comes back without its SAs (kill -9, started again): oakd declares the
# peer dead, removes the old IPsec SAs from its kernel record, starts a new
# Main Mode and Quick Mode by itself, and both sides end up with a new
# CHILD SA whose SPIs match.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak

sw_peer "$SW"
sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version=1
start_charon "$NS_A" "$SW"
SW_PID=$NT_PID
sw_load "$SW"
oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=sw.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=start dpd=3s version=1
sed -i -e 's/^\(        dpd_delay = 3s\)$/\1\n        dpd_timeout = 6s/' \
    -e 's/^\(                esp_proposals = .*\)$/\1\n                dpd_action = restart/' \
    "$OAK/oak.conf"
start_oakd "$NS_B" "$OAK" || die "no oakd"

check "CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
check "IPsec SA up on oakd" wait_for 10 oak_v1_child_up "$OAK" tun
OLD=$(oak_record "$OAK" spis tun)
log "oakd's SPIs in/out: ${OLD:-none}"

acks() { [ "$(grep -c 'R-U-THERE-ACK' "$OAK/oakd.log")" -ge 2 ]; }
check "strongSwan answers oakd's R-U-THERE" wait_for 12 acks
check "strongSwan logged them as DPD notifies" \
    grep -q "parsed INFORMATIONAL_V1 request [0-9]* \[ HASH N(DPD)" "$SW/charon.log"
check "no dead peer while strongSwan lives" sh -c "! grep -q 'the peer is dead' '$OAK/oakd.log'"

# charon crashes and restarts without its SAs; nothing tells oakd
kill -9 "$SW_PID"
wait "$SW_PID" 2>/dev/null
cp "$SW/charon.log" "$NT_WORK/charon-before.log"
start_charon "$NS_A" "$SW"
sw_load "$SW"
log "strongSwan restarted at $(date +%T)"
check "oakd declares the peer dead" wait_for 20 grep -q "the peer is dead" "$OAK/oakd.log"
check "oakd restarts the child (dpd_action = restart)" \
    grep -q "dpd_action = restart for 1 child" "$OAK/oakd.log"
check "oakd removed its old inbound SA" wait_for 5 oak_deleted "$OAK" "${OLD% *}"
check "oakd removed its old outbound SA" wait_for 5 oak_deleted "$OAK" "${OLD#* }"
check "a new IKEv1 SA ESTABLISHED on strongSwan" wait_for 15 sw_ike_up "$SW" tun
check "a new CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
new_pair() {
    SWS=$(sw_child_spis "$SW" tun) && NEW=$(oak_record "$OAK" spis tun) &&
        [ "$NEW" != "$OLD" ] && [ "$SWS" = "${NEW#* } ${NEW% *}" ]
}
check "oakd's new SPIs are not the old ones and match strongSwan's" wait_for 10 new_pair
log "SPIs: old ${OLD:-?}, new oakd ${NEW:-?}, strongSwan ${SWS:-?}"
grep -E "R-U-THERE|dead|restart|initiating|deleted|installed" "$OAK/oakd.log" | sed 's/^/    /'

nt_result "oakd IKEv1 DPD (dpd_action = restart) against strongSwan"
