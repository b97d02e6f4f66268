/* fuzz_gate: the gate's JSON report reader on arbitrary bytes (as the report, against itself). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
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
	char path[128];
	snprintf(path, sizeof(path), "%s/report.json", dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	char a0[] = "gate", a2[] = "--baseline", a4[] = "--quiet";
	char *argv[] = {a0, path, a2, path, a4, NULL};
	cli_gate(5, argv);
	return 0;
}
