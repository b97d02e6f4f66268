#!/bin/sh
# Writes the man page of `iowalk [COMMAND]` from its --help with help2man (build time).
# usage: manpage.sh IOWALK VERSION OUT.1 [COMMAND]
set -eu
iowalk=$1 version=$2 out=$3 cmd=${4:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
name=iowalk${cmd:+-$cmd}
printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$iowalk" "$cmd" > "$dir/$name"
chmod +x "$dir/$name"
help2man --no-info --no-discard-stderr --version-string="$version" \
	--name="${cmd:+the $cmd command of }iowalk, a simulator of s390 IO page-table walks" \
	--output="$out" "$dir/$name"
