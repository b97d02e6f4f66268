#!/usr/bin/env bash
# The committed real captures (traces/real/): converting each raw capture again gives exactly the
# committed trace; each trace has its known record counts; each replays under every strategy with the
# checker on and no translation fault.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2

# name | from | maps unmaps rpcits dmas
while read -r name from maps unmaps rpcits dmas; do
	[ -n "$name" ] || continue
	raw="$SRC/traces/real/$name.$from.txt.zst"
	committed="$SRC/traces/real/$name.trace.zst"
	zstd -dc "$raw" | "$IOWALK" trace convert --from "$from" --rpcit captured - -o "$T/$name.trace" \
		--name "$("$IOWALK" trace stat --json "$committed" | grep '"name"' | sed 's/.*"name": "//; s/",$//')" 2>/dev/null
	h1=$("$IOWALK" trace stat --json "$T/$name.trace" | grep '"hash"')
	h2=$("$IOWALK" trace stat --json "$committed" | grep '"hash"')
	[ -n "$h1" ] && [ "$h1" = "$h2" ] && ok || bad "$name: reconverting the raw capture gives other records ($h1 / $h2)"
	"$IOWALK" trace stat --json "$committed" > "$T/s.json"
	for kv in "MAP $maps" "UNMAP $unmaps" "RPCIT $rpcits" "DMA $dmas"; do
		set -- $kv
		[ "$(jget "$T/s.json" "$1")" = "$2" ] && ok || bad "$name: $1 $(jget "$T/s.json" "$1"), want $2"
	done
	"$IOWALK" run "$committed" --check -q --json "$T/r.json" || { bad "$name: run --check failed"; continue; }
	if grep -qE '"(invalid_entry|table_length|table_type|protection|out_of_range)": [1-9]' "$T/r.json"; then
		bad "$name: translation faults in a real capture"
	else
		ok
	fi

done <<'LIST'
linux-6.12-virtio-blk-lazy-dd ftrace 10016 10014 10016 10015
linux-6.12-virtio-blk-strict-dd ftrace 10074 10072 20145 10073
linux-6.1-virtio-blk-lazy-dd kprobe 5815 5814 5815 5815
LIST
# The excerpt and the embedded default are the same kind of data.
cmp -s "$SRC/traces/default.trace.zst" "$SRC/traces/real/linux-6.12-virtio-blk-lazy-dd.trace.zst" && ok || bad "traces/default.trace.zst is not the 6.12 lazy capture"
finish
