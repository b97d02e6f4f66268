#!/usr/bin/env bash
# End-to-end tests of `iowalk gate` (exit codes for pass, regression, improvement, incompatible inputs)
# and `iowalk sweep` (parallel run, resume, emit-jobs + merge giving the same rows, bad specs).
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
expect_rc() { local want=$1; shift; "$@" > "$T/out" 2>&1; local rc=$?; [ $rc -eq "$want" ] && ok || { bad "exit $rc (want $want): $*"; cat "$T/out"; }; }

tiny="$SRC/traces/samples/tiny.trace"
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
[ "$(wc -l < "$T/r.csv")" -eq $((1 + 12 * 4)) ] && ok || bad "sweep wrote $(wc -l < "$T/r.csv") lines, want 49"
head -1 "$T/r.csv" | grep -q '^point,gen.memslots,set.device.iotlb_entries,gen.rpcit,strategy,' && ok || bad "sweep header"
# Resume: drop the last point's rows (as if killed before it was written); the re-run adds only it.
head -n 45 "$T/r.csv" > "$T/partial.csv"
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
"$IOWALK" sweep "$T/spec.ini" --merge "$T/jobs" -o "$T/m.csv"
sort "$T/m.csv" > "$T/c"
cmp -s "$T/a" "$T/c" && ok || bad "merged CSV differs from the local sweep"
# Bad specs.
printf '[sweep]\ngenerator = churn\n[grid]\nset.cache.l1.ways = 0\n' > "$T/bad1.ini"
expect_rc 2 "$IOWALK" sweep "$T/bad1.ini" -o "$T/x.csv"
grep -q 'outside' "$T/out" && ok || bad "bad grid value not explained"
printf '[sweep]\ntrace = x\ngenerator = churn\n' > "$T/bad2.ini"
expect_rc 2 "$IOWALK" sweep "$T/bad2.ini" -o "$T/x.csv"
printf '[sweep]\ngenerator = churn\n[grid]\nfoo = 1\n' > "$T/bad3.ini"
expect_rc 2 "$IOWALK" sweep "$T/bad3.ini" -o "$T/x.csv"
[ -e "$T/x.csv" ] && bad "a rejected sweep created its CSV" || ok

finish
