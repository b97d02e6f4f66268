/* outfile: result files, all or nothing. A regular file (or a new one) is written to a temporary beside
 * it and renamed onto it on commit, so a failed or interrupted run never leaves a half-written result
 * under its name; several results are committed together (outfile_commit_all()). Anything else is
 * written through and never replaced: "-" is stdout, a character device, FIFO or socket (/dev/null, a
 * pipe) is opened and written in place, and a symbolic link is followed to the file it names.
 * Notes:
 *  - Temporaries still open are kept in a small fixed table, with the one child process a command may
 *    run (gnuplot), so a SIGINT/SIGTERM handler can remove them and end the child (outfile_cleanup_all).
 */
#ifndef IOWALK_BASE_OUTFILE_H
#define IOWALK_BASE_OUTFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct outfile;
/* Opens a result for writing. NULL on failure with the reason in err. */
struct outfile *outfile_open(const char *path, char *err, size_t errlen);
/* A result another program writes: returns the staged file's name in *name (the temporary, or the
 * target itself when it is written through); the caller lets the program write it, then commits or
 * aborts. NULL on failure with the reason in err. */
struct outfile *outfile_open_external(const char *path, const char **name, char *err, size_t errlen);
FILE *outfile_fp(struct outfile *of);
const char *outfile_path(const struct outfile *of);
/* Finishes of (flush, sync, close: write errors such as a full disk surface here) and renames it onto its
 * target. 0 or -1; frees of either way. */
int outfile_commit(struct outfile *of, char *err, size_t errlen);
/* Commits n results together: first every one is finished (any write error aborts them all, and no
 * target is touched), then all are renamed. NULL entries are skipped. 0 or -1; frees all either way. */
int outfile_commit_all(struct outfile *const *ofs, unsigned n, char *err, size_t errlen);
void outfile_abort(struct outfile *of); /* removes the temporary; frees (NULL: nothing) */
/* Child processes to end on a signal (a command's workers, gnuplot). */
void outfile_add_child(pid_t pid);
void outfile_remove_child(pid_t pid);
/* A file another process creates, removed on a signal while tracked (path must stay valid); a slot for
 * outfile_untrack(), or -1 when the table is full. */
int outfile_track(char *path);
void outfile_untrack(int slot);
/* A scratch directory removed (when empty, after the files) on a signal; NULL: none. */
void outfile_track_dir(char *path);
/* In a new child process: forget what the parent tracks (the child cleans up only its own). */
void outfile_forget_all(void);
/* Removes every temporary still open and ends the child (for a signal handler: async-signal-safe). */
void outfile_cleanup_all(void);

#endif
