#!/bin/bash
# ikev2_dpd.sh OAKD [OAKCTL]: dead peer detection (RFC 7296 2.4) of oakd against
# strongSwan 5.9 (charon, kernel-libipsec). oakd has dpd_delay = 3s (and the
# lib.sh retransmission settings: 3 tries, 1 s first wait). Checks: while
# strongSwan lives, oakd's liveness checks are answered and the SAs stay; after
# strongSwan is killed (no Delete can come), oakd declares it dead and removes
# both ESP SAs and the policies from its kernel record (dpd_action = clear).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak

sw_peer "$SW"
sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24
start_charon "$NS_A" "$SW"
SW_PID=$NT_PID
sw_load "$SW"
oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=sw.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=start dpd=3s
start_oakd "$NS_B" "$OAK" || die "no oakd"

check "CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
check "CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
OAKS=$(oak_record "$OAK" spis tun)
log "oakd's SPIs in/out: ${OAKS:-none}"

# alive: liveness checks go out and are answered
alive_checks() { [ "$(grep -c 'checking it is alive' "$OAK/oakd.log")" -ge 2 ]; }
check "oakd sends liveness checks while nothing else comes" wait_for 12 alive_checks
check "strongSwan answered them: the IKE SA is still up on both sides" \
    sh -c "! grep -q 'did not answer' '$OAK/oakd.log'"
check "strongSwan still has the IKE SA" sw_ike_up "$SW" tun
check "strongSwan logged oakd's empty INFORMATIONAL requests" \
    grep -q "parsed INFORMATIONAL request [0-9]* \[ \]" "$SW/charon.log"

# dead: kill charon, nothing tells oakd
kill -9 "$SW_PID"
wait "$SW_PID" 2>/dev/null
log "strongSwan killed at $(date +%T)"
dead() { grep -q "deleted: peer 192.0.2.1 did not answer INFORMATIONAL" "$OAK/oakd.log"; }
check "oakd declares the peer dead (DPD, retransmissions exhausted)" wait_for 25 dead
log "oakd gave up at $(date +%T)"
check "oakd removed its inbound SA" wait_for 5 oak_deleted "$OAK" "${OAKS% *}"
check "oakd removed its outbound SA" wait_for 5 oak_deleted "$OAK" "${OAKS#* }"
check "oakd removed the policies" \
    test "$(oak_record "$OAK" summary | grep -c '^del_policy')" = 3
grep -E "alive|retransmitting|did not answer|deleted" "$OAK/oakd.log" | sed 's/^/    /'

nt_result "oakd IKEv2 DPD against strongSwan"
