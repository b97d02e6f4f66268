/* fuzz_gate: `iowalk gate` on arbitrary bytes: the input is a report and a baseline separated by the
 * first line that is exactly "---" (without one, the input is compared with itself), so the fuzzer
 * reaches the comparison of every metric, not only the JSON reader. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[] = "/tmp/iowalk-fuzz-gate-XXXXXX";

static int write_file(const char *path, const unsigned char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite(p, 1, n, f);
	return fclose(f);
}

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
	size_t split = size, rest = size;
	for (size_t i = 0; i + 5 <= size; i++) {
		if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "---\n", 4) == 0) {
			split = i;
			rest = i + 4;
			break;
		}
	}
	if (write_file(report, data, split) < 0)
		return 0;
	if (rest < size ? write_file(base, data + rest, size - rest) < 0 : write_file(base, data, split) < 0)
		return 0;
	char a0[] = "gate", a2[] = "--baseline", a4[] = "--quiet";
	char *argv[] = {a0, report, a2, base, a4, NULL};
	cli_gate(5, argv);
	char a5[] = "--tolerance", a6[] = "1%";
	char *argv2[] = {a0, report, a2, base, a5, a6, NULL};
	cli_gate(6, argv2);
	return 0;
}
