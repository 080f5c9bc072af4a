#!/bin/bash
# test_systemd.sh UNIT: systemd-analyze security --offline rates the built
# oakd.service OK or better (exposure below 5.0), and the unit says what the
# daemon relies on. Exit 77 (skip) where systemd-analyze cannot do offline
# reviews (no systemd, or one older than 252).
set -u
UNIT=$1
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp "$UNIT" "$W/oakd.service"
cd "$W" || exit 1
systemd-analyze security --offline=yes oakd.service >out 2>err
rc=$?
if grep -qiE "unrecognized option|unknown option|invalid option" err; then
    echo "SKIP: this systemd-analyze has no --offline"; exit 77
fi
fail=0
line=$(grep "Overall exposure level" out)
echo "$line"
[ "$rc" = 0 ] || { echo "FAIL: systemd-analyze exited $rc"; cat err; fail=1; }
echo "$line" | grep -Eq "level for oakd.service: [0-4]\.[0-9] (OK|SAFE|PERFECT)" &&
    echo "PASS: rated OK or better" || { echo "FAIL: rated worse than OK"; grep '✗' out; fail=1; }
systemd-analyze security --offline=yes --threshold=49 oakd.service >/dev/null 2>&1 &&
    echo "PASS: --threshold=49 holds" || { echo "FAIL: --threshold=49"; fail=1; }
for want in "Type=notify" "WatchdogSec=" "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE" \
    "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK" "SystemCallFilter=@system-service"; do
    grep -q "^$want" oakd.service && echo "PASS: $want" || { echo "FAIL: no $want"; fail=1; }
done
grep -Eq "^ExecStart=/.*/oakd -F " oakd.service && echo "PASS: ExecStart is an absolute oakd -F" ||
    { echo "FAIL: ExecStart"; fail=1; }
exit $fail
