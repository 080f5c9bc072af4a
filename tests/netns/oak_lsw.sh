#!/bin/bash
# oak_lsw.sh OAKD [OAKCTL]: oakd <-> libreswan 4.10 (pluto), IKEv2 PSK, tunnel
# 198.51.100.0/24 (libreswan, 192.0.2.1) <-> 203.0.113.0/24 (oakd, 192.0.2.2),
# each side initiating. Checks: the IKE SA is established on both ends.
#
# Only the IKE SA can be asserted on this host: libreswan installs its CHILD SAs
# through XFRM, and the host kernel has no ESP (adding the state fails with
# errno 93, EPROTONOSUPPORT). As responder pluto then answers IKE_AUTH with
# TS_UNACCEPTABLE and keeps the IKE SA; as initiator it fails the child after
# oakd's answer. So this test asserts what oakd must do around that: keep the
# IKE SA, and say in its log why the child did not come up. (As initiator pluto
# then drops its IKE SA without a Delete and retries: the IKE SA is checked in
# its log there.) The CHILD SA with
# libreswan is the uml suite's job (real kernel ESP).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer libreswan
nt_sites
LSW=$NT_WORK/lsw
OAK=$NT_WORK/oak

lsw_peer "$LSW"
lsw_conn "$LSW" tun local=192.0.2.1 remote=192.0.2.2 local_id=lsw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24
start_pluto "$NS_A" "$LSW"
lsw_load "$LSW"

# oakd_for INITIATE: (re)start oakd; start_action = start when it initiates
oakd_for() {
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=lsw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=$1
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
}

# 1. libreswan initiates
oakd_for none
whack "$LSW" --initiate --name tun --asynchronous >/dev/null 2>&1
# pluto reaches STATE_V2_ESTABLISHED_IKE_SA, then the failed child install kills
# the IKE SA (without a Delete) and it revives the conn: its log is the record
check "libreswan initiates: IKE SA established on libreswan, oakd authenticated" \
    wait_for 10 grep -q "initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@oak.oak.test'" "$LSW/pluto.log"
check "libreswan initiates: IKE SA established on oakd" wait_for 5 oak_ike_up "$OAK" tun
check "libreswan initiates: oakd answered IKE_AUTH with a CHILD SA for the tunnel" \
    wait_for 5 oak_child_up "$OAK" tun
check "libreswan initiates: pluto's CHILD SA install failed on this kernel (the reason no child is asserted)" \
    wait_for 5 grep -Eq "Protocol not supported|errno 93|kernel: .*(SA|state).*fail" "$LSW/pluto.log"
whack "$LSW" --showstates >"$NT_WORK/lsw-initiates.states" 2>&1
cp "$OAK/oakd.log" "$NT_WORK/lsw-initiates.oakd.log"
# forget the conn's states on pluto's side (it would revive the failed child)
whack "$LSW" --delete --name tun >/dev/null 2>&1
lsw_load "$LSW"

# 2. oakd initiates: pluto, as responder, cannot install the child and answers
#    TS_UNACCEPTABLE (RFC 7296 1.2: the IKE SA stays up without a CHILD SA)
oakd_for start
check "oakd initiates: IKE SA established on libreswan" \
    wait_for 10 lsw_state "$LSW" tun STATE_V2_ESTABLISHED_IKE_SA
check "oakd initiates: IKE SA established on oakd" wait_for 5 oak_ike_up "$OAK" tun
check "oakd initiates: oakd logs why there is no CHILD SA (the peer's notify)" \
    wait_for 5 grep -Eq "CHILD SA .*not created.*(TS_UNACCEPTABLE|NO_PROPOSAL_CHOSEN)" "$OAK/oakd.log"
check "oakd initiates: oakd keeps the IKE SA without a child" \
    sh -c "! grep -Eq 'IKE SA #[0-9]+ .*deleted' '$OAK/oakd.log'"
whack "$LSW" --showstates >"$NT_WORK/oak-initiates.states" 2>&1
cp "$OAK/oakd.log" "$NT_WORK/oak-initiates.oakd.log"
log "--- pluto's states (oakd initiated)"
sed 's/^/    /' "$NT_WORK/oak-initiates.states"
log "--- oakd"
grep -E -- "-> ESTABLISHED|CHILD SA|deleted" "$OAK/oakd.log" | sed 's/^/    /'

nt_result "oakd <-> libreswan IKEv2 PSK (IKE SA)"
