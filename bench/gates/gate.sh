#!/usr/bin/env bash
# Runs one gate scenario and compares it with its committed baseline, or (--update) rewrites the baseline.
# usage: gate.sh IOWALK SOURCE_DIR NAME [--update]
set -euo pipefail
IOWALK=$1
SRC=$2
NAME=$3
MODE=${4:-}
line=$(grep -E "^$NAME[[:space:]]*\|" "$SRC/bench/gates/scenarios") || { echo "gate: no scenario '$NAME'" >&2; exit 2; }
source_spec=$(echo "$line" | cut -d'|' -f2 | xargs)
run_opts=$(echo "$line" | cut -d'|' -f3 | xargs)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
IOWALK=$(cd "$(dirname "$IOWALK")" && pwd)/$(basename "$IOWALK")
SRC=$(cd "$SRC" && pwd)
case "$source_spec" in
	gen\ *) # shellcheck disable=SC2086
		(cd "$T" && "$IOWALK" trace ${source_spec} --binary -o "$NAME.trace" 2>/dev/null); trace="$NAME.trace" ;;
	file\ *) cp "$SRC/${source_spec#file }" "$T/$NAME.trace"; trace="$NAME.trace" ;;
	*) echo "gate: bad source '$source_spec'" >&2; exit 2 ;;
esac
# Run from the scratch directory so the report's trace label is the stable "NAME.trace".
# shellcheck disable=SC2086
(cd "$T" && "$IOWALK" run "$trace" $run_opts -q --json "$T/report.json")
base="$SRC/bench/gates/baselines/$NAME.json"
if [ "$MODE" = "--update" ]; then
	cp "$T/report.json" "$base"
	echo "gate: baseline $base updated"
	exit 0
fi
"$IOWALK" gate "$T/report.json" --baseline "$base" --exact --quiet
