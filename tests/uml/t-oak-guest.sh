#!/bin/bash
# t-oak-guest.sh: oakd <-> oakd with `daemon { kernel = xfrm }` against a real
# kernel ESP path. Runs inside UML:
#   uml-run.sh t-oak-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl [MODE=tunnel|transport|crash] [VERSION=2]
# (the host's build is visible at the same paths; setup in oak-lib.sh).
#
# MODE=tunnel (default): 198.51.100.1/32 <-> 203.0.113.1/32 over 192.0.2.1 <->
# 192.0.2.2. MODE=transport: host to host, 192.0.2.1 <-> 192.0.2.2 (the
# traffic selectors are the IKE addresses). IKEv2 PSK, A initiates
# (start_action = start). What a user checks: oakctl status shows the CHILD
# SA installed on both sides; pings A -> B and B -> A are all answered; `ip
# -s xfrm state` on both sides counts the packets on both SAs; after `oakctl
# down` on A no state and no policy is left on either side; after `oakctl
# up`, and SIGTERM to both oakd, none either.
# MODE=crash (tunnel mode): A is killed (SIGKILL: its SAs stay in the
# kernel), and the next oakd A removes them at start-up and says how many.
# Each MODE is its own UML boot, so each stays well under 90 s.
scenario=${MODE:-tunnel}
mode=$scenario
[ "$scenario" = crash ] && mode=tunnel
TAG=t-oak-$scenario
. "$(dirname "$(readlink -f "$0")")/oak-lib.sh"

if [ "$mode" = transport ]; then
	a_in=192.0.2.1 b_in=192.0.2.2 a_ts=- b_ts=-
	sel_a='src 192.0.2.1/32 dst 192.0.2.2/32'
else
	a_in=198.51.100.1 b_in=203.0.113.1 a_ts=198.51.100.1/32 b_ts=203.0.113.1/32
	sel_a='src 198.51.100.1/32 dst 203.0.113.1/32'
fi

# up_and_counted WHAT: both CHILD SAs up, pings both ways, counters on both sides
up_and_counted() {
	check "$1: CHILD SA installed on A (oakctl status)" wait_for 15 child_up a
	check "$1: CHILD SA installed on B (oakctl status)" wait_for 5 child_up b
	check "$1: ping A -> B through the SA ($a_in -> $b_in)" ping_ok $A $a_in $b_in
	check "$1: ping B -> A through the SA ($b_in -> $a_in)" ping_ok $B $b_in $a_in
	check "$1: A's in and out SA each counted >= 6 packets ($(packets $A | tr '\n' ' '))" \
		all_counted $A 6
	check "$1: B's in and out SA each counted >= 6 packets ($(packets $B | tr '\n' ' '))" \
		all_counted $B 6
	check "$1: oakctl show sas on A reads the kernel's counters (>= 6 packets in and out)" \
		sas_counted a 6
}

# sas_counted DIR MIN: `oakctl show sas` of DIR shows MIN or more packets on
# the CHILD SA's in and out lines (read from the kernel by oakd)
sas_counted() {
	ctl "$1" show sas >"$work/$1-sas.txt" 2>&1 || return 1
	sed 's/^/    /' "$work/$1-sas.txt"
	awk -v min="$2" '$1 ~ /^(in|out)$/ && $(NF-1)+0 >= min { n++ } END { exit !(n >= 2) }' \
		"$work/$1-sas.txt"
}

# crash: 2 states + 3 policies (out, in, fwd) stay behind SIGKILL
crash() {
	local n
	check "crash: oakd B starts" start $B b
	check "crash: oakd A starts" start $A a
	check "crash: CHILD SA installed on A" wait_for 15 child_up a
	kill -KILL "$PID_a"
	wait "$PID_a" 2>/dev/null
	mv "$work/a/oakd.log" "$work/a/oakd-killed.log"
	n=$(nstates $A)
	check "crash: A's 2 states are left in the kernel after SIGKILL (got $n)" [ "$n" = 2 ]
	check "crash: the next oakd A starts" start $A a
	check "crash: it removed the 5 stale entries at start-up" \
		grep -q "kernel backend: xfrm (5 stale states and policies" "$work/a/oakd.log"
	check "crash: CHILD SA installed on A again" wait_for 15 child_up a
	check "crash: ping through the new tunnel" ping_ok $A $a_in $b_in 2
	check "crash: oakd A stops on SIGTERM" stop a
	check "crash: oakd B stops on SIGTERM" stop b
	check "crash: no XFRM state or policy left on A" empty_xfrm $A
	check "crash: no XFRM state or policy left on B" empty_xfrm $B
	grep -E 'stale|removed' "$work/a/oakd.log" | sed 's/^/    /'
}

[ -x "$oakd" ] || { log "FAIL no oakd at $oakd"; exit 1; }
check "namespaces, veth and plain ping" setup || exit 1
conf "$work/b" 192.0.2.2 192.0.2.1 $b_ts $a_ts none $mode
conf "$work/a" 192.0.2.1 192.0.2.2 $a_ts $b_ts start $mode
if [ "$scenario" = crash ]; then
	crash
	finish
fi
check "oakd B starts with kernel = xfrm" start $B b
check "oakd A starts with kernel = xfrm" start $A a
check "oakd A says it uses the xfrm backend" grep -q "kernel backend: xfrm" "$work/a/oakd.log"
up_and_counted "$mode"
log "--- oakctl status on A"
ctl a status | sed 's/^/    /'
ip -n $A xfrm state >"$work/a-state.txt"
ip -n $A xfrm policy >"$work/a-policy.txt"
show $A "A's kernel"
check "A's kernel holds the ESP SAs (cbc(aes) + hmac(sha256)) in $mode mode" \
	sh -c "grep -q 'cbc(aes)' '$work/a-state.txt' && grep -q 'hmac(sha256)' '$work/a-state.txt' &&
		grep -q 'mode $mode' '$work/a-state.txt'"
check "A's kernel holds the $mode policy $sel_a" grep -q "$sel_a" "$work/a-policy.txt"

# oakctl down on A: its Delete makes B remove its half too
check "oakctl down oak on A" ctl a down oak
check "after oakctl down: no XFRM state or policy left on A" wait_for 10 empty_xfrm $A
check "after oakctl down: no XFRM state or policy left on B" wait_for 10 empty_xfrm $B
check "oakctl up oak on A" ctl a up oak
up_and_counted "$mode after oakctl up"
check "oakd A stops on SIGTERM" stop a
check "oakd B stops on SIGTERM" stop b
check "after SIGTERM: no XFRM state or policy left on A" empty_xfrm $A
check "after SIGTERM: no XFRM state or policy left on B" empty_xfrm $B
for n in a b; do
	log "--- oakd $n: kernel lines"
	grep -Ei 'kernel|xfrm|stopp' "$work/$n/oakd.log" | grep -v debug | sed 's/^/    /'
done
finish
