/* outfile: temporary-then-rename output files (see outfile.h).
 * Notes:
 *  - The temporaries still open are kept in a small fixed table so a SIGINT/SIGTERM handler can unlink
 *    them; this table is the only process-wide state here and is touched only at open/commit/abort.
 */
#include "outfile.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTFILE_MAX_OPEN 64

struct outfile {
	FILE *fp;
	int is_stdout;
	int slot;
	char *path;
	char *tmp;
};

static char *volatile open_tmps[OUTFILE_MAX_OPEN];

static int register_tmp(char *tmp)
{
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++) {
		if (open_tmps[i] == NULL) {
			open_tmps[i] = tmp;
			return i;
		}
	}
	return -1;
}

static void unregister_tmp(int slot)
{
	if (slot >= 0)
		open_tmps[slot] = NULL;
}

void outfile_cleanup_all(void)
{
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++) {
		char *t = open_tmps[i];
		if (t)
			unlink(t);
	}
}

struct outfile *outfile_open(const char *path, char *err, size_t errlen)
{
	struct outfile *of = iw_calloc(1, sizeof(*of));
	if (!of) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	of->slot = -1;
	if (strcmp(path, "-") == 0) {
		of->fp = stdout;
		of->is_stdout = 1;
		return of;
	}
	size_t n = strlen(path);
	of->path = iw_strdup(path);
	of->tmp = iw_malloc(n + 16);
	if (!of->path || !of->tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail_free;
	}
	snprintf(of->tmp, n + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(of->tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		goto fail_free;
	}
	/* mkstemp() creates 0600; results get the usual 0666 & ~umask. */
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	of->fp = fdopen(fd, "wb");
	if (!of->fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(of->tmp);
		goto fail_free;
	}
	of->slot = register_tmp(of->tmp);
	return of;
fail_free:
	iw_free(of->path);
	iw_free(of->tmp);
	iw_free(of);
	return NULL;
}

FILE *outfile_fp(struct outfile *of) { return of->fp; }
const char *outfile_path(const struct outfile *of) { return of->is_stdout ? "-" : of->path; }

static void outfile_free(struct outfile *of)
{
	unregister_tmp(of->slot);
	iw_free(of->path);
	iw_free(of->tmp);
	iw_free(of);
}

int outfile_commit(struct outfile *of, char *err, size_t errlen)
{
	int rc = 0;
	if (of->is_stdout) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			snprintf(err, errlen, "stdout: write error: %s", strerror(errno));
			rc = -1;
		}
		outfile_free(of);
		return rc;
	}
	int bad = ferror(of->fp);
	if (fclose(of->fp) != 0 || bad) {
		snprintf(err, errlen, "%s: write error: %s", of->path, strerror(errno));
		unlink(of->tmp);
		rc = -1;
	} else if (rename(of->tmp, of->path) != 0) {
		snprintf(err, errlen, "%s: cannot rename temporary file: %s", of->path, strerror(errno));
		unlink(of->tmp);
		rc = -1;
	}
	outfile_free(of);
	return rc;
}

void outfile_abort(struct outfile *of)
{
	if (!of)
		return;
	if (!of->is_stdout) {
		fclose(of->fp);
		unlink(of->tmp);
	}
	outfile_free(of);
}
