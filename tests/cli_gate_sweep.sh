#!/usr/bin/env bash
# End-to-end tests of `iowalk gate` (exit codes for pass, regression, improvement, incompatible inputs)
# and `iowalk sweep` (parallel run, resume, emit-jobs + merge giving the same rows, bad specs).
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
expect_rc() { local want=$1; shift; "$@" > "$T/out" 2>&1; local rc=$?; [ $rc -eq "$want" ] && ok || { bad "exit $rc (want $want): $*"; cat "$T/out"; }; }

tiny="$SRC/traces/samples/tiny.trace"
NS=$("$IOWALK" run --list-strategies | wc -l) # strategies in the registry
"$IOWALK" run "$tiny" -q --json "$T/base.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/base.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/base.json" --exact
# Slower RPCIT handling: a regression.
"$IOWALK" run "$tiny" -q --json "$T/slow.json" --set cost.intercept=2600
# ...but a different configuration is not comparable: exit 2, naming the parameter.
expect_rc 2 "$IOWALK" gate "$T/slow.json" --baseline "$T/base.json"
grep -q 'config.cost.intercept' "$T/out" && ok || bad "gate did not name the differing parameter"
# Same configuration, a baseline edited to be cheaper: the report regresses against it.
sed 's/"cycles_total": \([0-9]*\)/"cycles_total": 1000/' "$T/base.json" > "$T/cheap.json"
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/cheap.json"
grep -q 'REGRESSION' "$T/out" && ok || bad "gate printed no REGRESSION"
# A baseline edited to be dearer: an improvement, which passes unless --exact.
sed 's/"cycles_total": \([0-9]*\)/"cycles_total": 999999999/' "$T/base.json" > "$T/dear.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/dear.json"
grep -q 'improved' "$T/out" && ok || bad "gate printed no improvement"
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/dear.json" --exact
# Within tolerance: +0.4% passes at 0.5%, fails at 0.1%.
v=$(grep -m1 '"cycles_total"' "$T/base.json" | tr -dc 0-9)
lower=$((v * 1000 / 1004))
sed "0,/\"cycles_total\": $v/s//\"cycles_total\": $lower/" "$T/base.json" > "$T/near.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/near.json" --tolerance 0.5%
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/near.json" --tolerance 0.1%
# Another trace: exit 2.
"$IOWALK" run "$SRC/traces/samples/two-slots.trace" -q --json "$T/other.json"
expect_rc 2 "$IOWALK" gate "$T/other.json" --baseline "$T/base.json"
grep -q 'different traces' "$T/out" && ok || bad "gate did not say the traces differ"
expect_rc 2 "$IOWALK" gate "$T/base.json"
printf '{not json' > "$T/broken.json"
expect_rc 2 "$IOWALK" gate "$T/broken.json" --baseline "$T/base.json"
# Every number is compared: a cycle moved from one component to another (same totals) fails --exact.
sed '0,/"memslot": \([0-9]*\)/s//"memslot": 1/' "$T/base.json" > "$T/misfiled.json"
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/misfiled.json" --exact
grep -q 'breakdown.memslot' "$T/out" && ok || bad "gate --exact did not name breakdown.memslot"
# ...and so does a cache counter, a fault counter and the trace's last cycle.
for key in '"hits"' '"invalid_entry"' '"last_cycle"'; do
	sed "0,/$key: \([0-9]*\)/s//$key: 77777/" "$T/base.json" > "$T/edited.json"
	expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/edited.json" --exact
done
# Directions without --exact: fewer IOTLB hits than the baseline is a regression, more an improvement.
sed '0,/"iotlb_hits": \([0-9]*\)/s//"iotlb_hits": 999/' "$T/base.json" > "$T/morehits.json"
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/morehits.json"
grep -q 'ops.iotlb_hits.*REGRESSION' "$T/out" && ok || bad "fewer hits not judged a regression"
sed '0,/"iotlb_hits": \([0-9]*\)/s//"iotlb_hits": 0/' "$T/base.json" > "$T/fewerhits.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/fewerhits.json"
grep -q 'ops.iotlb_hits.*improved' "$T/out" && ok || bad "more hits not judged an improvement"
# Counters that are not performance are shown but not judged.
sed '0,/"checked": \([0-9]*\)/s//"checked": 1/' "$T/base.json" > "$T/checked.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/checked.json"
grep -q 'ops.checked.*differs' "$T/out" && ok || bad "checked judged"
# A metric missing from the report, a NaN tolerance, a strategy only one side has, nothing to compare:
# errors, never a pass.
sed '0,/"pins": \([0-9]*\),/s//"pinz": 0,/' "$T/base.json" > "$T/renamed.json"
expect_rc 1 "$IOWALK" gate "$T/renamed.json" --baseline "$T/base.json"
grep -q 'MISSING' "$T/out" && ok || bad "gate did not report a MISSING metric"
expect_rc 2 "$IOWALK" gate "$T/base.json" --baseline "$T/base.json" --tolerance nan
"$IOWALK" run "$tiny" -q --strategy kvm-gfn --json "$T/one.json"
expect_rc 2 "$IOWALK" gate "$T/one.json" --baseline "$T/base.json"
expect_rc 2 "$IOWALK" gate "$T/base.json" --baseline "$T/one.json"
grep -q 'not in the baseline' "$T/out" && ok || bad "gate did not name the extra strategy"
awk '/"strategies": \{/ { print "  \"strategies\": {}"; print "}"; exit } { print }' "$T/base.json" > "$T/empty.json"expect_rc 2 "$IOWALK" gate "$T/base.json" --baseline "$T/empty.json"
# A nested key of 300 characters (a fixed-size name buffer once overflowed here).
long=$(printf 'k%.0s' $(seq 300))
sed "0,/\"breakdown\": {/s//\"breakdown\": {\"$long\": {\"$long\": 5},/" "$T/base.json" > "$T/long.json"
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/long.json"
grep -q 'MISSING' "$T/out" && ok || bad "gate did not report the long key as missing"

# A configuration difference: every differing key named; --accept-config compares anyway; JUnit XML.
"$IOWALK" run "$tiny" -q --set cost.rpcit=3001 --set device.walkers=2 --json "$T/cfg2.json"
expect_rc 2 "$IOWALK" gate "$T/cfg2.json" --baseline "$T/base.json"
grep -q 'config.cost.rpcit: baseline 3000, report 3001' "$T/out" && grep -q 'config.device.walkers: baseline 4, report 2' "$T/out" &&
	ok || bad "gate did not name every differing configuration key"
expect_rc 1 "$IOWALK" gate "$T/cfg2.json" --baseline "$T/base.json" --accept-config --exact --junit "$T/junit.xml"
# (every strategy changes: at least its ratio to the baseline)
grep -q "<testsuite name=\"iowalk-gate\" tests=\"$((NS + 1))\" failures=\"$NS\" errors=\"0\">" "$T/junit.xml" && grep -q 'CHANGED cycles_total' "$T/junit.xml" &&
	ok || bad "gate --junit: $(head -3 "$T/junit.xml")"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/base.json" --exact --junit "$T/junit-ok.xml"
grep -q 'failures="0"' "$T/junit-ok.xml" && ok || bad "gate --junit on a pass"
# A --junit file that cannot be written fails the gate before it compares, exit 2 (it compared, then exited
# 1, a regression's status); a full disk at the end is exit 2 too.
expect_rc 2 "$IOWALK" gate "$T/base.json" --baseline "$T/base.json" --junit "$T/nodir/j.xml"
grep -q "gate: --junit .*nodir/j.xml" "$T/out" && ! grep -q 'metrics compared' "$T/out" && ok || bad "--junit into a missing directory: $(cat "$T/out")"
if mknod "$T/full" c 1 7 2> /dev/null; then # a private copy of /dev/full (root): never the machine's
	expect_rc 2 "$IOWALK" gate "$T/base.json" --baseline "$T/base.json" --junit "$T/full"
	[ -c "$T/full" ] && ok || bad "gate --junit replaced a device node"
fi
# A passing gate prints its summary alone (every metric with --all); --metric gates only the metrics its
# globs name; integers are printed exactly and reals at fixed precision (no exponent).
"$IOWALK" gate "$T/base.json" --baseline "$T/base.json" > "$T/pass.txt" && [ "$(wc -l < "$T/pass.txt")" -le 2 ] && ok ||
	bad "a passing gate printed $(wc -l < "$T/pass.txt") lines"
[ "$("$IOWALK" gate "$T/base.json" --baseline "$T/base.json" --all | wc -l)" -gt 100 ] && ok || bad "gate --all"
"$IOWALK" gate "$T/slow.json" --baseline "$T/base.json" --accept-config --metric cycles_total --metric 'cycles_per_update.mean' > "$T/m.txt" 2>/dev/null
grep -q "gate: $((2 * NS)) metrics compared" "$T/m.txt" && ! grep -q 'breakdown' "$T/m.txt" && ok || bad "gate --metric: $(tail -1 "$T/m.txt")"
! grep -qE '[0-9]e[+-][0-9]' "$T/m.txt" && grep -qE 'cycles_total +[0-9]+ +[0-9]+ ' "$T/m.txt" && ok || bad "gate number format: $(head -3 "$T/m.txt")"
expect_rc 2 "$IOWALK" gate "$T/slow.json" --baseline "$T/base.json" --accept-config --metric 'nothing*'
grep -q 'no metric matches the --metric globs' "$T/out" && ! grep -q '^strategy  *metric' "$T/out" && ok || bad "an empty --metric selection"
# Reports that cannot be compared still give CI a JUnit file: one error case naming every difference.
expect_rc 2 "$IOWALK" gate "$T/cfg2.json" --baseline "$T/base.json" --junit "$T/junit-cfg.xml"
grep -q 'tests="1" failures="0" errors="1"' "$T/junit-cfg.xml" && grep -q 'config.cost.rpcit: baseline 3000, report 3001' "$T/junit-cfg.xml" &&
	grep -q 'config.device.walkers: baseline 4, report 2' "$T/junit-cfg.xml" && ok || bad "gate --junit on different configurations: $(cat "$T/junit-cfg.xml")"
# A strategy whose name holds control characters: the JUnit file has none (XML 1.0 allows none).
sed 's/"kvm-gfn": {/"kvm\\u0001gfn\\u001b": {/' "$T/base.json" > "$T/ctl.json"
"$IOWALK" gate "$T/ctl.json" --baseline "$T/ctl.json" --exact --junit "$T/junit-ctl.xml" > /dev/null
grep -q 'name="kvm\\x01gfn\\x1b"' "$T/junit-ctl.xml" && ! LC_ALL=C grep -q "$(printf '[\001-\010\013\014\016-\037]')" "$T/junit-ctl.xml" && ok ||
	bad "control characters in JUnit: $(grep -a testcase "$T/junit-ctl.xml" | head -2)"
# A baseline metric that is null or a string is not silently ungated: said, and a regression under --strict.
sed '0,/"cycles_total": [0-9]*,/s//"cycles_total": null,/' "$T/base.json" > "$T/nullbase.json"
expect_rc 0 "$IOWALK" gate "$T/base.json" --baseline "$T/nullbase.json"
grep -q 'gate: note: 1 metric of the report has no number in the baseline (missing, null or a string: cycles_total): not gated' "$T/out" && ok ||
	bad "a null baseline metric not said: $(grep note "$T/out")"
expect_rc 1 "$IOWALK" gate "$T/base.json" --baseline "$T/nullbase.json" --strict
# A key twice in a report (which counts?) is refused.
sed '0,/"translations": \([0-9]*\),/s//"translations": \1, "translations": 0,/' "$T/base.json" > "$T/dup.json"
expect_rc 2 "$IOWALK" gate "$T/dup.json" --baseline "$T/base.json"
grep -q 'duplicate object key' "$T/out" && ok || bad "a duplicate key in a report was accepted"
expect_rc 2 "$IOWALK" compare "$T/base.json" "$T/dup.json"
# compare: both values, the difference, the ratio and the verdict in each metric's direction.
"$IOWALK" run "$tiny" -q --set device.iotlb_entries=0 --json "$T/noiotlb.json"
"$IOWALK" compare "$T/base.json" "$T/noiotlb.json" > "$T/cmp.txt" 2> "$T/cmp.err"
grep -qE '^kvm-gfn +ops.iotlb_hits +2 +0 +-2 +0.0000  worse' "$T/cmp.txt" && ok || bad "compare: fewer hits not worse: $(head -3 "$T/cmp.txt")"
grep -qE '^kvm-gfn +cycles_total .* worse$' "$T/cmp.txt" && ok || bad "compare: more cycles not worse"
grep -q 'config.device.iotlb_entries differs: A 512, B 0' "$T/cmp.err" && ok || bad "compare: config difference not named"
grep -q 'ops.checked' "$T/cmp.txt" && bad "compare: an unchanged metric shown without --all" || ok
"$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --all 2>/dev/null | grep -q 'ops.checked' && ok || bad "compare --all"
"$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --json 2>/dev/null > "$T/cmp.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(r['metric']=='ops.iotlb_hits' and r['verdict']=='worse' for r in d)" "$T/cmp.json" 2>/dev/null && ok ||
	grep -q '"verdict": "worse"' "$T/cmp.json" && ok || bad "compare --json"
"$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --markdown 2>/dev/null | grep -q '^| kvm-gfn | ops.iotlb_hits | 2 | 0 | -2 | 0.0000 | worse |$' && ok || bad "compare --markdown"
# --latex: a booktabs table to \input, strategies as columns, the chosen metrics (names or globs) each
# with rows A, B and B / A, numbers fixed-point (no exponent).
"$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --latex --metric 'ops.iotlb_*' --metric cycles_total > "$T/tex.txt" 2>/dev/null
grep -q '^\\toprule$' "$T/tex.txt" && grep -q '^\\bottomrule$' "$T/tex.txt" && grep -q '^ & kvm-gfn & root-pfn' "$T/tex.txt" &&
	grep -q 'texttt{ops.iotlb\\_hits}' "$T/tex.txt" && grep -q 'texttt{ops.iotlb\\_misses}' "$T/tex.txt" && grep -q 'texttt{cycles\\_total}' "$T/tex.txt" &&
	[ "$(grep -c '^\\quad B / A' "$T/tex.txt")" -eq 3 ] && ! grep -qE '[0-9]e[+-][0-9]' "$T/tex.txt" && ! grep -q 'hline' "$T/tex.txt" && ok ||
	bad "compare --latex: $(head -12 "$T/tex.txt")"
# A --metric that names nothing is an error, no table (an empty one went into a paper unnoticed); --metric
# without --latex is a usage error (it was ignored); a ratio to zero is '-', not 'nan'.
expect_rc 2 "$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --latex --metric 'ops.iotlb_*' --metric 'no_such*'
grep -q "metric no_such\* names no metric" "$T/out" && ! grep -q 'toprule' "$T/out" && ok || bad "--latex --metric no_such*: $(cat "$T/out")"
expect_rc 2 "$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --metric cycles_total
"$IOWALK" compare "$T/base.json" "$T/noiotlb.json" --all 2>/dev/null > "$T/cmp0.txt"
! grep -q 'nan' "$T/cmp0.txt" && grep -qE '^kvm-gfn +ops.iotlb_hits +2 +0 +-2 +0.0000  worse' "$T/cmp0.txt" &&
	grep -qE '^kvm-gfn +ops.iotlb_misses +[1-9][0-9]* +[0-9]+ +\+[0-9]+ +[0-9.]+  worse' "$T/cmp0.txt" &&
	grep -qE ' 0 +0 +\+0 +-  [a-z-]+$' "$T/cmp0.txt" && ok || bad "compare: a ratio to zero: $(grep -m3 'nan\| 0 *0 ' "$T/cmp0.txt")"
# simulated_seconds describes the run: a difference is not 'worse'.
"$IOWALK" compare "$T/base.json" "$T/slow.json" 2>/dev/null | grep -E ' simulated_seconds ' | grep -q ' -$' && ok || bad "compare judged simulated_seconds"
expect_rc 2 "$IOWALK" compare "$T/base.json" "$T/broken.json"
# Inputs a gate or a comparison cannot judge: a JSON file that is no report, another warm-up, a strategy
# the baseline lacks (exit 2, saying which); compare shows what only one side has.
echo '{}' > "$T/empty.json"
"$IOWALK" run "$tiny" -q -s kvm-gfn --json "$T/k.json"
"$IOWALK" run "$tiny" -q -s kvm-gfn -w 2 --json "$T/kw.json"
"$IOWALK" run "$tiny" -q -s direct --json "$T/d.json"
expect_rc 2 "$IOWALK" gate "$T/k.json" --baseline "$T/empty.json"
grep -q 'empty.json: not an iowalk report (no "schema")' "$T/out" && ok || bad "gate against {}: $(cat "$T/out")"
expect_rc 2 "$IOWALK" gate "$T/kw.json" --baseline "$T/k.json"
grep -q 'cannot compare: different warm-up' "$T/out" && ok || bad "gate across warm-ups: $(cat "$T/out")"
expect_rc 2 "$IOWALK" gate "$T/d.json" --baseline "$T/k.json"
grep -q 'strategy direct is in the report but not in the baseline' "$T/out" && ok || bad "gate of another strategy: $(cat "$T/out")"
"$IOWALK" compare "$T/k.json" "$T/d.json" > /dev/null 2> "$T/err" && grep -q '^note: strategy kvm-gfn is only in A$' "$T/err" &&
	grep -q '^note: strategy direct is only in B$' "$T/err" && ok || bad "compare of two strategies: $(cat "$T/err")"
# Sweep: 3 parameters, 2 workers.
cat > "$T/spec.ini" <<'SPEC'
[sweep]
generator = churn
check = 1
[gen]
ops = 200
[grid]
gen.memslots = 1..4*2
set.device.iotlb_entries = 0, 64
gen.rpcit = strict, lazy:16
SPEC
expect_rc 0 "$IOWALK" sweep "$T/spec.ini" -o "$T/r.csv" -j 2 -q
[ "$(wc -l < "$T/r.csv")" -eq $((1 + 12 * NS)) ] && ok || bad "sweep wrote $(wc -l < "$T/r.csv") lines, want $((1 + 12 * NS))"
head -1 "$T/r.csv" | grep -q '^point,sweep_hash,gen.memslots,set.device.iotlb_entries,gen.rpcit,strategy,' && ok || bad "sweep header"
# Resume: drop the last point's rows (as if killed before it was written); the re-run adds only it.
head -n $((1 + 11 * NS)) "$T/r.csv" > "$T/partial.csv"
cp "$T/partial.csv" "$T/resumed.csv"
"$IOWALK" sweep "$T/spec.ini" -o "$T/resumed.csv" -j 2 2> "$T/err"
grep -q '1 points run, 0 failed, 11 already' "$T/err" && ok || { bad "resume: $(cat "$T/err")"; }
sort "$T/r.csv" > "$T/a"; sort "$T/resumed.csv" > "$T/b"
cmp -s "$T/a" "$T/b" && ok || bad "resumed CSV differs from the full one"
# emit-jobs + merge gives the same rows.
mkdir "$T/jobs"
"$IOWALK" sweep "$T/spec.ini" --emit-jobs "$T/jobs" > "$T/jobs.sh"
[ "$(wc -l < "$T/jobs.sh")" -eq 12 ] && ok || bad "emit-jobs printed $(wc -l < "$T/jobs.sh") commands"
PATH="$(dirname "$IOWALK"):$PATH" bash "$T/jobs.sh" 2>/dev/null
"$IOWALK" sweep "$T/spec.ini" --merge "$T/jobs" -o "$T/m.csv" 2> "$T/err"
grep -q 'sweep --merge: 12 points merged, 0 already in the CSV, 0 missing' "$T/err" && ok || bad "merge summary: $(cat "$T/err")"
sort "$T/m.csv" > "$T/c"
cmp -s "$T/a" "$T/c" && ok || bad "merged CSV differs from the local sweep"
# Merging again adds nothing (the points are already there).
"$IOWALK" sweep "$T/spec.ini" --merge "$T/jobs" -o "$T/m.csv" && sort "$T/m.csv" | cmp -s "$T/a" - && ok ||
	bad "a second --merge changed the CSV ($(wc -l < "$T/m.csv") lines)"
# A job made by another build of iowalk cannot join the sweep: merging it is refused, naming the file
# and both builds, and nothing is added.
build=$(grep -m1 '"build"' "$T/jobs/point-0.json" | sed 's/.*"build": *"//; s/".*//')
[ -n "$build" ] && [ "$(tail -1 "$T/r.csv" | awk -F, '{ print $NF }')" = "$build" ] && ok || bad "rows do not carry the build ($build)"
mkdir "$T/jobs2"
cp "$T/jobs"/point-*.json "$T/jobs2/"
sed -i "s/\"build\": \"[^\"]*\"/\"build\": \"0123456789ab-dirty+exe.0000000000000000\"/" "$T/jobs2/point-3.json"
head -n $((1 + 3 * NS)) "$T/m.csv" > "$T/m2.csv"; cp "$T/m2.csv" "$T/m2.before"
"$IOWALK" sweep "$T/spec.ini" --merge "$T/jobs2" -o "$T/m2.csv" 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'point-3.json was made by another build of iowalk (0123456789ab-dirty+exe.0000000000000000; this one is' "$T/err" &&
	cmp -s "$T/m2.csv" "$T/m2.before" && ok || bad "a job of another build was merged (rc $rc): $(cat "$T/err")"
# Jobs of a generator sweep share one trace per distinct generator setting (the grid's set. axis does not
# make another): 3 gen.memslots values x 2 gen.rpcit values = 6 traces for the 12 points.
ngen=$(ls "$T/jobs" | grep -c '^gen-[0-9]*\.trace$')
[ "$ngen" -eq 6 ] && [ -z "$(ls "$T/jobs" | grep '^point-.*\.trace$')" ] && ok || bad "emit-jobs made $ngen shared traces: $(ls "$T/jobs" | head)"
# trace = default replays the embedded default trace (run's, without a TRACE); a relative trace is the
# spec's, resolved against the spec file's directory (not the working directory), and its jobs name it
# absolutely.
mkdir -p "$T/specdir/sub"
cp "$SRC/traces/samples/tiny.trace" "$T/specdir/sub/t.trace"
printf '[sweep]\ntrace = sub/t.trace\nstrategies = kvm-gfn\n[grid]\nset.cost.rpcit = 3000, 4000\n' > "$T/specdir/rel.ini"
(cd / && "$IOWALK" sweep "$T/specdir/rel.ini" -o "$T/rel.csv" -q) && [ "$(wc -l < "$T/rel.csv")" -eq 3 ] && ok || bad "a relative trace in a spec"
"$IOWALK" run "$SRC/traces/samples/tiny.trace" -s kvm-gfn --set cost.rpcit=4000 -q --csv "$T/one.csv"
[ "$(grep '^"set.cost.rpcit=4000"' "$T/rel.csv" | cut -d, -f5-12)" = "$(tail -1 "$T/one.csv" | cut -d, -f2-9)" ] && ok || bad "the relative trace's rows differ from run's"
(cd / && "$IOWALK" sweep "$T/specdir/rel.ini" --emit-jobs "$T/reljobs") | grep -q "'run' '$T/specdir/sub/t.trace'" && ok || bad "relative trace in jobs"
# Its table format is read from it there too (a relative VT-d trace run from elsewhere was taken for
# s390's: every point failed).
"$IOWALK" trace gen nvme --format vtd --ops 60 -o "$T/specdir/sub/v.trace" 2> /dev/null
printf '[sweep]\ntrace = sub/v.trace\nstrategies = nested\n[grid]\nset.device.walkers = 1, 2\n' > "$T/specdir/relv.ini"
(cd / && "$IOWALK" sweep "$T/specdir/relv.ini" -o "$T/relv.csv" -q) && [ "$(wc -l < "$T/relv.csv")" -eq 3 ] && ok || bad "a relative VT-d trace in a spec"
printf '[sweep]\ntrace = missing.trace\n[grid]\nset.cost.rpcit = 1, 2\n' > "$T/specdir/miss.ini"
"$IOWALK" sweep "$T/specdir/miss.ini" -o "$T/miss.csv" -q 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "trace = missing.trace ($T/specdir/missing.trace, against the spec's directory): No such file" "$T/err" && ok ||
	bad "a missing relative trace: rc $rc, $(cat "$T/err")"
# Every point reads the trace: a pipe (which reads once) is refused, naming it.
mkfifo "$T/specdir/pipe.trace"
printf '[sweep]\ntrace = pipe.trace\n[grid]\nset.cost.rpcit = 1, 2\n' > "$T/specdir/pipe.ini"
"$IOWALK" sweep "$T/specdir/pipe.ini" -o "$T/pipe.csv" -q 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "trace = pipe.trace: not a regular file (stdin or a pipe): every point reads it" "$T/err" && ok ||
	bad "a pipe as a sweep's trace: rc $rc, $(cat "$T/err")"
printf '[sweep]\ntrace = default\nstrategies = kvm-gfn,root-pfn\n[grid]\nset.device.walkers = 4\n' > "$T/def.ini"
"$IOWALK" sweep "$T/def.ini" -o "$T/def.csv" -q && "$IOWALK" run -s kvm-gfn,root-pfn -q --csv "$T/defrun.csv" &&
	[ "$(tail -n +2 "$T/def.csv" | cut -d, -f4- | sed 's/,[^,]*$//')" = "$(tail -n +2 "$T/defrun.csv" | sed 's/,[^,]*$//')" ] && ok ||
	bad "trace = default: rows differ from iowalk run's"
"$IOWALK" sweep "$T/def.ini" --emit-jobs "$T/defjobs" | grep -q "^'iowalk' 'run' '--set'" && ok || bad "trace = default in jobs: $("$IOWALK" sweep "$T/def.ini" --emit-jobs "$T/defjobs" | head -1)"
# Jobs emitted and run under one [set], merged under another: each job's config_hash is checked against
# its point's, and the mismatch refused naming the file (it once became rows stamped with the second spec's
# sweep_hash); a job JSON cut short is an error, not "no JSON yet".
printf '[sweep]\ntrace = %s\nstrategies = kvm-gfn\n[set]\ncost.intercept = 1000\n[grid]\nset.cost.rpcit = 3000, 4000\n' "$tiny" > "$T/s1.ini"
sed 's/^cost.intercept = 1000$/cost.intercept = 2000/' "$T/s1.ini" > "$T/s2.ini"
mkdir "$T/cj"
"$IOWALK" sweep "$T/s1.ini" --emit-jobs "$T/cj" > "$T/cj.sh" && PATH="$(dirname "$IOWALK"):$PATH" bash "$T/cj.sh" && ok || bad "jobs of s1"
"$IOWALK" sweep "$T/s2.ini" --merge "$T/cj" -o "$T/cj2.csv" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'point-0.json is point set.cost.rpcit=3000 run with another configuration' "$T/err" &&
	[ "$(wc -l < "$T/cj2.csv")" -le 1 ] && ok || bad "jobs of another [set] merged (rc $rc): $(cat "$T/err")"
"$IOWALK" sweep "$T/s1.ini" --merge "$T/cj" -o "$T/cj1.csv" 2> /dev/null && [ "$(wc -l < "$T/cj1.csv")" -eq 3 ] && ok || bad "jobs of s1 under s1"
head -c 300 "$T/cj/point-1.json" > "$T/cj/p1" && mv "$T/cj/p1" "$T/cj/point-1.json"
"$IOWALK" sweep "$T/s1.ini" --merge "$T/cj" -o "$T/cj3.csv" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'not a whole report: .*point-1.json: line ' "$T/err" && ok || bad "a cut job JSON: rc $rc, $(cat "$T/err")"
# --emit-jobs makes its directory (its jobs failed on it: "the directory does not exist"); --merge of a
# directory that is not there is an error, no CSV made (a typo read as "every point missing yet").
"$IOWALK" sweep "$T/s1.ini" --emit-jobs "$T/newjobs/deeper" > "$T/nj.sh" && [ -d "$T/newjobs/deeper" ] &&
	PATH="$(dirname "$IOWALK"):$PATH" bash "$T/nj.sh" && [ -s "$T/newjobs/deeper/point-1.json" ] && ok || bad "--emit-jobs into a new directory"
"$IOWALK" sweep "$T/s1.ini" --merge "$T/nojobs" -o "$T/nj.csv" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q "nojobs: no such directory" "$T/err" && [ ! -e "$T/nj.csv" ] && ok || bad "--merge of a missing directory: rc $rc, $(cat "$T/err")"
# Resuming checks the CSV whole: its header line exactly (a 1-axis spec's header is a prefix of a 2-axis
# one's), every point's rows (none missing of an explicit strategy list, none twice), and an incomplete
# last line (a write cut short) is removed and its point run again.
printf '[sweep]\ntrace = %s\nstrategies = kvm-gfn,root-pfn\n[grid]\nset.cost.rpcit = 3000, 4000\nset.cost.call = 5, 6\n' "$tiny" > "$T/two.ini"
printf '[sweep]\ntrace = %s\nstrategies = kvm-gfn,root-pfn\n[grid]\nset.cost.rpcit = 3000, 4000\n' "$tiny" > "$T/one.ini"
"$IOWALK" sweep "$T/two.ini" -o "$T/two.csv" -q && [ "$(wc -l < "$T/two.csv")" -eq 9 ] && ok || bad "the 2-axis sweep"
cp "$T/two.csv" "$T/two.keep"
"$IOWALK" sweep "$T/one.ini" -o "$T/two.csv" -q 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'has a different header' "$T/err" && cmp -s "$T/two.csv" "$T/two.keep" && ok ||
	bad "a 1-axis spec resumed into a 2-axis CSV (rc $rc): $(cat "$T/err")"
grep -v '^"set.cost.rpcit=4000;set.cost.call=6",.*,root-pfn,' "$T/two.keep" > "$T/two.csv"
"$IOWALK" sweep "$T/two.ini" -o "$T/two.csv" -q 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'point set.cost.rpcit=4000;set.cost.call=6 lacks rows of some of its strategies' "$T/err" && ok ||
	bad "a point with a row missing was taken as done (rc $rc): $(cat "$T/err")"
{ cat "$T/two.keep"; grep '^"set.cost.rpcit=3000;set.cost.call=5",.*,kvm-gfn,' "$T/two.keep"; } > "$T/two.csv"
"$IOWALK" sweep "$T/two.ini" -o "$T/two.csv" -q 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q "point set.cost.rpcit=3000;set.cost.call=5 has a second row for strategy 'kvm-gfn'" "$T/err" && ok ||
	bad "a point with a row twice was taken as done (rc $rc): $(cat "$T/err")"
head -n 7 "$T/two.keep" > "$T/two.csv"
sed -n 8p "$T/two.keep" | head -c 40 >> "$T/two.csv"
"$IOWALK" sweep "$T/two.ini" -o "$T/two.csv" -q 2> "$T/err" && grep -q 'removed an incomplete last line' "$T/err" &&
	[ "$(wc -l < "$T/two.csv")" -eq 9 ] && [ "$(sort "$T/two.csv" | md5sum)" = "$(sort "$T/two.keep" | md5sum)" ] && ok ||
	bad "a torn last line: $(cat "$T/err"), $(wc -l < "$T/two.csv") lines"
# Other fixed settings ([gen] ops here) with the same grid: refused, and the CSV is left as it was.
sed 's/^ops = 200$/ops = 300/' "$T/spec.ini" > "$T/spec2.ini"
cp "$T/r.csv" "$T/r2.csv"
"$IOWALK" sweep "$T/spec2.ini" -o "$T/r2.csv" -q 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'made with other fixed settings' "$T/err" && cmp -s "$T/r.csv" "$T/r2.csv" && ok ||
	bad "a sweep with other fixed settings appended to the CSV (rc $rc): $(cat "$T/err")"
# A sweep over a trace file whose content changed since the CSV was made: refused as well.
cp "$SRC/traces/samples/tiny.trace" "$T/sw.trace"
printf '[sweep]\ntrace = %s\n[grid]\nset.cost.rpcit = 3000, 4000\n' "$T/sw.trace" > "$T/tspec.ini"
"$IOWALK" sweep "$T/tspec.ini" -o "$T/t.csv" -q && "$IOWALK" sweep "$T/tspec.ini" -o "$T/t.csv" -q && ok || bad "trace sweep or its re-run failed"
cp "$SRC/traces/samples/matrix.trace" "$T/sw.trace"
cp "$T/t.csv" "$T/t0.csv"
"$IOWALK" sweep "$T/tspec.ini" -o "$T/t.csv" -q 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'made with other fixed settings' "$T/err" && cmp -s "$T/t.csv" "$T/t0.csv" && ok ||
	bad "a sweep over a changed trace file appended to the CSV (rc $rc): $(cat "$T/err")"
# Every row carries its provenance: the sweep hash, iowalk's version, the configuration and trace hashes.
awk -F, 'function hex16(v) { return length(v) == 16 && v ~ /^[0-9a-f]+$/ }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	!hex16($c["sweep_hash"]) || !hex16($c["config_hash"]) || !hex16($c["trace_hash"]) || $c["iowalk_version"] == "" { bad = 1 }
	END { exit bad }' "$T/r.csv" && ok || bad "rows without provenance"
# A spec is refused with its line or its entry where it names an unknown generator, or gives generator
# options ([gen], gen. axes) to a sweep that replays a trace file (they would change nothing).
for c in "[sweep]\ngenerator = nope\n|line 2: generator = 'nope': expected nic-ring, nvme, stream, random, churn or vm" \
	"[sweep]\ntrace = $SRC/traces/samples/tiny.trace\n[gen]\nops = 5\n[grid]\nset.device.walkers = 1, 2\n|[gen] ops: generator options need generator = KIND" \
	"[sweep]\ntrace = $SRC/traces/samples/tiny.trace\n[grid]\ngen.seed = 1, 2\n|grid gen.seed needs a generator"; do
	printf "${c%%|*}" > "$T/gspec.ini"
	expect_rc 2 "$IOWALK" sweep "$T/gspec.ini" -o "$T/g.csv"
	grep -qF "${c#*|}" "$T/out" && [ ! -e "$T/g.csv" ] && ok || bad "spec '${c%%|*}': $(cat "$T/out")"
done
# The fixed run options of a sweep ([set], preset, warmup, drain = 0) reach every point: each point's rows
# are those of the same `iowalk run` (after the point's lead columns), and each job says them; a [set]
# value changed with the same grid is other fixed settings (refused).
cat > "$T/fixed.ini" <<SPEC
[sweep]
trace = $SRC/traces/samples/tiny.trace
strategies = kvm-gfn, qemu
preset = tiny
warmup = 2
drain = 0
[set]
cost.intercept = 1234
[grid]
set.device.walkers = 1, 2
SPEC
expect_rc 0 "$IOWALK" sweep "$T/fixed.ini" -o "$T/fixed.csv" -j 2 -q
for w in 1 2; do
	"$IOWALK" run "$SRC/traces/samples/tiny.trace" -q -s kvm-gfn,qemu --preset tiny --warmup 2 --no-drain \
		--set cost.intercept=1234 --set device.walkers=$w --csv "$T/fixed-$w.csv"
	cmp -s <(tail -n +2 "$T/fixed-$w.csv") <(grep "^\"set.device.walkers=$w\"," "$T/fixed.csv" | cut -d, -f4-) && ok ||
		bad "sweep point walkers=$w differs from its run: $(diff <(tail -n +2 "$T/fixed-$w.csv") <(grep "^\"set.device.walkers=$w\"," "$T/fixed.csv" | cut -d, -f4-) | head -4)"
done
"$IOWALK" sweep "$T/fixed.ini" --emit-jobs "$T/jobs" | grep -c -- "'--preset' 'tiny' '--set' 'cost.intercept=1234' .*'--no-drain' '--warmup' '2'" |
	grep -qx 2 && ok || bad "emit-jobs left out the fixed options: $("$IOWALK" sweep "$T/fixed.ini" --emit-jobs "$T/jobs" | head -1)"
sed 's/^cost.intercept = 1234$/cost.intercept = 1235/' "$T/fixed.ini" > "$T/fixed2.ini"
"$IOWALK" sweep "$T/fixed2.ini" -o "$T/fixed.csv" -q 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q 'made with other fixed settings' "$T/err" && ok || bad "another [set] value appended to the CSV (rc $rc): $(cat "$T/err")"
# emit-jobs quotes every word for sh: a hostile trace path runs nothing, and a strategy list with spaces
# works (each job runs and its report has both strategies).
mkdir "$T/hostile"
cp "$SRC/traces/samples/tiny.trace" "$T/hostile/x'; touch pwned; echo '.trace"
cat > "$T/hostile.ini" <<SPEC
[sweep]
trace = $T/hostile/x'; touch pwned; echo '.trace
strategies = kvm-gfn, root-pfn
[grid]
set.cost.rpcit = 3000 \$(touch pwned2)
SPEC
expect_rc 2 "$IOWALK" sweep "$T/hostile.ini" --emit-jobs "$T/hostile"
grep -q "outside\|not a non-negative" "$T/out" && ok || bad "a grid value with a command substitution was not rejected"
sed -i 's/^set.cost.rpcit = .*/set.cost.rpcit = 3000/' "$T/hostile.ini"
"$IOWALK" sweep "$T/hostile.ini" --emit-jobs "$T/hostile" > "$T/hostile.sh"
bindir=$(dirname "$(abspath "$IOWALK")")
(cd "$T/hostile" && PATH="$bindir:$PATH" sh "$T/hostile.sh" > "$T/hostile.out" 2>&1) && ok ||
	bad "the emitted job failed: $(cat "$T/hostile.out")"
[ ! -e "$T/hostile/pwned" ] && [ ! -e "$T/hostile/pwned2" ] && ok || bad "emit-jobs let a trace path run a command"
grep -q '"root-pfn"' "$T/hostile/point-0.json" && grep -q '"kvm-gfn"' "$T/hostile/point-0.json" && ok ||
	bad "a strategy list with spaces did not reach the job"
# Bad specs.
printf '[sweep]\ngenerator = churn\n[grid]\nset.cache.l1.ways = 0\n' > "$T/bad1.ini"
expect_rc 2 "$IOWALK" sweep "$T/bad1.ini" -o "$T/x.csv"
grep -q 'outside' "$T/out" && ok || bad "bad grid value not explained"
printf '[sweep]\ntrace = x\ngenerator = churn\n' > "$T/bad2.ini"
expect_rc 2 "$IOWALK" sweep "$T/bad2.ini" -o "$T/x.csv"
printf '[sweep]\ngenerator = churn\n[grid]\nfoo = 1\n' > "$T/bad3.ini"
expect_rc 2 "$IOWALK" sweep "$T/bad3.ini" -o "$T/x.csv"
[ -e "$T/x.csv" ] && bad "a rejected sweep created its CSV" || ok
# Spec values are read exactly or rejected with the line: booleans, counts, repeated axes, ranges.
for bad_line in "check = maybe" "warmup = abc" "warmup = -1" "warmup = 5x"; do
	printf '[sweep]\ngenerator = churn\n%s\n' "$bad_line" > "$T/bad4.ini"
	expect_rc 2 "$IOWALK" sweep "$T/bad4.ini" -o "$T/x.csv"
	grep -q 'line 3' "$T/out" && ok || bad "'$bad_line' not rejected with its line: $(cat "$T/out")"
done
for yes in yes true on 1 YES; do
	printf '[sweep]\ngenerator = churn\ncheck = %s\n' "$yes" > "$T/yes.ini"
	"$IOWALK" sweep "$T/yes.ini" --emit-jobs "$T/jobs" | grep -q -- "'--check'" && ok || bad "check = $yes did not enable the checker"
done
printf '[sweep]\ngenerator = churn\ncheck = off\n' > "$T/no.ini"
"$IOWALK" sweep "$T/no.ini" --emit-jobs "$T/jobs" | grep -q -- "'--check'" && bad "check = off enabled the checker" || ok
printf '[sweep]\ngenerator = churn\n[grid]\nset.device.walkers = 1, 2\nset.device.walkers = 3\n' > "$T/twice.ini"
expect_rc 2 "$IOWALK" sweep "$T/twice.ini" -o "$T/x.csv"
grep -q 'given twice' "$T/out" && ok || bad "a repeated axis was accepted"
# Every key of a spec once: a [sweep], [set] or [gen] key given twice (the last value was used), and a grid
# key also given fixed (the grid's values replaced it unseen) are refused, naming the key.
printf '[sweep]\ngenerator = churn\nstrategies = kvm-gfn\nstrategies = root-pfn\n' > "$T/twice2.ini"
expect_rc 2 "$IOWALK" sweep "$T/twice2.ini" -o "$T/x.csv"
grep -q 'line 4: \[sweep\] strategies is given twice' "$T/out" && ok || bad "a repeated [sweep] key: $(cat "$T/out")"
printf '[sweep]\ngenerator = churn\n[set]\ndevice.walkers = 2\ndevice.walkers = 3\n' > "$T/twice3.ini"
expect_rc 2 "$IOWALK" sweep "$T/twice3.ini" -o "$T/x.csv"
grep -q 'line 5: \[set\] device.walkers is given twice' "$T/out" && ok || bad "a repeated [set] key: $(cat "$T/out")"
printf '[sweep]\ngenerator = churn\n[gen]\nops = 100\nops = 200\n' > "$T/twice4.ini"
expect_rc 2 "$IOWALK" sweep "$T/twice4.ini" -o "$T/x.csv"
grep -q 'line 5: \[gen\] ops is given twice' "$T/out" && ok || bad "a repeated [gen] key: $(cat "$T/out")"
printf '[sweep]\ngenerator = churn\n[set]\ndevice.walkers = 2\n[grid]\nset.device.walkers = 1, 4\n' > "$T/both.ini"
expect_rc 2 "$IOWALK" sweep "$T/both.ini" -o "$T/x.csv"
grep -q 'grid set.device.walkers and \[set\] device.walkers: the grid' "$T/out" && [ ! -e "$T/x.csv" ] && ok ||
	bad "a grid key also in [set]: $(cat "$T/out")"
printf '[sweep]\ngenerator = churn\n[grid]\ngen.seed = 9223372036854775800..9223372036854775807+3\n' > "$T/big.ini"
n=$("$IOWALK" sweep "$T/big.ini" --emit-jobs "$T/jobs" | wc -l)
[ "$n" -eq 3 ] && ok || bad "a range near 2^63 gave $n points, not 3"
printf '[sweep]\ngenerator = churn\n[grid]\ngen.seed = 18446744073709551610..18446744073709551615+2\n' > "$T/top.ini"
n=$("$IOWALK" sweep "$T/top.ini" --emit-jobs "$T/jobs" | wc -l)
[ "$n" -eq 3 ] && ok || bad "a range at the top of 2^64 gave $n points, not 3"

finish
