/* outfile: results are written to a temporary file beside the target and renamed onto it on commit,
 * so a failed or interrupted run never leaves a half-written result under the target's name. */
#ifndef IOWALK_SIM_OUTFILE_H
#define IOWALK_SIM_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct outfile;
/* "-" writes to stdout directly. NULL on failure with the reason in err. */
struct outfile *outfile_open(const char *path, char *err, size_t errlen);
FILE *outfile_fp(struct outfile *of);
const char *outfile_path(const struct outfile *of);
int outfile_commit(struct outfile *of, char *err, size_t errlen); /* 0 or -1; frees of either way */
void outfile_abort(struct outfile *of);                            /* removes the temporary; frees */
/* Removes every temporary still open (for a signal handler: async-signal-safe, uses unlink only). */
void outfile_cleanup_all(void);

#endif
