#!/usr/bin/env python3
"""record.py FILE VERB [CHILD]: read the record file of oakd's record kernel
backend (src/kernel/record.h: one JSON object per line, op add_sa, del_sa,
add_policy, del_policy) and print what the netns tests compare.

  spis CHILD     "IN OUT": the SPIs of CHILD's last installed SA pair
  algs CHILD     "ENCR/BITS INTEG/TRUNC" of that pair (both directions must agree)
  deleted        the SPIs deleted so far (del_sa), one per line
  summary        one readable line per SA and policy (the demo prints it)

Exit 1 (with a message on stderr) when the file lacks what was asked.
"""
import json
import sys


def lines(path):
    out = []
    with open(path) as f:
        for n, text in enumerate(f, 1):
            text = text.strip()
            if not text:
                continue
            try:
                out.append(json.loads(text))
            except ValueError as e:
                sys.exit(f"{path}:{n}: not a JSON line: {e}")
    return out


def last_pair(recs, child):
    """The last inbound and outbound add_sa of child (an SPI allocated and then
    updated appears twice; the later line wins)."""
    pair = {}
    for r in recs:
        if r.get("op") == "add_sa" and r.get("child") == child:
            pair[r["dir"]] = r
    if "in" not in pair or "out" not in pair:
        sys.exit(f"no inbound and outbound add_sa for child {child!r} "
                 f"(found: {sorted(pair)})")
    return pair["in"], pair["out"]


def alg(r):
    """XFRM's names: "cbc(aes)/128 hmac(sha256)/128", AEAD "rfc4106(gcm(aes))/256 icv/128"."""
    encr = f"{r.get('encr')}/{r.get('encr_key_bits')}"
    if r.get("integ") is None:
        return f"{encr} icv/{r.get('icv_bits')}"
    return f"{encr} {r.get('integ')}/{r.get('integ_trunc_bits')}"


def encap(r):
    e = r.get("encap")
    if not e:
        return ""
    oa = f" oa {e['oa']}" if e.get("oa") else ""  # RFC 3947 NAT-OA, transport mode
    return f" encap udp {e.get('sport')}->{e.get('dport')}{oa}"


def summary(recs):
    for r in recs:
        op = r.get("op")
        if op == "add_sa":
            print(f"{op:10} {r.get('conn')}/{r.get('child')} {r['dir']:3} {r['proto']} "
                  f"spi {r['spi']} {r['src']} -> {r['dst']} {r.get('mode')} {alg(r)}"
                  f"{encap(r)}")
        elif op == "del_sa":
            print(f"{op:10} {r['proto']} spi {r['spi']} dst {r['dst']}")
        elif op in ("add_policy", "del_policy"):
            print(f"{op:10} {r.get('conn')}/{r.get('child')} {r['dir']:3} "
                  f"{r['src']} -> {r['dst']} {r.get('mode')} reqid {r.get('reqid')}"
                  f"{' trap' if r.get('trap') else ''}")
        else:
            print(f"{op}: {json.dumps(r)}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    recs = lines(sys.argv[1])
    verb = sys.argv[2]
    if verb == "summary":
        summary(recs)
        return
    if verb == "deleted":
        for r in recs:
            if r.get("op") == "del_sa":
                print(r["spi"])
        return
    if len(sys.argv) != 4:
        sys.exit(f"record.py: {verb} needs a CHILD name")
    child = sys.argv[3]
    if verb == "spis":
        i, o = last_pair(recs, child)
        print(i["spi"], o["spi"])
    elif verb == "algs":
        i, o = last_pair(recs, child)
        if alg(i) != alg(o):
            sys.exit(f"inbound {alg(i)} and outbound {alg(o)} differ")
        print(alg(i))
    else:
        sys.exit(f"record.py: unknown verb {verb!r}")


if __name__ == "__main__":
    main()
