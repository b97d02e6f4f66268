#!/usr/bin/env bash
# End-to-end tests of `iowalk trace`: round trips, stat output, and every rejection case with its message.
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2

# expect_fail NAME EXPECTED_SUBSTRING FILE: validate must exit 1 and print the substring on stderr.
expect_fail() {
	local name=$1 want=$2 file=$3 out rc
	out=$("$IOWALK" trace validate "$file" 2>&1 >/dev/null); rc=$?
	if [ $rc -ne 1 ]; then bad "$name: exit $rc, expected 1 ($out)"; return; fi
	case "$out" in *"$want"*) ok ;; *) bad "$name: message '$out' lacks '$want'" ;; esac
}

for s in "$SRC"/traces/samples/*.trace; do
	b=$(basename "$s")
	"$IOWALK" trace validate "$s" >/dev/null || bad "$b: validate failed"
	"$IOWALK" trace cat "$s" > "$T/$b.txt" || bad "$b: cat failed"
	"$IOWALK" trace pack "$s" "$T/$b.bin" || bad "$b: pack failed"
	"$IOWALK" trace pack --zstd "$s" "$T/$b.zst" || bad "$b: pack --zstd failed"
	"$IOWALK" trace cat "$T/$b.bin" > "$T/$b.bin.txt" || bad "$b: cat bin failed"
	"$IOWALK" trace cat "$T/$b.zst" > "$T/$b.zst.txt" || bad "$b: cat zst failed"
	cmp -s "$T/$b.txt" "$T/$b.bin.txt" && ok || bad "$b: text -> binary -> text differs"
	cmp -s "$T/$b.txt" "$T/$b.zst.txt" && ok || bad "$b: text -> zstd binary -> text differs"
	# Canonical text is a fixed point: cat of cat is identical.
	"$IOWALK" trace cat "$T/$b.txt" > "$T/$b.txt2"
	cmp -s "$T/$b.txt" "$T/$b.txt2" && ok || bad "$b: canonical text is not a fixed point"
	# zstd-compressed text is read too, chosen by content.
	zstd -q -c "$T/$b.txt" > "$T/$b.txt.zst.data"
	"$IOWALK" trace cat "$T/$b.txt.zst.data" | cmp -s - "$T/$b.txt" && ok || bad "$b: zstd text differs"
	h1=$("$IOWALK" trace stat --json "$s" | grep '"hash"')
	h2=$("$IOWALK" trace stat --json "$T/$b.zst" | grep '"hash"')
	[ "$h1" = "$h2" ] && ok || bad "$b: hash differs between encodings ($h1 / $h2)"
done

# stat on the tiny sample: exact counts and byte totals.
out=$("$IOWALK" trace stat --json "$SRC/traces/samples/tiny.trace")
for want in '"MAP": 2' '"UNMAP": 1' '"RPCIT": 2' '"DMA": 4' '"records": 11' '"bytes_mapped": 8192' \
	'"bytes_mapped_readonly": 4096' '"bytes_dma": 8768' '"iova_min": "0x13fffe000"' '"iova_max": "0x13fffffff"' \
	'"time_last_cycles": 9100'; do
	case "$out" in *"$want"*) ok ;; *) bad "stat --json lacks $want" ;; esac
done
out=$("$IOWALK" trace stat "$SRC/traces/samples/tiny.trace")
case "$out" in *"mapped     8192 bytes (4096 read-only)"*) ok ;; *) bad "stat table: $out" ;; esac

# Rejections, each with its message.
printf '0 FOO 1 2\n' > "$T/kind.txt"; expect_fail kind "kind.txt: line 1 (record 1): unknown record kind 'FOO'" "$T/kind.txt"
printf '5 RPCIT 0x1000 0x1000\n# c\n4 RPCIT 0x1000 0x1000\n' > "$T/time.txt"
expect_fail time "line 3 (record 2): time 4 is before the previous record's 5" "$T/time.txt"
printf '0 MAP 0x1000 0x1000 0 rw\n' > "$T/len0.txt"; expect_fail len0 "line 1 (record 1, MAP): len is 0" "$T/len0.txt"
printf '0 UNMAP 0xfffffffffffff000 0x2000\n' > "$T/ovf.txt"; expect_fail overflow "iova + len overflows 2^64" "$T/ovf.txt"
printf 'IOWAXXXXsomething more than a header....' > "$T/magic.bin"; expect_fail magic "bad magic" "$T/magic.bin"
"$IOWALK" trace pack "$SRC/traces/samples/tiny.trace" "$T/v.bin"
printf '\x04' | dd of="$T/v.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_fail version "unknown format version 4" "$T/v.bin"
"$IOWALK" trace pack "$SRC/traces/samples/tiny.trace" "$T/trunc.bin"
sz=$(stat -c %s "$T/trunc.bin"); head -c $((sz - 10)) "$T/trunc.bin" > "$T/trunc2.bin"
expect_fail truncated "(record 11): truncated record: 30 of 40 bytes" "$T/trunc2.bin"
"$IOWALK" trace pack --zstd "$SRC/traces/samples/tiny.trace" "$T/trunc.zst"
sz=$(stat -c %s "$T/trunc.zst"); head -c $((sz - 8)) "$T/trunc.zst" > "$T/trunc2.zst"
expect_fail truncated-zstd "zstd" "$T/trunc2.zst"
"$IOWALK" trace pack "$SRC/traces/samples/tiny.trace" "$T/k.bin"
# record 3 starts at 32 + name + 2*40; poke its kind byte.
nl=$(head -c 24 "$T/k.bin" | tail -c 4 | od -An -tu4 | tr -d ' ')
printf '\x63' | dd of="$T/k.bin" bs=1 seek=$((32 + nl + 80 + 8)) conv=notrunc 2>/dev/null
expect_fail bin-kind "(record 3): unknown record kind 99" "$T/k.bin"
expect_fail missing "cannot open" "$T/does-not-exist"

# A failed pack leaves no output file behind.
"$IOWALK" trace pack "$T/len0.txt" "$T/out.bin" 2>/dev/null && bad "pack of a bad trace succeeded"
ls "$T" | grep -q '^out.bin' && bad "pack left a file behind" || ok

# Golden conversions of hand-written captures (tests/golden/): exact output, checked by hand once.
G="$SRC/tests/golden"
golden() { # EXPECTED -- CONVERT ARGS...
	local want=$1; shift 2
	"$IOWALK" trace convert "$@" -o "$T/conv.trace" 2> "$T/conv.err" || { bad "convert $*: $(cat "$T/conv.err")"; return; }
	cmp -s "$T/conv.trace" "$G/$want" && ok || { bad "convert $* differs from $want"; diff "$T/conv.trace" "$G/$want" | head -5; }
}
golden expect-6.12.trace -- --from ftrace --function 0001:00:00.0 "$G/capture-6.12.txt" --name "golden 6.12"
golden expect-6.12-strict.trace -- --from ftrace --function 0001:00:00.0 --rpcit strict --dma-accesses 2 "$G/capture-6.12.txt" --name "golden 6.12 strict"
# Every function (the default): a v2 trace, function 0 = 0001:00:00.0 (seen first), 1 = 0002:00:00.0 with
# its IO table 16 MiB below; the map, RPCIT and DMA of 0002 are kept under function 1.
golden expect-6.12-all.trace -- --from ftrace "$G/capture-6.12.txt" --name "golden 6.12 all functions"
grep -q '2 functions (format v2: 0 = 0001:00:00.0, 1 = 0002:00:00.0)' "$T/conv.err" && ok || bad "all functions: $(cat "$T/conv.err")"
# An x86-64 guest's capture (VT-d, 6.12 events): a VT-d trace (v3) whose RPCITs are the guest's IOTLB
# invalidation descriptors: page-selective ranges of 2^AM pages, the leaf hint (IH), domain and global
# flushes, the PASID-based form; the domain of each tied to its function by the unmap it flushes; a domain
# tied to none flushes every function. dma_map_sg's segments and dma_map_phys make device accesses.
golden expect-x86-6.12.trace -- --from ftrace "$G/capture-x86-6.12.txt" --name "golden x86 6.12"
grep -q '2 functions (format v3: 0 = 0000:00:03.0, 1 = 0000:00:04.0), vtd 4-level table, 3 maps, 2 unmaps, 7 RPCITs (captured: the guest.s IOTLB invalidation descriptors, 3 of them domain or global (domains tied to no function made global); its other descriptors ignored), 3 DMAs' "$T/conv.err" &&
	ok || bad "x86 capture: $(cat "$T/conv.err")"
"$IOWALK" run "$G/expect-x86-6.12.trace" -s all --check -q 2> "$T/err" && ok || bad "x86 capture replay: $(cat "$T/err")"
# A capture or a QEMU log given where a trace belongs is named as such, with the way to a trace (it was
# "bad time 'insmod-134'"); a directive given twice is refused (the second replaced the first, or changed
# the version the records were read in).
"$IOWALK" run "$G/capture-6.12.txt" -q 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "line 6: an ftrace event line ('insmod-134 \[000\] ...'), not a trace record: this is a capture; convert it first" "$T/err" &&
	ok || bad "run of a capture: $(cat "$T/err")"
"$IOWALK" trace validate "$G/capture-x86-6.12.host.txt" 2> "$T/err"; [ $? -eq 1 ] && grep -q "a QEMU trace log line, not a trace record" "$T/err" &&
	ok || bad "validate of a QEMU log: $(cat "$T/err")"
# ... and the converter says so of a trace given as a capture (text, or binary and compressed).
for t in "$SRC/traces/samples/tiny.trace" "$SRC/traces/default.trace.zst"; do
	"$IOWALK" trace convert --from ftrace "$t" -o "$T/conv-of-trace.trace" 2> "$T/err"; [ $? -eq 1 ] &&
		grep -q "an iowalk trace already, not a capture" "$T/err" && [ ! -e "$T/conv-of-trace.trace" ] && ok ||
		bad "convert of a trace: $(cat "$T/err")"
done
for d in '%iowalk-trace 1' '%name again'; do
	{ echo '%iowalk-trace 1'; echo '%name once'; echo "$d"; echo '0 MEMSLOT 0 0x0 0x100 0x10000000000'; } > "$T/twice.trace"
	"$IOWALK" trace validate "$T/twice.trace" 2> "$T/err"; [ $? -eq 1 ] && grep -q "line 3: ${d%% *} given a second time" "$T/err" &&
		grep -q "given a second time" "$T/err" && ok || bad "$d twice: $(cat "$T/err")"
done
# --format s390-ioat keeps an x86 capture's invalidations (version 3 holds them in any format).
"$IOWALK" trace convert --from ftrace --format s390-ioat "$G/capture-x86-6.12.txt" -o "$T/x86-s390.trace" 2> "$T/err" &&
	grep -q '^%format s390-ioat$' "$T/x86-s390.trace" && grep -q 'RPCIT 0 0x0 0x1000 domain$' "$T/x86-s390.trace" && ok || bad "x86 capture as s390: $(cat "$T/err")"
# A capture converted to the other architecture's format says whose flushes became what (the summary
# said an s390 capture's zpci_refresh_trans RPCITs were "the guest's IOTLB invalidation descriptors").
grep -q "RPCITs (captured: a VT-d guest's IOTLB invalidation descriptors, each an RPCIT of its range" "$T/err" && ok ||
	bad "x86 capture as s390, summary: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace --format vtd "$G/capture-6.12.txt" -o "$T/s390-vtd.trace" 2> "$T/err" &&
	grep -q "RPCITs (captured: an s390 guest's RPCITs (zpci_refresh_trans), each a page-range invalidation" "$T/err" &&
	"$IOWALK" run "$T/s390-vtd.trace" -q --check && ok || bad "s390 capture as VT-d: $(cat "$T/err")"
# With QEMU's VT-d log of the run: its translations are the DMA records (the dma_* events make none), each
# placed where the guest maps its page to QEMU's gpa (after the map, or after the invalidation that opens
# its interval); one before the guest's first invalidation, one after its last, a repeat made one, and
# one whose gpa the guest never mapped (disagrees, named by its line) are counted.
G_HOST="$G/capture-x86-6.12.host.txt"
golden expect-x86-6.12-host.trace -- --from ftrace "$G/capture-x86-6.12.txt" --host-log "$G_HOST" --name "golden x86 6.12 with QEMU's log"
grep -q "^host log: 7 translations (1 repeats of the one before made one); the guest's 7 IOTLB invalidations are the log's 2..8 of 8; 3 translations placed as DMAs, each agreeing with the guest's mapping at its place (0 one guest invalidation later than QEMU logged them); 1 disagree; 1 before the guest's first invalidation, 1 after its trace; 0 of devices not kept; 0 faults$" "$T/conv.err" &&
	grep -q '^disagreeing translations at host log lines 18$' "$T/conv.err" && ok || bad "host log summary: $(cat "$T/conv.err")"
"$IOWALK" run "$G/expect-x86-6.12-host.trace" -s nested,nested-hwq,passthrough --check -q 2> "$T/err" && ok || bad "host-log trace replay: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$G/capture-x86-6.12.txt" --host-log "$G_HOST" --host-repeats keep -o "$T/keep.trace" 2> "$T/err" &&
	grep -q 'host log: 7 translations (0 repeats of the one before made one);.* 4 translations placed as DMAs' "$T/err" && [ "$(grep -c ' DMA 0 0xfffa0000 ' "$T/keep.trace")" = 2 ] &&
	ok || bad "--host-repeats keep: $(cat "$T/err")"
# A log of another run (its invalidations are not the guest's), a line it does not know, a file that is
# not there, an empty path: errors, and nothing written.
grep -v 'domain 0x9' "$G_HOST" > "$T/other.host.txt"
"$IOWALK" trace convert --from ftrace "$G/capture-x86-6.12.txt" --host-log "$T/other.host.txt" -o "$T/h1.trace" 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "its 7 IOTLB invalidations are not, in order, among the 7 the host log $T/other.host.txt executed" "$T/err" && [ ! -e "$T/h1.trace" ] && ok || bad "host log of another run: $(cat "$T/err")"
sed 's/-> gpa 0x99999000/-> gpa zz/' "$G_HOST" > "$T/bad.host.txt"
"$IOWALK" trace convert --from ftrace "$G/capture-x86-6.12.txt" --host-log "$T/bad.host.txt" -o "$T/h2.trace" 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "bad.host.txt: line 18: not a vtd_dmar_translate line this reader knows" "$T/err" && [ ! -e "$T/h2.trace" ] && ok || bad "bad host line: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$G/capture-x86-6.12.txt" --host-log "$T/none.txt" -o "$T/h3.trace" 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "none.txt: cannot open" "$T/err" && ok || bad "missing host log: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$G/capture-x86-6.12.txt" --host-log "" -o "$T/h4.trace" 2> "$T/err"; [ $? -eq 2 ] && ok || bad "empty --host-log: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$G/capture-6.12.txt" --host-log "$G_HOST" -o "$T/h5.trace" 2> "$T/err"; [ $? -eq 1 ] &&
	grep -q "has no IOTLB invalidation (intel_iommu:qi_submit)" "$T/err" && ok || bad "host log for an s390 capture: $(cat "$T/err")"
# A descriptor that is not four hex words is an unparsed line, reported with its number.
sed 's/0x500e2 0x0 0x0 0x0/0x500e2 zz/' "$G/capture-x86-6.12.txt" > "$T/badqi.txt"
"$IOWALK" trace convert --from ftrace "$T/badqi.txt" -o "$T/badqi.trace" 2> "$T/err" && grep -q '1 lines unparsed (lines 19)' "$T/err" && ok || bad "bad qi_submit: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace --function 0009:00:00.0 "$G/capture-6.12.txt" -o "$T/none.trace" 2> "$T/err"; rc=$?
[ $rc = 1 ] && grep -q 'no events of function 0009:00:00.0 (the capture names 0001:00:00.0, 0002:00:00.0)' "$T/err" && [ ! -e "$T/none.trace" ] && ok ||
	bad "--function of a function the capture lacks: rc $rc: $(cat "$T/err")"
golden expect-6.1.trace -- --from kprobe "$G/capture-6.1.txt" --name "golden 6.1"
grep -q '1 lines unparsed (lines 19)' "$T/conv.err" 2>/dev/null || "$IOWALK" trace convert --from ftrace "$G/capture-6.12.txt" -o "$T/c2" 2>&1 | grep -q '1 lines unparsed (lines 19)' && ok || bad "unparsed line not reported with its number"
"$IOWALK" trace convert --from ftrace --strict "$G/capture-6.12.txt" -o "$T/c3" 2> "$T/strict.err"; [ $? -eq 1 ] && grep -q 'line 19' "$T/strict.err" && [ ! -e "$T/c3" ] && ok || bad "--strict did not stop at line 19"
# The clock and the guest's RAM: at 2.6 GHz every time is half the golden's (5.2 GHz), the rest the same
# but the memslot (2048 MiB: 0x80000 pages); --name sets the name.
"$IOWALK" trace convert --from ftrace --function 0001:00:00.0 "$G/capture-6.12.txt" -o "$T/clk.trace" --clock-ghz 2.6 --guest-ram 2048 --name clk 2>/dev/null &&
	paste -d' ' <(grep -v '^%' "$G/expect-6.12.trace") <(grep -v '^%' "$T/clk.trace") | awk -v n="$(grep -vc '^%' "$G/expect-6.12.trace")" '
		{ h = NF / 2; if ($1 != 2 * $(h + 1)) bad++
		  for (i = 2; i <= h; i++) if ($i != $(h + i) && !($2 == "MEMSLOT" && i == 5 && $(h + i) == "0x80000")) bad++ }
		END { exit !(NR == n && NR > 10 && !bad) }' && grep -qx '%name clk' "$T/clk.trace" && ok ||
	bad "--clock-ghz 2.6 --guest-ram 2048: $(diff "$G/expect-6.12.trace" "$T/clk.trace" | head -6)"
# Lazy RPCITs: one per map (the refresh bit), one per 2 unmaps covering both; the summary names the policy.
"$IOWALK" trace convert --from ftrace --function 0001:00:00.0 "$G/capture-6.12.txt" -o "$T/lazy.trace" --rpcit lazy:2 2> "$T/err" &&
	grep -q '4 maps, 2 unmaps, 5 RPCITs (synthesized by --rpcit lazy:2)' "$T/err" &&
	[ "$(grep -A9 ' UNMAP ' "$T/lazy.trace" | grep -v '^--' | cut -d' ' -f2-)" = "UNMAP 0x13fffd000 0x1000
UNMAP 0x13fffc000 0x1000
RPCIT 0x13fffc000 0x2000" ] && ok || bad "--rpcit lazy:2: $(cat "$T/err"); $(grep -A3 ' UNMAP ' "$T/lazy.trace")"
# A map beyond the guest's RAM names its line and the option to raise; nothing is written.
"$IOWALK" trace convert --from ftrace "$G/capture-6.12.txt" -o "$T/small.trace" --guest-ram 64 --ioat-origin 0x2000000 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'line 6: map of paddr 0x4dbb000+0x1000 is beyond guest RAM (raise --guest-ram)' "$T/err" && [ ! -e "$T/small.trace" ] && ok ||
	bad "a map beyond --guest-ram: exit $rc: $(cat "$T/err")"
for a in "--clock-ghz 0" "--clock-ghz abc" "--clock-ghz 1.2345" "--clock-ghz 1001" "--rpcit lazy:0" "--rpcit lazy:" \
	"--rpcit sometimes" "--guest-ram 0" "--guest-ram 1x"; do
	# shellcheck disable=SC2086
	"$IOWALK" trace convert --from ftrace "$G/capture-6.12.txt" -o "$T/badopt.trace" $a 2> "$T/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "${a%% *} '" "$T/err" && [ ! -e "$T/badopt.trace" ] && ok || bad "convert $a: exit $rc, want 2: $(cat "$T/err")"
done
for f in expect-6.12.trace expect-6.12-strict.trace expect-6.1.trace expect-6.12-all.trace; do
	"$IOWALK" run -q --check "$G/$f" || bad "$f: run --check failed"
done

# Usage errors exit 2; --help and --version exit 0.
"$IOWALK" trace bogus 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown subcommand should exit 2"
"$IOWALK" bogus 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown command should exit 2"
# Header directives take trailing comments, as the documented example shows.
printf '%%iowalk-trace 1          # the format version\n%%name free text          # the name\n%%page_size 4096 # v1\n0 MEMSLOT 0 0 0x100 0x20000000000\n' > "$T/hc.trace"
"$IOWALK" trace stat "$T/hc.trace" | grep -q '^name       free text$' && ok || bad "header comments rejected or kept in the name"
# A CRLF line of 4095 bytes of text is within the limit; 4096 bytes is not.
pad=$(printf ' %.0s' $(seq 4200))
{ printf '%%iowalk-trace 1\r\n'; printf '0 MEMSLOT 0 0 0x100 0x20000000000%s\r\n' "${pad:0:$((4095 - 33))}"; } > "$T/crlf.trace"
"$IOWALK" trace validate "$T/crlf.trace" > /dev/null 2>&1 && ok || bad "a 4095-byte CRLF line was refused"
{ printf '%%iowalk-trace 1\n'; printf '0 MEMSLOT 0 0 0x100 0x20000000000%s\n' "${pad:0:$((4096 - 33))}"; } > "$T/long.trace"
"$IOWALK" trace validate "$T/long.trace" 2>&1 | grep -q 'longer than 4095' && ok || bad "a 4096-byte line was accepted"
# Names with control bytes, invalid UTF-8 or '#' are refused where they enter (readers, --name).
printf '%%iowalk-trace 1\n%%name bad\001name\n' > "$T/ctl.trace"
"$IOWALK" trace validate "$T/ctl.trace" 2>&1 | grep -q 'control byte' && ok || bad "a control byte in a name was accepted"
printf '%%iowalk-trace 1\n%%name bad\377name\n' > "$T/utf.trace"
"$IOWALK" trace validate "$T/utf.trace" 2>&1 | grep -q 'invalid UTF-8' && ok || bad "invalid UTF-8 in a name was accepted"
"$IOWALK" trace gen churn --ops 5 --name "$(printf 'a\033[31mred')" -o "$T/esc.trace" 2> "$T/err"
[ $? -ne 0 ] && grep -q 'control byte' "$T/err" && [ ! -e "$T/esc.trace" ] && ok || bad "--name with an escape was accepted"
"$IOWALK" trace gen churn --ops 5 --name "caf$(printf '\303\251') #1" -o "$T/hash.trace" 2> "$T/err"
[ $? -ne 0 ] && grep -q "'#'" "$T/err" && ok || bad "--name with '#' was accepted"
# trace stat sums lengths without wrapping: three DMAs of 2^62 + 2^61 bytes are 1.125 x 2^64 bytes.
printf '0 MEMSLOT 0 0 0x100 0x20000000000\n0 IOAT 0 0x4000 3\n1 DMA 1 0 0x6000000000000000 r\n2 DMA 1 0 0x6000000000000000 r\n3 DMA 1 0 0x6000000000000000 w\n' > "$T/sum.trace"
"$IOWALK" trace stat "$T/sum.trace" --json | grep -q '"bytes_dma": "20752587082923245568"' && ok || bad "trace stat --json wrapped a sum"
"$IOWALK" trace stat "$T/sum.trace" | grep -q '^dma        20752587082923245568 bytes (13835058055282163712 device reads)' && ok || bad "trace stat wrapped a sum"
# The converter names the capture and the line of every error, and reads numbers exactly.
L='          insmod-134     [000] .....'
m1="iova=0x000000013fffe000 - 0x000000013ffff000 paddr=0x0000000004dbb000"
m2="iova=0x000000013ffff000 - 0x0000000140000000 paddr=0x0000000004dba000"
printf '%s     4.000000: map: IOMMU: %s size=-4096\n' "$L" "$m1" > "$T/neg.txt"
"$IOWALK" trace convert --from ftrace "$T/neg.txt" -o "$T/neg.trace" --strict 2> "$T/err"
[ $? -eq 1 ] && grep -q 'neg.txt: line 1:' "$T/err" && [ ! -e "$T/neg.trace" ] && ok || bad "size=-4096: $(cat "$T/err")"
printf '%s     4.000000: map: IOMMU: %s size=4096\n%s     99999999999.000000: map: IOMMU: %s size=4096\n' "$L" "$m1" "$L" "$m2" > "$T/huge.txt"
"$IOWALK" trace convert --from ftrace "$T/huge.txt" -o "$T/huge.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'huge.txt: line 2: timestamp too large' "$T/err" && ok || bad "huge timestamp: $(cat "$T/err")"
printf '%s     4.000000: map: IOMMU: %s size=4096\n%s     900000000.000000: map: IOMMU: %s size=4096\n' "$L" "$m1" "$L" "$m2" > "$T/far.txt"
"$IOWALK" trace convert --from ftrace "$T/far.txt" -o "$T/far.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'far.txt: line 2: .*beyond the simulated time range' "$T/err" && ok || bad "far timestamp: $(cat "$T/err")"
# A capture with only iommu:map/unmap tracepoints (x86, Arm): one function, device accesses from the
# maps, a 4-level table for 48-bit IOVAs; compressed and piped captures read the same way.
hi="iova=0x0000ffffffffe000 - 0x0000fffffffff000"
printf '%s     4.000000: map: IOMMU: %s paddr=0x0000000004dbb000 size=4096\n%s     4.000100: map: IOMMU: %s size=4096\n%s     4.000200: unmap: IOMMU: %s size=4096 unmapped_size=4096\n' \
	"$L" "$hi" "$L" "$m2" "$L" "$hi" > "$T/x86.txt"
"$IOWALK" trace convert --from ftrace "$T/x86.txt" -o "$T/x86.trace" 2> "$T/err" && grep -q 'function iommu (no event names a device' "$T/err" &&
	grep -q '^0 IOAT 0 0x3e000000 4$' "$T/x86.trace" && [ "$(grep -c ' DMA ' "$T/x86.trace")" -eq 2 ] && ok ||
	bad "tracepoint-only capture: $(cat "$T/err")"
"$IOWALK" run "$T/x86.trace" --check -q --json "$T/x86.json" && grep -q '"invalid_entry": 0' "$T/x86.json" && ok || bad "tracepoint-only trace does not replay cleanly"
if command -v zstd > /dev/null; then
	zstd -q -c "$T/x86.txt" > "$T/x86.txt.zst"
	"$IOWALK" trace convert --from ftrace "$T/x86.txt.zst" -o "$T/x86z.trace" 2>/dev/null
	cmp -s <(grep -v '^%name' "$T/x86.trace") <(grep -v '^%name' "$T/x86z.trace") && ok || bad "a zstd capture converts differently"
fi
"$IOWALK" trace convert --from ftrace - -o "$T/x86s.trace" < "$T/x86.txt" 2>/dev/null
cmp -s <(grep -v '^%name' "$T/x86.trace") <(grep -v '^%name' "$T/x86s.trace") && ok || bad "a piped capture converts differently"
"$IOWALK" trace convert --from ftrace "$T/x86.txt" --levels 3 -o "$T/x.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'do not fit 3 levels (try --levels 4)' "$T/err" && ok || bad "--levels 3 for 48-bit IOVAs: $(cat "$T/err")"
# --rpcit auto decides from the content, also for a piped capture.
"$IOWALK" trace convert --from ftrace - -o "$T/piped.trace" < "$SRC/tests/golden/capture-6.12.txt" 2> "$T/err"
grep -q 'RPCITs (captured)' "$T/err" && ok || bad "--rpcit auto on a pipe: $(cat "$T/err")"
# A capture must be whole and flush as labelled. Lost events (the header's entries-in-buffer/entries-
# written, or a LOST line) are refused, naming the count, unless --accept-lost-events, and the trace's
# name then says so.
real="$SRC/traces/real"
sed 's|^# entries-in-buffer/entries-written: 28530/28530|# entries-in-buffer/entries-written: 28530/40000|' \
	"$real/linux-6.12-virtio-blk-lazy.ftrace.txt" > "$T/lost.txt"
"$IOWALK" trace convert --from ftrace "$T/lost.txt" -o "$T/lost.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'lost.txt: the capture lost 11470 events' "$T/err" && [ ! -e "$T/lost.trace" ] && ok ||
	bad "a capture that lost events: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$T/lost.txt" --accept-lost-events -o "$T/lost.trace" 2> "$T/err" &&
	grep -q '^%name LOST 11470 EVENTS; ' "$T/lost.trace" && grep -q 'warning: the capture lost 11470 events' "$T/err" && ok ||
	bad "--accept-lost-events: $(cat "$T/err"; head -2 "$T/lost.trace")"
{ head -20 "$real/linux-6.12-virtio-blk-lazy.ftrace.txt"; echo "CPU:0 [LOST 17 EVENTS]"; tail -n +21 "$real/linux-6.12-virtio-blk-lazy.ftrace.txt"; } > "$T/lost2.txt"
"$IOWALK" trace convert --from ftrace "$T/lost2.txt" -o "$T/lost2.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'the capture lost 17 events' "$T/err" && ok || bad "a LOST line: $(cat "$T/err")"
# The flush policy a header names is checked against the captured RPCITs: the strict capture flushes all
# 10076 unmaps at once and converts; relabelled lazy, or the lazy capture relabelled strict, is refused
# (the 6.1 mislabel: iommu.strict=1 ignored) unless --accept-policy-mismatch.
zstd -dc "$real/linux-6.12-virtio-blk-strict-dd.ftrace.txt.zst" > "$T/strict.txt"
"$IOWALK" trace convert --from ftrace "$T/strict.txt" -o "$T/s.trace" 2> "$T/err" &&
	grep -q 'flush policy: labelled strict; 10076 of 10076 unmaps flushed at once' "$T/err" && ok || bad "strict capture: $(cat "$T/err")"
sed 's/; flush strict$/; flush lazy/' "$T/strict.txt" > "$T/strict-as-lazy.txt"
"$IOWALK" trace convert --from ftrace "$T/strict-as-lazy.txt" -o "$T/s.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'labelled lazy, but every one of its 10076 unmaps was flushed by an RPCIT at once' "$T/err" && ok ||
	bad "a strict capture labelled lazy: $(cat "$T/err")"
zstd -dc "$real/linux-6.1-virtio-blk-lazy-dd.kprobe.txt.zst" | sed 's/; flush lazy$/; flush strict/' > "$T/lazy-as-strict.txt"
"$IOWALK" trace convert --from ftrace "$T/lazy-as-strict.txt" -o "$T/s.trace" 2> "$T/err"
[ $? -eq 1 ] && grep -q 'labelled strict, but [0-9]* of its 5818 unmaps were not flushed' "$T/err" && grep -q 's390_iommu=strict' "$T/err" && ok ||
	bad "a lazy capture labelled strict: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$T/lazy-as-strict.txt" --accept-policy-mismatch -o "$T/s.trace" 2> "$T/err" &&
	grep -q '^%name FLUSH LABEL strict NOT ENFORCED; ' "$T/s.trace" && ok || bad "--accept-policy-mismatch: $(cat "$T/err"; head -2 "$T/s.trace")"
# UNMAPs of IOVAs the capture never mapped (it started mid-workload) are reported: the first 40 map
# events dropped leave their unmaps without a map.
awk '/ map: / && n < 40 { n++; next } { print }' "$real/linux-6.12-virtio-blk-lazy.ftrace.txt" > "$T/mid.txt"
"$IOWALK" trace convert --from ftrace "$T/mid.txt" -o "$T/mid.trace" 2> "$T/err" && grep -q 'warning: [1-9][0-9]* unmaps of IOVAs the capture never mapped' "$T/err" && ok ||
	bad "unmaps of never-mapped IOVAs: $(cat "$T/err")"
"$IOWALK" trace convert --from ftrace "$real/linux-6.12-virtio-blk-lazy.ftrace.txt" -o "$T/whole.trace" 2> "$T/err" && ! grep -q 'never mapped' "$T/err" && ok ||
	bad "a whole capture reported unmaps of never-mapped IOVAs: $(cat "$T/err")"
# A dma:* event without a device (dir=... where the device goes) or with one that holds bytes a terminal
# would interpret is a line the converter does not know: counted, never a function named "dir=FROM_DEVICE"
# or an escape sequence in the summary.
sed 's/dma_map_page: 0002:00:00.0 dir=FROM_DEVICE/dma_map_page: dir=FROM_DEVICE/' "$SRC/tests/golden/capture-6.12.txt" > "$T/nodev.txt"
"$IOWALK" trace convert --from ftrace "$T/nodev.txt" -o "$T/nodev.trace" 2> "$T/err" && ! grep -q 'dir=FROM_DEVICE' "$T/err" &&
	grep -q 'lines unparsed (lines 15' "$T/err" && ok || bad "a dma event without a device: $(cat "$T/err")"
sed "s/dma_map_page: 0002:00:00.0 dir/dma_map_page: $(printf '\033')[31mevil dir/" "$SRC/tests/golden/capture-6.12.txt" > "$T/esc.txt"
"$IOWALK" trace convert --from ftrace "$T/esc.txt" -o "$T/esc.trace" 2> "$T/err" && ! LC_ALL=C grep -q "$(printf '\033')" "$T/err" && ok ||
	bad "an escape sequence from the capture reached the summary: $(cat -v "$T/err")"
"$IOWALK" --help | grep -q 'usage: iowalk' && ok || bad "--help"
"$IOWALK" trace --help | grep -q 'pack IN OUT' && ok || bad "trace --help"
"$IOWALK" --version | grep -q '^iowalk [0-9]' && ok || bad "--version"
# The revision is the one the binary was built from (written at build time; -dirty for local changes).
if rev=$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null); then
	"$IOWALK" --version | grep -qE "\(git $rev(-dirty)?\)" && ok || bad "--version: $("$IOWALK" --version), HEAD is $rev"
fi

finish
