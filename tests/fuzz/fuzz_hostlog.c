/* fuzz_hostlog: QEMU VT-d logs of arbitrary text merged into a fixed x86 guest capture (convert
 * --host-log: the log's reader, the alignment of the invalidation sequences, the placement). */
#include "convert.h"
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *dir = scratch_dir("hostlog", 0);
	char log[128], out[128];
	snprintf(out, sizeof(out), "%s/out.trace", dir);
	if (scratch_input(dir, "host.txt", data, size, log, sizeof(log)) < 0)
		return 0;
	struct convert_opts o;
	convert_defaults(&o);
	o.vtd_format = "vtd";
	o.vtd_levels = 4;
	o.host_log = log;
	o.host_keep_repeats = size % 2; /* both ways of taking a repeat */
	struct convert_stats st;
	char err[512];
	convert_ftrace(IOWALK_SOURCE_DIR "/tests/golden/capture-x86-6.12.txt", out, &o, &st, err, sizeof(err));
	unlink(out);
	return 0;
}
