/* fuzz_compare: `iowalk compare` on arbitrary bytes, in every output format (the LaTeX table with its
 * metric globs included): the input is two reports separated by the first line that is exactly "---"
 * (without one, the input is compared with itself). */
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
	const char *dir = scratch_dir("compare", 2);
	char a[128], b[128];
	snprintf(a, sizeof(a), "%s/a.json", dir);
	snprintf(b, sizeof(b), "%s/b.json", dir);
	if (write_two(data, size, a, b) < 0)
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
