#!/bin/bash
# t-trap-guest.sh: on-demand keying (start_action = trap) between two oakd
# with real kernel ESP. Runs inside UML:
#   uml-run.sh t-trap-guest.sh OAKD=/path/oakd OAKCTL=/path/oakctl [MODE=tunnel|transport] [VERSION=2]
#
# A traps 198.51.100.1/32 <-> 203.0.113.1/32 (transport: 192.0.2.1 <->
# 192.0.2.2), B only answers. What a user checks: after A starts, its kernel
# holds the trap policies (uid "oak"+2) and no SA; the first ping makes the
# kernel send an ACQUIRE, which A's log shows, A negotiates, and the later
# pings are answered through ESP (counters rise); `oakctl down` removes the
# SAs but the trap stays, and the next ping starts a new negotiation; a
# reload without the trap (start_action = none, SIGHUP) removes the trap
# policies; SIGTERM leaves nothing.
mode=${MODE:-tunnel}
TAG=t-trap-$mode
. "$(dirname "$(readlink -f "$0")")/oak-lib.sh"

if [ "$mode" = transport ]; then
	a_in=192.0.2.1 b_in=192.0.2.2 a_ts=- b_ts=-
	npol=2 # out, in
else
	a_in=198.51.100.1 b_in=203.0.113.1 a_ts=198.51.100.1/32 b_ts=203.0.113.1/32
	npol=3 # out, in, fwd
fi
trap_uid=$((0x6f616b02))

ntraps() { ip -n "$1" -s xfrm policy | grep -c "uid $trap_uid"; }
acquires() { grep -c "kernel ACQUIRE for oak/oak" "$work/a/oakd.log"; }
# first_pings: 12 pings, 0.5 s apart; the first ones are lost while the SA
# is negotiated (the kernel drops packets that wait for an SA; on a loaded
# machine that takes seconds in UML): at least 2 answered
first_pings() {
	local got
	got=$(ip netns exec $A ping -c 12 -i 0.5 -W 2 -I $a_in $b_in 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p')
	log "first pings: ${got:-0} of 12 answered"
	[ "${got:-0}" -ge 2 ]
}

[ -x "$oakd" ] || { log "FAIL no oakd at $oakd"; exit 1; }
check "namespaces, veth and plain ping" setup || exit 1
conf "$work/b" 192.0.2.2 192.0.2.1 $b_ts $a_ts none $mode
conf "$work/a" 192.0.2.1 192.0.2.2 $a_ts $b_ts trap $mode
check "oakd B starts" start $B b
check "oakd A starts with start_action = trap" start $A a
check "A's log says the trap is installed" \
	wait_for 5 grep -q "oak/oak: trap installed (reqid [0-9]*, $npol policies)" "$work/a/oakd.log"
check "A's kernel holds $npol trap policies" [ "$(ntraps $A)" = $npol ]
check "A's kernel holds no SA before the first packet" no_state $A
check "no ACQUIRE and no IKE SA before the first packet" \
	sh -c "[ $(acquires) = 0 ] && ! grep -q -- '-> ESTABLISHED' '$work/a/oakd.log'"
show $A "A's kernel before the first packet"

check "first pings: the later ones are answered" first_pings
check "A's log shows the kernel's ACQUIRE" wait_for 5 sh -c "[ \$(grep -c 'kernel ACQUIRE' '$work/a/oakd.log') -ge 1 ]"
grep -E "ACQUIRE|first TS" "$work/a/oakd.log" | sed 's/^/    /'
check "CHILD SA installed on A" wait_for 10 child_up a
check "CHILD SA installed on B" wait_for 5 child_up b
check "pings after the negotiation: all answered" ping_ok $A $a_in $b_in
check "A's in and out SA counted packets ($(packets $A | tr '\n' ' '))" all_counted $A 3
check "the trap policies stay beside the CHILD SA's" [ "$(ntraps $A)" = $npol ]
show $A "A's kernel with the CHILD SA"

check "oakctl down oak on A" ctl a down oak
check "after oakctl down: no SA left on A" wait_for 10 no_state $A
check "after oakctl down: nothing left on B" wait_for 10 empty_xfrm $B
check "after oakctl down: the trap is still there" [ "$(ntraps $A)" = $npol ]
n0=$(acquires)
check "the next pings start a new negotiation" first_pings
check "... through a second ACQUIRE" wait_for 5 sh -c "[ \$(grep -c 'kernel ACQUIRE for oak/oak' '$work/a/oakd.log') -gt $n0 ]"
check "... and a new CHILD SA on A" wait_for 10 child_up a

# reload without the trap: the trap policies go, the running SA stays
sed -i 's/start_action = trap/start_action = none/' "$work/a/oak.conf"
kill -HUP "$PID_a"
no_traps() { [ "$(ntraps $A)" = 0 ]; }
check "reload without trap: the trap policies are removed" wait_for 5 no_traps
check "oakd A stops on SIGTERM" stop a
check "oakd B stops on SIGTERM" stop b
check "after SIGTERM: no XFRM state or policy left on A" empty_xfrm $A
check "after SIGTERM: no XFRM state or policy left on B" empty_xfrm $B
finish
