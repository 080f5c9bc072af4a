#!/bin/bash
# v1_tshark.sh OAKD [OAKCTL]: capture an oakd <-> oakd IKEv1 session (Main
# Mode, Quick Mode, Informational deletes) and decrypt it with oakd's key log
# only (daemon.keylog = a directory: oakd writes ikev1_decryption_table there,
# src/daemon/keylog.h, which Wireshark reads as its config dir).
#
# Checks: the key log has the one ISAKMP SA's row; tshark shows Main Mode
# messages 5 and 6 decrypted (their Identification and Hash payloads), the
# three Quick Mode messages decrypted (Hash; SA, Nonce and the two IDs in the
# first two), nothing Malformed; and without the key log none of that shows
# (so the test can fail).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer tshark
nt_sites
A=$NT_WORK/a
B=$NT_WORK/b
PCAP=$NT_WORK/ikev1.pcap

oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version=1 keylog=yes start=start
oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 version=1
nt_capture "$NS_A" "$PCAP"
start_oakd "$NS_B" "$B" || die "no oakd"
PB=$NT_PID
start_oakd "$NS_A" "$A" || die "no oakd"
PA=$NT_PID
check "IPsec SA up on A" wait_for 10 oak_v1_child_up "$A" tun
check "IPsec SA up on B" wait_for 10 oak_v1_child_up "$B" tun
# A stops: SIGTERM sends the Informational deletes (ikev1_terminate_all)
nt_stop "$PA"
sleep 0.5
nt_capture_stop
nt_stop "$PB"

KEYS=$A/keys
check "the key log has one IKEv1 row (ICOOKIE,ENC_KEY)" \
    test "$(grep -c '^[0-9a-f]\{16\},[0-9a-f]\+$' "$KEYS/ikev1_decryption_table" 2>/dev/null)" = 1
tshark -r "$PCAP" >"$NT_WORK/packets.txt" 2>/dev/null
sed 's/^/    /' "$NT_WORK/packets.txt"

# frames FILE: one line per ISAKMP frame: "EXCHANGE ENCRYPTED payload,payload,..."
frames() {
    awk '
        /^Frame [0-9]+:/ { if (x != "") print x, e, p; x = ""; e = 0; p = "" }
        /Exchange type: / { sub(/.*Exchange type: /, ""); gsub(/ /, "_"); x = $0 }
        /= Encryption: Encrypted/ { e = 1 }
        /Payload: / { s = $0; sub(/.*Payload: /, "", s); sub(/ \(.*/, "", s); gsub(/ /, "_", s); p = p "," s }
        END { if (x != "") print x, e, p }' "$1"
}
WIRESHARK_CONFIG_DIR=$KEYS tshark -r "$PCAP" -V >"$NT_WORK/decoded.txt" 2>"$NT_WORK/decoded.err"
frames "$NT_WORK/decoded.txt" >"$NT_WORK/frames.txt"
sed 's/^/    /' "$NT_WORK/frames.txt"
mm_dec=$(grep -Ec '^Identity_Protection_\(Main_Mode\)_\(2\) 1 ,Identification,Hash' "$NT_WORK/frames.txt")
qm=$(grep -Ec '^Quick_Mode_\(32\) 1 ' "$NT_WORK/frames.txt")
qm_dec=$(grep -Ec '^Quick_Mode_\(32\) 1 ,Hash' "$NT_WORK/frames.txt")
qm_full=$(grep -Ec '^Quick_Mode_\(32\) 1 ,Hash,Security_Association,.*Nonce,.*Identification,Identification' "$NT_WORK/frames.txt")
log "Main Mode 5/6 decrypted: $mm_dec; Quick Mode: $qm_dec of $qm decrypted, $qm_full with SA, Nonce and IDs"
check "Main Mode messages 5 and 6 decrypted (Identification and Hash)" test "$mm_dec" = 2
check "all three Quick Mode messages decrypted (Hash first)" test "$qm" = 3 -a "$qm_dec" = 3
check "Quick Mode messages 1 and 2 show SA, Nonce, IDci, IDcr" test "$qm_full" = 2
# nothing is lost on a veth: a second copy of a message is a retransmission
# that came too early (a message dropped instead of answered)
check "no Main Mode message sent twice ($(grep -c '^Identity_Protection' "$NT_WORK/frames.txt") Main Mode messages)" \
    test "$(grep -c '^Identity_Protection' "$NT_WORK/frames.txt")" = 6
check "an Informational Delete decrypted" grep -Eq '^Informational_\(5\) 1 ,Hash,Delete' "$NT_WORK/frames.txt"
check "nothing Malformed" sh -c "! grep -qi 'malformed' '$NT_WORK/decoded.txt'"
# control: without the key log nothing inside decrypts
mkdir -p "$NT_WORK/empty"
WIRESHARK_CONFIG_DIR=$NT_WORK/empty tshark -r "$PCAP" -V >"$NT_WORK/plain.txt" 2>&1
frames "$NT_WORK/plain.txt" >"$NT_WORK/plain-frames.txt"
check "control: without the key log no encrypted message shows a payload" \
    sh -c "! grep -q '^[^ ]* 1 ,' '$NT_WORK/plain-frames.txt'"
nt_result "tshark decrypts oakd's IKEv1 with oakd's key log"
