#!/usr/bin/env bash
# Hostile inputs: each either runs to completion with its faults counted, or is rejected with a clear
# message and exit 1; never a crash, a hang or a wrong number. Runs every strategy with --check.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
head='0 MEMSLOT 0 0x0 0x40000 0x20000000000
0 IOAT 0 0x1000000 3
'
# run NAME EXPECTED_EXIT MESSAGE_OR_EMPTY TRACE_BODY [RUN OPTIONS...]
run() {
	local name=$1 want=$2 msg=$3 body=$4; shift 4
	printf '%s%s' "$head" "$body" > "$T/$name.trace"
	timeout 120 "$IOWALK" run "$T/$name.trace" --check -q --json "$T/$name.json" "$@" > "$T/$name.out" 2>&1
	local rc=$?
	[ $rc -eq "$want" ] || { bad "$name: exit $rc, want $want: $(tail -2 "$T/$name.out")"; return; }
	if [ -n "$msg" ]; then grep -q -- "$msg" "$T/$name.out" && ok || bad "$name: message lacks '$msg': $(cat "$T/$name.out")"; else ok; fi
	if [ "$want" -ne 0 ] && [ -e "$T/$name.json" ]; then bad "$name: failed run left a report"; fi
}
# A huge UNMAP and RPCIT are fine (ranges are skipped where nothing is mapped); a huge MAP or DMA is refused.
run unmap-2e63 0 "" "10 MAP 0x100000000 0x100000 0x1000 rw
20 UNMAP 0x0 0x8000000000000000
30 RPCIT 0x0 0x8000000000000000
40 DMA 1 0x100000000 0x10 r
"
run map-2e63 1 "exceeds the per-record limit" "10 MAP 0x0 0x0 0x8000000000000000 rw
"
run dma-2e63 1 "exceeds the per-record limit" "10 DMA 1 0x0 0x8000000000000000 r
"
# IOVAs at the top of the address space: outside the aperture -> refused MAP, counted DMA fault.
run map-top 1 "MAP outside the IOAT's aperture" "10 MAP 0xfffffffffffff000 0x100000 0x1000 rw
"
run dma-top 0 "" "10 DMA 1 0xffffffffffffff00 0x100 w
"
grep -q '"out_of_range": 1' "$T/dma-top.json" && ok || bad "dma-top: out_of_range fault not counted"
# Maps over maps, unmaps of never-mapped ranges, RPCIT over the whole aperture.
run remap 0 "" "10 MAP 0x100000000 0x100000 0x4000 rw
11 MAP 0x100001000 0x200000 0x1000 r
12 MAP 0x100000000 0x300000 0x1000 rw
20 RPCIT 0x0 0x40000000000
30 DMA 1 0x100000000 0x4000 w
100040 UNMAP 0x200000000 0x100000
100041 UNMAP 0x100000000 0x4000
100042 UNMAP 0x100000000 0x4000
100050 RPCIT 0x0 0x40000000000
200060 DMA 1 0x100000000 0x10 r
"
grep -q '"protection": 1' "$T/remap.json" && ok || bad "remap: protection fault (write to the read-only page) not counted"
grep -q '"invalid_entry": 1' "$T/remap.json" && ok || bad "remap: invalid_entry fault (after unmap) not counted"
# DMA to unmapped and read-only pages: counted, the run continues.
run faults 0 "" "10 MAP 0x100000000 0x100000 0x1000 r
20 RPCIT 0x100000000 0x1000
30 DMA 1 0x100000000 0x10 w
31 DMA 1 0x100000000 0x10 r
32 DMA 1 0x180000000 0x10 r
"
# Zero-size caches and non-power-of-two set counts.
run no-caches 0 "" "10 MAP 0x100000000 0x100000 0x10000 rw
20 RPCIT 0x100000000 0x10000
30 DMA 1 0x100000000 0x10000 w
31 DMA 1 0x100000000 0x10000 r
" --set cache.l1.kib=0 --set cache.l2.kib=0 --set cache.l3.kib=0 --set device.iotlb_entries=0 \
  --set device.wc_rt_entries=0 --set device.wc_st_entries=0 --set nested.s2_tlb_entries=0
run odd-sets 0 "" "10 MAP 0x100000000 0x100000 0x10000 rw
20 RPCIT 0x100000000 0x10000
30 DMA 1 0x100000000 0x10000 w
" --set device.iotlb_entries=12 --set device.iotlb_ways=4 --set cache.l1.kib=3 --set cache.l1.ways=3 \
  --set cache.line_bytes=64 --set device.wc_st_entries=6 --set device.wc_ways=2
# A configuration that cannot work is refused before running.
"$IOWALK" run --set cache.l1.kib=3 --set cache.l1.ways=8 -q > "$T/cfg.out" 2>&1; [ $? -eq 2 ] && ok || bad "bad cache geometry not refused"
# 10^6 memslots (gfn-contiguous, 1 MiB each), buffers spread over them.
"$IOWALK" trace gen churn --ops 2000 --memslots 1000000 --guest-ram 4000000 --ioat-origin 0x1000000 \
	--binary -o "$T/slots.trace" 2>/dev/null || bad "gen with 10^6 memslots failed"
timeout 300 "$IOWALK" run "$T/slots.trace" --check -q -s kvm-gfn,root-pfn --set vm.max_memslots=1000000 \
	--set vm.host_levels=4 --json "$T/slots.json" > "$T/slots.out" 2>&1 && ok || bad "10^6 memslots: $(tail -2 "$T/slots.out")"
grep -q '"memslot_searches"' "$T/slots.json" && ok || bad "10^6 memslots: no report"
# Small inputs cannot demand unbounded work: a zstd bomb, a trace of no records, DMA from too many devices.
if command -v zstd > /dev/null; then
	head -c 100000000 /dev/zero | tr '\0' '\n' | zstd -q -19 -c > "$T/bomb.zst"
	"$IOWALK" trace validate "$T/bomb.zst" > "$T/lim.out" 2>&1
	[ $? -eq 1 ] && grep -q 'IOWALK_ZSTD_MAX_RATIO' "$T/lim.out" && ok || bad "zstd bomb: $(cat "$T/lim.out")"
fi
printf '%%iowalk-trace 1\n# nothing\n' > "$T/empty.trace"
"$IOWALK" run "$T/empty.trace" -q --json "$T/empty.json" > "$T/lim.out" 2>&1
[ $? -eq 1 ] && grep -q 'no records' "$T/lim.out" && [ ! -e "$T/empty.json" ] && ok || bad "empty trace: $(cat "$T/lim.out")"
{ printf '0 MEMSLOT 0 0 0x10000 0x20000000000\n0 IOAT 0 0x1000000 3\n'
  for d in $(seq 0 1100); do echo "$((1000 + d)) DMA $d 0x100000000 0x10 r"; done; } > "$T/devs.trace"
"$IOWALK" run "$T/devs.trace" -q > "$T/lim.out" 2>&1
[ $? -eq 1 ] && grep -q 'raise run.max_devices' "$T/lim.out" && ok || bad "device limit: $(cat "$T/lim.out")"
"$IOWALK" run "$T/devs.trace" -q --check --set run.max_devices=2048 && ok || bad "run.max_devices=2048 refused"
# The table: unique column names; a run without translations shows n/a, not 0.0.
printf '0 MEMSLOT 0 0 0x100 0x20000000000\n0 IOAT 0 0x4000 3\n1 MAP 0x100000000 0x1000 0x1000 rw\n2 RPCIT 0x100000000 0x1000\n' > "$T/nodma.trace"
"$IOWALK" run "$T/nodma.trace" > "$T/table.out" 2>&1
grep '^kvm-gfn ' "$T/table.out" | head -1 | grep -q ' n/a ' && ok || bad "no translations: $(grep '^kvm-gfn' "$T/table.out" | head -1)"
hdr=$(grep '^strategy ' "$T/table.out" | head -1)
[ "$(echo "$hdr" | tr -s ' ' '\n' | sort | uniq -d)" = "" ] && ok || bad "duplicate column names: $hdr"
# ... and so are the CSV columns, of a run and of a sweep (each counter once, however it is reported).
"$IOWALK" run "$T/nodma.trace" -q --csv "$T/cols.csv" && dups=$(head -1 "$T/cols.csv" | tr ',' '\n' | sort | uniq -d) &&
	[ -z "$dups" ] && ok || bad "duplicate CSV columns in a run: $dups"
printf '[sweep]\ngenerator = churn\n[gen]\nops = 50\n[grid]\ngen.memslots = 1,2\n' > "$T/cols.ini"
"$IOWALK" sweep "$T/cols.ini" -o "$T/cols-sweep.csv" -q && dups=$(head -1 "$T/cols-sweep.csv" | tr ',' '\n' | sort | uniq -d) &&
	[ -z "$dups" ] && ok || bad "duplicate CSV columns in a sweep: $dups"
# A MEMSLOT that overlaps another, as the last record, while a DMA still waits for the device's walker
# (found by fuzz_run): the slot set is validated before any queued work uses it, so the run stops with
# the overlap, not with a translation made through an invalid slot set (a check failure, or without
# --check a silently wrong number).
printf '%s\n' '0 MEMSLOT 0 0x0 0x10000 0x20000000000' '0 IOAT 0 0x1000000 3' \
	'1000 MAP 0x13fffe000 0x8000000004dbb000 0x1000 rw' '1100 MAP 0x13ffff000 0x4dba000 0x1000 r' \
	'1200 RPCIT 0x13fffe000 0x2000' '5000 DMA 1 0x13fffe000 0x1000 w' '5100 DMA 1 0x13fffe800 0x40 w' \
	'5200 DMA 1 0x13ffff000 0x200 r' '5300 DMA 1 0x13fffe000 0x1000 r' '9000 UNMAP 0x13fffe000 0x2000' \
	'9100 MEMSLOT 0 0x0 0x10000 0x20000000000' > "$T/latedup.trace"
for chk in --check ""; do
	"$IOWALK" run "$T/latedup.trace" --preset tiny -q $chk > "$T/latedup.out" 2>&1
	[ $? -eq 1 ] && grep -q 'record 11: memslot 0 (gfn 0x0+0x10000) overlaps memslot 0' "$T/latedup.out" && ok ||
		bad "a late overlapping MEMSLOT ${chk:-without --check}: $(cat "$T/latedup.out")"
done
# Progress: trace gen --progress prints lines (done, percentage, rate) when stderr is not a terminal, and
# the trace is the same bytes as without it; a sweep reports each point with its percentage.
"$IOWALK" trace gen stream --ops 140000 --binary -o "$T/pg1.trace" --progress 2> "$T/pg.err" &&
	"$IOWALK" trace gen stream --ops 140000 --binary -o "$T/pg2.trace" 2> "$T/pg2.err" &&
	grep -q '^gen: 131072/140000 operations (94 %), ' "$T/pg.err" && ! grep -q '^gen: ' "$T/pg2.err" &&
	cmp -s "$T/pg1.trace" "$T/pg2.trace" && ok || bad "gen --progress: $(cat "$T/pg.err")"
"$IOWALK" sweep "$T/cols.ini" -o "$T/pg-sweep.csv" 2> "$T/pgs.err" && grep -q '^sweep: 2/2 points done (100 %)' "$T/pgs.err" &&
	ok || bad "sweep progress: $(cat "$T/pgs.err")"
# One meaning per short option: -j is the number of jobs (sweep, sensitivity), never run's JSON.
"$IOWALK" run -j "$T/j.json" -q > /dev/null 2>&1; [ $? -eq 2 ] && [ ! -e "$T/j.json" ] && ok || bad "run -j still writes JSON"
# Configurations are read exactly or refused with the file and line.
expect_cfg() { # expect_cfg WHAT TEXT-TO-FIND iowalk-args...
	local what=$1 want=$2
	shift 2
	"$IOWALK" run -q --print-config "$@" > "$T/cfg.out" 2>&1
	[ $? -ne 0 ] && grep -q -- "$want" "$T/cfg.out" && ok || bad "$what: $(head -2 "$T/cfg.out")"
}
long=$(printf 'a%.0s' $(seq 250))
printf '[device]\n; %s walkers = 16\n' "$long" > "$T/long.ini"
expect_cfg "a long comment line" "long.ini: line 2: longer than" --config "$T/long.ini"
printf '[device]\nfoo = 1\nbar = 2\n' > "$T/two.ini"
expect_cfg "the first error" "line 2: unknown parameter 'device.foo'" --config "$T/two.ini"
expect_cfg "a leading zero" "leading zero" --set device.walkers=010
"$IOWALK" run --print-config --set device.walkers=0x10 | grep -q '^walkers *= 16 ' && ok || bad "0x10 not read as 16"
expect_cfg "a directory as --config" "is a directory" --config "$T"
expect_cfg "a missing --config" "none.ini: cannot open: No such file" --config "$T/none.ini"
printf '[cost]\nintercept = 1\0\n' > "$T/nul.ini"
expect_cfg "a NUL byte in a config" "nul.ini: line 2: a NUL byte (not a text file)" --config "$T/nul.ini"
head -c 4200000 /dev/zero | tr '\0' ';' > "$T/big.ini"
expect_cfg "a config over 4 MiB" "big.ini: larger than 4 MiB" --config "$T/big.ini"
printf '[cost\n' > "$T/syn.ini"
expect_cfg "an unclosed section" "syn.ini: line 1: syntax error (expected \[section\] or key = value)" --config "$T/syn.ini"
expect_cfg "--set preset" "not a parameter" --set preset=tiny
printf '[sweep]\ngenerator = churn\n; %s\n' "$long" > "$T/long-sweep.ini"
"$IOWALK" sweep "$T/long-sweep.ini" -o "$T/x.csv" > "$T/cfg.out" 2>&1
[ $? -eq 2 ] && grep -q 'line 3: longer than' "$T/cfg.out" && ok || bad "a long line in a sweep spec: $(cat "$T/cfg.out")"
"$IOWALK" run "$T/slots.trace" -q -s kvm-gfn > "$T/slots2.out" 2>&1; [ $? -eq 1 ] && grep -q 'too many memslots' "$T/slots2.out" && ok || bad "memslot limit not enforced"
# run's own options: a bad value is a usage error (exit 2) naming the option, nothing run.
sets=$(for i in $(seq 65); do printf -- '--set cost.intercept=%d ' "$i"; done)
# shellcheck disable=SC2086
for args in "--amortize-over 0" "--amortize-over -5" "--amortize-over abc" "--amortize-over 1e13" "--amortize-over nan" "--amortize-over 0x10" \
	"--warmup abc" "--warmup -1" "--warmup 5x" "--outdir $T/od --json $T/x.json" "$T/a $T/b" "$sets"; do
	"$IOWALK" run -q $args > "$T/opt.out" 2>&1
	rc=$?
	want=${args%% *}
	case $want in --outdir) want=--outdir ;; --set) want='more than 64 --set' ;; --*) ;; *) want='at most one TRACE' ;; esac
	[ $rc -eq 2 ] && grep -q -- "$want" "$T/opt.out" && [ ! -e "$T/x.json" ] && [ ! -e "$T/od" ] && ok ||
		bad "run ${args:0:60}: exit $rc, want 2 naming '$want': $(cat "$T/opt.out")"
done
# Options getopt refuses are reported as every usage error is, with the command and where to look; a
# long option shortened to a prefix that begins several is refused, never taken as the first of them.
# shellcheck disable=SC2089
for c in "run --bogus|run: unknown option '--bogus' (see 'iowalk run --help')" \
	"run --json|run: option '--json' needs a value" "run -s|run: option '-s' needs a value" \
	"run --check=1|run: option '--check' takes no value" "run -Z|run: unknown option '-Z'" "run --c|run: option '--c' is ambiguous" \
	"trace gen random --d 8 -o $T/g.trace|trace gen: option '--d' is ambiguous (see 'iowalk trace gen --help')" \
	"trace convert --from|trace convert: option '--from' needs a value" "sweep --nope|sweep: unknown option '--nope'"; do
	# shellcheck disable=SC2086,SC2090
	"$IOWALK" ${c%%|*} > "$T/opt.out" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -qF "iowalk: ${c#*|}" "$T/opt.out" && [ ! -e "$T/g.trace" ] && ok || bad "iowalk ${c%%|*}: exit $rc, want 2 and '${c#*|}': $(cat "$T/opt.out")"
done
"$IOWALK" trace gen random --dma-s 8192 --ops 10 -o "$T/g.trace" 2>/dev/null && grep -c ' DMA .* 0x2000 ' "$T/g.trace" | grep -qx 10 && ok ||
	bad "a unique prefix of a long option (--dma-s) was not taken"
# ...and the good ones do what they say: --no-drain leaves the final flush out (the default trace ends
# with changes no RPCIT made visible), --amortize-over adds the amortized figure.
"$IOWALK" run -q -s kvm-gfn --json "$T/drain.json" && "$IOWALK" run -q -s kvm-gfn --no-drain --amortize-over 2.5 --json "$T/nodrain.json" &&
	[ "$(jget "$T/drain.json" drain_updates)" -gt 0 ] && [ "$(jget "$T/nodrain.json" drain_updates)" = 0 ] &&
	[ "$(jget "$T/drain.json" amortized)" = null ] && [ "$(jget "$T/nodrain.json" horizon_s)" = 2.5 ] && ok ||
	bad "--no-drain / --amortize-over: drain_updates $(jget "$T/drain.json" drain_updates) -> $(jget "$T/nodrain.json" drain_updates), amortized $(jget "$T/drain.json" amortized) -> horizon $(jget "$T/nodrain.json" horizon_s)"
# Small inputs cannot take gigabytes: what a trace makes the simulator allocate is bounded, each bound a
# parameter named in the refusal. 300 functions (run.max_functions, 256); one 2 GiB MAP
# (run.max_record_mib, 1 GiB); sparse one-page maps in a 5-level table (a page of each 16 KiB table they
# make is written: about 22 KiB each, guest and shadow) against a memory bound cut to 2 MiB; under the defaults the 200 maps run.
{ echo "%iowalk-trace 2"; echo "0 MEMSLOT 0 0 0x100000 0x20000000000"
  for i in $(seq 0 299); do printf "0 IOAT %d 0x%x 3\n" "$i" $((0x1000000 + i * 0x10000)); done; } > "$T/fns.trace"
"$IOWALK" run "$T/fns.trace" -s kvm-gfn -q --json /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'record 258: IOAT: more than 256 PCI functions (run.max_functions' "$T/err" && ok || bad "300 functions: rc $rc, $(cat "$T/err")"
printf '0 MEMSLOT 0 0 0x1000000 0x20000000000\n0 IOAT 0 0x1000000 3\n1 MAP 0x100000000 0x0 0x80000000 rw\n' > "$T/big.trace"
"$IOWALK" run "$T/big.trace" -s kvm-gfn -q --json /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'MAP of 2147483648 bytes exceeds the per-record limit of 1073741824 bytes (run.max_record_mib)' "$T/err" && ok ||
	bad "a 2 GiB MAP: rc $rc, $(cat "$T/err")"
{ echo "0 MEMSLOT 0 0 0x100000 0x20000000000"; echo "0 IOAT 0 0x1000000 5"
  for i in $(seq 1 200); do printf "%d MAP 0x%x 0x2000000 0x1000 rw\n%d RPCIT 0x%x 0x1000\n" $((i * 10)) $((i << 53)) $((i * 10 + 1)) $((i << 53)); done; } > "$T/sparse.trace"
"$IOWALK" run "$T/sparse.trace" -s kvm-gfn -q --json /dev/null --set run.max_memory_mib=2 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'more than run.max_memory_mib=2' "$T/err" && ok || bad "sparse maps past the memory bound: rc $rc, $(cat "$T/err")"
"$IOWALK" run "$T/sparse.trace" -s kvm-gfn -q --json /dev/null && ok || bad "200 sparse maps under the default bound"
finish
