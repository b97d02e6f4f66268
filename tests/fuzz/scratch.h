/* scratch.h: what the harnesses that write files share: a scratch directory of the process, made on the
 * first call under /tmp (its name says the harness) and kept for the process's life, with standard output
 * (quiet >= 1) and standard error (quiet >= 2) sent to /dev/null then. Aborts when it cannot. Included by
 * the harnesses only. */
#ifndef IOWALK_FUZZ_SCRATCH_H
#define IOWALK_FUZZ_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline const char *scratch_dir(const char *harness, int quiet)
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

/* The input written to the file `name` of the scratch directory dir, its path in path. 0, or -1 when it
 * cannot be written (the input is then skipped). */
static inline int scratch_input(const char *dir, const char *name, const unsigned char *data, size_t size, char *path,
				size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite(data, 1, size, f);
	return fclose(f) == 0 ? 0 : -1;
}

#endif
