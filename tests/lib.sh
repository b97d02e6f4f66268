# lib.sh: what the end-to-end test scripts share: a scratch directory removed on exit, pass/fail
# counting with a closing "N passed, N failed" line, and small helpers. Sourced, not run.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# jget FILE KEY: the first value of "KEY" in a JSON file (numbers and simple strings).
jget() { grep "\"$2\"" "$1" | head -1 | sed 's/.*: *//; s/[",]//g'; }
# nobuild FILE: a run's CSV without its last column, the build that made it (which changes with every
# commit), for comparing with a golden file.
nobuild() { sed -i 's/,[^,]*$//' "$1"; }
# abspath FILE: an absolute path, for scripts that change directory.
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
# golden_compare NAME GOLDEN OUT MODE LINES: with MODE --update, OUT becomes the golden file (on
# purpose only); otherwise OUT must equal it exactly, or the first LINES lines of the diff are shown.
golden_compare() {
	if [ "$4" = "--update" ]; then
		cp "$3" "$2"
		echo "$1: $2 rewritten ($(($(wc -l < "$3") - 1)) rows)"
	elif diff -u "$2" "$3" > "$T/golden.diff"; then
		ok
	else
		bad "$1: the runs differ from tests/golden/$(basename "$2"):"
		head -"$5" "$T/golden.diff"
	fi
}
finish() {
	echo "$pass passed, $fails failed"
	[ "$fails" -eq 0 ]
}
