#!/bin/bash
# oakctl.sh OAKD OAKCTL: every oakctl verb, in text and in JSON, against two
# running oakd (site A initiates an IKEv2 PSK tunnel to site B), with every
# JSON output validated against its schema in docs/schema/ (python3-jsonschema),
# and every exit code: 0 ok, 1 failed, 2 usage or configuration error, 3 oakd
# unreachable. Then a proposal mismatch: B's log must say which transform
# differs (the one line a user acts on).
. "$(dirname "$(readlink -f "$0")")/lib.sh"
nt_init "$@"
nt_sites
[ -n "$OAKCTL" ] || die "usage: $0 OAKD OAKCTL"
"$NT_PYTHON" -c 'import jsonschema' 2>/dev/null || nt_skip "no python3-jsonschema"
SCHEMA=$NT_SRCDIR/docs/schema
VALIDATE=$NT_SRCDIR/tests/ctl/validate_json.py
A=$NT_WORK/a
B=$NT_WORK/b
OUT=$NT_WORK/out
mkdir -p "$OUT"

# rc_is WANT CMD...: CMD exits with WANT (its output goes to $OUT/last.*)
rc_is() {
    local want=$1 rc
    shift
    "$@" >"$OUT/last.out" 2>"$OUT/last.err"
    rc=$?
    [ "$rc" = "$want" ] && return 0
    log "  exit $rc (wanted $want): $*"
    sed 's/^/    /' "$OUT/last.out" "$OUT/last.err" | head -20
    return 1
}

# json NAME SCHEMA [--ndjson] -- ARGS...: oakctl -j ARGS exits 0 and its
# output is valid against docs/schema/SCHEMA.json
json() {
    local name=$1 schema=$2 nd=""
    shift 2
    [ "$1" = --ndjson ] && { nd=--ndjson; shift; }
    [ "$1" = -- ] && shift
    if ! rc_is 0 timeout 20 "$OAKCTL" -s "$A/oak.vici" -j "$@"; then
        log "FAIL: $name: oakctl -j $* failed"
        NT_FAIL=1
        return 1
    fi
    cp "$OUT/last.out" "$OUT/$name.json"
    check "$name: JSON valid against $schema.json" \
        "$NT_PYTHON" "$VALIDATE" "$SCHEMA/$schema.json" "$OUT/$name.json" $nd
}

# text NAME ERE ARGS...: oakctl ARGS exits 0 and prints a line matching ERE
text() {
    local name=$1 ere=$2
    shift 2
    if rc_is 0 timeout 20 "$OAKCTL" -s "$A/oak.vici" "$@" && grep -Eq -- "$ere" "$OUT/last.out"; then
        log "PASS: $name"
        cp "$OUT/last.out" "$OUT/$name.txt"
    else
        log "FAIL: $name: oakctl $* printed no line matching '$ere'"
        sed 's/^/    /' "$OUT/last.out" | head -20
        NT_FAIL=1
    fi
}

# has_cmd CMD: oakd of A answers VICI command CMD (for verbs whose daemon
# side another layer adds)
has_cmd() {
    ! timeout 10 "$OAKCTL" -s "$A/oak.vici" "$@" 2>&1 | grep -q "does not know this command"
}

########## exit codes without a daemon: 3 unreachable, 2 usage, check-config
NOSOCK=$NT_WORK/nobody.vici
for v in status "show sas" "show conns" "show certs" "show policies" "show counters" \
    metrics monitor log reload "up tun" "down tun" "rekey tun"; do
    # shellcheck disable=SC2086
    check "daemon down: '$v' exits 3" rc_is 3 timeout 10 "$OAKCTL" -s "$NOSOCK" $v
done
check "daemon down: the reason names the socket" grep -q "cannot reach oakd at $NOSOCK" "$OUT/last.err"
check "daemon down: metrics still prints oak_up 0" \
    sh -c "'$OAKCTL' -s '$NOSOCK' metrics | grep -qx 'oak_up 0'"
check "usage: unknown verb exits 2" rc_is 2 "$OAKCTL" frobnicate
check "usage: show with a bad subcommand exits 2" rc_is 2 "$OAKCTL" show bogus
check "usage: -t without seconds exits 2" rc_is 2 "$OAKCTL" -t x status
check "usage: status with an argument exits 2" rc_is 2 "$OAKCTL" status extra

oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=start
oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=none
check "check-config: a good file exits 0" rc_is 0 "$OAKCTL" check-config "$A/oak.conf"
check "check-config: says OK with the count" grep -q "configuration OK: 1 connections" "$OUT/last.out"
json check-config-ok check-config -- check-config "$A/oak.conf"
sed 's/proposals = aes128-sha256-modp2048/proposals = aes129-sha256-modp2048/; s/^\(\s*\)version = 2/\1versoin = 2/' \
    "$A/oak.conf" >"$OUT/bad.conf"
check "check-config: a broken file exits 2" rc_is 2 "$OAKCTL" check-config "$OUT/bad.conf"
check "check-config: FILE:LINE: message of the misspelt key" \
    grep -Eq "^$OUT/bad.conf:[0-9]+: unknown key 'versoin'" "$OUT/last.err"
"$OAKCTL" -j check-config "$OUT/bad.conf" >"$OUT/check-config-bad.json"
check "check-config: JSON of a broken file exits 2 too" test $? = 2
check "check-config-bad: JSON valid against check-config.json" \
    "$NT_PYTHON" "$VALIDATE" "$SCHEMA/check-config.json" "$OUT/check-config-bad.json"
check "check-config: JSON says invalid with the line" \
    "$NT_PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['valid'] is False and d['errors'][0]['line'] > 0))" \
    "$OUT/check-config-bad.json"
check "check-config: a missing file exits 2" rc_is 2 "$OAKCTL" check-config "$NT_WORK/none.conf"

########## a running pair
start_oakd "$NS_B" "$B" || die "no oakd"
start_oakd "$NS_A" "$A" || die "no oakd"
check "IKE SA up on A" wait_for 10 oak_ike_up "$A" tun
check "CHILD SA up on A" wait_for 10 oak_child_up "$A" tun

# the streams run in the background while the SA goes down and up again
timeout 30 "$OAKCTL" -s "$A/oak.vici" -t 8 monitor >"$OUT/monitor.txt" 2>"$OUT/monitor.txt.err" &
mon=$!
timeout 30 "$OAKCTL" -s "$A/oak.vici" -j -t 8 monitor >"$OUT/monitor.json" 2>"$OUT/monitor.json.err" &
monj=$!
timeout 30 "$OAKCTL" -s "$A/oak.vici" -t 8 log >"$OUT/log.txt" 2>"$OUT/log.txt.err" &
lg=$!
timeout 30 "$OAKCTL" -s "$A/oak.vici" -j -t 8 log >"$OUT/log.json" 2>"$OUT/log.json.err" &
lgj=$!
# the monitors print the SAs present once they are registered; the log
# streams register as fast (same connection set-up, one request less)
check "monitor: lists the SA present at its start" wait_for 10 grep -q " present " "$OUT/monitor.txt"
wait_for 10 grep -q '"event":"present"' "$OUT/monitor.json"
sleep 0.5
text "down" "down tun: done" down tun
check "down: no IKE SA left on A" wait_for 5 sh -c "! '$OAKCTL' -s '$A/oak.vici' status | grep -q ESTABLISHED"
json up control --ndjson -- up tun
check "up: the last JSON line says success" sh -c "tail -1 '$OUT/up.json' | grep -q '\"success\": *true'"
check "up: CHILD SA up again" wait_for 10 oak_child_up "$A" tun
for p in $mon $monj $lg $lgj; do wait "$p"; check "stream (pid $p) ended on its -t with exit 0" test $? = 0; done
check "monitor: the SA that was there at the start" grep -Eq "^[0-9T:-]+Z IKE +present +tun #[0-9]+ ESTABLISHED" "$OUT/monitor.txt"
check "monitor: the IKE SA going down" grep -Eq "Z IKE +down +tun #" "$OUT/monitor.txt"
check "monitor: the IKE SA coming up" grep -Eq "Z IKE +up +tun #[0-9]+ ESTABLISHED 192.0.2.1\[500\]" "$OUT/monitor.txt"
check "monitor: the CHILD SA coming up with its SPIs" \
    grep -Eq "Z CHILD +up +tun/tun #[0-9]+ INSTALLED in [0-9a-f]{8} out [0-9a-f]{8} 198.51.100.0/24 === 203.0.113.0/24" "$OUT/monitor.txt"
check "monitor: JSON events valid against monitor-event.json" \
    "$NT_PYTHON" "$VALIDATE" "$SCHEMA/monitor-event.json" "$OUT/monitor.json" --ndjson
check "monitor: JSON has an ike-updown up event" grep -q '"event":"ike-updown","up":true' "$OUT/monitor.json"
check "log: the negotiation's lines" grep -Eq "Z \[IKE\] .*ESTABLISHED" "$OUT/log.txt"
check "log: JSON lines valid against log-event.json" \
    "$NT_PYTHON" "$VALIDATE" "$SCHEMA/log-event.json" "$OUT/log.json" --ndjson

text status "^tun #[0-9]+ ESTABLISHED IKEv2 192.0.2.1\[500\] 'a.oak.test' <-> 192.0.2.2\[500\] 'b.oak.test'" status
json status sas -- status
text show-sas "^  tun: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL" show sas
json show-sas sas -- show sas
check "show sas: SPIs are hex strings, times RFC 3339" "$NT_PYTHON" -c "
import json,re,sys
sa=json.load(open(sys.argv[1]))[0]
ch=sa['child-sas'][0]
ok=re.fullmatch('[0-9a-f]{16}',sa['initiator-spi']) and re.fullmatch('[0-9a-f]{8}',ch['spi-in'])
ok=ok and re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ',sa['established-at'])
sys.exit(not ok)" "$OUT/show-sas.json"
text show-conns "^tun: IKEv2" show conns
json show-conns conns -- show conns
text show-algs "ENCR_AES_GCM_16 +20 .*aes256gcm16" show algs
json show-algs algs -- show algs
text show-counters "^IKE_SAs: 1 total, 0 half-open" show counters
json show-counters counters -- show counters
text metrics '^oak_ike_sas\{state="ESTABLISHED"\} 1$' metrics
check "metrics: the CHILD SA by state" grep -qx 'oak_child_sas{state="INSTALLED"} 1' "$OUT/metrics.txt"
check "metrics: half-open gauge" grep -qx 'oak_ike_sas_half_open 0' "$OUT/metrics.txt"
check "metrics: the established IKE SA counted for tun (get-counters)" \
    grep -Eqx 'oak_counter_total\{conn="tun",name="ike-established"\} [1-9][0-9]*' "$OUT/metrics.txt"
check "metrics: every family has HELP and TYPE" sh -c "
  for f in \$(grep -v '^#' '$OUT/metrics.txt' | sed 's/[{ ].*//' | sort -u); do
    grep -q \"^# TYPE \$f \" '$OUT/metrics.txt' || exit 1; done"
json metrics metrics -- metrics
text version "^oakd " version
json version version -- version
check "up of an unknown connection exits 1" rc_is 1 timeout 10 "$OAKCTL" -s "$A/oak.vici" up nosuch
check "up of an unknown connection says so" grep -q "nosuch" "$OUT/last.err"
check "-t: a second is enough for status" rc_is 0 "$OAKCTL" -s "$A/oak.vici" -t 1 status

# verbs whose VICI commands are another layer's work: tested when there
for v in "show certs:certs:list-certs" "show policies:policies:list-policies"; do
    args=${v%%:*}
    rest=${v#*:}
    schema=${rest%%:*}
    # shellcheck disable=SC2086
    if has_cmd $args; then
        # shellcheck disable=SC2086
        json "${args// /-}" "$schema" -- $args
    else
        log "NOTE: oakd has no ${rest#*:} yet: '$args' tested only without a daemon"
    fi
done
if has_cmd rekey tun; then
    timeout 30 "$OAKCTL" -s "$A/oak.vici" -t 4 monitor >"$OUT/monitor-rekey.txt" 2>/dev/null &
    mon=$!
    wait_for 10 grep -q " present " "$OUT/monitor-rekey.txt"
    json rekey control --ndjson -- rekey tun
    check "rekey: the IKE SA is still up" wait_for 10 oak_ike_up "$A" tun
    wait "$mon"
    check "monitor: the IKE SA rekeyed, old and new number" \
        grep -Eq "Z IKE +rekeyed +tun #[0-9]+ -> #[0-9]+ ESTABLISHED" "$OUT/monitor-rekey.txt"
else
    log "NOTE: oakd has no rekey command yet: 'rekey' tested only without a daemon"
fi
if has_cmd reload; then
    text reload "reload: done" reload
    json reload control --ndjson -- reload
    cp "$OUT/bad.conf" "$A/oak.conf.bad"
    mv "$A/oak.conf" "$A/oak.conf.good" && cp "$OUT/bad.conf" "$A/oak.conf"
    check "reload of a broken file exits 1" rc_is 1 "$OAKCTL" -s "$A/oak.vici" reload
    mv "$A/oak.conf.good" "$A/oak.conf"
    check "the running configuration is kept" oak_ike_up "$A" tun
    # log levels at run time: daemon.log { ike = debug } -> warn, then reload
    sed -i 's/ike = debug/ike = warn/' "$A/oak.conf"
    check "reload with ike = warn" rc_is 0 "$OAKCTL" -s "$A/oak.vici" reload
    n0=$(grep -Ec '^(debug|info) +\[ike\]' "$A/oakd.log")
    "$OAKCTL" -s "$A/oak.vici" down tun >/dev/null 2>&1
    "$OAKCTL" -s "$A/oak.vici" up tun >/dev/null 2>&1
    check "log level: no ike debug/info lines after the reload to warn" \
        test "$(grep -Ec '^(debug|info) +\[ike\]' "$A/oakd.log")" = "$n0"
    sed -i 's/ike = warn/ike = debug/' "$A/oak.conf"
    check "reload with ike = debug" rc_is 0 "$OAKCTL" -s "$A/oak.vici" reload
    "$OAKCTL" -s "$A/oak.vici" rekey tun >/dev/null 2>&1
    check "log level: ike debug lines again after the reload to debug" \
        wait_for 5 sh -c "[ \$(grep -Ec '^(debug|info) +\[ike\]' '$A/oakd.log') -gt $n0 ]"
else
    log "NOTE: oakd has no reload-settings yet: 'reload' tested only without a daemon"
fi

########## proposal mismatch: B accepts only aes256, A offers aes128
for p in $NT_PIDS; do nt_stop "$p"; done
oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=start ike=aes128-sha256-modp2048
oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=none ike=aes256-sha256-modp2048
mv "$B/oakd.log" "$B/oakd-1.log"
mv "$A/oakd.log" "$A/oakd-1.log"
start_oakd "$NS_B" "$B" || die "no oakd"
start_oakd "$NS_A" "$A" || die "no oakd"
check "mismatch: B logs one line naming the differing ENCR transform" \
    wait_for 10 grep -Eq "no proposal chosen: .*ENCR offered AES_CBC_128.*we accept AES_CBC_256" "$B/oakd.log"
grep -E "no proposal chosen" "$B/oakd.log" | head -1 | sed 's/^/    B: /'
check "mismatch: the line says who offered it" grep -Eq "IKE_SA_INIT from 192.0.2.1.*no proposal chosen" "$B/oakd.log"
check "mismatch: no IKE SA on A" sh -c "! '$OAKCTL' -s '$A/oak.vici' status | grep -q ESTABLISHED"
# the initiator counts the failure by its reason (Prometheus: failed by reason)
check "mismatch: A's metrics count a failure for tun with reason no-proposal" \
    wait_for 10 sh -c "'$OAKCTL' -s '$A/oak.vici' metrics |
        grep -Eq '^oak_counter_total\\{conn=\"tun\",name=\"ike-failed-no-proposal\"\\} [1-9]'"

########## show policies: a child with start_action = trap (its trap policies)
for p in $NT_PIDS; do nt_stop "$p"; done
oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=trap
mv "$A/oakd.log" "$A/oakd-mismatch.log"
start_oakd "$NS_A" "$A" || die "no oakd"
text show-policies-trap "tun" show policies
check "show policies: the trap child's selectors" \
    grep -q "198.51.100.0/24" "$OUT/show-policies-trap.txt"
json show-policies-trap policies -- show policies
check "show policies: the trap is in the kernel (record)" \
    wait_for 5 grep -q '"trap":true' "$A/record.json"

########## systemd notification (our sd_notify) and --user (libcap-ng)
for p in $NT_PIDS; do nt_stop "$p"; done
oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 local_id=a.oak.test remote_id=b.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 start=start
oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 local_id=b.oak.test remote_id=a.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 start=none
mv "$B/oakd.log" "$B/oakd-2.log"
mv "$A/oakd.log" "$A/oakd-2.log"
# a notify socket as systemd has one: every datagram is one line of the file
"$NT_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.time() + 25
with open(sys.argv[2], "w") as f:
    while time.time() < end:
        try:
            d = s.recv(4096).decode()
        except socket.timeout:
            continue
        f.write(d.replace("\n", "|") + "\n")
        f.flush()
        if "STOPPING=1" in d:
            break
' "$NT_WORK/notify.sock" "$OUT/notify.txt" &
NT_PIDS="$NT_PIDS $!"
wait_for 5 test -S "$NT_WORK/notify.sock"
rm -f "$B/oak.vici" "$A/oak.vici"
# B's stderr is "the journal": JOURNAL_STREAM names its device and inode
: >"$B/oakd.log"
nt_spawn "$NS_B" "$B/oakd.log" env NOTIFY_SOCKET="$NT_WORK/notify.sock" WATCHDOG_USEC=400000 \
    JOURNAL_STREAM="$(stat -c %d:%i "$B/oakd.log")" "$OAKD" -F -c "$B/oak.conf"
pb=$NT_PID
check "journal: priority prefixes when stderr is the journal" \
    wait_for 10 grep -q '^<5>daemon: oakd started' "$B/oakd.log"
check "notify: READY=1 with a STATUS line" wait_for 10 grep -q "READY=1|STATUS=1 connections" "$OUT/notify.txt"
check "notify: WATCHDOG=1 every WATCHDOG_USEC/2" wait_for 3 sh -c "[ \$(grep -c '^WATCHDOG=1' '$OUT/notify.txt') -ge 3 ]"
user=nobody
JOURNAL_STREAM=1:1 nt_spawn "$NS_A" "$A/oakd.log" "$OAKD" -F -c "$A/oak.conf" --user $user
pa=$NT_PID
check "--user: oakd A started" wait_for 10 grep -q "running as user $user" "$A/oakd.log"
check "journal: no prefixes when JOURNAL_STREAM names another file" grep -Eq '^notice +\[daemon\] oakd started' "$A/oakd.log"
check "--user: the tunnel comes up all the same" wait_for 10 oak_child_up "$A" tun
check "--user: oakd runs as $user" sh -c "awk '/^Uid:/ { exit !(\$2 == $(id -u $user)) }' /proc/$pa/status"
log "  $(grep -E '^Cap(Eff|Bnd)' /proc/$pa/status | tr '\n\t' '  ')"
# CAP_NET_BIND_SERVICE is bit 10, CAP_NET_ADMIN bit 12: 0x1400 and nothing else
check "--user: CapEff holds only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE" \
    grep -Eq '^CapEff:[[:space:]]+0000000000001400$' /proc/$pa/status
nt_stop "$pb"
check "notify: STOPPING=1 on SIGTERM" wait_for 5 grep -q "STOPPING=1" "$OUT/notify.txt"
# in B's namespace, now free: the user is looked up after the sockets are bound
check "--user: an unknown user stops oakd with a clear line" sh -c \
    "! timeout 10 ip netns exec '$NS_B' '$OAKD' -F -c '$B/oak.conf' --user no-such-user-oak 2>'$OUT/nouser.err' && grep -q \"cannot switch to user 'no-such-user-oak': no such user\" '$OUT/nouser.err'"
# the same from the config: daemon { user = ... }
sed 's/^daemon {$/daemon {\n    user = no-such-user-oak/' "$B/oak.conf" >"$B/oak-user.conf"
check "daemon.user: the config's user is switched to (an unknown one stops oakd clearly)" sh -c \
    "! timeout 10 ip netns exec '$NS_B' '$OAKD' -F -c '$B/oak-user.conf' 2>'$OUT/nouser2.err' && grep -q \"cannot switch to user 'no-such-user-oak': no such user\" '$OUT/nouser2.err'"

########## show certs with certificates loaded (RSA on A, ECDSA on B)
for p in $NT_PIDS; do nt_stop "$p"; done
rm -rf "$A" "$B"
oak_conf "$A" tun local=192.0.2.1 remote=192.0.2.2 auth=pubkey cert=rsa.pem key=rsa.key \
    local_id=rsa.oak.test remote_id=ecdsa.oak.test local_ts=198.51.100.0/24 \
    remote_ts=203.0.113.0/24 start=start
oak_certs "$A" rsa
oak_conf "$B" tun local=192.0.2.2 remote=192.0.2.1 auth=pubkey cert=ecdsa.pem key=ecdsa.key \
    local_id=ecdsa.oak.test remote_id=rsa.oak.test local_ts=203.0.113.0/24 \
    remote_ts=198.51.100.0/24 start=none
oak_certs "$B" ecdsa
start_oakd "$NS_B" "$B" || die "no oakd"
start_oakd "$NS_A" "$A" || die "no oakd"
check "certs: IKE SA up with certificates" wait_for 10 oak_ike_up "$A" tun
text show-certs 'subject: +"CN=rsa.oak.test,O=oak,C=CH"' show certs
check "show certs: our certificate has its private key" \
    grep -Eq "^NONE X509 certificate, has private key" "$OUT/show-certs.txt"
check "show certs: the CAs, with their validity" grep -Eq "^CA X509 certificate" "$OUT/show-certs.txt"
check "show certs: the SHA-256 fingerprint of rsa.pem" grep -Eq "sha256: +$(openssl x509 \
    -in "$NT_SRCDIR/tests/vectors/certs/x509/rsa.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr A-F a-f)" "$OUT/show-certs.txt"
json show-certs certs -- show certs
check "show certs: JSON validity as RFC 3339" grep -Eq '"not-after": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$OUT/show-certs.json"

nt_result "oakctl"
