#!/bin/bash
# run.sh: oakd and strongSwan's charon side by side under oak-bench
# (docs/PERFORMANCE.md). The responder runs in one network namespace pinned
# to one CPU, oak-bench in another pinned to the other CPU; each responder is
# started fresh for each scenario, so its RSS growth is the SAs' own.
#
#     bench/run.sh [-n N] [-w WINDOW] [-m child|childless] [-s "a b flood"]
#                  [-d "oakd charon"] [--oakd PATH] [--bench PATH] [-o DIR]
#
# Scenarios: a  IKEv2 PSK, aes128gcm16-prfsha256-x25519 (ESP aes128gcm16)
#            b  IKEv2 PSK, aes128-sha256-modp2048 (ESP aes128-sha256)
#            c  IKEv2 ECDSA P-256 certificates, aes128gcm16-prfsha256-ecp256
#               (every SA has the same identity: one certificate)
#            d  IKEv1 Main Mode PSK aes128-sha256-modp2048 + Quick Mode ESP
#               aes128-sha256, no PFS, tunnel; oak-bench fakes a NAT (NAT-T
#               is what charon's libipsec installs) and each SA proposes its
#               own 10.0.0.0/8 address; -m does not apply
#            d-main  d's Main Mode only (no IPsec SA on either side)
#            flood, flood-modp  IKE_SA_INIT only, the groups of a and b
#
# Output: one line per run in DIR/results.tsv (for d with the IPsec SAs the
# responder logged as installed: QM3 gets no answer), a Markdown table with the
# oak/strongSwan ratios on stdout, every log under DIR. Needs root.
# shellcheck source=../tests/netns/lib.sh
. "$(dirname "$(readlink -f "$0")")/../tests/netns/lib.sh"
# shellcheck source=responders.sh
. "$NT_SRCDIR/bench/responders.sh"

N=2000
WINDOW=32
MODE=childless
SCENARIOS="a b c d flood flood-modp"
DAEMONS="oakd charon"
OAKD_BIN=$NT_SRCDIR/build/src/daemon/oakd
BENCH=$NT_SRCDIR/build/tools/bench/oak-bench
OUT=""
RESP_CPU=0
GEN_CPU=1

while [ $# -gt 0 ]; do
    case $1 in
    -n) N=$2 ;;
    -w) WINDOW=$2 ;;
    -m) MODE=$2 ;;
    -s) SCENARIOS=$2 ;;
    -d) DAEMONS=$2 ;;
    -o) OUT=$2 ;;
    --oakd) OAKD_BIN=$2 ;;
    --bench) BENCH=$2 ;;
    -h | --help)
        sed -n '2,23p' "$0"
        exit 0
        ;;
    *)
        echo "run.sh: unknown option '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift 2
done
case $MODE in child | childless) ;; *) die "-m child|childless, got '$MODE'" ;; esac
[ -x "$BENCH" ] || die "no oak-bench at $BENCH (ninja -C build, or --bench PATH)"
: "${OUT:=$(mktemp -d /tmp/oak-bench.XXXXXX)}"
mkdir -p "$OUT" || exit 1
NT_WORK=$OUT/work
nt_init "$OAKD_BIN"
case " $DAEMONS " in *" charon "*) nt_need_peer strongswan ;; esac
nt_sites

# scenario NAME: sets IKE, ESP and BMODE (and BENCH_VERSION, BENCH_EXTRA),
# or returns 1
scenario() {
    BENCH_VERSION=2 BENCH_EXTRA=""
    case $1 in
    a) IKE=aes128gcm16-prfsha256-x25519 ESP=aes128gcm16 BMODE=$MODE ;;
    b) IKE=aes128-sha256-modp2048 ESP=aes128-sha256 BMODE=$MODE ;;
    c) IKE=aes128gcm16-prfsha256-ecp256 ESP=aes128gcm16 BMODE=$MODE BENCH_AUTH=pubkey ;;
    d) IKE=aes128-sha256-modp2048 ESP=aes128-sha256 BMODE=v1 BENCH_VERSION=1 BENCH_EXTRA=--natt ;;
    d-main) IKE=aes128-sha256-modp2048 ESP=aes128-sha256 BMODE=v1-main BENCH_VERSION=1 BENCH_EXTRA=--natt ;;
    flood) IKE=aes128gcm16-prfsha256-x25519 ESP=aes128gcm16 BMODE=init ;;
    flood-modp) IKE=aes128-sha256-modp2048 ESP=aes128-sha256 BMODE=init ;;
    *) return 1 ;;
    esac
}

# v1_installed DAEMON DIR WANT: how many IPsec SAs DAEMON logged as
# installed, waiting up to 10 s for WANT (charon's worker threads may still
# be at the last QM3s when oak-bench is done)
v1_installed() {
    local n=0 i
    for i in $(seq 20); do
        case $1 in
        oakd) n=$(grep -c "IPsec SA #[0-9]* (bench) of ISAKMP SA #[0-9]* installed" "$2/oakd.log") ;;
        charon) n=$(grep -c "CHILD_SA bench{[0-9]*} established" "$2/charon.log") ;;
        esac
        [ "$n" -ge "${3:-0}" ] && break
        [ "$i" = 20 ] || sleep 0.5
    done
    echo "$n"
}

# one_run SCENARIO DAEMON: start DAEMON fresh, run oak-bench, stop DAEMON
one_run() {
    local sc=$1 d=$2 dir=$NT_WORK/$1-$2 pid out load auth_args installed=-
    BENCH_AUTH=psk # read by bench/responders.sh (scenario c sets pubkey)
    scenario "$sc" || die "unknown scenario '$sc' (a b c d d-main flood flood-modp)"
    export BENCH_AUTH BENCH_VERSION
    [ -d "$dir" ] && dir=$dir.$$.$RANDOM # the same scenario again in one run
    mapfile -t auth_args < <(bench_pki_args)
    case $d in
    oakd)
        bench_oak_conf "$dir" 192.0.2.1 "$IKE" "$ESP"
        bench_pinned_oakd "$NS_A" "$dir" "$RESP_CPU"
        ;;
    charon)
        bench_sw_conf "$dir" 192.0.2.1 "$IKE" "$ESP"
        bench_pinned_charon "$NS_A" "$dir" "$RESP_CPU"
        ;;
    *) die "unknown daemon '$d' (oakd charon)" ;;
    esac
    pid=$NT_PID
    sleep 1 # let the daemon settle (charon loads plugins lazily)
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$dir/bench.out
    log "$sc / $d: $N SAs, window $WINDOW, mode $BMODE, $IKE (load $load)"
    timeout $((60 + N / 20)) ip netns exec "$NS_B" taskset -c "$GEN_CPU" "$BENCH" \
        -t 192.0.2.1 -n "$N" -w "$WINDOW" --mode "$BMODE" --ike "$IKE" --esp "$ESP" \
        "${auth_args[@]}" $BENCH_EXTRA --pid "$pid" >"$out" 2>&1
    sed 's/^/    /' "$out"
    if [ "$BMODE" = v1 ]; then # what the responder says it installed
        installed=$(v1_installed "$d" "$dir" "$(sed -n 's/^RESULT established=\([0-9]*\) .*/\1/p' "$out")")
        log "$sc / $d: the responder logged $installed IPsec SAs installed"
    fi
    sed -n 's/^RESULT //p' "$out" | tail -1 |
        awk -v sc="$sc" -v d="$d" -v m="$BMODE" -v n="$N" -v load="$load" -v inst="$installed" '{
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sc, d, m, n,
                v["established"], v["failed"], v["rate"], v["resp_cpu_us_per_sa"],
                v["resp_rss_bytes_per_sa"], v["p50_ms"], v["p99_ms"], v["gen_cpu_us_per_sa"],
                v["resp_wait_s"], load, inst
        }' >>"$OUT/results.tsv"
    nt_stop "$pid"
}

printf 'scenario\tdaemon\tmode\tN\testablished\tfailed\trate\tcpu_us_per_sa\trss_bytes_per_sa\tp50_ms\tp99_ms\tgen_cpu_us_per_sa\tresp_wait_s\tload\tinstalled\n' \
    >"$OUT/results.tsv"
for sc in $SCENARIOS; do
    for d in $DAEMONS; do one_run "$sc" "$d"; done
done

# The table, and oak/strongSwan ratios of the same run (CPU per SA: lower is
# better, so strongSwan / oak is the factor oak is ahead; rate: oak / strongSwan)
echo
echo "| scenario | daemon | mode | N | established | failed | SA/s | responder CPU us/SA | RSS bytes/SA | p50 ms | p99 ms | bench CPU us/SA | responder waited for CPU s | load | IPsec SAs installed |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
tail -n +2 "$OUT/results.tsv" | awk -F'\t' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n" }'
echo
awk -F'\t' 'NR > 1 && $5 > 0 { k = $1 "/" $3; cpu[k, $2] = $8; rate[k, $2] = $7; rss[k, $2] = $9; keys[k] = 1 }
    END { for (k in keys) if (cpu[k, "oakd"] > 0 && cpu[k, "charon"] > 0)
        printf "%s: strongSwan/oak CPU per SA %.2fx, oak/strongSwan rate %.2fx, RSS per SA oak %d B vs strongSwan %d B\n",
            k, cpu[k, "charon"] / cpu[k, "oakd"], rate[k, "oakd"] / (rate[k, "charon"] ? rate[k, "charon"] : 1),
            rss[k, "oakd"], rss[k, "charon"] }' "$OUT/results.tsv"
log "results: $OUT/results.tsv (logs in $NT_WORK)"
exit 0 # the EXIT trap stops what we started; NT_WORK was ours to name, so it stays
