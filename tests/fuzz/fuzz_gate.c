/* fuzz_gate: `iowalk gate` on arbitrary bytes: the input is a report and a baseline separated by the
 * first line that is exactly "---" (without one, the input is compared with itself), so the fuzzer
 * reaches the comparison of every metric, not only the JSON reader. */
#include "cli.h"
#include "scratch.h"
#include "two_inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *dir = scratch_dir("gate", 1);
	char report[128], base[128];
	snprintf(report, sizeof(report), "%s/report.json", dir);
	snprintf(base, sizeof(base), "%s/base.json", dir);
	if (write_two(data, size, report, base) < 0)
		return 0;
	char a0[] = "gate", a2[] = "--baseline", a4[] = "--quiet";
	char *argv[] = {a0, report, a2, base, a4, NULL};
	cli_gate(5, argv);
	char a5[] = "--tolerance", a6[] = "1%";
	char *argv2[] = {a0, report, a2, base, a5, a6, NULL};
	cli_gate(6, argv2);
	return 0;
}
