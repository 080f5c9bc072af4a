#!/bin/sh
# check-layering.sh SRC: every #include "layer/..." in src/ names the file's own
# layer or one it may use (docs/ARCHITECTURE.md, "Layers"). The static libraries
# enforce the same at link time; this catches header-only reach-ups too.
src=${1:?usage: check-layering.sh SRC}
allowed() {   # allowed LAYER -> the layers it may include
	case $1 in
	lib) echo "lib" ;;
	wire) echo "lib wire" ;;
	crypto) echo "lib crypto" ;;
	ike) echo "lib wire crypto conf ike" ;;
	ikev1|ikev2) echo "lib wire crypto conf ike $1" ;;
	kernel) echo "lib kernel" ;;
	net) echo "lib net" ;;
	conf) echo "lib crypto conf" ;;
	vici) echo "lib wire crypto conf ike vici" ;;
	daemon) echo "lib wire crypto ike ikev1 ikev2 kernel net conf vici daemon" ;;
	ctl) echo "lib wire crypto vici ctl" ;;
	*) echo "" ;;
	esac
}
bad=0
for f in $(find "$src" -name '*.[ch]' | sort); do
	layer=$(echo "${f#"$src"/}" | cut -d/ -f1)
	ok=$(allowed "$layer")
	if [ -z "$ok" ]; then
		echo "$f: folder '$layer' is not a layer of docs/ARCHITECTURE.md"; bad=1; continue
	fi
	for inc in $(sed -n 's/^#include "\([a-z0-9_]*\)\/.*/\1/p' "$f" | sort -u); do
		case " $ok " in
		*" $inc "*) ;;
		*) echo "$f: layer '$layer' includes '$inc/' (it may use: $ok)"; bad=1 ;;
		esac
	done
done
[ $bad = 0 ] && echo "layering: every include goes down"
exit $bad
