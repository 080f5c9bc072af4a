#!/bin/bash
# v1_oak_oak.sh OAKD [OAKCTL]: oakd <-> oakd, IKEv1 (RFC 2409) PSK, tunnel
# 198.51.100.0/24 <-> 203.0.113.0/24, each side initiating, in three flavours:
#
#   mm      Main Mode + Quick Mode (no PFS)
#   mm-pfs  Main Mode + Quick Mode with PFS (ESP proposal with modp2048)
#   am      Aggressive Mode (aggressive = yes on both) + Quick Mode
#
# Checks what a user would: both daemons report the ISAKMP SA and the IPsec
# SA up, both record files hold the same SA pair seen from both ends (A's
# inbound SPI is B's outbound SPI and the other way round) with the same
# algorithms, and oakd logged the exchange it was told to use.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_sites
A=$NT_WORK/a
B=$NT_WORK/b

# round FLAVOUR INITIATOR oak_conf-options...: one fresh pair of daemons
round() {
    local fl=$1 init=$2 sa=none sb=none pa pb spa spb algs who
    shift 2
    who="$fl, $init initiates"
    [ "$init" = A ] && sa=start || sb=start
    rm -rf "$A" "$B"
    oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
        local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=$sa version=1 "$@"
    oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
        local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=$sb version=1 "$@"
    if [ "$init" = A ]; then
        start_oakd "$NS_B" "$B" || die "no oakd"; pb=$NT_PID
        start_oakd "$NS_A" "$A" || die "no oakd"; pa=$NT_PID
    else
        start_oakd "$NS_A" "$A" || die "no oakd"; pa=$NT_PID
        start_oakd "$NS_B" "$B" || die "no oakd"; pb=$NT_PID
    fi
    check "$who: ISAKMP SA up on A" wait_for 10 oak_v1_ike_up "$A" tun
    check "$who: ISAKMP SA up on B" wait_for 10 oak_v1_ike_up "$B" tun
    check "$who: IPsec SA up on A" wait_for 10 oak_v1_child_up "$A" tun
    check "$who: IPsec SA up on B" wait_for 10 oak_v1_child_up "$B" tun
    check "$who: oakctl status lists the ISAKMP SA on A" wait_for 2 oak_ike_up "$A" tun
    spa=$(oak_record "$A" spis tun)
    spb=$(oak_record "$B" spis tun)
    log "$who: A in/out: ${spa:-none}; B in/out: ${spb:-none}"
    check "$who: A's inbound SPI is B's outbound SPI" test -n "$spa" -a "${spa% *}" = "${spb#* }"
    check "$who: A's outbound SPI is B's inbound SPI" test -n "$spa" -a "${spa#* }" = "${spb% *}"
    algs=$(oak_record "$A" algs tun)
    check "$who: same algorithms on both ends ($algs)" \
        test -n "$algs" -a "$algs" = "$(oak_record "$B" algs tun)"
    check "$who: the configured aes128-sha256 (XFRM names)" \
        test "$algs" = "cbc(aes)/128 hmac(sha256)/128"
    oak_record "$A" summary >"$A/summary.txt"
    check "$who: A's outbound policy 198.51.100.0/24 -> 203.0.113.0/24" \
        grep -q '^add_policy.* out .*198.51.100.0/24 -> 203.0.113.0/24' "$A/summary.txt"
    local xchg="Main Mode"
    [ "$fl" = am ] && xchg="Aggressive Mode"
    check "$who: both ends established it in $xchg" test "$(grep -h "ISAKMP SA #[0-9]* (tun) established with .*, $xchg " "$A/oakd.log" "$B/oakd.log" | wc -l)" = 2
    [ "$fl" = mm-pfs ] && check "$who: the IPsec SA has the PFS group on both ends" \
        test "$(grep -h "IPsec SA #[0-9]* (tun) of ISAKMP SA #[0-9]* installed: .*MODP_2048" "$A/oakd.log" "$B/oakd.log" | wc -l)" = 2
    oak_show "$A" | sed 's/^/    /'
    nt_stop "$pa"
    nt_stop "$pb"
    mkdir -p "$NT_WORK/$fl-$init"
    cp "$A/oakd.log" "$NT_WORK/$fl-$init/a.log"
    cp "$B/oakd.log" "$NT_WORK/$fl-$init/b.log"
}

for init in A B; do
    round mm $init
    round mm-pfs $init esp=aes128-sha256-modp2048
    round am $init aggressive=yes
done
nt_result "oakd <-> oakd IKEv1 PSK"
