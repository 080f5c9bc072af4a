#!/bin/bash
# v1_sw_psk.sh OAKD [OAKCTL]: oakd <-> strongSwan 5.9 (charon, kernel-libipsec),
# IKEv1 PSK, tunnel 198.51.100.0/24 (strongSwan, 192.0.2.1) <-> 203.0.113.0/24
# (oakd, 192.0.2.2), each side initiating, in three flavours:
#
#   mm      Main Mode + Quick Mode without PFS
#   mm-pfs  Main Mode + Quick Mode with PFS (modp2048 in both ESP proposals)
#   am      Aggressive Mode (aggressive = yes on both) + Quick Mode
#
# Checks: swanctl --list-sas shows the IKEv1 SA ESTABLISHED and the CHILD SA
# INSTALLED (in strongSwan's libipsec); oakd reports both up; the SPIs
# strongSwan installed are the ones oakd recorded, in and out swapped;
# strongSwan's view of the exchange (Aggressive Mode, PFS group) is the one
# configured; a delete from strongSwan makes oakd remove both SAs.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak

sw_peer "$SW"
# strongSwan answers Aggressive Mode with a PSK only when told it may (HASH_R
# in clear allows an offline guess of the key); oakd's own refusal of it
# without aggressive = yes is tested in tests/ikev1 and v1_ikescan.sh
printf 'charon {\n    i_dont_care_about_security_and_use_aggressive_mode_psk = yes\n}\n' \
    >>"$SW/strongswan.conf"
start_charon "$NS_A" "$SW"

# one FLAVOUR INITIATOR opts...: strongSwan and oakd configured alike (the
# options are given to sw_conn and oak_conf), a fresh oakd, one direction
one() {
    local fl=$1 init=$2 start=none who sws oaks
    shift 2
    who="$fl, $init initiates"
    [ "$init" = oakd ] && start=start
    rm -f "$SW"/swanctl/conf.d/*.conf
    sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
        local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version=1 "$@"
    sw_load "$SW"
    : >"$SW/charon.log"
    rm -rf "$OAK"
    oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=sw.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=$start \
        version=1 "$@"
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    local pid=$NT_PID
    [ "$init" = strongSwan ] &&
        sw "$SW" --initiate --child tun --timeout 15 >"$NT_WORK/$fl-initiate.out" 2>&1
    check "$who: IKEv1 SA ESTABLISHED on strongSwan" wait_for 10 sw_ike_up "$SW" tun
    check "$who: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
    check "$who: ISAKMP SA up on oakd" wait_for 10 oak_v1_ike_up "$OAK" tun
    check "$who: IPsec SA up on oakd" wait_for 10 oak_v1_child_up "$OAK" tun
    check "$who: oakctl status lists the ISAKMP SA" wait_for 2 oak_ike_up "$OAK" tun
    sw "$SW" --list-sas >"$NT_WORK/$fl-$init.sas.txt" 2>&1
    sed 's/^/    /' "$NT_WORK/$fl-$init.sas.txt"
    check "$who: strongSwan lists it as IKEv1" grep -q "tun: #[0-9]*, ESTABLISHED, IKEv1" \
        "$NT_WORK/$fl-$init.sas.txt"
    # RFC 3947: libipsec fakes a NAT, so both ends float to 4500 and ESP goes
    # in UDP (RFC 3948)
    check "$who: the ISAKMP SA moved to port 4500 (NAT-T)" \
        grep -q "remote 'oak.oak.test' @ 192.0.2.2\[4500\]" "$NT_WORK/$fl-$init.sas.txt"
    check "$who: oakd's SAs are ESP in UDP 4500 -> 4500" test "$(oak_record "$OAK" summary |
        grep -c '^add_sa .* encap udp 4500->4500$')" = 2
    sws=$(sw_child_spis "$SW" tun)
    oaks=$(oak_record "$OAK" spis tun)
    log "$who: strongSwan in/out ${sws:-none}; oakd in/out ${oaks:-none}"
    check "$who: strongSwan's inbound SPI is oakd's outbound SPI" \
        test -n "$sws" -a "${sws% *}" = "${oaks#* }"
    check "$who: strongSwan's outbound SPI is oakd's inbound SPI" \
        test -n "$sws" -a "${sws#* }" = "${oaks% *}"
    case $fl in
    mm-pfs) check "$who: strongSwan's CHILD SA has the PFS group" \
        grep -Eq "AES_CBC-128/HMAC_SHA2_256_128/MODP_2048" "$NT_WORK/$fl-$init.sas.txt" ;;
    mm) check "$who: strongSwan's CHILD SA has no PFS group" \
        grep -Eq "ESP:AES_CBC-128/HMAC_SHA2_256_128\$" "$NT_WORK/$fl-$init.sas.txt" ;;
    am) check "$who: strongSwan ran Aggressive Mode" \
        grep -q "Aggressive Mode" "$SW/charon.log" ;;
    esac
    # strongSwan deletes the ISAKMP SA: oakd must take both ESP SAs out
    sw "$SW" --terminate --ike tun --timeout 10 >/dev/null 2>&1
    check "$who: after strongSwan's delete oakd removed its inbound SA" \
        wait_for 10 oak_deleted "$OAK" "${oaks% *}"
    check "$who: after strongSwan's delete oakd removed its outbound SA" \
        wait_for 10 oak_deleted "$OAK" "${oaks#* }"
    nt_stop "$pid"
    cp "$OAK/oakd.log" "$NT_WORK/$fl-$init.oakd.log"
    cp "$SW/charon.log" "$NT_WORK/$fl-$init.charon.log"
}

for init in strongSwan oakd; do
    one mm $init
    one mm-pfs $init esp=aes128-sha256-modp2048
    one am $init aggressive=yes
done
nt_result "oakd <-> strongSwan IKEv1 PSK"
