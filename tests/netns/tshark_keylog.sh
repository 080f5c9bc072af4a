#!/bin/bash
# tshark_keylog.sh OAKD [OAKCTL]: capture oakd <-> strongSwan IKEv2 sessions
# (IKE_SA_INIT, IKE_AUTH, INFORMATIONAL with a Delete) and decrypt them with
# oakd's key log only (daemon.keylog = a directory, used as Wireshark's config
# dir: src/daemon/keylog.h). Two sessions with different algorithms:
#
#   1. strongSwan initiates, aes128-sha256-modp2048, strongSwan deletes
#   2. oakd initiates, aes256-sha384-ecp256, oakd deletes (oakctl down) when
#      oakd serves VICI, else strongSwan deletes
#
# Checks: every message with an Encrypted and Authenticated payload (46) shows
# "Integrity Checksum Data ... [correct]" and its inner payloads (IDi, IDr,
# AUTH, SA, TSi, TSr, Delete) dissected; nothing is "Malformed"; the key log
# has one row per IKE SA; and without the key log nothing decrypts (so the
# test can fail).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_need_peer tshark
nt_sites
SW=$NT_WORK/sw
OAK=$NT_WORK/oak
PCAP=$NT_WORK/ike.pcap

sw_peer "$SW"
sw_conn "$SW" s1 local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24
start_charon "$NS_A" "$SW"
sw_load "$SW"
nt_capture "$NS_B" "$PCAP"

# 1. strongSwan initiates and deletes
oak_conf "$OAK" s1 local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=sw.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 keylog=yes
start_oakd "$NS_B" "$OAK" || die "no oakd"
OAKD_PID=$NT_PID
sw "$SW" --initiate --child s1 --timeout 15 >"$NT_WORK/s1.out" 2>&1
check "session 1: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" s1
sw "$SW" --terminate --ike s1 --timeout 10 >>"$NT_WORK/s1.out" 2>&1
check "session 1: strongSwan's delete acknowledged" grep -q "terminate completed successfully" "$NT_WORK/s1.out"
nt_stop "$OAKD_PID"
cp "$OAK/oakd.log" "$NT_WORK/s1.oakd.log"

# 2. oakd initiates (fresh oakd, same key log) and deletes
sw_conn "$SW" s2 local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 ike=aes256-sha384-ecp256 esp=aes256-sha384
rm "$SW/swanctl/conf.d/s1.conf"
sw_load "$SW"
oak_conf "$OAK" s2 local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=sw.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 keylog=yes ike=aes256-sha384-ecp256 \
    esp=aes256-sha384 start=start
start_oakd "$NS_B" "$OAK" || die "no oakd"
OAKD_PID=$NT_PID
check "session 2: CHILD SA INSTALLED on strongSwan" wait_for 10 sw_child_up "$SW" s2
if oak_has_vici "$OAK"; then
    oak "$OAK" down s2 >"$NT_WORK/s2.down" 2>&1
    check "session 2: oakd deleted the IKE SA (oakctl down)" wait_for 10 sw_ike_gone "$SW" s2
else
    log "oakd serves no VICI yet: strongSwan deletes session 2"
    sw "$SW" --terminate --ike s2 --timeout 10 >/dev/null 2>&1
    check "session 2: IKE SA deleted" wait_for 10 sw_ike_gone "$SW" s2
fi
sleep 0.5 # the Delete's response reaches the capture
nt_capture_stop
nt_stop "$OAKD_PID"

# ---- dissect
KEYS=$OAK/keys
check "the key log has one row per IKE SA (2)" test "$(grep -c . "$KEYS/ikev2_decryption_table")" = 2
WIRESHARK_CONFIG_DIR=$KEYS tshark -r "$PCAP" -V >"$NT_WORK/decoded.txt" 2>"$NT_WORK/decoded.err"
tshark -r "$PCAP" >"$NT_WORK/packets.txt" 2>/dev/null
sed 's/^/    /' "$NT_WORK/packets.txt"
enc=$(tshark -r "$PCAP" -Y 'isakmp.nextpayload == 46' 2>/dev/null | grep -c .)
ok=$(grep -c 'Integrity Checksum Data: .*\[correct\]' "$NT_WORK/decoded.txt")
log "$enc messages with an SK payload, $ok with a correct checksum"
count() { grep -c "$1" "$NT_WORK/packets.txt"; }
check "the capture holds both sessions: 2 answered IKE_SA_INIT, IKE_AUTH, INFORMATIONAL" \
    test "$(count 'IKE_SA_INIT .*Response')" = 2 -a "$(count 'IKE_AUTH .*Response')" = 2 -a \
    "$(count 'INFORMATIONAL .*Response')" -ge 2
# nothing is lost on a veth: a second copy of a request is a retransmission
# that came too early (RFC 7296 2.1)
check "no request sent twice (IKE_SA_INIT requests $(count 'IKE_SA_INIT .*Request'), IKE_AUTH requests $(count 'IKE_AUTH .*Request'))" \
    test "$(count 'IKE_SA_INIT .*Request')" = 2 -a "$(count 'IKE_AUTH .*Request')" = 2
check "every encrypted message decrypts with oakd's key log: [correct] x $enc" \
    test "$enc" -ge 8 -a "$ok" = "$enc"
check "every encrypted message is shown decrypted: Decrypted Data x $enc" \
    test "$(grep -c 'Decrypted Data (' "$NT_WORK/decoded.txt")" = "$enc"
check "no [incorrect] checksum" sh -c "! grep -q 'incorrect' '$NT_WORK/decoded.txt'"
check "nothing Malformed" sh -c "! grep -qi 'malformed' '$NT_WORK/decoded.txt'"
for p in "Identification - Initiator (35)" "Identification - Responder (36)" "Authentication (39)" \
    "Traffic Selector - Initiator (44)" "Traffic Selector - Responder (45)" "Delete (42)"; do
    check "decrypted inner payload: $p" grep -q "Payload: $p" "$NT_WORK/decoded.txt"
done
check "both sessions' IKE_AUTH carry an SA payload inside the SK payload" \
    test "$(grep -c 'Payload: Security Association (33)' "$NT_WORK/decoded.txt")" -ge 8
# control: without the key log nothing decrypts
mkdir -p "$NT_WORK/empty"
WIRESHARK_CONFIG_DIR=$NT_WORK/empty tshark -r "$PCAP" -V >"$NT_WORK/plain.txt" 2>&1
check "control: without the key log no checksum is verified" \
    sh -c "! grep -q '\\[correct\\]' '$NT_WORK/plain.txt'"
nt_result "tshark decrypts oakd <-> strongSwan with oakd's key log"
