#!/usr/bin/env bash
# iowalk sensitivity: every ranged parameter at both ends and a seeded Latin-hypercube sample; results
# independent of the number of workers and identical for the same seed; JSON, CSV and verdicts.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
tiny="$SRC/traces/samples/tiny.trace"
nranges=$("$IOWALK" run --print-config | grep -c '^;   range ')
"$IOWALK" sensitivity "$tiny" -n 12 --seed 7 -j 1 -q --json "$T/a.json" --csv "$T/a.csv" && ok || bad "sensitivity failed"
"$IOWALK" sensitivity "$tiny" -n 12 --seed 7 -j 2 -q --json "$T/b.json" --csv "$T/b.csv" && ok || bad "sensitivity -j 2 failed"
cmp -s "$T/a.json" "$T/b.json" && cmp -s "$T/a.csv" "$T/b.csv" && ok || bad "results depend on the number of workers"
"$IOWALK" sensitivity "$tiny" -n 12 --seed 8 -j 2 -q --csv "$T/c.csv"
cmp -s "$T/a.csv" "$T/c.csv" && bad "another seed gave the same sample" || ok
# One row per run: the base, both ends of every range, and the samples.
rows=$(($(wc -l < "$T/a.csv") - 1))
[ "$rows" -eq $((1 + 2 * nranges + 12)) ] && ok || bad "$rows runs in the CSV, expected $((1 + 2 * nranges + 12))"
# Every sampled value lies within its range, and every range has its source in the JSON.
grep -q '"name": "cost.intercept"' "$T/a.json" && grep -q '"source": "x86 KVM exit/entry' "$T/a.json" && ok || bad "ranges or sources missing"
awk -F, 'NR == 1 { for (i = 3; i <= NF; i++) col[i] = $i } $2 == "sample" && $0 ~ /,/ { n++ } END { print n }' "$T/a.csv" | grep -qx 12 && ok ||
	bad "samples missing"
col=$(head -1 "$T/a.csv" | tr ',' '\n' | grep -nx 'cost.intercept' | cut -d: -f1)
awk -F, -v c="$col" '$2 == "sample" && ($c < 1000 || $c > 8000) { bad = 1 } END { exit bad }' "$T/a.csv" && ok || bad "a sample outside its range"
# Latin hypercube: the 12 samples of a parameter fall in 12 different twelfths of its range.
awk -F, -v c="$col" '$2 == "sample" { s[int(($c - 1000) * 12 / 7000)]++ } END { for (k in s) n++; exit n != 12 }' "$T/a.csv" && ok ||
	bad "the samples of cost.intercept do not cover every stratum once"
# The verdicts name the pair, the share of samples and the gap.
"$IOWALK" sensitivity "$tiny" -n 12 -s kvm-gfn,root-pfn > "$T/table.txt" 2>/dev/null
grep -q 'root-pfn is cheaper than kvm-gfn per IOPTE update at the defaults' "$T/table.txt" && grep -q 'of 12 samples' "$T/table.txt" &&
	ok || bad "verdict: $(grep '^- ' "$T/table.txt" | head -2)"
grep -q '^cost.intercept *1000 ' "$T/table.txt" && grep -q '^cost.intercept *8000 ' "$T/table.txt" && ok || bad "one-at-a-time rows"
# The tornado file: per pair and metric, every ranged parameter once (ranks 1..n, largest swing first),
# its gaps at both ends those of its one-at-a-time runs in the CSV, the swing their difference.
"$IOWALK" sensitivity "$tiny" -n 0 -s kvm-gfn,root-pfn -q --csv "$T/t.csv" --tornado "$T/tornado.csv" && ok || bad "sensitivity --tornado failed"
head -1 "$T/tornado.csv" | grep -qx 'pair,metric,rank,param,low,high,gap_base,gap_low,gap_high,swing' && ok || bad "tornado header: $(head -1 "$T/tornado.csv")"
awk -F, -v n="$nranges" '
	function near(a, b) { return a - b < 0.001 && b - a < 0.001 }
	FNR == 1 { next }
	NR == FNR {
		if ($2 == "base") { for (i = 3; i <= NF; i++) base[i] = $i; nf = NF; gb["per_update"] = $(NF - 3) - $(NF - 1); gb["per_translation"] = $(NF - 2) - $NF; next }
		p = ""; for (i = 3; i <= nf - 4; i++) if ($i != base[i]) p = i
		gap[p, $2, "per_update"] = $(NF - 3) - $(NF - 1); gap[p, $2, "per_translation"] = $(NF - 2) - $NF; col[p] = 1
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
finish
