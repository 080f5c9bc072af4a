#!/usr/bin/env python3
"""oakd_test.py OAKD: oakd as a user runs it, on loopback only.

--check-config on good and bad files (exit codes, FILE:LINE messages), usage
errors, then a daemon on 127.0.0.1 high ports with a PSK config: a datagram
of garbage, an IKE_SA_INIT request (answered by the IKEv2 engine),
SIGHUP with a broken file (reload refused, daemon still serving), SIGHUP
with a good one, SIGTERM (exit 0). Only the PIDs this script starts are
signalled.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

OAKD = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args):
    p = subprocess.run([OAKD, *args], capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def free_ports():
    """Two consecutive free UDP ports on 127.0.0.1 (checked, then released)."""
    base = 30000 + (os.getpid() % 1000) * 20
    for port in range(base, base + 4000, 2):
        socks = []
        try:
            for p in (port, port + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return port, port + 1
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise SystemExit("no free ports")


def conf(d, port, nat_t):
    return f"""
daemon {{
    listen = 127.0.0.1
    port = {port}
    port_nat_t = {nat_t}
    record_file = {d}/record.json
    socket = {d}/oak.vici
    log {{
        net = debug
    }}
}}
connections {{
    gw {{
        version = 2
        local_addrs = 127.0.0.1
        proposals = aes256-sha256-x25519
        local {{
            auth = psk
            id = moon.example
        }}
        remote {{
            auth = psk
            id = sun.example
        }}
        children {{
            net {{
                local_ts = 10.1.0.0/16
                remote_ts = 10.2.0.0/16
                esp_proposals = aes128gcm16
            }}
        }}
    }}
}}
secrets {{
    ike-gw {{
        id-1 = moon.example
        id-2 = sun.example
        secret = 0x00112233445566778899aabbccddeeff
    }}
}}
"""


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def ike_sa_init(spi_i):
    """RFC 7296 1.2: HDR, SAi1, KEi, Ni; AES-CBC-256, SHA2-256, Curve25519."""
    def transform(last, ttype, tid, attrs=b""):
        return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs
    trans = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 256)) + transform(False, 2, 5) +
             transform(False, 3, 12) + transform(True, 4, 31))
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 4) + trans
    sa = payload(34, prop)                                         # next: KE
    ke = payload(40, struct.pack("!HH", 31, 0) + os.urandom(32))   # next: Nonce
    ni = payload(0, os.urandom(32))
    body = sa + ke + ni
    hdr = spi_i + bytes(8) + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body))
    return hdr + body


def wait_for(path, needle, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        with open(path, errors="replace") as f:
            if needle in f.read():
                return True
        time.sleep(0.05)
    return False


def main():
    with tempfile.TemporaryDirectory(prefix="oakd-test-") as d:
        port, nat_t = free_ports()
        good = os.path.join(d, "oak.conf")
        with open(good, "w") as f:
            f.write(conf(d, port, nat_t))
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write("connections {\n gw {\n  proposal = aes128\n"
                    "  children { net {\n   mode = tunel\n  } }\n }\n}\n")

        rc, out, err = run("--check-config", "-c", good)
        check(rc == 0 and out.strip() == "configuration OK: 1 connections, 1 secrets",
              f"--check-config good: rc {rc}, {out.strip()!r} {err.strip()!r}")
        rc, out, err = run("--check-config", "-c", bad)
        lines = err.strip().splitlines()
        check(rc == 2, f"--check-config bad exits 2 (got {rc})")
        check(len(lines) == 2 and lines[0].startswith(bad + ":3: ") and "proposal" in lines[0]
              and lines[1].startswith(bad + ":5: ") and "tunel" in lines[1],
              f"--check-config prints every error as FILE:LINE: {lines}")
        rc, out, err = run("--check-config", "-c", os.path.join(d, "missing.conf"))
        check(rc == 2 and "missing.conf" in err, f"--check-config on a missing file: {rc} {err!r}")
        rc, out, err = run("--no-such-option")
        check(rc == 2 and "usage:" in err, f"unknown option: usage on stderr, exit 2 ({rc})")
        rc, out, err = run("--version")
        check(rc == 0 and out.startswith("oakd "), f"--version: {out!r}")
        rc, out, err = run("-F", "-c", bad)
        check(rc == 1 and len(err.strip().splitlines()) == 1 and bad + ":3:" in err,
              f"start-up with a bad config: exit 1, one line ({rc}, {err!r})")

        log = os.path.join(d, "oakd.log")
        with open(log, "w") as logf:
            p = subprocess.Popen([OAKD, "-F", "-c", good], stdout=logf, stderr=logf)
        try:
            check(wait_for(log, "oakd started"), "oakd starts")
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2.0)
            s.bind(("127.0.0.1", 0))
            s.sendto(b"garbage", ("127.0.0.1", port))
            check(wait_for(log, "dropped a 7-byte datagram"), "garbage is dropped and logged")
            check(p.poll() is None, "oakd survives garbage")

            def answers():
                spi = os.urandom(8)
                s.sendto(ike_sa_init(spi), ("127.0.0.1", port))
                try:
                    data, src = s.recvfrom(65535)
                except socket.timeout:
                    return False
                # our SPI, IKE_SA_INIT (34), the Response flag, and an SA payload
                # (33) first: the proposal was taken, not refused with a Notify
                return (src == ("127.0.0.1", port) and data[:8] == spi and data[18] == 34
                        and data[19] & 0x20 != 0 and data[16] == 33)

            check(answers(), "IKE_SA_INIT is answered from the port it came to")

            with open(good) as f:
                good_text = f.read()
            with open(good, "w") as f:
                f.write("connections {\n gw {\n  children { x\n")
            p.send_signal(signal.SIGHUP)
            check(wait_for(log, "reload failed, keeping the running configuration: " + good + ":"),
                  "SIGHUP with a broken file: reload failed, FILE:LINE logged")
            check(p.poll() is None, "oakd keeps running after a failed reload")
            s.sendto(b"more garbage", ("127.0.0.1", port))
            check(wait_for(log, "dropped a 12-byte datagram"), "still serving after the reload")
            check(answers(), "IKE_SA_INIT still answered after the failed reload")
            with open(good, "w") as f:
                f.write(good_text)
            p.send_signal(signal.SIGHUP)
            check(wait_for(log, "configuration reloaded: 1 connections"), "SIGHUP with a good file")

            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                rc = None
            check(rc == 0, f"SIGTERM: clean exit 0 (got {rc})")
            check(wait_for(log, "oakd stopped"), "stop is logged")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            if failures:
                print("---- oakd log ----")
                print(open(log).read())
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
