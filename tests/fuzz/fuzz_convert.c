/* fuzz_convert: the ftrace/kprobe converter on arbitrary text. */
#include "convert.h"
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *dir = scratch_dir("convert", 0);
	char in[128], out[128];
	snprintf(out, sizeof(out), "%s/out.trace", dir);
	if (scratch_input(dir, "in.txt", data, size, in, sizeof(in)) < 0)
		return 0;
	struct convert_opts o;
	convert_defaults(&o);
	struct convert_stats st;
	char err[512];
	/* As given (the integrity checks refuse what lost events or does not flush as labelled), then with
	 * both accepted, so the conversion past them is reached too. */
	if (convert_ftrace(in, out, &o, &st, err, sizeof(err)) < 0 && (st.lost_events || st.label[0])) {
		o.accept_lost = o.accept_policy = true;
		convert_ftrace(in, out, &o, &st, err, sizeof(err));
	}
	unlink(out);
	return 0;
}
