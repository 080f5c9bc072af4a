#!/bin/sh
# check-layering.sh SRC: every #include "layer/..." in src/ names the file's own
# layer or one it may use (docs/ARCHITECTURE.md, "Layers"). The static libraries
# enforce the same at link time; this catches header-only reach-ups too.
src=${1:?usage: check-layering.sh SRC}
cd "$src" || exit 1
# one pass over every include line: FILE:#include "LAYER/..."
grep -rHo --include='*.[ch]' '^#include "[a-z0-9_]*/' . | awk -F: '
BEGIN {
	allow["lib"] = "lib"
	allow["wire"] = "lib wire"
	allow["crypto"] = "lib crypto"
	allow["conf"] = "lib crypto conf"
	allow["ike"] = "lib wire crypto conf ike"
	allow["ikev1"] = "lib wire crypto conf ike ikev1"
	allow["ikev2"] = "lib wire crypto conf ike ikev2"
	allow["kernel"] = "lib kernel"
	allow["net"] = "lib net"
	allow["vici"] = "lib wire crypto conf ike vici"
	allow["daemon"] = "lib wire crypto conf ike ikev1 ikev2 kernel net vici daemon"
	allow["ctl"] = "lib wire crypto conf vici ctl"
	bad = 0
}
{
	file = substr($1, 3)
	split(file, parts, "/")
	layer = parts[1]
	inc = $2
	sub(/^#include "/, "", inc)
	sub(/\/$/, "", inc)
	if (!(layer in allow)) {
		print "src/" file ": folder \"" layer "\" is not a layer of docs/ARCHITECTURE.md"
		bad = 1
	} else if (index(" " allow[layer] " ", " " inc " ") == 0) {
		print "src/" file ": layer \"" layer "\" includes \"" inc "/\" (it may use: " allow[layer] ")"
		bad = 1
	}
}
END {
	if (!bad)
		print "layering: every include goes down"
	exit bad
}'
