#!/bin/bash
# flood.sh: an IKE_SA_INIT flood against oakd while legitimate peers keep
# connecting (issue #9: "an IKE_SA_INIT flood at the generator's full rate
# leaves legitimate peers served (cookies on) with bounded memory";
# docs/PERFORMANCE.md). oakd runs in one namespace pinned to CPU 0; in the
# other, pinned to CPU 1, one oak-bench floods IKE_SA_INIT and never returns
# a cookie (--no-cookies: what a flood from spoofed addresses amounts to),
# while a second oak-bench establishes full IKE SAs and answers cookies. Three
# runs, each with a fresh oakd:
#   alone     the legitimate peers without a flood (the baseline)
#   cookies   with the flood, cookies on (oakd's default cookie_threshold 10)
#   open      with the flood, cookies off (cookie_threshold 2^32-1): every
#             flood packet makes a half-open SA with its DH work
# For each: the legitimate SAs established/failed, their rate and p50/p99
# latency, the flood's answers by kind, and oakd's peak RSS (VmHWM) and CPU.
#
#     bench/flood.sh [-n LEGIT] [-f FLOOD] [-w FLOOD_WINDOW] [--oakd PATH]
#                    [--oakctl PATH] [--bench PATH] [-o DIR]
#
# Not a timed test: CI runs tests/netns/bench.sh. Needs root.
# shellcheck source=../tests/netns/lib.sh
. "$(dirname "$(readlink -f "$0")")/../tests/netns/lib.sh"
# shellcheck source=responders.sh
. "$NT_SRCDIR/bench/responders.sh"

LEGIT=2000
FLOOD=200000
FWINDOW=512
OAKD_BIN=$NT_SRCDIR/build/src/daemon/oakd
OAKCTL_BIN=$NT_SRCDIR/build/src/ctl/oakctl
BENCH=$NT_SRCDIR/build/tools/bench/oak-bench
OUT=""
IKE=aes128gcm16-prfsha256-x25519

while [ $# -gt 0 ]; do
    case $1 in
    -n) LEGIT=$2 ;;
    -f) FLOOD=$2 ;;
    -w) FWINDOW=$2 ;;
    -o) OUT=$2 ;;
    --oakd) OAKD_BIN=$2 ;;
    --oakctl) OAKCTL_BIN=$2 ;;
    --bench) BENCH=$2 ;;
    -h | --help)
        sed -n '2,20p' "$0"
        exit 0
        ;;
    *)
        echo "flood.sh: unknown option '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift 2
done
[ -x "$BENCH" ] || die "no oak-bench at $BENCH (ninja -C build, or --bench PATH)"
: "${OUT:=$(mktemp -d /tmp/oak-flood.XXXXXX)}"
mkdir -p "$OUT" || exit 1
NT_WORK=$OUT/work
nt_init "$OAKD_BIN" "$OAKCTL_BIN"
nt_sites
BENCH_AUTH=psk BENCH_VERSION=2
export BENCH_AUTH BENCH_VERSION

# kv FILE KEY: a value of oak-bench's RESULT line
kv() { sed -n 's/^RESULT //p' "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# status PID KEY: a field of /proc/PID/status, in kB
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# cpu_s PID: utime + stime of every thread, in seconds
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# one_run NAME COOKIE_THRESHOLD FLOOD(0|1)
one_run() {
    local name=$1 dir=$NT_WORK/$1 pid fpid=0 legit=$NT_WORK/$1/legit.out flood=$NT_WORK/$1/flood.out
    local rss0 hwm cpu0 cpu1 half during
    bench_oak_conf "$dir" 192.0.2.1 "$IKE" aes128gcm16
    # responders.sh turns cookies off for the throughput runs: set them here
    sed -i "s/cookie_threshold = .*/cookie_threshold = $2/" "$dir/oak.conf"
    bench_pinned_oakd "$NS_A" "$dir" 0
    pid=$NT_PID
    sleep 1
    rss0=$(status "$pid" VmRSS) cpu0=$(cpu_s "$pid")
    if [ "$3" = 1 ]; then
        ip netns exec "$NS_B" taskset -c 1 "$BENCH" -t 192.0.2.1 -n "$FLOOD" -w "$FWINDOW" \
            --mode init --ike "$IKE" --no-cookies --tries 1 --timeout 2000 --psk "$BENCH_PSK" \
            --id 'flood-%u@oak.test' >"$flood" 2>&1 &
        fpid=$!
        NT_PIDS="$NT_PIDS $fpid"
        sleep 0.5 # the flood is at full rate
    fi
    timeout 300 ip netns exec "$NS_B" taskset -c 1 "$BENCH" -t 192.0.2.1 -n "$LEGIT" -w 8 \
        --mode childless --ike "$IKE" --psk "$BENCH_PSK" >"$legit" 2>&1
    half=$(timeout 10 "$OAKCTL" -s "$dir/oak.vici" metrics 2>/dev/null |
        awk '/^oak_ike_sas_half_open /{ print $2 }')
    during=-
    if [ "$fpid" != 0 ]; then
        # the flood must have lasted the whole legitimate run
        if kill -0 "$fpid" 2>/dev/null; then during=yes; else during=no; fi
        # let it finish (its RESULT counts the COOKIE answers); a flood
        # answered with DH work would take minutes: stopped after 60 s
        wait_for 60 sh -c "! kill -0 $fpid 2>/dev/null" || kill "$fpid" 2>/dev/null
        wait "$fpid" 2>/dev/null
    fi
    hwm=$(status "$pid" VmHWM) cpu1=$(cpu_s "$pid")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$during" \
        "$(kv "$legit" established)" "$(kv "$legit" failed)" "$(kv "$legit" rate)" \
        "$(kv "$legit" p50_ms)" "$(kv "$legit" p99_ms)" \
        "$(grep -o 'COOKIE=[0-9]*' "$flood" 2>/dev/null | tail -1 | cut -d= -f2)" \
        "${half:-?}" "$rss0" "$hwm" "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" \
        >>"$OUT/results.tsv"
    log "$name: legitimate $(sed -n 's/^RESULT //p' "$legit" | tail -1)"
    [ -s "$flood" ] && log "$name: flood: $(grep -E '^(established|failed)' "$flood" | tr '\n' ' ')"
    nt_stop "$pid"
}

printf 'run\tflood_throughout\tlegit_established\tlegit_failed\tlegit_rate\tp50_ms\tp99_ms\tflood_cookies\thalf_open\trss_start_kb\trss_peak_kb\toakd_cpu_s\n' >"$OUT/results.tsv"
one_run alone 10 0
one_run cookies 10 1
one_run open 4294967295 1

echo
echo "| run | flood ran throughout | legitimate established | failed | SA/s | p50 ms | p99 ms | flood answered with COOKIE | half-open SAs after the legitimate run | oakd RSS at start -> peak (kB) | oakd CPU s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
tail -n +2 "$OUT/results.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s -> %s | %s |\n",
    $1, $2, $3, $4, $5, $6, $7, ($8 == "" ? "-" : $8), $9, $10, $11, $12 }'
log "results: $OUT/results.tsv (logs in $NT_WORK)"
exit 0
