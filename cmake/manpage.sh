#!/bin/sh
# Writes the man page of `iowalk [COMMAND]` (or of the capture tool) with help2man at build time: its
# --help without the usage lines as the description, and the SYNOPSIS, EXAMPLES, FILES and SEE ALSO of
# cmake/man/NAME.h2m.
# usage: manpage.sh IOWALK VERSION OUT.1 [COMMAND | capture SCRIPT]
set -eu
iowalk=$1 version=$2 out=$3 cmd=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "$cmd" = capture ]; then
	name=iowalk-capture
	prog="$5"
	desc="records a real Linux s390x guest's IO page-table activity for iowalk"
	inc="$here/man/capture.h2m"
	printf '#!/bin/sh\nbash "%s" "$@" | sed "/^usage:/,/^$/d"\n' "$prog" > "$dir/$name"
else
	name=iowalk${cmd:+-$cmd}
	desc="${cmd:+the $cmd command of }iowalk, a simulator of s390 IO page-table walks"
	inc="$here/man/${cmd:-iowalk}.h2m"
	# The usage lines become the SYNOPSIS of the include file; the rest of --help the description.
	printf '#!/bin/sh\n"%s" %s "$@" | sed "1,/^$/d"\n' "$iowalk" "$cmd" > "$dir/$name"
fi
chmod +x "$dir/$name"
help2man --no-info --no-discard-stderr --version-string="$version" --name="$desc" --include="$inc" \
	--output="$out" "$dir/$name"
