# shellcheck shell=bash
# oak-lib.sh: what the oakd <-> oakd guest scripts share (sourced inside UML,
# started by uml-run.sh). Two namespaces $A and $B joined by a veth pair,
# outer 192.0.2.1 (A) / 192.0.2.2 (B), protected 198.51.100.1 (A) and
# 203.0.113.1 (B) on lo, and one oakd in each with daemon.kernel = xfrm.
# Everything is written below $work (the guest's tmpfs).
#
# The guest script sets OAKD, OAKCTL (paths of the build, visible in the
# guest) and may set VERSION (IKE version, default 2) before sourcing.
set -u
oakd=${OAKD:?usage: uml-run.sh GUEST OAKD=/path/oakd OAKCTL=/path/oakctl}
oakctl=${OAKCTL:?usage: uml-run.sh GUEST OAKD=/path/oakd OAKCTL=/path/oakctl}
work=${OAK_UML_WORK:-$(mktemp -d)}
version=${VERSION:-2}
A=oaka B=oakb
fails=0
tag=${TAG:-t-oak}

log() { echo "$tag: $(date +%T) $*"; }
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
ctl() { timeout 20 "$oakctl" -s "$work/$1/oak.vici" "${@:2}"; }
# child_up DIR: oakctl status of DIR shows the CHILD SA "oak" installed
child_up() { ctl "$1" status 2>/dev/null | grep -Eq '^  oak #[0-9]+ INSTALLED '; }

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
nstates() { ip -n "$1" xfrm state | grep -c '^src'; }
# empty_xfrm NS: no state and no policy but the per-socket ones (oakd's IKE
# sockets bypass IPsec with "dir socket" policies while it runs)
empty_xfrm() {
	[ -z "$(ip -n "$1" xfrm state)" ] &&
		! ip -n "$1" xfrm policy | grep -Eq 'dir (in|out|fwd)'
}
no_state() { [ -z "$(ip -n "$1" xfrm state)" ]; }

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
	ip netns exec $A ping -c 1 -W 2 192.0.2.2 >/dev/null && warm_crypto $A
}

# warm_crypto NS: add and delete one ESP state with the tests' algorithms, so
# the kernel loads its crypto modules now: in UML that takes seconds, and
# during the first negotiation it would delay oakd's first answer (the SAs
# are installed before the IKE_AUTH response goes out)
warm_crypto() {
	local k=0x000102030405060708090a0b0c0d0e0f
	ip -n "$1" xfrm state add src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x100 \
		mode tunnel enc 'cbc(aes)' $k auth-trunc 'hmac(sha256)' ${k}000102030405060708090a0b0c0d0e0f 128 &&
		ip -n "$1" xfrm state del src 192.0.2.254 dst 192.0.2.253 proto esp spi 0x100
}

# conf DIR LOCAL REMOTE LOCAL_TS REMOTE_TS START_ACTION MODE [CHILD_KEY=VALUE...]
# LOCAL_TS/REMOTE_TS "-": none (dynamic: the IKE addresses). Extra
# arguments become lines of the child section (rekey_time = 10s ...).
conf() {
	local dir=$1 lts="" rts="" extra=""
	mkdir -p "$dir"
	[ "$4" != - ] && lts="local_ts = $4"
	[ "$5" != - ] && rts="remote_ts = $5"
	for kv in "${@:8}"; do extra="$extra                ${kv%%=*} = ${kv#*=}
"; done
	cat >"$dir/oak.conf" <<-CONF
		daemon {
		    listen = $2
		    socket = $dir/oak.vici
		    kernel = xfrm
		    retransmit_tries = 3
		    retransmit_timeout = 1
		    log {
		        kernel = debug
		        ike = debug
		    }
		}
		connections {
		    oak {
		        version = $version
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
		            oak {
		                $lts
		                $rts
		                esp_proposals = aes128-sha256
		                start_action = $6
		                mode = $7
		$extra            }
		        }
		    }
		}
		secrets {
		    ike-oak {
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
	ip netns exec "$1" "$oakd" -F -c "$dir/oak.conf" >>"$dir/oakd.log" 2>&1 &
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

# ping_ok NS FROM TO [COUNT]: COUNT (3) pings, every one answered
ping_ok() { ip netns exec "$1" ping -c "${4:-3}" -i 0.3 -W 2 -I "$2" "$3" >/dev/null; }

# show NS WHAT: the kernel's view, indented, for the log
show() {
	log "--- $2"
	ip -n "$1" -s xfrm state | sed 's/^/    /'
	ip -n "$1" xfrm policy | sed 's/^/    /'
}

# finish: delete the namespaces, print the count, exit with the result
finish() {
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	log "$fails failed"
	[ "$fails" = 0 ]
	exit
}
