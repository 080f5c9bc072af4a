#!/bin/bash
# v1_nat_transport.sh OAKD [OAKCTL]: IKEv1 transport mode through a real NAT
# with NAT-OA (RFC 3947 5.2). The topology of ikev2_nat.sh: strongSwan 5.9
# (charon, kernel-libipsec) at 192.0.2.1; a router doing nftables masquerade
# from 203.0.113.0/25 to its address 192.0.2.2; oakd at 203.0.113.2 behind
# it, initiating a host-to-host transport-mode Quick Mode. Checks: Main Mode
# is up and oakd detected the NAT in front of it; oakd's Quick Mode message 1
# carried NAT-OAi and NAT-OAr (strongSwan's parse line) and strongSwan's
# answer did too (oakd learned strongSwan's original address from it); oakd
# installed both SAs in transport mode, ESP in UDP 4500 -> 4500, with
# strongSwan's original address as the NAT-OA in its record.
#
# strongSwan's kernel-libipsec does only tunnel mode and the host kernel has
# no ESP, so strongSwan cannot install its side of a transport-mode SA here:
# its result is logged, not checked (tests/uml has the real kernel).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
command -v nft >/dev/null || nt_skip "no nft(8) (tools/install-deps.sh test: nftables)"
SW=$NT_WORK/sw
OAK=$NT_WORK/oak
NS_M=oak$$-m

# A (strongSwan) -- M (NAT) -- B (oakd)
netns_pair "$NS_A" 192.0.2.1 "$NS_M" 192.0.2.2
ip netns add "$NS_B" || die "ip netns add $NS_B"
NT_NS="$NT_NS $NS_B"
ip -n "$NS_B" link set lo up
ip -n "$NS_M" link add eth1 type veth peer name eth0 netns "$NS_B" || die "veth M/B"
ip -n "$NS_M" addr add 203.0.113.1/25 dev eth1 && ip -n "$NS_M" link set eth1 up || die "M eth1"
ip -n "$NS_B" addr add 203.0.113.2/25 dev eth0 && ip -n "$NS_B" link set eth0 up || die "B eth0"
ip -n "$NS_B" route add default via 203.0.113.1 || die "B default route"
ip netns exec "$NS_M" sysctl -qw net.ipv4.ip_forward=1 || die "M forwarding"
ip netns exec "$NS_M" nft -f - <<'NFT' || die "nft masquerade"
table ip oaknat {
    chain post {
        type nat hook postrouting priority 100;
        oifname "eth0" ip saddr 203.0.113.0/25 masquerade random
    }
}
NFT
wait_for 5 ip netns exec "$NS_B" ping -c1 -W1 192.0.2.1 || die "no ping from oakd through the NAT"

# strongSwan: transport mode, the peer's traffic selector is its (NATed)
# address: swanctl's "dynamic"
sw_peer "$SW"
sw_conn "$SW" tun local=192.0.2.1 remote=%any local_id=sw.oak.test remote_id=oak.oak.test \
    version=1
sed -i 's/^\(                esp_proposals = .*\)$/\1\n                mode = transport/' \
    "$SW/swanctl/conf.d/tun.conf"
start_charon "$NS_A" "$SW"
sw_load "$SW"
oak_conf "$OAK" tun local=203.0.113.2 remote=192.0.2.1 local_id=oak.oak.test \
    remote_id=sw.oak.test local_ts=203.0.113.2/32 remote_ts=192.0.2.1/32 start=start version=1
sed -i 's/^\(                esp_proposals = .*\)$/\1\n                mode = transport/' "$OAK/oak.conf"
start_oakd "$NS_B" "$OAK" || die "no oakd"

oak_natoa_sas() {
    local all oa
    all=$(oak_record "$OAK" summary | grep -c '^add_sa ')
    oa=$(oak_record "$OAK" summary |
        grep -c '^add_sa .* transport .* encap udp 4500->4500 oa 192\.0\.2\.1$')
    [ "$all" -gt 0 ] && [ "$all" = "$oa" ]
}

check "IKEv1 SA ESTABLISHED on strongSwan" wait_for 15 sw_ike_up "$SW" tun
check "ISAKMP SA up on oakd" wait_for 10 oak_v1_ike_up "$OAK" tun
check "oakd detected the NAT in front of it" grep -Eq "NAT detected \(.*us" "$OAK/oakd.log"
check "strongSwan parsed NAT-OAi and NAT-OAr in oakd's Quick Mode message 1" \
    wait_for 10 grep -Eq "parsed QUICK_MODE request [0-9]+ \[.*NAT-OA NAT-OA" "$SW/charon.log"
check "oakd learned strongSwan's original address from its NAT-OA" \
    wait_for 10 grep -q "NAT-OA: the peer's original address is 192.0.2.1" "$OAK/oakd.log"
check "IPsec SA installed on oakd" wait_for 10 oak_v1_child_up "$OAK" tun
check "oakd's SAs: transport mode, ESP in UDP 4500 -> 4500, NAT-OA 192.0.2.1 in the record" \
    oak_natoa_sas
oak_record "$OAK" summary | grep '^add_sa' | sed 's/^/    record: /'
grep -E "NAT-OA|due to NAT" "$SW/charon.log" | sed 's/^/    charon: /'
log "strongSwan's own side (not checked): $(grep -Eo "CHILD_SA [^ ]* established.*|unable to install.*|only tunnel mode.*" \
    "$SW/charon.log" | head -1)"

nt_result "oakd behind an nftables NAT <-> strongSwan, IKEv1 transport mode with NAT-OA"
