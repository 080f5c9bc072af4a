#!/bin/bash
# v1_ikescan.sh OAKD [OAKCTL]: ike-scan (1.9.5) fingerprints oakd's IKEv1
# responder (192.0.2.2) from the other namespace, as an administrator
# checking what a gateway answers:
#
#   ike-scan -M --trans=AES-128,SHA2-256,PSK,MODP-2048   -> Main Mode handshake
#   the same with --aggressive and a configured ID       -> Aggressive Mode handshake
#   ike-scan with its default (legacy 3DES/DES, MD5/SHA1, modp768/1024)
#                                                        -> NO-PROPOSAL-CHOSEN
#
# and, so the test can fail: with a connection whose aggressive = no, the
# Aggressive Mode probe gets no handshake.
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
command -v ike-scan >/dev/null || nt_skip "no ike-scan (tools/install-deps.sh test)"
nt_sites
OAK=$NT_WORK/oak
OUT=$NT_WORK/scan.txt

# scan ARGS...: ike-scan from NS_A at oakd, output in $OUT
scan() {
    log "ike-scan $*"
    ip netns exec "$NS_A" timeout 20 ike-scan --sport=0 --retry=2 --timeout=1000 "$@" 192.0.2.2 \
        >"$OUT" 2>&1
    sed 's/^/    /' "$OUT"
}

# oakd_with AGGRESSIVE
oakd_with() {
    [ -n "${OAKD_PID:-}" ] && nt_stop "$OAKD_PID"
    rm -rf "$OAK"
    oak_conf "$OAK" scan local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test \
        remote_id=scan.oak.test local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 version=1 \
        aggressive="$1"
    start_oakd "$NS_B" "$OAK" || die "no oakd"
    OAKD_PID=$NT_PID
}

oakd_with yes
# AES-CBC 128 (7), hash SHA2-256 (4, IANA IKE attributes), PSK (1), MODP-2048 (14)
T="--trans=7/128,4,1,14"
scan -M "$T"
check "Main Mode: ike-scan got a Main Mode handshake" grep -q "Main Mode Handshake returned" "$OUT"
# RFC 2409 5: the responder returns the chosen transform unchanged, so the
# attributes come back in ike-scan's own order and encoding
check "Main Mode: oakd returned ike-scan's transform unchanged" \
    grep -q "SA=(Enc=AES Hash=SHA2-256 Auth=PSK Group=14:modp2048 KeyLength=128 LifeType=Seconds LifeDuration(4)=0x00007080)" "$OUT"
scan -M "$T" --aggressive --id=scan.oak.test --idtype=2 --dhgroup=14
check "Aggressive Mode: ike-scan got an Aggressive Mode handshake" \
    grep -q "Aggressive Mode Handshake returned" "$OUT"
check "Aggressive Mode: oakd's ID in the answer" grep -q "oak.oak.test" "$OUT"
scan -M
check "default proposals: NO-PROPOSAL-CHOSEN" grep -q "NO-PROPOSAL-CHOSEN" "$OUT"
check "default proposals: no handshake" sh -c "! grep -q 'Handshake returned' '$OUT'"
check "default proposals: oakd logged what came and what it accepts" \
    grep -q "Main Mode from 192.0.2.1 refused: scan: no proposal chosen: ENCR offered 3DES, DES, we accept AES_CBC_128" "$OAK/oakd.log"
cp "$OAK/oakd.log" "$NT_WORK/aggressive-yes.oakd.log"

# control: without aggressive = yes oakd refuses Aggressive Mode and says why
oakd_with no
scan -M "$T" --aggressive --id=scan.oak.test --idtype=2 --dhgroup=14
check "aggressive = no: no Aggressive Mode handshake" \
    sh -c "! grep -q 'Aggressive Mode Handshake returned' '$OUT'"
check "aggressive = no: oakd logged why" \
    grep -q "Aggressive Mode from 192.0.2.1 refused: connection 'scan' does not allow Aggressive Mode (aggressive = yes)" "$OAK/oakd.log"
scan -M "$T"
check "aggressive = no: Main Mode still answers" grep -q "Main Mode Handshake returned" "$OUT"
nt_result "ike-scan fingerprints oakd's IKEv1 responder"
