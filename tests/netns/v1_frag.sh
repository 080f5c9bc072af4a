#!/bin/bash
# v1_frag.sh OAKD [OAKCTL]: IKEv1 fragmentation (Cisco's vendor extension,
# payload 132) between oakd and strongSwan 5.9 (charon, kernel-libipsec), in
# Main Mode with RSA signatures. oakd authenticates with the 4096-bit RSA chain
# of tests/vectors/certs/big (rsa4096.oak.test, sent with its intermediate) and
# fragments at 576 octets (Windows' size); strongSwan, rsa.oak.test (RSA 2048,
# sent with its intermediate), fragments at 576 too, with fragmentation =
# force. Each side initiates once.
#
# Checks: strongSwan reassembled oakd's fragmented Main Mode message and has the
# IKEv1 SA ESTABLISHED and the CHILD SA INSTALLED; no datagram from oakd was
# larger than 576 octets of IP; oakd sent fragments and reassembled
# strongSwan's; the SPIs match.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak
PKI=$NT_SRCDIR/tests/vectors/certs

sw_peer "$SW" frag_size=576
sw_certs "$SW" rsa
cp "$PKI/big/root4096.pem" "$PKI/big/int4096.pem" "$SW/swanctl/x509ca/" || die "big CA certs"
sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 auth=pubkey cert=rsa.pem \
    local_id=rsa.oak.test remote_id=rsa4096.oak.test local_ts=198.51.100.0/24 \
    remote_ts=203.0.113.0/24 version=1 frag=force
start_charon "$NS_A" "$SW"
sw_load "$SW"

# oak_start START: oakd with the big chain (start_action START)
oak_start() {
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    rm -rf "$OAK"
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 auth=pubkey cert=rsa4096.pem \
        key=rsa4096.key local_id=rsa4096.oak.test remote_id=rsa.oak.test \
        local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start="$1" version=1 \
        frag=yes frag_size=576
    cp "$PKI/x509ca/root.pem" "$PKI/x509ca/int.pem" "$PKI/big/root4096.pem" "$PKI/big/int4096.pem" \
        "$OAK/x509ca/" &&
        cp "$PKI/big/rsa4096.pem" "$OAK/x509/" && cp "$PKI/big/rsa4096.key" "$OAK/private/" ||
        die "oakd's certificates"
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
}

# largest_from_oak: the largest IKE datagram strongSwan received from oakd.
# charon (IKEv1) logs a reassembled message as one more "received packet" of
# the whole size: those sizes are left out.
largest_from_oak() {
    local whole
    whole=$(sed -n 's/.*reassembled fragmented IKE message (\([0-9]*\) bytes)$/\1/p' "$SW/charon.log")
    sed -n 's/.*received packet: from 192\.0\.2\.2\[[0-9]*\] to .* (\([0-9]*\) bytes)$/\1/p' \
        "$SW/charon.log" | grep -vxF "${whole:-none}" | sort -n | tail -1
}

run() {
    local who=$1 sws oaks big
    check "$who: IKEv1 SA ESTABLISHED on strongSwan" wait_for 15 sw_ike_up "$SW" tun
    check "$who: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
    check "$who: ISAKMP SA up on oakd" wait_for 10 oak_v1_ike_up "$OAK" tun
    check "$who: IPsec SA up on oakd" wait_for 10 oak_v1_child_up "$OAK" tun
    check "$who: oakd sent a Main Mode message in fragments" \
        grep -Eq "byte message sent as [0-9]+ fragments" "$OAK/oakd.log"
    check "$who: strongSwan reassembled oakd's fragments" \
        grep -q "reassembled fragmented IKE message" "$SW/charon.log"
    check "$who: strongSwan verified oakd's 4096-bit RSA signature" \
        grep -Eq "authentication of 'rsa4096.oak.test' with RSA.* successful" "$SW/charon.log"
    big=$(largest_from_oak)
    log "$who: largest IKE datagram from oakd: ${big:-?} octets of UDP payload"
    # 576 - IP 20 - UDP 8 = 548 (strongSwan counts the non-ESP marker too)
    check "$who: every datagram from oakd fits 576 octets of IP" test -n "$big" -a "${big:-999}" -le 548
    check "$who: oakd reassembled strongSwan's fragments" \
        grep -Eq "message [0-9]+ reassembled from [0-9]+ fragments" "$OAK/oakd.log"
    grep -E "fragments" "$OAK/oakd.log" | head -4 | sed 's/^/    oakd: /'
    grep -E "fragment" "$SW/charon.log" | head -4 | sed 's/^/    charon: /'
    sws=$(sw_child_spis "$SW" tun)
    oaks=$(oak_record "$OAK" spis tun)
    check "$who: SPIs match (strongSwan in/out '${sws}', oakd in/out '${oaks}')" \
        test -n "$sws" -a "$sws" = "${oaks#* } ${oaks% *}"
    sw "$SW" --terminate --ike tun --timeout 10 >/dev/null 2>&1
    wait_for 10 sw_ike_gone "$SW" tun
    cp "$OAK/oakd.log" "$NT_WORK/$who.oakd.log"
    cp "$SW/charon.log" "$NT_WORK/$who.charon.log"
    : >"$SW/charon.log"
}

oak_start start
run oak-initiates
oak_start none
sw "$SW" --initiate --child tun --timeout 20 >"$NT_WORK/initiate.out" 2>&1
run sw-initiates

nt_result "oakd <-> strongSwan IKEv1 fragmentation at 576 octets"
