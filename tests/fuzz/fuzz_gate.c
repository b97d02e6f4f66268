/* fuzz_gate: `iowalk gate` on arbitrary bytes: the input is a report and a baseline separated by the
 * first line that is exactly "---" (without one, the input is compared with itself), so the fuzzer
 * reaches the comparison of every metric, not only the JSON reader. */
#include "cli.h"
#include "two_inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[] = "/tmp/iowalk-fuzz-gate-XXXXXX";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (!mkdtemp(dir) || !freopen("/dev/null", "w", stdout))
			abort();
		ready = 1;
	}
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
