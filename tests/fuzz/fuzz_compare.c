/* fuzz_compare: `iowalk compare` on arbitrary bytes, in every output format (the LaTeX table with its
 * metric globs included): the input is two reports separated by the first line that is exactly "---"
 * (without one, the input is compared with itself). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[] = "/tmp/iowalk-fuzz-compare-XXXXXX";

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
		if (!mkdtemp(dir) || !freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			abort();
		ready = 1;
	}
	char a[128], b[128];
	snprintf(a, sizeof(a), "%s/a.json", dir);
	snprintf(b, sizeof(b), "%s/b.json", dir);
	size_t split = size, rest = size;
	for (size_t i = 0; i + 4 <= size; i++) {
		if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "---\n", 4) == 0) {
			split = i;
			rest = i + 4;
			break;
		}
	}
	if (write_file(a, data, split) < 0)
		return 0;
	if (rest < size ? write_file(b, data + rest, size - rest) < 0 : write_file(b, data, split) < 0)
		return 0;
	char c0[] = "compare", all[] = "--all", md[] = "--markdown", tex[] = "--latex", js[] = "--json", m[] = "--metric",
	     g[] = "*", g2[] = "cycles_*";
	char *v1[] = {c0, a, b, all, NULL};
	cli_compare(4, v1);
	char *v2[] = {c0, a, b, md, NULL};
	cli_compare(4, v2);
	char *v3[] = {c0, a, b, tex, NULL};
	cli_compare(4, v3);
	char *v4[] = {c0, a, b, tex, m, g, m, g2, NULL};
	cli_compare(8, v4);
	char *v5[] = {c0, a, b, js, all, NULL};
	cli_compare(5, v5);
	fflush(stdout);
	return 0;
}
