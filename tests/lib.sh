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
# abspath FILE: an absolute path, for scripts that change directory.
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
finish() {
	echo "$pass passed, $fails failed"
	[ "$fails" -eq 0 ]
}
