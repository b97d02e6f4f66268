#!/usr/bin/env bash
# iowalk mrc: on real traffic where no walk waits for a walker (device.walkers 4096: every lookup's fill
# is the next event of its IOTLB, "0 inexact"), every point of the one-pass curves (fully associative,
# 4 ways, 1 way) equals a separate run of that IOTLB size and associativity; invalidations included
# (strict page flushes; lazy domain flushes). Usage errors are refused.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
check_curve() { # TRACE STRATEGY SIZES...
	local trace=$1 strategy=$2
	shift 2
	"$IOWALK" mrc "$trace" -s "$strategy" --set device.walkers=4096 --csv "$T/m.csv" > "$T/m.txt" 2> "$T/err" ||
		{ bad "mrc $trace: $(cat "$T/err")"; return; }
	grep -q '^iotlb: [0-9]* lookups, 0 inexact;' "$T/m.txt" && ok || bad "mrc $trace: $(grep '^iotlb' "$T/m.txt")"
	for n in "$@"; do
		for w in 1 4 0; do
			ways=$w
			[ "$w" = 0 ] && ways=$n
			"$IOWALK" run "$trace" -s "$strategy" -q --set device.walkers=4096 --set device.iotlb_entries="$n" \
				--set device.iotlb_ways="$ways" --json "$T/r.json" 2> "$T/err" || { bad "run $n/$ways: $(cat "$T/err")"; continue; }
			got=$(grep -m1 '"iotlb_misses"' "$T/r.json" | tr -dc 0-9)
			want=$(grep "^iotlb,$w,$n," "$T/m.csv" | cut -d, -f5)
			[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "$(basename "$trace") $strategy: IOTLB of $n entries, $w ways (0: full): a run misses $got, the curve says $want"
		done
	done
}
check_curve "$SRC/traces/default.trace.zst" kvm-gfn 16 256 4096
check_curve "$SRC/traces/real/linux-6.12-x86-nvme-cm-strict-dd.trace.zst" vmm-shadow 16 64 256 1024 4096
check_curve "$SRC/traces/real/linux-6.12-x86-nvme-lazy-dd.trace.zst" nested 16 128 1024
check_curve "$SRC/traces/real/linux-6.12-x86-e1000e-cm-strict-net.trace.zst" kvm-gfn 16 32 64
check_curve "$SRC/traces/real/linux-6.12-x86-nvme-lazy-dd.trace.zst" passthrough 16 1024
# The configured associativity gets a curve of its own when it is neither 1 nor 4 (8 ways here).
N="$SRC/traces/real/linux-6.12-x86-nvme-cm-strict-dd.trace.zst"
"$IOWALK" mrc "$N" -s vmm-shadow -q --set device.walkers=4096 --set device.iotlb_ways=8 --csv "$T/m8.csv" 2> "$T/err" || bad "mrc 8 ways: $(cat "$T/err")"
for n in 16 256; do
	"$IOWALK" run "$N" -s vmm-shadow -q --set device.walkers=4096 --set device.iotlb_entries=$n --set device.iotlb_ways=8 --json "$T/r.json"
	got=$(grep -m1 '"iotlb_misses"' "$T/r.json" | tr -dc 0-9)
	want=$(grep "^iotlb,8,$n," "$T/m8.csv" | cut -d, -f5)
	[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "IOTLB of $n entries, 8 ways: a run misses $got, the curve says $want"
done
# The walk cache nearest the leaf (looked up first, so its references do not depend on the others):
# nested's paging-structure cache of PD entries at 1 to 16 entries against runs of that size (the other
# walk caches and the stage-2 cache empty, so the run's walk-cache hits are all its own).
T2="$SRC/traces/real/linux-6.12-x86-nvme-lazy-dd.trace.zst"
zero="--set vtd.pwc_pdpt_entries=0 --set vtd.pwc_pml4_entries=0 --set vtd.pwc_pml5_entries=0 --set vtd.s2_cache_entries=0"
"$IOWALK" mrc "$T2" -s nested --set device.walkers=4096 $zero --max-entries 16 --csv "$T/w.csv" -q 2> "$T/err" || bad "mrc walk caches: $(cat "$T/err")"
for n in 1 2 4 16; do
	for w in 1 4 0; do
		ways=$w
		[ "$w" = 0 ] && ways=$n
		"$IOWALK" run "$T2" -s nested -q --set device.walkers=4096 $zero --set vtd.pwc_pd_entries="$n" --set device.wc_ways="$ways" \
			--json "$T/r.json" 2> "$T/err" || { bad "run pd $n/$ways: $(cat "$T/err")"; continue; }
		got=$(grep -m1 '"walk_cache_hits"' "$T/r.json" | tr -dc 0-9)
		want=$(grep "^wc_pd,$w,$n," "$T/w.csv" | cut -d, -f4)
		[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "nested PD walk cache of $n entries, $w ways (0: full): a run hits $got, the curve says $want"
	done
done
# The JSON holds the same numbers as the CSV, in the documented shape.
"$IOWALK" mrc "$SRC/traces/real/linux-6.12-x86-e1000e-cm-strict-net.trace.zst" -s kvm-gfn -q --max-entries 64 \
	--json "$T/m.json" --csv "$T/m2.csv" 2> "$T/err" && python3 - "$T/m.json" "$T/m2.csv" <<'PY' && ok || bad "mrc --json: $(cat "$T/err")"
import csv, json, sys
j = json.load(open(sys.argv[1]))
rows = {(r['structure'], r['ways'], r['entries']): (r['hits'], r['misses']) for r in csv.DictReader(open(sys.argv[2]))}
pts = {(c['structure'], str(c['ways']), str(p['entries'])): (str(p['hits']), str(p['misses'])) for c in j['curves'] for p in c['points']}
names = [c['structure'] for c in j['curves']]
assert names[:3] == ['iotlb'] * 3 and [c['ways'] for c in j['curves']][:3] == [0, 1, 4]
assert all(n.startswith('wc_') for n in names[3:]) and len(names) > 3, names  # without --all-caches
assert pts == rows and len(pts) == len(names) * 7, (len(pts), len(rows))
PY
# The figure, when gnuplot is there: both files, nothing else left behind.
if command -v gnuplot > /dev/null; then
	mkdir "$T/fig"
	"$IOWALK" mrc "$SRC/traces/real/linux-6.12-x86-e1000e-cm-strict-net.trace.zst" -s kvm-gfn -q --figure "$T/fig/m" 2> "$T/err" &&
		[ -s "$T/fig/m.png" ] && [ -s "$T/fig/m.pdf" ] && [ "$(ls "$T/fig" | wc -l)" = 2 ] && ok || bad "mrc --figure: $(cat "$T/err"; ls "$T/fig")"
fi
# VT-d's configuration caches (context, PASID) have curves too: the context cache's at 1 and 16 entries
# against runs of that size.
"$IOWALK" mrc "$SRC/traces/real/linux-6.12-x86-e1000e-cm-strict-net.trace.zst" -s nested -q --all-caches --max-entries 16 --csv "$T/cc.csv" 2> "$T/err" || bad "mrc cc: $(cat "$T/err")"
for n in 1 16; do
	"$IOWALK" run "$SRC/traces/real/linux-6.12-x86-e1000e-cm-strict-net.trace.zst" -s nested -q --set vtd.context_cache_entries=$n --json "$T/r.json"
	got=$(grep -m1 '"context_cache_misses"' "$T/r.json" | tr -dc 0-9)
	want=$(grep "^cc_context,4,$n," "$T/cc.csv" | cut -d, -f5)
	[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "context cache of $n entries: a run misses $got, the curve says $want"
done
# A strategy's own caches: VT-d nested's stage-2 cache (4 ways, or fewer entries fully associative) and
# s390 nested's stage-2 TLB, each against runs of that size with the walk caches empty (so that a
# run's walk-cache hits are that cache's).
"$IOWALK" mrc "$T2" -s nested -q --all-caches --set device.walkers=4096 $zero --set vtd.pwc_pd_entries=0 --max-entries 256 --csv "$T/s2.csv"
for c in "2 0" "64 4" "256 4"; do
	set -- $c
	"$IOWALK" run "$T2" -s nested -q --set device.walkers=4096 $zero --set vtd.pwc_pd_entries=0 --set vtd.s2_cache_entries=$1 --json "$T/r.json"
	got=$(grep -m1 '"walk_cache_hits"' "$T/r.json" | tr -dc 0-9)
	want=$(grep "^s2_cache,$2,$1," "$T/s2.csv" | cut -d, -f4)
	[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "VT-d stage-2 cache of $1 entries: a run hits $got, the curve says $want"
done
nz="--set device.wc_rt_entries=0 --set device.wc_st_entries=0 --set device.walkers=4096"
"$IOWALK" mrc -s nested -q --all-caches $nz --max-entries 256 --csv "$T/st.csv"
for c in "16 1" "16 4" "64 0"; do
	set -- $c
	ways=$2
	[ "$2" = 0 ] && ways=$1
	"$IOWALK" run -s nested -q $nz --set nested.s2_tlb_entries=$1 --set nested.s2_tlb_ways=$ways --json "$T/r.json"
	got=$(grep -m1 '"walk_cache_hits"' "$T/r.json" | tr -dc 0-9)
	want=$(grep "^s2_tlb,$2,$1," "$T/st.csv" | cut -d, -f4)
	[ -n "$got" ] && [ "$got" = "$want" ] && ok || bad "s390 stage-2 TLB of $1 entries, $2 ways: a run hits $got, the curve says $want"
done
# --sample 1 is the exact curve; a rate below 1 leaves the set-associative curves exact (only the fully
# associative one is sampled); a rate outside (0, 1] is refused.
E="$SRC/traces/real/linux-6.12-x86-e1000e-cm-strict-net.trace.zst"
"$IOWALK" mrc "$E" -s kvm-gfn -q --csv "$T/x.csv" && "$IOWALK" mrc "$E" -s kvm-gfn -q --sample 1 --csv "$T/x1.csv" &&
	cmp -s "$T/x.csv" "$T/x1.csv" && ok || bad "--sample 1 differs from the exact curves"
"$IOWALK" mrc "$E" -s kvm-gfn -q --sample 0.5 --csv "$T/x5.csv" && [ "$(grep -v '^[a-z_0-9]*,0,' "$T/x.csv")" = "$(grep -v '^[a-z_0-9]*,0,' "$T/x5.csv")" ] &&
	ok || bad "--sample changed a set-associative curve"
"$IOWALK" mrc --sample 0 2> "$T/err"; [ $? -eq 2 ] && grep -q "expected a rate in (0, 1]" "$T/err" && ok || bad "--sample 0"
"$IOWALK" mrc --sample 0x0.8 2> "$T/err"; [ $? -eq 2 ] && grep -q "expected a rate in (0, 1]" "$T/err" && ok || bad "--sample 0x0.8 (a hex float)"
# Usage errors.
"$IOWALK" mrc --max-entries 100 2> "$T/err"; [ $? -eq 2 ] && grep -q "power of two" "$T/err" && ok || bad "--max-entries 100"
"$IOWALK" mrc -s all 2> "$T/err"; [ $? -eq 2 ] && grep -q "one strategy at a time" "$T/err" && ok || bad "-s all: $(cat "$T/err")"
"$IOWALK" mrc --json '' 2> "$T/err"; [ $? -eq 2 ] && ok || bad "--json ''"
"$IOWALK" mrc --format bogus 2> "$T/err"; [ $? -eq 2 ] && grep -q "unknown table format 'bogus'" "$T/err" && ok || bad "--format bogus: $(cat "$T/err")"
# A VT-d trace through a pipe (read once: its model is not looked up by reading it first) needs --format,
# and then gives what the same file gives.
"$IOWALK" trace gen nvme --format vtd --ops 100 -o "$T/pv.trace" 2> /dev/null
"$IOWALK" mrc <(cat "$T/pv.trace") -q 2> "$T/err"; [ $? -eq 1 ] && grep -q "(a trace on stdin or a pipe: pass --format vtd)" "$T/err" && ok ||
	bad "a VT-d trace through a pipe: $(cat "$T/err")"
"$IOWALK" mrc <(cat "$T/pv.trace") --format vtd -q --csv "$T/pipe.csv" && "$IOWALK" mrc "$T/pv.trace" -q --csv "$T/file.csv" &&
	cmp -s "$T/pipe.csv" "$T/file.csv" && ok || bad "mrc of a VT-d trace through a pipe with --format vtd"
"$IOWALK" mrc "$T/pv.trace" --format s390-ioat -q 2> "$T/err"; [ $? -eq 1 ] && grep -q "table format is vtd, but --format names s390-ioat" "$T/err" &&
	ok || bad "mrc --format s390-ioat on a VT-d trace file: $(cat "$T/err")"
# A result's missing directory is found before the run (it failed after it).
"$IOWALK" mrc -q --csv "$T/nodir/x.csv" 2> "$T/err"; [ $? -eq 1 ] && grep -q "mrc: --csv .*nodir/x.csv: the directory '.*nodir' does not exist" "$T/err" &&
	ok || bad "mrc --csv into a missing directory: $(cat "$T/err")"
# A structure nothing looked up has no curve (a column of "0 (0.00%)" read as a perfect cache).
grep -v ' DMA ' "$SRC/traces/samples/tiny.trace" > "$T/nodma.trace"
"$IOWALK" mrc "$T/nodma.trace" > "$T/nodma.txt" && grep -q '^iotlb: 0 lookups: no curve' "$T/nodma.txt" && ! grep -q '0.00%' "$T/nodma.txt" &&
	ok || bad "mrc of a trace without DMAs: $(head -5 "$T/nodma.txt")"
finish
