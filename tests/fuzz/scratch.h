/* scratch.h: what the harnesses that write files share: a scratch directory of the process, made on the
 * first call under /tmp (its name says the harness) and kept for the process's life, with standard output
 * (quiet >= 1) and standard error (quiet >= 2) sent to /dev/null then. Aborts when it cannot. Included by
 * the harnesses only. */
#ifndef IOWALK_FUZZ_SCRATCH_H
#define IOWALK_FUZZ_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *scratch_dir(const char *harness, int quiet)
{
	static char dir[96];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/iowalk-fuzz-%s-XXXXXX", harness);
		if (!mkdtemp(dir) || (quiet >= 1 && !freopen("/dev/null", "w", stdout)) ||
		    (quiet >= 2 && !freopen("/dev/null", "w", stderr)))
			abort();
	}
	return dir;
}

#endif
