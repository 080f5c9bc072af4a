#!/bin/bash
# swanctl.sh OAKD [OAKCTL]: strongSwan's own swanctl (5.9) drives oakd over VICI.
#
# oakd (NS_B, 192.0.2.2) starts with a daemon { } section and no connection;
# `swanctl --load-all` loads into it a swanctl directory written the way a
# strongSwan user has it: x509/rsa.pem, x509ca/{root,int}.pem, private/rsa.key
# and two connections in conf.d/, `tun` (certificates) and `psk` (a PSK from
# secrets { }). strongSwan's charon (NS_A, 192.0.2.1) is the peer. Checks:
#
#   load-all     every certificate, the key, the secret and both connections
#                load; --list-conns and --list-certs show them
#   initiate     swanctl --initiate --child tun / psk completes; both ends have
#                the SAs up
#   list-sas     swanctl --list-sas of oakd shows the CHILD SA with the SPIs
#                oakd's record file holds, which are charon's crosswise
#   stats        swanctl --stats counts oakd's two IKE SAs
#   log          swanctl --log streams oakd's log lines while a terminate runs
#   rekey        swanctl --rekey --child tun: new SPIs, in the record file and
#                in --list-sas, and charon has them too
#   bad input    a connection with a bad proposal is refused with oakd's reason
#                naming the key; the running connection and its SAs stay
#   terminate    swanctl --terminate --ike: gone on both ends
#   unload       --load-all of a directory without `psk` unloads it
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_need_peer strongswan
nt_sites
SW=$NT_WORK/sw	       # charon
OAK=$NT_WORK/oak       # oakd
OSW=$NT_WORK/oak-swanctl # the strongSwan-style directory swanctl loads into oakd

# osw ARGS...: swanctl against oakd, with the directory OSW
osw() {
    STRONGSWAN_CONF=$OSW/strongswan.conf SWANCTL_DIR=$OSW/swanctl \
        timeout 30 swanctl "$@" --uri "unix://$OAK/oak.vici"
}

# osw_child_spis NAME: "IN OUT" of NAME's CHILD SA as swanctl --list-sas shows oakd's
osw_child_spis() {
    osw --list-sas --ike "$1" 2>/dev/null | awk '
        $1 == "in" && !i { i = $2 } $1 == "out" && !o { o = $2 }
        END { sub(",", "", i); sub(",", "", o); if (i && o) print i, o; else exit 1 }'
}

# spis_match NAME: oakd's list-sas, oakd's record file and charon agree
spis_match() {
    local o r s
    o=$(osw_child_spis "$1") && r=$(oak_record "$OAK" spis "$1") && s=$(sw_child_spis "$SW" "$1") ||
        return 1
    log "  $1: swanctl on oakd '$o', oakd's record '$r', charon '$s'"
    [ "$o" = "$r" ] && [ "$s" = "${r#* } ${r% *}" ]
}

# has FILE ERE: a line of FILE matches
has() { grep -Eq -- "$2" "$1"; }

# conn_listed NAME: swanctl --list-conns of oakd shows connection NAME
conn_listed() { osw --list-conns 2>/dev/null | grep -q "^$1: "; }

# --- charon: the peer, with both connections (psk: host to host between the
# addresses on lo, which kernel-libipsec needs as local addresses of its TS)
sw_peer "$SW"
sw_certs "$SW" ecdsa
sw_conn "$SW" tun local=192.0.2.1 remote=192.0.2.2 auth=pubkey cert=ecdsa.pem \
    local_id=ecdsa.oak.test remote_id=rsa.oak.test local_ts=198.51.100.0/24 \
    remote_ts=203.0.113.0/24
sw_conn "$SW" psk local=192.0.2.1 remote=192.0.2.2 local_id=sw.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.1/32 remote_ts=203.0.113.1/32
start_charon "$NS_A" "$SW"
sw_load "$SW"

# --- oakd: nothing but the daemon section
mkdir -p "$OAK/x509" "$OAK/x509ca" "$OAK/private" || die "mkdir $OAK"
cat >"$OAK/oak.conf" <<EOF
# swanctl.sh: connections and credentials come over VICI
daemon {
    listen = 192.0.2.2
    socket = $OAK/oak.vici
    kernel = record
    record_file = $OAK/record.json
    x509_dir = $OAK/x509
    x509ca_dir = $OAK/x509ca
    private_dir = $OAK/private
    retransmit_tries = 3
    retransmit_timeout = 1
}
EOF
start_oakd "$NS_B" "$OAK" || die "no oakd"

# --- the directory swanctl loads into oakd: the same generators as charon's
sw_peer "$OSW"
sw_certs "$OSW" rsa
sw_conn "$OSW" tun local=192.0.2.2 remote=192.0.2.1 auth=pubkey cert=rsa.pem \
    local_id=rsa.oak.test remote_id=ecdsa.oak.test local_ts=203.0.113.0/24 \
    remote_ts=198.51.100.0/24
sw_conn "$OSW" psk local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=sw.oak.test \
    local_ts=203.0.113.1/32 remote_ts=198.51.100.1/32

osw --load-all --noprompt --file "$OSW/swanctl/swanctl.conf" >"$OSW/load.out" 2>&1
rc=$?
sed 's/^/    /' "$OSW/load.out"
check "swanctl --load-all exits 0 (got $rc)" test "$rc" = 0
check "load-all: own certificate loaded" has "$OSW/load.out" "loaded certificate from .*x509/rsa.pem"
check "load-all: both CA certificates loaded" \
    test "$(grep -Ec "loaded certificate from .*x509ca/(root|int).pem" "$OSW/load.out")" = 2
check "load-all: private key loaded" has "$OSW/load.out" "loaded (rsa |RSA |private )key from .*private/rsa.key"
check "load-all: the PSK loaded" has "$OSW/load.out" "loaded ike secret 'ike-psk'"
check "load-all: both connections loaded" has "$OSW/load.out" "successfully loaded 2 connections"
osw --list-conns >"$OSW/conns.out" 2>&1
check "list-conns shows tun with its certificate auth" \
    has "$OSW/conns.out" "^tun: IKEv2"
check "list-conns shows psk" has "$OSW/conns.out" "^psk: IKEv2"
osw --list-certs >"$OSW/certs.out" 2>&1
check "list-certs shows oakd's certificate with its private key" \
    grep -A12 'subject: *"C=CH, O=oak, CN=rsa.oak.test"' "$OSW/certs.out" -q
check "  ... and that it has the key" has "$OSW/certs.out" "has private key"
check "list-certs shows the root CA" has "$OSW/certs.out" 'subject: *"CN=oak Root CA"'

# --- initiate both, list-sas, stats
osw --initiate --child tun --timeout 20 >"$OSW/init-tun.out" 2>&1
check "swanctl --initiate --child tun completes" test $? = 0
osw --initiate --child psk --timeout 20 >"$OSW/init-psk.out" 2>&1
check "swanctl --initiate --child psk completes (PSK from load-shared)" test $? = 0
check "charon: tun up" wait_for 5 sw_child_up "$SW" tun
check "charon: psk up" wait_for 5 sw_child_up "$SW" psk
check "charon authenticated oakd's RSA signature as rsa.oak.test" \
    has "$SW/charon.log" "authentication of 'rsa.oak.test' with [^ ]*RSA.* successful"
check "list-sas: tun's SPIs are oakd's record and charon's" spis_match tun
check "list-sas: psk's SPIs are oakd's record and charon's" spis_match psk
osw --stats >"$OSW/stats.out" 2>&1
check "stats: 2 IKE SAs" has "$OSW/stats.out" "IKE_SAs: 2 total, 0 half-open"

# --- bad input changes nothing
cp "$OSW/swanctl/conf.d/tun.conf" "$OSW/tun.conf.good"
sed -i 's/proposals = aes128-sha256-modp2048/proposals = aes128-sha256-modp2049/' \
    "$OSW/swanctl/conf.d/tun.conf"
osw --load-conns --file "$OSW/swanctl/swanctl.conf" >"$OSW/bad.out" 2>&1
rc=$?
cp "$OSW/tun.conf.good" "$OSW/swanctl/conf.d/tun.conf"
sed 's/^/    /' "$OSW/bad.out"
check "a bad proposal is refused (exit $rc)" test "$rc" != 0
check "  ... with oakd's reason naming the key" has "$OSW/bad.out" \
    "loading connection 'tun' failed: connections.tun.proposals: unknown algorithm 'modp2049'"
check "  ... tun is still loaded" conn_listed tun
check "  ... and its SAs stay up" spis_match tun

# --- rekey, watched by oakctl monitor (swanctl --monitor-sa registers for
# the updown events only; oakctl's also for ike-rekey and child-rekey)
timeout 15 stdbuf -oL "$OAKCTL" -s "$OAK/oak.vici" -t 12 monitor >"$OSW/monitor.out" 2>&1 &
monpid=$!
sleep 1
old=$(oak_record "$OAK" spis tun)
osw --rekey --child tun >"$OSW/rekey.out" 2>&1
rc=$?
sed 's/^/    /' "$OSW/rekey.out"
check "swanctl --rekey --child tun succeeds (exit $rc)" test "$rc" = 0
rekeyed() { local now; now=$(oak_record "$OAK" spis tun) && [ -n "$now" ] && [ "$now" != "$old" ]; }
check "rekey: oakd recorded new SPIs (were '$old')" wait_for 10 rekeyed
check "rekey: list-sas and charon show the new SPIs" wait_for 10 spis_match tun
ike_spis() { osw --list-sas --ike tun 2>/dev/null | grep -Eo '[0-9a-f]{16}_i\*? [0-9a-f]{16}_r\*?'; }
oldike=$(ike_spis)
osw --rekey --ike tun >"$OSW/rekey-ike.out" 2>&1
check "swanctl --rekey --ike tun succeeds" test $? = 0
ike_rekeyed() { local now; now=$(ike_spis) && [ -n "$now" ] && [ "$now" != "$oldike" ]; }
check "rekey: the IKE SA has new SPIs (were '$oldike')" wait_for 10 ike_rekeyed
check "  ... and the CHILD SA stays up" wait_for 5 spis_match tun
sleep 1
kill "$monpid" 2>/dev/null
wait "$monpid" 2>/dev/null
sed 's/^/    monitor: /' "$OSW/monitor.out" | head -40
check "oakctl monitor saw the child-rekey event" has "$OSW/monitor.out" "CHILD +rekeyed +tun/tun #[0-9]+ -> #[0-9]+"
check "oakctl monitor saw the ike-rekey event" has "$OSW/monitor.out" "IKE +rekeyed +tun #1 -> #[0-9]+"

# --- log while terminating
# line-buffered: swanctl --log runs until it is killed
STRONGSWAN_CONF=$OSW/strongswan.conf SWANCTL_DIR=$OSW/swanctl timeout 10 \
    stdbuf -oL swanctl --log --uri "unix://$OAK/oak.vici" >"$OSW/log.out" 2>&1 &
logpid=$!
sleep 1
osw --terminate --ike psk --timeout 10 >"$OSW/term.out" 2>&1
check "swanctl --terminate --ike psk completes" test $? = 0
sleep 1
kill "$logpid" 2>/dev/null
wait "$logpid" 2>/dev/null
check "swanctl --log streamed oakd's lines of the delete" has "$OSW/log.out" "\[IKE\].*IKE SA #[0-9]+.*(psk|DELETING|deleted)"
check "charon: psk gone" wait_for 10 sw_ike_gone "$SW" psk
check "charon: tun still up" sw_child_up "$SW" tun

# --- unload: a directory without psk
rm "$OSW/swanctl/conf.d/psk.conf"
osw --load-all --noprompt --file "$OSW/swanctl/swanctl.conf" >"$OSW/load2.out" 2>&1
check "load-all without psk: 1 loaded, 1 unloaded" \
    has "$OSW/load2.out" "successfully loaded 1 connections, 1 unloaded"
check "list-conns no longer shows psk" eval '! conn_listed psk'
check "  ... but still tun" conn_listed tun

osw --terminate --ike tun --timeout 10 >/dev/null 2>&1
check "swanctl --terminate --ike tun completes" test $? = 0
check "charon: tun gone" wait_for 10 sw_ike_gone "$SW" tun
if [ "$NT_FAIL" = 1 ]; then
    grep -E "err|warn|notice" "$OAK/oakd.log" | tail -20 | sed 's/^/    oakd: /'
fi
nt_result "swanctl drives oakd"
