#!/bin/bash
# demo.sh: the README's main job, on a fresh Debian 12 machine as root:
#
#   1. installs what oak needs to build (tools/install-deps.sh demo) and
#      builds oakd, oakctl and oak-selftest (OAK_BUILD, default build-demo);
#   2. joins two sites, each in its own network namespace, by a veth pair:
#        site A  192.0.2.1, protects 198.51.100.0/24
#        site B  192.0.2.2, protects 203.0.113.0/24
#      starts one oakd per site with an IKEv2 PSK configuration (swanctl.conf
#      grammar, printed below), lets A initiate, and shows both daemons' SAs;
#      then does the same with IKEv1 (Main Mode + Quick Mode, PSK) and a new
#      pair of daemons:
#      oakctl status / show sas when oakd serves VICI, else the SA lines of
#      their logs and what they handed to the kernel (the record backend's
#      file: this host kernel may lack ESP, so nothing is installed for real);
#   3. stops the two daemons it started and deletes its namespaces;
#   4. runs the crypto self-test (every transform, DH group and signature
#      scheme exercised and checked, with timings).
#
# Exit 0 when the tunnel came up on both sides and the self-test passed.
# The network-namespace harness is tests/netns/lib.sh (the netns test suite
# uses it too); it kills only the PIDs it started and deletes only the
# namespaces it made. OAK_DEMO_KEEP=1 keeps the work dir (configs, logs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${OAK_BUILD:-$top/build-demo}
cd "$top" || exit 1

step() { printf '\n=== %s\n' "$*"; }

step "dependencies and build"
if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: run it as root (it installs packages and creates network namespaces)" >&2
	exit 1
fi
tools/install-deps.sh demo || exit 1
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Dbuildtype=release -Dtests=false >/dev/null || exit 1
fi
ninja -C "$build" src/daemon/oakd src/ctl/oakctl tools/oak-selftest >/dev/null || exit 1
echo "built: $build/src/daemon/oakd, $build/src/ctl/oakctl, $build/tools/oak-selftest"

# shellcheck disable=SC2034 # read by the cleanup of tests/netns/lib.sh
NT_KEEP=${OAK_DEMO_KEEP:-0}
# shellcheck source=../tests/netns/lib.sh
. "$top/tests/netns/lib.sh"
nt_init "$build/src/daemon/oakd" "$build/src/ctl/oakctl"
NS_A=oakdemo$$-a
NS_B=oakdemo$$-b

# site_conf DIR NAME ME PEER MY_NET PEER_NET START VERSION: one site's oak.conf
site_conf() {
	local dir=$1 ike=aes256-sha256-x25519 esp=aes256gcm16
	# IKEv1 has no AEAD in phase 1; Windows' default suite is AES-CBC + SHA
	[ "$8" = 1 ] && ike=aes256-sha256-modp2048 && esp=aes256-sha256
	mkdir -p "$dir"
	cat >"$dir/oak.conf" <<EOF
# oak.conf of site $2 (swanctl.conf grammar; daemon { } is oak's own)
daemon {
    listen = $3
    # the VICI control socket (oakctl, swanctl)
    socket = $dir/oak.vici
    # write each SA and policy as a JSON line instead of installing it
    kernel = record
    record_file = $dir/record.json
}
connections {
    site-to-site {
        version = $8
        local_addrs = $3
        remote_addrs = $4
        proposals = $ike
        local {
            auth = psk
            id = site-$2.oak.example
        }
        remote {
            auth = psk
            id = site-$([ "$2" = a ] && echo b || echo a).oak.example
        }
        children {
            lan {
                local_ts = $5
                remote_ts = $6
                esp_proposals = $esp
                start_action = $7
            }
        }
    }
}
secrets {
    ike-demo {
        id-1 = site-a.oak.example
        id-2 = site-b.oak.example
        secret = "oak demo: use a long random secret in real life"
    }
}
EOF
}

step "two sites in network namespaces $NS_A and $NS_B"
netns_pair "$NS_A" 192.0.2.1 "$NS_B" 192.0.2.2
ip -n "$NS_A" addr add 198.51.100.1/32 dev lo
ip -n "$NS_B" addr add 203.0.113.1/32 dev lo
echo "site A: 192.0.2.1 (eth0), 198.51.100.0/24 behind it"
echo "site B: 192.0.2.2 (eth0), 203.0.113.0/24 behind it"

# round VERSION: both sites' daemons with IKE version VERSION; sets up=0 on failure
round() {
	local v=$1 A=$NT_WORK/site-a-ikev$1 B=$NT_WORK/site-b-ikev$1 pa pb d site spi_a spi_b ok=1
	site_conf "$A" a 192.0.2.1 192.0.2.2 198.51.100.0/24 203.0.113.0/24 start "$v"
	site_conf "$B" b 192.0.2.2 192.0.2.1 203.0.113.0/24 198.51.100.0/24 none "$v"
	step "IKEv$v: site A's configuration ($A/oak.conf; site B's mirrors it, start_action = none)"
	cat "$A/oak.conf"
	step "IKEv$v PSK: start oakd on B (responder), then on A (start_action = start)"
	start_oakd "$NS_B" "$B" || exit 1
	pb=$NT_PID
	start_oakd "$NS_A" "$A" || exit 1
	pa=$NT_PID
	for d in "$A" "$B"; do
		wait_for 10 oak_child_up "$d" lan || ok=0
	done
	for site in A B; do
		[ $site = A ] && d=$A || d=$B
		step "IKEv$v, site $site: SAs"
		oak_show "$d"
	done
	spi_a=$(oak_record "$A" spis lan 2>/dev/null)
	spi_b=$(oak_record "$B" spis lan 2>/dev/null)
	if [ $ok = 1 ] && [ -n "$spi_a" ] && [ "$spi_a" = "${spi_b#* } ${spi_b% *}" ]; then
		step "IKEv$v: the tunnel is up: A's inbound SPI ${spi_a% *} is B's outbound, B's inbound ${spi_b% *} is A's outbound"
	else
		up=0
		step "IKEv$v: the tunnel did not come up; the daemons' logs"
		tail -n 20 "$A/oakd.log" "$B/oakd.log"
	fi
	nt_stop "$pa"
	nt_stop "$pb"
}

up=1
round 2
round 1

step "stopping the daemons, deleting the namespaces"
for p in $NT_PIDS; do nt_stop "$p"; done
for ns in $NT_NS; do ip netns del "$ns"; done
NT_NS=""
echo "done"

step "crypto self-test"
"$build/tools/oak-selftest" "$top/tests/vectors/sig" || exit 1
if [ $up = 0 ]; then
	echo "demo.sh: a tunnel did not come up (logs above)" >&2
	exit 1
fi
exit 0
