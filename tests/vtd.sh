#!/usr/bin/env bash
# The VT-d golden: generated VT-d workloads (strict and lazy nvme, a nic ring, two functions, second stages
# of 3 and 5 levels, 4 KiB-only leaves) under every VT-d strategy with --check. Every number of every run
# (the CSV report) must equal tests/golden/vtd.csv exactly.
# usage: vtd.sh IOWALK SOURCE_DIR [--update]   (--update rewrites the golden file: on purpose only)
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
MODE=${3:-}
golden="$SRC/tests/golden/vtd.csv"
out="$T/vtd.csv"
first=1
run() { # LEAD TRACE SETTINGS...
	local lead=$1 trace=$2
	shift 2
	if ! "$IOWALK" run "$trace" --check -q --csv "$T/run.csv" "$@" 2> "$T/run.err"; then
		bad "$lead: $(cat "$T/run.err")"
		return
	fi
	nobuild "$T/run.csv"
	if [ $first -eq 1 ]; then
		echo "case,$(head -1 "$T/run.csv")" > "$out"
		first=0
	fi
	tail -n +2 "$T/run.csv" | sed "s/^/$lead,/" >> "$out"
	ok
}
"$IOWALK" trace gen nvme --ops 300 --seed 3 --format vtd -o "$T/strict.trace" 2>/dev/null
"$IOWALK" trace gen nvme --ops 300 --seed 3 --rpcit lazy:16 --format vtd -o "$T/lazy.trace" 2>/dev/null
"$IOWALK" trace gen nic-ring --ops 300 --seed 5 --format vtd --levels 5 -o "$T/nic5.trace" 2>/dev/null
"$IOWALK" trace gen vm --ops 200 --seed 7 --functions 2 --format vtd -o "$T/vm2.trace" 2>/dev/null
run strict "$T/strict.trace"
run lazy "$T/lazy.trace"
run nic5 "$T/nic5.trace"
run vm2 "$T/vm2.trace"
run s2-3-levels "$T/strict.trace" --set vtd.s2_levels=3
run s2-5-levels "$T/strict.trace" --set vtd.s2_levels=5
run 4k-only "$T/strict.trace" --set vtd.s2_max_page_kib=4 --set vtd.guest_max_page_kib=4
run tiny-caches "$T/lazy.trace" --set vtd.pwc_pd_entries=1 --set vtd.iotlb_2m_entries=1 --set vtd.context_cache_entries=0
golden_compare vtd "$golden" "$out" "$MODE" 40
finish
