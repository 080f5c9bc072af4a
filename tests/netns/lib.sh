# shellcheck shell=bash
# lib.sh: the harness of the netns suite (docs/ARCHITECTURE.md, "Tests"): oakd,
# strongSwan's charon and libreswan's pluto, each in its own network namespace
# on the host, two namespaces joined by a veth pair. A test sources it:
#
#     . "$(dirname "$(readlink -f "$0")")/lib.sh"
#     nt_init "$@"                     # OAKD [OAKCTL]: the binaries under test
#
# Every namespace a run creates and every PID it starts is recorded; the EXIT
# trap (nt_cleanup) signals only those PIDs and deletes only those namespaces.
# Nothing is killed by name: other charons and plutos on the machine are not
# ours. Everything a run writes goes under $NT_WORK, removed when the run
# passed (kept, and printed, when it failed or NT_KEEP=1).
#
# Exit codes follow meson: 0 pass, 1 fail, 77 skip (not root, a peer missing;
# tools/install-deps.sh test installs the peers).
#
# Addresses (documentation ranges only): IKE 192.0.2.1 (namespace NS_A) and
# 192.0.2.2 (NS_B) on eth0; protected subnets 198.51.100.0/24 (A) and
# 203.0.113.0/24 (B), their .1 on lo.
#
# The host kernel has XFRM but no ESP, so: oakd uses its record backend (it
# writes each SA and policy as a JSON line); strongSwan runs kernel-libipsec
# (userspace ESP on a TUN device, which also makes it fake a NAT and float to
# 4500); libreswan cannot install CHILD SAs at all (XFRM answers errno 93).
set -u
NT_LIB=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
NT_SRCDIR=${OAK_SRCDIR:-$(cd "$NT_LIB/../.." && pwd)}
NT_LIBRESWAN=${OAK_LIBRESWAN:-/opt/libreswan} # where tools/install-deps.sh unpacks it
NT_LSW_BIN=$NT_LIBRESWAN/usr/libexec/ipsec
NT_LSW_LIB=$(echo "$NT_LIBRESWAN"/usr/lib/*-linux-gnu*)
NT_CHARON=${CHARON:-/usr/lib/ipsec/charon}
# Debian's python3 (tools/install-deps.sh) before a PATH one: version-manager
# shims on PATH can cost a second or more per call on a loaded machine
NT_PYTHON=$(command -v /usr/bin/python3 || command -v python3)
NS_A=oak$$-a
NS_B=oak$$-b
NT_PSK=oak-netns-psk-0123456789 # default pre-shared key of the generators
NT_NS=""
NT_PIDS=""
NT_PID=""
NT_CAP_PID=""
NT_FAIL=0
NT_WORK=${NT_WORK:-}
NT_WORK_OWN=0
OAKD=""
OAKCTL=""

# log MSG...: a timestamped line
log() { printf '[%s] %s\n' "$(date +%T.%2N)" "$*"; }
# die MSG...: a failure that ends the test (the EXIT trap cleans up)
die() {
    log "FAIL: $*"
    exit 1
}
# nt_skip WHY: the test cannot run here (meson counts it as skipped)
nt_skip() {
    log "SKIP: $*"
    exit 77
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or the time is up (1)
wait_for() {
    local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "${EPOCHREALTIME/./}" -ge "$end" ] && return 1
        sleep 0.1
    done
}

# check NAME CMD...: run CMD, print PASS or FAIL NAME, remember a failure, go on
check() {
    local name=$1
    shift
    if "$@"; then
        log "PASS: $name"
    else
        log "FAIL: $name"
        NT_FAIL=1
    fi
}

# nt_result NAME: the test's last line: "NAME: ok" (exit 0 via the trap) or
# "NAME: FAILED" and exit 1
nt_result() {
    if [ "$NT_FAIL" = 0 ]; then
        log "$1: ok"
        exit 0
    fi
    log "$1: FAILED"
    exit 1
}

# nt_init OAKD [OAKCTL]: check root, make the work dir, set the cleanup trap
nt_init() {
    OAKD=$(readlink -f "${1:-}")
    OAKCTL=${2:+$(readlink -f "$2")}
    [ "$(id -u)" = 0 ] || nt_skip "network namespaces need root"
    [ -x "$OAKD" ] || die "usage: $0 OAKD [OAKCTL] (got '${OAKD}')"
    command -v ip >/dev/null || nt_skip "no ip(8) (tools/install-deps.sh test)"
    if [ -n "$NT_WORK" ]; then
        mkdir -p "$NT_WORK" || exit 1
    else
        NT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/oak-netns.XXXXXX") || exit 1
        NT_WORK_OWN=1
    fi
    NT_WORK=$(readlink -f "$NT_WORK")
    chmod 755 "$NT_WORK"
    trap nt_cleanup EXIT
    trap 'exit 130' INT TERM
}

# nt_need_peer strongswan|libreswan|tshark: skip the test when the peer is not installed
nt_need_peer() {
    case $1 in
    strongswan)
        [ -x "$NT_CHARON" ] && command -v swanctl >/dev/null ||
            nt_skip "strongSwan is not installed (tools/install-deps.sh test)"
        [ -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so ] ||
            nt_skip "strongSwan's openssl plugin is missing (libstrongswan-standard-plugins)"
        ;;
    libreswan)
        [ -x "$NT_LSW_BIN/pluto" ] || nt_skip "no $NT_LSW_BIN/pluto (tools/install-deps.sh test)"
        command -v certutil >/dev/null || nt_skip "no certutil (libnss3-tools)"
        ;;
    tshark) command -v tshark >/dev/null || nt_skip "no tshark (tools/install-deps.sh test)" ;;
    *) die "nt_need_peer: unknown peer $1" ;;
    esac
}

_nt_gone() { ! kill -0 "$1" 2>/dev/null; }

# nt_cleanup: the EXIT trap. TERM to the recorded PIDs (KILL after 3 s), delete
# the recorded namespaces, remove the work dir if we made it and the run passed.
nt_cleanup() {
    local rc=$? p ns
    trap - EXIT
    for p in $NT_PIDS; do kill "$p" 2>/dev/null; done
    for p in $NT_PIDS; do wait_for 3 _nt_gone "$p" || kill -9 "$p" 2>/dev/null; done
    for ns in $NT_NS; do ip netns del "$ns" 2>/dev/null; done
    NT_PIDS=""
    NT_NS=""
    if [ "$NT_WORK_OWN" = 1 ] && { [ "$rc" = 0 ] || [ "$rc" = 77 ]; } && [ "${NT_KEEP:-0}" != 1 ]; then
        rm -rf "$NT_WORK"
    elif [ -n "$NT_WORK" ]; then
        log "work dir (logs, configs, captures): $NT_WORK"
    fi
    exit "$rc"
}

# netns_pair NS1 IP1 NS2 IP2: two new namespaces joined by a veth pair ("eth0"
# in both, the IPs as /24), lo up; both recorded for cleanup
netns_pair() {
    local a=$1 ipa=$2 b=$3 ipb=$4 ns
    for ns in "$a" "$b"; do
        ip netns add "$ns" || die "ip netns add $ns"
        NT_NS="$NT_NS $ns"
        ip -n "$ns" link set lo up
    done
    ip -n "$a" link add eth0 type veth peer name eth0 netns "$b" || die "veth pair $a/$b"
    ip -n "$a" addr add "$ipa/24" dev eth0 && ip -n "$a" link set eth0 up || die "eth0 in $a"
    ip -n "$b" addr add "$ipb/24" dev eth0 && ip -n "$b" link set eth0 up || die "eth0 in $b"
    wait_for 5 ip netns exec "$a" ping -c1 -W1 "$ipb" || die "no ping from $a to $ipb"
}

# nt_sites: the standard pair, NS_A 192.0.2.1 + 198.51.100.1, NS_B 192.0.2.2 + 203.0.113.1
nt_sites() {
    netns_pair "$NS_A" 192.0.2.1 "$NS_B" 192.0.2.2
    ip -n "$NS_A" addr add 198.51.100.1/32 dev lo
    ip -n "$NS_B" addr add 203.0.113.1/32 dev lo
}

# nt_spawn NS OUT CMD...: start CMD in namespace NS in the background, stdout and
# stderr to OUT, in a mount namespace of its own with a private tmpfs on /run
# (daemons hard-code /run paths); the PID is recorded and left in NT_PID
nt_spawn() {
    local ns=$1 out=$2
    shift 2
    ip netns exec "$ns" sh -c 'mount -t tmpfs oaknetns /run && exec "$@"' nt_spawn "$@" \
        >"$out" 2>&1 &
    NT_PID=$!
    NT_PIDS="$NT_PIDS $NT_PID"
}

# nt_stop PID: stop one process this run started (TERM, KILL after 5 s)
nt_stop() {
    kill "$1" 2>/dev/null
    wait_for 5 _nt_gone "$1" || kill -9 "$1" 2>/dev/null
    NT_PIDS=$(printf '%s\n' $NT_PIDS | grep -vx "$1" | tr '\n' ' ')
}

# _nt_opts "KEYS" KEY=VALUE...: set the caller's local o_KEY from the arguments
_nt_opts() {
    local keys=" $1 " a
    shift
    for a in "$@"; do
        case "$keys" in
        *" ${a%%=*} "*) printf -v "o_${a%%=*}" '%s' "${a#*=}" ;;
        *) die "unknown option '$a' (known:$keys)" ;;
        esac
    done
}

########################################################################## oakd

# oak_conf DIR NAME key=value...: write DIR/oak.conf, one connection NAME with
# one child NAME. Keys (defaults):
#   local= remote= (IKE addresses, required)  local_id= remote_id= (the addresses)
#   auth=psk|pubkey  psk=$NT_PSK  cert=FILE (own cert in x509/, auth=pubkey)
#   key=FILE (its key in private/)  ike=aes128-sha256-modp2048  esp=aes128-sha256
#   local_ts= remote_ts= (empty: the addresses)  start=none|start (start_action)
#   keylog=no|yes (DIR/keys/, a Wireshark config dir)
#   version=2|1|0 (IKE version)  aggressive=no|yes (IKEv1 Aggressive Mode)
#   rekey= life= (CHILD rekey_time, life_time; rand_time 0)  ike_rekey= (IKE
#   rekey_time, over_time 10s, rand_time 0)  reauth= (IKE reauth_time, over_time
#   10s, rand_time 0)  dpd= (dpd_delay)  dpd_action=  frag= (fragmentation)
#   frag_size= (daemon.fragment_size)  (empty: defaults)
# The daemon section puts the VICI socket, record file and PKI dirs under DIR
# and keeps retransmissions short (a failure shows within seconds).
oak_conf() {
    local dir=$1 name=$2
    shift 2
    local o_local="" o_remote="" o_local_id="" o_remote_id="" o_auth=psk o_psk=$NT_PSK
    local o_cert="" o_key="" o_ike=aes128-sha256-modp2048 o_esp=aes128-sha256
    local o_local_ts="" o_remote_ts="" o_start=none o_keylog=no o_version=2 o_aggressive=no
    local o_rekey="" o_life="" o_ike_rekey="" o_dpd="" o_frag="" o_frag_size="" o_reauth=""
    local o_dpd_action=""
    _nt_opts "local remote local_id remote_id auth psk cert key ike esp local_ts remote_ts start keylog version aggressive rekey life ike_rekey dpd frag frag_size reauth dpd_action" "$@"
    [ -n "$o_local" ] && [ -n "$o_remote" ] || die "oak_conf $name: local= and remote= are required"
    : "${o_local_id:=$o_local}" "${o_remote_id:=$o_remote}"
    mkdir -p "$dir/x509" "$dir/x509ca" "$dir/private" "$dir/keys" || die "mkdir $dir"
    chmod 700 "$dir/private" "$dir/keys"
    {
        echo "# generated by tests/netns/lib.sh oak_conf"
        echo "daemon {"
        echo "    listen = $o_local"
        echo "    socket = $dir/oak.vici"
        echo "    kernel = record"
        echo "    record_file = $dir/record.json"
        [ "$o_keylog" = yes ] && echo "    keylog = $dir/keys"
        if [ "$o_auth" = pubkey ]; then
            echo "    x509_dir = $dir/x509"
            echo "    x509ca_dir = $dir/x509ca"
            echo "    private_dir = $dir/private"
        fi
        [ -n "$o_frag_size" ] && echo "    fragment_size = $o_frag_size"
        echo "    retransmit_tries = 3"
        echo "    retransmit_timeout = 1"
        echo "    log {"
        echo "        ike = debug"
        echo "    }"
        echo "}"
        echo "connections {"
        echo "    $name {"
        echo "        version = $o_version"
        [ "$o_aggressive" = yes ] && echo "        aggressive = yes"
        echo "        local_addrs = $o_local"
        echo "        remote_addrs = $o_remote"
        echo "        proposals = $o_ike"
        [ -n "$o_ike_rekey" ] && printf '        rekey_time = %s\n        over_time = 10s\n        rand_time = 0\n' "$o_ike_rekey"
        [ -n "$o_reauth" ] && printf '        reauth_time = %s\n        over_time = 10s\n        rand_time = 0\n' "$o_reauth"
        [ -n "$o_dpd" ] && echo "        dpd_delay = $o_dpd"
        [ -n "$o_frag" ] && echo "        fragmentation = $o_frag"
        echo "        local {"
        echo "            auth = $o_auth"
        echo "            id = \"$o_local_id\""
        [ -n "$o_cert" ] && echo "            certs = $o_cert"
        echo "        }"
        echo "        remote {"
        echo "            auth = $o_auth"
        echo "            id = \"$o_remote_id\""
        echo "        }"
        echo "        children {"
        echo "            $name {"
        [ -n "$o_local_ts" ] && echo "                local_ts = $o_local_ts"
        [ -n "$o_remote_ts" ] && echo "                remote_ts = $o_remote_ts"
        echo "                esp_proposals = $o_esp"
        [ -n "$o_rekey" ] && printf '                rekey_time = %s\n                rand_time = 0\n' "$o_rekey"
        [ -n "$o_life" ] && echo "                life_time = $o_life"
        [ -n "$o_dpd_action" ] && echo "                dpd_action = $o_dpd_action"
        echo "                start_action = $o_start"
        echo "            }"
        echo "        }"
        echo "    }"
        echo "}"
        echo "secrets {"
        if [ "$o_auth" = psk ]; then
            echo "    ike-$name {"
            echo "        id-1 = \"$o_local_id\""
            echo "        id-2 = \"$o_remote_id\""
            echo "        secret = \"$o_psk\""
            echo "    }"
        fi
        if [ -n "$o_key" ]; then
            echo "    private-$name {"
            echo "        file = $dir/private/$o_key"
            echo "    }"
        fi
        echo "}"
    } >"$dir/oak.conf"
}

# oak_certs DIR NAME: copy the test PKI of tests/vectors/certs (gen.sh) into oakd
# instance DIR: both CA certs, x509/NAME.pem and private/NAME.key
oak_certs() {
    local pki=$NT_SRCDIR/tests/vectors/certs
    cp "$pki"/x509ca/root.pem "$pki"/x509ca/int.pem "$1/x509ca/" &&
        cp "$pki/x509/$2.pem" "$1/x509/" && cp "$pki/private/$2.key" "$1/private/" ||
        die "oak_certs $*"
}

# start_oakd NS DIR: run oakd in NS with DIR/oak.conf (checked first with
# --check-config), output to DIR/oakd.log; wait until it says it started.
# Returns 1 (after printing FAIL and why) when it does not: the caller decides
# whether the test can go on (start_oakd ... || die ...).
start_oakd() {
    local ns=$1 dir=$2
    if ! "$OAKD" --check-config -c "$dir/oak.conf" >"$dir/check.out" 2>&1; then
        sed 's/^/    /' "$dir/check.out"
        log "FAIL: oakd --check-config -c $dir/oak.conf"
        NT_FAIL=1
        return 1
    fi
    rm -f "$dir/record.json" "$dir/oak.vici"
    nt_spawn "$ns" "$dir/oakd.log" "$OAKD" -F -c "$dir/oak.conf"
    if ! wait_for 10 grep -q "oakd started" "$dir/oakd.log"; then
        nt_stop "$NT_PID"
        sed 's/^/    /' "$dir/oakd.log"
        log "FAIL: oakd in $ns did not start"
        NT_FAIL=1
        return 1
    fi
}

# oak DIR ARGS...: oakctl against the oakd of instance DIR (10 s limit)
oak() {
    local dir=$1
    shift
    timeout 10 "$OAKCTL" --socket "$dir/oak.vici" "$@"
}

# oak_has_vici DIR: true when oakd of DIR answers oakctl (the VICI server is in)
oak_has_vici() { [ -n "$OAKCTL" ] && [ -S "$1/oak.vici" ] && oak "$1" status >/dev/null 2>&1; }

# oak_ike_up DIR CONN: true when oakd of DIR has an ESTABLISHED IKE SA of CONN:
# from oakctl status ("CONN #N ESTABLISHED IKEv2 ...") when oakd serves VICI,
# else from its log
oak_ike_up() {
    if oak_has_vici "$1"; then
        oak "$1" status 2>/dev/null | grep -Eq "^$2 #[0-9]+ ESTABLISHED "
    else
        grep -q -- "-> ESTABLISHED" "$1/oakd.log"
    fi
}

# oak_child_up DIR CHILD: true when oakd of DIR installed a CHILD SA of CHILD
# (oakctl status "  CHILD #N INSTALLED ...", or the log line "CHILD SA #N
# (CHILD) of IKE SA #M installed")
oak_child_up() {
    if oak_has_vici "$1"; then
        oak "$1" status 2>/dev/null | grep -Eq "^  $2 #[0-9]+ INSTALLED "
    else
        grep -q "CHILD SA #[0-9]* ($2) of IKE SA #[0-9]* installed" "$1/oakd.log"
    fi
}

# oak_v1_ike_up DIR CONN / oak_v1_child_up DIR CHILD: oakd of DIR logged an
# established ISAKMP SA of CONN / an installed IPsec SA of CHILD (IKEv1 engine)
oak_v1_ike_up() { grep -q "ISAKMP SA #[0-9]* ($2) established with" "$1/oakd.log"; }
oak_v1_child_up() { grep -q "IPsec SA #[0-9]* ($2) of ISAKMP SA #[0-9]* installed" "$1/oakd.log"; }

# oak_record DIR ARGS...: tests/netns/record.py on DIR/record.json (see there)
oak_record() {
    local dir=$1
    shift
    "$NT_PYTHON" "$NT_LIB/record.py" "$dir/record.json" "$@"
}

# oak_live_sas DIR: how many SPIs oakd of DIR added (add_sa) and did not
# delete (del_sa) since it started, by its kernel record
oak_live_sas() {
    local added deleted
    added=$(oak_record "$1" summary | awk '$1 == "add_sa" { print $6 }' | sort -u)
    deleted=$(oak_record "$1" deleted | sort -u)
    comm -23 <(echo "$added") <(echo "$deleted") | grep -c .
}
# oak_one_pair DIR: oakd of DIR holds exactly one SA pair now (for wait_for,
# which runs it at each try)
oak_one_pair() { [ "$(oak_live_sas "$1")" = 2 ]; }

# oak_recorded DIR ERE: a line of DIR's record summary (record.py) matches ERE
oak_recorded() { oak_record "$1" summary | grep -E -- "$2" >/dev/null; }
# oak_deleted DIR SPI: oakd of DIR recorded the removal (del_sa) of SPI
oak_deleted() { [ -n "$2" ] && oak_record "$1" deleted | grep -x -- "$2" >/dev/null; }

# oak_show DIR: what a user looks at: oakctl status + show sas, or else the log's
# SA lines and the record file's summary
oak_show() {
    if oak_has_vici "$1"; then
        oak "$1" status
        oak "$1" show sas
    else
        echo "oakd's log (no VICI server yet, so no oakctl status):"
        grep -E -- "-> ESTABLISHED|installed: SPIs|deleted|failed|not created" "$1/oakd.log" |
            sed 's/^/  /'
        echo "handed to the kernel (record file $1/record.json):"
        oak_record "$1" summary | sed 's/^/  /'
    fi
}

########################################################################## strongSwan

# sw_peer DIR [kernel=libipsec|netlink] [ike_log=N] [frag_size=N] [mbb=yes|no]: a
# strongSwan instance in DIR: strongswan.conf and the swanctl tree. kernel=libipsec
# (default): userspace ESP, CHILD SAs install on the host. ike_log=4 also writes the
# IKE keys to the log. frag_size: charon.fragment_size (default 1280). mbb:
# charon.make_before_break (reauthentication; empty: charon's default).
sw_peer() {
    local dir=$1 o_kernel=libipsec o_ike_log=2 o_frag_size=1280 o_mbb="" kplugins routes d
    shift
    _nt_opts "kernel ike_log frag_size mbb" "$@"
    for d in conf.d x509 x509ca private pubkey; do mkdir -p "$dir/swanctl/$d" || die "mkdir $dir"; done
    case $o_kernel in
    libipsec) kplugins="kernel-libipsec kernel-netlink" routes=yes ;;
    netlink) kplugins=kernel-netlink routes=no ;;
    *) die "sw_peer: kernel=$o_kernel" ;;
    esac
    # charon's plugin list is explicit: /etc/strongswan.d does not decide what runs.
    # openssl brings ECP groups, AES-GCM and ECDSA; libipsec needs install_routes
    # (routes via its TUN device, table 220).
    cat >"$dir/strongswan.conf" <<EOF
# generated by tests/netns/lib.sh sw_peer
charon {
    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints curve25519 gmp hmac aes sha1 sha2 kdf $kplugins socket-default vici
    install_routes = $routes
    fragment_size = $o_frag_size
    ${o_mbb:+make_before_break = $o_mbb}
    retransmit_tries = 3
    retransmit_timeout = 1
    plugins {
        vici { socket = unix://$dir/charon.vici }
        revocation { enable_ocsp = no
                     enable_crl = no }
    }
    filelog {
        oak { path = $dir/charon.log
              time_format = %T
              flush_line = yes
              ike_name = yes
              default = 1
              ike = $o_ike_log
              cfg = 2
              knl = 2
              enc = 1
              net = 1 }
    }
    syslog { daemon { default = -1 } }
}
swanctl {
    load = pem pkcs1 pkcs8 x509 pubkey openssl random nonce
}
EOF
    printf 'include conf.d/*.conf\n' >"$dir/swanctl/swanctl.conf"
}

# sw_conn DIR NAME key=value...: connection NAME with one child NAME for the
# strongSwan instance DIR (load with sw_load). Keys (defaults):
#   local= remote= (required)  local_id= remote_id= (the addresses)  auth=psk|pubkey
#   psk=$NT_PSK  cert=FILE (own cert in swanctl/x509/)  ike=aes128-sha256-modp2048
#   esp=aes128-sha256  local_ts= remote_ts= (empty: host to host)  start=none|start
#   version=2|1 (IKE version)  aggressive=no|yes (IKEv1 Aggressive Mode)
#   rekey= life= (CHILD rekey_time, life_time; rand_time 0)  ike_rekey= (IKE
#   rekey_time, over_time 10s, rand_time 0)  reauth= (IKE reauth_time, over_time
#   10s, rand_time 0)  dpd= (dpd_delay)  dpd_action=  frag= (fragmentation)
sw_conn() {
    local dir=$1 name=$2
    shift 2
    local o_local="" o_remote="" o_local_id="" o_remote_id="" o_auth=psk o_psk=$NT_PSK
    local o_cert="" o_ike=aes128-sha256-modp2048 o_esp=aes128-sha256 o_local_ts=""
    local o_remote_ts="" o_start=none o_version=2 o_aggressive=no
    local o_rekey="" o_life="" o_ike_rekey="" o_dpd="" o_dpd_action="" o_frag="" o_reauth=""
    _nt_opts "local remote local_id remote_id auth psk cert ike esp local_ts remote_ts start version aggressive rekey life ike_rekey dpd dpd_action frag reauth" "$@"
    [ -n "$o_local" ] && [ -n "$o_remote" ] || die "sw_conn $name: local= and remote= are required"
    : "${o_local_id:=$o_local}" "${o_remote_id:=$o_remote}"
    {
        echo "# generated by tests/netns/lib.sh sw_conn"
        echo "connections {"
        echo "    $name {"
        echo "        version = $o_version"
        [ "$o_aggressive" = yes ] && echo "        aggressive = yes"
        echo "        local_addrs = $o_local"
        echo "        remote_addrs = $o_remote"
        echo "        proposals = $o_ike"
        [ -n "$o_ike_rekey" ] && printf '        rekey_time = %s\n        over_time = 10s\n        rand_time = 0\n' "$o_ike_rekey"
        [ -n "$o_reauth" ] && printf '        reauth_time = %s\n        over_time = 10s\n        rand_time = 0\n' "$o_reauth"
        [ -n "$o_dpd" ] && echo "        dpd_delay = $o_dpd"
        [ -n "$o_frag" ] && echo "        fragmentation = $o_frag"
        echo "        local { auth = $o_auth"
        [ -n "$o_cert" ] && echo "                certs = $o_cert"
        echo "                id = \"$o_local_id\" }"
        echo "        remote { auth = $o_auth"
        echo "                 id = \"$o_remote_id\" }"
        echo "        children {"
        echo "            $name {"
        [ -n "$o_local_ts" ] && echo "                local_ts = $o_local_ts"
        [ -n "$o_remote_ts" ] && echo "                remote_ts = $o_remote_ts"
        echo "                esp_proposals = $o_esp"
        [ -n "$o_rekey" ] && printf '                rekey_time = %s\n                rand_time = 0\n' "$o_rekey"
        [ -n "$o_life" ] && echo "                life_time = $o_life"
        [ -n "$o_dpd_action" ] && echo "                dpd_action = $o_dpd_action"
        echo "                start_action = $o_start }"
        echo "        }"
        echo "    }"
        echo "}"
        if [ "$o_auth" = psk ]; then
            echo "secrets {"
            echo "    ike-$name { id-1 = \"$o_local_id\""
            echo "                id-2 = \"$o_remote_id\""
            echo "                secret = \"$o_psk\" }"
            echo "}"
        fi
    } >"$dir/swanctl/conf.d/$name.conf"
}

# sw_certs DIR NAME: the test PKI (tests/vectors/certs) into strongSwan instance
# DIR: both CA certs, x509/NAME.pem, private/NAME.key (then sw_conn cert=NAME.pem)
sw_certs() {
    local pki=$NT_SRCDIR/tests/vectors/certs
    cp "$pki"/x509ca/root.pem "$pki"/x509ca/int.pem "$1/swanctl/x509ca/" &&
        cp "$pki/x509/$2.pem" "$1/swanctl/x509/" &&
        cp "$pki/private/$2.key" "$1/swanctl/private/" || die "sw_certs $*"
}

# start_charon NS DIR: charon in NS with DIR/strongswan.conf (a private /run: charon
# hard-codes /var/run/charon.pid); wait for its VICI socket
start_charon() {
    local ns=$1 dir=$2
    rm -f "$dir/charon.vici" "$dir/charon.log"
    ip netns exec "$ns" sh -c 'mount -t tmpfs oaknetns /run && STRONGSWAN_CONF="$1" exec "$2"' \
        start_charon "$dir/strongswan.conf" "$NT_CHARON" >"$dir/charon.out" 2>&1 &
    NT_PID=$!
    NT_PIDS="$NT_PIDS $NT_PID"
    wait_for 10 test -S "$dir/charon.vici" ||
        { cat "$dir/charon.out"; die "charon in $ns did not start"; }
}

# sw DIR ARGS...: swanctl against the charon of instance DIR (30 s limit)
sw() {
    local dir=$1
    shift
    STRONGSWAN_CONF=$dir/strongswan.conf SWANCTL_DIR=$dir/swanctl \
        timeout 30 swanctl "$@" --uri "unix://$dir/charon.vici"
}

# sw_load DIR: (re)load the connections, secrets and certificates of instance DIR
sw_load() {
    sw "$1" --load-all --file "$1/swanctl/swanctl.conf" >"$1/load.out" 2>&1 ||
        { cat "$1/load.out"; die "swanctl --load-all ($1)"; }
}

# sw_ike_up DIR NAME: connection NAME has an ESTABLISHED IKE SA in instance DIR
sw_ike_up() { sw "$1" --list-sas --ike "$2" 2>/dev/null | grep -q ESTABLISHED; }
# sw_child_up DIR NAME: connection NAME has an INSTALLED CHILD SA in instance DIR
sw_child_up() { sw "$1" --list-sas --ike "$2" 2>/dev/null | grep -q INSTALLED; }
# sw_ike_gone DIR NAME: connection NAME has no IKE SA in instance DIR
sw_ike_gone() {
    local out
    out=$(sw "$1" --list-sas --ike "$2" 2>&1) && ! grep -q "^$2: #" <<<"$out"
}

# sw_child_spis DIR NAME: "IN OUT" (8 hex digits each) of NAME's installed CHILD SA,
# from the line "  in  c1a2b3c4 (-|0x...), ..." of swanctl --list-sas
sw_child_spis() {
    sw "$1" --list-sas --ike "$2" 2>/dev/null | awk '
        $1 == "in" && !i { i = $2 } $1 == "out" && !o { o = $2 }
        END { sub(",", "", i); sub(",", "", o); if (i && o) print i, o; else exit 1 }'
}

# sw_installed_spis DIR NAME: "IN OUT" of NAME's CHILD SA in state INSTALLED
# (during a rekey swanctl also lists the old one, DELETED or REKEYED, maybe first)
sw_installed_spis() {
    sw "$1" --list-sas --ike "$2" 2>/dev/null | awk '
        / INSTALLED, / { on = 1; next } / (DELETED|REKEYED|DELETING|REKEYING|CREATED), / { on = 0 }
        on && $1 == "in" && !i { i = $2 } on && $1 == "out" && !o { o = $2 }
        END { sub(",", "", i); sub(",", "", o); if (i && o) print i, o; else exit 1 }'
}

########################################################################## libreswan

# lsw_peer DIR: a libreswan instance in DIR: ipsec.conf ("config setup"), an empty
# ipsec.secrets, an NSS db in DIR/nss
lsw_peer() {
    local dir=$1
    mkdir -p "$dir/run" "$dir/ipsec.d" "$dir/nss" || die "mkdir $dir"
    cat >"$dir/ipsec.conf" <<EOF
# generated by tests/netns/lib.sh lsw_peer; lsw_conn appends the conns
config setup
    logfile=$dir/pluto.log
    logtime=yes
    plutodebug=none
    protostack=xfrm
    dnssec-enable=no
    virtual-private=
    ikev1-policy=accept
EOF
    : >"$dir/ipsec.secrets"
    chmod 600 "$dir/ipsec.secrets"
    certutil -N -d "sql:$dir/nss" --empty-password || die "certutil -N"
}

# _lsw_id ID: an ID written the libreswan way (FQDN -> @fqdn, IP as is, DN quoted)
_lsw_id() {
    case $1 in
    *=*) printf '"%s"' "$1" ;;
    *@* | *:* | [0-9]*.*[0-9]) printf '%s' "$1" ;;
    *) printf '@%s' "$1" ;;
    esac
}

# lsw_conn DIR NAME key=value...: append "conn NAME" (IKEv2, PSK) and its secret to
# libreswan instance DIR. Keys: local= remote= (required) local_id= remote_id=
# ike=aes128-sha2_256-modp2048 esp=aes128-sha2_256 local_ts= remote_ts= psk=
# start=none|start version=2|1 (IKE version) aggressive=no|yes (IKEv1). pluto picks the IKEv2 conn of an IKE_SA_INIT by addresses:
# conns between the same two addresses must share ike=.
lsw_conn() {
    local dir=$1 name=$2
    shift 2
    local o_local="" o_remote="" o_local_id="" o_remote_id="" o_psk=$NT_PSK
    local o_ike=aes128-sha2_256-modp2048 o_esp=aes128-sha2_256 o_local_ts="" o_remote_ts=""
    local o_start=none o_version=2 o_aggressive=no lid rid
    _nt_opts "local remote local_id remote_id ike esp local_ts remote_ts psk start version aggressive" "$@"
    [ -n "$o_local" ] && [ -n "$o_remote" ] || die "lsw_conn $name: local= and remote= are required"
    : "${o_local_id:=$o_local}" "${o_remote_id:=$o_remote}"
    lid=$(_lsw_id "$o_local_id")
    rid=$(_lsw_id "$o_remote_id")
    {
        echo ""
        echo "# generated by tests/netns/lib.sh lsw_conn"
        echo "conn $name"
        [ "$o_version" = 1 ] && echo "    ikev2=no" || echo "    ikev2=yes"
        [ "$o_aggressive" = yes ] && echo "    aggressive=yes"
        echo "    authby=secret"
        echo "    left=$o_local"
        echo "    leftid=$lid"
        [ -n "$o_local_ts" ] && echo "    leftsubnet=$o_local_ts"
        echo "    right=$o_remote"
        echo "    rightid=$rid"
        [ -n "$o_remote_ts" ] && echo "    rightsubnet=$o_remote_ts"
        echo "    ike=$o_ike"
        echo "    esp=$o_esp"
        echo "    type=tunnel"
        # no _updown script: it would touch the host's routes and iptables
        echo "    leftupdown=%disabled"
        echo "    retransmit-timeout=10s"
        [ "$o_start" = start ] && echo "    auto=start" || echo "    auto=add"
    } >>"$dir/ipsec.conf"
    printf '%s %s : PSK "%s"\n' "$lid" "$rid" "$o_psk" >>"$dir/ipsec.secrets"
}

# start_pluto NS DIR: pluto in NS with everything under DIR; wait until it listens.
# pluto execs /usr/libexec/ipsec/addconn (a compiled-in path that a dpkg -x
# install lacks): the unpacked tree is bind-mounted over /usr/libexec in pluto's
# own mount namespace only (ip netns exec gives each command a fresh one).
start_pluto() {
    local ns=$1 dir=$2
    rm -f "$dir/run/"* "$dir/pluto.log"
    ip netns exec "$ns" sh -c 'mount --bind "$0" /usr/libexec && exec "$@"' \
        "$NT_LIBRESWAN/usr/libexec" env LD_LIBRARY_PATH="$NT_LSW_LIB" "$NT_LSW_BIN/pluto" \
        --nofork --config "$dir/ipsec.conf" --secretsfile "$dir/ipsec.secrets" \
        --ipsecdir "$dir/ipsec.d" --nssdir "$dir/nss" --rundir "$dir/run" \
        --logfile "$dir/pluto.log" --no-dnssec >"$dir/pluto.out" 2>&1 &
    NT_PID=$!
    NT_PIDS="$NT_PIDS $NT_PID"
    wait_for 10 test -S "$dir/run/pluto.ctl" ||
        { cat "$dir/pluto.out" "$dir/pluto.log"; die "pluto in $ns did not start"; }
    wait_for 10 grep -q 'listening for IKE messages' "$dir/pluto.log"
}

# whack DIR ARGS...: whack against the pluto of instance DIR (30 s limit)
whack() {
    local dir=$1
    shift
    LD_LIBRARY_PATH=$NT_LSW_LIB timeout 30 "$NT_LSW_BIN/whack" --ctlsocket "$dir/run/pluto.ctl" "$@"
}

# lsw_load DIR: load every conn of instance DIR's ipsec.conf into its pluto
lsw_load() {
    LD_LIBRARY_PATH=$NT_LSW_LIB timeout 30 "$NT_LSW_BIN/addconn" --config "$1/ipsec.conf" \
        --ctlsocket "$1/run/pluto.ctl" --autoall >"$1/addconn.out" 2>&1 ||
        { cat "$1/addconn.out"; die "addconn ($1)"; }
}

# lsw_state DIR CONN STATE: pluto of DIR has a state of CONN whose name matches
# STATE (a regex: STATE_V2_ESTABLISHED_IKE_SA, STATE_V2_ESTABLISHED_CHILD_SA)
lsw_state() { whack "$1" --showstates 2>/dev/null | grep -Eq "\"$2\"[^ ]* $3"; }

########################################################################## capture

# nt_capture NS PCAP [BPF]: tshark on NS's eth0 writing PCAP (default filter: IKE
# and ESP); returns once it captures; its PID in NT_CAP_PID
nt_capture() {
    local ns=$1 pcap=$2 bpf=${3:-udp port 500 or udp port 4500 or esp}
    rm -f "$pcap"
    ip netns exec "$ns" tshark -q -i eth0 -f "$bpf" -w "$pcap" 2>"$pcap.err" &
    NT_CAP_PID=$!
    NT_PIDS="$NT_PIDS $NT_CAP_PID"
    wait_for 10 grep -q Capturing "$pcap.err" || die "tshark did not start: $(cat "$pcap.err")"
}

# nt_capture_stop: stop the capture (SIGINT, so the pcap is complete)
nt_capture_stop() {
    [ -n "$NT_CAP_PID" ] || return 0
    kill -INT "$NT_CAP_PID" 2>/dev/null
    wait_for 10 _nt_gone "$NT_CAP_PID" || die "tshark did not stop"
    NT_PIDS=$(printf '%s\n' $NT_PIDS | grep -vx "$NT_CAP_PID" | tr '\n' ' ')
    NT_CAP_PID=""
}
