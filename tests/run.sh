#!/bin/bash
# run.sh: the test command of README.md. Installs what is missing (Debian
# packages), builds oak with warnings as errors and runs every suite. The last
# line is "N passed, N failed". Needs root for package installation and for the
# network-namespace suites.
#   OAK_BUILD=dir   build directory (default build-test)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${OAK_BUILD:-$top/build-test}
cd "$top" || exit 1
if [ "$(id -u)" = 0 ]; then
	tools/install-deps.sh all || { echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Dwerror=true -Dbuildtype=debugoptimized >"$top/.setup.log" 2>&1 ||
		{ cat "$top/.setup.log"; echo "0 passed, 1 failed"; exit 1; }
	rm -f "$top/.setup.log"
fi
if ! ninja -C "$build"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
meson test -C "$build" --num-processes 2 --print-errorlogs
python3 tests/summary.py "$build/meson-logs/testlog.json"
