#!/usr/bin/env bash
# End-to-end tests of `iowalk trace gen`: determinism, statistics against parameters, and replay of every
# sample (hand-written and generated) under every strategy with --check.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2

for k in nic-ring nvme stream random churn vm; do
	"$IOWALK" trace gen $k --ops 300 --seed 11 -o "$T/a.trace" 2>/dev/null || bad "$k: gen failed"
	"$IOWALK" trace gen $k --ops 300 --seed 11 -o "$T/b.trace" 2>/dev/null
	"$IOWALK" trace gen $k --ops 300 --seed 12 -o "$T/c.trace" 2>/dev/null
	cmp -s "$T/a.trace" "$T/b.trace" && ok || bad "$k: same seed, different bytes"
	if [ $k != stream ]; then cmp -s "$T/a.trace" "$T/c.trace" && bad "$k: different seeds, same bytes" || ok; fi
	"$IOWALK" trace gen $k --ops 300 --seed 11 --binary --zstd -o "$T/a.zst" 2>/dev/null
	"$IOWALK" trace cat "$T/a.zst" | cmp -s - "$T/a.trace" && ok || bad "$k: binary zstd output differs from text"
	"$IOWALK" run -q --check "$T/a.trace" || bad "$k: run --check failed"
done

# vm: a format-v2 trace, one IOAT per function (16 MiB apart), operations to the functions in turn
# (even: NIC buffers of --buf-size, 1536 B by default; odd: NVMe requests); each function's DMAs are its own device; it
# replays checked with per-function or shared bridge caches.
"$IOWALK" trace gen vm --functions 3 --ops 90 --ring 8 --rpcit lazy:4 -o "$T/vm.trace" 2>/dev/null || bad "vm --functions 3 failed"
head -1 "$T/vm.trace" | grep -q '^%iowalk-trace 2$' && ok || bad "vm: not a v2 trace"
[ "$(grep -c ' IOAT ' "$T/vm.trace")" = 3 ] && grep -q ' IOAT 2 0x3000000 3$' "$T/vm.trace" && ok || bad "vm: IOATs $(grep ' IOAT ' "$T/vm.trace")"
for f in 0 1 2; do
	[ "$(awk -v f=$f '$2 == "DMA" && $3 == f' "$T/vm.trace" | wc -l)" = 30 ] && ok || bad "vm: function $f has not 30 DMAs"
done
awk '$2 == "DMA" && $3 == 0 { if ($5 != "0x600") bad = 1 } END { exit bad }' "$T/vm.trace" && ok || bad "vm: a NIC DMA not of --buf-size"
for shared in 0 1; do "$IOWALK" run -q --check --set device.shared_caches=$shared "$T/vm.trace" || bad "vm: run --check (shared $shared) failed"; done
"$IOWALK" trace gen vm --functions 1 --ops 20 -o "$T/vm1.trace" 2>/dev/null && head -1 "$T/vm1.trace" | grep -q '^%iowalk-trace 1$' && ok || bad "vm --functions 1 is not a v1 trace"
"$IOWALK" trace gen vm --devices 2 -o "$T/x" 2>/dev/null; [ $? -eq 2 ] && ok || bad "vm --devices should be refused"
"$IOWALK" trace gen nic-ring --functions 2 -o "$T/x" 2>/dev/null; [ $? -eq 2 ] && ok || bad "nic-ring --functions should be refused"

# nic-ring, strict: one map and one unmap per packet, an RPCIT after each; buffers are whole pages.
"$IOWALK" trace gen nic-ring --ops 100 --buf-size 2048 --ring 16 -o "$T/n.trace" 2>/dev/null
"$IOWALK" trace stat --json "$T/n.trace" > "$T/n.json"
[ "$(jget "$T/n.json" MAP)" = 100 ] && ok || bad "nic-ring: maps $(jget "$T/n.json" MAP) != 100"
[ "$(jget "$T/n.json" UNMAP)" = 100 ] && ok || bad "nic-ring: unmaps != 100"
[ "$(jget "$T/n.json" RPCIT)" = 200 ] && ok || bad "nic-ring strict: RPCITs $(jget "$T/n.json" RPCIT) != 200"
[ "$(jget "$T/n.json" bytes_mapped)" = 409600 ] && ok || bad "nic-ring: bytes mapped $(jget "$T/n.json" bytes_mapped) != 100 x 4096"
[ "$(jget "$T/n.json" bytes_dma)" = 204800 ] && ok || bad "nic-ring: DMA bytes != 100 x 2048"
# lazy:10: an RPCIT per map, plus one global flush per 10 unmaps.
"$IOWALK" trace gen nic-ring --ops 100 --ring 16 --rpcit lazy:10 -o "$T/l.trace" 2>/dev/null
"$IOWALK" trace stat --json "$T/l.trace" > "$T/l.json"
[ "$(jget "$T/l.json" RPCIT)" = 110 ] && ok || bad "nic-ring lazy:10: RPCITs $(jget "$T/l.json" RPCIT) != 110"
# stream: the working set mapped in 1 MiB chunks, each refreshed, one unmap at the end.
"$IOWALK" trace gen stream --ops 500 --working-set 8 --dma-size 65536 -o "$T/s.trace" 2>/dev/null
"$IOWALK" trace stat --json "$T/s.trace" > "$T/s.json"
[ "$(jget "$T/s.json" MAP)" = 8 ] && ok || bad "stream: maps != 8"
[ "$(jget "$T/s.json" bytes_dma)" = 32768000 ] && ok || bad "stream: DMA bytes != 500 x 64 KiB"
# memslots: the guest RAM split evenly.
"$IOWALK" trace gen churn --ops 10 --memslots 16 --guest-ram 1024 -o "$T/m.trace" 2>/dev/null
"$IOWALK" trace stat --json "$T/m.trace" > "$T/m.json"
[ "$(jget "$T/m.json" MEMSLOT)" = 16 ] && ok || bad "memslots != 16"
[ "$(jget "$T/m.json" memslot_pages)" = 262144 ] && ok || bad "memslot pages != 1 GiB"
# bad options are usage errors
"$IOWALK" trace gen random --zipf 0.3 -o "$T/x" 2>/dev/null; [ $? -eq 2 ] && ok || bad "--zipf 0.3 should be rejected"
"$IOWALK" trace gen random --zipf 0x1 -o "$T/x" 2> "$T/err"; [ $? -eq 2 ] && grep -q "expected a decimal number" "$T/err" && ok || bad "--zipf 0x1 (a hex float)"
"$IOWALK" trace gen bogus -o "$T/x" 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown kind should be rejected"
"$IOWALK" trace gen churn --memslots 3 --guest-ram 1024 -o "$T/x" 2>/dev/null; [ $? -eq 2 ] && ok || bad "--memslots 3 of 1024 MiB should be rejected"
[ -e "$T/x" ] && bad "a rejected gen left a file" || ok

# Every sample replays under every strategy with the checker on.
for s in "$SRC"/traces/samples/*.trace "$SRC"/traces/real/linux-6.12-virtio-blk-lazy.trace.zst; do
	"$IOWALK" run -q --check "$s" || bad "$(basename "$s"): run --check failed"
	"$IOWALK" run -q --check --preset tiny "$s" || bad "$(basename "$s"): run --check --preset tiny failed"
done
# An option a kind does not use is refused; every trace subcommand has its own help.
"$IOWALK" trace gen churn --zipf 1 -o "$T/z.trace" > "$T/out" 2>&1; [ $? -eq 2 ] && grep -q 'applies to random only' "$T/out" && ok ||
	bad "--zipf accepted for churn: $(cat "$T/out")"
"$IOWALK" trace gen stream --ring 8 -o "$T/z.trace" > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "--ring accepted for stream"
for sub in cat pack stat validate gen convert; do
	"$IOWALK" trace $sub --help | head -1 | grep -q "^usage: iowalk trace $sub" && ok || bad "trace $sub --help"
done
# Sizes take binary suffixes (K, M, G, T, with or without "iB"): a working set of 512 KiB, which a whole
# number of MiB could not ask for; 64 and 64M are the same; a size that is not whole MiB where MiB are
# needed, or not a size, is refused.
"$IOWALK" trace gen random --ops 20 --working-set 512K -o "$T/ws.trace" 2> "$T/err" && grep -q '1 maps (524288 bytes)' "$T/err" && ok ||
	bad "--working-set 512K: $(cat "$T/err")"
"$IOWALK" trace gen random --ops 20 --working-set 64 -o "$T/a.trace" 2>/dev/null && "$IOWALK" trace gen random --ops 20 --working-set 64MiB -o "$T/b.trace" 2>/dev/null &&
	cmp -s "$T/a.trace" "$T/b.trace" && ok || bad "--working-set 64 and 64MiB differ"
"$IOWALK" trace gen nic-ring --ops 20 --guest-ram 4G --buf-size 2K -o "$T/c.trace" 2>/dev/null && "$IOWALK" trace gen nic-ring --ops 20 --guest-ram 4096 --buf-size 2048 -o "$T/d.trace" 2>/dev/null &&
	cmp -s "$T/c.trace" "$T/d.trace" && ok || bad "--guest-ram 4G --buf-size 2K differ from 4096 and 2048"
"$IOWALK" trace gen nic-ring --ops 20 --guest-ram 1536K -o "$T/e.trace" 2> "$T/err"; [ $? -eq 2 ] && grep -q "guest-ram '1536K': expected a whole number of MiB" "$T/err" && ok || bad "--guest-ram 1536K: $(cat "$T/err")"
"$IOWALK" trace gen random --ops 20 --working-set 5X -o "$T/e.trace" 2> "$T/err"; [ $? -eq 2 ] && grep -q "working-set '5X': expected a size" "$T/err" && ok || bad "--working-set 5X: $(cat "$T/err")"
"$IOWALK" trace gen random --ops 20 --working-set 6K -o "$T/e.trace" 2> "$T/err"; [ $? -ne 0 ] && grep -q "multiple of 4 KiB" "$T/err" && ok || bad "--working-set 6K: $(cat "$T/err")"
# Format version 3 names the table format: gen --format writes it, run picks the model from it (the same
# numbers as the version-1 trace of the same workload), --list-formats and --list-strategies --format say
# what the build knows; an unknown format, and a trace on stdin of another format than --format, are refused.
"$IOWALK" run --list-formats | grep -q '^s390-ioat ' && ok || bad "--list-formats"
[ "$("$IOWALK" run --list-strategies --format s390-ioat | cut -d' ' -f1 | tr '\n' ,)" = "kvm-gfn,root-pfn,nested,qemu,direct," ] && ok || bad "--list-strategies --format"
"$IOWALK" run --list-strategies --format vtd-x 2> "$T/err"; [ $? -eq 2 ] && grep -q "unknown table format 'vtd-x' (known: s390-ioat, vtd)" "$T/err" && ok || bad "run --format vtd-x: $(cat "$T/err")"
"$IOWALK" trace gen stream --ops 40 --format vtd-x -o "$T/v3.trace" 2> "$T/err"; [ $? -eq 2 ] && grep -q "unknown table format 'vtd-x'" "$T/err" && ok || bad "gen --format vtd-x: $(cat "$T/err")"
"$IOWALK" trace gen stream --ops 40 --format s390-ioat -o "$T/v3.trace" 2>/dev/null && "$IOWALK" trace gen stream --ops 40 -o "$T/v1.trace" 2>/dev/null &&
	head -2 "$T/v3.trace" | tr '\n' ' ' | grep -q '^%iowalk-trace 3 %format s390-ioat ' && ok || bad "gen --format: $(head -2 "$T/v3.trace")"
"$IOWALK" run "$T/v3.trace" --check -q --csv "$T/v3.csv" && "$IOWALK" run "$T/v1.trace" -q --csv "$T/v1.csv" &&
	[ "$(cut -d, -f2-30 "$T/v3.csv")" = "$(cut -d, -f2-30 "$T/v1.csv")" ] && ok || bad "a version-3 trace's numbers differ from version 1's"
"$IOWALK" trace gen stream --ops 40 --devices 2 --format s390-ioat -o "$T/d.trace" 2> "$T/err"; [ $? -ne 0 ] && grep -q "needs a version-1 trace" "$T/err" && ok || bad "gen --devices 2 --format: $(cat "$T/err")"
sed 's/^%format s390-ioat/%format toy-x/' "$T/v3.trace" > "$T/toy.trace"
"$IOWALK" run "$T/toy.trace" -q 2> "$T/err"; [ $? -eq 1 ] && grep -q "table format 'toy-x' is not one this build knows (s390-ioat, vtd)" "$T/err" && ok || bad "run of a toy-x trace: $(cat "$T/err")"
"$IOWALK" run - -q < "$T/toy.trace" 2> "$T/err"; [ $? -eq 1 ] && grep -q "the trace's table format is toy-x, but the strategies are s390-ioat's" "$T/err" && ok || bad "stdin toy-x: $(cat "$T/err")"
# A trace through a pipe is read once (its model is not looked up by reading it first: the run read what
# that left, "no records"): the run's, and a table format that is not s390's is named with the way out.
"$IOWALK" run <(cat "$T/v3.trace") -q --csv "$T/pipe.csv" && [ "$(cut -d, -f2-30 "$T/pipe.csv")" = "$(cut -d, -f2-30 "$T/v3.csv")" ] &&
	ok || bad "a trace through a pipe: $(head -2 "$T/pipe.csv")"
"$IOWALK" trace gen nvme --format vtd --ops 50 -o "$T/pv.trace" 2> /dev/null
"$IOWALK" run <(cat "$T/pv.trace") -q 2> "$T/err"; [ $? -eq 1 ] && grep -q "table format is vtd, but the strategies are s390-ioat's (a trace on stdin or a pipe: pass --format vtd)" "$T/err" &&
	ok || bad "a VT-d trace through a pipe: $(cat "$T/err")"
"$IOWALK" run <(cat "$T/pv.trace") --format vtd -q -s nested && ok || bad "a VT-d trace through a pipe with --format vtd"
# --format naming another format than a trace file's header: the user's mistake, said as such.
"$IOWALK" run "$T/pv.trace" --format s390-ioat -q 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "table format is vtd, but --format names s390-ioat (pass --format vtd, or leave it out for a trace file" "$T/err" &&
	ok || bad "--format s390-ioat on a VT-d trace file: $(cat "$T/err")"
# VT-d: every generator writes a vtd trace (first-stage tables of 4 levels by default); it replays under
# every VT-d strategy with --check and no fault, and the report names the VT-d counters and faults.
"$IOWALK" run --list-formats | grep -q '^vtd ' && ok || bad "--list-formats lacks vtd"
[ "$("$IOWALK" run --list-strategies --format vtd | cut -d' ' -f1 | tr '\n' ,)" = "vmm-shadow,nested,nested-hwq,passthrough,kvm-gfn,root-pfn," ] && ok || bad "vtd strategies"
for kind in nic-ring nvme stream random churn vm; do
	"$IOWALK" trace gen $kind --ops 300 --format vtd -o "$T/vtd-$kind.trace" 2>/dev/null || { bad "gen $kind --format vtd"; continue; }
	grep -q ' IOAT [0-9]* 0x[0-9a-f]* 4$' "$T/vtd-$kind.trace" || bad "gen $kind --format vtd: not 4 levels"
	"$IOWALK" run "$T/vtd-$kind.trace" --check -q --json "$T/vtd-$kind.json" 2> "$T/err" || { bad "vtd $kind --check: $(cat "$T/err")"; continue; }
	python3 - "$T/vtd-$kind.json" <<'PY' && ok || bad "vtd $kind: $(cat "$T/err")"
import json, sys
j = json.load(open(sys.argv[1]))
s = j["strategies"]
assert sorted(s) == ["kvm-gfn", "nested", "nested-hwq", "passthrough", "root-pfn", "vmm-shadow"], sorted(s)
for name, v in s.items():
    assert all(n == 0 for n in v["faults"].values()), (name, v["faults"])
    assert v["ops"]["checked"] == v["translations"] > 0, name
    assert "qi_waits" in v["ops"] and "host_walks" not in v["ops"], name
    assert set(v["faults"]) == {"not_present", "write_to_readonly", "beyond_width", "reserved_field", "privilege", "invalid_context"}
assert "vtd.mamv" in j["config"] and "vm.host_levels" not in j["config"]
PY
done
# A sweep generates VT-d traces with [gen] format = vtd (4 levels unless the spec says) and runs the VT-d
# strategies; an unknown format is refused with the spec's name.
printf '[sweep]\ngenerator = nvme\nstrategies = all\ncheck = 1\n[gen]\nformat = vtd\nops = 40\n[grid]\nset.vtd.qi_wait_ns = 7000, 92000\n' > "$T/vtd-sweep.ini"
"$IOWALK" sweep "$T/vtd-sweep.ini" -o "$T/vtd-sweep.csv" 2> "$T/err" && [ "$(grep -c ',passthrough,' "$T/vtd-sweep.csv")" -eq 2 ] &&
	[ "$(grep -c ',vmm-shadow,' "$T/vtd-sweep.csv")" -eq 2 ] && ! grep -q ',direct,' "$T/vtd-sweep.csv" && ok || bad "vtd sweep: $(cat "$T/err")"
printf '[sweep]\ngenerator = nvme\n[gen]\nformat = vtd-x\nops = 40\n' > "$T/bad-sweep.ini"
"$IOWALK" sweep "$T/bad-sweep.ini" -o "$T/bad.csv" 2> "$T/err"; [ $? -ne 0 ] && grep -q "format 'vtd-x': unknown table format (known: s390-ioat, vtd)" "$T/err" && ok || bad "sweep [gen] format vtd-x: $(cat "$T/err")"
# trace convert --format vtd: a capture converted as a VT-d guest's (version 3, 4-level first-stage tables)
# replays under every VT-d design with --check.
"$IOWALK" trace convert --from ftrace "$SRC/tests/golden/capture-6.12.txt" --format vtd -o "$T/cap-vtd.trace" 2> "$T/err" &&
	head -2 "$T/cap-vtd.trace" | tr '\n' ' ' | grep -q '^%iowalk-trace 3 %format vtd ' && grep -q ' IOAT [0-9]* 0x[0-9a-f]* 4$' "$T/cap-vtd.trace" &&
	"$IOWALK" run "$T/cap-vtd.trace" --check -q 2>> "$T/err" && ok || bad "convert --format vtd: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$SRC/tests/golden/capture-6.12.txt" --format nope -o "$T/x.trace" 2> "$T/err"; [ $? -eq 2 ] &&
	grep -q "unknown table format 'nope'" "$T/err" && ok || bad "convert --format nope: $(cat "$T/err")"
finish
