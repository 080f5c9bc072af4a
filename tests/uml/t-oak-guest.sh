#!/bin/bash
# t-oak-guest.sh: oakd <-> oakd with `daemon { kernel = xfrm }` against a real
# kernel ESP path. Runs inside UML (uml-run.sh t-oak-guest.sh OAKD=/path/oakd
# OAKCTL=/path/oakctl): the host's build is visible at the same paths.
#
# Two namespaces joined by a veth pair, outer 192.0.2.1 (A) / 192.0.2.2 (B),
# protected 198.51.100.1 (A) / 203.0.113.1 (B) on lo. Both oakd use IKEv2 PSK,
# tunnel 198.51.100.1/32 <-> 203.0.113.1/32, A initiates (start_action =
# start). What a user checks: oakctl status shows the CHILD SA installed on
# both sides, a ping from A's protected address to B's gets answers, `ip -s
# xfrm state` on A counts the packets on both SAs, and after SIGTERM to both
# oakd no state and no policy is left in either namespace. Then a crash: A is
# killed (SIGKILL: its SAs stay in the kernel), and the next oakd A removes
# them at start-up and says how many.
set -u
oakd=${OAKD:?usage: uml-run.sh t-oak-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl}
oakctl=${OAKCTL:?usage: uml-run.sh t-oak-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl}
work=${OAK_UML_WORK:-$(mktemp -d)}
A=oaka B=oakb
fails=0

log() { echo "t-oak: $*"; }
check() { # check WHAT CMD...: run CMD, count a failure
	local what=$1
	shift
	if "$@"; then log "ok   $what"; else log "FAIL $what"; fails=$((fails + 1)); fi
}
# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
ctl() { timeout 10 "$oakctl" -s "$work/$1/oak.vici" "${@:2}"; }
child_up() { ctl "$1" status 2>/dev/null | grep -Eq '^  tun #[0-9]+ INSTALLED '; }

# packets NS: the "lifetime current" packet counts of every state in NS
packets() {
	ip -n "$1" -s xfrm state | grep -A1 'lifetime current:' |
		sed -n 's/.*(bytes), *\([0-9]*\)(packets).*/\1/p'
}
all_counted() { # all_counted NS MIN: two states, each counted MIN packets or more
	local n c=0
	for n in $(packets "$1"); do
		[ "$n" -ge "$2" ] || return 1
		c=$((c + 1))
	done
	[ "$c" = 2 ]
}

setup() {
	ip netns add $A && ip netns add $B || return 1
	ip link add eth0 netns $A type veth peer name eth0 netns $B || return 1
	ip -n $A addr add 192.0.2.1/24 dev eth0
	ip -n $B addr add 192.0.2.2/24 dev eth0
	for ns in $A $B; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
	done
	ip -n $A addr add 198.51.100.1/32 dev lo
	ip -n $B addr add 203.0.113.1/32 dev lo
	ip -n $A route add 203.0.113.1/32 via 192.0.2.2 src 198.51.100.1
	ip -n $B route add 198.51.100.1/32 via 192.0.2.1 src 203.0.113.1
	ip netns exec $A ping -c 1 -W 2 192.0.2.2 >/dev/null
}

# conf DIR LOCAL REMOTE LOCAL_TS REMOTE_TS START_ACTION
conf() {
	mkdir -p "$1"
	cat >"$1/oak.conf" <<-CONF
		daemon {
		    listen = $2
		    socket = $1/oak.vici
		    kernel = xfrm
		    retransmit_tries = 3
		    retransmit_timeout = 1
		    log {
		        kernel = debug
		    }
		}
		connections {
		    tun {
		        version = 2
		        local_addrs = $2
		        remote_addrs = $3
		        proposals = aes128-sha256-modp2048
		        local {
		            auth = psk
		            id = $2
		        }
		        remote {
		            auth = psk
		            id = $3
		        }
		        children {
		            tun {
		                local_ts = $4
		                remote_ts = $5
		                esp_proposals = aes128-sha256
		                start_action = $6
		            }
		        }
		    }
		}
		secrets {
		    ike-tun {
		        id-1 = $2
		        id-2 = $3
		        secret = "oak-uml-test-psk-0123456789"
		    }
		}
	CONF
}

# start NS NAME: oakd -F in NS, log in $work/NAME/oakd.log; sets PID_<NAME>
start() {
	local dir=$work/$2
	"$oakd" --check-config -c "$dir/oak.conf" || return 1
	ip netns exec "$1" "$oakd" -F -c "$dir/oak.conf" >"$dir/oakd.log" 2>&1 &
	eval "PID_$2=$!"
	wait_for 10 grep -q "oakd started" "$dir/oakd.log"
}

# stop NAME: SIGTERM, then wait up to 10 s for the exit
stop() {
	local pid
	eval "pid=\$PID_$1"
	kill -TERM "$pid" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
}

empty_xfrm() { [ -z "$(ip -n "$1" xfrm state)" ] && [ -z "$(ip -n "$1" xfrm policy)" ]; }

[ -x "$oakd" ] || { log "FAIL no oakd at $oakd"; exit 1; }
check "namespaces, veth and plain ping" setup || exit 1
conf "$work/b" 192.0.2.2 192.0.2.1 203.0.113.1/32 198.51.100.1/32 none
conf "$work/a" 192.0.2.1 192.0.2.2 198.51.100.1/32 203.0.113.1/32 start
check "oakd B starts with kernel = xfrm" start $B b
check "oakd A starts with kernel = xfrm" start $A a
check "oakd A says it uses the xfrm backend" grep -q "kernel backend: xfrm" "$work/a/oakd.log"
check "CHILD SA installed on A (oakctl status)" wait_for 15 child_up a
check "CHILD SA installed on B (oakctl status)" wait_for 5 child_up b
log "--- oakctl status on A"
ctl a status | sed 's/^/    /'
log "--- oakctl status on B"
ctl b status | sed 's/^/    /'
ip -n $A xfrm state >"$work/a-state.txt"
ip -n $A xfrm policy >"$work/a-policy.txt"
check "A's kernel holds the ESP SAs (cbc(aes) + hmac(sha256))" \
	sh -c "grep -q 'cbc(aes)' '$work/a-state.txt' && grep -q 'hmac(sha256)' '$work/a-state.txt'"
check "A's kernel holds the tunnel policy 198.51.100.1/32 -> 203.0.113.1/32" \
	grep -q 'src 198.51.100.1/32 dst 203.0.113.1/32' "$work/a-policy.txt"
check "ping through the tunnel" ip netns exec $A ping -c 3 -i 0.3 -W 2 -I 198.51.100.1 203.0.113.1
log "--- ip -s xfrm state on A"
ip -n $A -s xfrm state | tee "$work/a-stats.txt" | sed 's/^/    /'
check "A's in and out SA each counted >= 3 packets ($(packets $A | tr '\n' ' '))" \
	all_counted $A 3
check "B's in and out SA each counted >= 3 packets ($(packets $B | tr '\n' ' '))" \
	all_counted $B 3
check "oakd A stops on SIGTERM" stop a
check "oakd B stops on SIGTERM" stop b
check "no XFRM state or policy left on A" empty_xfrm $A
check "no XFRM state or policy left on B" empty_xfrm $B
ip -n $A xfrm state >"$work/a-state-after.txt"
ip -n $A xfrm policy >>"$work/a-state-after.txt"
ip -n $B xfrm state >"$work/b-state-after.txt"
ip -n $B xfrm policy >>"$work/b-state-after.txt"
for n in a b; do
	log "--- oakd $n: kernel lines"
	grep -Ei 'kernel|xfrm|stopp' "$work/$n/oakd.log" | sed 's/^/    /'
done

# crash: 2 states + 3 policies (out, in, fwd) stay behind SIGKILL
mkdir -p "$work/run1" && mv "$work/a/oakd.log" "$work/run1/a.log" &&
	mv "$work/b/oakd.log" "$work/run1/b.log"
check "crash: oakd B starts again" start $B b
check "crash: oakd A starts again" start $A a
check "crash: CHILD SA installed on A" wait_for 15 child_up a
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null
mv "$work/a/oakd.log" "$work/a/oakd-killed.log"
n=$(ip -n $A xfrm state | grep -c '^src')
check "crash: A's 2 states are left in the kernel after SIGKILL (got $n)" [ "$n" = 2 ]
check "crash: the next oakd A starts" start $A a
check "crash: it removed the 5 stale entries at start-up" \
	grep -q "kernel backend: xfrm (5 stale states and policies" "$work/a/oakd.log"
check "crash: CHILD SA installed on A again" wait_for 15 child_up a
check "crash: ping through the new tunnel" \
	ip netns exec $A ping -c 2 -i 0.3 -W 2 -I 198.51.100.1 203.0.113.1
check "crash: oakd A stops on SIGTERM" stop a
check "crash: oakd B stops on SIGTERM" stop b
check "crash: no XFRM state or policy left on A" empty_xfrm $A
check "crash: no XFRM state or policy left on B" empty_xfrm $B
grep -E 'stale|removed' "$work/a/oakd.log" | sed 's/^/    /'
ip netns del $A
ip netns del $B
log "$fails failed"
[ "$fails" = 0 ]
