#!/bin/bash
# bench.sh: oak-bench still runs (docs/PERFORMANCE.md): 20 IKEv2 SAs with a
# CHILD SA and 20 childless ones, each with its own identity, from one source
# address against one oakd; all must be established, none may fail, and oakd
# must hold the 40 SAs; with a wrong PSK every handshake fails and is counted
# by its reason; when oakd asks for cookies, oak-bench answers them. Then
# IKEv1 (--mode v1: Main Mode PSK + Quick Mode): 20 SAs, and 20 more behind a
# faked NAT, each with its own identity, all established and installed by
# oakd; with a wrong PSK oakd cannot decrypt message 5 and every handshake
# times out. Not a timed test: the numbers are only printed.
#
#     tests/netns/bench.sh OAKD OAKCTL OAK_BENCH
# shellcheck source=lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=../../bench/responders.sh
. "$NT_SRCDIR/bench/responders.sh"
nt_init "$1" "${2:-}"
BENCH=$(readlink -f "${3:-}")
[ -x "$BENCH" ] || die "usage: $0 OAKD OAKCTL OAK_BENCH (got '${3:-}')"
N=20

nt_sites
bench_oak_conf "$NT_WORK/oak" 192.0.2.1 aes128gcm16-prfsha256-x25519 aes128gcm16
bench_pinned_oakd "$NS_A" "$NT_WORK/oak" 0
OAK_PID=$NT_PID

# bench_ok MODE: N SAs of MODE established, 0 failed, by oak-bench's RESULT line
bench_ok() {
    local out=$NT_WORK/bench-$1.out
    timeout 60 ip netns exec "$NS_B" "$BENCH" -t 192.0.2.1 -n "$N" -w 8 --mode "$1" --timeout 500 \
        --psk "$BENCH_PSK" --pid "$OAK_PID" >"$out" 2>&1
    sed 's/^/    /' "$out"
    grep -q "^RESULT established=$N failed=0 " "$out"
}
check "oak-bench: $N IKE SAs with a CHILD SA, 0 failed" bench_ok child
check "oak-bench: $N childless IKE SAs, 0 failed" bench_ok childless
check "RFC 6023: oakd announced CHILDLESS_IKEV2_SUPPORTED to every childless initiator" \
    grep -q " $N of $N responders announced CHILDLESS_IKEV2_SUPPORTED" "$NT_WORK/bench-childless.out"

# a wrong key: every handshake fails, counted by oakd's reason, exit status 1
bench_bad_psk() {
    local out=$NT_WORK/bench-bad.out rc
    timeout 60 ip netns exec "$NS_B" "$BENCH" -t 192.0.2.1 -n 3 -w 3 --mode childless \
        --timeout 500 --psk "not-$BENCH_PSK" >"$out" 2>&1
    rc=$?
    sed 's/^/    /' "$out"
    [ "$rc" = 1 ] && grep -q "^failures: 3 AUTHENTICATION_FAILED=3$" "$out" &&
        grep -q "^RESULT established=0 failed=3 " "$out"
}
check "oak-bench: a wrong PSK fails 3 of 3 with AUTHENTICATION_FAILED" bench_bad_psk

# oakd agrees: 2N established IKE SAs, each with a distinct bench identity
oak_sas() {
    local out
    out=$(oak "$NT_WORK/oak" status 2>/dev/null) || return 1
    [ "$(grep -Ec '^bench #[0-9]+ ESTABLISHED ' <<<"$out")" = $((2 * N)) ]
}
if oak_has_vici "$NT_WORK/oak"; then
    check "oakd holds $((2 * N)) established IKE SAs" oak_sas
fi

# oakd asking for cookies (RFC 7296 2.6) past 2 half-open SAs: oak-bench answers
# them and still establishes every SA
nt_stop "$OAK_PID"
sed -i 's/^    cookie_threshold = .*/    cookie_threshold = 2/' "$NT_WORK/oak/oak.conf"
bench_pinned_oakd "$NS_A" "$NT_WORK/oak" 0
OAK_PID=$NT_PID
bench_cookies() {
    bench_ok childless && grep -Eq "[1-9][0-9]* COOKIE requests answered" "$NT_WORK/bench-childless.out"
}
check "oak-bench answers oakd's COOKIE requests, $N established, 0 failed" bench_cookies
# a flood that never returns the cookie (bench/flood.sh), 30 requests at once:
# the first 2 are answered in full and stay half-open (no IKE_AUTH follows),
# every later one gets a COOKIE and makes no state
bench_flood() {
    local out=$NT_WORK/bench-flood.out
    timeout 60 ip netns exec "$NS_B" "$BENCH" -t 192.0.2.1 -n 30 -w 30 --mode init --tries 1 \
        --timeout 500 --no-cookies --psk "$BENCH_PSK" --id 'flood-%u@oak.test' >"$out" 2>&1
    sed 's/^/    /' "$out"
    grep -q "^RESULT established=2 failed=28 " "$out" && grep -q " COOKIE=28" "$out"
}
check "a flood without cookies: 2 answered in full, 28 with a COOKIE" bench_flood

# IKEv1: an oakd with the IKEv1 connection of bench/run.sh scenario d
nt_stop "$OAK_PID"
BENCH_VERSION=1
bench_oak_conf "$NT_WORK/v1" 192.0.2.1 aes128-sha256-modp2048 aes128-sha256
bench_pinned_oakd "$NS_A" "$NT_WORK/v1" 0
OAK_PID=$NT_PID
# bench_v1 NAME ARGS...: N IKEv1 SAs established, 0 failed
bench_v1() {
    local out=$NT_WORK/bench-$1.out
    shift
    timeout 60 ip netns exec "$NS_B" "$BENCH" -t 192.0.2.1 -n "$N" -w 8 --mode v1 --timeout 500 \
        --psk "$BENCH_PSK" --pid "$OAK_PID" "$@" >"$out" 2>&1
    sed 's/^/    /' "$out"
    grep -q "^RESULT established=$N failed=0 " "$out"
}
check "oak-bench: $N IKEv1 Main Mode + Quick Mode SAs, 0 failed" bench_v1 v1
check "oak-bench: $N IKEv1 SAs behind a faked NAT (RFC 3947), 0 failed" \
    bench_v1 v1-natt --natt --id "natt-%u@oak.test"

# a wrong key: oakd cannot decrypt message 5 (RFC 2409 5: the key comes from
# the PSK) and stays silent, so every handshake times out
bench_v1_bad_psk() {
    local out=$NT_WORK/bench-v1-bad.out rc
    timeout 60 ip netns exec "$NS_B" "$BENCH" -t 192.0.2.1 -n 3 -w 3 --mode v1 \
        --timeout 200 --tries 2 --psk "not-$BENCH_PSK" --id "bad-%u@oak.test" >"$out" 2>&1
    rc=$?
    sed 's/^/    /' "$out"
    [ "$rc" = 1 ] && grep -q "^failures: 3 TIMEOUT=3$" "$out" &&
        grep -q "^RESULT established=0 failed=3 " "$out"
}
check "oak-bench: IKEv1 with a wrong PSK fails 3 of 3 by TIMEOUT" bench_v1_bad_psk

# oakd agrees: 2N ISAKMP SAs of distinct bench identities, each with its
# IPsec SA installed (the initiator never hears back after QM3)
oak_v1_sas() {
    local out
    out=$(oak "$NT_WORK/v1" status 2>/dev/null) || return 1
    [ "$(grep -Ec "^bench #[0-9]+ ESTABLISHED IKEv1 .*'(natt|bench)-[0-9]+@oak.test'" <<<"$out")" = $((2 * N)) ] &&
        [ "$(grep -Ec '^  bench #[0-9]+ INSTALLED TUNNEL ESP ' <<<"$out")" = $((2 * N)) ]
}
if oak_has_vici "$NT_WORK/v1"; then
    check "oakd holds $((2 * N)) IKEv1 SAs with their IPsec SAs installed" oak_v1_sas
fi
nt_result bench
