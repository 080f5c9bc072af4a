#!/bin/bash
# static-check.sh BUILD_DIR: clang-tidy (checks in .clang-tidy) and cppcheck over
# src/. Every remaining finding is either fixed or suppressed where it stands
# with a comment saying why. Exit 1 on any finding.
set -u
build=${1:?usage: static-check.sh BUILD_DIR (with compile_commands.json)}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
rc=0
srcs=$(git ls-files "src/*.c" 2>/dev/null); [ -n "$srcs" ] || srcs=$(find src -name "*.c" | sort)
# two clang-tidy processes (CI machines have 2 cores); they share the log's
# file offset, so their lines do not overwrite each other
# shellcheck disable=SC2086
if ! printf '%s\n' $srcs | xargs -P 2 -n 8 clang-tidy -p "$build" --quiet >"$build/clang-tidy.log" 2>&1; then
	rc=1
fi
if grep -E '(warning|error):' "$build/clang-tidy.log"; then rc=1; fi
[ $rc = 0 ] && echo "clang-tidy: clean ($(echo $srcs | wc -w) files)"
# Every function that starts a va_list ends it: the count of va_start/va_copy and
# of va_end match per file (clang 14's valist checker is off, see .clang-tidy).
for f in $srcs; do
	s=$(grep -cE '\bva_(start|copy)\(' "$f"); e=$(grep -cE '\bva_end\(' "$f")
	if [ "$s" != "$e" ]; then echo "$f: $s va_start/va_copy but $e va_end"; rc=1; fi
done
if ! cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	--inline-suppr --std=c11 -D__GNUC__ -Isrc --suppress=missingIncludeSystem $srcs; then
	rc=1
else
	echo "cppcheck: clean"
fi
exit $rc
