#!/usr/bin/env bash
# An interrupted command (SIGINT, SIGTERM or SIGHUP) exits non-zero with a message and leaves no output
# file and no temporary behind.
. "$(dirname "$0")/lib.sh"
IOWALK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$T"
"$IOWALK" trace gen random --ops 3000000 --binary -o big.trace 2>/dev/null
for sig in INT TERM HUP; do
	"$IOWALK" run big.trace -q --check --set device.iotlb_entries=0 --json out.json --csv out.csv 2> err.txt &
	pid=$!
	sleep 0.5
	kill -s $sig $pid
	wait $pid
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'interrupted' err.txt && [ -z "$(ls | grep -E '^out|\.tmp\.')" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: SIG$sig: exit $rc, $(cat err.txt), files: $(ls)"
		fails=$((fails + 1))
	fi
	"$IOWALK" trace gen random --ops 3000000 --binary --zstd -o gen.out 2> err.txt &
	pid=$!
	sleep 0.3
	kill -s $sig $pid
	wait $pid
	rc=$?
	if [ $rc -ne 0 ] && [ -z "$(ls | grep -E '^gen\.out')" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: gen SIG$sig: exit $rc, files: $(ls)"
		fails=$((fails + 1))
	fi
done
# An interrupt while gnuplot draws the figure: no result, no temporary, and gnuplot (here a stand-in that
# reads its script, writes its outputs and hangs) is ended too.
mkdir -p fakebin
cat > fakebin/gnuplot <<'GP'
#!/bin/sh
cat > /dev/null
sleep 30
GP
chmod +x fakebin/gnuplot
PATH="$PWD/fakebin:$PATH" "$IOWALK" run -q --json fig.json --figure figs/x 2> err.txt &
pid=$!
sleep 1
kill -s INT $pid
wait $pid
rc=$?
sleep 0.2
left=$(ls fig.json figs 2>/dev/null; find . -name '*.tmp.*')
if [ $rc -ne 0 ] && [ -z "$(ls figs 2>/dev/null)" ] && [ ! -e fig.json ] && [ -z "$(find . -name '*.tmp.*')" ] &&
	! pgrep -f "$PWD/fakebin/gnuplot" > /dev/null; then
	pass=$((pass + 1))
else
	echo "FAIL: interrupted figure: exit $rc, left: $left, gnuplot: $(pgrep -f "$PWD/fakebin/gnuplot")"
	fails=$((fails + 1))
fi
# An interrupted sweep ends its workers and removes its work directory; finished points stay.
cat > spec.ini <<'SPEC'
[sweep]
generator = random
[gen]
ops = 4000000
[grid]
set.device.iotlb_entries = 0, 4, 8, 16
SPEC
# (an absolute spec path, so that pgrep below sees only this test's processes)
"$IOWALK" sweep "$PWD/spec.ini" -o sweep.csv -j 2 -q 2> err.txt &
pid=$!
sleep 1.5
kill -s INT $pid
wait $pid
rc=$?
sleep 0.2
left=$(ls -d sweep.csv.work.* 2>/dev/null)
workers=$(pgrep -f "iowalk sweep $PWD/spec.ini" || true)
if [ $rc -ne 0 ] && [ -z "$left" ] && [ -z "$workers" ]; then
	pass=$((pass + 1))
else
	echo "FAIL: interrupted sweep: exit $rc, work dir '$left', workers '$workers'"
	fails=$((fails + 1))
fi
# Ctrl-C reaches the whole process group, workers included: the sweep still says it once (its own
# process group here, as a terminal's foreground job has).
setsid "$IOWALK" sweep "$PWD/spec.ini" -o sweep2.csv -j 2 -q 2> err.txt &
pid=$!
sleep 1.5
kill -s INT -- -$pid 2>/dev/null || kill -s INT $pid
wait $pid
rc=$?
sleep 0.2
n=$(grep -c 'interrupted' err.txt)
if [ $rc -ne 0 ] && [ "$n" -eq 1 ] && [ -z "$(ls -d sweep2.csv.work.* 2>/dev/null)" ]; then
	pass=$((pass + 1))
else
	echo "FAIL: sweep interrupted as a group: exit $rc, said 'interrupted' $n times: $(cat err.txt)"
	fails=$((fails + 1))
fi
# Two sweeps on one CSV: the second is refused while the first runs (both would run the points not yet
# there and append them twice); a work directory a killed sweep left (its process gone) is removed by the
# next sweep on that CSV.
"$IOWALK" sweep "$PWD/spec.ini" -o lock.csv -j 1 -q 2> /dev/null &
pid=$!
sleep 1
"$IOWALK" sweep "$PWD/spec.ini" -o lock.csv -j 1 -q 2> err.txt; rc=$?
kill -s TERM $pid 2>/dev/null; wait $pid 2>/dev/null
if [ $rc -eq 1 ] && grep -q 'lock.csv: another sweep is writing to it' err.txt; then
	pass=$((pass + 1))
else
	echo "FAIL: a second sweep on one CSV: exit $rc, $(cat err.txt)"
	fails=$((fails + 1))
fi
dead=99999; while kill -0 $dead 2>/dev/null; do dead=$((dead + 1)); done
mkdir "stale.csv.work.$dead"; touch "stale.csv.work.$dead/point-3.csv" "stale.csv.work.$dead/gen-0.trace"
printf '[sweep]\ntrace = default\nstrategies = kvm-gfn\n[grid]\nset.device.walkers = 4\n' > small.ini
"$IOWALK" sweep small.ini -o stale.csv -q 2> err.txt
if [ ! -e "stale.csv.work.$dead" ] && grep -q "removed .*stale.csv.work.$dead, left by a sweep that no longer runs" err.txt; then
	pass=$((pass + 1))
else
	echo "FAIL: a stale work directory: $(ls -d stale.csv.work.* 2>/dev/null), $(cat err.txt)"
	fails=$((fails + 1))
fi
# --progress writes progress lines to a stderr that is not a terminal (here a file), with the share done.
"$IOWALK" run big.trace -q -s kvm-gfn --progress 2> progress.txt
if grep -qE '^big.trace: [0-9]+ records \(?.*[0-9]+%.*records/s$' progress.txt; then
	pass=$((pass + 1))
else
	echo "FAIL: --progress: $(head -2 progress.txt)"
	fails=$((fails + 1))
fi
# ... ending with one line for the whole trace; a zstd trace's share counts the compressed bytes the reader
# has used, not those read ahead (a file under a MiB is read at once: its first line said 100 %).
"$IOWALK" trace gen stream --ops 200000 --binary --zstd -o small.trace.zst 2> /dev/null
"$IOWALK" run small.trace.zst -q -s kvm-gfn --progress 2> progress.txt
first=$(head -1 progress.txt | grep -oE '[0-9]+% of the file' | grep -oE '^[0-9]+')
if [ -n "$first" ] && [ "$first" -ge 20 ] && [ "$first" -le 50 ] && tail -1 progress.txt | grep -qE '^small.trace.zst: 200132 records, all read, [0-9]+ records/s$'; then
	pass=$((pass + 1))
else
	echo "FAIL: --progress of a zstd trace: $(cat progress.txt)"
	fails=$((fails + 1))
fi
finish
