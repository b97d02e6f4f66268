#!/usr/bin/env bash
# cmake --install puts the binary, the plot scripts, the docs, bash completion and (with help2man) a man
# page per command under a prefix; the installed binary runs, and an installed plot script draws from
# any directory.
. "$(dirname "$0")/lib.sh"
BUILD=$1
cmake --install "$BUILD" --prefix "$T/p" > "$T/install.log" 2>&1 || { bad "install failed: $(tail -3 "$T/install.log")"; finish; exit 1; }
for f in bin/iowalk bin/iowalk-capture share/iowalk/plots/style.gp share/iowalk/plots/tornado.gp share/doc/iowalk/README.md \
	share/doc/iowalk/docs/architecture.md share/doc/iowalk/docs/report.schema.json share/bash-completion/completions/iowalk \
	share/iowalk/experiments/iotlb.ini share/iowalk/traces/default.trace.zst; do
	[ -e "$T/p/$f" ] && ok || bad "not installed: $f"
done
# The installed README's and docs' relative links resolve (README beside docs/, as in the source tree).
for md in "$T/p/share/doc/iowalk/README.md" "$T/p/share/doc/iowalk/docs/"*.md; do
	grep -o '](\([^)#:]*\.\(md\|png\|json\)\)[)#]' "$md" | sed 's/^](//; s/[)#]$//' | sort -u | while read -r link; do
		[ -e "$(dirname "$md")/$link" ] || echo "$(basename "$md") -> $link"
	done
done > "$T/links.txt"
[ ! -s "$T/links.txt" ] && ok || bad "installed docs' broken links: $(head -5 "$T/links.txt")"
# The installed default trace is the one the binary replays by default, and the capture tool runs.
"$T/p/bin/iowalk" run "$T/p/share/iowalk/traces/default.trace.zst" -s kvm-gfn -q --json "$T/d1.json" && "$T/p/bin/iowalk" run -s kvm-gfn -q --json "$T/d2.json" &&
	[ "$(jget "$T/d1.json" cycles_total)" = "$(jget "$T/d2.json" cycles_total)" ] && ok || bad "the installed default trace differs from the embedded one"
"$T/p/bin/iowalk-capture" --help | grep -q '^usage: traces/capture/iowalk-capture\|^usage: .*iowalk-capture' && ok || bad "the installed capture tool's --help"
if command -v help2man > /dev/null; then
	for c in "" -run -trace -sweep -compare -gate -sensitivity -mrc -capture; do
		m="$T/p/share/man/man1/iowalk$c.1"
		# A real page: its synopsis, examples and see-also, and no usage line left in the description.
		[ -s "$m" ] && grep -q '^\.SH SYNOPSIS' "$m" && grep -q '^\.SH EXAMPLES' "$m" && grep -q '^\.SH "SEE ALSO"' "$m" &&
			! grep -qi '^usage:' "$m" && ok || bad "man page iowalk$c.1: $(grep '^\.SH' "$m" 2>/dev/null | tr '\n' ' ')"
	done
fi
"$T/p/bin/iowalk" run -q --csv "$T/r.csv" && ok || bad "the installed binary does not run"
if command -v gnuplot > /dev/null; then
	mkdir "$T/elsewhere"
	(cd "$T/elsewhere" && gnuplot -e "strategies='kvm-gfn root-pfn nested qemu'; datafile='$T/r.csv'; outbase='$T/cost'" \
		"$T/p/share/iowalk/plots/cost.gp") && [ -s "$T/cost.png" ] && ok || bad "an installed plot script failed outside the source tree"
	# Sized for a paper: column=1 draws only OUTBASE-col1.pdf, 3.4 in (244 pt) wide, column=2 OUTBASE-col2.pdf,
	# 7 in (504 pt) wide, and neither touches the screen figures of the same OUTBASE.
	cp "$T/cost.pdf" "$T/cost.screen.pdf"
	for c in 1:244 2:504; do
		(cd "$T/elsewhere" && gnuplot -e "strategies='kvm-gfn root-pfn nested qemu'; datafile='$T/r.csv'; outbase='$T/cost'; column=${c%:*}" \
			"$T/p/share/iowalk/plots/cost.gp") && grep -aq "MediaBox \[ 0 0 ${c#*:} " "$T/cost-col${c%:*}.pdf" && cmp -s "$T/cost.pdf" "$T/cost.screen.pdf" && ok ||
			bad "column=${c%:*}: not a ${c#*:} pt wide cost-col${c%:*}.pdf beside an untouched screen PDF"
	done
	# A path on which the shown strategy costs what the baseline does is said, not an empty panel.
	(cd "$T/elsewhere" && gnuplot -e "strategies='kvm-gfn root-pfn nested qemu'; datafile='$T/r.csv'; outbase='$T/same'; base='kvm-gfn'; show='root-pfn'" \
		"$T/p/share/iowalk/plots/diff.gp") && [ -s "$T/same.png" ] && ok || bad "diff.gp with a path of no difference"
	# The difference view: against a named baseline; a baseline that is not a strategy is an error.
	(cd "$T/elsewhere" && gnuplot -e "strategies='kvm-gfn root-pfn nested qemu'; datafile='$T/r.csv'; outbase='$T/diff'; base='kvm-gfn'; show='root-pfn'" \
		"$T/p/share/iowalk/plots/diff.gp") && [ -s "$T/diff.png" ] && [ -s "$T/diff.pdf" ] && ok || bad "diff.gp did not draw"
	(cd "$T/elsewhere" && gnuplot -e "strategies='kvm-gfn root-pfn nested qemu'; datafile='$T/r.csv'; outbase='$T/nodiff'; base='nosuch'" \
		"$T/p/share/iowalk/plots/diff.gp") > "$T/diff.err" 2>&1
	[ $? -ne 0 ] && grep -q "base='nosuch' is not one of strategies" "$T/diff.err" && [ ! -e "$T/nodiff.png" ] && ok ||
		bad "diff.gp accepted an unknown baseline: $(cat "$T/diff.err")"
fi
bash -n "$T/p/share/bash-completion/completions/iowalk" && ok || bad "completion script"
# Completion completes values from the iowalk it completes: strategies (the last of a list), parameters,
# presets, generator kinds, capture formats; files where a file goes.
comp() { bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _iowalk; echo "${COMPREPLY[*]}"' _ \
	"$T/p/share/bash-completion/completions/iowalk" "$T/p/bin/iowalk" "$@"; }
[ "$(comp run --strategy kvm-gfn,ro)" = "kvm-gfn,root-pfn" ] && [ "$(comp run --set cost.rp)" = "cost.rpcit=" ] &&
	[ "$(comp run --preset '')" = "z15 spr tiny" ] && [ "$(comp trace gen n)" = "nic-ring nvme" ] &&
	[ "$(comp trace convert --from '')" = "ftrace kprobe" ] && [ "$(comp gate --me)" = "--metric" ] &&
	(cd "$T/p/share/iowalk/traces" && [ "$(comp run def)" = "default.trace.zst" ]) && ok ||
	bad "completion values: '$(comp run --strategy kvm-gfn,ro)' '$(comp run --set cost.rp)' '$(comp run --preset '')' '$(comp trace gen n)'"
finish
