#!/usr/bin/env python3
"""summary.py LOG...: count meson test results (testlog.json files) and extra
check results, print one line per failure and return the counts.

Extra checks are lines "PASS name" / "FAIL name" in files given with --checks.
Prints 'N passed, N failed' as its last line; exits 1 when anything failed."""
import json
import sys


def main(argv):
    passed = failed = skipped = 0
    checks = []
    logs = []
    it = iter(argv)
    for a in it:
        if a == "--checks":
            checks.append(next(it))
        else:
            logs.append(a)
    for path in logs:
        try:
            lines = open(path).read().splitlines()
        except OSError:
            print(f"FAIL {path}: no test log (the build or the test run did not happen)")
            failed += 1
            continue
        for line in lines:
            if not line.strip():
                continue
            t = json.loads(line)
            r = t.get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
                print(f"SKIP {t.get('name')} in {path}")
            else:
                failed += 1
                print(f"FAIL {t.get('name')} ({r}) in {path}")
    for path in checks:
        try:
            lines = open(path).read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            word, _, name = line.partition(" ")
            if word == "PASS":
                passed += 1
            elif word == "FAIL":
                failed += 1
                print(f"FAIL {name}")
    if skipped:
        print(f"{skipped} skipped (opt-in or missing tools; listed above)")
    # the last line is exactly "N passed, N failed" (what CI reads)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
