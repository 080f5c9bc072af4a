#!/bin/bash
# oak_sw_psk.sh OAKD [OAKCTL]: oakd <-> strongSwan 5.9 (charon, kernel-libipsec),
# IKEv2 PSK, tunnel 198.51.100.0/24 (strongSwan, 192.0.2.1) <-> 203.0.113.0/24
# (oakd, 192.0.2.2), each side initiating. Checks: swanctl --list-sas shows the
# IKE SA ESTABLISHED and the CHILD SA INSTALLED; oakd reports both up; the SPIs
# strongSwan installed are the ones oakd recorded, in and out swapped; a delete
# from strongSwan makes oakd remove both SAs. libipsec fakes a NAT, so this also
# covers oakd floating to port 4500 and UDP-encapsulated ESP SAs.
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
sw_load "$SW"

# oakd_for INITIATE: (re)start oakd; start_action = start when it initiates
oakd_for() {
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=sw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=$1
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
}

# all_encap_4500: every SA oakd recorded is ESP in UDP 4500 -> 4500
all_encap_4500() {
    local all enc
    all=$(oak_record "$OAK" summary | grep -c '^add_sa ')
    enc=$(oak_record "$OAK" summary | grep -c '^add_sa .* encap udp 4500->4500$')
    log "$enc of $all SAs encapsulated on 4500"
    [ "$all" -gt 0 ] && [ "$all" = "$enc" ]
}

# verify WHO: the checks of one direction
verify() {
    local who=$1 sws oaks
    check "$who: IKE SA ESTABLISHED on strongSwan" wait_for 10 sw_ike_up "$SW" tun
    check "$who: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
    check "$who: IKE SA up on oakd" wait_for 10 oak_ike_up "$OAK" tun
    check "$who: CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
    sws=$(sw_child_spis "$SW" tun)
    oaks=$(oak_record "$OAK" spis tun)
    log "$who: strongSwan in/out ${sws:-none}; oakd in/out ${oaks:-none}"
    check "$who: strongSwan's inbound SPI is oakd's outbound SPI" \
        test -n "$sws" -a "${sws% *}" = "${oaks#* }"
    check "$who: strongSwan's outbound SPI is oakd's inbound SPI" \
        test -n "$sws" -a "${sws#* }" = "${oaks% *}"
    # RFC 7296 2.23: with a NAT detected both ends move to port 4500, and ESP
    # goes in UDP on 4500 (RFC 3948); ESP in UDP on 500 would read as IKE
    check "$who: oakd's SAs are ESP in UDP 4500 (libipsec fakes a NAT)" all_encap_4500
    sw "$SW" --list-sas >"$NT_WORK/$who.sas.txt" 2>&1
    sed 's/^/    /' "$NT_WORK/$who.sas.txt"
    check "$who: the IKE SA moved to port 4500 (RFC 7296 2.23, NAT detected)" \
        grep -q "remote 'oak.oak.test' @ 192.0.2.2\[4500\]" "$NT_WORK/$who.sas.txt"
    oak_show "$OAK" | sed 's/^/    /'
    # strongSwan deletes the IKE SA: oakd must take both ESP SAs out
    sw "$SW" --terminate --ike tun --timeout 10 >/dev/null 2>&1
    check "$who: after strongSwan's delete oakd removed its inbound SA" \
        wait_for 10 oak_deleted "$OAK" "${oaks% *}"
    check "$who: after strongSwan's delete oakd removed its outbound SA" \
        wait_for 10 oak_deleted "$OAK" "${oaks#* }"
    check "$who: no IKE SA left on strongSwan" sw_ike_gone "$SW" tun
    cp "$OAK/oakd.log" "$NT_WORK/$who.oakd.log"
}

# 1. strongSwan initiates
oakd_for none
sw "$SW" --initiate --child tun --timeout 15 >"$NT_WORK/initiate.out" 2>&1
verify sw-initiates

# 2. oakd initiates (start_action = start on a fresh oakd)
oakd_for start
verify oak-initiates

nt_result "oakd <-> strongSwan IKEv2 PSK"
