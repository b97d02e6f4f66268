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
"$IOWALK" sensitivity "$tiny" -n abc > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "-n abc accepted"
"$IOWALK" sensitivity "$T/none.trace" -n 2 > /dev/null 2>&1; [ $? -eq 1 ] && ok || bad "a missing trace did not fail"
finish
