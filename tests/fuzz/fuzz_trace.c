/* fuzz_trace: the trace readers (text, binary, zstd) on arbitrary bytes: every input is either read to
 * the end or rejected with a message; nothing crashes, hangs or leaks. */
#include "trace.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	char err[512];
	struct trace_reader *tr = trace_open_stream(f, "fuzz", err, sizeof(err));
	if (!tr)
		return 0;
	struct trace_rec r;
	unsigned n = 0;
	while (trace_next(tr, &r) == 1 && n++ < 100000)
		if (trace_rec_check(&r) != NULL)
			__builtin_trap(); /* the reader must never return an invalid record */
	trace_close(tr);
	return 0;
}
