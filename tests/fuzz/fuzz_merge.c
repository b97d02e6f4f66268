/* fuzz_merge: `iowalk sweep --merge` of arbitrary job JSON files: a two-point sweep of the tiny sample
 * trace, whose point-0.json and point-1.json are the input (split at the first "---" line; without one,
 * both are the input), merged into a fresh CSV each time: job JSON cut short, of another build, another
 * configuration or another point, duplicate keys, wrong types. */
#include "cli.h"
#include "scratch.h"
#include "two_inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	static char spec[160], jobs[160], csv[160], p0[200], p1[200];
	if (!ready) {
		const char *dir = scratch_dir("merge", 2);
		snprintf(spec, sizeof(spec), "%s/spec.ini", dir);
		snprintf(jobs, sizeof(jobs), "%s/jobs", dir);
		snprintf(csv, sizeof(csv), "%s/out.csv", dir);
		snprintf(p0, sizeof(p0), "%s/point-0.json", jobs);
		snprintf(p1, sizeof(p1), "%s/point-1.json", jobs);
		char text[512];
		int n = snprintf(text, sizeof(text), "[sweep]\ntrace = %s/traces/samples/tiny.trace\nstrategies = kvm-gfn\n"
						     "[grid]\nset.cost.rpcit = 3000, 4000\n", IOWALK_SOURCE_DIR);
		if (write_file(spec, text, (size_t)n) < 0 || mkdir(jobs, 0700) != 0)
			abort();
		ready = 1;
	}
	if (write_two(data, size, p0, p1) < 0)
		return 0;
	unlink(csv);
	char s0[] = "sweep", mg[] = "--merge", o[] = "-o";
	char *argv[] = {s0, spec, mg, jobs, o, csv, NULL};
	cli_sweep(6, argv);
	return 0;
}
