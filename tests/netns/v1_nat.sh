#!/bin/bash
# v1_nat.sh: ikev2_nat.sh with IKEv1 (RFC 3947): oakd behind an nftables
# masquerade NAT establishes Main Mode + Quick Mode with strongSwan, floats
# to port 4500, encapsulates ESP in UDP, sends NAT-keepalives, and survives
# strongSwan's Quick Mode rekey through the NAT.
OAK_NAT_VERSION=1 exec bash "$(dirname "$(readlink -f "$0")")/ikev2_nat.sh" "$@"
