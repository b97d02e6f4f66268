#!/usr/bin/env bash
# The VT-d golden: generated VT-d workloads (strict nvme with and without caching mode, lazy nvme, a nic
# ring, two functions, second stages
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
"$IOWALK" trace gen nvme --ops 300 --seed 3 --caching-mode off --format vtd -o "$T/strict-cm-off.trace" 2>/dev/null
"$IOWALK" trace gen nic-ring --ops 300 --seed 5 --format vtd --levels 5 -o "$T/nic5.trace" 2>/dev/null
"$IOWALK" trace gen vm --ops 200 --seed 7 --functions 2 --format vtd -o "$T/vm2.trace" 2>/dev/null
run strict "$T/strict.trace"
run lazy "$T/lazy.trace"
run strict-cm-off "$T/strict-cm-off.trace"
run nic5 "$T/nic5.trace"
run vm2 "$T/vm2.trace"
run s2-3-levels "$T/strict.trace" --set vtd.s2_levels=3
run s2-5-levels "$T/strict.trace" --set vtd.s2_levels=5
run 4k-only "$T/strict.trace" --set vtd.s2_max_page_kib=4 --set vtd.guest_max_page_kib=4
run tiny-caches "$T/lazy.trace" --set vtd.pwc_pd_entries=1 --set vtd.iotlb_2m_entries=1 --set vtd.context_cache_entries=0
# A v3 RPCIT's scope: a stale IOTLB entry of IOVA 0x5000 (mapped and flushed, then unmapped and remapped
# elsewhere) stays behind a page invalidation of 0x0 and goes with a domain or global one; the leaf hint
# keeps the walk caches.
scope() { # FORMAT LEVELS STRATEGY SCOPE: the run's JSON in $T/scope.json
	printf '%%iowalk-trace 3\n%%format %s\n0 MEMSLOT 0 0x0 0x100000 0x10000000000\n100 IOAT 0 0x1000000 %s\n200 MAP 0 0x5000 0x40000000 0x1000 rw\n250 RPCIT 0 0x5000 0x1000\n300 DMA 0 0x5000 0x1000 r\n400 UNMAP 0 0x5000 0x1000\n500 RPCIT 0 0x0 0x1000%s\n600 MAP 0 0x5000 0x40001000 0x1000 rw\n700 DMA 0 0x5000 0x1000 r\n' \
		"$1" "$2" "$4" > "$T/scope.trace"
	"$IOWALK" run "$T/scope.trace" -s "$3" --check -q --json "$T/scope.json" 2> "$T/scope.err" || bad "scope $*: $(cat "$T/scope.err")"
}
for c in "vtd 4 nested :1" "vtd 4 nested domain:2" "vtd 4 nested global:2" "vtd 4 nested page,leaf:1" "vtd 4 nested domain,leaf:2" \
	"vtd 4 nested-hwq domain:2" "s390-ioat 3 nested :1" "s390-ioat 3 nested global:2"; do
	set -- ${c%:*}
	want=${c##*:}
	scope "$1" "$2" "$3" "${4:+ $4}"
	got=$(jget "$T/scope.json" iotlb_misses)
	[ "$got" = "$want" ] && ok || bad "RPCIT scope '${4:-}' under $1 $3: $got IOTLB misses, expected $want"
done
scope vtd 4 nested " domain"
full=$(jget "$T/scope.json" device_walk_refs)
scope vtd 4 nested " domain,leaf"
leaf=$(jget "$T/scope.json" device_walk_refs)
[ "$leaf" -lt "$full" ] && ok || bad "a leaf-only domain invalidation kept no walk cache entry: $leaf walk references, $full without the hint"
# A guest without caching mode (lazy, or --caching-mode off) flushes no new mapping: the designs that
# learn of mappings only from its flushes (vmm-shadow, kvm-gfn, root-pfn) refuse it, naming why, and are
# left out of 'all' (the golden rows above have only nested, nested-hwq and passthrough for it).
"$IOWALK" run "$T/lazy.trace" -s vmm-shadow -q 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "which the guest mapped but never flushed: vmm-shadow learns of a mapping only from the guest's flush" "$T/err" && ok ||
	bad "vmm-shadow on a guest without caching mode: $(cat "$T/err")"
"$IOWALK" run "$T/strict-cm-off.trace" > "$T/out" 2> "$T/err" && grep -q "^kvm-gfn *not run: .*never flushed" "$T/out" &&
	grep -q "^nested " "$T/out" && ok || bad "all on a caching-mode-off guest: $(cat "$T/err")"
# s390's costs among the engine's parameters (cost.intercept, cost.rpcit, cost.iotlb_inval) are out of a
# VT-d run's scope: not in its configuration, its --print-config or its sensitivity; an s390 run keeps them.
"$IOWALK" run "$T/strict.trace" -s nested -q --json "$T/scope.json" &&
	! grep -q '"cost.intercept"\|"cost.rpcit"\|"cost.iotlb_inval"' "$T/scope.json" && grep -q '"vtd.qi_wait_ns"' "$T/scope.json" &&
	ok || bad "a VT-d report lists s390's engine costs"
# A report names the table format and trace version it was run under; compare says when two differ.
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["trace"]; sys.exit(not (t["format"] == "vtd" and t["version"] == 3))' "$T/scope.json" &&
	ok || bad "a VT-d report's trace.format/version: $(grep -A4 '"trace"' "$T/scope.json")"
"$IOWALK" run "$SRC/traces/samples/tiny.trace" -q --json "$T/s390.json" && "$IOWALK" compare "$T/s390.json" "$T/scope.json" 2>&1 |
	grep -q 'trace.format differs: A "s390-ioat", B "vtd"' && ok || bad "compare of an s390 and a VT-d report names no format difference"
"$IOWALK" run "$T/strict.trace" --print-config | grep -q '^intercept *=' && bad "VT-d --print-config lists cost.intercept" || ok
"$IOWALK" run --print-config | grep -q '^intercept *=' && ok || bad "s390 --print-config lost cost.intercept"
"$IOWALK" sensitivity "$T/nic5.trace" -s nested,passthrough -n 0 -j 1 > "$T/sens.txt" 2>&1 && ! grep -q '^cost.intercept\|^cost.rpcit' "$T/sens.txt" &&
	grep -q '^vtd.qi_wait_ns' "$T/sens.txt" && ok || bad "VT-d sensitivity varies s390's engine costs: $(grep -m2 '^cost\.' "$T/sens.txt")"
golden_compare vtd "$golden" "$out" "$MODE" 40
finish
