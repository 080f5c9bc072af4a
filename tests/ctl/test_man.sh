#!/bin/bash
# test_man.sh PAGE...: each man page built from dist/man/*.scd renders with
# man -l without warnings and has the sections a reader looks for. Exit 77
# when man is missing.
set -u
command -v man >/dev/null || { echo "SKIP: no man(1)"; exit 77; }
fail=0
for page in "$@"; do
    name=$(basename "$page")
    out=$(MANWIDTH=80 man -l "$page" 2>"$page.err")
    if [ $? != 0 ] || [ -s "$page.err" ]; then
        echo "FAIL: man -l $name"; cat "$page.err"; fail=1; continue
    fi
    for sec in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
        [ "$sec" = SYNOPSIS ] && [ "${name%.5}" != "$name" ] && continue
        echo "$out" | grep -q "^$sec" && echo "PASS: $name has $sec" || { echo "FAIL: $name has no $sec"; fail=1; }
    done
    echo "$out" | grep -q "^${name%.*}(${name##*.})" && echo "PASS: $name header" || { echo "FAIL: $name header"; fail=1; }
    rm -f "$page.err"
done
case " $* " in
*oakctl.8*) MANWIDTH=80 man -l "$(printf '%s\n' "$@" | grep oakctl.8)" | grep -q "3 oakd unreachable" &&
    echo "PASS: oakctl(8) lists the exit codes" || { echo "FAIL: oakctl(8) exit codes"; fail=1; } ;;
esac
exit $fail
