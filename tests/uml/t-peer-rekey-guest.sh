#!/bin/bash
# t-peer-rekey-guest.sh: a continuous ping through an oakd <-> strongSwan
# tunnel (charon with kernel-netlink, real ESP in the UML kernel) whose CHILD
# SAs live 30 seconds survives at least 5 rekeys (issue #7). Runs inside UML:
#   uml-run.sh t-peer-rekey-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl [VERSION=2|1]
#
# charon in namespace A (192.0.2.1, 198.51.100.0/24 behind it), oakd in B
# (192.0.2.2, 203.0.113.0/24), PSK, oakd initiates. IKEv2: both sides
# life_time = 30s; oakd rekey_time = 20s (rand_time 0: the kernel's soft
# EXPIRE at 20 s starts oakd's rekey); charon rekey_time = 25s. IKEv1
# (VERSION=1, Main Mode + Quick Mode): oakd offers a Quick Mode life of 30 s
# (its rekey_time) and, as the Quick Mode's initiator, rekeys at 90% (27
# s); charon rekey_time = 29s, life_time = 30s, delete_rekeyed = yes (else
# it keeps a replaced IKEv1 SA until it expires). Both versions: charon
# rekey_packets = 150 (the kernel counts the packets of each SA).
# B pings A five times a second for the whole run (~5 packets/s per SA):
#   phase 1, the ping alone: 20 s (27 s) pass before 150 packets, so oakd
#            initiates the rekeys (2 of them);
#   phase 2, A also pings B 20 times a second: an SA reaches 150 packets
#            in ~6 s, so charon initiates the rekeys (3 more).
# What a user checks: lost pings, counted per phase (IKEv2 phase 1: none;
# the bounds of the other cases and why are at MAX_LOST and the phase 2
# check); rekeys counted by the distinct SPIs and SPI pairs that both
# kernels announced (ip xfrm monitor), that oakd and charon announced over
# VICI (oakctl monitor on each socket) and that both daemons logged, at
# least 5 and started by both sides; never more than 4 ESP states at once
# in a kernel (the current pair plus the old one in transition), one pair
# at the end, where oakctl status and swanctl --list-sas show the same one.
oakd=${OAKD:-} oakctl=${OAKCTL:-} # lib.sh resets OAKD and OAKCTL
. "$(dirname "$(readlink -f "$0")")/../netns/lib.sh"
version=${VERSION:-2}
NT_WORK=${OAK_UML_WORK:-}/peer
nt_init "$oakd" "$oakctl"
[ -d "/usr/lib/uml/modules/$(uname -r)" ] || die "run me with tests/uml/uml-run.sh"
nt_need_peer strongswan
case $version in
2)
    OAK_LIFE="rekey=20s life=30s" SW_LIFE="rekey=25s life=30s" P1=2 MAX_LOST=0
    # as the responder of charon's rekeys oakd sends on the old SA until
    # charon deletes it (RFC 7296 2.8, as strongSwan does): nothing is lost
    MAX_LOST_SLOW2=0 MAX_LOST_FAST=0
    OAK_KLIFE="expire add: soft 20(sec), hard 30(sec)"
    ;;
1)
    # oakd, the Quick Mode's initiator, installs the new SAs when QM2
    # comes, charon when QM3 comes: a ping sent in between is lost, so one
    # per rekey is allowed
    OAK_LIFE="rekey=30s" SW_LIFE="rekey=29s life=30s" P1=2 MAX_LOST=1
    # charon's Quick Modes: it sends on the new SA once QM2 came, oakd
    # installs it when QM3 comes; a ping or a few between are lost
    MAX_LOST_SLOW2=1 MAX_LOST_FAST=5
    OAK_KLIFE="expire add: soft 27(sec), hard 30(sec)"
    ;;
*) die "VERSION=$version: expected 2 or 1" ;;
esac
nt_sites
ip -n "$NS_A" route add 203.0.113.0/24 via 192.0.2.2 src 198.51.100.1
ip -n "$NS_B" route add 198.51.100.0/24 via 192.0.2.1 src 203.0.113.1
P=$NT_WORK/peer
OAK=$NT_WORK/oak
MIN_REKEYS=5

# warm_crypto NS: one ESP state added and deleted, so the kernel's crypto
# modules are loaded before the first negotiation (seconds in UML)
warm_crypto() {
    local k=000102030405060708090a0b0c0d0e0f
    ip -n "$1" xfrm state add src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x100 \
        mode tunnel enc 'cbc(aes)' 0x$k auth-trunc 'hmac(sha256)' 0x$k$k 128 &&
        ip -n "$1" xfrm state del src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x100
}
warm_crypto "$NS_A"
warm_crypto "$NS_B"
nstates() { ip -n "$1" xfrm state | grep -c '^src'; }

# watchers: event streams, cheap in UML where each process costs (a loop of
# `ip xfrm state`, oakctl status and swanctl --list-sas took ~20 s a round
# on a loaded host and missed SAs): `ip xfrm monitor SA` in both kernels,
# and oakctl monitor on oakd's VICI socket and on charon's (swanctl
# --monitor-sa shows no rekey events), line-buffered into $NT_WORK/*.mon
WATCHERS=""
watch_start() {
    local name=$1
    shift
    stdbuf -oL "$@" >"$NT_WORK/$name.mon" 2>&1 &
    WATCHERS="$WATCHERS $!"
    NT_PIDS="$NT_PIDS $!"
}
watch_stop() {
    local p
    # shellcheck disable=SC2086
    kill $WATCHERS 2>/dev/null
    for p in $WATCHERS; do
        wait "$p" 2>/dev/null
        NT_PIDS=$(printf '%s\n' $NT_PIDS | grep -vx "$p" | tr '\n' ' ')
    done
    WATCHERS=""
}
# xfrm_seen NAME LOCAL in|out: the distinct inbound (to LOCAL) or outbound
# ESP SPIs the kernel announced (new or updated states) in NAME.mon
xfrm_seen() {
    awk -v me="$2" -v want="$3" '
        /^(Updated )?src / { d = ($NF == me) ? "in" : "out"; live = 1; next }
        /^(Deleted|Expired|Flushed|Async) / || /^[^ \t]/ { live = 0 }
        live && $1 == "proto" && $2 == "esp" && d == want { s = $4; sub(/^0x/, "", s); print s }
    ' "$NT_WORK/$1.mon" | sort -u
}
# xfrm_max NAME: the most ESP states alive at once in NAME.mon's kernel
xfrm_max() {
    awk '
        /^(Updated )?src / { op = "add"; next }
        /^Deleted src / { op = "del"; next }
        /^[^ \t]/ { op = ""; next }
        $1 == "proto" && $2 == "esp" && op == "add" && !($4 in a) { a[$4] = 1; n++; if (n > m) m = n }
        $1 == "proto" && $2 == "esp" && op == "del" && ($4 in a) { delete a[$4]; n-- }
        END { print m + 0 }
    ' "$NT_WORK/$1.mon"
}
# oak_pairs_seen: "IN OUT" of every CHILD SA oakctl monitor showed
oak_pairs_seen() {
    sed -n 's/.* in \([0-9a-f]\{8\}\) out \([0-9a-f]\{8\}\).*/\1 \2/p' "$NT_WORK/oakctl.mon" | sort -u
}
# sw_pairs_seen: the same from charon's VICI events, turned into oakd's
# view (charon's in is oakd's out)
sw_pairs_seen() {
    sed -n 's/.* in \([0-9a-f]\{8\}\) out \([0-9a-f]\{8\}\).*/\2 \1/p' "$NT_WORK/charon-vici.mon" | sort -u
}
# oak_pairs: "IN OUT" of each INSTALLED CHILD SA in oakctl status
oak_pairs() { oak "$OAK" status 2>/dev/null | awk '$3 == "INSTALLED" { print $(NF - 2), $NF }'; }
# sw_pairs: the same in swanctl --list-sas, in oakd's view
sw_pairs() {
    sw "$P" --list-sas --ike tun 2>/dev/null | awk '
        / INSTALLED, / { on = 1; next } / (DELETED|REKEYED|DELETING|REKEYING|CREATED), / { on = 0 }
        on && $1 == "in" { i = $2; sub(",", "", i) }
        on && $1 == "out" { o = $2; sub(",", "", o); print o, i; on = 0 }'
}

# pinger NAME NS FROM TO INTERVAL: a continuous ping in the background, its
# output (ping -D: timestamped replies) in $NT_WORK/NAME.ping; PID_NAME
pinger() {
    ip netns exec "$2" ping -D -i "$5" -W 2 -I "$3" "$4" >"$NT_WORK/$1.ping" 2>&1 &
    printf -v "PID_$1" %s $!
    NT_PIDS="$NT_PIDS $!"
}
# ping_stop NAME TAIL: SIGINT (ping prints its summary); then the lost
# sequence numbers into NAME.lost, but for the last TAIL (still in flight),
# each with the time it was sent (that of the first reply + seq * interval)
ping_stop() {
    local pid sent
    pid=PID_$1
    kill -INT "${!pid}" 2>/dev/null
    wait "${!pid}" 2>/dev/null
    NT_PIDS=$(printf '%s\n' $NT_PIDS | grep -vx "${!pid}" | tr '\n' ' ')
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$NT_WORK/$1.ping")
    sed -n 's/^\[\([0-9.]*\)\] .* icmp_seq=\([0-9]*\) .*/\2 \1/p' "$NT_WORK/$1.ping" |
        awk -v last=$((${sent:-0} - $2)) -v iv="$3" '{ got[$1] = 1; if (!t0) t0 = $2 - ($1 - 1) * iv }
            END { for (s = 1; s <= last; s++) if (!got[s]) printf "%d %.1f\n", s, t0 + (s - 1) * iv }' \
        >"$NT_WORK/$1.lost"
    log "$1: ${sent:-?} pings sent, $(lost "$1") lost (of the first $((${sent:-0} - $2)))"
}
lost() { wc -l <"$NT_WORK/$1.lost"; }
# lost_between NAME FROM TO: pings of NAME lost, sent between the two times (s since 1970)
lost_between() { awk -v a="$2" -v b="$3" '$2 >= a && $2 < b' "$NT_WORK/$1.lost" | wc -l; }

# oakd's log: CHILD SAs it replaced (either side's rekey) and rekeys it
# started; IKEv1: a Quick Mode of the peer's is no rekey to oakd, so every
# IPsec SA after the first counts
if [ "$version" = 1 ]; then
    oak_rekeys() {
        local n
        n=$(grep -c "IPsec SA #[0-9]* (tun) of ISAKMP SA #[0-9]* installed" "$OAK/oakd.log")
        echo $((n > 0 ? n - 1 : 0))
    }
    oak_initiated() { grep -c "IPsec SA #[0-9]* (tun): soft lifetime, rekeying" "$OAK/oakd.log"; }
else
    oak_rekeys() { grep -c "CHILD SA #[0-9]* (tun) rekeyed to CHILD SA" "$OAK/oakd.log"; }
    oak_initiated() { grep -c "rekeying CHILD SA #[0-9]* (tun) as CHILD SA" "$OAK/oakd.log"; }
fi
peer_initiated() { echo $(($(oak_rekeys) - $(oak_initiated))); }
# until_count SECONDS FUNC N: poll FUNC (once a second: processes are dear
# in UML) until it prints N or more
until_count() {
    local end=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt "$end" ]; do
        [ "$("$2")" -ge "$3" ] && return 0
        sleep 1
    done
    return 1
}

sw_peer "$P" kernel=netlink
sw_conn "$P" tun local=192.0.2.1 remote=192.0.2.2 local_id=peer.oak.test remote_id=oak.oak.test \
    local_ts=198.51.100.0/24 remote_ts=203.0.113.0/24 version="$version" $SW_LIFE
# the packet soft limit that makes charon the initiator in phase 2 (sw_conn
# has no key for it), without jitter (rand_packets defaults to life_packets
# - rekey_packets); the hard one far away
sed -i 's/^\( *\)life_time = 30s$/&\n\1rekey_packets = 150\n\1rand_packets = 0\n\1life_packets = 100000/' \
    "$P/swanctl/conf.d/tun.conf"
grep -q 'rekey_packets = 150' "$P/swanctl/conf.d/tun.conf" || die "sw_conn's output changed: no rekey_packets"
if [ "$version" = 1 ]; then
    sed -i 's/^charon {$/&\n    delete_rekeyed = yes/' "$P/strongswan.conf"
    grep -q 'delete_rekeyed = yes' "$P/strongswan.conf" || die "sw_peer's output changed: no charon {"
fi
start_charon "$NS_A" "$P"
sw_load "$P"

oak_conf "$OAK" tun local=192.0.2.2 remote=192.0.2.1 local_id=oak.oak.test remote_id=peer.oak.test \
    local_ts=203.0.113.0/24 remote_ts=198.51.100.0/24 version="$version" $OAK_LIFE
sed -i 's/^    kernel = record$/    kernel = xfrm/' "$OAK/oak.conf"
grep -q '^    kernel = xfrm$' "$OAK/oak.conf" || die "oak_conf's daemon section changed: no kernel = xfrm"
start_oakd "$NS_B" "$OAK" || die "no oakd"
OAKD_PID=$NT_PID

# the watchers first: they must see the first CHILD SA too
watch_start xfrm-oak ip -n "$NS_B" xfrm monitor SA
watch_start xfrm-sw ip -n "$NS_A" xfrm monitor SA
watch_start oakctl "$OAKCTL" --socket "$OAK/oak.vici" monitor
watch_start charon-vici "$OAKCTL" --socket "$P/charon.vici" monitor
sleep 1
check "oakctl up tun" oak "$OAK" up tun
check "CHILD SA up on oakd" wait_for 15 oak_child_up "$OAK" tun
check "CHILD SA up on strongswan" wait_for 10 sw_child_up "$P" tun
ip -n "$NS_B" -s xfrm state >"$NT_WORK/oakd-states.txt"
check "oakd's kernel holds the lifetimes: $OAK_KLIFE" grep -q "$OAK_KLIFE" "$NT_WORK/oakd-states.txt"
ip -n "$NS_A" -s xfrm state >"$NT_WORK/charon-states.txt"
check "charon's kernel holds the packet soft limit: 150" grep -q 'soft 150(packets)' "$NT_WORK/charon-states.txt"
log "charon's kernel: $(grep -m1 'expire add:' "$NT_WORK/charon-states.txt")"
t0=$(date +%s)
e0=$EPOCHREALTIME
pinger slow "$NS_B" 203.0.113.1 198.51.100.1 0.2

# phase 1: oakd's soft lifetime, P1 rekeys
check "phase 1: oakd initiated $P1 rekeys (its soft lifetime)" until_count 100 oak_initiated $P1
log "phase 1 done after $(($(date +%s) - t0)) s: $(oak_initiated) rekeys by oakd, $(peer_initiated) by charon"
# phase 2: 20 more packets a second, charon's 150 packet soft limit, 3 rekeys
n1=$(peer_initiated)
t1=$(date +%s)
e1=$EPOCHREALTIME
pinger fast "$NS_A" 198.51.100.1 203.0.113.1 0.05
check "phase 2: charon initiated 3 rekeys (150 packet soft limit)" until_count 45 peer_initiated $((n1 + 3))
log "phase 2 done after $(($(date +%s) - t1)) s: $(oak_initiated) rekeys by oakd, $(peer_initiated) by charon"
ping_stop fast 20 0.05
# the last rekey's Delete
sleep 2
ping_stop slow 5 0.2
log "ran $(($(date +%s) - t0)) s: oakd's log counts $(oak_rekeys) rekeys, $(oak_initiated) by oakd, $(peer_initiated) by charon"
n_oak=$(nstates "$NS_B")
n_sw=$(nstates "$NS_A")
log "ESP states now: $n_oak in oakd's kernel, $n_sw in charon's"
check "no stale SAs: at most the current pair and one in transition (4 states) in each kernel" \
    test "$n_oak" -le 4 -a "$n_sw" -le 4
# charon keeps a replaced inbound SA 5 s (charon.delete_rekeyed_delay)
check "then one pair (2 states) in each kernel" \
    wait_for 10 sh -c "[ \$(ip -n $NS_B xfrm state | grep -c '^src') = 2 ] && [ \$(ip -n $NS_A xfrm state | grep -c '^src') = 2 ]"
check "oakctl status and swanctl --list-sas show the same one CHILD SA" \
    test "$(oak_pairs)" = "$(sw_pairs)" -a "$(oak_pairs | wc -l)" = 1
# no more rekeys while the watchers stop (each must see the same SAs)
check "oakctl down tun" oak "$OAK" down tun
check "after oakctl down nothing is left in oakd's kernel" \
    wait_for 10 sh -c "[ \$(ip -n $NS_B xfrm state | grep -c '^src') = 0 ] && ! ip -n $NS_B xfrm policy | grep -Eq 'dir (in|out|fwd)'"
sleep 1
watch_stop

# the count: distinct SPIs and SPI pairs, from every source
for k in "xfrm-oak 192.0.2.2" "xfrm-sw 192.0.2.1"; do
    set -- $k
    n_in=$(xfrm_seen "$1" "$2" in | wc -l)
    n_out=$(xfrm_seen "$1" "$2" out | wc -l)
    log "$1: ip xfrm monitor announced $n_in inbound and $n_out outbound SPIs, at most $(xfrm_max "$1") states at once"
    check "$1: at least $MIN_REKEYS rekeys (distinct inbound SPIs - 1 = $((n_in - 1)))" \
        test $((n_in - 1)) -ge $MIN_REKEYS
    check "$1: as many outbound SPIs as inbound" test "$n_in" = "$n_out"
    check "$1: stale SAs never piled up (at most 4 at once)" test "$(xfrm_max "$1")" -le 4
done
oak_pairs_seen >"$NT_WORK/pairs.oakctl"
sw_pairs_seen >"$NT_WORK/pairs.charon-vici"
sed -n 's/.* installed: SPIs in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1 \2/p' "$OAK/oakd.log" | sort -u >"$NT_WORK/pairs.oakd-log"
sed -n 's/.*CHILD_SA tun{[0-9]*} established with SPIs \([0-9a-f]*\)_i \([0-9a-f]*\)_o.*/\2 \1/p' \
    "$P/charon.log" | sort -u >"$NT_WORK/pairs.charon-log"
xfrm_seen xfrm-oak 192.0.2.2 in >"$NT_WORK/spis.xfrm-oak"
for src in oakctl charon-vici oakd-log charon-log; do
    n=$(wc -l <"$NT_WORK/pairs.$src")
    log "$src: $n SPI pairs: $(tr '\n' ',' <"$NT_WORK/pairs.$src")"
    check "$src: at least $MIN_REKEYS rekeys (SPI pairs - 1 = $((n - 1)))" test $((n - 1)) -ge $MIN_REKEYS
    check "$src: the same SPI pairs as oakctl monitor" cmp -s "$NT_WORK/pairs.$src" "$NT_WORK/pairs.oakctl"
done
check "oakd's kernel announced the same inbound SPIs as oakctl showed" \
    sh -c "cut -d' ' -f1 $NT_WORK/pairs.oakctl | cmp -s - $NT_WORK/spis.xfrm-oak"
check "at least $MIN_REKEYS rekeys in oakd's log" test "$(oak_rekeys)" -ge $MIN_REKEYS
if [ "$version" = 2 ]; then
    check "oakd started its rekeys on the kernel's soft EXPIRE (20 s)" \
        test "$(grep -c 'soft lifetime reached in the kernel, rekeying' "$OAK/oakd.log")" -ge $P1
fi
check "both sides initiated rekeys (oakd $(oak_initiated), charon $(peer_initiated))" \
    test "$(oak_initiated)" -ge 1 -a "$(peer_initiated)" -ge 1
[ -s "$NT_WORK/slow.lost" ] && log "slow ping lost (seq, sent at): $(tr '\n' ',' <"$NT_WORK/slow.lost")"
[ -s "$NT_WORK/fast.lost" ] && log "fast ping lost (seq, sent at): $(tr '\n' ',' <"$NT_WORK/fast.lost")"
n_p2=$(($(peer_initiated) - n1))
lost1=$(lost_between slow "$e0" "$e1")
lost2=$(($(lost slow) - lost1))
log "lost pings: phase 1 (oakd rekeys) $lost1 of the slow ping; phase 2 ($n_p2 rekeys by charon) $lost2 of the slow, $(lost fast) of the fast ping"
check "phase 1, oakd starts the rekeys: at most $MAX_LOST pings lost per rekey" \
    test "$lost1" -le $((MAX_LOST * P1))
# phase 2: MAX_LOST_SLOW2 slow and MAX_LOST_FAST fast pings per rekey
# charon starts (the case above says why)
check "phase 2, charon starts the rekeys: at most $MAX_LOST_SLOW2 slow pings lost per rekey" \
    test "$lost2" -le $((MAX_LOST_SLOW2 * (n_p2 > 3 ? n_p2 : 3)))
check "phase 2, charon starts the rekeys: at most $MAX_LOST_FAST fast pings lost per rekey" \
    test "$(lost fast)" -le $((MAX_LOST_FAST * (n_p2 > 3 ? n_p2 : 3)))
grep -E "rekeying|rekeyed" "$OAK/oakd.log" | sed 's/^/    /'
oak_show "$OAK" | sed 's/^/    /'
nt_stop "$OAKD_PID"
nt_result "oakd <-> strongswan IKEv$version, 30 s CHILD lifetimes, continuous ping across $(oak_rekeys) rekeys"
