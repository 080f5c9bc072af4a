#!/bin/bash
# record.sh -- regenerate oak's golden IKE captures and key-derivation vectors from real
# peers (strongSwan 5.9.8 charon <-> strongSwan / libreswan 4.10 pluto), using the IKE
# interop rig (lib.sh).  Run by hand, as root, from anywhere:
#
#     tests/vectors/record/record.sh            # all sessions
#     tests/vectors/record/record.sh NAME...    # only these sessions (see SESSIONS below)
#
# RIG_KIT (default ../shared/rig, relative to the repo root) is the rig.  Writes
#   tests/vectors/captures/NAME.pcap   tshark capture on the initiator's veth, filter
#                                      "udp port 500 or udp port 4500", classic pcap
#   tests/vectors/captures/NAME.txt    every IKE message hex + decryption keys (extract.py)
#   tests/vectors/kdf/NAME*.txt        key-derivation vectors (extract.py)
# Each session gets fresh namespaces and fresh daemons; the initiator is always the
# strongSwan in the left namespace (192.0.2.1), logging with ike = 4, chd = 4, mgr = 2
# (the rig's template has ike = @IKE_LOG@; chd/mgr are added by sed on the generated file).
#
# Verification (done for every session at the end of this script, see verify()): the keys
# written into NAME.txt are turned into Wireshark UAT tables and tshark must decrypt every
# encrypted message with them:
#
#   d=$(mktemp -d)
#   sed -n 's/^ikev2_keys spi_i=\(\S*\) spi_r=\(\S*\) sk_ei=\(\S*\) sk_er=\(\S*\) encr=\("[^"]*"\) sk_ai=\(\S*\) sk_ar=\(\S*\) integ=\("[^"]*"\)$/\1,\2,\3,\4,\5,\6,\7,\8/p' NAME.txt > $d/ikev2_decryption_table
#   sed -n 's/^ikev1_keys cky_i=\(\S*\) enc_key=\(\S*\)$/\1,\2/p' NAME.txt > $d/ikev1_decryption_table
#   WIRESHARK_CONFIG_DIR=$d tshark -r NAME.pcap -V > NAME.decoded
#   IKEv2 AES-CBC:  grep -c 'Integrity Checksum Data: .* \[correct\]' NAME.decoded
#                   == number of messages with an Encrypted and Authenticated (46) payload
#   IKEv2 AES-GCM:  grep -c 'Decrypted Data' NAME.decoded == that number, and the
#                   inner payloads are dissected (Wireshark 4.0 shows no AEAD tag verdict)
#   IKEv1:          grep -c 'Encryption: Encrypted' NAME.decoded == number of
#                   'Encrypted Data (N bytes)' lines directly followed by a dissected inner
#                   'Payload: ...' line (tshark shows the decrypted payloads under it), no
#                   "Malformed"; Quick Mode nonces appear (Payload: Nonce (10))
#
# Also used: tshark -r NAME.pcap (one line per packet) to eyeball the exchanges.
#
# strongSwan on this Debian lacks the openssl plugin (libstrongswan-standard-plugins is
# not installed), so ECP groups, ECDSA and AES-GCM are unavailable to charon, pki and
# swanctl.  Unless /usr/lib/ipsec/plugins/libstrongswan-openssl.so exists, this script
# fetches that package with 'apt-get download' (same version as the installed strongSwan),
# unpacks it under the work dir and bind-mounts a private plugin directory over
# /usr/lib/ipsec/plugins in the private mount namespaces of charon / swanctl / pki only.
set -u
HERE=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$HERE/../../.." && pwd)
KIT=${RIG_KIT:-../shared/rig}
case $KIT in /*) ;; *) KIT=$REPO/$KIT ;; esac
. "$KIT/lib.sh"
CAP=$REPO/tests/vectors/captures
KDF=$REPO/tests/vectors/kdf
mkdir -p "$CAP" "$KDF"
rig_init

########################################################################## private plugins
PLUG=""
if [ ! -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so ]; then
    PLUG=$RIG_WORK/plugins
    deb=$RIG_WORK/deb; mkdir -p "$deb" "$PLUG"; chmod 755 "$deb"
    id _apt >/dev/null 2>&1 && chown _apt "$deb"
    ver=$(dpkg-query -W -f '${Version}' libstrongswan)
    (cd "$deb" && apt-get download -q "libstrongswan-standard-plugins=$ver" >/dev/null 2>&1) ||
        die "apt-get download libstrongswan-standard-plugins=$ver"
    dpkg -x "$deb"/libstrongswan-standard-plugins_*.deb "$deb/x" || die "dpkg -x"
    cp -a /usr/lib/ipsec/plugins/. "$PLUG/"
    cp -a "$deb"/x/usr/lib/ipsec/plugins/. "$PLUG/"
    log "private strongSwan plugin dir with openssl/gcm: $PLUG"
fi
# _plug CMD... : run CMD in a private mount namespace that sees $PLUG as the plugin dir
_plug() {
    if [ -n "$PLUG" ]; then
        unshare -m --propagation private sh -c 'mount --bind "$0" /usr/lib/ipsec/plugins && exec "$@"' "$PLUG" "$@"
    else "$@"; fi
}
# start_charon NS DIR (overrides lib.sh's): same, plus the private plugin dir
start_charon() {
    local ns=$1 dir=$2
    rm -f "$dir/charon.vici" "$dir/charon.log"
    ip netns exec "$ns" sh -c 'mount -t tmpfs rigrun /run && { [ -z "$3" ] || mount --bind "$3" /usr/lib/ipsec/plugins; } &&
        STRONGSWAN_CONF="$1/strongswan.conf" exec "$2"' start_charon "$dir" "$CHARON" "$PLUG" >"$dir/charon.out" 2>&1 &
    RIG_PID=$!; RIG_PIDS="$RIG_PIDS $RIG_PID"
    wait_for 10 test -S "$dir/charon.vici" || { cat "$dir/charon.out"; die "charon in $ns did not start"; }
}
# sw DIR swanctl-args... (overrides lib.sh's): same, plus the private plugin dir
sw() { local dir=$1; shift
       STRONGSWAN_CONF=$dir/strongswan.conf SWANCTL_DIR=$dir/swanctl \
         _plug timeout 30 swanctl "$@" --uri "unix://$dir/charon.vici"; }

PKI=$RIG_WORK/pki
_plug "$RIG_KIT/mkpki.sh" "$PKI" left right >/dev/null 2>&1 || die "mkpki.sh"

########################################################################## session helpers
L_IP=192.0.2.1 R_IP=192.0.2.2
NSEQ=0
# begin NAME : fresh namespace pair (inner addresses on lo), session dir S, capture running
begin() {
    NAME=$1; S=$RIG_WORK/$NAME; L=$S/left; R=$S/right
    mkdir -p "$S"; echo "name = $NAME" > "$S/meta"
    NSEQ=$((NSEQ + 1)); NSL=vec$$-${NSEQ}l; NSR=vec$$-${NSEQ}r
    netns_pair $NSL $L_IP $NSR $R_IP
    ip -n $NSL addr add 198.51.100.1/32 dev lo; ip -n $NSL addr add 198.51.100.2/32 dev lo
    ip -n $NSR addr add 203.0.113.1/32 dev lo;  ip -n $NSR addr add 203.0.113.2/32 dev lo
    DPIDS=""
    log "=== session $NAME"
}
meta() { printf '%s = %s\n' "$1" "$2" >> "$S/meta"; }
note() { meta comment "$*"; }
# swpeer DIR : strongSwan instance with the keys logged (ike=4 from the kit, + chd=4, mgr=2)
swpeer() {
    sw_peer "$1" kernel=libipsec ike_log=4
    sed -i 's/^\(\s*\)ike = 4 .*/&\n\1chd = 4\n\1mgr = 2/' "$1/strongswan.conf"
}
# add_child DIR CONN CHILD ESP LOCAL_TS REMOTE_TS : a second CHILD config in a sw_conn file
add_child() {
    local f=$1/swanctl/conf.d/$2.conf
    sed -i "0,\|start_action = none }|s||start_action = none }\n            $3 { local_ts = $5\n                remote_ts = $6\n                esp_proposals = $4\n                mode = tunnel\n                start_action = none }|" "$f"
}
cap_start() { rig_capture $NSL "$S/cap.pcapng" "udp port 500 or udp port 4500"; }
run_sw()  { start_charon "$1" "$2"; DPIDS="$DPIDS $RIG_PID"; }
run_lsw() { start_pluto "$1" "$2"; DPIDS="$DPIDS $RIG_PID"; }
# finish : stop capture and daemons, convert the capture, extract the text file + vectors
finish() {
    sleep 1
    rig_capture_stop
    local p; for p in $DPIDS; do rig_stop "$p"; done
    editcap -F pcap "$S/cap.pcapng" "$S/cap.pcap" || die "editcap"
    cp "$S/cap.pcap" "$CAP/$NAME.pcap"
    rm -f "$KDF/$NAME.txt" "$KDF/$NAME"-*.txt
    python3 "$HERE/extract.py" "$S" "$CAP" "$KDF" || die "extract.py $NAME"
    verify "$NAME"
    for ns in $NSL $NSR; do ip netns del "$ns"; done
    RIG_NS=$(printf ' %s' $(printf '%s\n' $RIG_NS | grep -vx -e "$NSL" -e "$NSR"))
}
# verify NAME : tshark decrypts every encrypted message of NAME.pcap with NAME.txt's keys
verify() {
    local n=$1 d=$RIG_WORK/$1/ws out=$RIG_WORK/$1/decoded.txt enc ok
    mkdir -p "$d"
    sed -n 's/^ikev2_keys spi_i=\(\S*\) spi_r=\(\S*\) sk_ei=\(\S*\) sk_er=\(\S*\) encr=\("[^"]*"\) sk_ai=\(\S*\) sk_ar=\(\S*\) integ=\("[^"]*"\)$/\1,\2,\3,\4,\5,\6,\7,\8/p' \
        "$CAP/$n.txt" > "$d/ikev2_decryption_table"
    sed -n 's/^ikev1_keys cky_i=\(\S*\) enc_key=\(\S*\)$/\1,\2/p' "$CAP/$n.txt" > "$d/ikev1_decryption_table"
    WIRESHARK_CONFIG_DIR=$d tshark -r "$CAP/$n.pcap" -V > "$out" 2>/dev/null
    tshark -r "$CAP/$n.pcap" > "$RIG_WORK/$n/summary.txt" 2>/dev/null
    if grep -q '^ike_version 2' "$CAP/$n.txt"; then
        enc=$(grep -c 'Payload: Encrypted and Authenticated (46)' "$out")
        if grep -q '^ikev2_keys .*integ="NONE' "$CAP/$n.txt"; then
            ok=$(grep -c '^ *Decrypted Data' "$out")
            VERIFY="$VERIFY\n$n: IKEv2 AEAD: $ok of $enc encrypted messages decrypted by tshark (no ICV verdict for AEAD)"
        else
            ok=$(grep -c 'Integrity Checksum Data: .*\[correct\]' "$out")
            VERIFY="$VERIFY\n$n: IKEv2: $ok of $enc encrypted messages with ICV [correct] in tshark"
        fi
    else
        enc=$(grep -c 'Encryption: Encrypted' "$out")
        ok=$(awk '/^ *Encrypted Data \(/{e=1; next} e && /^ *Payload: /{n++} {e=0} END{print n+0}' "$out")
        VERIFY="$VERIFY\n$n: IKEv1: $ok of $enc encrypted messages decrypted by tshark ($(grep -c 'Payload: Nonce (10)' "$out") Nonce payloads, $(grep -ci malformed "$out") malformed)"
    fi
    [ "$ok" = "$enc" ] || { RIG_FAIL=1; VERIFY="$VERIFY   <-- MISMATCH"; }
}
VERIFY=""
TS_L="local_ts=198.51.100.1/32 remote_ts=203.0.113.1/32"
TS_R="local_ts=203.0.113.1/32 remote_ts=198.51.100.1/32"
IDS_L="local=$L_IP remote=$R_IP local_id=left.rig.test remote_id=right.rig.test"
IDS_R="local=$R_IP remote=$L_IP local_id=right.rig.test remote_id=left.rig.test"
SWVER="strongSwan $(dpkg-query -W -f '${Version}' strongswan-charon) (charon, kernel-libipsec)"
LSWVER="libreswan 4.10 (pluto, $(LD_LIBRARY_PATH=$LSW_LIB "$LSW_BIN/pluto" --version 2>/dev/null | head -1))"

########################################################################## sessions
s_ikev2_psk_cbc() {
    begin ikev2-psk-aes128-sha256-modp2048
    meta version 2; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; PSK '$RIG_PSK', IDs FQDN left.rig.test / right.rig.test"
    note "IKE proposal aes128-sha256-modp2048 (AES-CBC-128, HMAC-SHA2-256-128, PRF-HMAC-SHA2-256, MODP-2048);"
    note "ESP proposal aes128-sha256-modp2048 (the CHILD SA rekey uses PFS with MODP-2048), tunnel 198.51.100.1 <-> 203.0.113.1"
    note "steps: swanctl --initiate (IKE_SA_INIT, IKE_AUTH + CHILD), --rekey --child (CREATE_CHILD_SA + INFORMATIONAL delete of the old CHILD),"
    note "--rekey --ike (CREATE_CHILD_SA + INFORMATIONAL delete of the old IKE SA), --terminate --ike (INFORMATIONAL delete)."
    note "IKE_AUTH and later float to UDP 4500 (MOBIKE, and libipsec fakes NAT); MOBIKE may add INFORMATIONAL N(NO_ADDITIONAL_ADDRESSES) exchanges."
    swpeer $L; swpeer $R
    sw_conn $L v2 version=2 $IDS_L $TS_L
    sw_conn $R v2 version=2 $IDS_R $TS_R
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v2 --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v2
    sleep 1; sw $L --rekey --child v2 >/dev/null; sleep 1
    sw $L --rekey --ike v2 >/dev/null; sleep 1
    sw $L --terminate --ike v2 --timeout 5 >/dev/null
    finish
}

s_ikev2_psk_gcm() {
    begin ikev2-psk-aes256gcm16-prfsha384-ecp384
    meta version 2; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; PSK '$RIG_PSK', IDs FQDN left.rig.test / right.rig.test"
    note "IKE proposal aes256gcm16-prfsha384-ecp384 (AES-GCM-256 ICV16 AEAD, PRF-HMAC-SHA2-384, ECP-384), ESP aes256gcm16-ecp384 (PFS on rekey)"
    note "steps: --initiate (IKE_SA_INIT, IKE_AUTH + CHILD), --rekey --child (CREATE_CHILD_SA with KE + INFORMATIONAL delete), --terminate --ike (INFORMATIONAL)"
    swpeer $L; swpeer $R
    sw_conn $L v2gcm version=2 $IDS_L $TS_L ike=aes256gcm16-prfsha384-ecp384 esp=aes256gcm16-ecp384
    sw_conn $R v2gcm version=2 $IDS_R $TS_R ike=aes256gcm16-prfsha384-ecp384 esp=aes256gcm16-ecp384
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v2gcm --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v2gcm
    sleep 1; sw $L --rekey --child v2gcm >/dev/null; sleep 1
    sw $L --terminate --ike v2gcm --timeout 5 >/dev/null
    finish
}

s_ikev2_cert() {
    begin ikev2-cert-ecdsa-aes256-sha384-x25519
    meta version 2; meta auth pubkey
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; ECDSA P-256 certificates from the rig's mkpki.sh"
    note "(CN=left.rig.test / CN=right.rig.test, IDs = the FQDN SANs), so IKE_AUTH carries CERTREQ, CERT and AUTH (ECDSA, RFC 7427 digital signature)"
    note "IKE proposal aes256-sha384-x25519 (AES-CBC-256, HMAC-SHA2-384-192, PRF-HMAC-SHA2-384, Curve25519), ESP aes256-sha384 (no PFS)"
    note "steps: --initiate (IKE_SA_INIT, IKE_AUTH + CHILD), --terminate --ike (INFORMATIONAL delete)"
    swpeer $L; swpeer $R; sw_certs $L $PKI left; sw_certs $R $PKI right
    sw_conn $L v2cert version=2 auth=pubkey cert=left.crt $IDS_L $TS_L ike=aes256-sha384-x25519 esp=aes256-sha384
    sw_conn $R v2cert version=2 auth=pubkey cert=right.crt $IDS_R $TS_R ike=aes256-sha384-x25519 esp=aes256-sha384
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v2cert --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v2cert
    sleep 1; sw $L --terminate --ike v2cert --timeout 5 >/dev/null
    finish
}

s_ikev2_lsw() {
    begin ikev2-psk-sw-lsw-aes128-sha256-modp2048
    meta version 2; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $LSWVER, on the host kernel; PSK '$RIG_PSK'"
    note "IKE proposal aes128-sha256-modp2048 (libreswan: aes128-sha2_256-modp2048), ESP aes128-sha256"
    note "steps: --initiate: IKE_SA_INIT, IKE_AUTH (the IKE SA is established; libreswan cannot install the CHILD SA on the host kernel,"
    note "XFRM 'Add SA' fails with errno 93, so its IKE_AUTH response carries N(TS_UNACCEPTABLE) instead of SA/TSi/TSr), then --terminate --ike (INFORMATIONAL delete)"
    swpeer $L; lsw_peer $R
    sw_conn $L v2lsw version=2 $IDS_L $TS_L esp=aes128-sha256
    lsw_conn $R v2lsw version=2 $IDS_R $TS_R esp=aes128-sha2_256
    cap_start; run_sw $NSL $L; run_lsw $NSR $R; sw_load $L; lsw_load $R
    sw $L --initiate --child v2lsw --timeout 15 >/dev/null 2>&1
    check "$NAME: IKE SA up on strongSwan" sw_ike_up $L v2lsw
    check "$NAME: IKE SA up on libreswan" lsw_state $R v2lsw STATE_V2_ESTABLISHED_IKE_SA
    sleep 1; sw $L --terminate --ike v2lsw --timeout 5 >/dev/null
    finish
}

s_ikev1_mm_sha1() {
    begin ikev1-mm-psk-aes256-sha1-modp2048
    meta version 1; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; IKEv1 Main Mode, PSK '$RIG_PSK', IDs FQDN left.rig.test / right.rig.test"
    note "phase 1 proposal aes256-sha1-modp2048 (AES-CBC-256, SHA1, MODP-2048: the 32-byte key needs RFC 2409 appendix-B extension of the 20-byte SKEYID_e)"
    note "CHILD v1 (198.51.100.1 <-> 203.0.113.1): ESP aes128-sha1, no PFS; CHILD v1pfs (198.51.100.2 <-> 203.0.113.2): ESP aes128-sha256-modp2048, PFS"
    note "steps: --initiate v1 (Main Mode 6 messages, Quick Mode 3 messages), --initiate v1pfs (Quick Mode with KE), --rekey --child v1 (Quick Mode"
    note "+ Informational delete of the old one), --terminate --ike (Informational deletes). libipsec fakes NAT, so messages 5+ float to UDP 4500."
    swpeer $L; swpeer $R
    sw_conn $L v1 version=1 $IDS_L $TS_L ike=aes256-sha1-modp2048 esp=aes128-sha1
    sw_conn $R v1 version=1 $IDS_R $TS_R ike=aes256-sha1-modp2048 esp=aes128-sha1
    add_child $L v1 v1pfs aes128-sha256-modp2048 198.51.100.2/32 203.0.113.2/32
    add_child $R v1 v1pfs aes128-sha256-modp2048 203.0.113.2/32 198.51.100.2/32
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v1 --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v1
    sleep 0.5; sw $L --initiate --child v1pfs --timeout 15 >/dev/null || log "v1pfs failed"
    sleep 0.5; sw $L --rekey --child v1 >/dev/null; sleep 1
    sw $L --terminate --ike v1 --timeout 5 >/dev/null
    finish
}

s_ikev1_mm_sha256() {
    begin ikev1-mm-psk-aes128-sha256-ecp256
    meta version 1; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; IKEv1 Main Mode, PSK '$RIG_PSK', IDs FQDN left.rig.test / right.rig.test"
    note "phase 1 proposal aes128-sha256-ecp256 (AES-CBC-128, SHA2-256, ECP-256: g_xy is the 32-byte x coordinate), ESP aes128-sha256 (no PFS)"
    note "steps: --initiate (Main Mode + Quick Mode), --terminate --ike (Informational deletes)"
    swpeer $L; swpeer $R
    sw_conn $L v1b version=1 $IDS_L $TS_L ike=aes128-sha256-ecp256 esp=aes128-sha256
    sw_conn $R v1b version=1 $IDS_R $TS_R ike=aes128-sha256-ecp256 esp=aes128-sha256
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v1b --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v1b
    sleep 1; sw $L --terminate --ike v1b --timeout 5 >/dev/null
    finish
}

s_ikev1_am() {
    begin ikev1-am-psk-aes128-sha1-modp2048
    meta version 1; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; IKEv1 Aggressive Mode, PSK '$RIG_PSK', IDs FQDN left.rig.test / right.rig.test"
    note "phase 1 proposal aes128-sha1-modp2048, ESP aes128-sha1 (no PFS); the responder allows PSK Aggressive Mode (rig template)"
    note "steps: --initiate (Aggressive Mode 3 messages + Quick Mode), --terminate --ike (Informational deletes)"
    note "strongSwan sends Aggressive Mode msg 3 and Quick Mode msg 1 back to back; the responder's worker threads may handle the QM first"
    note "('ignoring QUICK_MODE request while phase 1 is incomplete'), so the QM request is often retransmitted after 4 s."
    swpeer $L; swpeer $R
    sw_conn $L v1am version=1 aggressive=yes $IDS_L $TS_L ike=aes128-sha1-modp2048 esp=aes128-sha1
    sw_conn $R v1am version=1 aggressive=yes $IDS_R $TS_R ike=aes128-sha1-modp2048 esp=aes128-sha1
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v1am --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v1am
    sleep 1; sw $L --terminate --ike v1am --timeout 5 >/dev/null
    finish
}

s_ikev1_cert() {
    begin ikev1-mm-cert-ecdsa-aes128-sha256-modp2048
    meta version 1; meta auth sig; meta auth_method "ECDSA with SHA-256 on the P-256 curve (RFC 4754, 9)"
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $SWVER; IKEv1 Main Mode with ECDSA P-256 certificates (mkpki.sh), IDs FQDN"
    note "phase 1 proposal aes128-sha256-modp2048, signature auth: SKEYID = prf(Ni_b | Nr_b, g^xy); ESP aes128-sha256 (no PFS)"
    note "steps: --initiate (Main Mode with CR/CERT/SIG + Quick Mode), --terminate --ike (Informational deletes)"
    swpeer $L; swpeer $R; sw_certs $L $PKI left; sw_certs $R $PKI right
    sw_conn $L v1cert version=1 auth=pubkey cert=left.crt $IDS_L $TS_L ike=aes128-sha256-modp2048 esp=aes128-sha256
    sw_conn $R v1cert version=1 auth=pubkey cert=right.crt $IDS_R $TS_R ike=aes128-sha256-modp2048 esp=aes128-sha256
    cap_start; run_sw $NSL $L; run_sw $NSR $R; sw_load $L; sw_load $R
    sw $L --initiate --child v1cert --timeout 15 >/dev/null || die "initiate"
    check "$NAME: CHILD up" sw_child_up $L v1cert
    sleep 1; sw $L --terminate --ike v1cert --timeout 5 >/dev/null
    finish
}

s_ikev1_lsw() {
    begin ikev1-mm-psk-sw-lsw-aes128-sha256-modp2048
    meta version 1; meta psk "$RIG_PSK"; meta auth psk
    note "initiator 192.0.2.1 $SWVER, responder 192.0.2.2 $LSWVER, on the host kernel; IKEv1 Main Mode PSK '$RIG_PSK'"
    note "phase 1 proposal aes128-sha256-modp2048 (libreswan: aes128-sha2_256-modp2048), ESP aes128-sha256"
    note "steps: --initiate: Main Mode completes; the Quick Mode request (no PFS) is answered by libreswan (pfs=yes is its IKEv1 default)"
    note "with an encrypted Informational N(NO-PROPOSAL-CHOSEN); then --terminate --ike (Informational delete; libreswan answers with its own"
    note "Informational, which strongSwan no longer decrypts since it already dropped the ISAKMP SA -- tshark decrypts it)."
    note "(on the host kernel libreswan could not install a CHILD SA anyway: XFRM 'Add SA' fails with errno 93)"
    swpeer $L; lsw_peer $R
    sw_conn $L v1lsw version=1 $IDS_L $TS_L esp=aes128-sha256
    lsw_conn $R v1lsw version=1 $IDS_R $TS_R esp=aes128-sha2_256
    cap_start; run_sw $NSL $L; run_lsw $NSR $R; sw_load $L; lsw_load $R
    sw $L --initiate --child v1lsw --timeout 4 >/dev/null 2>&1
    check "$NAME: ISAKMP SA up on strongSwan" sw_ike_up $L v1lsw
    check "$NAME: ISAKMP SA up on libreswan" lsw_state $R v1lsw 'STATE_MAIN_R3'
    sw $L --terminate --ike v1lsw --timeout 5 >/dev/null
    finish
}

SESSIONS="s_ikev2_psk_cbc s_ikev2_psk_gcm s_ikev2_cert s_ikev2_lsw s_ikev1_mm_sha1 s_ikev1_mm_sha256 s_ikev1_am s_ikev1_cert s_ikev1_lsw"
[ $# -gt 0 ] && SESSIONS="$*"
for s in $SESSIONS; do $s; done
printf "%b\n" "$VERIFY" | sed 's/^/    /'
du -ch "$CAP" "$KDF" | tail -1
rig_result "record.sh"
