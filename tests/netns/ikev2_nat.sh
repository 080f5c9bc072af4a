#!/bin/bash
# ikev2_nat.sh OAKD [OAKCTL]: oakd behind a real NAT (RFC 7296 2.23, RFC 3948).
# Three namespaces: strongSwan 5.9 (charon, kernel-libipsec) at 192.0.2.1 with
# 198.51.100.0/24 behind it; a router doing nftables masquerade (with random
# source ports) from 203.0.113.0/25 to its address 192.0.2.2; oakd at
# 203.0.113.2 with 203.0.113.128/25 behind it, initiating. Checks: the IKE SA
# and CHILD SA come up; oakd detected the NAT in front of it from the NAT_D
# hashes and moved to port 4500; strongSwan sees oakd at the router's address
# with a translated port; every SA oakd installed is ESP in UDP 4500 -> 4500;
# the SPIs match; oakd sends NAT-keepalives; then strongSwan rekeys the
# CHILD SA through the NAT. OAK_NAT_VERSION=1 (v1_nat.sh) does it with IKEv1.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
command -v nft >/dev/null || nt_skip "no nft(8) (tools/install-deps.sh test: nftables)"
SW=$NT_WORK/sw
OAK=$NT_WORK/oak
NS_M=oak$$-m
V=${OAK_NAT_VERSION:-2} # v1_nat.sh runs this with 1

# A (strongSwan) -- M (NAT) -- B (oakd)
netns_pair "$NS_A" 192.0.2.1 "$NS_M" 192.0.2.2
ip -n "$NS_A" addr add 198.51.100.1/32 dev lo
ip netns add "$NS_B" || die "ip netns add $NS_B"
NT_NS="$NT_NS $NS_B"
ip -n "$NS_B" link set lo up
ip -n "$NS_M" link add eth1 type veth peer name eth0 netns "$NS_B" || die "veth M/B"
ip -n "$NS_M" addr add 203.0.113.1/25 dev eth1 && ip -n "$NS_M" link set eth1 up || die "M eth1"
ip -n "$NS_B" addr add 203.0.113.2/25 dev eth0 && ip -n "$NS_B" link set eth0 up || die "B eth0"
ip -n "$NS_B" addr add 203.0.113.129/32 dev lo
ip -n "$NS_B" route add default via 203.0.113.1 || die "B default route"
ip netns exec "$NS_M" sysctl -qw net.ipv4.ip_forward=1 || die "M forwarding"
ip netns exec "$NS_M" nft -f - <<'EOF' || die "nft masquerade"
table ip oaknat {
    chain post {
        type nat hook postrouting priority 100;
        oifname "eth0" ip saddr 203.0.113.0/25 masquerade random
    }
}
EOF
wait_for 5 ip netns exec "$NS_B" ping -c1 -W1 192.0.2.1 || die "no ping from oakd through the NAT"

sw_peer "$SW"
sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.128/25 version="$V"
start_charon "$NS_A" "$SW"
sw_load "$SW"
oak_conf "$OAK" tun local=203.0.113.2 remote=192.0.2.1 local_id=oak.oak.test \
    remote_id=sw.oak.test local_ts=203.0.113.128/25 remote_ts=198.51.100.0/24 start=start \
    version="$V"
# NAT-keepalives every 2 s instead of 20 (RFC 3948 2.3), to see some
sed -i 's/^daemon {$/daemon {\n    keep_alive = 2s/' "$OAK/oak.conf"
start_oakd "$NS_B" "$OAK" || die "no oakd"

all_encap_4500() {
    local all enc
    all=$(oak_record "$OAK" summary | grep -c '^add_sa ')
    enc=$(oak_record "$OAK" summary | grep -c '^add_sa .* encap udp 4500->4500$')
    [ "$all" -gt 0 ] && [ "$all" = "$enc" ]
}
spis_match() {
    SWS=$(sw_installed_spis "$SW" tun)
    OAKS=$(oak_record "$OAK" spis tun 2>/dev/null)
    [ -n "$SWS" ] && [ "${SWS% *}" = "${OAKS#* }" ] && [ "${SWS#* }" = "${OAKS% *}" ]
}

check "IKE SA ESTABLISHED on strongSwan" wait_for 15 sw_ike_up "$SW" tun
check "CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" tun
check "CHILD SA up on oakd" wait_for 10 oak_child_up "$OAK" tun
check "oakd detected the NAT in front of it (NAT_D)" \
    grep -Eq "NAT detected \(.*(us|local)" "$OAK/oakd.log"
check "oakd floated to UDP 4500" grep -Eq "floating to UDP 4500|NAT traversal: moving to port 4500" "$OAK/oakd.log"
check "oakd sends NAT-keepalives from behind the NAT" \
    wait_for 6 grep -q "NAT-keepalive to the peer" "$OAK/oakd.log"
sw "$SW" --list-sas >"$NT_WORK/sas.txt" 2>&1
sed 's/^/    /' "$NT_WORK/sas.txt"
REMOTE=$(sed -n "s/.*remote 'oak.oak.test' @ \(192\.0\.2\.2\[[0-9]*\]\).*/\1/p" "$NT_WORK/sas.txt")
log "strongSwan sees oakd at ${REMOTE:-?}"
check "strongSwan sees oakd at the NAT's address, port translated" \
    sh -c "[ -n '$REMOTE' ] && [ '$REMOTE' != '192.0.2.2[4500]' ] && [ '$REMOTE' != '192.0.2.2[500]' ]"
check "every SA oakd installed is ESP in UDP 4500 -> 4500" all_encap_4500
check "the CHILD SPIs match (in and out swapped)" wait_for 5 spis_match
FIRST=$SWS
spis_match_first() { spis_match && [ "$SWS" = "$FIRST" ]; }
sw "$SW" --rekey --child tun >/dev/null 2>&1
check "strongSwan rekeys the CHILD SA through the NAT" \
    wait_for 10 sh -c "grep -Eq 'rekeyed to CHILD SA|installed: SPIs' '$OAK/oakd.log' && ! spis_match_first"
check "after the rekey the SPIs are new and match" wait_for 10 spis_match
check "after the rekey the SPIs differ from the first" test "$SWS" != "$FIRST"
grep -E "NAT|floating|rekeyed" "$OAK/oakd.log" | sed 's/^/    /'

nt_result "oakd behind an nftables NAT <-> strongSwan, IKEv$V NAT-T"
