#!/usr/bin/env bash
# The same-work floor (bench/speed/floor_model.c) does what iowalk's kvm-gfn does, count for count, on the
# default trace and small versions of bench/speed's workloads: so a change of the model that the floor
# does not follow fails here, not first in a benchmark run. (bench/speed/floor_agree compares the counts.)
. "$(dirname "$0")/lib.sh"
IOWALK=$1
FLOOR=$2
SRC=$3
agree() { # NAME TRACE [--set K=V ...]
	local name=$1 trace=$2
	shift 2
	"$FLOOR" "$trace" "$@" > "$T/floor.out" 2> "$T/err" || { bad "$name: floor: $(cat "$T/err")"; return; }
	"$IOWALK" run "$trace" -q -s kvm-gfn "$@" --json "$T/r.json" 2> "$T/err" || { bad "$name: iowalk: $(cat "$T/err")"; return; }
	python3 "$SRC/bench/speed/floor_agree" "$T/floor.out" "$T/r.json" > "$T/agree" && ok || bad "$name: $(grep DIFFERS "$T/agree")"
}
agree default "$SRC/traces/default.trace.zst"
"$IOWALK" trace gen stream --working-set 2 --dma-size 65536 --interval 30000 --ops 2000 --binary -o "$T/serial.trace" 2> /dev/null
agree serial "$T/serial.trace"
"$IOWALK" trace gen random --working-set 64 --ops 20000 --binary -o "$T/walk.trace" 2> /dev/null
agree walk "$T/walk.trace" --set device.iotlb_entries=0
agree walk-small-caches "$T/walk.trace" --set device.iotlb_entries=16 --set device.wc_st_entries=4
"$IOWALK" trace gen churn --ops 5000 --binary -o "$T/churn.trace" 2> /dev/null
agree churn "$T/churn.trace"
"$IOWALK" trace gen vm --functions 3 --ops 3000 --binary -o "$T/vm3.trace" 2> /dev/null
agree vm3 "$T/vm3.trace"
# Overlapping DMAs: only the device side's order may differ (the floor says how many records interleave).
"$IOWALK" trace gen stream --working-set 2 --dma-size 65536 --ops 2000 --binary -o "$T/over.trace" 2> /dev/null
agree overlapped "$T/over.trace"
grep -q "^interleaved" "$T/agree" && ok || bad "overlapped: the floor saw no interleaved record"
# It models s390's kvm-gfn only: a VT-d trace is refused, not counted as s390.
if "$FLOOR" "$SRC/traces/real/linux-6.12-x86-nvme-cm-strict-dd.trace.zst" > /dev/null 2> "$T/err"; then bad "the floor took a VT-d trace"; else
	grep -q "table format 'vtd', not s390-ioat" "$T/err" && ok || bad "VT-d trace: $(cat "$T/err")"
fi
finish
