#!/usr/bin/env bash
# The layering rule, checked on the sources: a file includes only headers of its own layer and of the
# layers below it (base < traces < sim < models/s390_ioat < models (the registry) < cli; tests see all). The build enforces the
# same through each library's include directories; this names the offending line when it breaks, and
# also checks that the engine never mentions the models' folder.
. "$(dirname "$0")/lib.sh"
SRC=$1
cd "$SRC"
layers=(base traces sim models/s390_ioat models/vtd models cli)
for ((i = 0; i < ${#layers[@]}; i++)); do
	dir=${layers[$i]}
	allowed=("${layers[@]:0:$((i + 1))}")
	for f in "$dir"/*.[ch] "$dir"/*.def; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			h=$(echo "$inc" | sed -E 's/^#include "([^"]+)".*/\1/')
			[ "$h" = version.h ] && [ "$dir" = cli ] && continue # generated into the build tree
			found=""
			for a in "${allowed[@]}"; do [ -e "$a/$h" ] && found=$a; done
			if [ -n "$found" ]; then ok; else bad "$f: #include \"$h\" is not in $dir or a layer below it"; fi
		done < <(grep -E '^#include "' "$f")
	done
done
if grep -rn "models/" sim/ > "$T/grep"; then bad "the engine mentions models/:"; cat "$T/grep"; else ok; fi
# Models reach a simulation only through its services (sim.h: sim_cfg(), sim_vm(), sim_charge(), ...),
# never through the fields of struct sim (a strategy names its simulation s).
if grep -nE '\bs->(cfg|vm|host|guest|model|life_ops|st|mem|recno|ops|q|now|strat|iotlb)\b' models/*/*.[ch] > "$T/grep"; then
	bad "a model reads struct sim's fields:"
	cat "$T/grep"
else
	ok
fi
# The front end reaches models only through the registry (models/models.h), and struct sim only through
# sim.h's accessors: it includes no model's own header and not the engine's private sim_impl.h.
bad_inc=""
for f in cli/*.[ch]; do
	while IFS= read -r inc; do
		h=$(echo "$inc" | sed -E 's/^#include "([^"]+)".*/\1/')
		for d in models/*/; do [ -e "$d$h" ] && bad_inc="$bad_inc $f:$h"; done
		[ "$h" = sim_impl.h ] && bad_inc="$bad_inc $f:$h"
	done < <(grep -E '^#include "' "$f")
done
if [ -z "$bad_inc" ]; then ok; else bad "the front end includes a model's or the engine's private header:$bad_inc"; fi
for f in models/*/*.[ch]; do
	if grep -q '#include "sim_impl.h"' "$f"; then bad "$f includes the engine's private header"; else ok; fi
done
finish
