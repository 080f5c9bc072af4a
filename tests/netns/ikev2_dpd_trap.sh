#!/bin/bash
# ikev2_dpd_trap.sh OAKD [OAKCTL]: dead peer detection (RFC 7296 2.4) of oakd
# against strongSwan 5.9 with dpd_action = trap. oakd has dpd_delay = 3s (and
# the lib.sh retransmission settings: 3 tries, 1 s first wait). After
# strongSwan is killed, oakd declares it dead, removes both ESP SAs and the
# CHILD SA's policies, and leaves trap policies (out, in, fwd) of the child in
# its kernel record under the CHILD SA's reqid, so the next packet negotiates
# it again; nothing is initiated before a packet comes.
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
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=start dpd=3s dpd_action=trap
start_oakd "$NS_B" "$OAK" || die "no oakd"

check "CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
check "CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
OAKS=$(oak_record "$OAK" spis tun)
# the reqid of the CHILD SA's policies (record.py summary: "... reqid N")
child_reqid() { oak_record "$OAK" summary | awk '$1 == "add_policy" && $NF != "trap" { print $NF; exit }'; }
REQID=$(child_reqid)
log "oakd's SPIs in/out: ${OAKS:-none}, reqid ${REQID:-none}"
check "no trap policy while the CHILD SA is up" \
    test "$(oak_record "$OAK" summary | grep -c ' trap$')" = 0

kill -9 "$SW_PID"
wait "$SW_PID" 2>/dev/null
log "strongSwan killed at $(date +%T)"
dead() { grep -q "deleted: peer 192.0.2.1 did not answer INFORMATIONAL" "$OAK/oakd.log"; }
check "oakd declares the peer dead (DPD, retransmissions exhausted)" wait_for 25 dead
check "oakd removed its inbound SA" wait_for 5 oak_deleted "$OAK" "${OAKS% *}"
check "oakd removed its outbound SA" wait_for 5 oak_deleted "$OAK" "${OAKS#* }"
oak_record "$OAK" summary >"$NT_WORK/summary.txt"
sed 's/^/    /' "$NT_WORK/summary.txt"
check "oakd removed the CHILD SA's policies" \
    test "$(grep -c '^del_policy .* reqid [0-9]*$' "$NT_WORK/summary.txt")" = 3
check "oakd installed trap policies out, in and fwd" \
    test "$(grep -c '^add_policy .* trap$' "$NT_WORK/summary.txt")" = 3
check "the traps have the CHILD SA's selectors and reqid" \
    test "$(grep -c "^add_policy tun/tun \(out 203.0.113.0/24 -> 198.51.100.0/24\|in  198.51.100.0/24 -> 203.0.113.0/24\|fwd 198.51.100.0/24 -> 203.0.113.0/24\) tunnel reqid $REQID trap$" "$NT_WORK/summary.txt")" = 3
check "no trap policy was removed" test "$(grep -c '^del_policy .* trap$' "$NT_WORK/summary.txt")" = 0
check "oakd logged the trap" grep -q "dpd_action = trap: child tun is trapped" "$OAK/oakd.log"
sleep 3
check "nothing is initiated before a packet comes" \
    test "$(grep -c 'initiating tun' "$OAK/oakd.log")" = 1
grep -E "alive|did not answer|deleted|trap" "$OAK/oakd.log" | sed 's/^/    /'

nt_result "oakd IKEv2 DPD with dpd_action = trap against strongSwan"
