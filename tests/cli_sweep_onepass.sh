#!/usr/bin/env bash
# iowalk sweep with one_pass = 1: a grid whose only axis is a cache's size is answered by one replay
# (iowalk mrc's curves), and each row equals what the same sweep without one_pass (a run per point) counts
# in that structure: IOTLB misses on a generated s390 workload with reuse and on a real x86 capture (VT-d
# designs), walk-cache hits on s390, the same config_hash and trace_hash. Grids one pass cannot answer,
# --emit-jobs/--merge and another sweep's CSV are refused.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
cd "$T" || exit 1

# col FILE NAME: the column number of NAME in FILE's header.
col() { head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
# compare_rows ONEPASS RUNS RUNCOLUMN ONEPASSCOLUMN: each (point, strategy) row's value equal in both.
compare_rows() {
	local a=$1 b=$2 rc op
	rc=$(col "$b" "$3")
	op=$(col "$a" "$4")
	local pa pb sa sb ca cb ta tb
	pa=1 pb=1
	sa=$(col "$a" strategy) sb=$(col "$b" strategy)
	ca=$(col "$a" config_hash) cb=$(col "$b" config_hash)
	ta=$(col "$a" trace_hash) tb=$(col "$b" trace_hash)
	tail -n +2 "$a" | awk -F, -v p=$pa -v s=$sa -v v=$op -v c=$ca -v t=$ta '{ print $p "|" $s "|" $v "|" $c "|" $t }' | sort > "$T/a.rows"
	tail -n +2 "$b" | awk -F, -v p=$pb -v s=$sb -v v=$rc -v c=$cb -v t=$tb '{ print $p "|" $s "|" $v "|" $c "|" $t }' | sort > "$T/b.rows"
	if [ -s "$T/a.rows" ] && diff "$T/a.rows" "$T/b.rows" > "$T/d"; then
		ok
	else
		bad "$1 vs $2 ($4 vs $3): $(head -6 "$T/d")"
	fi
}
# same_sweep NAME SPEC RUNCOLUMN ONEPASSCOLUMN: SPEC with one_pass = 1 and without it agree.
same_sweep() {
	printf '%s\n' "$2" > "$1-runs.ini"
	sed 's/^\[sweep\]$/[sweep]\none_pass = 1/' "$1-runs.ini" > "$1-one.ini"
	"$IOWALK" sweep "$1-runs.ini" -o "$1-runs.csv" -q -j 2 2> err || { bad "$1 runs: $(cat err)"; return; }
	"$IOWALK" sweep "$1-one.ini" -o "$1-one.csv" 2> err || { bad "$1 one pass: $(cat err)"; return; }
	grep -q 'at most 0 lookups inexact' err && ok || bad "$1: $(cat err)"
	[ "$(wc -l < "$1-one.csv")" = "$(wc -l < "$1-runs.csv")" ] && ok || bad "$1: $(wc -l < "$1-one.csv") vs $(wc -l < "$1-runs.csv") lines"
	compare_rows "$1-one.csv" "$1-runs.csv" "$3" "$4"
	# Misses vary with the size on these workloads (the test would hold for any constant otherwise).
	[ "$(tail -n +2 "$1-one.csv" | cut -d, -f"$(col "$1-one.csv" "$4")" | sort -u | wc -l)" -gt 2 ] && ok ||
		bad "$1: the swept structure's counts do not vary with its size"
}

same_sweep iotlb "[sweep]
generator = random
strategies = kvm-gfn,root-pfn,qemu
check = 1
[gen]
ops = 4000
zipf = 1
[set]
device.walkers = 4096
device.iotlb_ways = 4
[grid]
set.device.iotlb_entries = 4..4096*4" iotlb_misses misses

same_sweep iotlb-full "[sweep]
generator = random
strategies = kvm-gfn
[gen]
ops = 3000
zipf = 1
[set]
device.walkers = 4096
device.iotlb_ways = 16
[grid]
set.device.iotlb_entries = 16..1024*2" iotlb_misses misses

same_sweep x86 "[sweep]
trace = $SRC/traces/real/linux-6.12-x86-nvme-lazy-dd.trace.zst
strategies = nested,passthrough
[set]
device.walkers = 4096
[grid]
set.device.iotlb_entries = 16..1024*4" iotlb_misses misses

# A walk-cache axis: the run's walk_cache_hits is the swept cache's own when it is the only one.
same_sweep wc "[sweep]
generator = random
strategies = kvm-gfn,root-pfn
[gen]
ops = 4000
guest-ram = 4096
zipf = 0.5
[set]
device.walkers = 4096
device.iotlb_entries = 16
device.wc_rt_entries = 0
[grid]
set.device.wc_st_entries = 4..64*2" walk_cache_hits hits

# A sweep run point by point whose grid one pass could answer says so (the runs' stderr above).
printf '[sweep]\ntrace = default\nstrategies = kvm-gfn\n[grid]\nset.device.iotlb_entries = 16, 32\n' > hint.ini
printf '[sweep]\ntrace = default\nstrategies = kvm-gfn\n[grid]\nset.device.walkers = 1, 2\n' > nohint.ini
"$IOWALK" sweep hint.ini -o hint.csv -j 1 2> err && grep -q "note: this grid's only axis is a cache's size: with one_pass = 1" err &&
	"$IOWALK" sweep nohint.ini -o nohint.csv -j 1 2> err && ! grep -q "one_pass" err && ok || bad "the one-pass note: $(cat err)"
# What one pass cannot answer is refused, naming why.
refused() { # NAME SPEC WORDS
	printf '%s\n' "$2" > "$1.ini"
	if "$IOWALK" sweep "$1.ini" -o "$1.csv" 2> err; then
		bad "$1: accepted"
	else
		grep -q -- "$3" err && ok || bad "$1: $(cat err)"
		[ ! -e "$1.csv" ] && ok || bad "$1: wrote $1.csv"
	fi
}
refused two-axes "[sweep]
trace = default
one_pass = 1
[grid]
set.device.iotlb_entries = 16, 32
set.device.walkers = 1, 2" "grid of one axis.*this grid has 2"
refused not-a-size "[sweep]
trace = default
one_pass = 1
[grid]
set.device.walkers = 1, 2" "not set.device.walkers"
refused not-pow2 "[sweep]
trace = default
one_pass = 1
[grid]
set.device.iotlb_entries = 16, 48" "= 48: the curves count powers of two"
refused warmup "[sweep]
trace = default
one_pass = 1
warmup = 10
[grid]
set.device.iotlb_entries = 16, 32" "warmup must be 0"
refused wc-too-big "[sweep]
trace = default
one_pass = 1
[grid]
set.device.wc_st_entries = 512, 1024" "from 1 to 512"
printf '[sweep]\ntrace = default\none_pass = 1\n[grid]\nset.device.iotlb_entries = 16, 32\n' > ok.ini
for opt in --emit-jobs --merge; do
	mkdir -p jobs
	if "$IOWALK" sweep ok.ini $opt jobs -o x.csv > /dev/null 2> err; then bad "one_pass with $opt: accepted"; else
		grep -q "is for a run per point" err && ok || bad "one_pass with $opt: $(cat err)"
	fi
done
# Another sweep's CSV is left as it is; the same sweep's is rewritten (the same bytes).
cp iotlb-runs.csv other.csv
if "$IOWALK" sweep ok.ini -o other.csv 2> err; then bad "another sweep's CSV replaced"; else
	cmp -s other.csv iotlb-runs.csv && grep -q "another sweep's rows" err && ok || bad "other CSV: $(cat err)"
fi
"$IOWALK" sweep ok.ini -o same.csv -q && cp same.csv same0.csv && "$IOWALK" sweep ok.ini -o same.csv -q &&
	cmp -s same.csv same0.csv && ok || bad "rerun of a one-pass sweep"
finish
