#!/usr/bin/env bash
# iowalk sensitivity: every ranged parameter at both ends and a seeded Latin-hypercube sample; results
# independent of the number of workers and identical for the same seed; JSON, CSV and verdicts.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
tiny="$SRC/traces/samples/tiny.trace"
nranges=$("$IOWALK" run --print-config | grep -c '^;   range ')
# Discrete assumptions: every combination of their values is a scenario (their value lists multiply).
nscen=1
for n in $("$IOWALK" run --print-config | sed -n 's/^;   assumption, each of \([0-9 ]*\) a scenario:.*/\1/p' | awk '{ print NF }'); do
	nscen=$((nscen * n))
done
[ "$nscen" -ge 4 ] && ok || bad "$nscen scenarios of discrete assumptions, expected at least 4 (device.l3_allocate, cache.replacement)"
"$IOWALK" sensitivity "$tiny" -n 12 --seed 7 -j 1 -q --json "$T/a.json" --csv "$T/a.csv" && ok || bad "sensitivity failed"
"$IOWALK" sensitivity "$tiny" -n 12 --seed 7 -j 2 -q --json "$T/b.json" --csv "$T/b.csv" && ok || bad "sensitivity -j 2 failed"
cmp -s "$T/a.json" "$T/b.json" && cmp -s "$T/a.csv" "$T/b.csv" && ok || bad "results depend on the number of workers"
"$IOWALK" sensitivity "$tiny" -n 12 --seed 8 -j 2 -q --csv "$T/c.csv"
cmp -s "$T/a.csv" "$T/c.csv" && bad "another seed gave the same sample" || ok
# One row per run: per scenario, the base, both ends of every range, and the samples.
rows=$(($(wc -l < "$T/a.csv") - 1))
[ "$rows" -eq $((nscen * (1 + 2 * nranges + 12))) ] && ok || bad "$rows runs in the CSV, expected $((nscen * (1 + 2 * nranges + 12)))"
# Every sampled value lies within its range, and every range has its source in the JSON.
grep -q '"name": "cost.intercept"' "$T/a.json" && grep -q '"source": "x86 KVM exit/entry' "$T/a.json" && ok || bad "ranges or sources missing"
awk -F, '$2 == 0 && $3 == "sample" { n++ } END { print n }' "$T/a.csv" | grep -qx 12 && ok || bad "samples missing"
col=$(head -1 "$T/a.csv" | tr ',' '\n' | grep -nx 'cost.intercept' | cut -d: -f1)
awk -F, -v c="$col" '$3 == "sample" && ($c < 1000 || $c > 8000) { bad = 1 } END { exit bad }' "$T/a.csv" && ok || bad "a sample outside its range"
# Latin hypercube: the 12 samples of a parameter fall in 12 different twelfths of its range.
awk -F, -v c="$col" '$2 == 0 && $3 == "sample" { s[int(($c - 1000) * 12 / 7000)]++ } END { for (k in s) n++; exit n != 12 }' "$T/a.csv" && ok ||
	bad "the samples of cost.intercept do not cover every stratum once"
# The sampler as a design (50 samples), over the ranged parameters whose span is a multiple of 50 (the
# stratum of an integer value is then exact): each covers each of its 50 strata exactly once, and the
# parameters are matched to one another independently: no two take their strata in the same order, and
# the rank correlation of a pair is small on average (a sampler that gave every parameter the same order
# of strata, so that all rose together, covers every stratum too).
"$IOWALK" sensitivity "$tiny" -n 50 --seed 3 -s kvm-gfn,root-pfn -q --csv "$T/d.csv" && ok || bad "sensitivity -n 50 failed"
"$IOWALK" run --print-config | awk '/^\[/ { sec = substr($1, 2, length($1) - 2) } /^[a-z_0-9.]+ *=/ { key = sec "." $1 }
	/^;   range / { split($3, r, /\.\./); sub(/:$/, "", r[2]); if ((r[2] - r[1]) % 50 == 0) print key, r[1], r[2] }' > "$T/ranges.txt"
[ "$(wc -l < "$T/ranges.txt")" -ge 8 ] && ok || bad "ranges of a span divisible by 50: $(wc -l < "$T/ranges.txt")"
awk -v N=50 '
	NR == FNR { lo[$1] = $2; hi[$1] = $3; next }
	FNR == 1 { for (i = 1; i <= NF; i++) if ($i in lo) { c[++np] = i; nm[np] = $i }; FS = ","; next }
	$2 == 0 && $3 == "sample" { n++; for (k = 1; k <= np; k++) { v = $(c[k]); s = int((v - lo[nm[k]]) * N / (hi[nm[k]] - lo[nm[k]])); if (s == N) s = N - 1; st[k, n] = s; cnt[k, s]++ } }
	END {
		if (n != N) { print "samples: " n; exit 1 }
		for (k = 1; k <= np; k++) for (s = 0; s < N; s++) if (cnt[k, s] != 1) { print nm[k] " stratum " s ": " cnt[k, s] + 0; exit 1 }
		for (a = 1; a <= np; a++) for (b = a + 1; b <= np; b++) {
			same = 1; d2 = 0
			for (i = 1; i <= N; i++) { if (st[a, i] != st[b, i]) same = 0; d = st[a, i] - st[b, i]; d2 += d * d }
			if (same) { print nm[a] " and " nm[b] " take their strata in the same order"; exit 1 }
			rho = 1 - 6 * d2 / (N * (N * N - 1)); sum += rho < 0 ? -rho : rho; pairs++
		}
		if (sum / pairs > 0.25) { print "mean |rank correlation| " sum / pairs; exit 1 }
	}' "$T/ranges.txt" FS=" " <(head -1 "$T/d.csv" | tr ',' ' '; tail -n +2 "$T/d.csv") > "$T/design.err" && ok || bad "sampler design: $(cat "$T/design.err")"
# Scenarios: each combination of the assumptions' values once, every scenario with the same ranged
# values run by run (paired), and a verdict across them.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "device.l3_allocate") a = i; if ($i == "cache.replacement") b = i }; next }
	{ r = $1 % (NR > 1 ? blk : 1) } $3 == "base" { combo[$a "," $b]++ } END { for (k in combo) { n++; if (combo[k] != 1) exit 1 }; exit n != 4 }' "$T/d.csv" && ok ||
	bad "scenarios do not take each combination of the assumptions once"
awk -F, -v blk=$((1 + 2 * nranges + 50)) 'NR == 1 { for (i = 4; i <= NF; i++) if ($i ~ /\./ && $i !~ /\.(per_update|per_translation)$/ && $i != "device.l3_allocate" && $i != "cache.replacement") c[i] = 1; next }
	{ key = ""; for (i in c) key = key "," $i; r = $1 % blk; if ($2 == 0) v[r] = key; else if (v[r] != key) bad = 1 } END { exit bad }' "$T/d.csv" && ok ||
	bad "the scenarios' runs differ in their ranged values"
# The verdicts name the pair, the share of samples and the gap.
"$IOWALK" sensitivity "$tiny" -n 12 -s kvm-gfn,root-pfn > "$T/table.txt" 2>/dev/null
grep -q 'root-pfn is cheaper than kvm-gfn per IOPTE update at the defaults' "$T/table.txt" && grep -q 'of 12 samples' "$T/table.txt" &&
	ok || bad "verdict: $(grep '^- ' "$T/table.txt" | head -2)"
grep -q "^across the $nscen scenarios" "$T/table.txt" &&
	grep -q "root-pfn is cheaper than kvm-gfn per IOPTE update at the defaults of every scenario ($nscen scenarios of the discrete assumptions); in $((12 * nscen)) of $((12 * nscen)) samples" "$T/table.txt" &&
	ok || bad "verdict across the assumptions: $(grep -A2 '^across' "$T/table.txt")"
grep -q '^cost.intercept *1000 ' "$T/table.txt" && grep -q '^cost.intercept *8000 ' "$T/table.txt" && ok || bad "one-at-a-time rows"
# The tornado file: per pair and metric, every ranged parameter once (ranks 1..n, largest swing first),
# its gaps at both ends those of its one-at-a-time runs in the CSV, the swing their difference.
"$IOWALK" sensitivity "$tiny" -n 0 -s kvm-gfn,root-pfn -q --csv "$T/t.csv" --tornado "$T/tornado.csv" && ok || bad "sensitivity --tornado failed"
head -1 "$T/tornado.csv" | grep -qx 'pair,metric,rank,param,low,high,gap_base,gap_low,gap_high,swing' && ok || bad "tornado header: $(head -1 "$T/tornado.csv")"
awk -F, -v n="$nranges" '
	function near(a, b) { return a - b < 0.001 && b - a < 0.001 }
	FNR == 1 { next }
	NR == FNR {
		if ($2 != 0) next
		if ($3 == "base") { for (i = 4; i <= NF; i++) base[i] = $i; nf = NF; gb["per_update"] = $(NF - 3) - $(NF - 1); gb["per_translation"] = $(NF - 2) - $NF; next }
		p = 4 + int(($1 - 1) / 2) # run 1 + 2k is parameter k at its low end, run 2 + 2k at its high end
		gap[p, $3, "per_update"] = $(NF - 3) - $(NF - 1); gap[p, $3, "per_translation"] = $(NF - 2) - $NF; col[p] = 1
		next }
	FNR == 2 && !named { getline hdr < ARGV[1]; split(hdr, h, ","); for (i in h) name[h[i]] = i; named = 1 }
	{ rows[$2]++; c = name[$4]
	  if ($1 != "kvm-gfn-root-pfn" || $3 != rows[$2] || !(c in col) || seen[$2, $4]++) bad = bad " row " FNR
	  if (!near($7, gb[$2]) || !near($8, gap[c, "low", $2]) || !near($9, gap[c, "high", $2])) bad = bad " gaps " FNR
	  d = $9 - $8; if (!near($10, d < 0 ? -d : d)) bad = bad " swing " FNR
	  if ($3 > 1 && $10 > last[$2] + 0.0001) bad = bad " order " FNR
	  last[$2] = $10 }
	END { if (rows["per_update"] != n || rows["per_translation"] != n) bad = bad " counts"; if (bad) print bad; exit bad != "" }
' "$T/t.csv" "$T/tornado.csv" > "$T/tornado.err" && ok || bad "tornado rows:$(cat "$T/tornado.err")"
"$IOWALK" sensitivity "$tiny" -n abc > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "-n abc accepted"
"$IOWALK" sensitivity "$T/none.trace" -n 2 > /dev/null 2>&1; [ $? -eq 1 ] && ok || bad "a missing trace did not fail"
# The runs replay the trace from memory, read once: a trace on stdin gives what the same file gives (it
# used to be read by the first run only, the others finding no records); a bad one is refused with
# its reader's message (its line); one above the records kept in memory (2^20) is refused, naming the way out.
"$IOWALK" sensitivity - -n 3 -j 2 -s kvm-gfn,root-pfn -q --csv "$T/stdin.csv" < "$tiny" && ok || bad "sensitivity on stdin failed"
"$IOWALK" sensitivity "$tiny" -n 3 -j 2 -s kvm-gfn,root-pfn -q --csv "$T/file.csv"
cmp -s "$T/stdin.csv" "$T/file.csv" && ok || bad "a trace on stdin gave other results than the same file"
# Its header names its table format (a VT-d trace on stdin used to be taken for s390's).
"$IOWALK" trace gen nvme --format vtd --ops 100 -o "$T/vtd.trace" 2> /dev/null
"$IOWALK" sensitivity - -n 2 -s nested,vmm-shadow -q --csv "$T/vstdin.csv" < "$T/vtd.trace" && ok || bad "a VT-d trace on stdin failed"
"$IOWALK" sensitivity "$T/vtd.trace" -n 2 -s nested,vmm-shadow -q --csv "$T/vfile.csv"
cmp -s "$T/vstdin.csv" "$T/vfile.csv" && ok || bad "a VT-d trace on stdin gave other results than the same file"
"$IOWALK" sensitivity <(cat "$T/vtd.trace") -n 2 -s nested,vmm-shadow -q --csv "$T/vpipe.csv" && cmp -s "$T/vpipe.csv" "$T/vfile.csv" &&
	ok || bad "a VT-d trace through a pipe"
{ cat "$tiny"; echo "999999999 BOGUS 1 2"; } | "$IOWALK" sensitivity - -n 2 -s kvm-gfn,root-pfn -q > /dev/null 2> "$T/cut.err"
[ $? -eq 1 ] && grep -q "sensitivity: -: line 19 (record 12): unknown record kind 'BOGUS'" "$T/cut.err" && ok ||
	bad "a bad trace on stdin: $(cat "$T/cut.err")"
"$IOWALK" trace gen stream --ops 1048580 --binary -o - 2> /dev/null |
	"$IOWALK" sensitivity - -n 2 -s kvm-gfn,root-pfn -q > /dev/null 2> "$T/big.err"
[ $? -eq 1 ] && grep -q "more than 1048576 records (give it as a file)" "$T/big.err" && ok || bad "a large trace on stdin: $(cat "$T/big.err")"
# A result that cannot be written fails before the runs (it failed after all of them), nothing written.
"$IOWALK" sensitivity "$tiny" -s kvm-gfn,root-pfn -n 2 -j 1 --json "$T/nodir/x.json" --csv "$T/early.csv" > /dev/null 2> "$T/early.err"
[ $? -eq 1 ] && grep -q 'nodir/x.json: cannot create temporary file' "$T/early.err" && ! grep -q 'runs on' "$T/early.err" &&
	[ ! -e "$T/early.csv" ] && ok || bad "sensitivity --json into a missing directory: $(cat "$T/early.err")"
# Progress on a terminal (script(1) gives one): a line of runs done, rewritten; the results are the same.
if command -v script > /dev/null; then
	script -qec "'$IOWALK' sensitivity -s kvm-gfn,root-pfn -n 2 -j 1 --csv '$T/tty.csv' > /dev/null" /dev/null < /dev/null > "$T/tty.txt" 2>&1 # (script reads stdin: not the caller's)
	"$IOWALK" sensitivity -s kvm-gfn,root-pfn -n 2 -j 1 -q --csv "$T/notty.csv"
	grep -qE 'sensitivity: [0-9]+/[0-9]+ runs \([0-9]+ %\), [0-9]+ s so far, about [0-9]+ s left' "$T/tty.txt" &&
		cmp -s "$T/tty.csv" "$T/notty.csv" && ok || bad "sensitivity progress on a terminal: $(head -c 300 "$T/tty.txt")"
fi
# One strategy: its one-at-a-time table, and the verdicts said to be none (they were empty headings).
"$IOWALK" sensitivity "$tiny" -s kvm-gfn -n 2 -j 1 > "$T/one.txt" 2> /dev/null &&
	grep -q '^verdicts: none (one strategy' "$T/one.txt" && ! grep -q '^verdicts, scenario' "$T/one.txt" && ok ||
	bad "sensitivity of one strategy: $(tail -3 "$T/one.txt")"
finish
