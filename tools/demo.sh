#!/bin/bash
# demo.sh: the README's main job. Installs the build dependencies (Debian
# packages, as root), builds oak and runs its crypto self-test: every
# transform, DH group and signature scheme exercised on this machine, with
# what each costs. (When oakd can negotiate, this becomes the two-daemon
# tunnel demo.)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${OAK_BUILD:-$top/build-demo}
cd "$top" || exit 1
if [ "$(id -u)" = 0 ]; then
	tools/install-deps.sh build || exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Dbuildtype=release -Dtests=false >/dev/null || exit 1
fi
ninja -C "$build" tools/oak-selftest >/dev/null || exit 1
exec "$build/tools/oak-selftest" "$top/tests/vectors/sig"
