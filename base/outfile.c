/* outfile: all-or-nothing result files (see outfile.h). */
#include "outfile.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTFILE_MAX_OPEN 64

struct outfile {
	FILE *fp;      /* NULL for an external result, or once finished */
	int through;   /* written in place (stdout, a device, a FIFO): nothing to rename */
	int is_stdout;
	int slot;
	char *path;    /* the target (symbolic links resolved) */
	char *tmp;     /* the temporary (NULL when written through) */
};

static char *volatile open_tmps[OUTFILE_MAX_OPEN];
static volatile pid_t children[OUTFILE_MAX_OPEN];
static char *volatile scratch_dir;

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

void outfile_add_child(pid_t pid)
{
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++) {
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
	}
}

void outfile_remove_child(pid_t pid)
{
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

int outfile_track(char *path) { return register_tmp(path); }
void outfile_untrack(int slot) { unregister_tmp(slot); }
void outfile_track_dir(char *path) { scratch_dir = path; }

void outfile_forget_all(void)
{
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++) {
		open_tmps[i] = NULL;
		children[i] = 0;
	}
	scratch_dir = NULL;
}

void outfile_cleanup_all(void)
{
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++)
		if (children[i] > 0)
			kill(children[i], SIGTERM);
	/* Children remove their own temporaries first: wait for them before the shared directory goes. */
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++)
		if (children[i] > 0)
			waitpid(children[i], NULL, 0);
	for (int i = 0; i < OUTFILE_MAX_OPEN; i++) {
		char *t = open_tmps[i];
		if (t)
			unlink(t);
	}
	if (scratch_dir)
		rmdir(scratch_dir);
}

/* The file path names after following symbolic links (the last component may not exist). NULL on
 * failure (a loop, or out of memory). */
static char *resolve(const char *path)
{
	char *cur = iw_strdup(path);
	for (int hops = 0; cur && hops < 40; hops++) {
		struct stat st;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			return cur;
		char target[PATH_MAX];
		ssize_t n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0) {
			iw_free(cur);
			return NULL;
		}
		target[n] = '\0';
		char *next;
		const char *slash = strrchr(cur, '/');
		if (target[0] == '/' || !slash) {
			next = iw_strdup(target);
		} else {
			size_t dl = (size_t)(slash - cur) + 1;
			next = iw_malloc(dl + (size_t)n + 1);
			if (next) {
				memcpy(next, cur, dl);
				memcpy(next + dl, target, (size_t)n + 1);
			}
		}
		iw_free(cur);
		cur = next;
	}
	iw_free(cur);
	errno = ELOOP;
	return NULL;
}

/* Sets up of for path: resolves links; a non-regular target is written through. 0 or -1 (err). */
static int prepare(struct outfile *of, const char *path, char *err, size_t errlen)
{
	of->slot = -1;
	if (strcmp(path, "-") == 0) {
		of->is_stdout = of->through = 1;
		return 0;
	}
	/* stat() follows every link, /proc's too: a directory is refused; a device, FIFO or socket is written
	 * through by the name given, never replaced, its links not followed by hand (/dev/stdout is a link to
	 * /proc/self/fd/1, whose text for a pipe, "pipe:[N]", names no file). */
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		return -1;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		of->path = iw_strdup(path);
		of->through = 1;
		if (!of->path) {
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		return 0;
	}
	/* A regular file, or none yet: the temporary goes beside the file the links name. */
	of->path = resolve(path);
	if (!of->path) {
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ? "too many symbolic links" : "out of memory");
		return -1;
	}
	return 0;
}

/* Creates the temporary beside the target (the target's mode when it exists, else 0666 & ~umask). Its
 * descriptor, or -1 (err). */
static int make_tmp(struct outfile *of, char *err, size_t errlen)
{
	size_t n = strlen(of->path);
	of->tmp = iw_malloc(n + 16);
	if (!of->tmp) {
		snprintf(err, errlen, "%s: out of memory", of->path);
		return -1;
	}
	snprintf(of->tmp, n + 16, "%s.tmp.XXXXXX", of->path);
	int fd = mkstemp(of->tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create temporary file: %s", of->path, strerror(errno));
		iw_free(of->tmp);
		of->tmp = NULL;
		return -1;
	}
	/* An existing result keeps its mode (a 600 report stays 600); a new one gets 0666 & ~umask. */
	mode_t um = umask(0);
	umask(um);
	struct stat st;
	fchmod(fd, stat(of->path, &st) == 0 && S_ISREG(st.st_mode) ? st.st_mode & 07777 : 0666 & ~um);
	of->slot = register_tmp(of->tmp);
	return fd;
}

static void outfile_free(struct outfile *of)
{
	unregister_tmp(of->slot);
	iw_free(of->path);
	iw_free(of->tmp);
	iw_free(of);
}

struct outfile *outfile_open(const char *path, char *err, size_t errlen)
{
	struct outfile *of = iw_calloc(1, sizeof(*of));
	if (!of) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (prepare(of, path, err, errlen) < 0)
		goto fail;
	if (of->is_stdout) {
		of->fp = stdout;
		return of;
	}
	if (of->through) {
		of->fp = fopen(of->path, "wb");
		if (!of->fp) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		return of;
	}
	int fd = make_tmp(of, err, errlen);
	if (fd < 0)
		goto fail;
	of->fp = fdopen(fd, "wb");
	if (!of->fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(of->tmp);
		goto fail;
	}
	return of;
fail:
	outfile_free(of);
	return NULL;
}

struct outfile *outfile_open_external(const char *path, const char **name, char *err, size_t errlen)
{
	struct outfile *of = iw_calloc(1, sizeof(*of));
	if (!of) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (prepare(of, path, err, errlen) < 0 || of->is_stdout) {
		if (of->is_stdout)
			snprintf(err, errlen, "'-' (stdout) cannot take this output");
		outfile_free(of);
		return NULL;
	}
	if (!of->through) {
		int fd = make_tmp(of, err, errlen);
		if (fd < 0) {
			outfile_free(of);
			return NULL;
		}
		close(fd);
	}
	*name = of->through ? of->path : of->tmp;
	return of;
}

FILE *outfile_fp(struct outfile *of) { return of->fp; }
const char *outfile_path(const struct outfile *of) { return of->is_stdout ? "-" : of->path; }

/* Phase 1: flush, sync and close (write errors surface here). 0 or -1 (err). */
static int finish(struct outfile *of, char *err, size_t errlen)
{
	const char *name = of->is_stdout ? "stdout" : of->path;
	if (!of->fp)
		return 0;
	int bad = fflush(of->fp) != 0 || ferror(of->fp);
	if (!bad && !of->through && fsync(fileno(of->fp)) != 0 && errno != EINVAL)
		bad = 1;
	int e = errno;
	if (!of->is_stdout && fclose(of->fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	of->fp = NULL;
	if (bad) {
		snprintf(err, errlen, "%s: write error: %s", name, strerror(e));
		return -1;
	}
	return 0;
}

static void discard(struct outfile *of)
{
	if (of->fp && !of->is_stdout)
		fclose(of->fp);
	of->fp = NULL;
	if (of->tmp)
		unlink(of->tmp);
	outfile_free(of);
}

int outfile_commit_all(struct outfile *const *ofs, unsigned n, char *err, size_t errlen)
{
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++)
		if (ofs[i] && finish(ofs[i], err, errlen) < 0)
			rc = -1;
	for (unsigned i = 0; i < n; i++) {
		struct outfile *of = ofs[i];
		if (!of)
			continue;
		if (rc < 0) {
			discard(of);
			continue;
		}
		if (of->tmp && rename(of->tmp, of->path) != 0) {
			snprintf(err, errlen, "%s: cannot rename temporary file: %s", of->path, strerror(errno));
			rc = -1;
			discard(of);
			continue;
		}
		outfile_free(of);
	}
	return rc;
}

int outfile_commit(struct outfile *of, char *err, size_t errlen)
{
	struct outfile *one[1] = {of};
	return outfile_commit_all(one, 1, err, errlen);
}

void outfile_abort(struct outfile *of)
{
	if (of)
		discard(of);
}
