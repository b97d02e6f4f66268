#!/usr/bin/env bash
# Runs a libFuzzer harness for a fixed number of executions from its seed corpus; new inputs go to a
# scratch directory, never into the source tree. On a failure the whole report is shown and the input
# that caused it is kept in $FUZZ_ARTIFACTS (default /tmp). usage: smoke.sh HARNESS SEED_DIR RUNS
set -uo pipefail
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SEEDS=$(cd "$2" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$H" -runs="$3" -seed=1 -max_len=8192 -timeout=20 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
	-artifact_prefix="${FUZZ_ARTIFACTS:-/tmp}/$(basename "$1")-" "$W" "$SEEDS" > log 2>&1
rc=$?
if [ $rc -ne 0 ]; then cat log; else tail -12 log; fi
exit $rc
