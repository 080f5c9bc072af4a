#!/bin/bash
# test_decode.sh OAKCTL CAPTURES_DIR -- `oakctl decode` on the golden captures
# (tests/vectors/README.md): the lines a user looks for in IKEv2 and IKEv1
# sessions, the same output from --golden and from --pcap + --keys (golden
# rows and Wireshark table files), single messages from hex, and the exit
# codes of errors (1: a message failed, 2: usage). Values such as SPIs are
# read from the capture files, never hard-coded: regenerating the captures
# changes them all.
set -u
OAKCTL=$1
CAP=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# run NAME RC ARGS...: run oakctl, keep stdout/stderr in $TMP/NAME.{out,err}, check the exit code
run() {
    local name=$1 want=$2; shift 2
    "$OAKCTL" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want; stderr: $(head -3 "$TMP/$name.err")"
        return 1
    fi
    ok "$name: exit $rc"
}
# has NAME FILE TEXT: TEXT (fixed string) is a line part of $TMP/NAME.FILE
has() {
    if grep -qF -- "$3" "$TMP/$1.$2"; then ok "$1: $2 has '$3'"; else fail "$1: $2 lacks '$3'"; fi
}
# count NAME TEXT N: TEXT occurs on exactly N lines of stdout
count() {
    local n
    n=$(grep -cF -- "$2" "$TMP/$1.out")
    if [ "$n" -eq "$3" ]; then ok "$1: $3 x '$2'"; else fail "$1: $n x '$2', expected $3"; fi
}
# after NAME FIRST THEN: a line with THEN follows the first line with FIRST within 3 lines
after() {
    if grep -A3 -F -- "$2" "$TMP/$1.out" | grep -qF -- "$3"; then ok "$1: '$3' after '$2'"
    else fail "$1: no '$3' right after '$2'"; fi
}
# Wireshark's table files from a golden file, as tests/vectors/record/record.sh makes them
ws_tables() {
    sed -n 's/^ikev2_keys spi_i=\(\S*\) spi_r=\(\S*\) sk_ei=\(\S*\) sk_er=\(\S*\) encr=\("[^"]*"\) sk_ai=\(\S*\) sk_ar=\(\S*\) integ=\("[^"]*"\)$/\1,\2,\3,\4,\5,\6,\7,\8/p' "$1"
    sed -n 's/^ikev1_keys cky_i=\(\S*\) enc_key=\(\S*\)$/"\1","\2"/p' "$1"
}
msg_hex() { awk -v n="$2" '$1 == "msg" && $2 == n { print $6 }' "$1"; }
encrypted_count() { grep -c '^#   msg .*\(SK {\|(encrypted)\)' "$1"; }

V2=$CAP/ikev2-psk-aes128-sha256-modp2048
V2GCM=$CAP/ikev2-psk-aes256gcm16-prfsha384-ecp384
V1=$CAP/ikev1-mm-psk-aes256-sha1-modp2048
SPI_I=$(sed -n 's/^ikev2_keys spi_i=\(\S*\) .*/\1/p' "$V2.txt" | head -1)

# --- IKEv2, golden file: IKE_AUTH with the decrypted IDi FQDN and AUTH
run v2 0 decode --golden "$V2.txt"
has v2 out "IKEv2 IKE_AUTH (35), request, message ID 1, from the original initiator"
has v2 out "SPIi $SPI_I"
after v2 "IDi (35)" 'ID_FQDN (2) "left.rig.test"'
after v2 "AUTH (39)" "method SHARED_KEY_MIC (2)"
has v2 out "INITIAL_CONTACT (16384)"
has v2 out "TS_IPV4_ADDR_RANGE (7): 198.51.100.1 - 198.51.100.1"
has v2 out "ENCR (1) ENCR_AES_CBC (12), key length 128"
count v2 "ICV (HMAC_SHA2_256_128 [RFC4868], 16 bytes): correct" "$(encrypted_count "$V2.txt")"
n=$(grep -c '^message [0-9]*: ' "$TMP/v2.out")
[ "$n" -eq "$(grep -c '^msg ' "$V2.txt")" ] && ok "v2: $n messages" || fail "v2: $n messages printed"

# --- the same from the pcap with --keys (the golden file's rows), and with Wireshark's table
run v2pcap 0 decode --keys "$V2.txt" --pcap "$V2.pcap"
sed 's/ (frame [0-9]*)//' "$TMP/v2pcap.out" >"$TMP/v2pcap.cmp"
if cmp -s "$TMP/v2.out" "$TMP/v2pcap.cmp"; then ok "v2pcap: same output as --golden"
else fail "v2pcap: output differs from --golden: $(diff "$TMP/v2.out" "$TMP/v2pcap.cmp" | head -5)"; fi
ws_tables "$V2.txt" >"$TMP/ikev2_decryption_table"
run v2ws 0 decode --keys "$TMP/ikev2_decryption_table" --pcap "$V2.pcap"
count v2ws "16 bytes): correct" "$(encrypted_count "$V2.txt")"

# pcapng (editcap comes with tshark; the tshark test already requires it)
if command -v editcap >/dev/null; then
    editcap -F pcapng "$V2.pcap" "$TMP/v2.pcapng"
    run v2ng 0 decode --keys "$V2.txt" --pcap "$TMP/v2.pcapng"
    if cmp -s "$TMP/v2pcap.out" "$TMP/v2ng.out"; then ok "v2ng: pcapng gives the same output"
    else fail "v2ng: pcapng output differs: $(diff "$TMP/v2pcap.out" "$TMP/v2ng.out" | head -5)"; fi
else
    echo "NOTE: editcap not installed, pcapng input not checked"
fi

# --- IKEv2 AEAD (AES-GCM-256, salt at the end of SK_e*)
run v2gcm 0 decode --golden "$V2GCM.txt"
count v2gcm "ICV (AES-GCM-256 with 16 octet ICV [RFC5282], 16 bytes): correct" "$(encrypted_count "$V2GCM.txt")"
after v2gcm "IDi (35)" 'ID_FQDN (2) "left.rig.test"'

# --- certificates: subject and issuer of CERT, CA of an IKEv1 CR
run v2cert 0 decode --golden "$CAP/ikev2-cert-ecdsa-aes256-sha384-x25519.txt"
after v2cert "CERT (37)" "subject: "
has v2cert out "CN=left.rig.test"
after v2cert "AUTH (39)" "method DIGITAL_SIGNATURE (14)"
run v1cert 0 decode --golden "$CAP/ikev1-mm-cert-ecdsa-aes128-sha256-modp2048.txt"
after v1cert "CERT (6)" "subject: "
after v1cert "CR (7)" "CA: "
has v1cert out "SIG (9)"

# --- IKEv1: Main Mode IDs, Quick Mode HASH/SA/NONCE, chained IVs
run v1 0 decode --golden "$V1.txt"
has v1 out "IKEv1 QUICK_MODE (32)"
after v1 "decrypted: " "HASH (8)"
after v1 "ID (5)" 'ID_FQDN (2) "left.rig.test"'
has v1 out "ENCRYPTION_ALGORITHM (1) = AES-CBC (7)"
has v1 out "transform 1: ESP_AES-CBC (12)"
has v1 out "NONCE (10)"
count v1 "decrypted: " "$(encrypted_count "$V1.txt")"
ws_tables "$V1.txt" | grep -v '^[0-9a-f]*,[0-9a-f]*,' >"$TMP/ikev1_decryption_table"
run v1ws 0 decode --keys "$TMP/ikev1_decryption_table" --pcap "$V1.pcap"
count v1ws "decrypted: " "$(encrypted_count "$V1.txt")"

# --- one message from hex with a key row on the command line
ROW=$(ws_tables "$V2.txt" | head -1)
M3=$(msg_hex "$V2.txt" 3)
run hex 0 decode --ikev2-key "$ROW" "$M3"
has hex out "non-ESP marker"
after hex "IDi (35)" 'ID_FQDN (2) "left.rig.test"'

# --- errors: exit 1 with a message saying what and where
run nokey 1 decode "$M3"
has nokey err "decode: message 1: no key for SPI $SPI_I"
BAD=$(echo "$M3" | sed 's/\(..........\)$/ffffffffff/')   # the last bytes are the ICV
run icv 1 decode --ikev2-key "$ROW" "$BAD"
has icv err "decode: message 1: ICV mismatch"
run badhex 1 decode 0011zz22
has badhex err "decode: argument 1: not hex: character 4 is 'z'"
M1=$(msg_hex "$V2.txt" 1)
# IKE_SA_INIT's SA payload length (bytes 30-31 of the message) made larger than the message
run badlen 1 decode "${M1:0:60}ffff${M1:64}"
has badlen err "decode: message 1: offset "
run short 1 decode "${M1:0:40}"
has short err "decode: message 1: offset 0: "
V1M7=$(msg_hex "$V1.txt" 7)
run v1alone 1 decode --keys "$V1.txt" "$V1M7"
has v1alone err "decode the whole exchange"

# --- usage errors: exit 2
run badopt 2 decode --bogus "$M1"
run noinput 2 decode
run twoinputs 2 decode --golden "$V2.txt" "$M1"
run badverb 2 frobnicate
run noverb 2
run badrow 1 decode --ikev2-key "1,2,3" "$M1"
has badrow err "expected 8 fields"
run help 0 help
has help out "decode"
run version 0 version
has version out "oakctl "

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
fi
echo "all checks passed"
