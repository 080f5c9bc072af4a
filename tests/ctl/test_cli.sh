#!/bin/bash
# test_cli.sh OAKCTL SRCDIR: what oakctl does without a daemon, as a user
# would check it: check-config on good and broken files (FILE:LINE: MESSAGE,
# exit 2), show algs in text and schema-valid JSON, exit 3 for every daemon
# verb when oakd is unreachable, exit 2 for usage errors.
set -u
OAKCTL=$1
SRC=$2
PY=$(command -v /usr/bin/python3 || command -v python3)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
ok() { echo "PASS: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
# t NAME WANT_RC CMD...: CMD exits WANT_RC (output in $W/out, $W/err)
t() {
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$W/out" 2>"$W/err"
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name (exit $rc, wanted $want)"; cat "$W/err"; fi
}
# v NAME SCHEMA FILE: FILE is valid against docs/schema/SCHEMA.json
v() {
    local out
    out=$("$PY" "$SRC/tests/ctl/validate_json.py" "$SRC/docs/schema/$2.json" "$3" 2>&1)
    case $? in
    0) ok "$1" ;;
    77) echo "SKIP: $1 (no python3-jsonschema)" ;;
    *) bad "$1"; echo "$out" ;;
    esac
}

t "check-config: the example configuration is fine" 0 "$OAKCTL" check-config "$SRC/dist/oak.conf.example"
grep -q "configuration OK: 1 connections, 1 secrets" "$W/out" && ok "check-config: counts" || bad "check-config: counts"
t "check-config -j of the example" 0 "$OAKCTL" -j check-config -c "$SRC/dist/oak.conf.example"
cp "$W/out" "$W/good.json"
v "check-config JSON (good) matches its schema" check-config "$W/good.json"
sed 's/esp_proposals = aes256gcm16/esp_proposals = aes256gcm17/; s/local_addrs/local_adrs/' \
    "$SRC/dist/oak.conf.example" >"$W/bad.conf"
t "check-config: a misspelt key exits 2" 2 "$OAKCTL" check-config "$W/bad.conf"
grep -Eq "^$W/bad.conf:[0-9]+: unknown key 'local_adrs'" "$W/err" &&
    ok "check-config: FILE:LINE: message" || { bad "check-config: FILE:LINE: message"; cat "$W/err"; }
sed 's/esp_proposals = aes256gcm16/esp_proposals = aes256gcm17/' "$SRC/dist/oak.conf.example" >"$W/bad2.conf"
t "check-config: an unknown algorithm exits 2" 2 "$OAKCTL" check-config "$W/bad2.conf"
grep -q "aes256gcm17" "$W/err" && ok "check-config: names the algorithm" || { bad "check-config: names the algorithm"; cat "$W/err"; }
t "check-config -j of a broken file exits 2" 2 "$OAKCTL" -j check-config "$W/bad.conf"
cp "$W/out" "$W/bad.json"
v "check-config JSON (broken) matches its schema" check-config "$W/bad.json"
t "check-config: a missing file exits 2" 2 "$OAKCTL" check-config "$W/nonexistent.conf"
t "check-config: two files is a usage error" 2 "$OAKCTL" check-config a b

t "show algs" 0 "$OAKCTL" show algs
grep -Eq "^  ENCR_AES_GCM_16 +20 .*aes256gcm16" "$W/out" && ok "show algs: AES-GCM with its keywords" || bad "show algs: AES-GCM with its keywords"
grep -Eq "^  ENCR_3DES +3 weak" "$W/out" && ok "show algs: 3DES marked weak" || bad "show algs: 3DES marked weak"
t "show algs -j" 0 "$OAKCTL" -j show algs
cp "$W/out" "$W/algs.json"
v "show algs JSON matches its schema" algs "$W/algs.json"

S=$W/nobody.vici
for verb in status "show sas" "show conns" "show certs" "show policies" "show counters" metrics \
    monitor log reload "up x" "down x" "rekey x"; do
    # shellcheck disable=SC2086
    t "no daemon: '$verb' exits 3" 3 "$OAKCTL" -s "$S" $verb
done
grep -q "cannot reach oakd at $S" "$W/err" && ok "no daemon: says which socket" || bad "no daemon: says which socket"
t "no daemon: version still works" 0 "$OAKCTL" -s "$S" -j version
cp "$W/out" "$W/version.json"
v "version JSON without a daemon matches its schema" version "$W/version.json"
grep -q '"daemon": null' "$W/version.json" && ok "version: daemon is null" || bad "version: daemon is null"

t "usage: no verb" 2 "$OAKCTL"
t "usage: unknown verb" 2 "$OAKCTL" frobnicate
t "usage: show without what" 2 "$OAKCTL" show
t "usage: show bogus" 2 "$OAKCTL" show bogus
t "usage: -t 0" 2 "$OAKCTL" -t 0 status
t "usage: -t without a number" 2 "$OAKCTL" -t soon status
t "usage: rekey --child --reauth" 2 "$OAKCTL" rekey --child --reauth x
t "usage: monitor with an argument" 2 "$OAKCTL" monitor now
t "help" 0 "$OAKCTL" --help
grep -q "3 oakd unreachable" "$W/out" && ok "help: lists the exit codes" || bad "help: lists the exit codes"
exit $fail
