#!/usr/bin/env bash
# Every parameter has an effect, and its effect is pinned: for each parameter of --print-config (the
# engine's, the model's and every strategy's), the hand-written matrix trace runs under every strategy
# with --check at one other value of that parameter; every number of every run must equal
# tests/golden/params.csv, and each run must differ from the default run somewhere (a parameter that
# changes nothing is ignored by the model, except the few listed below that by design do not touch this
# trace's numbers).
# usage: params.sh IOWALK SOURCE_DIR [--update]   (--update rewrites the golden file: on purpose only)
. "$(dirname "$0")/lib.sh"
IOWALK=$1
SRC=$2
MODE=${3:-}
golden="$SRC/tests/golden/params.csv"
trace="$SRC/traces/samples/matrix.trace"
# Parameters that do not change this trace's numbers by design: printing only, and limits it stays under.
# The refresh-off guest's flush queue (guest.fq_*) never fills or times out on this trace, which flushes
# its unmaps itself (test_sim holds the queue).
no_effect=" cpu.clock_mhz vm.max_memslots run.max_devices run.max_record_mib run.max_functions run.max_memory_mib guest.fq_entries guest.fq_timeout_us "
# The value each parameter is run at: twice its default, except where the configuration needs another.
# Capacities are made small enough for the trace to feel them; an associativity is tried on a cache cut
# to a few entries (extra settings after a '|').
declare -A value=([cache.line_bytes]=128 [vm.host_page_kib]=1024 [vm.host_levels]=4 [vm.root_levels]=4
	[vm.root_large]=1 [host.era]=2022 [root.swcache_entries]=64 [device.walkers]=1
	[cache.l1.kib]=2 [cache.l2.kib]=16 [cache.l3.kib]=64
	[cache.l1.ways]="1|cache.l1.kib=2" [cache.l2.ways]="1|cache.l2.kib=16" [cache.l3.ways]="1|cache.l3.kib=64"
	[device.iotlb_entries]=4 [device.iotlb_ways]="1|device.iotlb_entries=4"
	[device.wc_rt_entries]=0 [device.wc_st_entries]=0 [device.wc_ways]="1|device.wc_st_entries=4"
	[nested.s2_tlb_entries]=4 [nested.s2_tlb_ways]="1|nested.s2_tlb_entries=4")
col() { awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i } NR > 1 { print $c }' "$2"; }
without() { awk -F, -v OFS=, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i } { $c = ""; print }' "$2"; }
"$IOWALK" run "$trace" --check -q --csv "$T/default.csv" || { bad "default run failed"; finish; exit 1; }
nobuild "$T/default.csv"
out="$T/params.csv"
echo "param,value,$(head -1 "$T/default.csv")" > "$out"
tail -n +2 "$T/default.csv" | sed "s/^/default,-,/" >> "$out"
section=""
while IFS= read -r line; do
	case "$line" in
	\[*\]) section=${line#[}; section=${section%]}; continue ;;
	""|\#*|\;*) continue ;;
	esac
	key=$(echo "$line" | awk '{print $1}')
	def=$(echo "$line" | awk '{print $3}')
	name="$section.$key"
	spec=${value[$name]:-$((def ? def * 2 : 1))}
	v=${spec%%|*}
	extra=()
	[ "$spec" != "$v" ] && extra=(--set "${spec#*|}")
	if ! "$IOWALK" run "$trace" --check -q --set "$name=$v" "${extra[@]}" --csv "$T/run.csv" 2> "$T/err"; then
		bad "$name=$v: $(cat "$T/err")"
		continue
	fi
	nobuild "$T/run.csv"
	# Every parameter is part of the configuration hash; "no effect" is judged on everything else.
	[ "$(col config_hash "$T/run.csv")" != "$(col config_hash "$T/default.csv")" ] && ok ||
		bad "$name=$v does not change config_hash"
	if cmp -s <(without config_hash "$T/run.csv") <(without config_hash "$T/default.csv"); then
		case "$no_effect" in *" $name "*) ok ;; *) bad "$name=$v changes no number: is it used?" ;; esac
	else
		case "$no_effect" in *" $name "*) bad "$name is listed as having no effect, but it changed the report" ;; *) ok ;; esac
	fi
	tail -n +2 "$T/run.csv" | sed "s/^/$name,${spec//|/ },/" >> "$out"
done < <("$IOWALK" run --print-config)
golden_compare params "$golden" "$out" "$MODE" 20
finish
