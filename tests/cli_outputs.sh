#!/usr/bin/env bash
# Result files are all or nothing, and paths that are not regular files are written through, never
# replaced: a character device (a private copy of /dev/null and /dev/full, made with mknod when root),
# a FIFO, stdout, a symbolic link (followed, dangling or not). A failed figure step leaves no result
# and no temporary.
. "$(dirname "$0")/lib.sh"
IOWALK=$(abspath "$1")
SRC=$(abspath "$2")
tiny="$SRC/traces/samples/tiny.trace"
cd "$T"
run() { "$IOWALK" run "$tiny" -q "$@"; }
no_tmp() { [ -z "$(find . -name '*.tmp.*')" ] && ok || bad "temporaries left: $(find . -name '*.tmp.*')"; }

if mknod null c 1 3 2>/dev/null && mknod full c 1 7 2>/dev/null; then
	run --json null && [ -c null ] && ok || bad "--json to a character device replaced it"
	run --json full --csv after.csv 2> err.txt
	[ $? -eq 1 ] && [ -c full ] && [ ! -e after.csv ] && grep -q 'write error' err.txt && ok ||
		bad "--json to a full device: exit, device or partial result wrong ($(cat err.txt))"
else
	echo "(not root: the device-node cases are skipped)"
fi
mkfifo fifo
cat fifo > fifo.out &
run --json fifo && wait && [ -p fifo ] && grep -q '"schema"' fifo.out && ok || bad "--json to a FIFO"
run --csv - > stdout.csv && grep -q '^strategy,' stdout.csv && ok || bad "--csv - (stdout)"
ln -s target.json link.json
run --json link.json && [ -L link.json ] && grep -q '"schema"' target.json && ok || bad "symlink replaced or not followed"
mkdir sub
ln -s sub/deep.csv dangling.csv
run --csv dangling.csv && [ -L dangling.csv ] && [ -s sub/deep.csv ] && ok || bad "dangling symlink not followed"
run --json sub 2> err.txt; [ $? -eq 1 ] && grep -q 'is a directory' err.txt && ok || bad "--json to a directory"
# The figure fails (no gnuplot on PATH): no result at all, no temporary.
PATH=/nonexistent "$IOWALK" run "$tiny" -q --json all.json --csv all.csv --figure fig/x 2> err.txt
[ $? -eq 1 ] && [ ! -e all.json ] && [ ! -e all.csv ] && [ -z "$(ls fig 2>/dev/null)" ] && ok ||
	bad "a failed figure left results: $(ls) $(ls fig 2>/dev/null)"
# --outdir: everything of one run in one folder, and config.ini + command.txt reproduce it exactly.
run --check --outdir "od/run1" && ls od/run1 | tr '\n' ' ' |
	grep -q '^cdf.csv command.txt config.ini figure-col1.pdf figure-col2.pdf figure.pdf figure.png report.csv report.json $' &&
	ok || bad "--outdir wrote: $(ls od/run1 2>/dev/null)"
# The run's figure for a paper: 3.4 in (244.8 pt) and 7 in (504 pt) wide PDFs.
grep -aq 'MediaBox \[ 0 0 244 ' od/run1/figure-col1.pdf && grep -aq 'MediaBox \[ 0 0 504 ' od/run1/figure-col2.pdf &&
	ok || bad "paper-column figure sizes: $(grep -ao 'MediaBox[^]]*' od/run1/figure-col*.pdf)"
"$IOWALK" run "$tiny" -q --check --config od/run1/config.ini --json again.json && cmp -s <(grep -v '"git"' again.json) <(grep -v '"git"' od/run1/report.json) &&
	ok || bad "config.ini does not reproduce the --outdir report"
grep -q "'--outdir' 'od/run1'" od/run1/command.txt && ok || bad "command.txt: $(cat od/run1/command.txt)"
# A full standard output is a failure (exit 1 with a message), whatever the command.
if [ -w /dev/full ]; then
	for cmd in "run --print-config" "run --help" "--help" "gate --help" "trace stat $tiny" "trace validate $tiny" \
		"trace cat $tiny" "run $tiny" "run --list-strategies"; do
		# shellcheck disable=SC2086
		"$IOWALK" $cmd > /dev/full 2> err.txt
		[ $? -eq 1 ] && grep -q 'write error' err.txt && ok || bad "'iowalk $cmd > /dev/full' did not fail"
	done
fi
# A write error says why, for every writer: reports, traces written by pack, gen and convert. Into the
# private copy of /dev/full (never the machine's: a writer that replaced its output would destroy it).
if [ -c full ]; then
	for cmd in "run $tiny -q --json full" "trace pack $tiny full" "trace gen nvme --ops 50 -o full" \
		"trace gen nvme --ops 50 --binary -o full" "trace convert --from ftrace $SRC/tests/golden/capture-6.12.txt -o full"; do
		# shellcheck disable=SC2086
		"$IOWALK" $cmd > /dev/null 2> err.txt
		[ $? -eq 1 ] && grep -q 'full: write error: No space left on device' err.txt && [ -c full ] && ok || bad "'iowalk $cmd': $(cat err.txt)"
	done
fi
# /dev/stdout as a result's path, standard output a pipe: written through (it followed the link by hand to
# /proc/self/fd/pipe:[N], "cannot create temporary file").
run --json /dev/stdout --csv x.csv 2> err.txt | cat > piped.json && grep -q '"schema": "iowalk-report/' piped.json && [ -s x.csv ] && ok ||
	bad "--json /dev/stdout into a pipe: $(cat err.txt)"
run --csv /dev/stdout 2> err.txt | cat > piped.csv && head -1 piped.csv | grep -q '^strategy,' && ok || bad "--csv /dev/stdout into a pipe: $(cat err.txt)"
# The table of a trace of two PCI functions: per function, updates, translations and cycles that add up
# to the strategy's; with --amortize-over, the amortized column and what it means.
"$IOWALK" run "$SRC/traces/samples/two-functions.trace" -s kvm-gfn,direct --amortize-over 1 > "$T/fns.txt" 2>/dev/null &&
	awk '/^strategy +updates +upd-mean/ { main = 1; next } main && NF == 0 { main = 0 }
		main { upd[$1] = $2; xl[$1] = $7; tot[$1] = $12; ns++ }
		/^per PCI function/ { per = 1; getline; next } per && NF == 0 { per = 0 }
		per { u[$1] += $3; x[$1] += $6; t[$1] += $8; nf[$1]++ }
		END { for (s in tot) if (nf[s] != 2 || u[s] != upd[s] || x[s] != xl[s] || t[s] != tot[s]) bad = 1; exit bad || ns != 2 }' "$T/fns.txt" &&
	grep -q 'amort/xlat   ratio$' "$T/fns.txt" && grep -q '^amort/xlat: (total + set-up x min(1, run time / 1 s)) per translation' "$T/fns.txt" &&
	ok || bad "two functions' table: $(sed -n '/^per PCI/,/^$/p' "$T/fns.txt")"
# What each component and counter counts: --list-counters, every one of them in the report's schema
# (docs/report-schema.md) with the same words, and every name the report's JSON uses.
"$IOWALK" run --list-counters > "$T/counters.txt" && n=0 && while read -r name help; do
	grep -qF "| \`$name\` | $help |" "$SRC/docs/report-schema.md" || bad "--list-counters: '$name' is not in docs/report-schema.md as '$help'"
	n=$((n + 1))
done < <(grep '^  ' "$T/counters.txt") && [ "$n" -eq "$(grep -c '^| `' "$SRC/docs/report-schema.md")" ] && ok ||
	bad "--list-counters printed $n, docs/report-schema.md has $(grep -c '^| `' "$SRC/docs/report-schema.md")"
"$IOWALK" run "$tiny" -q -s qemu --json "$T/names.json"
# (an s390 report has the engine's counters and the s390 model's and strategies': not another model's)
for name in $(grep '^  ' "$T/counters.txt" | grep -v '(counted by vtd' | awk '{print $1}'); do grep -q "\"$name\": " "$T/names.json" || bad "'$name' is not in the report"; done
for name in $(grep '^  ' "$T/counters.txt" | grep '(counted by vtd' | awk '{print $1}'); do grep -q "\"$name\": " "$T/names.json" && bad "'$name' (VT-d's) is in an s390 report"; done
ok
# A reader that stops early: the results are complete (no temporary left), and the exit is quiet (0, no
# message: the reader chose to stop), for run and for trace cat; a full disk is still an error.
mkdir -p early
"$IOWALK" run "$tiny" --figure early/fig --json early/r.json 2> early.err | head -1 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && [ ! -s early.err ] && [ -s early/fig.png ] && [ -s early/fig-col1.pdf ] && [ -s early/r.json ] && [ -z "$(ls early | grep '\.tmp\.')" ] && ok ||
	bad "run | head: exit $rc, said '$(cat early.err)', left: $(ls early)"
"$IOWALK" trace cat "$SRC/traces/samples/gen-churn.trace" 2> early.err | head -1 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && [ ! -s early.err ] && ok || bad "trace cat | head: exit $rc, said '$(cat early.err)'"
if [ -w /dev/full ]; then
	"$IOWALK" run "$tiny" > /dev/full 2> early.err; rc=$?
	[ "$rc" = 1 ] && grep -q 'standard output: write error: No space left on device' early.err && ok || bad "run > /dev/full: exit $rc, $(cat early.err)"
fi
# Without --check only the pages changed since their last refresh are tracked (not the full reference
# map): every number but the checked count is the same as with it.
for t in tiny two-slots two-functions matrix gen-nic-ring-lazy gen-churn; do
	"$IOWALK" run "$SRC/traces/samples/$t.trace" -q --json nochk.json && "$IOWALK" run "$SRC/traces/samples/$t.trace" -q --check --json chk.json &&
		cmp -s <(grep -v '"checked"\|"check"\|config_hash\|"git"' nochk.json) <(grep -v '"checked"\|"check"\|config_hash\|"git"' chk.json) &&
		ok || bad "$t: a run without --check differs from one with it"
done
# A backing the host cannot have (2 GiB pages for a 256 MiB memslot) is said on stderr, naming the
# strategy and the parameter; a backing it can have says nothing.
"$IOWALK" run "$tiny" -s kvm-gfn -q --set vm.host_page_kib=2097152 --json /dev/null 2> back.err &&
	grep -q "warning: kvm-gfn: .* guest pages mapped with 4 KiB pages although vm.host_page_kib=2097152" back.err && ok ||
	bad "2 GiB backing of a small memslot: no warning ($(cat back.err))"
"$IOWALK" run "$tiny" -s kvm-gfn -q --json /dev/null 2> back.err && [ ! -s back.err ] && ok || bad "4 KiB backing warned: $(cat back.err)"
# Only --outdir creates directories: a result whose directory is missing (a typo) is refused before the
# run, naming the option and the directory, and no directory is made.
for opt in --json --csv --cdf --figure; do
	"$IOWALK" run "$tiny" -q $opt typo/deeper/out 2> dir.err; rc=$?
	[ "$rc" = 1 ] && grep -q "run: $opt typo/deeper/out: the directory 'typo/deeper' does not exist" dir.err && [ ! -e typo ] && ok ||
		bad "$opt into a missing directory: exit $rc, $(cat dir.err), $(ls -d typo 2>/dev/null)"
done
"$IOWALK" run "$tiny" -q --outdir made/here && [ -s made/here/report.json ] && ok || bad "--outdir does not create its directory"
# An empty path is a usage error everywhere (as root, '--outdir ""' once wrote its files into '/').
for args in "run $tiny --outdir" "run $tiny --json" "run $tiny --figure" "run $tiny --csv" "trace gen nic-ring -o" \
	"sensitivity $tiny -n 1 --json" "trace convert --from ftrace $SRC/tests/golden/capture-6.12.txt -o"; do
	"$IOWALK" $args '' > /dev/null 2> empty.err; rc=$?
	[ "$rc" = 2 ] && grep -q "needs a non-empty value" empty.err && ok || bad "$args '': exit $rc, $(cat empty.err)"
done
# An empty operand too, a trace, an output or a report: it names no file ('trace pack IN ""' wrote its
# output, then failed renaming it to "", exit 1; a trace "" was "cannot open: ''").
"$IOWALK" trace pack "$tiny" pk.trace && "$IOWALK" run "$tiny" -q --json rep.json || bad "set-up of the empty operands"
for args in "run ''" "mrc ''" "sensitivity '' -n 1" "trace stat ''" "trace validate ''" "trace cat ''" "trace pack '' x" \
	"trace pack pk.trace ''" "compare '' rep.json" "gate '' -b rep.json" "sweep '' -o x.csv" "trace convert --from ftrace '' -o x"; do
	eval "\"\$IOWALK\" $args" > /dev/null 2> empty.err; rc=$?
	[ "$rc" = 2 ] && grep -q "an empty argument names no file" empty.err && ok || bad "$args: exit $rc, $(cat empty.err)"
done
ls -A | grep -q '^\.' && bad "an empty operand left a temporary: $(ls -A | grep '^\.')" || ok
# A report that is not there is said so, without a line number (it said "line -1: unable to open").
"$IOWALK" compare gone.json rep.json 2> gone.err; [ $? -eq 2 ] && grep -q "compare: unable to open gone.json" gone.err &&
	! grep -q "line -1" gone.err && ok || bad "compare of a missing report: $(cat gone.err)"
"$IOWALK" gate gone.json -b rep.json 2> gone.err; [ $? -eq 2 ] && grep -q "unable to open gone.json" gone.err &&
	! grep -q "line -1" gone.err && ok || bad "gate of a missing report: $(cat gone.err)"
# Overwriting a result keeps its mode (a 600 report stays 600).
"$IOWALK" run "$tiny" -q --json mode.json && chmod 600 mode.json && "$IOWALK" run "$tiny" -q --json mode.json &&
	[ "$(stat -c %a mode.json)" = 600 ] && ok || bad "an overwritten result's mode: $(stat -c %a mode.json)"
# Every report validates against the JSON Schema docs/report.schema.json (python3-jsonschema, which
# tools/install-deps installs): all strategies on the default trace, a refusal and a tag on a 4-level
# trace, the amortized figure, two functions; a report with a negative count does not.
py=""
for p in /usr/bin/python3 python3; do "$p" -c 'import jsonschema' 2> /dev/null && { py=$p; break; }; done
if [ -z "$py" ]; then
	bad "python3 with jsonschema is missing (tools/install-deps installs python3-jsonschema)"
else
	sed 's/^0 IOAT 0 0x1000000 3$/0 IOAT 0 0x1000000 4/' "$SRC/traces/samples/matrix.trace" > m4.trace
	"$IOWALK" run -q --json s1.json && "$IOWALK" run m4.trace -q --tag t --json s2.json &&
		"$IOWALK" run "$tiny" -q --amortize-over 10 --json s3.json && "$IOWALK" run "$SRC/traces/samples/two-functions.trace" -q --json s4.json || bad "schema runs"
	sed '0,/"cycles_total": [0-9]*/s//"cycles_total": -1/' s1.json > s5.json
	"$py" - "$SRC/docs/report.schema.json" s1.json s2.json s3.json s4.json s5.json > schema.out 2>&1 <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema)
for f in sys.argv[2:]:
    errs = list(v.iter_errors(json.load(open(f))))
    print(f, "valid" if not errs else "invalid: " + errs[0].message)
PY
	grep -q '^s1.json valid$' schema.out && grep -q '^s2.json valid$' schema.out && grep -q '^s3.json valid$' schema.out &&
		grep -q '^s4.json valid$' schema.out && grep -q '^s5.json invalid: -1 is less than the minimum of 0' schema.out && ok ||
		bad "report schema: $(cat schema.out)"
fi
no_tmp
# The text table's operation counts and faults line up whatever the longest counter name: every row of
# each section is as long as its header row.
"$IOWALK" run "$tiny" > table.txt
for sec in "operation counts" "faults"; do
	n=$(awk -v s="$sec" '$0 == s { on = 1; next } on && $0 == "" { exit } on { print length($0) }' table.txt | sort -u | wc -l)
	[ "$n" -eq 1 ] && ok || bad "the '$sec' rows are of $n different lengths: $(sed -n "/^$sec\$/,/^\$/p" table.txt | head -30)"
done
finish
