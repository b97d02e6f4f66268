#!/usr/bin/env bash
# The committed real captures (traces/real/): converting each raw capture again with --function (the
# workload disk) gives exactly the committed trace; each trace has its known record counts; each replays
# under every strategy with the checker on and no translation fault. Converted without --function, every
# function is kept (a format-v2 trace): its maps and unmaps are exactly the capture's events, and it
# replays under every strategy with --check and no fault, with and without shared bridge caches.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2

# name | from | function | maps unmaps rpcits dmas
while read -r name from fn maps unmaps rpcits dmas; do
	[ -n "$name" ] || continue
	raw="$SRC/traces/real/$name.$from.txt.zst"
	committed="$SRC/traces/real/$name.trace.zst"
	zstd -dc "$raw" | "$IOWALK" trace convert --from "$from" --rpcit captured --function "$fn" - -o "$T/$name.trace" \
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
	# Every function: the capture's map and unmap events, all of them.
	"$IOWALK" trace convert --from "$from" --rpcit captured "$raw" -o "$T/all.trace" 2> "$T/conv.err" || { bad "$name: converting every function failed"; continue; }
	grep -q '2 functions (format v2' "$T/conv.err" && ok || bad "$name: $(cat "$T/conv.err")"
	if [ "$from" = kprobe ]; then
		# flags 0x400 (ZPCI_PTE_INVALID) is an unmap; the capture has flags 0x0, 0x200 and 0x400 only
		want_maps=$(zstd -dc "$raw" | grep '(__dma_update_trans' | grep -vc 'flags=0x4')
		want_unmaps=$(zstd -dc "$raw" | grep '(__dma_update_trans' | grep -c 'flags=0x4')
	else
		want_maps=$(zstd -dc "$raw" | grep -c ' map: ')
		want_unmaps=$(zstd -dc "$raw" | grep -c ' unmap: ')
	fi
	"$IOWALK" trace stat --json "$T/all.trace" > "$T/a.json"
	[ "$(jget "$T/a.json" MAP)" = "$want_maps" ] && [ "$(jget "$T/a.json" UNMAP)" = "$want_unmaps" ] && ok ||
		bad "$name, every function: $(jget "$T/a.json" MAP) maps / $(jget "$T/a.json" UNMAP) unmaps, the capture has $want_maps / $want_unmaps"
	for shared in 0 1; do
		"$IOWALK" run "$T/all.trace" --check -q --set device.shared_caches=$shared --json "$T/a-r.json" || { bad "$name, every function: run --check failed"; continue; }
		grep -qE '"(invalid_entry|table_length|table_type|protection|out_of_range)": [1-9]' "$T/a-r.json" &&
			bad "$name, every function: translation faults" || ok
	done
done <<'LIST'
linux-6.12-virtio-blk-lazy-dd ftrace 0001:00:00.0 10016 10014 10016 10015
linux-6.12-virtio-blk-strict-dd ftrace 0001:00:00.0 10074 10072 20145 10073
linux-6.1-virtio-blk-lazy-dd kprobe zdev:2014400 5815 5814 5815 5815
LIST
# The captures kept whole (every function, format v2): network (two virtio-net NICs on a QEMU hub, pktgen
# and arping) and the NVMe stand-in (virtio-blk with 2 queues on 2 vCPUs). Reconverting gives the
# committed records; every map and unmap of the capture is there; no fault under any strategy.
# name | maps unmaps rpcits dmas functions
while read -r name maps unmaps rpcits dmas fns; do
	raw="$SRC/traces/real/$name.ftrace.txt.zst"
	committed="$SRC/traces/real/$name.trace.zst"
	zstd -dc "$raw" | "$IOWALK" trace convert --from ftrace --rpcit captured - -o "$T/$name.trace" \
		--name "$("$IOWALK" trace stat --json "$committed" | grep '"name"' | sed 's/.*"name": "//; s/",$//')" 2>/dev/null
	h1=$("$IOWALK" trace stat --json "$T/$name.trace" | grep '"hash"')
	h2=$("$IOWALK" trace stat --json "$committed" | grep '"hash"')
	[ -n "$h1" ] && [ "$h1" = "$h2" ] && ok || bad "$name: reconverting the raw capture gives other records ($h1 / $h2)"
	"$IOWALK" trace stat --json "$committed" > "$T/s.json"
	for kv in "MAP $maps" "UNMAP $unmaps" "RPCIT $rpcits" "DMA $dmas" "IOAT $fns"; do
		set -- $kv
		[ "$(jget "$T/s.json" "$1")" = "$2" ] && ok || bad "$name: $1 $(jget "$T/s.json" "$1"), want $2"
	done
	[ "$(zstd -dc "$raw" | grep -c ' map: ')" = "$maps" ] && [ "$(zstd -dc "$raw" | grep -c ' unmap: ')" = "$unmaps" ] && ok ||
		bad "$name: the capture's map/unmap events are not all in the trace"
	"$IOWALK" run "$committed" --check -q --json "$T/r.json" || { bad "$name: run --check failed"; continue; }
	grep -qE '"(invalid_entry|table_length|table_type|protection|out_of_range)": [1-9]' "$T/r.json" &&
		bad "$name: translation faults in a real capture" || ok
done <<'LIST'
linux-6.12-virtio-net-lazy-pktgen 1919 1423 1990 1914 3
linux-6.12-virtio-net-strict-pktgen 1919 1425 3339 1914 3
linux-6.12-virtio-blk-mq-lazy-dd 17204 17199 17205 17203 2
LIST
# x86-64 guests behind QEMU's VT-d (iowalk-capture --arch x86_64 --host-log): reconverting the guest's
# capture with QEMU's own VT-d trace gives the committed records; every translation QEMU logged is placed
# where the guest maps its page to the gpa QEMU gave (none disagrees); each replays with --check and no
# fault under the designs its guest suits (caching mode off: nested, nested-hwq, passthrough; on: every
# VT-d design, the shadowing ones needing its flush after each map).
# name | maps unmaps rpcits dmas functions strategies
while read -r name maps unmaps rpcits dmas fns strategies; do
	raw="$SRC/traces/real/$name.ftrace.txt.zst"
	host="$SRC/traces/real/$name.host.txt.zst"
	committed="$SRC/traces/real/$name.trace.zst"
	"$IOWALK" trace convert --from ftrace "$raw" --host-log "$host" --clock-ghz 2.0 -o "$T/$name.trace" \
		--name "$("$IOWALK" trace stat --json "$committed" | grep '"name"' | sed 's/.*"name": "//; s/",$//')" 2> "$T/conv.err"
	h1=$("$IOWALK" trace stat --json "$T/$name.trace" | grep '"hash"')
	h2=$("$IOWALK" trace stat --json "$committed" | grep '"hash"')
	[ -n "$h1" ] && [ "$h1" = "$h2" ] && ok || bad "$name: reconverting the raw capture and host log gives other records ($h1 / $h2)"
	grep -q "translations placed as DMAs, each agreeing with the guest's mapping at its place (.*); 0 disagree;" "$T/conv.err" && ok ||
		bad "$name: host translations disagree with the guest's mappings: $(grep 'host log' "$T/conv.err")"
	"$IOWALK" trace stat --json "$committed" > "$T/s.json"
	for kv in "MAP $maps" "UNMAP $unmaps" "RPCIT $rpcits" "DMA $dmas" "IOAT $fns"; do
		set -- $kv
		[ "$(jget "$T/s.json" "$1")" = "$2" ] && ok || bad "$name: $1 $(jget "$T/s.json" "$1"), want $2"
	done
	[ "$(zstd -dc "$raw" | grep -c ' map: ')" = "$maps" ] && [ "$(zstd -dc "$raw" | grep -c ' unmap: ')" = "$unmaps" ] &&
		[ "$(zstd -dc "$raw" | grep ' qi_submit: ' | grep -c ' iotlb_inv ')" = "$rpcits" ] && ok ||
		bad "$name: the capture's map, unmap and IOTLB invalidation events are not all in the trace"
	"$IOWALK" run "$committed" -s "$strategies" --preset spr --check -q --json "$T/r.json" || { bad "$name: run --check failed"; continue; }
	grep -qE '"(not_present|write_to_readonly|beyond_width|reserved_field|privilege|invalid_context)": [1-9]' "$T/r.json" &&
		bad "$name: translation faults in a real capture" || ok
done <<'LIST'
linux-6.12-x86-nvme-strict-dd 25208 2532 2532 86843 1 nested,nested-hwq,passthrough
linux-6.12-x86-nvme-lazy-dd 14854 2532 237 86565 1 nested,nested-hwq,passthrough
linux-6.12-x86-nvme-cm-strict-dd 37793 2532 5073 87874 1 all
linux-6.12-x86-nvme-mq-lazy-dd 30795 2541 111 86295 1 nested,nested-hwq,passthrough
linux-6.12-x86-e1000e-strict-net 1200 684 684 1886 2 nested,nested-hwq,passthrough
linux-6.12-x86-e1000e-lazy-net 1200 684 154 1873 2 nested,nested-hwq,passthrough
linux-6.12-x86-e1000e-cm-strict-net 1199 684 1882 2067 2 all
linux-6.12-x86-virtio-net-lazy-net 1266 758 157 3481 2 nested,nested-hwq,passthrough
linux-6.12-x86-virtio-net-strict-net 1231 745 745 3490 2 nested,nested-hwq,passthrough
LIST
# The excerpt and the embedded default are the same kind of data.
cmp -s "$SRC/traces/default.trace.zst" "$SRC/traces/real/linux-6.12-virtio-blk-lazy-dd.trace.zst" && ok || bad "traces/default.trace.zst is not the 6.12 lazy capture"
finish
