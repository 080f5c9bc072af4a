#!/bin/bash
# oak_oak.sh OAKD [OAKCTL]: oakd <-> oakd, IKEv2 PSK, tunnel 198.51.100.0/24 <->
# 203.0.113.0/24, each side initiating (start_action = start, one fresh pair of
# daemons per direction). Checks what a user would: both daemons report the IKE
# SA and the CHILD SA up (oakctl status, or the log while oakd has no VICI
# server), and both record files (what would reach the kernel) hold the same
# SA pair seen from both ends: A's inbound SPI is B's outbound SPI and the
# other way round, with the same algorithms, and the tunnel policies.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_sites
A=$NT_WORK/a
B=$NT_WORK/b

# round INITIATOR: configure both sites, start the responder first, then the
# initiator (its start_action = start brings the tunnel up), check, stop both
round() {
    local init=$1 sa=none sb=none pa pb spa spb algs
    [ "$init" = A ] && sa=start || sb=start
    oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
        local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=$sa
    oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
        local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=$sb
    if [ "$init" = A ]; then
        start_oakd "$NS_B" "$B" || die "no oakd"; pb=$NT_PID
        start_oakd "$NS_A" "$A" || die "no oakd"; pa=$NT_PID
    else
        start_oakd "$NS_A" "$A" || die "no oakd"; pa=$NT_PID
        start_oakd "$NS_B" "$B" || die "no oakd"; pb=$NT_PID
    fi
    check "$init initiates: IKE SA up on A" wait_for 10 oak_ike_up "$A" tun
    check "$init initiates: IKE SA up on B" wait_for 10 oak_ike_up "$B" tun
    check "$init initiates: CHILD SA up on A" wait_for 10 oak_child_up "$A" tun
    check "$init initiates: CHILD SA up on B" wait_for 10 oak_child_up "$B" tun
    spa=$(oak_record "$A" spis tun)
    spb=$(oak_record "$B" spis tun)
    log "A in/out: ${spa:-none}; B in/out: ${spb:-none}"
    check "$init initiates: A's inbound SPI is B's outbound SPI" \
        test -n "$spa" -a "${spa% *}" = "${spb#* }"
    check "$init initiates: A's outbound SPI is B's inbound SPI" \
        test -n "$spa" -a "${spa#* }" = "${spb% *}"
    algs=$(oak_record "$A" algs tun)
    check "$init initiates: same algorithms on both ends ($algs)" \
        test -n "$algs" -a "$algs" = "$(oak_record "$B" algs tun)"
    check "$init initiates: the configured aes128-sha256 (XFRM names)" \
        test "$algs" = "cbc(aes)/128 hmac(sha256)/128"
    oak_record "$A" summary >"$A/summary.txt"
    oak_record "$B" summary >"$B/summary.txt"
    check "$init initiates: A's outbound policy 198.51.100.0/24 -> 203.0.113.0/24" \
        grep -q '^add_policy.* out .*198.51.100.0/24 -> 203.0.113.0/24' "$A/summary.txt"
    check "$init initiates: B's outbound policy 203.0.113.0/24 -> 198.51.100.0/24" \
        grep -q '^add_policy.* out .*203.0.113.0/24 -> 198.51.100.0/24' "$B/summary.txt"
    log "--- A ($init initiates)"; oak_show "$A" | sed 's/^/    /'
    log "--- B ($init initiates)"; oak_show "$B" | sed 's/^/    /'
    nt_stop "$pa"
    nt_stop "$pb"
    mkdir -p "$NT_WORK/$init-initiates"
    cp "$A/oakd.log" "$NT_WORK/$init-initiates/a.log"
    cp "$B/oakd.log" "$NT_WORK/$init-initiates/b.log"
}

# crash: A dies without sending a Delete (SIGKILL) and starts again. Its new
# IKE SA carries INITIAL_CONTACT (RFC 7296 2.4: it has no other IKE SA with B),
# so B must delete the stale IKE SA and its CHILD SA instead of keeping both.
crash() {
    local pa pb spb
    oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
        local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=start
    oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
        local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=none
    start_oakd "$NS_B" "$B" || die "no oakd"; pb=$NT_PID
    start_oakd "$NS_A" "$A" || die "no oakd"; pa=$NT_PID
    check "crash: CHILD SA up on B" wait_for 10 oak_child_up "$B" tun
    spb=$(oak_record "$B" spis tun)
    kill -9 "$pa"
    wait_for 5 _nt_gone "$pa"
    NT_PIDS=$(printf '%s\n' $NT_PIDS | grep -vx "$pa" | tr '\n' ' ')
    mv "$A/oakd.log" "$A/oakd-crashed.log"
    start_oakd "$NS_A" "$A" || die "no oakd"; pa=$NT_PID
    check "crash: B replaces the stale IKE SA on INITIAL_CONTACT" \
        wait_for 10 grep -q "replaced: the peer sent INITIAL_CONTACT" "$B/oakd.log"
    check "crash: B removed the stale CHILD SA's inbound SA (${spb% *})" \
        wait_for 5 oak_deleted "$B" "${spb% *}"
    check "crash: a new CHILD SA is up on A" wait_for 10 oak_child_up "$A" tun
    nt_stop "$pa"
    nt_stop "$pb"
    mkdir -p "$NT_WORK/crash"
    cp "$A/oakd.log" "$A/oakd-crashed.log" "$B/oakd.log" "$NT_WORK/crash/" 2>/dev/null
}

round A
round B
crash
nt_result "oakd <-> oakd IKEv2 PSK"
