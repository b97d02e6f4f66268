#!/usr/bin/env bash
# Allocation-failure injection: for N = 1, 2, ... make the N-th allocation fail (IOWALK_FAIL_ALLOC) in
# small runs of each command until one succeeds. Every failing run must exit 1 with a message, leave no
# output file and no temporary behind (and, under the asan preset, leak nothing).
. "$(dirname "$0")/lib.sh"
IOWALK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)

sweep_cmd() { # NAME OUTPUT... -- COMMAND...
	local name=$1; shift
	local outs=()
	while [ "$1" != "--" ]; do outs+=("$1"); shift; done; shift
	local n rc
	for n in $(seq 1 5000); do
		rm -rf "$T/w"; mkdir "$T/w"
		(cd "$T/w" && IOWALK_FAIL_ALLOC=$n "$@" > out.log 2>&1); rc=$?
		if [ $rc -eq 0 ]; then
			for o in "${outs[@]}"; do [ -s "$T/w/$o" ] || bad "$name: success at N=$n without $o"; done
			echo "$name: $((n - 1)) injected failures, all clean"
			pass=$((pass + 1))
			return
		fi
		if grep -q 'Sanitizer' "$T/w/out.log"; then bad "$name: N=$n: $(grep -m1 Sanitizer "$T/w/out.log")"; return; fi
		if [ $rc -ne 1 ]; then bad "$name: N=$n exit $rc: $(tail -2 "$T/w/out.log")"; return; fi
		grep -q 'iowalk' "$T/w/out.log" || { bad "$name: N=$n failed without a message"; return; }
		left=$(ls "$T/w" | grep -v '^out.log$' | grep -v '^in\.' || true)
		[ -z "$left" ] || { bad "$name: N=$n left files: $left"; return; }
	done
	bad "$name: never succeeded"
}

tiny="$SRC/traces/samples/tiny.trace"
sweep_cmd run o.json o.csv o.cdf -- "$IOWALK" run "$tiny" --check -q --json o.json --csv o.csv --cdf o.cdf
sweep_cmd run-excerpt o.json -- "$IOWALK" run "$SRC/traces/samples/real-excerpt.trace" --check -q --json o.json
sweep_cmd pack o.bin -- "$IOWALK" trace pack --zstd "$SRC/traces/samples/two-slots.trace" o.bin
sweep_cmd gen o.trace -- "$IOWALK" trace gen nvme --ops 20 -o o.trace
sweep_cmd convert o.trace -- "$IOWALK" trace convert --from ftrace "$SRC/traces/real/linux-6.12-virtio-blk-lazy.ftrace.txt" -o o.trace
finish
