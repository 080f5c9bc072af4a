#!/bin/bash
# v1_sw_cert.sh OAKD [OAKCTL]: oakd <-> strongSwan 5.9 (kernel-libipsec), IKEv1
# Main Mode with signature authentication (RFC 2409 5.1, ECDSA by RFC 4754)
# and the PKI of tests/vectors/certs (an RSA root, an ECDSA intermediate):
# oakd is ecdsa.oak.test, strongSwan user@oak.test, both P-256 (IKEv1
# negotiates one authentication method for both ends, so both have the same
# key type); each side initiating; then Aggressive Mode with the same
# certificates, each side initiating.
#
# Checks: strongSwan has the IKEv1 SA ESTABLISHED and the CHILD SA INSTALLED
# and logged that it authenticated oakd's identity with an ECDSA signature;
# oakd has both up; the SPIs match.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak

sw_peer "$SW"
sw_certs "$SW" user
start_charon "$NS_A" "$SW"

# one MODE INITIATOR [aggressive=yes]
one() {
    local mode=$1 init=$2 start=none who sws oaks
    shift 2
    who="$mode, $init initiates"
    [ "$init" = oakd ] && start=start
    rm -f "$SW"/swanctl/conf.d/*.conf
    sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 auth=pubkey cert=user.pem \
        local_id=user@oak.test remote_id=ecdsa.oak.test local_ts=198.51.100.0/24 \
        remote_ts=203.0.113.0/24 version=1 "$@"
    sw_load "$SW"
    : >"$SW/charon.log"
    rm -rf "$OAK"
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 auth=pubkey cert=ecdsa.pem \
        key=ecdsa.key local_id=ecdsa.oak.test remote_id=user@oak.test \
        local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=$start version=1 "$@"
    oak_certs "$OAK" ecdsa
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    local pid=$NT_PID
    [ "$init" = strongSwan ] &&
        sw "$SW" --initiate --child tun --timeout 15 >"$NT_WORK/$mode-initiate.out" 2>&1
    check "$who: IKEv1 SA ESTABLISHED on strongSwan" wait_for 10 sw_ike_up "$SW" tun
    check "$who: CHILD SA INSTALLED on strongSwan" wait_for 3 sw_child_up "$SW" tun
    check "$who: strongSwan verified oakd's ECDSA signature as 'ecdsa.oak.test'" \
        grep -Eq "authentication of 'ecdsa.oak.test' with [^ ]*ECDSA.* successful" "$SW/charon.log"
    check "$who: ISAKMP SA up on oakd" wait_for 3 oak_v1_ike_up "$OAK" tun
    check "$who: IPsec SA up on oakd" wait_for 3 oak_v1_child_up "$OAK" tun
    check "$who: oakctl status lists the ISAKMP SA" wait_for 1 oak_ike_up "$OAK" tun
    sws=$(sw_child_spis "$SW" tun)
    oaks=$(oak_record "$OAK" spis tun)
    check "$who: SPIs match (strongSwan in/out '${sws}', oakd in/out '${oaks}')" \
        test -n "$sws" -a "$sws" = "${oaks#* } ${oaks% *}"
    [ "$mode" = am ] && check "$who: strongSwan ran Aggressive Mode" \
        grep -q "Aggressive Mode" "$SW/charon.log"
    if [ "$NT_FAIL" = 1 ]; then
        grep -E "error|failed|refused|not implemented|no .*(key|cert)" "$OAK/oakd.log" |
            head -5 | sed 's/^/    oakd: /'
        grep -E "authentication|certificate|signature" "$SW/charon.log" | tail -5 |
            sed 's/^/    charon: /'
    fi
    sw "$SW" --terminate --ike tun --timeout 5 >/dev/null 2>&1
    nt_stop "$pid"
    cp "$OAK/oakd.log" "$NT_WORK/$mode-$init.oakd.log"
    cp "$SW/charon.log" "$NT_WORK/$mode-$init.charon.log"
}

for init in strongSwan oakd; do
    one mm $init
    one am $init aggressive=yes
done
nt_result "oakd <-> strongSwan IKEv1 certificates"
