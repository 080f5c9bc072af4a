#!/bin/bash
# oak_sw_cert.sh OAKD [OAKCTL]: oakd <-> strongSwan 5.9 (kernel-libipsec), IKEv2
# with X.509 certificates from tests/vectors/certs (gen.sh: an RSA root, an
# ECDSA intermediate, end-entity certs issued by the intermediate), each side
# initiating, in three pairings:
#
#   ecdsa      oakd ecdsa.oak.test (P-256)  <-> strongSwan user@oak.test (P-256)
#   rsa        oakd rsa.oak.test (RSA 2048) <-> strongSwan ecdsa.oak.test
#   rsa-peer   oakd ecdsa.oak.test          <-> strongSwan rsa.oak.test
#
# so oakd signs and verifies both RSA and ECDSA. Both ends trust the root and
# the intermediate (x509ca/). Checks: strongSwan has the IKE SA ESTABLISHED and
# the CHILD SA INSTALLED and logged that it authenticated oakd's identity with
# a signature of the expected kind; oakd has both up; the SPIs match.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
OAK=$NT_WORK/oak

# pairing NAME OAK_CERT OAK_ID SW_CERT SW_ID OAK_SIG: one pairing, both directions;
# OAK_SIG is what strongSwan must log for oakd's AUTH (ECDSA or RSA)
pairing() {
    local name=$1 ocert=$2 oid=$3 scert=$4 sid=$5 osig=$6 sw=$NT_WORK/sw-$1 who start sws oaks
    sw_peer "$sw"
    sw_certs "$sw" "$scert"
    sw_conn "$sw" tun local=192.0.2.1 remote=192.0.2.2 auth=pubkey cert="$scert.pem" \
        local_id="$sid" remote_id="$oid" local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24
    start_charon "$NS_A" "$sw"
    local swpid=$NT_PID
    sw_load "$sw"
    for start in none start; do
        [ $start = none ] && who="$name, strongSwan initiates" || who="$name, oakd initiates"
        rm -rf "$OAK"
        oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 auth=pubkey cert="$ocert.pem" \
            key="$ocert.key" local_id="$oid" remote_id="$sid" local_ts=203.0.113.0/24 \
            remote_ts=198.51.100.0/24 start=$start
        oak_certs "$OAK" "$ocert"
        if ! start_oakd "$NS_B" "$OAK"; then
            log "FAIL: $who: oakd does not start with this certificate configuration"
            continue
        fi
        local oakpid=$NT_PID
        [ $start = none ] && sw "$sw" --initiate --child tun --timeout 15 >"$sw/initiate.out" 2>&1
        check "$who: IKE SA ESTABLISHED on strongSwan" wait_for 10 sw_ike_up "$sw" tun
        check "$who: CHILD SA INSTALLED on strongSwan" wait_for 5 sw_child_up "$sw" tun
        check "$who: strongSwan verified oakd's $osig signature as '$oid'" \
            grep -Eq "authentication of '$oid' with [^ ]*$osig.* successful" "$sw/charon.log"
        check "$who: IKE SA up on oakd" wait_for 5 oak_ike_up "$OAK" tun
        check "$who: CHILD SA up on oakd" wait_for 5 oak_child_up "$OAK" tun
        sws=$(sw_child_spis "$sw" tun)
        oaks=$(oak_record "$OAK" spis tun 2>/dev/null)
        check "$who: SPIs match (strongSwan in/out '${sws}', oakd in/out '${oaks}')" \
            test -n "$sws" -a "$sws" = "${oaks#* } ${oaks% *}"
        if [ "$NT_FAIL" = 1 ]; then
            grep -E "error|failed|refused|not implemented|no .*(key|cert)" "$OAK/oakd.log" |
                head -5 | sed 's/^/    oakd: /'
            grep -E "AUTH|authentication|certificate|signature" "$sw/charon.log" |
                tail -5 | sed 's/^/    charon: /'
        fi
        sw "$sw" --terminate --ike tun --timeout 5 >/dev/null 2>&1
        nt_stop "$oakpid"
        cp "$OAK/oakd.log" "$NT_WORK/oakd-$name-$start.log"
        # a fresh log per direction: the checks grep it
        : >"$sw/charon.log"
    done
    nt_stop "$swpid"
}

pairing ecdsa ecdsa ecdsa.oak.test user user@oak.test ECDSA
pairing rsa rsa rsa.oak.test ecdsa ecdsa.oak.test RSA
pairing rsa-peer ecdsa ecdsa.oak.test rsa rsa.oak.test ECDSA
nt_result "oakd <-> strongSwan IKEv2 certificates"
