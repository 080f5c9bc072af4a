#!/usr/bin/env python3
"""oakd_vici_test.py OAKD OAKCTL [SWANCTL]: oakd's VICI socket, on loopback only.

Two oakd on 127.0.0.1 (high ports, sockets in a temp dir): oakctl up on one
brings the IKE SA and the CHILD SA up on both; oakctl status, oakctl --json
show sas and strongSwan's swanctl --list-sas show the same SPIs on both
sides; swanctl --monitor-sa sees the ike-updown / child-updown events;
oakctl down removes the SAs on both; oakctl rekey --reauth replaces them
with new ones on both; a failing initiate says why; swanctl
--load-all loads a connection and a secret into oakd (a bad proposal is
refused with the key named and nothing changes; what VICI loaded survives a
SIGHUP and is unloaded when the file drops it); a socket
that cannot be opened stops start-up; a stopped daemon makes oakctl exit 3.
Only the PIDs this script starts are signalled.
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

OAKD, OAKCTL = sys.argv[1], sys.argv[2]
SWANCTL = sys.argv[3] if len(sys.argv) > 3 else shutil.which("swanctl") or "/usr/sbin/swanctl"
failures = []
procs = []


def check(cond, what, detail=""):
    """Print the check; detail (what was seen) only when it fails."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        if detail:
            print("     " + str(detail).rstrip().replace("\n", "\n     "))
        failures.append(what)
    return cond


def free_ports(n):
    """n consecutive free UDP ports on 127.0.0.1 (checked, then released)."""
    base = 40000 + (os.getpid() % 1000) * 16
    for port in range(base, base + 8000, n):
        socks = []
        try:
            for p in range(port, port + n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return list(range(port, port + n))
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise SystemExit("no free ports")


def conf(d, sock, port, peer_port, me, peer, extra_conn=""):
    return f"""
daemon {{
    listen = 127.0.0.1
    port = {port}
    port_nat_t = {port + 1}
    socket = {sock}
    record_file = {d}/record.json
    retransmit_tries = 2
    retransmit_timeout = 1
}}
connections {{
    gw {{
        version = 2
        local_addrs = 127.0.0.1
        remote_addrs = 127.0.0.1
        remote_port = {peer_port}
        proposals = aes256-sha256-x25519
        local {{
            auth = psk
            id = {me}
        }}
        remote {{
            auth = psk
            id = {peer}
        }}
        children {{
            net {{
                local_ts = {"10.1.0.0/16" if me == "moon.example" else "10.2.0.0/16"}
                remote_ts = {"10.2.0.0/16" if me == "moon.example" else "10.1.0.0/16"}
                esp_proposals = aes128gcm16
            }}
        }}
    }}
{extra_conn}
}}
secrets {{
    ike-gw {{
        id-1 = moon.example
        id-2 = sun.example
        id-3 = nobody.example
        secret = 0x00112233445566778899aabbccddeeff
    }}
}}
"""


# moon's second connection: the peer (sun) has no such identity, so it fails
BAD_CONN = """
    bad {{
        version = 2
        local_addrs = 127.0.0.1
        remote_addrs = 127.0.0.1
        remote_port = {peer_port}
        proposals = aes256-sha256-x25519
        local {{
            auth = psk
            id = moon.example
        }}
        remote {{
            auth = psk
            id = nobody.example
        }}
        children {{
            bad {{
                esp_proposals = aes128gcm16
            }}
        }}
    }}
"""


def wait_for(fn, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.05)
    return fn()


def log_has(path, needle):
    with open(path, errors="replace") as f:
        return needle in f.read()


def start(d, name, text):
    os.makedirs(os.path.join(d, name), exist_ok=True)
    cfg = os.path.join(d, name, "oak.conf")
    with open(cfg, "w") as f:
        f.write(text)
    log = os.path.join(d, name, "oakd.log")
    with open(log, "w") as logf:
        p = subprocess.Popen([OAKD, "-F", "-c", cfg], stdout=logf, stderr=logf)
    procs.append((name, p, log))
    return p, log


def oakctl(sock, *args, timeout=30):
    try:
        p = subprocess.run([OAKCTL, "-s", sock, *args], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", "timed out"
    return p.returncode, p.stdout, p.stderr


def swanctl(sock, *args):
    p = subprocess.run([SWANCTL, *args, "--uri", "unix://" + sock], capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


IKE_RE = re.compile(r"^gw #(\d+) (\S+) IKEv2 ", re.M)
CHILD_RE = re.compile(r"^  net #(\d+) (\S+) TUNNEL ESP .* in ([0-9a-f]{8}) out ([0-9a-f]{8})$",
                      re.M)


def status(sock):
    """(rc, [(ike serial, state)], [(child serial, state, spi in, spi out)], text)"""
    rc, out, err = oakctl(sock, "status")
    return rc, IKE_RE.findall(out), CHILD_RE.findall(out), out + err


def sas_json(sock):
    rc, out, _ = oakctl(sock, "--json", "show", "sas")
    try:
        return rc, json.loads(out)
    except ValueError:
        return rc, None


def test_up(moon, sun):
    """oakctl up on moon; both sides show the SAs with swapped SPIs."""
    rc, out, err = oakctl(moon, "up", "gw", "net")
    check(rc == 0 and "up gw net: done" in out, f"oakctl up gw net exits 0 ({rc}, {err.strip()!r})")
    check("[IKE]" in out, "oakctl up streams oakd's log lines (control-log)")
    rc_m, ike_m, child_m, text_m = status(moon)
    ok = wait_for(lambda: status(sun)[2] and status(sun)[2][0][1] == "INSTALLED")
    rc_s, ike_s, child_s, text_s = status(sun)
    check(rc_m == 0 and len(ike_m) == 1 and ike_m[0][1] == "ESTABLISHED",
          "moon: IKE SA ESTABLISHED in oakctl status", text_m)
    check(len(child_m) == 1 and child_m[0][1] == "INSTALLED",
          "moon: CHILD SA INSTALLED in oakctl status", text_m)
    check(ok and len(ike_s) == 1 and ike_s[0][1] == "ESTABLISHED" and len(child_s) == 1,
          "sun: IKE SA ESTABLISHED, CHILD SA INSTALLED", text_s)
    if not (child_m and child_s):
        return None
    check(child_m[0][2] == child_s[0][3] and child_m[0][3] == child_s[0][2]
          and child_m[0][2] != child_m[0][3],
          f"CHILD SA SPIs match with in/out swapped: moon {child_m[0][2:]} sun {child_s[0][2:]}")
    return child_m[0][2], child_m[0][3]


def test_json(moon, sun, spis):
    rc, m = sas_json(moon)
    rc2, s = sas_json(sun)
    if not check(rc == 0 and rc2 == 0 and isinstance(m, list) and isinstance(s, list)
                 and len(m) == 1 and len(s) == 1, "oakctl --json show sas parses on both"):
        return None
    hex16 = re.compile(r"^[0-9a-f]{16}$")
    hex8 = re.compile(r"^[0-9a-f]{8}$")
    ma, sa = m[0], s[0]
    check(ma.get("name") == "gw" and ma.get("state") == "ESTABLISHED"
          and ma.get("initiator") == "yes" and "initiator" not in sa,
          f"JSON: name, state, initiator flag: {ma.get('name')} {ma.get('state')}")
    check(all(hex16.match(str(x.get(k, ""))) for x in (ma, sa)
              for k in ("initiator-spi", "responder-spi")),
          f"JSON: IKE SPIs are 16 hex digits: {ma.get('initiator-spi')} {ma.get('responder-spi')}")
    check(ma.get("initiator-spi") == sa.get("initiator-spi")
          and ma.get("responder-spi") == sa.get("responder-spi"),
          "JSON: both sides name the same IKE SPIs")
    check(ma.get("encr-alg") == "AES_CBC" and str(ma.get("encr-keysize")) == "256"
          and ma.get("integ-alg") == "HMAC_SHA2_256_128" and ma.get("prf-alg") == "PRF_HMAC_SHA2_256"
          and ma.get("dh-group") == "CURVE_25519",
          "JSON: IKE algorithms split into encr/integ/prf/dh: "
          f"{ma.get('encr-alg')} {ma.get('encr-keysize')} {ma.get('integ-alg')} "
          f"{ma.get('prf-alg')} {ma.get('dh-group')}")
    check(ma.get("local-id") == "moon.example" and ma.get("remote-id") == "sun.example"
          and ma.get("local-host") == "127.0.0.1" and str(ma.get("established", "x")).isdigit(),
          "JSON: IDs, hosts, established time")
    kids = ma.get("child-sas") or []
    if not check(len(kids) == 1, f"JSON: one CHILD SA ({len(kids)})"):
        return ma
    k = kids[0]
    check(hex8.match(k.get("spi-in", "")) and hex8.match(k.get("spi-out", ""))
          and (k.get("spi-in"), k.get("spi-out")) == spis,
          f"JSON: CHILD SPIs are hex strings, as status shows: {k.get('spi-in')} {k.get('spi-out')}")
    check(k.get("mode") == "TUNNEL" and k.get("protocol") == "ESP"
          and k.get("encr-alg") == "AES_GCM_16" and str(k.get("encr-keysize")) == "128"
          and k.get("local-ts") == ["10.1.0.0/16"] and k.get("remote-ts") == ["10.2.0.0/16"],
          f"JSON: CHILD mode, proposal, TS: {k.get('mode')} {k.get('encr-alg')} "
          f"{k.get('local-ts')} {k.get('remote-ts')}")
    return ma


def test_swanctl(moon, sun, spis, ike):
    if not os.access(SWANCTL, os.X_OK):
        print(f"skip swanctl checks: {SWANCTL} not found (strongswan-swanctl)")
        return
    rc, out = swanctl(moon, "--list-sas")
    check(rc == 0 and "gw: #" in out and "ESTABLISHED, IKEv2" in out
          and ike["initiator-spi"] in out and ike["responder-spi"] in out,
          "swanctl --list-sas on moon shows the IKE SA and its SPIs", out)
    check(spis[0] in out and spis[1] in out and "INSTALLED, TUNNEL" in out,
          "swanctl --list-sas on moon shows the CHILD SA's SPIs", out)
    rc, out = swanctl(sun, "--list-sas")
    check(rc == 0 and spis[0] in out and spis[1] in out and ike["initiator-spi"] in out,
          "swanctl --list-sas on sun shows the same SPIs", out)
    rc, out = swanctl(moon, "--list-conns")
    check(rc == 0 and "gw: IKEv2" in out and "net: TUNNEL" in out and "bad: IKEv2" in out,
          "swanctl --list-conns on moon shows the loaded connections", out)
    rc, out = swanctl(moon, "--stats")
    check(rc == 0 and "IKE_SAs: 1 total" in out, "swanctl --stats counts the IKE SA", out)


def test_down(moon, sun):
    rc, out, err = oakctl(moon, "down", "gw")
    check(rc == 0 and "down gw: done" in out, f"oakctl down gw exits 0 ({rc} {out!r} {err!r})")
    check(status(moon)[1] == [] and "no IKE SAs" in status(moon)[3], "moon: no SA left")
    check(wait_for(lambda: "no IKE SAs" in status(sun)[3]), "sun: no SA left")
    rc, out, err = oakctl(moon, "down", "gw")
    check(rc == 1 and "no matching SAs" in err, f"down again: nothing to delete, exit 1 ({err.strip()!r})")


def test_reauth(moon, sun, ike, child):
    """oakctl rekey --reauth: a new IKE SA with a new CHILD SA replaces both
    on both sides; oakctl show sas said when moon reauthenticates (never:
    no reauth_time) and says nothing of it afterwards either."""
    rc, out, err = oakctl(moon, "rekey", "--reauth", "gw")
    check(rc == 0, f"oakctl rekey --reauth gw exits 0 ({rc}, {out.strip()!r} {err.strip()!r})")

    def replaced(sock):
        _, i, c, _ = status(sock)
        return (len(i) == 1 and i[0][1] == "ESTABLISHED" and len(c) == 1
                and c[0][1] == "INSTALLED" and c[0][0] != child[0][0])
    check(wait_for(lambda: replaced(moon) and replaced(sun)),
          "reauth: one new IKE SA and one new CHILD SA on both sides",
          status(moon)[3] + status(sun)[3])
    _, ike2, child2, text = status(moon)
    _, _, child_s, _ = status(sun)
    check(ike2 and ike2[0][0] != ike[0][0], f"reauth: a new IKE SA on moon ({ike} -> {ike2})")
    check(child2 and child_s and child2[0][2] != child[0][2]
          and child2[0][2] == child_s[0][3] and child2[0][3] == child_s[0][2],
          f"reauth: new CHILD SPIs, the same on both sides: moon {child2} sun {child_s}")
    rc, out, err = oakctl(moon, "show", "sas")
    check(rc == 0 and "reauth in" not in out, "show sas: no reauth time without reauth_time",
          out)
    return ike2, child2


def test_child_control(moon, sun, moon_proc, moon_log):
    """swanctl --initiate by child name, oakctl down --child, swanctl
    --terminate --ike-id, across a reload (the socket stays)."""
    moon_proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: log_has(moon_log, "configuration reloaded")), "moon reloads")
    rc, out, err = oakctl(moon, "status")
    check(rc == 0 and "no IKE SAs" in out, "the socket answers after the reload", err)
    if os.access(SWANCTL, os.X_OK):
        rc, out = swanctl(moon, "--initiate", "--child", "net")
        check(rc == 0 and "initiate completed successfully" in out,
              "swanctl --initiate --child net finds the connection and completes", out)
    else:
        rc, out, err = oakctl(moon, "up", "gw")
        check(rc == 0, "oakctl up gw", err)
    _, ike, child, text = status(moon)
    if not check(len(ike) == 1 and len(child) == 1 and child[0][1] == "INSTALLED",
                 "moon: the SAs are up again", text):
        return
    ike, child = test_reauth(moon, sun, ike, child)
    if not ike:
        return
    rc, out, err = oakctl(moon, "down", "--child", "net")
    _, ike2, child2, text = status(moon)
    check(rc == 0 and ike2 == ike and child2 == [],
          "oakctl down --child net deletes the CHILD SA, the IKE SA stays", text + err)
    check(wait_for(lambda: status(sun)[2] == [] and len(status(sun)[1]) == 1),
          "sun: the CHILD SA is gone, the IKE SA stays", status(sun)[3])
    if os.access(SWANCTL, os.X_OK):
        rc, out = swanctl(moon, "--terminate", "--ike-id", ike[0][0])
        check(rc == 0 and "terminate completed successfully" in out,
              f"swanctl --terminate --ike-id {ike[0][0]} completes", out)
    else:
        rc, out, err = oakctl(moon, "down", ike[0][0])
        check(rc == 0, f"oakctl down {ike[0][0]}", err)
    check(wait_for(lambda: "no IKE SAs" in status(sun)[3]) and "no IKE SAs" in status(moon)[3],
          "no SA left on either side")


def test_failures(moon):
    rc, out, err = oakctl(moon, "up", "nosuch")
    check(rc == 1 and "no connection 'nosuch'" in err, f"up of an unknown connection: {err.strip()!r}")
    rc, out, err = oakctl(moon, "up", "bad")
    check(rc == 1 and "failed" in err, f"up of a connection the peer refuses fails: {rc} {err.strip()!r}")
    check(status(moon)[3].strip() == "no IKE SAs", "the failed IKE SA is gone")


VICI_CONN = """connections {{
    vgw {{
        version = 2
        remote_addrs = 127.0.0.1
        remote_port = {peer_port}
        proposals = {proposal}
        local {{ auth = psk
                id = moon.example }}
        remote {{ auth = psk
                 id = sun.example }}
        children {{ vnet {{ local_ts = 10.9.0.0/16 }} }}
    }}
}}
secrets {{ ike-v {{ id-1 = sun.example
                   secret = 0x5ec2e7 }} }}
"""


def test_vici_config(d, moon, moon_proc, moon_log, peer_port):
    """swanctl --load-all / --load-conns into oakd: a bad proposal is refused
    with the key named and nothing changes; a good one is listed, survives a
    SIGHUP reload, and is unloaded when the file no longer has it."""
    if not os.access(SWANCTL, os.X_OK):
        print(f"skip swanctl load checks: {SWANCTL} not found (strongswan-swanctl)")
        return
    sw = os.path.join(d, "swanctl")
    os.makedirs(sw, exist_ok=True)
    f = os.path.join(sw, "swanctl.conf")

    def conns():
        rc, out = swanctl(moon, "--list-conns")
        return sorted(re.findall(r"^(\S+): IKEv", out, re.M)) if rc == 0 else None

    before = conns()
    with open(f, "w") as fh:
        fh.write(VICI_CONN.format(peer_port=peer_port, proposal="aes256-sha256-x25520"))
    rc, out = swanctl(moon, "--load-all", "--noprompt", "--file", f)
    check(rc != 0 and "loading connection 'vgw' failed: connections.vgw.proposals: unknown "
          "algorithm 'x25520'" in out, "load-conn with a bad proposal: refused, key named", out)
    check(conns() == before, f"  ... the running connections are unchanged ({before})", conns())
    with open(f, "w") as fh:
        fh.write(VICI_CONN.format(peer_port=peer_port, proposal="aes256-sha256-x25519"))
    rc, out = swanctl(moon, "--load-all", "--noprompt", "--file", f)
    check(rc == 0 and "loaded connection 'vgw'" in out and "loaded ike secret 'ike-v'" in out,
          "swanctl --load-all loads a connection and a secret into oakd", out)
    check(conns() == sorted(before + ["vgw"]), "list-conns shows it next to oak.conf's", conns())
    reloads = open(moon_log).read().count("configuration reloaded")
    moon_proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: open(moon_log).read().count("configuration reloaded") > reloads),
          "moon reloads on SIGHUP")
    check(conns() == sorted(before + ["vgw"]), "what VICI loaded survives the reload", conns())
    rc, out = swanctl(moon, "--initiate", "--child", "vnet", "--timeout", "10")
    check(rc != 0 and "vnet" in out, "initiate of the VICI connection reaches the engine "
          "(sun has no such child, so it fails)", out)
    with open(f, "w") as fh:
        fh.write("connections { }\n")
    rc, out = swanctl(moon, "--load-all", "--noprompt", "--file", f)
    check(rc == 0 and "no connections found, 1 unloaded" in out,
          "load-all of an empty file unloads it", out)
    check(conns() == before, "list-conns is back to oak.conf's", conns())


def start_errors(d, ports, moon_sock):
    """Sockets that cannot be opened: oakd exits 1 and says which."""
    notsock = os.path.join(d, "plain-file")
    open(notsock, "w").close()
    for sock, what in ((notsock, "not a socket"), (moon_sock, "already listens")):
        text = conf(os.path.join(d, "c"), sock, ports[4], ports[0], "moon.example", "sun.example")
        os.makedirs(os.path.join(d, "c"), exist_ok=True)
        cfg = os.path.join(d, "c", "oak.conf")
        with open(cfg, "w") as f:
            f.write(text)
        p = subprocess.run([OAKD, "-F", "-c", cfg], capture_output=True, text=True, timeout=20)
        errs = [ln for ln in p.stderr.splitlines() if ln.startswith("err")]
        check(p.returncode == 1 and len(errs) == 1 and sock in errs[0] and what in errs[0],
              f"start-up with socket {what}: exit 1 and one error line ({p.returncode}, {errs})")
    check(os.path.isfile(notsock), "the file in the way is left alone")


def main():
    with tempfile.TemporaryDirectory(prefix="oakd-vici-") as d:
        ports = free_ports(6)
        moon_sock = os.path.join(d, "moon", "run", "oak", "oak.vici")  # dirs made by oakd
        sun_sock = os.path.join(d, "sun", "oak.vici")
        with open(os.path.join(d, "strongswan.conf"), "w") as f:
            f.write("swanctl {\n  load = random nonce\n}\n")
        os.environ["STRONGSWAN_CONF"] = os.path.join(d, "strongswan.conf")
        monitor = None
        try:
            _, moon_log = start(d, "moon", conf(os.path.join(d, "moon"), moon_sock, ports[0],
                                                ports[2], "moon.example", "sun.example",
                                                BAD_CONN.format(peer_port=ports[2])))
            _, sun_log = start(d, "sun", conf(os.path.join(d, "sun"), sun_sock, ports[2],
                                              ports[0], "sun.example", "moon.example"))
            for name, p, log in procs:
                check(wait_for(lambda: log_has(log, "oakd started")), f"{name}: oakd starts")
            check(stat.S_ISSOCK(os.stat(moon_sock).st_mode), "moon: the VICI socket exists")
            mode = stat.S_IMODE(os.stat(os.path.dirname(moon_sock)).st_mode)
            check(mode == 0o750, f"moon: oakd made the socket's directory 0750 ({mode:o})")
            check(log_has(moon_log, "VICI listening on " + moon_sock), "moon: listening is logged")
            rc, out, _ = oakctl(moon_sock, "version")
            check(rc == 0 and "oakd" in out, f"oakctl version reaches oakd: {out.strip()!r}")
            if os.access(SWANCTL, os.X_OK):
                monitor = subprocess.Popen([SWANCTL, "--monitor-sa", "--raw", "--uri",
                                            "unix://" + sun_sock],
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           text=True)
                time.sleep(0.3)  # registered before the SAs come
            spis = test_up(moon_sock, sun_sock)
            if spis:
                ike = test_json(moon_sock, sun_sock, spis)
                if ike:
                    test_swanctl(moon_sock, sun_sock, spis, ike)
            test_down(moon_sock, sun_sock)
            if monitor:
                time.sleep(0.3)
                monitor.send_signal(signal.SIGINT)
                try:
                    mon, _ = monitor.communicate(timeout=5)
                except subprocess.TimeoutExpired:
                    monitor.kill()
                    mon, _ = monitor.communicate()
                ev = re.findall(r"^(ike|child)-updown event \{(up=yes )?", mon, re.M)
                check(sorted(ev) == [("child", ""), ("child", "up=yes "), ("ike", ""),
                                     ("ike", "up=yes ")] and spis is not None and spis[0] in mon,
                      "swanctl --monitor-sa on sun saw ike/child up and down events", mon)
                monitor = None
            test_child_control(moon_sock, sun_sock, procs[0][1], moon_log)
            test_failures(moon_sock)
            test_vici_config(d, moon_sock, procs[0][1], moon_log, ports[2])
            start_errors(d, ports, moon_sock)

            sun = procs[1][1]
            sun.send_signal(signal.SIGTERM)
            check(sun.wait(timeout=10) == 0, "sun stops cleanly")
            check(not os.path.exists(sun_sock), "sun removed its socket")
            rc, out, err = oakctl(sun_sock, "status")
            check(rc == 3, f"oakctl status against a stopped daemon exits 3 ({rc}, {err.strip()!r})")
        finally:
            if monitor and monitor.poll() is None:
                monitor.kill()
                monitor.wait()
            for name, p, log in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            if failures:
                for name, p, log in procs:
                    print(f"---- {name}'s log ----")
                    print(open(log, errors="replace").read())
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
