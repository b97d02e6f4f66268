#!/usr/bin/env bash
# The end-to-end configuration matrix: IOAT levels 3/4/5 (with host DAT and root-table levels to match)
# x host backing 4 KiB / 1 MiB / 2 GiB x root large frames off/on x root software walk cache off/on, every
# strategy with --check, on a hand-written trace (traces/samples/matrix.trace) and a generated one. Every
# number of every run (the CSV report: totals, distributions, breakdown, operation, cache and fault
# counters) must equal tests/golden/matrix.csv exactly.
# usage: matrix.sh IOWALK SOURCE_DIR [--update]   (--update rewrites the golden file: on purpose only)
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
MODE=${3:-}
golden="$SRC/tests/golden/matrix.csv"
out="$T/matrix.csv"
first=1
for L in 3 4 5; do
	sed "s/^0 IOAT 0 0x1000000 3\$/0 IOAT 0 0x1000000 $L/" "$SRC/traces/samples/matrix.trace" > "$T/hand-$L.trace"
	"$IOWALK" trace gen nic-ring --ops 400 --seed 11 --levels "$L" --rpcit lazy:8 --memslots 2 --guest-ram 8192 \
		-o "$T/gen-$L.trace" 2> "$T/gen.err" || { bad "trace gen --levels $L: $(cat "$T/gen.err")"; continue; }
	for trace in hand gen; do
		for page in 4 1024 2097152; do
			for large in 0 1; do
				for swc in 0 64; do
					lead="$trace,$L,$page,$large,$swc"
					if ! "$IOWALK" run "$T/$trace-$L.trace" --check -q --csv "$T/run.csv" \
						--set vm.host_levels="$L" --set vm.root_levels="$L" --set vm.host_page_kib="$page" \
						--set vm.root_large="$large" --set root.swcache_entries="$swc" 2> "$T/run.err"; then
						bad "$lead: $(cat "$T/run.err")"
						continue
					fi
					nobuild "$T/run.csv"
					if [ $first -eq 1 ]; then
						echo "trace,levels,host_page_kib,root_large,swcache_entries,$(head -1 "$T/run.csv")" > "$out"
						first=0
					fi
					tail -n +2 "$T/run.csv" | sed "s/^/$lead,/" >> "$out"
					ok
				done
			done
		done
	done
done
golden_compare matrix "$golden" "$out" "$MODE" 40
finish
